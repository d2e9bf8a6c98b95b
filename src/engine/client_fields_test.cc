// Issue #17, "Keep what clients send": messages without a messageId are stored once however
// often they are resent (files and the server's path), and identify traits beyond the
// built-in ones reach the profile and the segment language as "traits.<key>".
#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace holo
