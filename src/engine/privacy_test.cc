// Consent against a real store: decisions count from the next read on every exit
// (segment export, activation look-ups), survive reopening, follow identifiers when
// resolution links them, and the policy decides which purposes each use needs.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "common/time_util.h"
#include "holo/engine.h"
#include "privacy/consent.h"
#include "profile/trait_registry.h"
#include "engine/engine_test_util.h"
#include "testing/test_util.h"

namespace holo {
namespace {

std::string Track(const std::string& id, const std::string& event, const std::string& who, const std::string& ts,
                  const std::string& properties) {
  return R"({"type":"track","event":")" + event + R"(","messageId":")" + id + R"(","timestamp":")" + ts + R"(",)" +
         who + R"(,"properties":)" + properties + "}\n";
}
std::string User(const std::string& u) { return R"("userId":")" + u + R"(")"; }
std::string Anon(const std::string& a) { return R"("anonymousId":")" + a + R"(")"; }

class PrivacyTest : public testing::EngineStoreTest {
 protected:
  PrivacyTest() : EngineStoreTest("privacy_test") {}
  void SetUp() override { Open(); }
  void Ingest(const std::string& content, bool resolve = true, const std::string& source = "web") {
    static int n = 0;
    std::string path = dir_ / (source + std::to_string(++n) + ".jsonl");
    testing::WriteFile(path, content);
    IngestReport report;
    IngestOptions options;
    options.source = source;
    options.resolve = resolve;
    ASSERT_TRUE(engine_->Ingest({path}, options, &report).ok());
    ASSERT_EQ(report.rejected, 0u);
  }
  uint64_t OneId(const std::string& type, const std::string& value) {
    auto id = engine_->LookupOneId(type, value);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::set<std::string> Exported(const std::string& segment, const std::string& use = "export") {
    std::ostringstream out;
    Status s = engine_->audiences().ExportSegment(segment, out, use);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto lines = testing::Lines(out.str());
    return {lines.begin(), lines.end()};
  }
  bool Allows(uint64_t oneid, const std::string& use) {
    auto a = engine_->privacy().ConsentAllows(oneid, use);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() && *a;
  }
  static std::string Consent(const std::string& id, const std::string& who, bool given, const std::string& ts,
                             const std::string& purposes) {
    return Track(id, given ? "Consent Given" : "Consent Withdrawn", who, ts, R"({"purposes":)" + purposes + "}");
  }
};

TEST_F(PrivacyTest, DecisionsCountFromTheNextReadOnEveryExit) {
  Ingest(Track("o1", "Order Completed", User("amy"), "2026-10-01T10:00:00Z", R"({"revenue":50})") +
         Track("o2", "Order Completed", User("bob"), "2026-10-01T10:00:00Z", R"({"revenue":60})"));
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  const uint64_t amy = OneId("user_id@web", "amy"), bob = OneId("user_id@web", "bob");
  const std::string a = std::to_string(amy), b = std::to_string(bob);
  EXPECT_TRUE(Exported("buyers").empty()) << "nobody consented to marketing";
  EXPECT_FALSE(Allows(amy, "activation"));

  // Written without resolving: nothing else has run when the next read comes.
  Ingest(Consent("c1", User("amy"), true, "2026-10-02T10:00:00Z", R"(["marketing","personalization"])"),
         /*resolve=*/false);
  EXPECT_EQ(Exported("buyers"), std::set<std::string>{a});
  EXPECT_TRUE(Allows(amy, "activation"));
  EXPECT_TRUE(engine_->serving().HasConsent(amy, "marketing"));
  EXPECT_FALSE(Allows(amy, "third_party_export"));
  EXPECT_TRUE(Exported("buyers", "third_party_export").empty());

  // A withdrawal through the API, then one more event-borne grant for bob.
  Engine::ConsentChange withdraw;
  withdraw.id = "user_id@web:amy";
  withdraw.source = "support";
  withdraw.purposes = {"marketing"};
  withdraw.given = false;
  ASSERT_TRUE(engine_->privacy().RecordConsent(withdraw).ok());
  EXPECT_TRUE(Exported("buyers").empty());
  EXPECT_TRUE(Allows(amy, "activation")) << "personalization was not withdrawn";
  Ingest(Consent("c2", User("bob"), true, "2026-10-03T10:00:00Z", R"(["marketing","third_party"])"), false);
  EXPECT_EQ(Exported("buyers"), std::set<std::string>{b});
  EXPECT_EQ(Exported("buyers", "third_party_export"), std::set<std::string>{b});

  // An older decision arriving late does not override a newer one.
  Ingest(Consent("c3", User("bob"), false, "2026-09-01T10:00:00Z", R"(["marketing"])"), false);
  EXPECT_EQ(Exported("buyers"), std::set<std::string>{b});

  // The ledger outlives the process.
  Open();
  EXPECT_EQ(Exported("buyers"), std::set<std::string>{b});
  EXPECT_FALSE(engine_->serving().HasConsent(amy, "marketing"));
  EXPECT_TRUE(engine_->serving().HasConsent(amy, "personalization"));

  // Clear errors.
  EXPECT_EQ(engine_->privacy().ConsentAllows(amy, "telepathy").status().code(), StatusCode::kNotFound);
  std::ostringstream out;
  EXPECT_EQ(engine_->audiences().ExportSegment("buyers", out, "telepathy").code(), StatusCode::kNotFound);
  withdraw.purposes = {"marketting"};
  EXPECT_EQ(engine_->privacy().RecordConsent(withdraw).code(), StatusCode::kInvalidArgument);
  withdraw.purposes = {"marketing"};
  withdraw.id = "user_id@web:nobody";
  EXPECT_EQ(engine_->privacy().RecordConsent(withdraw).code(), StatusCode::kNotFound);
}

// A decision recorded through the API now is the person's latest, even when the event-borne
// one before it carries the same millisecond or a client clock a little ahead (CI saw a
// grant and a withdrawal in one millisecond; the grant won on its event sequence).
TEST_F(PrivacyTest, AWithdrawalRecordedNowWinsOverAGrantStampedAheadOfIt) {
  // The engine's clock stands at kNowMs: dan's grant has the withdrawal's millisecond, eve's
  // is an hour ahead (within the parser's 24 h future skew).
  const int64_t ahead = kNowMs + 3600 * 1000;
  Ingest(Track("o1", "Order Completed", User("dan"), "2026-10-01T10:00:00Z", R"({"revenue":5})") +
         Track("o2", "Order Completed", User("eve"), "2026-10-01T10:00:00Z", R"({"revenue":5})"));
  Ingest(Consent("c1", User("dan"), true, FormatIso8601Ms(kNowMs), R"(["personalization"])") +
             Consent("c2", User("eve"), true, FormatIso8601Ms(ahead), R"(["personalization"])"),
         false);
  const uint64_t dan = OneId("user_id@web", "dan"), eve = OneId("user_id@web", "eve");
  ASSERT_TRUE(Allows(dan, "activation"));
  ASSERT_TRUE(Allows(eve, "activation"));
  Engine::ConsentChange w;
  w.source = "support";
  w.purposes = {"personalization"};
  w.given = false;
  for (const char* id : {"user_id@web:dan", "user_id@web:eve"}) {
    w.id = id;
    ASSERT_TRUE(engine_->privacy().RecordConsent(w).ok());
  }
  EXPECT_FALSE(Allows(dan, "activation"));
  EXPECT_FALSE(Allows(eve, "activation"));
  Open();  // the order is in the ledger, not only in memory
  EXPECT_FALSE(Allows(dan, "activation"));
  EXPECT_FALSE(Allows(eve, "activation"));
  w.id = "user_id@web:eve";
  auto json = engine_->privacy().ConsentJson("user_id@web:eve");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_NE(json->find(R"("personalization":{"given":false,"decided":true,"at":")" + FormatIso8601Ms(ahead + 1)),
            std::string::npos) << *json;
  // A decision with its own time keeps it: an older one is history, not state.
  w.given = true;
  w.at_ms = ahead - 1000;
  ASSERT_TRUE(engine_->privacy().RecordConsent(w).ok());
  EXPECT_FALSE(Allows(eve, "activation"));
}

TEST_F(PrivacyTest, HistoryNamesEveryDecisionAndSource) {
  Ingest(Track("o1", "Order Completed", User("cat"), "2026-10-01T10:00:00Z", R"({"revenue":5})"));
  Ingest(Consent("c1", User("cat"), true, "2026-10-02T10:00:00Z", R"(["marketing","location"])"));
  Engine::ConsentChange w;
  w.id = std::to_string(OneId("user_id@web", "cat"));
  w.source = "store_desk";
  w.purposes = {"location"};
  w.given = false;
  w.at_ms = 1790000000000;  // 2026-09-21, older than the event: history keeps it, state does not take it
  ASSERT_TRUE(engine_->privacy().RecordConsent(w).ok());
  auto json = engine_->privacy().ConsentJson("user_id@web:cat");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  const std::string& j = *json;
  EXPECT_NE(j.find(R"("marketing":{"given":true,"decided":true,"at":"2026-10-02T10:00:00.000Z","source":"web"})"),
            std::string::npos) << j;
  EXPECT_NE(j.find(R"("location":{"given":true)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("analytics":{"given":false,"decided":false})"), std::string::npos) << j;
  size_t old = j.find(R"("purpose":"location","given":false,"at":"2026-09-21)");
  size_t newer = j.find(R"("purpose":"location","given":true,"at":"2026-10-02)");
  ASSERT_NE(old, std::string::npos) << j;
  ASSERT_NE(newer, std::string::npos) << j;
  EXPECT_LT(old, newer) << "history is oldest first";
  EXPECT_NE(j.find(R"("source":"store_desk","identifier_type":"user_id@web")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("event_seq":null)"), std::string::npos) << j;
}

TEST_F(PrivacyTest, ConsentFollowsIdentifiersThatResolutionLinks) {
  // dan buys (his OneID is the older one, which the merge keeps); then a visitor consents
  // before logging in: the decision sits on the cookie's identifier, another OneID.
  Ingest(Track("o1", "Order Completed", User("dan"), "2026-10-01T10:00:00Z", R"({"revenue":5})"));
  Ingest(Consent("c1", Anon("cookie-1"), true, "2026-10-01T09:00:00Z", R"(["marketing"])"));
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  const uint64_t dan = OneId("user_id@web", "dan");
  ASSERT_NE(OneId("anonymous_id@web", "cookie-1"), dan);
  EXPECT_TRUE(Exported("buyers").empty());
  // The login links the cookie to dan: after the resolve, dan's OneID carries the consent.
  Ingest(R"({"type":"identify","messageId":"i1","userId":"dan","anonymousId":"cookie-1","timestamp":"2026-10-01T11:00:00Z"})"
         "\n");
  const uint64_t now = OneId("user_id@web", "dan");
  EXPECT_EQ(OneId("anonymous_id@web", "cookie-1"), now);
  EXPECT_TRUE(Allows(now, "export"));
  EXPECT_EQ(now, dan);
  EXPECT_EQ(Exported("buyers"), std::set<std::string>{std::to_string(now)});
}

TEST_F(PrivacyTest, PolicyDecidesWhatEachUseNeedsAndPersists) {
  Ingest(Track("o1", "Order Completed", User("eve"), "2026-10-01T10:00:00Z", R"({"revenue":5})") +
         Consent("c1", User("eve"), true, "2026-10-02T10:00:00Z", R"(["marketing"])"));
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  EXPECT_EQ(Exported("buyers").size(), 1u);
  ASSERT_TRUE(engine_->privacy().SetConsentPolicy(R"({"uses":{"export":["marketing","analytics"],"activation":["personalization"]}})").ok());
  EXPECT_TRUE(Exported("buyers").empty()) << "analytics is now needed too, and undecided means no";
  Open();
  EXPECT_TRUE(Exported("buyers").empty());
  auto policy = engine_->privacy().ConsentPolicyJson();
  ASSERT_TRUE(policy.ok());
  EXPECT_NE(policy->find(R"("export":["marketing","analytics"])"), std::string::npos) << *policy;
  ASSERT_TRUE(engine_->privacy().SetConsentPolicy(R"({"uses":{"export":["marketing"]},"defaults":{"analytics":true}})").ok());
  EXPECT_EQ(Exported("buyers").size(), 1u);
  EXPECT_EQ(engine_->privacy().SetConsentPolicy(R"({"uses":{"export":["marketng"]}})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Exported("buyers").size(), 1u) << "a refused policy changes nothing";
}

TEST_F(PrivacyTest, AccessRequestHoldsEverythingAndRawValuesOnlyAsSupplied) {
  Ingest(R"({"type":"identify","messageId":"i1","userId":"fay","anonymousId":"fay-cookie","timestamp":"2026-10-01T09:00:00Z","traits":{"phone":"+86 138 0013 8000","email":"fay@example.com"}})"
         "\n" +
         Track("o1", "Order Completed", User("fay"), "2026-10-01T10:00:00Z", R"({"revenue":88})") +
         Consent("c1", User("fay"), true, "2026-10-02T10:00:00Z", R"(["marketing"])") +
         Track("o2", "Order Completed", User("gus"), "2026-10-01T10:00:00Z", R"({"revenue":5})"));
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  auto r = engine_->privacy().AccessRequest("user_id@web:fay");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string& j = r->json;
  EXPECT_NE(j.find(R"("type":"user_id@web","pseudonym":")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("value":"fay")"), std::string::npos) << "the identifier of the request";
  EXPECT_EQ(j.find("13800138000"), std::string::npos) << "not supplied: no raw phone";
  EXPECT_EQ(j.find("fay@example.com"), std::string::npos);
  EXPECT_NE(j.find(R"("type":"phone")"), std::string::npos);
  EXPECT_NE(j.find(R"("type":"email")"), std::string::npos);
  EXPECT_NE(j.find(R"("message_id":"o1")"), std::string::npos);
  EXPECT_NE(j.find(R"("message_id":"c1")"), std::string::npos);
  EXPECT_EQ(j.find(R"("message_id":"o2")"), std::string::npos) << "gus's order is not fay's";
  EXPECT_NE(j.find(R"("segments":["buyers"])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("kind":"co-occurrence","source":"web")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("history":[{"purpose":"marketing","given":true)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("order_count":1)"), std::string::npos) << "the profile's traits";
  EXPECT_NE(r->text.find("4 identifiers"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("3 events"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("marketing=yes"), std::string::npos) << r->text;

  // A phone the person supplies (in any spelling) is shown; someone else's is not.
  r = engine_->privacy().AccessRequest("user_id@web:fay", {"phone:13800138000", "user_id@web:gus"});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->json.find(R"("value":"13800138000")"), std::string::npos) << r->json;
  EXPECT_EQ(r->json.find(R"("value":"gus")"), std::string::npos);
  EXPECT_EQ(engine_->privacy().AccessRequest("user_id@web:nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->privacy().AccessRequest("user_id@web:fay", {"nocolon"}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PrivacyTest, RetentionDropsExpiredEventsAtCompactionAndTraitsFollow) {
  const int64_t day = 24 * 3600 * 1000LL, now = kNowMs;  // the engine's clock
  auto at = [&](int64_t days_ago) { return FormatIso8601Ms(now - days_ago * day); };
  Ingest(Track("s-old", "Order Completed", User("ivy"), at(60),
               R"({"revenue":10,"shipping_address":{"name":"Ivy Old","street":"1 Old Street Room 101","postcode":"100001"}})") +
             Track("s-new", "Order Completed", User("ivy"), at(5),
                   R"({"revenue":20,"shipping_address":{"name":"Ivy New","street":"2 New Street Room 202","postcode":"100002"}})"),
         true, "shop");
  auto vault = [&] {
    auto dsar = engine_->privacy().AccessRequest("user_id@shop:ivy");
    EXPECT_TRUE(dsar.ok());
    return dsar.ok() ? dsar->json.substr(dsar->json.find("\"vault\":")) : std::string();
  };
  EXPECT_NE(vault().find("1 Old Street Room 101"), std::string::npos) << vault();
  EXPECT_NE(vault().find("2 New Street Room 202"), std::string::npos);
  Ingest(Track("w-old", "Product Viewed", User("ivy"), at(60), R"({"product_id":"p1"})"));
  ASSERT_TRUE(engine_->audiences().DefineSegment("repeat", "order_count >= 2").ok());
  auto before = engine_->audiences().GetSegment("repeat");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->members, 1u);

  EXPECT_EQ(engine_->privacy().SetRetention(R"({"shop": 0})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->privacy().SetRetention(R"({"Shop!": 3})").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(engine_->privacy().SetRetention(R"({"shop": 30})").ok());
  Engine::RetentionReport report;
  ASSERT_TRUE(engine_->privacy().ApplyRetention(&report).ok());
  EXPECT_EQ(report.expired_events, 1u);
  EXPECT_EQ(report.profiles_rebuilt, 1u);
  auto events = [&] {
    std::ostringstream out;
    EXPECT_TRUE(engine_->ExportEvents(out).ok());
    return out.str();
  };
  std::string e = events();
  EXPECT_EQ(e.find("s-old"), std::string::npos) << "expired: gone";
  EXPECT_NE(e.find("s-new"), std::string::npos);
  EXPECT_NE(e.find("w-old"), std::string::npos) << "web has no window";
  auto profile = engine_->ProfileJson("user_id@shop:ivy");
  ASSERT_TRUE(profile.ok());
  EXPECT_NE(profile->find(R"("order_count":1)"), std::string::npos) << *profile;
  EXPECT_EQ(engine_->audiences().GetSegment("repeat")->members, 0u);
  // The address last given in the expired order leaves the vault with it.
  EXPECT_EQ(vault().find("1 Old Street Room 101"), std::string::npos) << vault();
  EXPECT_NE(vault().find("2 New Street Room 202"), std::string::npos) << vault();

  // The window persists, and any compaction enforces it.
  Open();
  auto windows = engine_->privacy().RetentionJson();
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(*windows, R"({"shop":30})");
  Ingest(Track("s-late", "Order Completed", User("ivy"), at(90), R"({"revenue":1})"), true, "shop");
  // Stored, but past its window: neither exported nor counted, and gone at any compaction.
  EXPECT_EQ(events().find("s-late"), std::string::npos);
  auto stats = engine_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, testing::Lines(events()).size());
  ASSERT_TRUE(engine_->CompactStore().ok());
  EXPECT_EQ(events().find("s-late"), std::string::npos);
  EXPECT_EQ(engine_->Stats()->events, testing::Lines(events()).size());
}

// The funnel as analysts get it: one person's purchase cannot be read off a funnel, neither
// as a small cell, nor as the total minus the other cells (in that answer or a later one),
// nor as the difference between the funnel before and after it; with epsilon the budget pays.
// A funnel as analysts get it: every cell noised and thresholded on its noisy value, the same
// question answered the same within the period, operators exact.
TEST_F(PrivacyTest, ReleasedFunnelsAreNoisedThresholdedAndPaidFor) {
  std::string lines;
  for (int i = 0; i < 20; ++i) {  // aware: u0..u19
    lines += Track("pv" + std::to_string(i), "Promotion Viewed", User("u" + std::to_string(i)), "2026-10-01T10:00:00Z",
                   R"({"brand":"Nike","promotion_id":"p1"})");
  }
  for (int i = 20; i < 30; ++i) {  // interested: u20..u29
    lines += Track("vw" + std::to_string(i), "Product Viewed", User("u" + std::to_string(i)), "2026-10-02T10:00:00Z",
                   R"({"product_id":"x","brand":"Nike","price":99})");
  }
  auto order = [](const std::string& id, const std::string& user, const std::string& ts) {
    return Track(id, "Order Completed", User(user), ts,
                 R"({"revenue":99,"products":[{"product_id":"x","brand":"Nike","price":99,"quantity":1}]})");
  };
  lines += order("buy30", "u30", "2026-10-05T10:00:00Z");  // the one buyer
  lines += order("buy0", "u0", "2026-10-08T10:00:00Z");    // later, an aware person buys
  Ingest(lines, true, "taobao");
  Engine::FunnelQuery q;
  q.brand = "Nike";
  q.k = 10;
  q.at_ms = ParseIso8601Ms("2026-10-06T00:00:00Z").value();
  auto exact = engine_->audiences().Funnel(q);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_NE(exact->json.find(R"("population":31,"stages":{"none":0,"awareness":20,"interest":10,"purchase":"<10")"),
            std::string::npos)
      << exact->json;
  Engine::ReleaseOptions ro;
  ro.k = 10;
  ro.budget_owner = "analyst:ann";
  ro.budget = 1.0;
  ro.epsilon = 0.4;
  auto released = engine_->analysts().ReleaseFunnel(q, ro);
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  const std::string& j = released->json;
  // The one buyer's cell: withheld (1 + noise of scale 5 reaching 10 is a 1-in-6 chance at
  // worst; then it is still a noisy number, not the 1), by the rule only.
  EXPECT_NE(j.find(R"("charged":0.4)"), std::string::npos) << j;
  EXPECT_EQ(j.find("fewer than"), std::string::npos) << j;
  EXPECT_EQ(j.find("differs"), std::string::npos) << j;
  // Asked again in the period: the same answer, free.
  auto again = engine_->analysts().ReleaseFunnel(q, ro);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->json.substr(again->json.find("\"population\"")), j.substr(j.find("\"population\"")));
  EXPECT_NE(again->json.find(R"("charged":0)"), std::string::npos) << again->json;
  // Flows cost another 0.4; a third question is refused: the budget of 1 is spent.
  Engine::FunnelQuery with_flows = q;
  with_flows.at_ms = ParseIso8601Ms("2026-10-09T00:00:00Z").value();
  with_flows.from_ms = ParseIso8601Ms("2026-10-06T00:00:00Z").value();
  ASSERT_TRUE(engine_->analysts().ReleaseFunnel(with_flows, ro).ok());
  Engine::FunnelQuery other = q;
  other.category = "shoes";
  auto refused = engine_->analysts().ReleaseFunnel(other, ro);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted) << refused.status().ToString();
  // No analyst path without a budget owner: nothing exact leaks by leaving it out.
  ro.budget_owner.clear();
  EXPECT_EQ(engine_->analysts().ReleaseFunnel(q, ro).status().code(), StatusCode::kInvalidArgument);
}

// A campaign as analysts get it: noisy counts, rates and lift computed from them.
TEST_F(PrivacyTest, ReleasedCampaignsAreNoisedAndTheirRatesComeFromNoisyCounts) {
  const int64_t d = ParseIso8601Ms("2026-10-01T12:00:00Z").value(), day = 24 * 3600 * 1000LL;
  const std::string promo = R"({"campaign":"Autumn Run","brand":"Nike","promotion_id":"c02-x"})";
  const std::string order = R"({"order_id":"o","revenue":99,"products":[{"brand":"Nike","category":"sports","price":99}]})";
  std::string lines;
  for (int i = 0; i < 20; ++i) {  // 20 exposed, 10 of whom buy
    const std::string u = "e" + std::to_string(i);
    lines += Track(u + "o", "Application Opened", User(u), FormatIso8601Ms(d - 20 * day), "{}");
    lines += Track(u + "p", "Promotion Viewed", User(u), FormatIso8601Ms(d), promo);
    if (i < 10) lines += Track(u + "b", "Order Completed", User(u), FormatIso8601Ms(d + 2 * day), order);
  }
  for (int i = 0; i < 40; ++i) {  // 40 controls, 5 of whom buy: under k
    const std::string u = "c" + std::to_string(i);
    lines += Track(u + "o", "Application Opened", User(u), FormatIso8601Ms(d - 20 * day), "{}");
    if (i < 5) lines += Track(u + "b", "Order Completed", User(u), FormatIso8601Ms(d + 3 * day), order);
  }
  Ingest(lines, true, "taobao");
  auto exact = engine_->audiences().Campaign("Autumn Run", 10);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_NE(exact->json.find(R"("lift_pp")"), std::string::npos) << "operators see the estimate";
  Engine::ReleaseOptions ro;
  ro.k = 10;
  ro.budget_owner = "analyst:ann";
  auto r = engine_->analysts().ReleaseCampaign("Autumn Run", ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string& j = r->json;
  EXPECT_NE(j.find(R"("charged":0.4)"), std::string::npos) << j;
  // The 5 control buyers (noise of scale 10 around 5, threshold 10) are mostly withheld; the
  // exact figures of the operator's report never appear as such.
  EXPECT_EQ(j.find("fewer than"), std::string::npos) << j;
  EXPECT_EQ(j.find("differs"), std::string::npos) << j;
}

TEST_F(PrivacyTest, StoreVisitsLinkedToAPersonAreShownOnlyWithTheirLocationConsent) {
  Ingest(Track("b1", "Beacon Seen", User("joy") + R"(,"anonymousId":"joy-beacon")", "2026-10-01T10:00:00Z",
               R"({"store_id":"st01","beacon_id":"b9","zone":"entrance","rssi":-60})"),
         true, "store_beacon");
  Ingest(Track("o1", "Order Completed", User("joy"), "2026-10-02T10:00:00Z", R"({"revenue":30})") +
             Consent("c1", User("joy"), true, "2026-10-02T11:00:00Z", R"(["marketing","personalization"])"),
         true, "taobao");
  const uint64_t joy = OneId("user_id@taobao", "joy");
  ASSERT_NE(joy, 0u);
  ASSERT_EQ(OneId("anonymous_id@store_beacon", "joy-beacon"), joy);
  ASSERT_TRUE(engine_->audiences().DefineSegment("visitors", "store_visits_90d >= 1").ok());
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  const std::string id = std::to_string(joy);
  auto check = [&](bool shown) {
    auto traits = engine_->serving().TraitsJson(
        joy, {"store_visits_90d", "favourite_store", "last_store_visit", "order_count"}, "activation");
    ASSERT_TRUE(traits.ok()) << traits.status().ToString();
    EXPECT_EQ(traits->find(R"("store_visits_90d":null)") == std::string::npos, shown) << *traits;
    EXPECT_EQ(traits->find(R"("favourite_store":"st01")") != std::string::npos, shown) << *traits;
    EXPECT_EQ(traits->find(R"("last_store_visit":"2026-10-01T10:00:00.000Z")") != std::string::npos, shown)
        << *traits;
    EXPECT_NE(traits->find(R"("order_count":1)"), std::string::npos) << *traits;
    auto profile = engine_->serving().ProfileJsonFor(joy, "activation");
    ASSERT_TRUE(profile.ok()) << profile.status().ToString();
    EXPECT_EQ(profile->find("anonymous_id@store_beacon") != std::string::npos, shown) << *profile;
    EXPECT_EQ(profile->find(R"("store_visits_90d":null)") == std::string::npos, shown) << *profile;
    auto events = engine_->serving().ProfileEventsJson(joy, 0, 50, "activation");
    ASSERT_TRUE(events.ok());
    EXPECT_EQ(events->find("Beacon Seen") != std::string::npos, shown) << *events;
    EXPECT_EQ(Exported("visitors").count(id) > 0, shown);
    EXPECT_EQ(Exported("buyers").count(id), 1u) << "a segment not defined on store visits";
  };
  check(false);
  // The operators' own reads are not an exit for a use.
  auto all = engine_->serving().TraitsJson(joy, {"store_visits_90d"});
  ASSERT_TRUE(all.ok());
  EXPECT_NE(all->find(R"("store_visits_90d":1)"), std::string::npos) << *all;
  // Location consent given: the linked visits are shown from the next read.
  Engine::ConsentChange location;
  location.id = id;
  location.source = "app";
  location.purposes = {"location"};
  ASSERT_TRUE(engine_->privacy().RecordConsent(location).ok());
  check(true);
}

// Every trait of the profile's "stores" family is withheld without location consent, and
// nothing else is.
TEST(StoreTraitsTest, TheConsentRuleCoversExactlyTheStoresFamily) {
  size_t stores = 0;
  for (const profile::TraitInfo& t : profile::BuiltinTraits()) {
    EXPECT_EQ(privacy::IsStoreTrait(t.name), t.family == "stores") << t.name;
    stores += t.family == "stores";
  }
  EXPECT_GE(stores, 6u);
}

// An analyst tries to single out the one big spender among 31 buyers.
TEST_F(PrivacyTest, ReleasedCountsAreNoisedAndRefusalsNameOnlyTheRule) {
  std::string events;
  for (int i = 0; i < 300; ++i) {
    events += Track("o" + std::to_string(i), "Order Completed", User("u" + std::to_string(i)), "2026-10-01T10:00:00Z",
                    R"({"revenue":10})");
  }
  events += Track("ow", "Order Completed", User("whale"), "2026-10-01T10:00:00Z", R"({"revenue":999})");
  Ingest(events);
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  ASSERT_TRUE(engine_->audiences().DefineSegment("small", "order_count >= 1 and total_spend < 500").ok());
  Engine::ReleaseOptions o;  // the defaults: k 50, epsilon 0.1
  o.budget_owner = "analyst:ann";
  o.budget = 3;
  auto count = [&](const std::string& q, double epsilon = 0) {
    Engine::ReleaseOptions with = o;
    with.epsilon = epsilon;
    return engine_->analysts().ReleaseCount(q, with);
  };
  // A one-person group: withheld on its noisy value (shown with probability 0.4%, then as a
  // noisy number of at least k), the refusal naming the rule. Ten different questions.
  int withheld = 0;
  for (int i = 0; i < 10; ++i) {
    auto tiny = count("total_spend > " + std::to_string(500 + i));
    ASSERT_TRUE(tiny.ok()) << tiny.status().ToString();
    if (tiny->count) {
      EXPECT_GE(*tiny->count, 50u);
      continue;
    }
    ++withheld;
    EXPECT_EQ(tiny->withheld, "group below the minimum size");
  }
  EXPECT_GE(withheld, 8);
  // A big group: a noisy count near the truth, never exactly guaranteed.
  auto all = count("buyers");
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(all->count.has_value());
  EXPECT_NEAR(static_cast<double>(*all->count), 301, 80);
  // A combination with a one-person part is refused as a whole, naming the rule only.
  auto part = count("order_count >= 1 and (total_spend > 500 or order_count >= 1000)");
  ASSERT_TRUE(part.ok());
  EXPECT_FALSE(part->count.has_value());
  EXPECT_EQ(part->withheld, "a group the expression combines is below the minimum size");
  // Quasi-identifiers are refused before anything is evaluated.
  auto qi = count("home_area = \"31.23,121.47\" and order_count >= 1");
  EXPECT_EQ(qi.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(qi.status().message().find("quasi-identifiers"), std::string::npos) << qi.status().ToString();
  EXPECT_EQ(count("age = 37").status().code(), StatusCode::kInvalidArgument);
  // Asking again in the period gives the same answer, free; the overlap reuses the sizes.
  for (int i = 0; i < 5; ++i) {
    auto again = count("buyers");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->count, all->count);
    EXPECT_EQ(again->epsilon, 0);
  }
  auto overlap = engine_->analysts().ReleaseOverlap("buyers", "small", o);
  ASSERT_TRUE(overlap.ok()) << overlap.status().ToString();
  EXPECT_EQ(overlap->a.count, all->count);
  // The spending is stored: after reopening, the budget is still spent; another analyst has theirs.
  Status spent;
  for (int i = 0; i < 40 && spent.ok(); ++i) spent = count("order_count >= " + std::to_string(i % 2) + " or total_spend > " + std::to_string(i)).status();
  EXPECT_EQ(spent.code(), StatusCode::kResourceExhausted) << spent.ToString();
  EXPECT_EQ(spent.message().find("301"), std::string::npos);
  Open();
  EXPECT_EQ(count("order_count >= 2").status().code(), StatusCode::kResourceExhausted);
  Engine::GroupProfileOptions g;
  g.k = 10;
  g.budget_owner = "analyst:ann";
  g.budget = 3;
  EXPECT_EQ(engine_->analysts().GroupProfile("small", g).status().code(), StatusCode::kResourceExhausted);
  o.budget_owner = "analyst:bob";
  o.budget = 1000;
  std::set<uint64_t> answers;
  for (int i = 0; i < 8; ++i) {
    auto noisy = count("order_count >= 1 and total_spend < " + std::to_string(600 + i), 0.05);  // scale 20
    ASSERT_TRUE(noisy.ok());
    if (noisy->count) answers.insert(*noisy->count);
  }
  EXPECT_GT(answers.size(), 1u) << "noise is added";
}

}  // namespace
}  // namespace holo
