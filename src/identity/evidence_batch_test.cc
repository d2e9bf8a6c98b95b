// Identity's part of an ingest write, on RocksDB and on the in-memory store: node and edge
// records added up by the merge operator across writes, explicit links only between
// identifiers that share a link group, and dirty marks once per node per run.
#include "identity/evidence_batch.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace holo::identity
