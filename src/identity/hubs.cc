#include "identity/hubs.h"

#include "identity/huge_vector.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace holo::identity {

HubTier TierOf(IdClass c) {
  switch (c) {
    case IdClass::kDevice:
    case IdClass::kAdId:
    case IdClass::kMac:
    case IdClass::kAnonymous:
      return kTierInstall;
    case IdClass::kAccount:
    case IdClass::kEmail:
    case IdClass::kPhone:
      return kTierPerson;
    case IdClass::kOther:
      return kTierOther;
  }
  return kTierOther;
}

NbrClass NbrClassOf(IdClass c) {
  switch (c) {
    case IdClass::kDevice: return kNbrDevice;
    case IdClass::kMac: return kNbrMac;
    case IdClass::kAdId: return kNbrAdId;
    case IdClass::kAnonymous: return kNbrInstall;
    default: return kNumNbrClasses;
  }
}

std::string_view TierName(HubTier t) {
  switch (t) {
    case kTierInstall: return "install";
    case kTierPerson: return "person";
    case kTierOther: return "other";
    default: return "?";
  }
}

std::string_view NbrClassName(NbrClass c) {
  switch (c) {
    case kNbrDevice: return "device_ids";
    case kNbrMac: return "macs";
    case kNbrAdId: return "ad_ids";
    case kNbrInstall: return "installs";
    default: return "?";
  }
}

namespace {

constexpr uint8_t kSaturated = 255;

void Bump(uint8_t* d) {
  if (*d < kSaturated) ++*d;
}

// Floor and ceiling of cap[tier][cls] (hubs.h).
std::pair<int, int> CapBounds(HubTier tier, NbrClass cls, const MergePolicy& policy) {
  const int device_ceiling = std::clamp(policy.hub_max_devices, 1, 254);
  if (cls == kNbrInstall) {
    const int floor = tier == kTierInstall ? kInstallTierInstallFloor : kPersonTierInstallFloor;
    return {floor, std::max<int>(floor, kInstallCeiling)};
  }
  if (tier == kTierInstall) return {kInstallTierDeviceFloor, device_ceiling};
  // A stricter per-person limit does not lower the floor: the limit refuses unions, the
  // cap decides who is a hub, and a hub is discounted by the account rules.
  const int floor = std::clamp(std::max<int>(kPersonTierDeviceFloor, policy.max_device_ids), 1, device_ceiling);
  return {floor, device_ceiling};
}

// Tukey's far-out fence of a histogram of degrees >= 1 (hist[d] nodes of degree d).
int Fence(const std::array<uint64_t, 256>& hist) {
  uint64_t total = 0;
  for (int d = 1; d < 256; ++d) total += hist[d];
  if (total == 0) return 0;
  auto quantile = [&](double q) {
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(total) + 0.5));
    uint64_t seen = 0;
    for (int d = 1; d < 256; ++d) {
      seen += hist[d];
      if (seen >= rank) return d;
    }
    return 255;
  };
  const int q1 = quantile(0.25), q3 = quantile(0.75);
  return q3 + 3 * (q3 - q1);
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Calls fn(e) for every message-evidence edge between two different nodes (matches and
// withdrawals decide no sharing). Edges come sorted by their first end, so the random
// accesses are those to the second end: prefetch(b) is called a few edges ahead to
// start them early (on the 1M-person graph the passes are bound by those misses).
template <class Prefetch, class Fn>
void ForEachEvidenceEdge(const std::vector<GraphEdge>& edges, Prefetch&& prefetch, Fn&& fn) {
  constexpr size_t kAhead = 12;
  const size_t m = edges.size();
  for (size_t k = 0; k < m; ++k) {
    if (k + kAhead < m) prefetch(edges[k + kAhead].b);
    const GraphEdge& e = edges[k];
    if (IsMessageEvidence(e.kind) && e.a != e.b) fn(e);
  }
}

}  // namespace

void FindShared(const SharedInput& in, Resolution* r) {
  const Subgraph& g = *in.g;
  const MergePolicy& policy = *in.policy;
  const std::vector<IdClass>& cls = *in.node_cls;
  const std::vector<uint16_t>& node_ns = *in.node_ns;
  const size_t n = g.nodes.size();
  r->shared = HugeVector<uint8_t>(n, kNotShared);

  // 1. Degrees per neighbour class, and each node's account neighbours (CSR).
  std::vector<Degrees> deg = HugeVector(n, Degrees{});
  std::vector<uint32_t> start = HugeVector<uint32_t>(n + 1, 0);
  auto prefetch_degrees = [&](uint32_t b) {
    __builtin_prefetch(&cls[b]);
    __builtin_prefetch(&deg[b], 1);
    __builtin_prefetch(&start[b], 1);
  };
  ForEachEvidenceEdge(g.edges, prefetch_degrees, [&](const GraphEdge& e) {
    if (NbrClass c = NbrClassOf(cls[e.b]); c != kNumNbrClasses) Bump(&deg[e.a][c]);
    if (NbrClass c = NbrClassOf(cls[e.a]); c != kNumNbrClasses) Bump(&deg[e.b][c]);
    if (cls[e.b] == IdClass::kAccount) start[e.a]++;
    if (cls[e.a] == IdClass::kAccount) start[e.b]++;
  });
  if (g.outside.size() == n) {
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < kNumNbrClasses; ++c) {
        deg[i][c] = static_cast<uint8_t>(std::min<int>(kSaturated, deg[i][c] + g.outside[i][c]));
      }
    }
  }
  // start[i] becomes the end of node i's range; filling backwards moves it to the start.
  for (size_t i = 1; i < n; ++i) start[i] += start[i - 1];
  start[n] = n == 0 ? 0 : start[n - 1];
  std::vector<std::pair<uint16_t, uint32_t>> nbrs = HugeVector(start[n], std::pair<uint16_t, uint32_t>());
  ForEachEvidenceEdge(
      g.edges,
      [&](uint32_t b) {
        __builtin_prefetch(&cls[b]);
        __builtin_prefetch(&start[b], 1);
      },
      [&](const GraphEdge& e) {
        if (cls[e.b] == IdClass::kAccount) nbrs[--start[e.a]] = {node_ns[e.b], e.b};
        if (cls[e.a] == IdClass::kAccount) nbrs[--start[e.b]] = {node_ns[e.a], e.a};
      });

  // 2. Caps: given, or learned from the degree distributions of this (whole) graph.
  std::vector<std::string> other_types;  // tier-"other" types present, sorted
  for (const std::string& t : g.type_names) {
    if (TierOf(ClassOf(t)) == kTierOther) other_types.push_back(t);
  }
  std::sort(other_types.begin(), other_types.end());
  HubCaps caps;
  if (in.caps != nullptr) {
    caps = *in.caps;
  } else {
    std::array<std::array<std::array<uint64_t, 256>, kNumNbrClasses>, kNumTiers> hist{};
    for (size_t i = 0; i < n; ++i) {
      if (g.nodes[i].boundary) continue;
      const HubTier t = TierOf(cls[i]);
      for (int c = 0; c < kNumNbrClasses; ++c) hist[t][c][deg[i][c]]++;
    }
    for (int t = 0; t < kNumTiers; ++t) {
      for (int c = 0; c < kNumNbrClasses; ++c) {
        auto [floor, ceiling] = CapBounds(static_cast<HubTier>(t), static_cast<NbrClass>(c), policy);
        caps.cap[t][c] = static_cast<uint8_t>(std::clamp(Fence(hist[t][c]), floor, ceiling));
      }
    }
    caps.known_other_types = other_types;
  }
  // The caps in force: the learned (or stored) ones, with the policy's fixed caps over them.
  auto cap_of = caps.cap;
  for (int t = 0; t < kNumTiers; ++t) {
    for (int c = 0; c < kNumNbrClasses; ++c) {
      if (policy.hub_caps[t][c] > 0) cap_of[t][c] = static_cast<uint8_t>(std::clamp(policy.hub_caps[t][c], 1, 254));
    }
  }
  auto over = [&](uint32_t i, const Degrees& d) {
    const auto& cap = cap_of[TierOf(cls[i])];
    for (int c = 0; c < kNumNbrClasses; ++c) {
      if (d[c] > cap[c]) return true;
    }
    return false;
  };

  // 3. Peeling: candidates by how far over their caps they are, most first; a candidate
  // is a hub if it is still over once the hubs found before it are discounted.
  std::vector<uint32_t> cand;
  for (uint32_t i = 0; i < n; ++i) {
    if (!g.nodes[i].boundary && over(i, deg[i])) cand.push_back(i);
  }
  if (!cand.empty()) {
    auto excess = [&](uint32_t i) {
      double x = 0;
      for (int c = 0; c < kNumNbrClasses; ++c) {
        x = std::max(x, static_cast<double>(deg[i][c]) / cap_of[TierOf(cls[i])][c]);
      }
      return x;
    };
    std::vector<std::pair<double, uint32_t>> order;
    order.reserve(cand.size());
    for (uint32_t i : cand) order.emplace_back(excess(i), i);
    std::sort(order.begin(), order.end(), [&](const auto& x, const auto& y) {
      if (x.first != y.first) return x.first > y.first;
      return g.nodes[x.second].key < g.nodes[y.second].key;
    });
    // Counted neighbours of the candidates only (CSR over candidate slots).
    std::unordered_map<uint32_t, uint32_t> slot;
    std::vector<bool> is_cand(n, false);
    for (uint32_t k = 0; k < cand.size(); ++k) {
      slot.emplace(cand[k], k);
      is_cand[cand[k]] = true;
    }
    std::vector<uint32_t> cstart(cand.size() + 1, 0);
    for (const GraphEdge& e : g.edges) {
      if (!IsMessageEvidence(e.kind) || e.a == e.b) continue;
      if (is_cand[e.a] && NbrClassOf(cls[e.b]) != kNumNbrClasses) cstart[slot[e.a]]++;
      if (is_cand[e.b] && NbrClassOf(cls[e.a]) != kNumNbrClasses) cstart[slot[e.b]]++;
    }
    for (size_t k = 1; k <= cand.size(); ++k) cstart[k] += cstart[k - 1];
    std::vector<uint32_t> cnbrs(cstart[cand.size()]);
    for (const GraphEdge& e : g.edges) {
      if (!IsMessageEvidence(e.kind) || e.a == e.b) continue;
      if (is_cand[e.a] && NbrClassOf(cls[e.b]) != kNumNbrClasses) cnbrs[--cstart[slot[e.a]]] = e.b;
      if (is_cand[e.b] && NbrClassOf(cls[e.a]) != kNumNbrClasses) cnbrs[--cstart[slot[e.b]]] = e.a;
    }
    for (const auto& [x, i] : order) {
      const uint32_t k = slot[i];
      Degrees d{};
      if (g.outside.size() == n) d = g.outside[i];
      for (uint32_t p = cstart[k]; p < cstart[k + 1]; ++p) {
        const uint32_t u = cnbrs[p];
        if (r->shared[u] == kSharedHub) continue;
        Bump(&d[NbrClassOf(cls[u])]);
      }
      if (over(i, d)) r->shared[i] = kSharedHub;
    }
  }

  // 4. Accounts: two of one namespace, or too many in all (hub accounts not counted).
  std::vector<uint8_t> accounts = HugeVector<uint8_t>(n, 0);  // distinct non-hub accounts, saturating
  for (size_t i = 0; i < n; ++i) {
    if (cls[i] == IdClass::kAccount) continue;
    const bool hub = r->shared[i] == kSharedHub;  // keeps its reason
    auto first = nbrs.begin() + start[i], last = nbrs.begin() + start[i + 1];
    last = std::remove_if(first, last, [&](const auto& a) { return r->shared[a.second] == kSharedHub; });
    std::sort(first, last);
    last = std::unique(first, last);
    const int64_t distinct = last - first;
    accounts[i] = static_cast<uint8_t>(std::min<int64_t>(distinct, kSaturated));
    if (hub || (distinct < 2 && policy.shared_max_accounts >= 1)) continue;
    for (auto it = first + 1; it < last; ++it) {
      if (it->first == (it - 1)->first) {
        r->shared[i] = kSharedNamespace;
        break;
      }
    }
    if (distinct > policy.shared_max_accounts) r->shared[i] = kSharedManyAccounts;
  }

  // 4b. Bridges: an email, phone or other identifier whose own devices and installs are
  // logged into two accounts of one namespace belongs to two people (a family e-mail
  // typed into two members' apps, a home IP). Shared intermediates (a family tablet, a
  // kiosk, hubs) do not count: they are already kept apart.
  {
    // Each node's role, computed once: the edge passes below then read one byte per end.
    enum : uint8_t { kNone = 0, kCandidate = 1, kIntermediate = 2 };
    std::vector<uint8_t> role = HugeVector<uint8_t>(n, kNone);
    for (uint32_t i = 0; i < n; ++i) {
      if (r->shared[i] != kNotShared) continue;
      const IdClass c = cls[i];
      if ((c == IdClass::kEmail || c == IdClass::kPhone || c == IdClass::kOther) && !g.nodes[i].boundary) {
        role[i] = kCandidate;
      } else if (NbrClassOf(c) != kNumNbrClasses && accounts[i] > 0) {
        role[i] = kIntermediate;
      }
    }
    auto bridge_candidate = [&](uint32_t i) { return role[i] == kCandidate; };
    auto intermediate = [&](uint32_t u) { return role[u] == kIntermediate; };
    // Intermediates of every candidate in one flat CSR array (no per-node containers).
    std::vector<uint32_t> vstart = HugeVector<uint32_t>(n + 1, 0);
    auto prefetch_role = [&](uint32_t b) {
      __builtin_prefetch(&role[b]);
      __builtin_prefetch(&vstart[b], 1);
    };
    ForEachEvidenceEdge(g.edges, prefetch_role, [&](const GraphEdge& e) {
      if (bridge_candidate(e.a) && intermediate(e.b)) vstart[e.a]++;
      if (bridge_candidate(e.b) && intermediate(e.a)) vstart[e.b]++;
    });
    for (size_t i = 1; i <= n; ++i) vstart[i] += vstart[i - 1];
    std::vector<uint32_t> via = HugeVector<uint32_t>(vstart[n], 0);
    ForEachEvidenceEdge(g.edges, prefetch_role, [&](const GraphEdge& e) {
      if (bridge_candidate(e.a) && intermediate(e.b)) via[--vstart[e.a]] = e.b;
      if (bridge_candidate(e.b) && intermediate(e.a)) via[--vstart[e.b]] = e.a;
    });
    std::vector<std::pair<uint16_t, uint32_t>> seen;
    for (uint32_t i = 0; i < n; ++i) {
      if (vstart[i + 1] - vstart[i] < 2) continue;  // one device: its accounts passed the namespace rule
      seen.assign(nbrs.begin() + start[i], nbrs.begin() + start[i] + accounts[i]);
      for (uint32_t p = vstart[i]; p < vstart[i + 1]; ++p) {
        const uint32_t u = via[p];
        seen.insert(seen.end(), nbrs.begin() + start[u], nbrs.begin() + start[u] + accounts[u]);
      }
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      for (size_t k = 1; k < seen.size(); ++k) {
        if (seen[k].first == seen[k - 1].first) {
          r->shared[i] = kSharedBridge;
          break;
        }
      }
    }
  }
  std::vector<std::pair<uint16_t, uint32_t>>().swap(nbrs);
  std::vector<uint32_t>().swap(start);

  // 5. Gateway types: declared, or learned (a type whose values are commonly hubs).
  if (in.caps == nullptr) {
    std::map<uint16_t, std::pair<uint32_t, uint32_t>> per_type;  // type -> (linked to something, shared)
    for (size_t i = 0; i < n; ++i) {
      if (g.nodes[i].boundary || TierOf(cls[i]) != kTierOther) continue;
      const Degrees& d = deg[i];
      if (d[kNbrDevice] + d[kNbrMac] + d[kNbrAdId] + d[kNbrInstall] == 0 && accounts[i] == 0) continue;
      auto& [with_device, hubs] = per_type[g.nodes[i].type_id];
      with_device++;
      hubs += r->shared[i] != kNotShared;
    }
    for (const auto& [type, counts] : per_type) {
      if (counts.second >= kGatewayMinHubs && counts.second >= kGatewayHubShare * counts.first) {
        caps.gateway_types.push_back(g.type_names[type]);
      }
    }
    std::sort(caps.gateway_types.begin(), caps.gateway_types.end());
  }
  std::vector<uint8_t> gateway_type(g.type_names.size(), 0);  // 1 learned, 2 declared
  for (size_t t = 0; t < g.type_names.size(); ++t) {
    if (Contains(policy.gateway_types, g.type_names[t])) {
      gateway_type[t] = 2;
    } else if (Contains(caps.gateway_types, g.type_names[t])) {
      gateway_type[t] = 1;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (gateway_type[g.nodes[i].type_id] != 0 && r->shared[i] == kNotShared) r->shared[i] = kSharedGateway;
  }

  // 6. Install-level identifiers on a device shared for its accounts are shared too.
  for (const GraphEdge& e : g.edges) {
    for (auto [dev, other] : {std::pair{e.a, e.b}, std::pair{e.b, e.a}}) {
      const uint8_t why = r->shared[dev];
      if ((why != kSharedNamespace && why != kSharedManyAccounts) || cls[dev] != IdClass::kDevice ||
          g.nodes[dev].boundary) {
        continue;
      }
      IdClass c = cls[other];
      if ((c == IdClass::kAnonymous || c == IdClass::kAdId || c == IdClass::kMac) && !r->shared[other]) {
        r->shared[other] = kSharedOnDevice;
      }
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (r->shared[i] != kNotShared) r->shared_degrees.emplace_back(i, deg[i]);
  }
  r->caps = std::move(caps);
}

std::string DescribeHub(IdClass cls, const Degrees& degrees, const HubCaps& caps, const MergePolicy& policy) {
  const HubTier t = TierOf(cls);
  std::string worst;
  double worst_excess = 0;
  for (int c = 0; c < kNumNbrClasses; ++c) {
    const int cap = policy.hub_caps[t][c] > 0 ? policy.hub_caps[t][c] : caps.cap[t][c];
    const double excess = cap > 0 ? static_cast<double>(degrees[c]) / cap : 0;
    if (degrees[c] <= cap || excess <= worst_excess) continue;
    worst_excess = excess;
    worst = "seen with " + std::string(degrees[c] == 255 ? "255 or more" : std::to_string(degrees[c])) + " " +
            std::string(NbrClassName(static_cast<NbrClass>(c))) + " (a " + std::string(TierName(t)) +
            "-level identifier holds at most " + std::to_string(cap) + ")";
  }
  return worst.empty() ? "over a hub cap once other hubs are discounted" : worst;
}

std::string EncodeHubCaps(const HubCaps& caps) {
  std::string out = "hubcaps 1\n";
  for (int t = 0; t < kNumTiers; ++t) {
    out += "cap " + std::string(TierName(static_cast<HubTier>(t)));
    for (int c = 0; c < kNumNbrClasses; ++c) out += " " + std::to_string(caps.cap[t][c]);
    out += "\n";
  }
  for (const std::string& t : caps.gateway_types) out += "gateway " + t + "\n";
  for (const std::string& t : caps.known_other_types) out += "other " + t + "\n";
  return out;
}

bool DecodeHubCaps(std::string_view text, HubCaps* caps) {
  *caps = HubCaps();
  bool header = false;
  int rows = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line == "hubcaps 1") {
      header = true;
    } else if (line.starts_with("cap ")) {
      std::istringstream in{std::string(line.substr(4))};
      std::string tier;
      in >> tier;
      int t = 0;
      while (t < kNumTiers && TierName(static_cast<HubTier>(t)) != tier) ++t;
      if (t == kNumTiers) return false;
      for (int c = 0; c < kNumNbrClasses; ++c) {
        int v = 0;
        if (!(in >> v) || v < 1 || v > 255) return false;
        caps->cap[t][c] = static_cast<uint8_t>(v);
      }
      ++rows;
    } else if (line.starts_with("gateway ")) {
      caps->gateway_types.emplace_back(line.substr(8));
    } else if (line.starts_with("other ")) {
      caps->known_other_types.emplace_back(line.substr(6));
    } else if (!line.empty()) {
      return false;
    }
  }
  return header && rows == kNumTiers;
}

}  // namespace holo::identity
