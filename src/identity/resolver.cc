#include "identity/resolver.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_set>
#include <tuple>

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
    case kSharedHub: return "a hub: seen with too many devices";
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
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0u); }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Link(uint32_t child_root, uint32_t parent_root) { parent_[child_root] = parent_root; }

 private:
  std::vector<uint32_t> parent_;
};

}  // namespace

Resolution Resolve(const Subgraph& g, const MergePolicy& policy) {
  const size_t n = g.nodes.size();
  // Per type: class and namespace id (0 = none).
  std::vector<IdClass> type_class(g.type_names.size());
  std::vector<uint16_t> type_ns(g.type_names.size(), 0);
  std::map<std::string_view, uint16_t> ns_ids;
  for (size_t t = 0; t < g.type_names.size(); ++t) {
    type_class[t] = ClassOf(g.type_names[t]);
    std::string_view ns = NamespaceOf(g.type_names[t]);
    if (!ns.empty()) {
      auto [it, inserted] = ns_ids.emplace(ns, static_cast<uint16_t>(ns_ids.size() + 1));
      type_ns[t] = it->second;
    }
  }
  auto cls = [&](uint32_t i) { return type_class[g.nodes[i].type_id]; };

  // Rule 2: shared identifiers, from each node's direct account neighbours.
  // Account neighbours of every node in one flat, CSR-style array (no per-node vectors).
  std::vector<uint32_t> start(n + 1, 0);
  std::vector<uint32_t> device_nbrs(n, 0);
  for (const GraphEdge& e : g.edges) {
    if (!IsMessageEvidence(e.kind)) continue;  // matches and withdrawals decide no sharing
    if (cls(e.b) == IdClass::kDevice) device_nbrs[e.a]++;
    if (cls(e.a) == IdClass::kDevice) device_nbrs[e.b]++;
    if (cls(e.b) == IdClass::kAccount) start[e.a + 1]++;
    if (cls(e.a) == IdClass::kAccount) start[e.b + 1]++;
  }
  for (size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<std::pair<uint16_t, uint32_t>> nbrs(start[n]);
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (const GraphEdge& e : g.edges) {
      if (!IsMessageEvidence(e.kind)) continue;
      if (cls(e.b) == IdClass::kAccount) nbrs[fill[e.a]++] = {type_ns[g.nodes[e.b].type_id], e.b};
      if (cls(e.a) == IdClass::kAccount) nbrs[fill[e.b]++] = {type_ns[g.nodes[e.a].type_id], e.a};
    }
  }
  Resolution r;
  r.shared.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (cls(i) == IdClass::kAccount) continue;
    if (cls(i) != IdClass::kDevice && device_nbrs[i] > static_cast<uint32_t>(policy.hub_max_devices)) {
      r.shared[i] = kSharedHub;
    }
    if (start[i + 1] - start[i] < 2 && policy.shared_max_accounts >= 1) continue;
    auto first = nbrs.begin() + start[i], last = nbrs.begin() + start[i + 1];
    std::sort(first, last);
    last = std::unique(first, last);
    for (auto it = first + 1; it < last; ++it) {
      if (it->first == (it - 1)->first) {
        r.shared[i] = kSharedNamespace;
        break;
      }
    }
    if (last - first > policy.shared_max_accounts) r.shared[i] = kSharedManyAccounts;
  }
  std::vector<std::pair<uint16_t, uint32_t>>().swap(nbrs);
  std::vector<uint32_t>().swap(start);
  // Install-level identifiers on a shared device are shared too.
  for (const GraphEdge& e : g.edges) {
    for (auto [dev, other] : {std::pair{e.a, e.b}, std::pair{e.b, e.a}}) {
      if (!r.shared[dev] || cls(dev) != IdClass::kDevice || g.nodes[dev].boundary) continue;
      IdClass c = cls(other);
      if ((c == IdClass::kAnonymous || c == IdClass::kAdId || c == IdClass::kMac) && !r.shared[other]) {
        r.shared[other] = kSharedOnDevice;
      }
    }
  }

  // Rule 3: greedy constrained union in a content-defined order: explicit links first,
  // then co-occurrence, then probabilistic matches (by weight); within a kind by the type priority of the edge's weaker end (account > email/phone > device >
  // advertising id > MAC > anonymous id > other), then by evidence count, then by the
  // edge's keys. The first three are packed into one integer so that the sort of
  // millions of edges mostly compares integers.
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
  order.reserve(g.edges.size());
  for (uint32_t i = 0; i < g.edges.size(); ++i) {
    const GraphEdge& e = g.edges[i];
    // A shared identifier joins no person, but the identifiers of one shared device
    // (its id, MAC, app installs) do belong together.
    if (e.a == e.b || (r.shared[e.a] != 0) != (r.shared[e.b] != 0)) continue;
    if (g.nodes[e.a].boundary || g.nodes[e.b].boundary) continue;
    if (e.kind == EdgeKind::kApart) continue;
    if (e.kind == EdgeKind::kMatch && e.weight < policy.min_match_weight) continue;
    // 0 explicit link, 1 co-occurrence, 2 match.
    uint64_t kind_desc = e.kind == EdgeKind::kExplicitLink ? 0 : e.kind == EdgeKind::kCooccurrence ? 1 : 2;
    uint64_t rank = static_cast<uint64_t>(std::max(TypePriority(cls(e.a)), TypePriority(cls(e.b))));
    // Matches order by weight (centi-bits), other edges by message count.
    uint64_t strength = e.kind == EdgeKind::kMatch ? static_cast<uint64_t>(std::max(0.0f, e.weight) * 100) : e.count;
    uint64_t count_desc = 0xffffffffull - std::min<uint64_t>(strength, 0xffffffffull);
    uint64_t lo8 = 0;
    const NodeKey& lo = edge_keys(i).first;
    for (int k = 0; k < 8; ++k) lo8 = (lo8 << 8) | lo[k];
    order.push_back({(kind_desc << 62) | (rank << 58) | (count_desc << 26), lo8, i});
  }
  std::sort(order.begin(), order.end(), [&](const SortKey& x, const SortKey& y) {
    if (x.primary != y.primary) return x.primary < y.primary;
    if (x.lo8 != y.lo8) return x.lo8 < y.lo8;
    return edge_keys(x.edge) < edge_keys(y.edge);
  });

  UnionFind uf(n);
  std::vector<ComponentState> state(n);
  for (uint32_t i = 0; i < n; ++i) {
    switch (cls(i)) {
      case IdClass::kAccount: state[i].accounts.emplace_back(type_ns[g.nodes[i].type_id], i); break;
      case IdClass::kDevice: state[i].devices = 1; break;
      case IdClass::kPhone: state[i].phones = 1; break;
      case IdClass::kEmail: state[i].emails = 1; break;
      default: break;
    }
  }
  for (const GraphEdge& e : g.edges) {
    if (e.kind != EdgeKind::kApart || e.a == e.b) continue;
    state[e.a].apart.push_back(e.b);
    state[e.b].apart.push_back(e.a);
  }
  for (const SortKey& sk : order) {
    const uint32_t ei = sk.edge;
    uint32_t ra = uf.Find(g.edges[ei].a);
    uint32_t rb = uf.Find(g.edges[ei].b);
    if (ra == rb) continue;
    ComponentState& sa = state[ra];
    ComponentState& sb = state[rb];
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

  r.component.assign(n, kNoComponent);
  std::vector<uint32_t> root_index(n, kNoComponent);
  for (uint32_t i = 0; i < n; ++i) {
    if (g.nodes[i].boundary) continue;
    uint32_t root = uf.Find(i);
    if (root_index[root] == kNoComponent) root_index[root] = r.num_components++;
    r.component[i] = root_index[root];
  }
  return r;
}

std::vector<uint64_t> AssignOneIds(const Subgraph& g, const Resolution& r,
                                   const std::vector<uint64_t>& old_oneid, uint64_t* next_oneid) {
  struct Comp {
    std::vector<uint64_t> olds;  // sorted distinct old OneIDs of members
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
    if (old_oneid[i] != 0) comp.olds.push_back(old_oneid[i]);
    comp.first_ts = std::min(comp.first_ts, g.nodes[i].first_ts);
    if (!comp.has_key || g.nodes[i].key < comp.min_key) {
      comp.min_key = g.nodes[i].key;
      comp.has_key = true;
    }
  }
  std::vector<uint32_t> with_old;
  std::vector<uint32_t> without_old;
  for (uint32_t c = 0; c < comps.size(); ++c) {
    auto& olds = comps[c].olds;
    std::sort(olds.begin(), olds.end());
    olds.erase(std::unique(olds.begin(), olds.end()), olds.end());
    (olds.empty() ? without_old : with_old).push_back(c);
  }
  std::sort(with_old.begin(), with_old.end(), [&](uint32_t x, uint32_t y) {
    const Comp& a = comps[x];
    const Comp& b = comps[y];
    return std::tie(a.olds.front(), b.size, a.min_key) < std::tie(b.olds.front(), a.size, b.min_key);
  });
  std::unordered_set<uint64_t> taken;
  for (uint32_t c : with_old) {
    for (uint64_t id : comps[c].olds) {
      if (taken.insert(id).second) {
        comps[c].chosen = id;
        break;
      }
    }
    if (comps[c].chosen == 0) without_old.push_back(c);
  }
  std::sort(without_old.begin(), without_old.end(), [&](uint32_t x, uint32_t y) {
    return std::tie(comps[x].first_ts, comps[x].min_key) < std::tie(comps[y].first_ts, comps[y].min_key);
  });
  for (uint32_t c : without_old) comps[c].chosen = (*next_oneid)++;

  std::vector<uint64_t> out(g.nodes.size(), 0);
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (r.component[i] != kNoComponent) out[i] = comps[r.component[i]].chosen;
  }
  return out;
}

}  // namespace holo::identity
