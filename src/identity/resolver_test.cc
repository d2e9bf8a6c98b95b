#include "identity/resolver.h"

#include <gtest/gtest.h>

#include "identity/hubs.h"

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


// ---- Shared identifiers whatever their type (identity/hubs.h) ----------------------------

namespace hubs_test {

// A population of `n` people, each with a taobao account, an alipay account, a phone
// (device id, hardware MAC, ad id) and one app install per account, as the store would
// see them; names are "<prefix><k>.<what>".
void AddPeople(GraphBuilder& b, const std::string& prefix, int n) {
  for (int k = 0; k < n; ++k) {
    const std::string p = prefix + std::to_string(k) + ".";
    b.Node(p + "tb", "user_id@taobao");
    b.Node(p + "ap", "user_id@alipay");
    b.Node(p + "dev", "device_id");
    b.Node(p + "mac", "mac");
    b.Node(p + "ad", "ad_id");
    b.Node(p + "tb_anon", "anonymous_id@taobao");
    b.Node(p + "ap_anon", "anonymous_id@alipay");
    for (const char* acct : {"tb", "ap"}) {
      const std::string a = p + acct;
      const std::string anon = a + "_anon";
      b.Edge(a, p + "dev");
      b.Edge(a, anon);
      b.Edge(anon, p + "dev");
      b.Edge(anon, p + "ad");
      b.Edge(p + "dev", p + "ad");
    }
    b.Edge(p + "tb_anon", p + "mac");  // the taobao SDK leaks the MAC
    b.Edge(p + "dev", p + "mac");
  }
}

std::string P(int k, const std::string& what) { return "v" + std::to_string(k) + "." + what; }

}  // namespace hubs_test

TEST(HubRuleTest, SensorAnonymousIdSeeingVisitorsMacsIsAHubAndVisitorsStayApart) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 200);
  // Four sensors of one store send each probe with anonymousId = the sensor's id and the
  // visitor's MAC in externalIds; every visitor passes several of them.
  for (int s = 0; s < 4; ++s) b.Node("sensor" + std::to_string(s), "anonymous_id@store_sensor");
  for (int k = 0; k < 120; ++k) {
    for (int s = 0; s <= k % 4; ++s) b.Edge("sensor" + std::to_string(s), P(k, "mac"));
  }
  Resolution r = Resolve(b.g(), MergePolicy());
  for (int s = 0; s < 4; ++s) EXPECT_EQ(r.shared[b.Id("sensor" + std::to_string(s))], kSharedHub) << s;
  for (int k = 0; k < 120; ++k) {
    EXPECT_EQ(r.shared[b.Id(P(k, "mac"))], kNotShared) << k;  // peeled: the visitor is no hub
    EXPECT_TRUE(Together(r, b.Id(P(k, "mac")), b.Id(P(k, "tb")))) << k;
    EXPECT_FALSE(Together(r, b.Id(P(k, "tb")), b.Id(P(k + 1, "tb")))) << k;
  }
  // The caps came from the population: an install holds one MAC.
  EXPECT_EQ(r.caps.cap[kTierInstall][kNbrMac], 1);
}

TEST(HubRuleTest, SmallSensorWithTwoVisitorsIsStillCaught) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 100);
  b.Node("tiny-sensor", "anonymous_id@store_wifi");
  b.Edge("tiny-sensor", P(0, "mac"));
  b.Edge("tiny-sensor", P(1, "mac"));
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_EQ(r.shared[b.Id("tiny-sensor")], kSharedHub);
  EXPECT_FALSE(Together(r, b.Id(P(0, "tb")), b.Id(P(1, "tb"))));
}

TEST(HubRuleTest, QaAccountOnCustomersPhonesIsAHubAndCustomersKeepTheirPhones) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 100);
  b.Node("qa", "user_id@taobao");
  for (int k = 0; k < 40; ++k) b.Edge("qa", P(k, "dev"));
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_EQ(r.shared[b.Id("qa")], kSharedHub);
  for (int k = 0; k < 40; ++k) {
    // Without discounting the hub account, each phone would be "seen with two taobao
    // accounts" and cut from its owner.
    EXPECT_EQ(r.shared[b.Id(P(k, "dev"))], kNotShared) << k;
    EXPECT_TRUE(Together(r, b.Id(P(k, "dev")), b.Id(P(k, "tb")))) << k;
    EXPECT_FALSE(Together(r, b.Id("qa"), b.Id(P(k, "tb")))) << k;
  }
}

TEST(HubRuleTest, FamilyEmailOfTwoMembersInDifferentAppsIsABridge) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 20);
  // Member 0 types the family e-mail into taobao, member 1 into eleme: no namespace is
  // shared directly, but their phones carry two alipay accounts.
  b.Node("family@139.com", "email");
  b.Node(P(1, "el"), "user_id@eleme");
  b.Edge(P(1, "el"), P(1, "dev"));
  b.Edge("family@139.com", P(0, "tb"));
  b.Edge("family@139.com", P(0, "dev"));
  b.Edge("family@139.com", P(1, "el"));
  b.Edge("family@139.com", P(1, "dev"));
  // A person's own e-mail on two of their devices is no bridge.
  b.Node("own@qq.com", "email");
  b.Node("v2.tablet", "device_id");
  b.Edge("v2.tablet", P(2, "tb"));
  b.Edge("own@qq.com", P(2, "dev"));
  b.Edge("own@qq.com", "v2.tablet");
  Resolution r = Resolve(b.g(), MergePolicy());
  EXPECT_EQ(r.shared[b.Id("family@139.com")], kSharedBridge);
  EXPECT_FALSE(Together(r, b.Id(P(0, "tb")), b.Id(P(1, "tb"))));
  EXPECT_EQ(r.shared[b.Id("own@qq.com")], kNotShared);
  EXPECT_TRUE(Together(r, b.Id("own@qq.com"), b.Id(P(2, "tb"))));
}

TEST(HubRuleTest, TypeWhoseValuesAreCommonlySharedIsAGatewayEvenForOnePerson) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 60);
  // Twenty office IPs each seen with three colleagues' taobao accounts (shared by the
  // namespace rule), and one home IP seen with one person only.
  for (int o = 0; o < 20; ++o) {
    const std::string ip = "ip" + std::to_string(o);
    b.Node(ip, "ip");
    for (int k = 0; k < 3; ++k) b.Edge(ip, P(o * 3 + k, "tb"));
  }
  b.Node("home-ip", "ip");
  b.Edge("home-ip", P(5, "dev"));
  // A loyalty card type: person-level, never shared.
  for (int k = 0; k < 60; ++k) {
    b.Node("card" + std::to_string(k), "loyalty_card");
    b.Edge("card" + std::to_string(k), P(k, "tb"));
  }
  Resolution r = Resolve(b.g(), MergePolicy());
  ASSERT_EQ(r.caps.gateway_types, std::vector<std::string>{"ip"});
  EXPECT_EQ(r.shared[b.Id("home-ip")], kSharedGateway);
  EXPECT_FALSE(Together(r, b.Id("home-ip"), b.Id(P(5, "tb"))));
  EXPECT_TRUE(Together(r, b.Id("card7"), b.Id(P(7, "tb"))));
  // Shared IPs join no one, not even each other.
  EXPECT_FALSE(Together(r, b.Id("ip0"), b.Id("ip1")));
}

TEST(HubRuleTest, DeclaredTypesAndFixedCapsOverrideWhatIsLearned) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 30);
  b.Node("kiosk-7", "kiosk_id");
  b.Edge("kiosk-7", P(3, "tb"));
  b.Node("watch", "wearable_id");
  b.Edge("watch", P(4, "tb"));
  MergePolicy declared;
  declared.gateway_types = {"kiosk_id"};
  declared.device_types = {"wearable_id"};
  Resolution r = Resolve(b.g(), declared);
  EXPECT_EQ(r.shared[b.Id("kiosk-7")], kSharedGateway);
  EXPECT_FALSE(Together(r, b.Id("kiosk-7"), b.Id(P(3, "tb"))));
  EXPECT_TRUE(Together(r, b.Id("watch"), b.Id(P(4, "tb"))));
  // A fixed cap wins: an install may hold two MACs.
  b.Node("dual-mac", "mac");
  b.Edge(P(6, "tb_anon"), "dual-mac");
  EXPECT_EQ(Resolve(b.g(), MergePolicy()).shared[b.Id(P(6, "tb_anon"))], kSharedHub);
  MergePolicy lax;
  lax.hub_caps[kTierInstall][kNbrMac] = 2;
  EXPECT_EQ(Resolve(b.g(), lax).shared[b.Id(P(6, "tb_anon"))], kNotShared);
}

TEST(HubRuleTest, StoredCapsGiveTheSameResultAsLearningThem) {
  using hubs_test::P;
  GraphBuilder b;
  hubs_test::AddPeople(b, "v", 80);
  b.Node("s", "anonymous_id@store_sensor");
  for (int k = 0; k < 30; ++k) b.Edge("s", P(k, "mac"));
  b.Node("nat", "ip");
  for (int k = 0; k < 30; ++k) b.Edge("nat", P(k, "dev"));
  Resolution learned = Resolve(b.g(), MergePolicy());
  HubCaps stored;
  ASSERT_TRUE(DecodeHubCaps(EncodeHubCaps(learned.caps), &stored));
  EXPECT_EQ(stored, learned.caps);
  Resolution again = Resolve(b.g(), MergePolicy(), &stored);
  EXPECT_EQ(again.shared, learned.shared);
  EXPECT_EQ(again.component, learned.component);
  // An incremental part sees neighbours outside it through Subgraph::outside.
  GraphBuilder part;
  part.Node("s", "anonymous_id@store_sensor");
  part.Node("v0.mac", "mac");
  part.Edge("s", "v0.mac");
  part.g().outside.assign(2, Degrees{});
  part.g().outside[0][kNbrMac] = 29;
  EXPECT_EQ(Resolve(part.g(), MergePolicy(), &stored).shared[0], kSharedHub);
  part.g().outside.clear();
  EXPECT_EQ(Resolve(part.g(), MergePolicy(), &stored).shared[0], kNotShared);
}

}  // namespace
}  // namespace holo::identity
