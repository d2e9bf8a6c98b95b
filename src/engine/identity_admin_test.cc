// Reversible merges against a real store: removing evidence (a deleted event, a
// withdrawn link, an erased identifier, a raised match threshold) splits what it
// had joined, returns each part to its own OneID, records the split in the feed
// and keeps history for as-of questions. The last test uses the generator's
// household trap: a bad link between two members of one household.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/time_util.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "testing/test_util.h"

namespace holo {
namespace {

std::string Identify(const std::string& id, const std::string& user, const std::string& device,
                     const std::string& ts, const std::string& external = "") {
  std::string ext = external.empty() ? "" : R"(,"externalIds":[)" + external + "]";
  return R"({"type":"identify","messageId":")" + id + R"(","timestamp":")" + ts + R"(","userId":")" + user +
         R"(","context":{"device":{"id":")" + device + R"("})" + ext + "}}\n";
}
std::string External(const std::string& type, const std::string& value) {
  return R"({"id":")" + value + R"(","type":")" + type + R"(","collection":"users","encoding":"none"})";
}

class IdentityAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.data_dir = dir_ / "data";
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  void Ingest(const std::string& name, const std::string& content, const std::string& source = "") {
    testing::WriteFile(dir_ / name, content);
    IngestReport report;
    IngestOptions options;
    options.source = source;
    options.full_threshold = 1.0;
    Status s = engine_->Ingest({dir_ / name}, options, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(report.rejected, 0u);
  }
  uint64_t OneId(const std::string& type, const std::string& value) {
    auto id = engine_->LookupOneId(type, value);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::vector<std::string> Feed(uint64_t since = 0) {
    std::ostringstream out;
    EXPECT_TRUE(engine_->identity().IdentityFeed(since, out).ok());
    return testing::Lines(out.str());
  }
  // Mom (taobao) and dad (alipay), each with a phone; no evidence joins them.
  void TwoPeople() {
    Ingest("taobao.jsonl", Identify("t1", "mom", "mom-phone", "2026-10-01T10:00:00Z") +
                               Identify("t2", "mom", "mom-phone", "2026-10-02T10:00:00Z"));
    Ingest("alipay.jsonl", Identify("a1", "dad", "dad-phone", "2026-10-01T12:00:00Z"));
    mom_ = OneId("user_id@taobao", "mom");
    dad_ = OneId("user_id@alipay", "dad");
    ASSERT_NE(mom_, 0u);
    ASSERT_NE(dad_, 0u);
    ASSERT_NE(mom_, dad_);
  }
  // A buggy taobao release sends a membership identify that links mom's and dad's accounts.
  void WrongLink(const std::string& message_id) {
    Ingest("bad.jsonl", Identify(message_id, "mom", "bad-device", "2026-10-05T09:00:00Z",
                                 External("alipay_id", "dad")),
           "taobao");
  }

  testing::TempDir dir_{"identity_admin_test"};
  std::unique_ptr<Engine> engine_;
  uint64_t mom_ = 0;
  uint64_t dad_ = 0;
};

TEST_F(IdentityAdminTest, DeletingTheEventThatMergedTwoPeopleSplitsThemBackToTheirOwnOneIds) {
  TwoPeople();
  WrongLink("bad-1");
  ASSERT_EQ(OneId("user_id@alipay", "dad"), mom_) << "the bad link merges them (the older OneID is kept)";
  auto feed = Feed();
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_NE(feed[0].find(R"("type":"merge")"), std::string::npos) << feed[0];

  ResolveReport report;
  ASSERT_TRUE(engine_->identity().DeleteEvent("taobao", "bad-1", &report).ok());
  EXPECT_FALSE(report.full_graph) << "only the affected component is re-resolved";
  EXPECT_EQ(report.splits, 1u);
  EXPECT_EQ(OneId("user_id@taobao", "mom"), mom_);
  EXPECT_EQ(OneId("device_id", "mom-phone"), mom_);
  EXPECT_EQ(OneId("user_id@alipay", "dad"), dad_) << "un-merging returns dad to his own OneID";
  EXPECT_EQ(OneId("device_id", "dad-phone"), dad_);
  feed = Feed(1);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_NE(feed[0].find(R"("type":"split")"), std::string::npos) << feed[0];
  EXPECT_NE(feed[0].find(R"("cause":"delete-event")"), std::string::npos) << feed[0];
  EXPECT_NE(feed[0].find(R"("seq":2)"), std::string::npos) << feed[0];

  // The event is gone: deleting it again is a clear NotFound; re-sending it re-ingests it.
  Status again = engine_->identity().DeleteEvent("taobao", "bad-1", &report);
  EXPECT_EQ(again.code(), StatusCode::kNotFound) << again.ToString();
  EXPECT_NE(again.message().find("bad-1"), std::string::npos);
  // Mom's own identify events still hold her phone: deleting one keeps the edge.
  ASSERT_TRUE(engine_->identity().DeleteEvent("taobao", "t1", &report).ok());
  EXPECT_EQ(OneId("device_id", "mom-phone"), mom_);
}

TEST_F(IdentityAdminTest, WithdrawnLinkSplitsAndStaysWithdrawnWhenTheEvidenceComesBack) {
  TwoPeople();
  WrongLink("bad-1");
  ASSERT_EQ(OneId("user_id@alipay", "dad"), mom_);
  ResolveReport report;
  ASSERT_TRUE(engine_->identity().WithdrawLink("user_id@taobao:mom", "alipay_id:dad", "customer complaint", &report).ok());
  EXPECT_EQ(report.splits, 1u);
  EXPECT_EQ(OneId("user_id@alipay", "dad"), dad_);
  WrongLink("bad-2");  // the same bad link again, in a new message
  EXPECT_EQ(OneId("user_id@alipay", "dad"), dad_) << "a withdrawn pair never counts again";
  auto ex = engine_->identity().Explain("user_id@taobao:mom", "user_id@alipay:dad");
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_FALSE(ex->same_person);
  EXPECT_NE(ex->text.find("a withdrawn link keeps them apart"), std::string::npos) << ex->text;
  Status unknown = engine_->identity().WithdrawLink("user_id@taobao:mom", "user_id@taobao:nobody", "x", &report);
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
}

TEST_F(IdentityAdminTest, ErasingTheBridgeSplitsAndLeavesNoTraceOfTheIdentifier) {
  TwoPeople();
  WrongLink("bad-1");
  ResolveReport report;
  ASSERT_TRUE(engine_->identity().EraseIdentifier("alipay_id:dad", &report).ok());
  EXPECT_EQ(report.splits, 1u);
  EXPECT_EQ(OneId("user_id@alipay", "dad"), 0u) << "the erased identifier is unknown";
  EXPECT_EQ(OneId("device_id", "mom-phone"), mom_);
  EXPECT_NE(OneId("device_id", "dad-phone"), mom_);
  EXPECT_EQ(engine_->identity().Explain("alipay_id:dad", "user_id@taobao:mom").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*engine_->identity().LookupOneIdAsOf("user_id@alipay", "dad", NowMs()), 0u)
      << "its history is erased too";
  EXPECT_EQ(engine_->identity().EraseIdentifier("alipay_id:dad", &report).code(), StatusCode::kNotFound);
}

TEST_F(IdentityAdminTest, HistoryAnswersWhoWasWhoOnAPastDate) {
  TwoPeople();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t before_merge = NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WrongLink("bad-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t while_merged = NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ResolveReport report;
  ASSERT_TRUE(engine_->identity().DeleteEvent("taobao", "bad-1", &report).ok());

  EXPECT_EQ(*engine_->identity().LookupOneIdAsOf("user_id@alipay", "dad", before_merge), dad_);
  EXPECT_EQ(*engine_->identity().LookupOneIdAsOf("user_id@alipay", "dad", while_merged), mom_);
  EXPECT_EQ(*engine_->identity().LookupOneIdAsOf("user_id@alipay", "dad", NowMs()), dad_);
  EXPECT_EQ(*engine_->identity().LookupOneIdAsOf("user_id@alipay", "dad", 1000), 0u) << "not yet seen in 1970";
  auto then = engine_->identity().Explain("user_id@taobao:mom", "user_id@alipay:dad", while_merged);
  ASSERT_TRUE(then.ok());
  EXPECT_TRUE(then->same_person) << then->text;
  auto now = engine_->identity().Explain("user_id@taobao:mom", "user_id@alipay:dad");
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE(now->same_person) << now->text;
}

TEST_F(IdentityAdminTest, MatchEdgesAreWeakerEvidenceGovernedByRulesAndThreshold) {
  TwoPeople();
  Ingest("eleme.jsonl", Identify("e1", "E1", "e-phone", "2026-10-03T10:00:00Z"));
  const uint64_t eleme = OneId("user_id@eleme", "E1");
  // holo match linked eleme's E1 to taobao's mom (weight 12.5) and to a second
  // taobao account (weight 9): a person has one taobao account, so the weaker
  // match is refused.
  Ingest("taobao2.jsonl", Identify("t9", "other", "other-phone", "2026-10-03T11:00:00Z"));
  testing::WriteFile(dir_ / "pairs.csv",
                     "id_a,id_b,weight,probability\n1:E1,2:mom,12.5,0.999\n1:E1,2:other,9.0,0.99\n1:E1,2:ghost,1e,0\n");
  Engine::MatchImport import;
  import.type_a = "user_id@eleme";
  import.type_b = "user_id@taobao";
  ResolveReport report;
  Status bad = engine_->identity().ImportMatches(dir_ / "pairs.csv", &import, &report);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << "a bad weight names the line";
  EXPECT_NE(bad.message().find("pairs.csv:4"), std::string::npos) << bad.ToString();
  testing::WriteFile(dir_ / "pairs.csv", "id_a,id_b,weight,probability\n1:E1,2:mom,12.5,0.999\n1:E1,2:other,9.0,0.99\n");
  ASSERT_TRUE(engine_->identity().ImportMatches(dir_ / "pairs.csv", &import, &report).ok());
  EXPECT_EQ(import.imported, 2u);
  EXPECT_EQ(OneId("user_id@eleme", "E1"), mom_) << "the stronger match joins";
  EXPECT_NE(OneId("user_id@taobao", "other"), mom_) << "the weaker one breaks the one-account rule";
  auto ex = engine_->identity().Explain("user_id@eleme:E1", "user_id@taobao:mom");
  ASSERT_TRUE(ex.ok());
  EXPECT_NE(ex->text.find("probabilistic match (weight 12.50)"), std::string::npos) << ex->text;
  EXPECT_NE(ex->json.find(R"("match_weight":12.5)"), std::string::npos) << ex->json;

  // A dry run of a stricter threshold shows the split without applying it.
  auto dry = engine_->identity().DryRunIdentityPolicy("min_match_weight = 15.0\n");
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_NE(dry->json.find(R"("splits":1)"), std::string::npos) << dry->json;
  EXPECT_EQ(OneId("user_id@eleme", "E1"), mom_);
  // Applying it re-resolves only the component whose match edge flips.
  ASSERT_TRUE(engine_->identity().ApplyIdentityPolicy("min_match_weight = 15.0\n", &report).ok());
  EXPECT_FALSE(report.full_graph);
  EXPECT_EQ(report.splits, 1u);
  EXPECT_EQ(OneId("user_id@taobao", "mom"), mom_);
  EXPECT_EQ(OneId("user_id@eleme", "E1"), eleme) << "E1 gets its own OneID back";
  EXPECT_NE(engine_->identity().IdentityPolicy()->find("min_match_weight = 15"), std::string::npos);
  EXPECT_EQ(engine_->identity().ApplyIdentityPolicy("max_phones = 0\n", &report).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->identity().ApplyIdentityPolicy("max_phone = 3\n", &report).code(), StatusCode::kInvalidArgument);
}

TEST_F(IdentityAdminTest, ClusterSizeMonitorAlertsWhenAMergeWaveHits) {
  // Twenty people, each an account with two devices.
  std::string events;
  for (int p = 0; p < 20; ++p) {
    for (int d = 0; d < 2; ++d) {
      events += Identify("m" + std::to_string(p) + "-" + std::to_string(d), "u" + std::to_string(p),
                         "dev" + std::to_string(p) + "-" + std::to_string(d), "2026-10-01T10:00:00Z");
    }
  }
  Ingest("taobao.jsonl", events);
  auto first = engine_->identity().MonitorClusterSizes(0.05, true);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->alert);
  auto same = engine_->identity().MonitorClusterSizes(0.05, true);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->alert) << same->text;
  // A bad source links every account to the next one: one 60-identifier OneID.
  std::string wave;
  for (int p = 0; p + 1 < 20; ++p) {
    wave += Identify("w" + std::to_string(p), "u" + std::to_string(p), "dev" + std::to_string(p) + "-0",
                     "2026-10-02T10:00:00Z", External("eleme_id", "e" + std::to_string(p)));
    wave += Identify("x" + std::to_string(p), "u" + std::to_string(p + 1), "dev" + std::to_string(p + 1) + "-0",
                     "2026-10-02T10:00:00Z", External("alipay_id", "a" + std::to_string(p)));
    wave += Identify("y" + std::to_string(p), "u" + std::to_string(p), "dev" + std::to_string(p) + "-1",
                     "2026-10-02T10:00:00Z", External("alipay_id", "a" + std::to_string(p)));
  }
  Ingest("wave.jsonl", wave);
  auto after = engine_->identity().MonitorClusterSizes(0.05, true);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->alert) << after->text;
  EXPECT_NE(after->text.find("ALERT"), std::string::npos);
}

// The generator's household trap: two members of one household, a bad link
// between them, and its removal restoring exactly the resolution before.
TEST(IdentityTrapTest, HouseholdMembersWronglyLinkedAreSplitBackExactly) {
  testing::TempDir dir("identity_trap_test");
  WorldOptions world;
  world.persons = 400;
  world.seed = 11;
  world.out_dir = dir / "world";
  WorldStats stats;
  std::filesystem::create_directories(world.out_dir);
  ASSERT_TRUE(GenerateWorld(world, &stats, nullptr).ok());
  Options options;
  options.data_dir = dir / "data";
  auto engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok());
  IngestReport ingest;
  ASSERT_TRUE((*engine)->Ingest({world.out_dir}, IngestOptions(), &ingest).ok());
  auto baseline = EvaluateIdentity(**engine, dir / "world/truth.csv", dir / "world/truth_linkable.csv");
  ASSERT_TRUE(baseline.ok());

  // Two members of one household: A with a taobao account and no alipay, B the reverse.
  std::map<std::string, std::map<std::string, std::string>> ids;  // person -> type -> a value
  for (const std::string& line : testing::Lines(testing::ReadFile(dir / "world/truth.csv"))) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() == 4) ids[f[3]].emplace(f[1], f[2]);
  }
  std::map<std::string, std::vector<std::string>> households;
  for (const std::string& line : testing::Lines(testing::ReadFile(dir / "world/persons.csv"))) {
    auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    if (line.starts_with("p")) households[line.substr(c1 + 1, c2 - c1 - 1)].push_back(line.substr(0, c1));
  }
  std::string a_taobao, b_alipay;
  for (const auto& [h, members] : households) {
    if (members.size() < 2) continue;
    auto& a = ids[members[0]];
    auto& b = ids[members[1]];
    if (a.count("user_id@taobao") && !a.count("user_id@alipay") && b.count("user_id@alipay") &&
        !b.count("user_id@taobao")) {
      a_taobao = a["user_id@taobao"];
      b_alipay = b["user_id@alipay"];
      break;
    }
  }
  ASSERT_FALSE(a_taobao.empty()) << "the world has such a household";
  const uint64_t a_id = *(*engine)->LookupOneId("user_id@taobao", a_taobao);
  const uint64_t b_id = *(*engine)->LookupOneId("user_id@alipay", b_alipay);
  ASSERT_NE(a_id, b_id);


  testing::WriteFile(dir / "bad.jsonl", Identify("bad-1", a_taobao, "bad-device", "2026-11-02T09:00:00Z",
                                                 External("alipay_id", b_alipay)));
  IngestOptions as_taobao;
  as_taobao.source = "taobao";  // the userId is a taobao account
  ASSERT_TRUE((*engine)->Ingest({dir / "bad.jsonl"}, as_taobao, &ingest).ok());
  ASSERT_EQ(*(*engine)->LookupOneId("user_id@alipay", b_alipay), std::min(a_id, b_id)) << "merged, older OneID kept";
  ASSERT_EQ(*(*engine)->LookupOneId("user_id@taobao", a_taobao), std::min(a_id, b_id));
  auto merged = EvaluateIdentity(**engine, dir / "world/truth.csv", dir / "world/truth_linkable.csv");
  ASSERT_TRUE(merged.ok());
  EXPECT_LT(merged->precision, baseline->precision) << "the bad link fused two people";

  ResolveReport report;
  ASSERT_TRUE((*engine)->identity().DeleteEvent("taobao", "bad-1", &report).ok());
  EXPECT_EQ(report.splits, 1u);
  EXPECT_EQ(*(*engine)->LookupOneId("user_id@taobao", a_taobao), a_id);
  EXPECT_EQ(*(*engine)->LookupOneId("user_id@alipay", b_alipay), b_id);
  auto after = EvaluateIdentity(**engine, dir / "world/truth.csv", dir / "world/truth_linkable.csv");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->predicted_pairs, baseline->predicted_pairs);
  EXPECT_EQ(after->correct_pairs, baseline->correct_pairs);
  EXPECT_EQ(after->oneids, baseline->oneids);

  // The household's shared tablets are reported as hubs, not merged.
  auto hubs = (*engine)->identity().IdentityHubs(5);
  ASSERT_TRUE(hubs.ok());
  EXPECT_NE(hubs->json.find("seen with two accounts of one namespace"), std::string::npos) << hubs->text;
}

}  // namespace
}  // namespace holo
