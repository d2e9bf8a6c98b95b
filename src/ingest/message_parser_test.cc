#include "ingest/message_parser.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "common/time_util.h"
#include "privacy/pseudonymizer.h"

namespace holo::ingest {
namespace {

using privacy::Pseudonymizer;

constexpr int64_t kNow = 1'800'000'000'000;
// 2026-09-01T12:34:56Z
constexpr int64_t kBase = 1788266096000;

privacy::PseudonymKey TestKey(uint8_t fill = 42) {
  privacy::PseudonymKey k;
  k.fill(fill);
  return k;
}

class MessageParserTest : public ::testing::Test {
 protected:
  MessageParserTest()
      : pseudonymizer_(TestKey()), parser_(ParserOptions::Defaults(), &pseudonymizer_) {}

  ParsedMessage ParseOk(std::string_view line, std::string_view source = "taobao") {
    Result<ParsedMessage> r = parser_.Parse(line, source, kNow);
    EXPECT_TRUE(r.ok()) << line << "\n -> " << r.status().ToString();
    return r.ok() ? std::move(r).value() : ParsedMessage{};
  }

  std::string ParseError(std::string_view line, std::string_view source = "taobao") {
    Result<ParsedMessage> r = parser_.Parse(line, source, kNow);
    EXPECT_FALSE(r.ok()) << line;
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }

  // The identifier of `type`, or nullptr.
  static const ParsedIdentifier* Find(const ParsedMessage& m, std::string_view type) {
    for (const ParsedIdentifier& id : m.ids) {
      if (id.type == type) return &id;
    }
    return nullptr;
  }

  privacy::Pseudonym P(std::string_view type, std::string_view value) const {
    return pseudonymizer_.Hash(type, value);
  }

  Pseudonymizer pseudonymizer_;
  MessageParser parser_;
};

// ---- well-formed messages -----------------------------------------------------------------

TEST_F(MessageParserTest, ParsesTrack) {
  ParsedMessage m = ParseOk(
      R"({"type":"track","event":"Product Viewed","messageId":"m-1","userId":"u1",)"
      R"("anonymousId":"a1","timestamp":"2026-09-01T12:34:56.789Z",)"
      R"("context":{"device":{"id":"dev-1","advertisingId":"ad-9"}},)"
      R"("properties":{"product_id":"p1","price":19.99,"tags":["x","y"],"n":null,"ok":true}})");
  EXPECT_EQ(m.source, "taobao");
  EXPECT_EQ(m.type, MessageType::kTrack);
  EXPECT_EQ(m.message_id, "m-1");
  EXPECT_EQ(m.event, "Product Viewed");
  EXPECT_EQ(m.timestamp_ms, kBase + 789);
  ASSERT_EQ(m.ids.size(), 4u);
  EXPECT_EQ(m.ids[0].type, "user_id@taobao");
  EXPECT_EQ(m.ids[0].role, IdRole::kUserId);
  EXPECT_EQ(m.ids[0].pseudonym, P("user_id@taobao", "u1"));
  EXPECT_EQ(m.ids[1].type, "anonymous_id@taobao");
  EXPECT_EQ(m.ids[1].role, IdRole::kAnonymousId);
  EXPECT_EQ(m.ids[2].type, "device_id");
  EXPECT_EQ(m.ids[2].role, IdRole::kDeviceId);
  EXPECT_EQ(m.ids[2].pseudonym, P("device_id", "dev-1"));
  EXPECT_EQ(m.ids[3].type, "ad_id");
  EXPECT_EQ(m.ids[3].role, IdRole::kAdId);
  for (const auto& id : m.ids) EXPECT_FALSE(id.placeholder) << id.type;
  EXPECT_EQ(m.properties_json,
            R"({"product_id":"p1","price":19.99,"tags":["x","y"],"n":null,"ok":true})");
  EXPECT_FALSE(m.explicit_link);
  EXPECT_TRUE(m.warnings.empty());
}

TEST_F(MessageParserTest, TimestampFallbacks) {
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a",)"
                    R"("receivedAt":"2026-09-01T20:34:56+08:00"})")
                .timestamp_ms,
            kBase);
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a"})").timestamp_ms, kNow);
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a","timestamp":null,)"
                    R"("sentAt":"garbage","originalTimestamp":"garbage"})")
                .timestamp_ms,
            kNow);
  // timestamp wins over receivedAt.
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a",)"
                    R"("timestamp":"2026-09-01 12:34:56","receivedAt":"2030-01-01T00:00:00Z"})")
                .timestamp_ms,
            kBase);
}

// A clock far ahead: corrected from sentAt as Segment corrects skewed clients, else refused
// with the reason; within the skew (default one day, per source) accepted as it is.
TEST_F(MessageParserTest, FutureTimestampsAreCorrectedFromSentAtOrRefused) {
  const int64_t day = 86400000;
  auto at = [](int64_t ms) { return FormatIso8601Ms(ms); };
  auto line = [&](int64_t ts, const std::string& extra = "") {
    return R"({"type":"track","event":"e","messageId":"m","userId":"u","timestamp":")" + at(ts) + "\"" + extra + "}";
  };
  EXPECT_EQ(ParseOk(line(kNow + day / 2)).timestamp_ms, kNow + day / 2);  // within the skew
  std::string err = ParseError(line(kNow + 400 * day));
  EXPECT_NE(err.find("ahead of the clock"), std::string::npos) << err;
  EXPECT_NE(err.find("400.0 days"), std::string::npos) << err;
  EXPECT_NE(ParseError(R"({"type":"track","event":"e","messageId":"m","userId":"u","timestamp":"9999-12-31T00:00:00Z"})")
                .find("ahead of the clock"),
            std::string::npos);
  // The client's clock runs 30 days fast: it stamped the event and sentAt with it.
  ParsedMessage fixed = ParseOk(line(kNow + 30 * day - 5000, R"(,"sentAt":")" + at(kNow + 30 * day) + "\""));
  EXPECT_EQ(fixed.timestamp_ms, kNow - 5000);
  ASSERT_EQ(fixed.warnings.size(), 1u);
  EXPECT_NE(fixed.warnings[0].find("corrected from sentAt"), std::string::npos);
  // A sentAt that does not explain the skew does not save it.
  EXPECT_NE(ParseError(line(kNow + 30 * day, R"(,"sentAt":")" + at(kNow) + "\"")).find("ahead of the clock"),
            std::string::npos);
  // Per source.
  ParserOptions o = ParserOptions::Defaults();
  o.future_skew_ms_by_source["pos"] = 60 * day;
  MessageParser lenient(o, &pseudonymizer_);
  EXPECT_TRUE(lenient.Parse(line(kNow + 30 * day), "pos", kNow).ok());
  EXPECT_FALSE(lenient.Parse(line(kNow + 30 * day), "web", kNow).ok());
}

// Segment's timestamp: receivedAt - (sentAt - originalTimestamp) cancels a client clock that
// is off by hours either way; else originalTimestamp, else timestamp, else the arrival time.
TEST_F(MessageParserTest, TimestampFromOriginalTimestampAndSentAt) {
  const int64_t hour = 3600000;
  auto at = [](int64_t ms) { return FormatIso8601Ms(ms); };
  for (int64_t off : {5 * hour, -7 * hour, 30 * 24 * hour}) {
    // The event happened 90 s before it was sent; it arrived at kNow (Segment's formula takes
    // the transit time as nil: the event time is kNow - 90 s).
    const int64_t sent = kNow - 2000, happened = sent - 90000;
    const std::string line = R"({"type":"track","event":"E","messageId":"m","userId":"u","originalTimestamp":")" +
                             at(happened + off) + R"(","sentAt":")" + at(sent + off) + "\"}";
    ParsedMessage m = ParseOk(line);
    EXPECT_EQ(m.timestamp_ms, kNow - 90000) << off;
    EXPECT_TRUE(m.warnings.empty()) << off;  // corrected once, not flagged as ahead of the clock
    // With the message's own receivedAt (a replayed export) that is the arrival time.
    const std::string replay = line.substr(0, line.size() - 1) + R"(,"receivedAt":")" + at(kNow - 10 * hour) + "\"}";
    EXPECT_EQ(ParseOk(replay).timestamp_ms, kNow - 10 * hour - 90000) << off;
  }
  // originalTimestamp alone; it wins over timestamp (Segment's timestamp is derived from it).
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a","originalTimestamp":"2026-09-01 12:34:56",)"
                    R"("timestamp":"2020-01-01T00:00:00Z"})")
                .timestamp_ms,
            kBase);
  // The future-skew rule applies to the result: 400 days ahead without sentAt is refused.
  EXPECT_NE(ParseError(R"({"type":"page","messageId":"m","anonymousId":"a","originalTimestamp":")" +
                       at(kNow + 400 * 24 * hour) + "\"}")
                .find("ahead of the clock"),
            std::string::npos);
  // ... and so is a corrected time still ahead (receivedAt itself far in the future).
  EXPECT_NE(ParseError(R"({"type":"page","messageId":"m","anonymousId":"a","originalTimestamp":")" + at(kNow) +
                       R"(","sentAt":")" + at(kNow) + R"(","receivedAt":")" + at(kNow + 400 * 24 * hour) + "\"}")
                .find("ahead of the clock"),
            std::string::npos);
  // A bad sentAt: originalTimestamp as is, with a warning.
  ParsedMessage w = ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a","originalTimestamp":"2026-09-01 12:34:56",)"
                            R"("sentAt":"yesterday"})");
  EXPECT_EQ(w.timestamp_ms, kBase);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("bad sentAt"), std::string::npos);
}

// Without a messageId the message is accepted and named by the keyed hash of its content:
// a resend (only sentAt differs) gets the same id, any change of content another.
TEST_F(MessageParserTest, MissingMessageIdIsTheContentHash) {
  const std::string a = R"({"type":"track","event":"Order Completed","userId":"u","timestamp":"2026-09-01 12:34:56",)"
                        R"("properties":{"revenue":12.5},"sentAt":"2026-09-01 12:35:00"})";
  const std::string resent = R"({"type":"track","event":"Order Completed","userId":"u","timestamp":"2026-09-01 12:34:56",)"
                             R"("properties":{"revenue":12.5},"sentAt":"2026-09-01 12:40:00"})";
  ParsedMessage m = ParseOk(a);
  ASSERT_TRUE(m.message_id.starts_with(kContentIdPrefix)) << m.message_id;
  EXPECT_EQ(m.message_id.size(), kContentIdPrefix.size() + 32);
  EXPECT_EQ(ParseOk(resent).message_id, m.message_id);
  EXPECT_EQ(ParseOk(R"({"type":"track","event":"Order Completed","userId":"u","messageId":null,)"
                    R"("timestamp":"2026-09-01 12:34:56","properties":{"revenue":12.5}})")
                .message_id,
            m.message_id);
  for (const char* other :
       {R"({"type":"track","event":"Order Completed","userId":"u","timestamp":"2026-09-01 12:34:56","properties":{"revenue":13}})",
        R"({"type":"track","event":"Order Completed","userId":"v","timestamp":"2026-09-01 12:34:56","properties":{"revenue":12.5}})",
        R"({"type":"track","event":"Order Completed","userId":"u","timestamp":"2026-09-01 12:34:57","properties":{"revenue":12.5}})",
        R"({"type":"track","event":"Order Viewed","userId":"u","timestamp":"2026-09-01 12:34:56","properties":{"revenue":12.5}})"}) {
    EXPECT_NE(ParseOk(other).message_id, m.message_id) << other;
  }
  // Another source's copy is another message; the id quotes nothing of the content.
  EXPECT_NE(ParseOk(a, "tmall").message_id, m.message_id);
  EXPECT_EQ(m.message_id.find("u"), std::string::npos);
  // A given messageId is kept as it is.
  EXPECT_EQ(ParseOk(R"({"type":"track","event":"E","userId":"u","messageId":"m-9"})").message_id, "m-9");
}

TEST_F(MessageParserTest, PageAndScreenName) {
  EXPECT_EQ(ParseOk(R"({"type":"page","name":"Home","messageId":"m","anonymousId":"a"})").event,
            "Home");
  ParsedMessage s = ParseOk(R"({"type":"screen","name":"Cart","messageId":"m","userId":"u"})");
  EXPECT_EQ(s.type, MessageType::kScreen);
  EXPECT_EQ(s.event, "Cart");
  EXPECT_EQ(ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a"})").event, "");
}

TEST_F(MessageParserTest, IntegerUserIdBecomesDecimalString) {
  ParsedMessage m = ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":12345})");
  ASSERT_EQ(m.ids.size(), 1u);
  EXPECT_EQ(m.ids[0].pseudonym, P("user_id@taobao", "12345"));
  m = ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":18446744073709551615})");
  EXPECT_EQ(m.ids[0].pseudonym, P("user_id@taobao", "18446744073709551615"));
  m = ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":-7})");
  EXPECT_EQ(m.ids[0].pseudonym, P("user_id@taobao", "-7"));
}

TEST_F(MessageParserTest, NullOrEmptyAnonymousIdIsAbsent) {
  ParsedMessage m =
      ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"u","anonymousId":null})");
  ASSERT_EQ(m.ids.size(), 1u);
  m = ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"u","anonymousId":""})");
  ASSERT_EQ(m.ids.size(), 1u);
}

// ---- namespaces and identifier types ------------------------------------------------------

TEST_F(MessageParserTest, TmallUserIdIsTaobaoAccount) {
  ParsedMessage tmall = ParseOk(
      R"({"type":"track","event":"E","messageId":"m","userId":"U7","anonymousId":"A"})", "tmall");
  ParsedMessage taobao = ParseOk(
      R"({"type":"track","event":"E","messageId":"m","userId":"U7","anonymousId":"A"})", "taobao");
  EXPECT_EQ(tmall.ids[0].type, "user_id@taobao");
  EXPECT_EQ(tmall.ids[0].pseudonym, taobao.ids[0].pseudonym);
  // anonymousId is per source, not per namespace.
  EXPECT_EQ(tmall.ids[1].type, "anonymous_id@tmall");
  EXPECT_EQ(taobao.ids[1].type, "anonymous_id@taobao");
  EXPECT_NE(tmall.ids[1].pseudonym, taobao.ids[1].pseudonym);
  // store_beacon shares taobao's accounts; an unlisted source is its own namespace.
  EXPECT_EQ(ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"U7"})", "store_beacon")
                .ids[0]
                .type,
            "user_id@taobao");
  EXPECT_EQ(
      ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"U7"})", "web").ids[0].type,
      "user_id@web");
}

TEST_F(MessageParserTest, AccountExternalIdJoinsNamespaceUserId) {
  ParsedMessage eleme = ParseOk(
      R"({"type":"track","event":"Order Completed","messageId":"m","userId":"E-55"})", "eleme");
  ParsedMessage taobao =
      ParseOk(R"({"type":"identify","messageId":"m2","userId":"T-1","context":{"externalIds":[)"
              R"({"id":"E-55","type":"eleme_id","collection":"users","encoding":"none"}]}})");
  ASSERT_EQ(taobao.ids.size(), 2u);
  EXPECT_EQ(taobao.ids[1].type, "user_id@eleme");
  EXPECT_EQ(taobao.ids[1].role, IdRole::kExternalId);
  EXPECT_EQ(taobao.ids[1].pseudonym, eleme.ids[0].pseudonym);
  // Two distinct account ids in one identify: a membership link.
  EXPECT_TRUE(taobao.explicit_link);
}

TEST_F(MessageParserTest, OtherExternalIdTypes) {
  ParsedMessage m = ParseOk(
      R"({"type":"track","event":"Probe Seen","messageId":"m","anonymousId":"s-1","context":{)"
      R"("externalIds":[{"id":"00-1A-2B-3C-4D-5E","type":"mac"},)"
      R"({"id":"ck-1","type":"cookie"},{"id":"IDFA-1","type":"idfa"},)"
      R"({"id":" Bob@Example.com ","type":"email"},{"id":"138 1234 5678","type":"phone"}]}})",
      "store_wifi");
  ASSERT_EQ(m.ids.size(), 6u);
  EXPECT_EQ(m.ids[1].type, "mac");
  EXPECT_EQ(m.ids[1].pseudonym, P("mac", "00:1a:2b:3c:4d:5e"));
  EXPECT_FALSE(m.ids[1].placeholder);
  EXPECT_EQ(m.ids[2].type, "cookie");
  EXPECT_EQ(m.ids[3].type, "idfa");
  EXPECT_EQ(m.ids[4].type, "email");
  EXPECT_EQ(m.ids[4].pseudonym, P("email", "bob@example.com"));
  EXPECT_EQ(m.ids[5].type, "phone");
  EXPECT_EQ(m.ids[5].pseudonym, P("phone", "+8613812345678"));
}

TEST_F(MessageParserTest, RandomizedMacAndPlaceholdersAreFlagged) {
  ParsedMessage m = ParseOk(
      R"({"type":"track","event":"Probe Seen","messageId":"m","anonymousId":"s-1","context":{)"
      R"("device":{"id":"unknown","advertisingId":"00000000-0000-0000-0000-000000000000"},)"
      R"("externalIds":[{"id":"DA:A1:19:00:11:22","type":"mac"},{"id":"null","type":"cookie"}]}})",
      "store_wifi");
  ASSERT_EQ(m.ids.size(), 5u);
  EXPECT_FALSE(m.ids[0].placeholder);
  EXPECT_EQ(m.ids[1].type, "device_id");
  EXPECT_TRUE(m.ids[1].placeholder);
  EXPECT_EQ(m.ids[2].type, "ad_id");
  EXPECT_TRUE(m.ids[2].placeholder);
  EXPECT_EQ(m.ids[3].type, "mac");
  EXPECT_TRUE(m.ids[3].placeholder);
  EXPECT_EQ(m.ids[3].pseudonym, P("mac", "da:a1:19:00:11:22"));
  EXPECT_TRUE(m.ids[4].placeholder);
  EXPECT_TRUE(
      ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":0})").ids[0].placeholder);
}

TEST_F(MessageParserTest, TraitIdentifiersAreNormalizedAndDeduplicated) {
  ParsedMessage m = ParseOk(
      R"({"type":"identify","messageId":"m","userId":"u","traits":{"email":"Ann@Mail.com",)"
      R"("phone":"+86 138-1234-5678","name":"Ann"},"context":{"traits":{"email":"ann@mail.com",)"
      R"("phone":"13812345678"}}})");
  ASSERT_EQ(m.ids.size(), 3u);
  EXPECT_EQ(m.ids[1].type, "email");
  EXPECT_EQ(m.ids[1].role, IdRole::kTraitEmail);
  EXPECT_EQ(m.ids[1].pseudonym, P("email", "ann@mail.com"));
  EXPECT_EQ(m.ids[2].type, "phone");
  EXPECT_EQ(m.ids[2].role, IdRole::kTraitPhone);
  EXPECT_EQ(m.ids[2].pseudonym, P("phone", "+8613812345678"));
  EXPECT_FALSE(m.explicit_link);  // one account id only
  // Track messages carry traits in context.traits.
  ParsedMessage t = ParseOk(R"({"type":"track","event":"E","messageId":"m","anonymousId":"a",)"
                            R"("context":{"traits":{"email":"x@y.cn"}}})");
  ASSERT_EQ(t.ids.size(), 2u);
  EXPECT_EQ(t.ids[1].pseudonym, P("email", "x@y.cn"));
}

TEST_F(MessageParserTest, GroupTraitsAreNotUserIdentifiers) {
  ParsedMessage m = ParseOk(R"({"type":"group","messageId":"m","userId":"u","groupId":"g-1",)"
                            R"("traits":{"email":"sales@corp.com","industry":"retail"}})");
  ASSERT_EQ(m.ids.size(), 1u);
  EXPECT_EQ(m.group_id, "g-1");
  // The account, pseudonymized like the source's user ids, leads the traits; never "g-1".
  const std::string account = privacy::PseudonymToHex(P("group_id@taobao", "g-1"));
  EXPECT_EQ(m.properties_json, R"({"$group":")" + account + R"(","industry":"retail"})");
}

TEST_F(MessageParserTest, GroupCallsNameTheirAccountAndKeepItsTraits) {
  // The company's name is kept; a person's name, e-mail and a client's own $group are not.
  ParsedMessage m = ParseOk(R"({"type":"group","messageId":"m","userId":"u","groupId":42,)"
                            R"("traits":{"name":"Acme","firstName":"Ann","$group":"forged","employees":12}})",
                            "tmall");
  EXPECT_EQ(m.group_id, "42");
  // tmall's namespace is taobao (ParserOptions::Defaults): the same account as taobao's 42.
  EXPECT_EQ(m.properties_json,
            R"({"$group":")" + privacy::PseudonymToHex(P("group_id@taobao", "42")) + R"(","name":"Acme","employees":12})");
  // Another namespace, another account.
  ParsedMessage web = ParseOk(R"({"type":"group","messageId":"m","userId":"u","groupId":42})", "web");
  EXPECT_EQ(web.properties_json, R"({"$group":")" + privacy::PseudonymToHex(P("group_id@web", "42")) + R"("})");
  // Without a groupId, no account; identify still drops "name".
  EXPECT_EQ(ParseOk(R"({"type":"group","messageId":"m","userId":"u","traits":{"plan":"pro"}})").properties_json,
            R"({"plan":"pro"})");
  EXPECT_EQ(ParseOk(R"({"type":"identify","messageId":"m","userId":"u","traits":{"name":"Ann","$group":"x"}})")
                .properties_json,
            "{}");
  // Neither string nor integer: refused, naming the field.
  EXPECT_EQ(ParseError(R"({"type":"group","messageId":"m","userId":"u","groupId":{"id":1}})"),
            "groupId must be a string");
}

TEST_F(MessageParserTest, BadIdentifierValueIsAWarningNotAnError) {
  ParsedMessage m = ParseOk(
      R"({"type":"identify","messageId":"m","userId":"u","traits":{"phone":"call me maybe",)"
      R"("email":"not-an-email"},"context":{"externalIds":[{"id":"zz:zz","type":"mac"},)"
      R"({"id":"x"},{"type":"cookie"},7]}})");
  ASSERT_EQ(m.ids.size(), 1u);
  ASSERT_EQ(m.warnings.size(), 6u);
  EXPECT_EQ(m.warnings[0], "invalid email in traits.email: missing '@'");
  EXPECT_EQ(m.warnings[1], "invalid phone in traits.phone: contains letters");
  EXPECT_EQ(m.warnings[2].rfind("invalid mac in context.externalIds[0]: ", 0), 0u) << m.warnings[2];
  EXPECT_EQ(m.warnings[3], "context.externalIds[1].type must be a non-empty string; ignored");
  EXPECT_EQ(m.warnings[4], "context.externalIds[2].id must be a non-empty string; ignored");
  EXPECT_EQ(m.warnings[5], "context.externalIds[3] must be an object; ignored");
  // No warning quotes the raw value.
  for (const std::string& w : m.warnings) EXPECT_EQ(w.find("call me"), std::string::npos);
}

TEST_F(MessageParserTest, AliasLinksPreviousIdToUserId) {
  ParsedMessage m =
      ParseOk(R"({"type":"alias","messageId":"m","userId":"new","previousId":"old"})");
  EXPECT_EQ(m.type, MessageType::kAlias);
  EXPECT_TRUE(m.explicit_link);
  ASSERT_EQ(m.ids.size(), 2u);
  EXPECT_EQ(m.ids[1].type, "anonymous_id@taobao");
  EXPECT_EQ(m.ids[1].role, IdRole::kPreviousId);
  EXPECT_EQ(m.ids[1].pseudonym, P("anonymous_id@taobao", "old"));
  EXPECT_EQ(m.properties_json, "{}");
  // previousId equal to the message's anonymousId is that anonymous id.
  m = ParseOk(R"({"type":"alias","messageId":"m","userId":"new","previousId":"anon-1",)"
              R"("anonymousId":"anon-1"})",
              "web");
  ASSERT_EQ(m.ids.size(), 2u);
  EXPECT_EQ(m.ids[1].type, "anonymous_id@web");
  EXPECT_EQ(m.ids[1].pseudonym, P("anonymous_id@web", "anon-1"));
}

TEST_F(MessageParserTest, IdentifyWithOneAccountIsNotExplicitLink) {
  EXPECT_FALSE(ParseOk(R"({"type":"identify","messageId":"m","userId":"u","anonymousId":"a",)"
                       R"("context":{"device":{"id":"d"}}})")
                   .explicit_link);
  // A placeholder account id does not count.
  EXPECT_FALSE(ParseOk(R"({"type":"identify","messageId":"m","userId":"u","context":{)"
                       R"("externalIds":[{"id":"0","type":"alipay_id"}]}})")
                   .explicit_link);
  EXPECT_TRUE(ParseOk(R"({"type":"identify","messageId":"m","userId":"u","context":{)"
                      R"("externalIds":[{"id":"A-1","type":"alipay_id"}]}})")
                  .explicit_link);
}

TEST_F(MessageParserTest, IdsAreDistinctByPseudonym) {
  ParsedMessage m =
      ParseOk(R"({"type":"identify","messageId":"m","userId":"E-1","context":{"externalIds":[)"
              R"({"id":"E-1","type":"eleme_id"},{"id":"E-1","type":"eleme_id"}]}})",
              "eleme");
  ASSERT_EQ(m.ids.size(), 1u);
  EXPECT_EQ(m.ids[0].role, IdRole::kUserId);
  EXPECT_FALSE(m.explicit_link);
}

// ---- PII removal -------------------------------------------------------------------------

TEST_F(MessageParserTest, StripsPiiFromOrderProperties) {
  ParsedMessage m =
      ParseOk(R"({"type":"track","event":"Order Completed","messageId":"m","userId":"u",)"
              R"("properties":{"order_id":"o-1","revenue":99.5,"currency":"CNY",)"
              R"("products":[{"product_id":"p1","price":49.75,"quantity":2}],)"
              R"("shipping_address":{"name":"Wang Fang","phone":"13912345678",)"
              R"("street":"88 Nanjing Rd","city":"Shanghai","postcode":"200001"}}})");
  for (const char* pii :
       {"Wang Fang", "13912345678", "Nanjing", "\"name\"", "\"phone\"", "\"street\""}) {
    EXPECT_EQ(m.properties_json.find(pii), std::string::npos) << pii;
  }
  EXPECT_EQ(m.properties_json, R"({"order_id":"o-1","revenue":99.5,"currency":"CNY",)"
                               R"("products":[{"product_id":"p1","price":49.75,"quantity":2}],)"
                               R"("shipping_address":{"city":"Shanghai","postcode":"200001"}})");
  // Valid JSON.
  simdjson::dom::parser p;
  simdjson::dom::element e;
  EXPECT_EQ(p.parse(m.properties_json).get(e), simdjson::SUCCESS);
}

TEST_F(MessageParserTest, VaultCaptureKeepsAddressPiiOutsideTheProperties) {
  const std::string line = R"({"type":"track","event":"Order Completed","messageId":"m","userId":"u",)"
                           R"("properties":{"shipping_address":{"name":"Wang Fang","phone":"13912345678",)"
                           R"("street":"88 Nanjing Rd","city":"Shanghai","postcode":"200001"},)"
                           R"("billing_address":{"city":"Beijing"}}})";
  // Off by default: nothing captured.
  EXPECT_TRUE(ParseOk(line).vault.empty());
  ParserOptions o = ParserOptions::Defaults();
  o.capture_vault = true;
  MessageParser vaulting(o, &pseudonymizer_);
  auto m = vaulting.Parse(line, "taobao", kNow);
  ASSERT_TRUE(m.ok());
  // One entry: the billing address holds no personal field, so it is not captured.
  ASSERT_EQ(m->vault.size(), 1u);
  EXPECT_EQ(m->vault[0], R"({"name":"Wang Fang","phone":"13912345678","street":"88 Nanjing Rd",)"
                         R"("city":"Shanghai","postcode":"200001"})");
  // The properties are the same with or without capture.
  EXPECT_EQ(m->properties_json, ParseOk(line).properties_json);
  EXPECT_EQ(m->properties_json.find("Wang"), std::string::npos);
}

TEST_F(MessageParserTest, DeliveryAddressKeepsOnlyItsKeyedHouseholdKey) {
  auto order = [&](std::string_view street, std::string_view postcode) {
    std::string line = R"({"type":"track","event":"Order Completed","messageId":"m","userId":"u",)"
                       R"("properties":{"shipping_address":{"name":"Wang Fang","street":")" +
                       std::string(street) + R"(","city":"Beijing","postcode":")" + std::string(postcode) +
                       R"("}}})";
    return ParseOk(line).properties_json;
  };
  const std::string en = order("Room 1203, No. 88 Jianguo Road, Chaoyang District", "100020");
  const std::string zh = order("朝阳区建国路88号1203室", "100020");
  const std::string key = privacy::PseudonymToHex(P("address", "100020|88|1203"));
  EXPECT_EQ(en, R"({"shipping_address":{"city":"Beijing","postcode":"100020","address_key":")" + key + R"("}})");
  EXPECT_EQ(zh, en);
  for (const char* pii : {"Jianguo", "1203", "Wang"}) EXPECT_EQ(en.find(pii), std::string::npos) << pii;
  // No room: no key (the whole building would share it).
  EXPECT_EQ(order("No. 88 Jianguo Road", "100020"),
            R"({"shipping_address":{"city":"Beijing","postcode":"100020"}})");
}

TEST_F(MessageParserTest, ReferencesToOtherPeopleBecomePseudonyms) {
  ParsedMessage team = ParseOk(
      R"({"type":"track","event":"Team Joined","messageId":"m","userId":"mg_1",)"
      R"("properties":{"team_id":"t9","invited_by":"mg_2"}})",
      "minigame");
  EXPECT_EQ(team.properties_json, R"({"team_id":"t9","invited_by":")" +
                                      privacy::PseudonymToHex(P("user_id@minigame", "mg_2")) + R"("})");
  ParsedMessage pay = ParseOk(
      R"({"type":"track","event":"Payment Made","messageId":"m","userId":"2088000000000001",)"
      R"("properties":{"amount":12.5,"counterparty_type":"family_card","card_owner":"2088000000000002"}})",
      "alipay");
  EXPECT_EQ(pay.properties_json.find("2088000000000002"), std::string::npos);
  EXPECT_NE(pay.properties_json.find(privacy::PseudonymToHex(P("user_id@alipay", "2088000000000002"))),
            std::string::npos);
}

TEST_F(MessageParserTest, StripsPiiFromIdentifyTraits) {
  ParsedMessage m =
      ParseOk(R"({"type":"identify","messageId":"m","userId":"u","traits":{"name":"Li Lei",)"
              R"("firstName":"Lei","email":"li@x.cn","phone":"13800000000","address":{"street":)"
              R"("1 Long St","city":"Beijing"},"age":30,"vip":true}})");
  EXPECT_EQ(m.properties_json, R"({"age":30,"vip":true})");
}

TEST_F(MessageParserTest, PropertiesJsonIsMinifiedAndEscaped) {
  ParsedMessage m = ParseOk(
      "{ \"type\" : \"track\", \"event\":\"E\", \"messageId\":\"m\", \"userId\":\"u\",\n"
      "  \"properties\" : { \"q\" : \"say \\\"hi\\\"\\n\\u0001 \\u4e2d\\u6587 中\" ,"
      " \"big\": 1e300, \"neg\": -0.5, \"arr\" : [ 1 , { } , [ ] ] } }");
  EXPECT_EQ(m.properties_json,
            "{\"q\":\"say \\\"hi\\\"\\n\\u0001 中文 中\",\"big\":1e+300,\"neg\":-0.5,"
            "\"arr\":[1,{},[]]}");
  EXPECT_EQ(ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"u"})").properties_json,
            "{}");
  EXPECT_EQ(ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                    R"("properties":null})")
                .properties_json,
            "{}");
  ParsedMessage w = ParseOk(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                            R"("properties":[1]})");
  EXPECT_EQ(w.properties_json, "{}");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0], "properties must be an object; ignored");
}

// ---- bad input: every class, with its error text -----------------------------------------

TEST_F(MessageParserTest, RejectsMalformedJson) {
  EXPECT_EQ(ParseError(R"({"type":"track",)").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError(R"({"type":"track" "event":"E"})").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError(R"({"type":"track"} trailing)").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError("   ").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ParseError(R"(["type","track"])"), "message is not a JSON object");
  EXPECT_EQ(ParseError("42"), "message is not a JSON object");
}

TEST_F(MessageParserTest, RejectsInvalidUtf8) {
  EXPECT_EQ(ParseError("{\"type\":\"track\",\"event\":\"\xff\xfe\",\"messageId\":\"m\","
                       "\"userId\":\"u\"}"),
            "invalid UTF-8");
  EXPECT_EQ(ParseError("{\"type\":\"track\",\"event\":\"\xed\xa0\x80\"}"), "invalid UTF-8");
}

TEST_F(MessageParserTest, RejectsOversizedLine) {
  std::string line = R"({"type":"track","event":"E","messageId":"m","userId":"u","p":")";
  line.append(70000, 'x');
  line += "\"}";
  EXPECT_EQ(ParseError(line), "line exceeds 65536 bytes");
}

TEST_F(MessageParserTest, RejectsMissingRequiredFields) {
  EXPECT_EQ(ParseError(R"({"event":"E","messageId":"m","userId":"u"})"),
            "missing required field 'type'");
  EXPECT_EQ(ParseError(R"({"type":null,"event":"E","messageId":"m","userId":"u"})"),
            "missing required field 'type'");
  EXPECT_EQ(ParseError(R"({"type":"track","messageId":"m","userId":"u"})"),
            "missing required field 'event' for type track");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"","messageId":"m","userId":"u"})"),
            "event must not be empty for type track");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m"})"),
            "missing required field 'userId' or 'anonymousId'");
  EXPECT_EQ(ParseError(R"({"type":"page","messageId":"m","userId":"","anonymousId":null})"),
            "missing required field 'userId' or 'anonymousId'");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"","userId":"u"})"),
            "messageId must not be empty");
  EXPECT_EQ(ParseError(R"({"type":"alias","messageId":"m","userId":"u"})"),
            "missing required field 'previousId' for type alias");
  EXPECT_EQ(ParseError(R"({"type":"alias","messageId":"m","anonymousId":"a","previousId":"p"})"),
            "missing required field 'userId' for type alias");
}

TEST_F(MessageParserTest, RejectsWrongTypes) {
  EXPECT_EQ(ParseError(R"({"type":7,"messageId":"m","userId":"u"})"), "type must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":{"a":1}})"),
            "userId must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":1.5})"),
            "userId must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","anonymousId":true})"),
            "anonymousId must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":5,"userId":"u"})"),
            "messageId must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":["E"],"messageId":"m","userId":"u"})"),
            "event must be a string");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                       R"("timestamp":1788266096})"),
            "timestamp must be a string");
}

TEST_F(MessageParserTest, RejectsUnknownType) {
  EXPECT_EQ(ParseError(R"({"type":"foo","messageId":"m","userId":"u"})"), "unknown type 'foo'");
  EXPECT_EQ(ParseError(R"({"type":"Track","messageId":"m","userId":"u"})"), "unknown type 'Track'");
  // Anything that is not a word is not quoted (the reason is kept in clear in the dead
  // letters): an e-mail, a long or multi-line value.
  std::string long_type(100, 'z');
  EXPECT_EQ(ParseError(R"({"type":")" + long_type + R"(\n","messageId":"m","userId":"u"})"),
            "unknown type (not a type name, 101 bytes)");
  EXPECT_EQ(ParseError(R"({"type":"a\nb","messageId":"m","userId":"u"})"), "unknown type (not a type name, 3 bytes)");
  EXPECT_EQ(ParseError(R"({"type":"ann@example.com","messageId":"m","userId":"u"})"),
            "unknown type (not a type name, 15 bytes)");
}

TEST_F(MessageParserTest, RejectsBadTimestamp) {
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                       R"("timestamp":"2026-13-01"})"),
            "bad timestamp '2026-13-01': month out of range");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                       R"("timestamp":"2026-09-01T12:34:56Z junk"})"),
            "bad timestamp '2026-09-01T12:34:56Z junk': trailing characters after time");
  EXPECT_EQ(ParseError(R"({"type":"track","event":"E","messageId":"m","userId":"u",)"
                       R"("receivedAt":"yesterday"})"),
            "bad receivedAt 'yesterday': expected a four-digit year");
}

TEST_F(MessageParserTest, ReusesParserAcrossLinesAndSources) {
  // Interleave sizes and sources: no state may leak from one line into the next.
  for (int i = 0; i < 50; ++i) {
    std::string big =
        R"({"type":"track","event":"E","messageId":"m","userId":"u","properties":{"s":")" +
        std::string(static_cast<size_t>(i) * 997, 'x') + "\"}}";
    ParsedMessage a = ParseOk(big, i % 2 ? "tmall" : "eleme");
    EXPECT_EQ(a.ids[0].type, i % 2 ? "user_id@taobao" : "user_id@eleme");
    ParsedMessage b = ParseOk(R"({"type":"page","messageId":"m","anonymousId":"a"})", "web");
    EXPECT_EQ(b.properties_json, "{}");
    EXPECT_EQ(b.ids[0].type, "anonymous_id@web");
  }
}

TEST(MessageParserOptionsTest, CustomNamespacesAndCountry) {
  Pseudonymizer ps(TestKey());
  ParserOptions o = ParserOptions::Defaults();
  o.source_namespace["koubei"] = "alipay";
  o.account_id_types["koubei_id"] = "alipay";
  o.default_phone_region = "GB";
  o.max_line_bytes = 100;
  MessageParser parser(o, &ps);
  Result<ParsedMessage> m = parser.Parse(
      R"({"type":"identify","messageId":"m","userId":"K","traits":{"phone":"020 7946 0958"}})",
      "koubei", kNow);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->ids[0].type, "user_id@alipay");
  EXPECT_EQ(m->ids[1].pseudonym, ps.Hash("phone", "+442079460958"));
  Result<ParsedMessage> big = parser.Parse(std::string(101, ' '), "koubei", kNow);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(), "line exceeds 100 bytes");
}

TEST(MessageParserOptionsTest, PhoneRegionPerSource) {
  Pseudonymizer ps(TestKey());
  ParserOptions o = ParserOptions::Defaults();
  o.phone_region_by_source["us_shop"] = "US";
  MessageParser parser(o, &ps);
  auto identify = [](const char* phone) {
    return std::string(R"({"type":"identify","messageId":"m","userId":"u","traits":{"phone":")") + phone + "\"}}";
  };
  // The same person's number, national in the US source and international in another.
  Result<ParsedMessage> us = parser.Parse(identify("(415) 555-0101"), "us_shop", kNow);
  Result<ParsedMessage> intl = parser.Parse(identify("+1 415 555 0101"), "web", kNow);
  ASSERT_TRUE(us.ok() && intl.ok());
  ASSERT_EQ(us->ids.size(), 2u);
  ASSERT_EQ(intl->ids.size(), 2u);
  EXPECT_EQ(us->ids[1].pseudonym, ps.Hash("phone", "+14155550101"));
  EXPECT_EQ(intl->ids[1].pseudonym, us->ids[1].pseudonym);
  EXPECT_TRUE(us->ids[1].has_match_tag);

  // A source without a region reads national numbers as Chinese, as before: this US number is
  // not valid there, so it is dropped with a warning, not stored as +866505550101.
  Result<ParsedMessage> cn = parser.Parse(identify("(650) 555-0101"), "web", kNow);
  ASSERT_TRUE(cn.ok()) << cn.status().ToString();
  ASSERT_EQ(cn->ids.size(), 1u);
  ASSERT_EQ(cn->warnings.size(), 1u);
  EXPECT_EQ(cn->warnings[0], "invalid phone in traits.phone: not a valid number in region CN");
  EXPECT_EQ(cn->warnings[0].find("650"), std::string::npos) << "the raw value is PII";
  Result<ParsedMessage> cn_ok = parser.Parse(identify("138 1234 5678"), "web", kNow);
  ASSERT_TRUE(cn_ok.ok());
  EXPECT_EQ(cn_ok->ids[1].pseudonym, ps.Hash("phone", "+8613812345678"));

}

TEST(MessageParserKeyTest, PseudonymsDependOnKey) {
  Pseudonymizer k1(TestKey(1)), k2(TestKey(2));
  MessageParser p1(ParserOptions::Defaults(), &k1), p2(ParserOptions::Defaults(), &k2);
  const char* line = R"({"type":"track","event":"E","messageId":"m","userId":"u"})";
  Result<ParsedMessage> a = p1.Parse(line, "taobao", kNow);
  Result<ParsedMessage> a2 = p1.Parse(line, "taobao", kNow);
  Result<ParsedMessage> b = p2.Parse(line, "taobao", kNow);
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok());
  EXPECT_EQ(a->ids[0].pseudonym, a2->ids[0].pseudonym);
  EXPECT_NE(a->ids[0].pseudonym, b->ids[0].pseudonym);
}

}  // namespace
}  // namespace holo::ingest
