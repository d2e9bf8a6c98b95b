// Dead letters against a real store (docs/privacy.md, "Dead letters"): a rejected line's raw
// text is sealed with the store's vault key, never in clear on disk; the operator reads it
// opened (Engine::privacy().ReadDeadLetters, `holo dead-letters`); erasure by a raw value
// drops the records holding it; records past their window ("dead_letter" retention, 30 days
// by default) go; a clear-text file an older version wrote is sealed at the next open.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "testing/test_util.h"

namespace holo {
namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
constexpr char kEmail[] = "Wang.Fang@Example.com";
constexpr char kPhone[] = "+86 138 0013 8000";

class DeadLettersTest : public testing::EngineStoreTest {
 protected:
  DeadLettersTest() : EngineStoreTest("dead_letters_test") {}
  void SetUp() override { Open(); }
  // Reopens the engine with its clock `days` after the tests' own.
  void OpenLater(int64_t days) {
    engine_.reset();
    Options options = StoreOptions();
    options.now_ms = kNowMs + days * kDayMs;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  void Ingest(const std::string& file, const std::string& lines, uint64_t rejected) {
    testing::WriteFile(dir_ / file, lines);
    IngestOptions options;
    options.source = "web";
    IngestReport report;
    Status s = engine_->Ingest({dir_ / file}, options, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(report.rejected, rejected);
  }
  std::string FileBytes() { return testing::ReadFile(dir_ / "data/dead_letter.jsonl"); }
  std::vector<std::string> Opened(uint64_t* unopened = nullptr) {
    std::vector<std::string> out;
    Status s = engine_->privacy().ReadDeadLetters(0, [&](std::string_view j) { out.emplace_back(j); }, unopened);
    EXPECT_TRUE(s.ok()) << s.ToString();
    // The count (ingest health) agrees with the records read, without opening them.
    auto count = engine_->privacy().CountDeadLetters();
    EXPECT_TRUE(count.ok() && *count == out.size()) << (count.ok() ? std::to_string(*count) : count.status().ToString());
    return out;
  }
  static void ExpectNoPii(const std::string& bytes) {
    for (const char* raw : {kEmail, "wang.fang@example.com", "Wang.Fang", kPhone, "138 0013 8000", "13800138000"}) {
      EXPECT_EQ(bytes.find(raw), std::string::npos) << raw << " in clear in " << bytes;
    }
  }
};

TEST_F(DeadLettersTest, SealedOnDiskOpenedForTheOperatorErasedAndExpired) {
  const std::string identify = std::string(R"({"type":"identify","messageId":"m0","userId":"wf","traits":{"email":")") +
                               kEmail + R"("}})";
  // Rejected (no event name), holding the e-mail address and a phone number.
  const std::string rejected = std::string(R"({"type":"track","messageId":"m1","userId":"wf","properties":{"email":")") +
                               kEmail + R"(","phone":")" + kPhone + R"("}})";
  const std::string other = R"({"type":"track","messageId":"m2","userId":"someone-else"})";  // no event name either
  Ingest("web.jsonl", identify + "\n" + rejected + "\n" + other + "\n", 2);
  const std::string bytes = FileBytes();
  ASSERT_FALSE(bytes.empty());
  ExpectNoPii(bytes);
  EXPECT_NE(bytes.find(R"("line":2,"source":"web","error":"missing required field 'event')"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find(R"("bytes":)" + std::to_string(rejected.size())), std::string::npos) << bytes;
  std::vector<std::string> opened = Opened();
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_NE(opened[0].find(kEmail), std::string::npos) << opened[0];
  EXPECT_NE(opened[0].find(kPhone), std::string::npos) << opened[0];

  // Erasure by the e-mail address drops the record holding it, and only that one.
  Engine::ErasureReport er;
  ASSERT_TRUE(engine_->privacy().ErasePerson(std::string("email:") + kEmail, &er).ok());
  EXPECT_EQ(er.dead_letters_removed, 1u);
  opened = Opened();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_NE(opened[0].find("someone-else"), std::string::npos) << opened[0];

  // Retention: kept within the default 30 days, dropped past them at the next open...
  OpenLater(20);
  EXPECT_EQ(Opened().size(), 1u);
  OpenLater(31);
  EXPECT_EQ(Opened().size(), 0u);
  // ... or past the window set, by `retention apply`.
  Ingest("web2.jsonl", other + "\n", 1);
  OpenLater(31 + 2);
  EXPECT_EQ(Opened().size(), 1u);
  ASSERT_TRUE(engine_->privacy().SetRetention(R"({"dead_letter": 1, "store_wifi": 30})").ok());
  auto json = engine_->privacy().RetentionJson();
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"dead_letter":1,"store_wifi":30})");
  Engine::RetentionReport rr;
  ASSERT_TRUE(engine_->privacy().ApplyRetention(&rr).ok());
  EXPECT_EQ(rr.dead_letters_expired, 1u);
  EXPECT_EQ(Opened().size(), 0u);
}

TEST_F(DeadLettersTest, AClearTextFileOfAnOlderVersionIsSealedAtTheNextOpen) {
  engine_.reset();
  const std::string legacy =
      std::string(R"({"file":"web.jsonl","line":2,"source":"web","error":"missing required field 'event'","raw":"{\"email\":\")") +
      kEmail + R"(\",\"phone\":\")" + kPhone + "\\\"}\"}\n";
  testing::WriteFile(dir_ / "data/dead_letter.jsonl", legacy);
  ASSERT_NE(FileBytes().find(kEmail), std::string::npos);
  Open();
  ExpectNoPii(FileBytes());
  EXPECT_EQ(FileBytes().find("\"raw\""), std::string::npos) << FileBytes();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data/dead_letter.jsonl.tmp"));
  std::vector<std::string> opened = Opened();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_NE(opened[0].find(kEmail), std::string::npos) << opened[0];
  EXPECT_NE(opened[0].find(R"("line":2,)"), std::string::npos) << opened[0];
}

TEST_F(DeadLettersTest, StoresWithoutTheVaultStillSeal) {
  engine_.reset();
  Options options = StoreOptions();
  options.pii_vault = false;  // --no-vault: addresses are dropped; the vault key still seals dead letters
  auto engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  engine_ = std::move(engine).value();
  Ingest("web.jsonl", std::string(R"({"type":"track","messageId":"m1","userId":"wf","properties":{"email":")") + kEmail +
                          R"("}})" + "\n",
         1);
  ExpectNoPii(FileBytes());
  ASSERT_EQ(Opened().size(), 1u);
}

}  // namespace
}  // namespace holo
