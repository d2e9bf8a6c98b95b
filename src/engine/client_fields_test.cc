// Issue #17, "Keep what clients send": messages without a messageId are stored once however
// often they are resent (files and the server's path), and identify traits beyond the
// built-in ones reach the profile and the segment language as "traits.<key>"; the whitelisted
// part of `context` is stored with each event (IP by the source's policy, never context PII)
// and gives the context traits (first/last UTM, device, OS, browser, locale, timezone).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "testing/test_util.h"

namespace holo {
namespace {

class ClientFieldsTest : public testing::EngineStoreTest {
 protected:
  ClientFieldsTest() : EngineStoreTest("client_fields_test") {}
  void SetUp() override { Open(); }
  IngestReport Ingest(const std::string& name, const std::string& content) { return IngestFile(name, content); }
  uint64_t Count(std::string_view expression) {
    Result<uint64_t> n = engine_->audiences().CountExpression(expression);
    EXPECT_TRUE(n.ok()) << expression << ": " << n.status().ToString();
    return n.ok() ? *n : 0;
  }

};

TEST_F(ClientFieldsTest, MessagesWithoutMessageIdAreStoredOnce) {
  const std::string order =
      R"({"type":"track","event":"Order Completed","userId":"u1","timestamp":"2026-09-01T10:00:00Z",)"
      R"("properties":{"revenue":30},"sentAt":"2026-09-01T10:00:01Z"})";
  const std::string retry =  // the client's retry: only sentAt differs
      R"({"type":"track","event":"Order Completed","userId":"u1","timestamp":"2026-09-01T10:00:00Z",)"
      R"("properties":{"revenue":30},"sentAt":"2026-09-01T10:05:00Z"})";
  const std::string second =
      R"({"type":"track","event":"Order Completed","userId":"u1","timestamp":"2026-09-01T11:00:00Z",)"
      R"("properties":{"revenue":30}})";
  IngestReport r = Ingest("taobao.jsonl", order + "\n" + retry + "\n" + second + "\n");
  EXPECT_EQ(r.rejected, 0u) << (r.sample_errors.empty() ? "" : r.sample_errors[0]);
  EXPECT_EQ(r.stored, 2u);
  EXPECT_EQ(r.duplicates, 1u);
  // The server's path: the same message once more is a duplicate, named by its content id.
  PreparedMessages prepared;
  ASSERT_TRUE(engine_->PrepareMessages({MessageInput{"taobao", retry, ""}, MessageInput{"taobao", R"({"event":"Product Viewed","userId":"u1"})", "track"}}, &prepared).ok());
  std::vector<std::vector<MessageOutcome>> outcomes;
  ASSERT_TRUE(engine_->WritePrepared({&prepared}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_EQ(outcomes[0].size(), 2u);
  EXPECT_EQ(outcomes[0][0].kind, MessageOutcome::Kind::kDuplicate) << outcomes[0][0].error;
  EXPECT_TRUE(outcomes[0][0].message_id.starts_with("content:")) << outcomes[0][0].message_id;
  EXPECT_EQ(outcomes[0][1].kind, MessageOutcome::Kind::kStored) << outcomes[0][1].error;
  ResolveReport resolved;
  ASSERT_TRUE(engine_->Resolve(false, &resolved).ok());
  EXPECT_EQ(Count("order_count = 2"), 1u);
}

TEST_F(ClientFieldsTest, IdentifyTraitsReachProfilesAndSegmentsLatestByEventTime) {
  // u1's plan: gold on 10 Sep, silver on 1 Sep (sent later, older by its own clock).
  Ingest("web.jsonl",
         R"({"type":"identify","messageId":"i1","userId":"u1","timestamp":"2026-09-10T00:00:00Z",)"
         R"("traits":{"plan":"gold","seats":12,"trial":false,"email":"ann@example.com","company":{"name":"Acme"}}})" "\n"
         R"({"type":"identify","messageId":"i2","userId":"u1","timestamp":"2026-09-01T00:00:00Z",)"
         R"("traits":{"plan":"silver","seats":3}})" "\n"
         R"({"type":"identify","messageId":"i3","userId":"u2","timestamp":"2026-09-02T00:00:00Z",)"
         R"("traits":{"plan":"silver","seats":3,"trial":true,"first name":"x"}})" "\n"
         R"({"type":"identify","messageId":"i4","userId":"u3","timestamp":"2026-09-02T00:00:00Z",)"
         R"("traits":{"age":30}})" "\n");
  EXPECT_EQ(Count(R"(traits.plan = "gold")"), 1u);
  EXPECT_EQ(Count(R"(traits.plan = "silver")"), 1u);
  EXPECT_EQ(Count("traits.seats > 5"), 1u);
  EXPECT_EQ(Count("traits.seats between 1 and 100"), 2u);
  EXPECT_EQ(Count("traits.trial"), 1u);
  EXPECT_EQ(Count("traits.trial = false"), 1u);
  EXPECT_EQ(Count(R"(traits.plan = "gold" and traits.trial = false)"), 1u);
  // The issue's symptom is gone: the trait exists, so the expression has no warning.
  Result<std::vector<std::string>> warnings = engine_->audiences().ExpressionWarnings(R"(traits.plan = "gold")");
  ASSERT_TRUE(warnings.ok());
  EXPECT_TRUE(warnings->empty()) << (*warnings)[0];
  // PII never becomes a trait; objects are not traits.
  EXPECT_EQ(Count("traits.email is not null"), 0u);
  EXPECT_EQ(Count("traits.company is not null"), 0u);

  Result<std::string> profile = engine_->ProfileJson("user_id@web:u1");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_NE(profile->find(R"("traits.plan":"gold")"), std::string::npos) << *profile;
  EXPECT_NE(profile->find(R"("traits.seats":12)"), std::string::npos) << *profile;
  EXPECT_EQ(profile->find("ann@example.com"), std::string::npos) << *profile;

  // A later identify moves the person between segments.
  std::filesystem::create_directories(dir_ / "later");
  Ingest("later/web.jsonl", R"({"type":"identify","messageId":"i5","userId":"u2","timestamp":"2026-09-20T00:00:00Z",)"
                       R"("traits":{"plan":"gold"}})" "\n");
  EXPECT_EQ(Count(R"(traits.plan = "gold")"), 2u);
  EXPECT_EQ(Count(R"(traits.plan = "silver")"), 0u);
}

TEST_F(ClientFieldsTest, ContextIsStoredAndGivesTraits) {
  // The "app" source keeps no IP; "web" has the default (truncate).
  engine_.reset();
  Options options = StoreOptions();
  options.ip_policies = {{"app", "drop"}};
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  engine_ = std::move(reopened).value();
  Result<std::string> policies = engine_->identity().IpPoliciesJson();
  ASSERT_TRUE(policies.ok());
  EXPECT_EQ(*policies, R"({"*":"truncate","app":"drop"})");

  const std::string iphone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.4.1 Mobile/15E148 Safari/604.1";
  const std::string windows =
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
  // u1: a newsletter visit on 1 Sep, an ad visit on 5 Sep (sent first), both on the iPhone.
  // u2: one ad visit from Windows.
  IngestReport r = Ingest(
      "web.jsonl",
      R"({"type":"page","messageId":"p2","userId":"u1","name":"Home","timestamp":"2026-09-05T00:00:00Z",)"
      R"("context":{"campaign":{"source":"ads","medium":"cpc","name":"autumn"},"userAgent":")" + iphone +
          R"(","locale":"de-DE","timezone":"Europe/Berlin","ip":"203.0.113.77",)"
          R"("page":{"url":"https://shop.example/?utm_source=ads","path":"/","title":"Home"}}})" "\n"
      R"({"type":"track","messageId":"t1","userId":"u1","event":"Signed Up","timestamp":"2026-09-01T00:00:00Z",)"
      R"("properties":{"plan":"free","$context":{"forged":true}},)"
      R"("context":{"campaign":{"source":"newsletter","name":"welcome","term":"t","content":"c"},"userAgent":")" + iphone +
          R"(","locale":"en-GB","ip":"2001:db8:85a3:1:2:3:4:5","library":{"name":"analytics.js","version":"5.2.0"},)"
          R"("traits":{"email":"ann@example.com","phone":"+44 20 7946 0000","name":"Ann Lee","address":{"street":"1 High St"}},)"
          R"("device":{"id":"dev-1","type":"ios","model":"iPhone15,2"},"os":{"name":"iOS","version":"17.4.1"}}})" "\n"
      R"({"type":"page","messageId":"p3","userId":"u2","name":"Home","timestamp":"2026-09-02T00:00:00Z",)"
      R"("context":{"campaign":{"source":"ads","name":"autumn"},"userAgent":")" + windows + R"("}})" "\n"
      // No context.campaign (a server-side client): the utm_ parameters of the page's URL, or
      // of its search string; a campaign object wins over the URL.
      R"({"type":"page","messageId":"p4","userId":"u3","name":"Land","timestamp":"2026-09-01T00:00:00Z",)"
      R"("context":{"page":{"url":"https://shop.example/land?x=1&utm_source=partner%20blog&utm_campaign=spring+sale#top"}}})" "\n"
      R"({"type":"page","messageId":"p5","userId":"u3","name":"Land","timestamp":"2026-09-04T00:00:00Z",)"
      R"("context":{"page":{"search":"?utm_source=mail"}}})" "\n"
      R"({"type":"page","messageId":"p6","userId":"u3","name":"Land","timestamp":"2026-09-03T00:00:00Z",)"
      R"("context":{"campaign":{"name":"direct-wins"},"page":{"url":"https://shop.example/?utm_campaign=url-loses"}}})" "\n");
  EXPECT_EQ(r.rejected, 0u) << (r.sample_errors.empty() ? "" : r.sample_errors[0]);
  IngestReport app = Ingest("app.jsonl",
                            R"({"type":"track","messageId":"a1","userId":"u9","event":"App Opened","timestamp":"2026-09-03T00:00:00Z",)"
                            R"("context":{"ip":"198.51.100.23","locale":"fr-FR","app":{"name":"Shop","version":"3.1","build":310}}})" "\n");
  EXPECT_EQ(app.rejected, 0u);

  // The stored events: the whitelisted context, the truncated IPs, no context PII, no forged
  // context, no IP from the "drop" source.
  std::ostringstream events;
  ASSERT_TRUE(engine_->ExportEvents(events).ok());
  const std::string stored = events.str();
  EXPECT_NE(stored.find(R"("campaign":{"source":"newsletter","name":"welcome","term":"t","content":"c"})"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("ip":"203.0.113.0")"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("ip":"2001:db8:85a3::")"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("page":{"url":"https://shop.example/?utm_source=ads","path":"/","title":"Home"})"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("library":{"name":"analytics.js","version":"5.2.0"})"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("device":{"type":"ios","model":"iPhone15,2"})"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("app":{"name":"Shop","version":"3.1","build":310})"), std::string::npos) << stored;
  EXPECT_NE(stored.find(R"("locale":"fr-FR")"), std::string::npos) << stored;
  for (const char* gone : {"203.0.113.77", "2001:db8:85a3:1", "198.51.100", "ann@example.com", "7946", "Ann Lee", "High St", "forged", "dev-1"}) {
    EXPECT_EQ(stored.find(gone), std::string::npos) << gone << " stored: " << stored;
  }

  // The traits: first and last touch by event time, not by arrival.
  Result<std::string> profile = engine_->ProfileJson("user_id@web:u1");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  for (const char* trait : {R"("utm_source_first":"newsletter")", R"("utm_source_last":"ads")",
                            R"("utm_campaign_first":"welcome")", R"("utm_campaign_last":"autumn")",
                            R"("device_type":"mobile")", R"("os_family":"iOS")", R"("browser_family":"Safari")",
                            R"("locale":"de-DE")", R"("timezone":"Europe/Berlin")"}) {
    EXPECT_NE(profile->find(trait), std::string::npos) << trait << " in " << *profile;
  }
  Result<std::string> from_url = engine_->ProfileJson("user_id@web:u3");
  ASSERT_TRUE(from_url.ok()) << from_url.status().ToString();
  for (const char* trait : {R"("utm_source_first":"partner blog")", R"("utm_source_last":"mail")",
                            R"("utm_campaign_first":"spring sale")", R"("utm_campaign_last":"direct-wins")"}) {
    EXPECT_NE(from_url->find(trait), std::string::npos) << trait << " in " << *from_url;
  }
  EXPECT_EQ(from_url->find("url-loses"), std::string::npos) << *from_url;
  EXPECT_EQ(Count(R"(utm_source_first = "newsletter" and device_type = "mobile")"), 1u);
  EXPECT_EQ(Count(R"(utm_source_last = "ads")"), 2u);
  EXPECT_EQ(Count(R"(device_type = "desktop" and browser_family = "Chrome" and os_family = "Windows")"), 1u);
  EXPECT_EQ(Count(R"(locale = "fr-FR")"), 1u);
  EXPECT_EQ(Count("timezone is not null"), 1u);
}

}  // namespace
}  // namespace holo
