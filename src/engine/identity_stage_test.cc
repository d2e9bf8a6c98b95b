// IdentityStage on both backends: evidence written as an ingest write writes it, resolved by
// the stage; a withdrawn link, imported matches, policy changes (a full one and a
// match-threshold one) and a write that overlapped a resolve, each checked by the OneIDs the
// stage looks up afterwards.
#include "engine/identity_stage.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "identity/evidence_batch.h"
#include "storage/store.h"
#include "testing/store_backends.h"
#include "testing/test_util.h"

namespace holo::engine {
namespace {

using holo::testing::StoreBackend;
namespace keys = storage::keys;

class IdentityStageTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  using Ids = std::vector<std::pair<std::string, std::string>>;  // (type, raw value)

  // The evidence of one message carrying `ids` at `ts`, as ingestion gathers it.
  identity::EvidenceBatch Evidence(IdentityStage* stage, const Ids& ids, int64_t ts) {
    std::vector<identity::Sighting> sightings;
    for (const auto& [type, raw] : ids) {
      auto p = stage->PseudonymOf(type, raw);
      EXPECT_TRUE(p.ok() && p->has_value()) << type << ":" << raw;
      identity::Sighting s;
      s.node = **p;
      s.type = type;
      sightings.push_back(s);
    }
    identity::EvidenceBatch evidence;
    evidence.Add(sightings, ts, "web");
    return evidence;
  }
  // Writes `evidence` as an ingest write does (without its dirty marks with `unmarked`).
  void Write(IdentityStage* stage, const identity::EvidenceBatch& evidence, bool unmarked = false) {
    std::unordered_set<keys::Key16, keys::Key16Hash> marked;
    if (unmarked) {
      for (const auto& node : evidence.nodes()) marked.insert(node);
    }
    storage::WriteBatch batch(*store_);
    evidence.AppendTo(&batch, ++seq_, &marked);
    const bool begun = stage->BeginWrite();
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
    stage->Written(begun, evidence);
  }
  void Message(IdentityStage* stage, const Ids& ids, int64_t ts) { Write(stage, Evidence(stage, ids, ts)); }

  ResolveReport Resolve(IdentityStage* stage, bool full = false) {
    ResolveReport report;
    Status s = stage->Resolve(full, 1.0, "test", nullptr, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return report;
  }
  static uint64_t OneId(const IdentityStage& stage, std::string_view id) {
    auto oneid = stage.OneIdOf(id);
    if (oneid.status().code() == StatusCode::kNotFound) return 0;
    EXPECT_TRUE(oneid.ok()) << id << ": " << oneid.status().ToString();
    return oneid.ok() ? *oneid : 0;
  }

  holo::testing::ScratchStore store_{GetParam(), "identity_stage"};
  privacy::Pseudonymizer pseudonymizer_{privacy::Pseudonymizer::NewKey()};
  ingest::ParserOptions parser_options_ = ingest::ParserOptions::Defaults();
  uint64_t seq_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, IdentityStageTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(IdentityStageTest, ResolvesAndAWithdrawnLinkSplits) {
  IdentityStage stage(store_.get(), pseudonymizer_, parser_options_, identity::MergePolicy());
  Message(&stage, {{"email", "a@example.com"}, {"phone", "13800000001"}}, 1000);
  Message(&stage, {{"phone", "13800000001"}, {"device_id", "dev-1"}}, 2000);
  EXPECT_EQ(OneId(stage, "email:a@example.com"), 0u);  // not resolved yet
  const ResolveReport first = Resolve(&stage);
  EXPECT_EQ(first.dirty_nodes, 3u);
  const uint64_t person = OneId(stage, "email:a@example.com");
  EXPECT_NE(person, 0u);
  EXPECT_EQ(OneId(stage, "phone:13800000001"), person);
  EXPECT_EQ(OneId(stage, "device_id:dev-1"), person);
  auto lookup = stage.LookupOneId("device_id", "dev-1");
  ASSERT_TRUE(lookup.ok());
  EXPECT_EQ(*lookup, person);
  auto nodes = stage.NodesOf(std::to_string(person));
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(nodes->size(), 3u);

  ASSERT_TRUE(stage.WithdrawLink("phone:13800000001", "device_id:dev-1", "operator", 3000).ok());
  Resolve(&stage);
  EXPECT_EQ(OneId(stage, "phone:13800000001"), OneId(stage, "email:a@example.com"));
  EXPECT_NE(OneId(stage, "device_id:dev-1"), OneId(stage, "phone:13800000001"));
  EXPECT_NE(OneId(stage, "device_id:dev-1"), 0u);
  auto explained = stage.Explain("email:a@example.com", "device_id:dev-1", 0);
  ASSERT_TRUE(explained.ok()) << explained.status().ToString();
  EXPECT_FALSE(explained->same_person);

  EXPECT_EQ(stage.WithdrawLink("phone:13800000001", "email:nobody@example.com", "operator", 4000).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(stage.EraseIdentifier("device_id:dev-1").ok());
  Resolve(&stage);
  EXPECT_EQ(OneId(stage, "device_id:dev-1"), 0u);
  EXPECT_EQ(stage.EraseIdentifier("device_id:dev-1").code(), StatusCode::kNotFound);
  std::ostringstream feed;
  ASSERT_TRUE(stage.Feed(0, feed).ok());
  EXPECT_NE(feed.str().find("\"seq\":1,"), std::string::npos) << feed.str();
}

TEST_P(IdentityStageTest, APolicyChangeIsStoredAndResolvesInFull) {
  IdentityStage stage(store_.get(), pseudonymizer_, parser_options_, identity::MergePolicy());
  Message(&stage, {{"email", "b@example.com"}, {"device_id", "dev-2"}}, 1000);
  Resolve(&stage);
  EXPECT_EQ(OneId(stage, "email:b@example.com"), OneId(stage, "device_id:dev-2"));

  const std::string toml = "gateway_types = [\"device_id\"]\n";
  auto dry = stage.DryRunPolicy(toml, 10);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_NE(dry->json.find("\"splits\":1"), std::string::npos) << dry->json;
  EXPECT_EQ(OneId(stage, "email:b@example.com"), OneId(stage, "device_id:dev-2"));  // a dry run changes nothing

  bool full = false;
  ASSERT_TRUE(stage.ApplyPolicy(toml, &full).ok());
  EXPECT_TRUE(full);
  EXPECT_EQ(stage.policy().gateway_types, std::vector<std::string>{"device_id"});
  EXPECT_NE(stage.PolicyToml().find("device_id"), std::string::npos);
  const ResolveReport report = Resolve(&stage, full);
  EXPECT_TRUE(report.full_graph);
  EXPECT_NE(OneId(stage, "email:b@example.com"), OneId(stage, "device_id:dev-2"));

  // The next open reads the policy in force from the store.
  auto loaded = IdentityStage::LoadPolicy(*store_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->gateway_types, std::vector<std::string>{"device_id"});
  EXPECT_FALSE(stage.ApplyPolicy("max_phones = \"many\"\n", &full).ok());
  EXPECT_EQ(stage.policy().gateway_types, std::vector<std::string>{"device_id"});  // unchanged
}

TEST_P(IdentityStageTest, ImportedMatchesJoinUntilTheThresholdRisesAboveThem) {
  IdentityStage stage(store_.get(), pseudonymizer_, parser_options_, identity::MergePolicy());
  Message(&stage, {{"email", "c@example.com"}}, 1000);
  Message(&stage, {{"email", "c.other@example.com"}}, 1000);
  Resolve(&stage);
  EXPECT_NE(OneId(stage, "email:c@example.com"), OneId(stage, "email:c.other@example.com"));

  holo::testing::TempDir dir("identity_stage_pairs");
  const std::string pairs = dir / "pairs.csv";
  std::ofstream(pairs) << "id_a,id_b,weight\n1:c@example.com,1:c.other@example.com,0.9\n2:bad,1:,0.9\n";
  Engine::MatchImport import;
  import.type_a = "email";
  ASSERT_TRUE(stage.ImportMatches(pairs, 2000, &import).ok());
  EXPECT_EQ(import.imported, 1u);
  Resolve(&stage);
  EXPECT_EQ(OneId(stage, "email:c@example.com"), OneId(stage, "email:c.other@example.com"));

  bool full = true;
  ASSERT_TRUE(stage.ApplyPolicy("min_match_weight = 0.95\n", &full).ok());
  EXPECT_FALSE(full);  // only the matches the threshold crosses are resolved again
  const ResolveReport report = Resolve(&stage, full);
  EXPECT_FALSE(report.full_graph);
  EXPECT_NE(OneId(stage, "email:c@example.com"), OneId(stage, "email:c.other@example.com"));
}

TEST_P(IdentityStageTest, AWriteThatOverlappedAResolveIsMarkedAgain) {
  IdentityStage stage(store_.get(), pseudonymizer_, parser_options_, identity::MergePolicy());
  // A write whose dirty marks a resolve deleted looks, to the next resolve, like one that
  // wrote none: it is not resolved.
  Write(&stage, Evidence(&stage, {{"email", "d@example.com"}}, 1000), /*unmarked=*/true);
  EXPECT_EQ(Resolve(&stage).dirty_nodes, 0u);
  EXPECT_EQ(OneId(stage, "email:d@example.com"), 0u);
  // Told that it began while a resolve ran, the stage marks its nodes again.
  const identity::EvidenceBatch evidence = Evidence(&stage, {{"email", "d@example.com"}}, 1000);
  stage.Written(/*begun=*/true, evidence);
  EXPECT_EQ(Resolve(&stage).dirty_nodes, 1u);
  EXPECT_NE(OneId(stage, "email:d@example.com"), 0u);
}

}  // namespace
}  // namespace holo::engine
