// Identity's part of an ingest write, on RocksDB and on the in-memory store: node and edge
// records added up by the merge operator across writes, explicit links only between
// identifiers that share a link group, dirty marks once per node per run, and partner-match
// tags written with the first mark of their node, looked up and erased.
#include "identity/evidence_batch.h"

#include <gtest/gtest.h>

#include "common/coding.h"
#include "identity/match_tags.h"
#include "identity/resolver.h"
#include "testing/store_backends.h"

namespace holo::identity {
namespace {

namespace keys = storage::keys;

keys::Key16 Node(uint8_t b) {
  keys::Key16 k{};
  k.fill(b);
  return k;
}

storage::StatsRecord Read(const storage::Store& store, storage::Cf cf, const std::string& key) {
  auto v = store.Get(cf, key);
  EXPECT_TRUE(v.ok() && v->has_value()) << key.size();
  storage::StatsRecord r;
  if (v.ok() && v->has_value()) EXPECT_TRUE(storage::StatsRecord::Decode(**v, &r));
  return r;
}

using holo::testing::StoreBackend;

class EvidenceBatchTest : public ::testing::TestWithParam<StoreBackend> {};

INSTANTIATE_TEST_SUITE_P(Backends, EvidenceBatchTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(EvidenceBatchTest, NodesEdgesAndLinksAddUpAcrossWrites) {
  holo::testing::ScratchStore store(GetParam(), "evidence_batch_test");
  const keys::Key16 a = Node(1), b = Node(2), c = Node(3);
  std::unordered_set<keys::Key16, keys::Key16Hash> marked;
  {
    EvidenceBatch evidence;
    // An alias: a and b share a link group, c (a device on the same message) only co-occurs.
    evidence.Add({{a, "user_id@taobao", 2}, {b, "anonymous_id@web", 2}, {c, "device_id", 0}}, 1000, "web");
    evidence.Add({{a, "user_id@taobao", 0}, {c, "device_id", 0}}, 500, "app");
    EXPECT_EQ(evidence.nodes().size(), 3u);
    storage::WriteBatch batch(*store);
    evidence.AppendTo(&batch, 7, &marked);
    ASSERT_TRUE(store->Write(&batch, true).ok());
  }
  storage::StatsRecord na = Read(*store, storage::Cf::kNodes, std::string(keys::AsView(a)));
  EXPECT_EQ(na.count, 2u);
  EXPECT_EQ(na.first_ts, 500);
  EXPECT_EQ(na.last_ts, 1000);
  EXPECT_EQ(na.tail, "user_id@taobao");
  storage::StatsRecord ab = Read(*store, storage::Cf::kEdges, keys::EdgeKey(a, b));
  EXPECT_EQ(ab.kind, static_cast<uint8_t>(EdgeKind::kExplicitLink));
  storage::StatsRecord ac = Read(*store, storage::Cf::kEdges, keys::EdgeKey(a, c));
  EXPECT_EQ(ac.kind, static_cast<uint8_t>(EdgeKind::kCooccurrence));
  EXPECT_EQ(ac.count, 2u);
  EXPECT_EQ(ac.tail, "app");  // the source of the first sighting
  storage::StatsRecord ca = Read(*store, storage::Cf::kEdges, keys::EdgeKey(c, a));
  EXPECT_EQ(ca.count, 2u);  // both directions
  auto list = store->Get(storage::Cf::kMeta, keys::DirtyList(7));
  ASSERT_TRUE(list.ok() && list->has_value());
  EXPECT_EQ((*list)->size(), 3 * 16u);

  // A second write of the same run: counts add up in the store; nodes marked already are
  // not listed again.
  EvidenceBatch more;
  more.Add({{a, "user_id@taobao", 0}, {Node(4), "phone", 0}}, 2000, "web");
  storage::WriteBatch batch(*store);
  more.AppendTo(&batch, 9, &marked);
  ASSERT_TRUE(store->Write(&batch, true).ok());
  EXPECT_EQ(Read(*store, storage::Cf::kNodes, std::string(keys::AsView(a))).count, 3u);
  auto list2 = store->Get(storage::Cf::kMeta, keys::DirtyList(9));
  ASSERT_TRUE(list2.ok() && list2->has_value());
  EXPECT_EQ(**list2, std::string(keys::AsView(Node(4))));
}

TEST_P(EvidenceBatchTest, MatchTagsOncePerRunLookedUpAndErased) {
  holo::testing::ScratchStore store(GetParam(), "evidence_batch_tags_test");
  const keys::Key16 email = Node(5), phone = Node(6), tag_e = Node(0xe0), tag_p = Node(0xe1);
  std::unordered_set<keys::Key16, keys::Key16Hash> marked;
  {
    EvidenceBatch evidence;
    evidence.Add({{email, "email", 0}, {phone, "phone", 0}}, 1000, "web");
    evidence.AddMatchTag(tag_e, email);
    evidence.AddMatchTag(tag_p, phone);
    storage::WriteBatch batch(*store);
    evidence.AppendTo(&batch, 3, &marked);
    ASSERT_TRUE(store->Write(&batch, true).ok());
  }
  auto v = store->Get(storage::Cf::kGraph, keys::MatchTagKey(tag_e));
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, std::string(keys::AsView(email)));
  {
    // Later in the run the node is marked already: its tag is not written again.
    ASSERT_TRUE(store->Put(storage::Cf::kGraph, keys::MatchTagKey(tag_e), "sentinel", true).ok());
    EvidenceBatch again;
    again.Add({{email, "email", 0}}, 2000, "web");
    again.AddMatchTag(tag_e, email);
    storage::WriteBatch batch(*store);
    again.AppendTo(&batch, 4, &marked);
    ASSERT_TRUE(store->Write(&batch, true).ok());
    EXPECT_EQ(**store->Get(storage::Cf::kGraph, keys::MatchTagKey(tag_e)), "sentinel");
    ASSERT_TRUE(store->Put(storage::Cf::kGraph, keys::MatchTagKey(tag_e), keys::AsView(email), true).ok());
  }
  // No OneIDs yet (not resolved): nothing matches.
  const std::vector<keys::Key16> tags{tag_e, tag_p, Node(0xee)};
  auto none = OneIdsOfMatchTags(*store, tags);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::string id7;
  coding::PutFixed64BE(&id7, 7);
  ASSERT_TRUE(store->Put(storage::Cf::kGraph, keys::NodeOneIdKey(email), id7, true).ok());
  ASSERT_TRUE(store->Put(storage::Cf::kGraph, keys::NodeOneIdKey(phone), id7, true).ok());
  auto found = OneIdsOfMatchTags(*store, tags);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, (std::vector<uint64_t>{7, 7}));
  EXPECT_TRUE(*HasMatchTags(*store));
  // Erasure's part: the tags of the erased nodes go, others stay.
  storage::WriteBatch erase(*store);
  auto erased = EraseMatchTags(*store, {email}, &erase);
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(*erased, 1u);
  ASSERT_TRUE(store->Write(&erase, true).ok());
  EXPECT_FALSE(store->Get(storage::Cf::kGraph, keys::MatchTagKey(tag_e))->has_value());
  EXPECT_TRUE(store->Get(storage::Cf::kGraph, keys::MatchTagKey(tag_p))->has_value());
}

}  // namespace
}  // namespace holo::identity
