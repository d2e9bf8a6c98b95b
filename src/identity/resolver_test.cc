#include "identity/resolver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

namespace holo::identity {
namespace {

// Builds subgraphs by name: node "taobao:A" has type user_id@taobao, etc.
class GraphBuilder {
 public:
  uint32_t Node(const std::string& name, const std::string& type, int64_t ts = 0) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    uint16_t t;
    auto tt = std::find(g_.type_names.begin(), g_.type_names.end(), type);
    if (tt == g_.type_names.end()) {
      t = static_cast<uint16_t>(g_.type_names.size());
      g_.type_names.push_back(type);
    } else {
      t = static_cast<uint16_t>(tt - g_.type_names.begin());
    }
    GraphNode n;
    n.type_id = t;
    n.first_ts = ts;
    // Key: a hash of the name, so that node order and key order differ.
    uint64_t h = std::hash<std::string>()(name);
    for (int i = 0; i < 8; ++i) n.key[i] = static_cast<uint8_t>(h >> (8 * i));
    g_.nodes.push_back(n);
    return ids_[name] = static_cast<uint32_t>(g_.nodes.size() - 1);
  }
  void Edge(const std::string& a, const std::string& b, EdgeKind kind = EdgeKind::kCooccurrence,
            uint64_t count = 1) {
    g_.edges.push_back({ids_.at(a), ids_.at(b), kind, count});
  }
  void Match(const std::string& a, const std::string& b, float weight) {
    GraphEdge e{ids_.at(a), ids_.at(b), EdgeKind::kMatch, 1};
    e.weight = weight;
    g_.edges.push_back(e);
  }
  uint32_t Id(const std::string& name) const { return ids_.at(name); }
  Subgraph& g() { return g_; }

 private:
  Subgraph g_;
  std::map<std::string, uint32_t> ids_;
};

bool Together(const Resolution& r, uint32_t a, uint32_t b) { return r.component[a] == r.component[b]; }

TEST(ResolverTest, LoginOnDeviceJoinsAccountsAcrossApps) {
  GraphBuilder b;
  b.Node("tb", "user_id@taobao");
  b.Node("ap", "user_id@alipay");
  b.Node("phone1", "device_id");
  b.Node("mac1", "mac");
  b.Edge("tb", "phone1");
  b.Edge("ap", "phone1");
  b.Edge("phone1", "mac1");
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_EQ(r.num_components, 1u);
  EXPECT_TRUE(r.refused.empty());
}

TEST(ResolverTest, SharedTabletDoesNotFuseHousehold) {
  GraphBuilder b;
  b.Node("mom", "user_id@taobao");
  b.Node("dad", "user_id@taobao");
  b.Node("mom_phone", "device_id");
  b.Node("dad_phone", "device_id");
  b.Node("tablet", "device_id");
  b.Node("tablet_anon", "anonymous_id@youku");
  b.Node("dad_youku", "user_id@youku");
  b.Edge("mom", "mom_phone");
  b.Edge("dad", "dad_phone");
  b.Edge("mom", "tablet");
  b.Edge("dad", "tablet");
  // The youku install on the tablet is used by dad only: still a shared install.
  b.Edge("tablet", "tablet_anon");
  b.Edge("tablet_anon", "dad_youku");
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_FALSE(Together(r, b.Id("mom"), b.Id("dad")));
  EXPECT_TRUE(r.shared[b.Id("tablet")]);
  EXPECT_TRUE(r.shared[b.Id("tablet_anon")]);
  EXPECT_FALSE(Together(r, b.Id("tablet"), b.Id("mom")));
  EXPECT_FALSE(Together(r, b.Id("tablet_anon"), b.Id("dad_youku")));
  // The tablet's own identifiers stay together, as the household's device.
  EXPECT_TRUE(Together(r, b.Id("tablet"), b.Id("tablet_anon")));
}

TEST(ResolverTest, IndirectConflictIsRefusedAndRecorded) {
  // Two taobao accounts meet only through a chain of non-shared identifiers.
  GraphBuilder b;
  b.Node("a", "user_id@taobao");
  b.Node("c", "user_id@taobao");
  b.Node("d1", "device_id");
  b.Node("m1", "mac");
  b.Edge("a", "d1", EdgeKind::kCooccurrence, 5);
  b.Edge("d1", "m1", EdgeKind::kCooccurrence, 3);
  b.Edge("m1", "c", EdgeKind::kCooccurrence, 1);
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_FALSE(Together(r, b.Id("a"), b.Id("c")));
  EXPECT_TRUE(Together(r, b.Id("a"), b.Id("m1")));  // the stronger evidence wins
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].reason, RefusalReason::kNamespaceConflict);
}

TEST(ResolverTest, StrongerIdentifierTypesWinConflictsOverCounts) {
  // A login on a device (account-device) outranks MAC evidence, however frequent.
  GraphBuilder b;
  b.Node("a", "user_id@taobao");
  b.Node("c", "user_id@taobao");
  b.Node("dev", "device_id");
  b.Node("mac", "mac");
  b.Edge("a", "dev", EdgeKind::kCooccurrence, 1);
  b.Edge("dev", "mac", EdgeKind::kCooccurrence, 10);
  b.Edge("mac", "c", EdgeKind::kCooccurrence, 10);
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_TRUE(Together(r, b.Id("a"), b.Id("dev")));
  EXPECT_FALSE(Together(r, b.Id("a"), b.Id("c")));
  ASSERT_EQ(r.refused.size(), 1u);
}

TEST(ResolverTest, ExplicitLinksBeatCooccurrence) {
  GraphBuilder b;
  b.Node("tb", "user_id@taobao");
  b.Node("el", "user_id@eleme");
  b.Node("el2", "user_id@eleme");
  b.Node("dev", "device_id");
  b.Edge("dev", "el2", EdgeKind::kCooccurrence, 10);
  b.Edge("tb", "el", EdgeKind::kExplicitLink, 1);
  b.Edge("tb", "dev", EdgeKind::kCooccurrence, 1);
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_TRUE(Together(r, b.Id("tb"), b.Id("el")));
  EXPECT_FALSE(Together(r, b.Id("tb"), b.Id("el2")));
}

TEST(ResolverTest, KioskWithManyAccountsIsShared) {
  GraphBuilder b;
  b.Node("kiosk", "device_id");
  for (int i = 0; i < 12; ++i) {
    std::string acct = "web" + std::to_string(i);
    b.Node(acct, "user_id@web" + std::to_string(i));  // distinct namespaces: only the count rule fires
    b.Edge("kiosk", acct);
  }
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_TRUE(r.shared[b.Id("kiosk")]);
  EXPECT_EQ(r.num_components, 13u);
}

TEST(ResolverTest, ResultDoesNotDependOnInputOrder) {
  std::mt19937 rng(7);
  GraphBuilder b;
  for (int p = 0; p < 30; ++p) {
    std::string s = std::to_string(p);
    b.Node("tb" + s, "user_id@taobao");
    b.Node("dev" + s, "device_id");
    b.Node("mac" + s, "mac");
    b.Edge("tb" + s, "dev" + s, EdgeKind::kCooccurrence, 1 + p % 3);
    b.Edge("dev" + s, "mac" + s);
    if (p % 5 == 0 && p > 0) b.Edge("mac" + s, "tb" + std::to_string(p - 1));  // conflicts
  }
  Subgraph g = b.g();
  Resolution base = Resolve(g, MergePolicy());
  std::vector<uint32_t> perm(g.nodes.size());
  std::iota(perm.begin(), perm.end(), 0u);
  std::shuffle(perm.begin(), perm.end(), rng);
  Subgraph shuffled = g;
  for (size_t i = 0; i < perm.size(); ++i) shuffled.nodes[perm[i]] = g.nodes[i];
  for (auto& e : shuffled.edges) {
    e.a = perm[e.a];
    e.b = perm[e.b];
  }
  std::shuffle(shuffled.edges.begin(), shuffled.edges.end(), rng);
  Resolution other = Resolve(shuffled, MergePolicy());
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    for (uint32_t j = i + 1; j < g.nodes.size(); ++j) {
      EXPECT_EQ(Together(base, i, j), Together(other, perm[i], perm[j]));
    }
  }
}

TEST(AssignOneIdsTest, MergeKeepsOlderIdAndSplitLeavesItToLargerPart) {
  GraphBuilder b;
  b.Node("a", "user_id@taobao", 10);
  b.Node("b", "device_id", 20);
  b.Node("c", "user_id@alipay", 30);
  b.Edge("a", "b");
  b.Edge("b", "c");
  Resolution r = Resolve(b.g(), MergePolicy());
  uint64_t next = 10;
  // a had OneID 7, c had OneID 3: the merged person keeps 3.
  auto ids = AssignOneIds(b.g(), r, {7, 0, 3}, &next);
  EXPECT_EQ(ids[0], 3u);
  EXPECT_EQ(ids[1], 3u);
  EXPECT_EQ(ids[2], 3u);
  EXPECT_EQ(next, 10u);

  // Split: drop edge b-c; {a,b} is larger and keeps 3, {c} gets a fresh id.
  b.g().edges.pop_back();
  Resolution split = Resolve(b.g(), MergePolicy());
  ids = AssignOneIds(b.g(), split, {3, 3, 3}, &next);
  EXPECT_EQ(ids[0], 3u);
  EXPECT_EQ(ids[2], 10u);
  EXPECT_EQ(next, 11u);
}


TEST(ResolverTest, HubPhoneSeenWithManyDevicesBridgesNoOne) {
  // A shop's phone number typed at 20 sign-ups on 20 customers' phones: a hub.
  GraphBuilder b;
  b.Node("shop-phone", "phone");
  for (int i = 0; i < 20; ++i) {
    b.Node("dev" + std::to_string(i), "device_id");
    b.Edge("shop-phone", "dev" + std::to_string(i));
  }
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_EQ(r.shared[b.Id("shop-phone")], kSharedHub);
  EXPECT_FALSE(Together(r, b.Id("dev0"), b.Id("dev1")));
  // Under the limit it is an ordinary phone.
  MergePolicy lax;
  lax.hub_max_devices = 25;
  lax.max_device_ids = 30;
  Resolution r2 = Resolve(b.g(), lax);
  EXPECT_EQ(r2.shared[b.Id("shop-phone")], kNotShared);
  EXPECT_TRUE(Together(r2, b.Id("dev0"), b.Id("dev1")));
}

TEST(ResolverTest, MatchesComeAfterCooccurrenceAndRespectTheThreshold) {
  GraphBuilder b;
  b.Node("tb1", "user_id@taobao");
  b.Node("tb2", "user_id@taobao");
  b.Node("el", "user_id@eleme");
  b.Node("dev", "device_id");
  b.Edge("tb2", "dev");
  b.Edge("el", "dev");        // co-occurrence: el belongs with tb2
  b.Match("el", "tb1", 20.0f);  // a strong match cannot override it (one taobao account)
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_TRUE(Together(r, b.Id("el"), b.Id("tb2")));
  EXPECT_FALSE(Together(r, b.Id("el"), b.Id("tb1")));
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(b.g().edges[r.refused[0].edge].kind, EdgeKind::kMatch);

  GraphBuilder m;
  m.Node("tb", "user_id@taobao");
  m.Node("el", "user_id@eleme");
  m.Match("tb", "el", 8.0f);
  EXPECT_TRUE(Together(Resolve(m.g(), MergePolicy()), m.Id("tb"), m.Id("el")));
  MergePolicy strict;
  strict.min_match_weight = 10;
  EXPECT_FALSE(Together(Resolve(m.g(), strict), m.Id("tb"), m.Id("el")));
}

TEST(ResolverTest, WithdrawnPairIsNeverJoinedWhateverThePath) {
  GraphBuilder b;
  b.Node("tb", "user_id@taobao");
  b.Node("ap", "user_id@alipay");
  b.Node("dev", "device_id");
  b.Node("mac", "mac");
  b.Edge("tb", "dev");
  b.Edge("dev", "mac");
  b.Edge("mac", "ap");
  b.Edge("tb", "ap", EdgeKind::kApart);
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_FALSE(Together(r, b.Id("tb"), b.Id("ap")));
  bool withdrawn = false;
  for (const RefusedMerge& rm : r.refused) withdrawn = withdrawn || rm.reason == RefusalReason::kWithdrawn;
  EXPECT_TRUE(withdrawn);
  // Without the withdrawal the same path joins them.
  b.g().edges.pop_back();
  EXPECT_TRUE(Together(Resolve(b.g(), MergePolicy()), b.Id("tb"), b.Id("ap")));
}

}  // namespace
}  // namespace holo::identity
