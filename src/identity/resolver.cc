#include "identity/resolver.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_set>
#include <tuple>

#include "identity/huge_vector.h"
#include "identity/hubs.h"

namespace holo::identity {

IdClass ClassOf(std::string_view type) {
  if (type.starts_with("user_id@")) return IdClass::kAccount;
  if (type == "email") return IdClass::kEmail;
  if (type == "phone") return IdClass::kPhone;
  if (type == "device_id") return IdClass::kDevice;
  if (type == "ad_id" || type == "idfa" || type == "gaid") return IdClass::kAdId;
  if (type == "mac") return IdClass::kMac;
  if (type.starts_with("anonymous_id@") || type == "cookie") return IdClass::kAnonymous;
  return IdClass::kOther;
}

int TypePriority(IdClass c) {
  switch (c) {
    case IdClass::kAccount: return 0;
    case IdClass::kEmail:
    case IdClass::kPhone: return 1;
    case IdClass::kDevice: return 2;
    case IdClass::kAdId: return 3;
    case IdClass::kMac: return 4;
    case IdClass::kAnonymous: return 5;
    case IdClass::kOther: return 6;
  }
  return 6;
}

std::string_view NamespaceOf(std::string_view type) {
  if (!type.starts_with("user_id@")) return {};
  return type.substr(8);
}

std::string_view EdgeKindName(EdgeKind k) {
  switch (k) {
    case EdgeKind::kCooccurrence: return "co-occurrence";
    case EdgeKind::kExplicitLink: return "explicit link";
    case EdgeKind::kMatch: return "probabilistic match";
    case EdgeKind::kApart: return "withdrawn";
  }
  return "unknown";
}

std::string_view SharedReasonName(uint8_t reason) {
  switch (reason) {
    case kNotShared: return "not shared";
    case kSharedNamespace: return "seen with two accounts of one namespace";
    case kSharedManyAccounts: return "seen with too many accounts";
    case kSharedOnDevice: return "an app install on a shared device";
    case kSharedHub: return "a hub: seen with more devices, MACs, ad ids or installs than a person has";
    case kSharedGateway: return "a gateway: a value of a type whose values are commonly hubs";
    case kSharedBridge: return "a bridge: its devices are logged into two accounts of one namespace";
  }
  return "shared";
}

std::string_view RefusalName(RefusalReason r) {
  switch (r) {
    case RefusalReason::kNamespaceConflict: return "two accounts in one namespace";
    case RefusalReason::kTooManyDevices: return "too many devices";
    case RefusalReason::kTooManyPhones: return "too many phone numbers";
    case RefusalReason::kTooManyEmails: return "too many email addresses";
    case RefusalReason::kWithdrawn: return "a withdrawn link keeps them apart";
  }
  return "unknown";
}

namespace {

struct ComponentState {
  // (namespace id, node) of every account in the component, sorted.
  std::vector<std::pair<uint16_t, uint32_t>> accounts;
  int devices = 0;
  int phones = 0;
  int emails = 0;
  std::vector<uint32_t> apart;  // nodes this component must never join (withdrawn pairs)
};

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(HugeVector<uint32_t>(n, 0)) {
    std::iota(parent_.begin(), parent_.end(), 0u);
  }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Link(uint32_t child_root, uint32_t parent_root) { parent_[child_root] = parent_root; }
  // Makes `x` a set of its own again. REQUIRES: every other member of its set is reset too.
  void Reset(uint32_t x) { parent_[x] = x; }

 private:
  std::vector<uint32_t> parent_;
};

// Rule 3 unions two nodes only within one group: a shared identifier joins no person,
// but the shared identifiers of one device belong together; boundary nodes join no one.
// Hubs and gateways join no one at all: two of them in one message are usually two pieces of
// infrastructure a visitor's message carried together.
enum NodeGroup : uint8_t { kGroupPerson = 0, kGroupShared = 1, kGroupBoundary = 2, kGroupAlone = 3 };

}  // namespace

Resolution Resolve(const Subgraph& g, const MergePolicy& policy, const HubCaps* caps) {
  const size_t n = g.nodes.size();
  // Per type: class and namespace id (0 = none).
  std::vector<IdClass> type_class(g.type_names.size());
  std::vector<uint16_t> type_ns(g.type_names.size(), 0);
  std::map<std::string_view, uint16_t> ns_ids;
  for (size_t t = 0; t < g.type_names.size(); ++t) {
    type_class[t] = ClassOf(g.type_names[t]);
    // A type a source declares as naming a person's device counts as a device id.
    if (type_class[t] == IdClass::kOther &&
        std::find(policy.device_types.begin(), policy.device_types.end(), g.type_names[t]) !=
            policy.device_types.end()) {
      type_class[t] = IdClass::kDevice;
    }
    std::string_view ns = NamespaceOf(g.type_names[t]);
    if (!ns.empty()) {
      auto [it, inserted] = ns_ids.emplace(ns, static_cast<uint16_t>(ns_ids.size() + 1));
      type_ns[t] = it->second;
    }
  }
  // Class and namespace of every node in flat arrays: the passes over the edges look
  // both ends up at random, and 3 bytes a node stay in cache where GraphNodes do not.
  std::vector<IdClass> node_cls = HugeVector(n, IdClass::kOther);
  std::vector<uint16_t> node_ns = HugeVector<uint16_t>(n, 0);
  for (size_t i = 0; i < n; ++i) {
    node_cls[i] = type_class[g.nodes[i].type_id];
    node_ns[i] = type_ns[g.nodes[i].type_id];
  }
  auto cls = [&](uint32_t i) { return node_cls[i]; };

  // Rule 2: shared identifiers (hubs.h).
  Resolution r;
  SharedInput shared_in;
  shared_in.g = &g;
  shared_in.policy = &policy;
  shared_in.node_cls = &node_cls;
  shared_in.node_ns = &node_ns;
  shared_in.caps = caps;
  FindShared(shared_in, &r);

  // Rule 3: greedy constrained union in a content-defined order (below), refusing the
  // unions that would break a limit of rule 1. Done in two steps that give the same
  // result as one greedy pass over every edge, at a fraction of the cost:
  //  (a) plain connected components of the edges that rule 3 may apply;
  //  (b) a component whose totals (accounts per namespace, devices, phones, emails) are
  //      within the limits and that holds no withdrawn pair is final: no union inside it
  //      can break a limit, since a part never holds more than the whole, so the greedy
  //      pass would accept every union in any order. Only the components over a limit are unioned
  //      again from singletons, greedily in the fixed order — components are independent, so this
  //      is exactly what the greedy pass over all edges does inside them, and records the same
  //      refusals in the same order.
  std::vector<uint8_t> group = HugeVector<uint8_t>(n, 0);
  for (size_t i = 0; i < n; ++i) {
    // Shared identifiers of one device (its id, MAC, ad id, installs) stay together; a
    // shared email, phone, IP or terminal id joins no one.
    const uint8_t why = r.shared[i];
    group[i] = g.nodes[i].boundary                                       ? kGroupBoundary
               : why == kNotShared                                      ? kGroupPerson
               : why == kSharedHub || why == kSharedGateway ||
                       TierOf(node_cls[i]) != kTierInstall              ? kGroupAlone
                                                                        : kGroupShared;
  }
  auto applicable = [&](const GraphEdge& e) {
    if (e.a == e.b || group[e.a] != group[e.b] || group[e.a] >= kGroupBoundary) return false;
    if (e.kind == EdgeKind::kApart) return false;
    return !(e.kind == EdgeKind::kMatch && e.weight < policy.min_match_weight);
  };
  UnionFind uf(n);
  for (const GraphEdge& e : g.edges) {
    if (!applicable(e)) continue;
    uint32_t ra = uf.Find(e.a);
    uint32_t rb = uf.Find(e.b);
    if (ra != rb) uf.Link(std::max(ra, rb), std::min(ra, rb));
  }
  std::vector<uint8_t> over_limit = HugeVector<uint8_t>(n, 0);  // by root
  bool any_over = false;
  // Devices, phones and emails per root in 10 bits each, saturating: a saturated count
  // counts as over any limit (flagging too much is safe: the redo is exact).
  std::vector<uint32_t> counts = HugeVector<uint32_t>(n, 0);  // by root
  {
    constexpr uint32_t kSaturated = 1023;
    std::vector<uint64_t> account_ns;  // (root << 16) | namespace id, per account
    for (uint32_t i = 0; i < n; ++i) {
      int shift = 0;
      switch (cls(i)) {
        case IdClass::kAccount:
          account_ns.push_back((uint64_t{uf.Find(i)} << 16) | node_ns[i]);
          continue;
        case IdClass::kDevice:
          shift = 0;
          break;
        case IdClass::kPhone:
          shift = 10;
          break;
        case IdClass::kEmail:
          shift = 20;
          break;
        default:
          continue;
      }
      uint32_t& packed = counts[uf.Find(i)];
      if (((packed >> shift) & kSaturated) < kSaturated) packed += 1u << shift;
    }
    auto over = [](uint32_t count, int limit) {
      return count == kSaturated || static_cast<int64_t>(count) > limit;
    };
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t c = counts[i];
      if (over(c & kSaturated, policy.max_device_ids) ||
          over((c >> 10) & kSaturated, policy.max_phones) ||
          over((c >> 20) & kSaturated, policy.max_emails)) {
        over_limit[i] = 1;
        any_over = true;
      }
    }
    std::sort(account_ns.begin(), account_ns.end());
    for (size_t k = 0, run = 0; k < account_ns.size(); ++k) {
      run = k > 0 && account_ns[k] == account_ns[k - 1] ? run + 1 : 1;
      // Any account over a limit below 1 is a conflict too (as in the greedy check).
      if (static_cast<int64_t>(run) > policy.max_accounts_per_namespace ||
          policy.max_accounts_per_namespace < 1) {
        over_limit[account_ns[k] >> 16] = 1;
        any_over = true;
      }
    }
    for (const GraphEdge& e : g.edges) {
      if (e.kind != EdgeKind::kApart || e.a == e.b) continue;
      const uint32_t ra = uf.Find(e.a);
      if (ra == uf.Find(e.b)) {
        over_limit[ra] = 1;
        any_over = true;
      }
    }
  }

  std::vector<uint32_t> redo;  // nodes of the components over a limit
  if (any_over) {
    for (uint32_t i = 0; i < n; ++i) {
      if (over_limit[uf.Find(i)]) redo.push_back(i);
    }
  }
  if (!redo.empty()) {
    std::vector<uint32_t> slot(n, kNoComponent);  // node -> index into state
    std::vector<ComponentState> state(redo.size());
    for (uint32_t k = 0; k < redo.size(); ++k) {
      const uint32_t i = redo[k];
      uf.Reset(i);
      slot[i] = k;
      switch (cls(i)) {
        case IdClass::kAccount:
          state[k].accounts.emplace_back(node_ns[i], i);
          break;
        case IdClass::kDevice:
          state[k].devices = 1;
          break;
        case IdClass::kPhone:
          state[k].phones = 1;
          break;
        case IdClass::kEmail:
          state[k].emails = 1;
          break;
        default:
          break;
      }
    }
    for (const GraphEdge& e : g.edges) {
      if (e.kind != EdgeKind::kApart || e.a == e.b) continue;
      if (slot[e.a] != kNoComponent) state[slot[e.a]].apart.push_back(e.b);
      if (slot[e.b] != kNoComponent) state[slot[e.b]].apart.push_back(e.a);
    }
    // The fixed order: explicit links first, then co-occurrence, then probabilistic
    // matches (by weight); within a kind by the type priority of the edge's weaker end
    // (account > email/phone > device > advertising id > MAC > anonymous id > other),
    // then by evidence count, then by the edge's keys. The first three are packed into
    // one integer so that the sort mostly compares integers.
    auto edge_keys = [&](uint32_t i) {
      const NodeKey& ka = g.nodes[g.edges[i].a].key;
      const NodeKey& kb = g.nodes[g.edges[i].b].key;
      return ka < kb ? std::pair(ka, kb) : std::pair(kb, ka);
    };
    struct SortKey {
      uint64_t primary;
      uint64_t lo8;  // first 8 bytes of the smaller key, big-endian
      uint32_t edge;
    };
    std::vector<SortKey> order;
    for (uint32_t i = 0; i < g.edges.size(); ++i) {
      const GraphEdge& e = g.edges[i];
      if (!applicable(e) || slot[e.a] == kNoComponent) continue;  // outside the redo
      // 0 explicit link, 1 co-occurrence, 2 match.
      uint64_t kind_desc = e.kind == EdgeKind::kExplicitLink   ? 0
                           : e.kind == EdgeKind::kCooccurrence ? 1
                                                               : 2;
      uint64_t rank =
          static_cast<uint64_t>(std::max(TypePriority(cls(e.a)), TypePriority(cls(e.b))));
      // Matches order by weight (centi-bits), other edges by message count.
      uint64_t strength = e.kind == EdgeKind::kMatch
                              ? static_cast<uint64_t>(std::max(0.0f, e.weight) * 100)
                              : e.count;
      uint64_t count_desc = 0xffffffffull - std::min<uint64_t>(strength, 0xffffffffull);
      uint64_t lo8 = 0;
      const NodeKey& lo = edge_keys(i).first;
      for (int k = 0; k < 8; ++k) lo8 = (lo8 << 8) | lo[k];
      order.push_back({(kind_desc << 62) | (rank << 58) | (count_desc << 26), lo8, i});
    }
    std::sort(order.begin(), order.end(), [&](const SortKey& x, const SortKey& y) {
      if (x.primary != y.primary) return x.primary < y.primary;
      if (x.lo8 != y.lo8) return x.lo8 < y.lo8;
      auto kx = edge_keys(x.edge), ky = edge_keys(y.edge);
      return kx != ky ? kx < ky : x.edge < y.edge;  // the edge index only between identical edges
    });
    for (const SortKey& sk : order) {
      const uint32_t ei = sk.edge;
      uint32_t ra = uf.Find(g.edges[ei].a);
      uint32_t rb = uf.Find(g.edges[ei].b);
      if (ra == rb) continue;
      ComponentState& sa = state[slot[ra]];
      ComponentState& sb = state[slot[rb]];
      std::optional<RefusalReason> refusal;
      if (sa.devices + sb.devices > policy.max_device_ids) refusal = RefusalReason::kTooManyDevices;
      if (sa.phones + sb.phones > policy.max_phones) refusal = RefusalReason::kTooManyPhones;
      if (sa.emails + sb.emails > policy.max_emails) refusal = RefusalReason::kTooManyEmails;
      for (uint32_t x : sa.apart) {
        if (!refusal && uf.Find(x) == rb) refusal = RefusalReason::kWithdrawn;
      }
      for (uint32_t x : sb.apart) {
        if (!refusal && uf.Find(x) == ra) refusal = RefusalReason::kWithdrawn;
      }
      std::vector<std::pair<uint16_t, uint32_t>> merged;
      if (!refusal && sb.accounts.empty()) {
        merged = std::move(sa.accounts);  // nothing to check
      } else if (!refusal && sa.accounts.empty()) {
        merged = std::move(sb.accounts);
      } else if (!refusal) {
        merged.reserve(sa.accounts.size() + sb.accounts.size());
        std::merge(sa.accounts.begin(), sa.accounts.end(), sb.accounts.begin(), sb.accounts.end(),
                   std::back_inserter(merged));
        int run = 1;
        for (size_t k = 1; k < merged.size(); ++k) {
          run = merged[k].first == merged[k - 1].first ? run + 1 : 1;
          if (run > policy.max_accounts_per_namespace) {
            refusal = RefusalReason::kNamespaceConflict;
            break;
          }
        }
      }
      if (refusal) {
        r.refused.push_back({ei, *refusal});
        continue;
      }
      // Union by size of account lists is unnecessary at these sizes; keep ra as root.
      uf.Link(rb, ra);
      sa.accounts = std::move(merged);
      sa.devices += sb.devices;
      sa.phones += sb.phones;
      sa.emails += sb.emails;
      sa.apart.insert(sa.apart.end(), sb.apart.begin(), sb.apart.end());
      sb = ComponentState();
    }
  }

  r.component = HugeVector(n, kNoComponent);
  std::vector<uint32_t>& root_index = counts;  // reused: root -> component number
  std::fill(root_index.begin(), root_index.end(), kNoComponent);
  for (uint32_t i = 0; i < n; ++i) {
    if (g.nodes[i].boundary) continue;
    uint32_t c = uf.Find(i);
    if (root_index[c] == kNoComponent) root_index[c] = r.num_components++;
    r.component[i] = root_index[c];
  }
  return r;
}

std::vector<uint64_t> AssignOneIds(const Subgraph& g, const Resolution& r,
                                   const std::vector<uint64_t>& old_oneid, uint64_t* next_oneid) {
  struct Comp {
    uint32_t olds_begin = 0;  // [olds_begin, olds_end) in `olds`: the sorted distinct
    uint32_t olds_end = 0;    // old OneIDs of the members
    size_t size = 0;
    int64_t first_ts = INT64_MAX;
    NodeKey min_key{};
    bool has_key = false;
    uint64_t chosen = 0;
  };
  std::vector<Comp> comps(r.num_components);
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    uint32_t c = r.component[i];
    if (c == kNoComponent) continue;
    Comp& comp = comps[c];
    comp.size++;
    if (old_oneid[i] != 0) comp.olds_end++;  // a count for now
    comp.first_ts = std::min(comp.first_ts, g.nodes[i].first_ts);
    if (!comp.has_key || g.nodes[i].key < comp.min_key) {
      comp.min_key = g.nodes[i].key;
      comp.has_key = true;
    }
  }
  // The old OneIDs of all components in one array, grouped by component (no per-component vectors).
  uint32_t total = 0;
  for (Comp& comp : comps) {
    comp.olds_begin = total;
    total += comp.olds_end;
    comp.olds_end = comp.olds_begin;
  }
  std::vector<uint64_t> olds(total);
  uint64_t max_old = 0;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (r.component[i] == kNoComponent || old_oneid[i] == 0) continue;
    olds[comps[r.component[i]].olds_end++] = old_oneid[i];
    max_old = std::max(max_old, old_oneid[i]);
  }
  std::vector<uint32_t> with_old;
  std::vector<uint32_t> without_old;
  for (uint32_t c = 0; c < comps.size(); ++c) {
    Comp& comp = comps[c];
    auto first = olds.begin() + comp.olds_begin;
    auto last = olds.begin() + comp.olds_end;
    std::sort(first, last);
    comp.olds_end = static_cast<uint32_t>(std::unique(first, last) - olds.begin());
    (comp.olds_end == comp.olds_begin ? without_old : with_old).push_back(c);
  }
  std::sort(with_old.begin(), with_old.end(), [&](uint32_t x, uint32_t y) {
    const Comp& a = comps[x];
    const Comp& b = comps[y];
    return std::tie(olds[a.olds_begin], b.size, a.min_key) <
           std::tie(olds[b.olds_begin], a.size, b.min_key);
  });
  // OneIDs are handed out in increasing order from 1, so the taken ones fit a bitmap;
  // a hash set serves ids too sparse for one.
  const bool dense = max_old < 64 * (uint64_t{total} + 1024);
  std::vector<bool> taken_bits(dense ? max_old + 1 : 0);
  std::unordered_set<uint64_t> taken_set;
  auto take = [&](uint64_t id) {
    if (!dense) return taken_set.insert(id).second;
    if (taken_bits[id]) return false;
    taken_bits[id] = true;
    return true;
  };
  for (uint32_t c : with_old) {
    for (uint32_t k = comps[c].olds_begin; k < comps[c].olds_end; ++k) {
      if (take(olds[k])) {
        comps[c].chosen = olds[k];
        break;
      }
    }
    if (comps[c].chosen == 0) without_old.push_back(c);
  }
  std::sort(without_old.begin(), without_old.end(), [&](uint32_t x, uint32_t y) {
    return std::tie(comps[x].first_ts, comps[x].min_key) <
           std::tie(comps[y].first_ts, comps[y].min_key);
  });
  for (uint32_t c : without_old) comps[c].chosen = (*next_oneid)++;

  std::vector<uint64_t> out(g.nodes.size(), 0);
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (r.component[i] != kNoComponent) out[i] = comps[r.component[i]].chosen;
  }
  return out;
}

}  // namespace holo::identity
