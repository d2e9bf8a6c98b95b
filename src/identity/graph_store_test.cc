// The identity stage on a store: evidence written as ingestion writes it (node and edge
// stats merges, dirty marks), resolved by ResolvePending, read back by the look-ups,
// changed by the evidence functions. Every case runs on RocksDB and on the in-memory
// store: the stage needs nothing of RocksDB's.
#include "identity/graph_store.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "identity/evidence.h"
#include "identity/graph_loader.h"
#include "storage/keys.h"
#include "testing/store_backends.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;

using holo::testing::StoreBackend;

class GraphStoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  // The node of identifier `name` (a hash of the name, so key order is not name order).
  static NodeKey Node(const std::string& name) {
    NodeKey k{};
    const uint64_t h = std::hash<std::string>()(name);
    for (int i = 0; i < 8; ++i) k[i] = static_cast<uint8_t>(h >> (8 * i));
    for (int i = 0; i < 8 && i < static_cast<int>(name.size()); ++i) k[8 + i] = static_cast<uint8_t>(name[i]);
    return k;
  }

  // Writes one message that carries the identifiers `ids` (name, type) at `ts`, as
  // ingestion does: node stats merges, co-occurrence edges both ways, dirty marks.
  void Message(const std::vector<std::pair<std::string, std::string>>& ids, int64_t ts,
               const std::string& source = "taobao") {
    storage::WriteBatch batch(*store_);
    for (const auto& [name, type] : ids) {
      batch.Merge(Cf::kNodes, keys::AsView(Node(name)), storage::StatsRecord{0, ts, ts, 1, type}.Encode());
      batch.Put(Cf::kMeta, keys::DirtyNode(Node(name)), "");
    }
    const uint8_t kind = static_cast<uint8_t>(EdgeKind::kCooccurrence);
    for (const auto& a : ids) {
      for (const auto& b : ids) {
        if (a.first == b.first) continue;
        batch.Merge(Cf::kEdges, keys::EdgeKey(Node(a.first), Node(b.first)),
                    storage::StatsRecord{kind, ts, ts, 1, source}.Encode());
      }
    }
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
  }

  ResolveStats Resolve(int64_t now_ms) {
    ResolveOptions options;
    options.now_ms = now_ms;
    ResolveStats stats;
    Status s = ResolvePending(store_.get(), options, &stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return stats;
  }

  uint64_t OneId(const std::string& name) {
    auto id = LookupOneId(*store_, Node(name));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  holo::testing::ScratchStore store_{GetParam(), "graph_store_test"};
};

INSTANTIATE_TEST_SUITE_P(Backends, GraphStoreTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(GraphStoreTest, LoginOnDeviceJoinsAccountsAcrossAppsAndTheOlderIdIsKept) {
  Message({{"tb", "user_id@taobao"}, {"phone1", "device_id"}}, 1000);
  Message({{"ap", "user_id@alipay"}, {"phone1", "device_id"}, {"mac1", "mac"}}, 2000, "alipay");
  Message({{"tb2", "user_id@taobao"}, {"phone2", "device_id"}}, 3000);
  for (int i = 0; i < 6; ++i) {  // others, so that a small change is resolved incrementally
    Message({{"other" + std::to_string(i), "user_id@taobao"}, {"otherphone" + std::to_string(i), "device_id"}}, 3000);
  }
  ResolveStats first = Resolve(10000);
  EXPECT_TRUE(first.full);
  EXPECT_EQ(first.resolved_nodes, 18u);
  const uint64_t person = OneId("tb");
  ASSERT_NE(person, 0u);
  EXPECT_EQ(OneId("ap"), person);
  EXPECT_EQ(OneId("mac1"), person);
  EXPECT_NE(OneId("tb2"), person);
  EXPECT_NE(OneId("tb2"), 0u);
  EXPECT_EQ(OneId("unknown"), 0u);
  auto members = Members(*store_, person);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 4u);
  auto type = NodeType(*store_, Node("mac1"));
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(*type, "mac");
  std::vector<NodeKey> dirty;
  std::vector<std::string> lists;
  ASSERT_TRUE(ReadDirtyNodes(*store_, &dirty, &lists).ok());
  EXPECT_TRUE(dirty.empty());

  // A new identifier on the first person's phone joins it incrementally.
  Message({{"phone1", "device_id"}, {"email1", "email"}}, 20000);
  ResolveStats second = Resolve(30000);
  EXPECT_FALSE(second.full);
  EXPECT_EQ(OneId("email1"), person);
  auto before = LookupOneIdAsOf(*store_, Node("email1"), 15000);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0u);  // not yet seen then
  auto after = LookupOneIdAsOf(*store_, Node("email1"), 30000);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, person);
}

TEST_P(GraphStoreTest, StoredGraphResolvesAsTheResolverDoesInMemory) {
  Message({{"tb", "user_id@taobao"}, {"phone1", "device_id"}}, 1000);
  Message({{"ap", "user_id@alipay"}, {"phone1", "device_id"}}, 1000, "alipay");
  Message({{"tb2", "user_id@taobao"}, {"phone1", "device_id"}}, 1000);  // a shared phone
  Message({{"x", "email"}, {"y", "phone"}}, 1000);
  LoadedGraph loaded;
  ASSERT_TRUE(LoadFull(*store_, &loaded).ok());
  const Subgraph& g = loaded.builder.graph();
  EXPECT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.edges.size(), 4u);  // each undirected edge once
  Resolution direct = identity::Resolve(g, MergePolicy());
  Resolve(5000);
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    for (uint32_t j = 0; j < g.nodes.size(); ++j) {
      auto a = LookupOneId(*store_, g.nodes[i].key);
      auto b = LookupOneId(*store_, g.nodes[j].key);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(direct.component[i] == direct.component[j], *a == *b) << i << " " << j;
    }
  }
  EXPECT_NE(OneId("tb"), OneId("tb2"));  // two taobao accounts are two people
}

TEST_P(GraphStoreTest, WithdrawnPairSplitsAndErasedNodeLeaves) {
  Message({{"a", "email"}, {"b", "phone"}}, 1000);
  Message({{"b", "phone"}, {"c", "device_id"}}, 1000);
  Resolve(2000);
  const uint64_t person = OneId("a");
  EXPECT_EQ(OneId("c"), person);
  ASSERT_TRUE(WithdrawPair(store_.get(), Node("b"), Node("c"), "operator", 3000).ok());
  Resolve(4000);
  EXPECT_EQ(OneId("a"), OneId("b"));
  EXPECT_NE(OneId("b"), OneId("c"));
  ASSERT_TRUE(EraseNode(store_.get(), Node("a")).ok());
  Resolve(5000);
  EXPECT_EQ(OneId("a"), 0u);
  EXPECT_NE(OneId("b"), 0u);
  EXPECT_EQ(EraseNode(store_.get(), Node("a")).code(), StatusCode::kNotFound);
  std::vector<StoredEdge> edges;
  ASSERT_TRUE(ForEachEdge(*store_, Node("b"), [&](const StoredEdge& e) { edges.push_back(e); }).ok());
  ASSERT_EQ(edges.size(), 1u);  // a's edge is gone; c's pair is withdrawn, kept apart
  EXPECT_EQ(edges[0].to, Node("c"));
  EXPECT_EQ(edges[0].kind, EdgeKind::kApart);
}

TEST_P(GraphStoreTest, MatchesJoinAboveTheThresholdOnly) {
  Message({{"a", "email"}}, 1000);
  Message({{"b", "phone"}}, 1000);
  MatchLink link;
  link.a = Node("a");
  link.b = Node("b");
  link.type_a = "email";
  link.type_b = "phone";
  link.weight = 0.95f;
  ASSERT_TRUE(AddMatches(store_.get(), {link}, "crm", 2000).ok());
  Resolve(3000);
  EXPECT_EQ(OneId("a"), OneId("b"));
  auto changed = MarkMatchThresholdChange(store_.get(), 0.9, 0.99);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1u);
  auto unchanged = MarkMatchThresholdChange(store_.get(), 0.5, 0.6);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(*unchanged, 0u);
}

}  // namespace
}  // namespace holo::identity
