#include "identity/explain.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "identity/graph_loader.h"
#include "identity/graph_store.h"
#include "identity/hubs.h"
#include "storage/keys.h"

namespace holo::identity {
namespace {

namespace keys = storage::keys;

std::string ShortHex(const NodeKey& k) { return keys::ToHex(k).substr(0, 12); }

// Why node `i` is shared, with the counts behind the rule.
std::string DescribeShared(const Subgraph& g, const Resolution& res, uint32_t i, const MergePolicy& policy,
                           uint8_t reason) {
  std::map<std::string, int> per_namespace;
  int accounts = 0;
  int devices = 0;
  for (const GraphEdge& e : g.edges) {
    if ((e.a != i && e.b != i) || !IsMessageEvidence(e.kind)) continue;
    uint32_t other = e.a == i ? e.b : e.a;
    const std::string& type = g.type_names[g.nodes[other].type_id];
    if (ClassOf(type) == IdClass::kAccount) {
      per_namespace[type]++;
      accounts++;
    } else if (ClassOf(type) == IdClass::kDevice) {
      devices++;
    }
  }
  switch (reason) {
    case kSharedNamespace:
      for (const auto& [type, n] : per_namespace) {
        if (n >= 2) {
          return "shared identifier: seen with " + std::to_string(n) + " different " + type +
                 " accounts (a person has at most " + std::to_string(policy.max_accounts_per_namespace) + ")";
        }
      }
      break;
    case kSharedManyAccounts:
      return "shared identifier: seen with " + std::to_string(accounts) + " accounts (limit " +
             std::to_string(policy.shared_max_accounts) + ")";
    case kSharedHub:
      for (const auto& [node, degrees] : res.shared_degrees) {
        if (node == i) {
          return "hub identifier: " +
                 DescribeHub(ClassOf(g.type_names[g.nodes[i].type_id]), degrees, res.caps, policy);
        }
      }
      return "hub identifier: seen with " + std::to_string(devices) + " devices";
    case kSharedGateway:
      return "gateway identifier: a value of type '" + g.type_names[g.nodes[i].type_id] +
             "', whose values are commonly hubs (or declared a gateway type), seen with more than one "
             "device or account";
    default:
      break;
  }
  return "shared identifier: " + std::string(SharedReasonName(reason));
}

Result<uint64_t> OneIdAt(const storage::Store& store, const NodeKey& k, int64_t as_of_ms) {
  if (as_of_ms == 0) return LookupOneId(store, k);
  return LookupOneIdAsOf(store, k, as_of_ms);
}

}  // namespace

Result<Explanation> Explain(const storage::Store& store, const ExplainOptions& options,
                            const std::vector<NodeKey>& a, const std::vector<NodeKey>& b) {
  if (a.empty() || b.empty()) return Status::NotFound("nothing to explain: an identifier is unknown");
  const int64_t as_of = options.as_of_ms;
  Explanation ex;
  HOLO_ASSIGN_OR_RETURN(ex.oneid_a, OneIdAt(store, a.front(), as_of));
  HOLO_ASSIGN_OR_RETURN(ex.oneid_b, OneIdAt(store, b.front(), as_of));
  ex.same_person = ex.oneid_a != 0 && ex.oneid_a == ex.oneid_b;
  if (as_of != 0 && (ex.oneid_a == 0 || ex.oneid_b == 0)) {
    ex.notes.push_back("an identifier had no OneID at that time (not yet seen, or resolved before history was kept)");
  }

  // Breadth-first search over stored evidence from `a` to `b`; within the OneID
  // when they are the same person, across the graph otherwise.
  NodeSet targets(b.begin(), b.end());
  std::unordered_map<NodeKey, StoredEdge, keys::Key16Hash> parent;  // node -> edge that reached it
  std::vector<NodeKey> queue(a.begin(), a.end());
  NodeSet seen(a.begin(), a.end());
  std::optional<NodeKey> hit;
  for (const NodeKey& k : a) {
    if (targets.count(k)) hit = k;
  }
  for (size_t head = 0; head < queue.size() && !hit && seen.size() < options.max_visited; ++head) {
    std::vector<StoredEdge> edges;
    HOLO_RETURN_IF_ERROR(ForEachEdge(store, queue[head], [&](const StoredEdge& e) {
      if (e.kind != EdgeKind::kApart && (as_of == 0 || e.first_ts <= as_of)) edges.push_back(e);
    }));
    // Stronger evidence first (explicit link, co-occurrence, match; then more
    // messages or a higher weight), so the path shown is the one that counts most.
    auto strength = [](const StoredEdge& e) {
      int kind = e.kind == EdgeKind::kExplicitLink ? 0 : e.kind == EdgeKind::kCooccurrence ? 1 : 2;
      return std::make_tuple(kind, -static_cast<double>(e.count) - e.weight);
    };
    std::sort(edges.begin(), edges.end(), [&](const StoredEdge& x, const StoredEdge& y) {
      return std::make_pair(strength(x), x.to) < std::make_pair(strength(y), y.to);
    });
    for (StoredEdge& e : edges) {
      if (seen.count(e.to)) continue;
      if (ex.same_person) {
        HOLO_ASSIGN_OR_RETURN(uint64_t id, OneIdAt(store, e.to, as_of));
        if (id != ex.oneid_a) continue;
      }
      seen.insert(e.to);
      NodeKey to = e.to;
      parent.emplace(to, std::move(e));
      if (targets.count(to)) {
        hit = to;
        break;
      }
      queue.push_back(to);
    }
  }
  if (!hit) {
    for (const NodeKey& x : a) {
      for (const NodeKey& y : b) {
        HOLO_ASSIGN_OR_RETURN(auto w, store.Get(storage::Cf::kEdges, keys::EdgeVariantKey(x, y, keys::kWithdrawnVariant)));
        storage::StatsRecord rec;
        if (w.has_value() && storage::StatsRecord::Decode(*w, &rec)) {
          ex.notes.push_back("the link between them was withdrawn (" + rec.tail + ")");
        }
      }
      if (a.size() * b.size() > 64) break;
    }
    ex.notes.push_back(ex.same_person ? "no evidence path found within the OneID"
                                      : "no evidence links them (searched " + std::to_string(seen.size()) +
                                            " identifiers)");
    return ex;
  }
  ex.path_found = true;
  std::vector<NodeKey> nodes{*hit};
  for (NodeKey cur = *hit; parent.count(cur);) {
    const StoredEdge& e = parent.at(cur);
    EvidenceStep step;
    step.from = e.from;
    step.to = e.to;
    step.kind = e.kind;
    step.source = e.source;
    step.first_ts = e.first_ts;
    step.last_ts = e.last_ts;
    step.count = e.count;
    step.weight = e.weight;
    ex.path.push_back(std::move(step));
    nodes.push_back(e.from);
    cur = e.from;
  }
  std::reverse(ex.path.begin(), ex.path.end());
  for (EvidenceStep& s : ex.path) {
    HOLO_ASSIGN_OR_RETURN(s.from_type, NodeType(store, s.from));
    HOLO_ASSIGN_OR_RETURN(s.to_type, NodeType(store, s.to));
    HOLO_ASSIGN_OR_RETURN(s.from_oneid, OneIdAt(store, s.from, as_of));
    HOLO_ASSIGN_OR_RETURN(s.to_oneid, OneIdAt(store, s.to, as_of));
  }
  if (ex.same_person) return ex;
  if (as_of != 0) {
    for (EvidenceStep& s : ex.path) {
      if (s.from_oneid != s.to_oneid) s.blocked_by = "different OneIDs at that time";
    }
    ex.notes.push_back("rules are named for the current graph only; run explain without --as-of to see them");
    return ex;
  }

  // The path crosses OneIDs: re-run the rules on the components around it to
  // name what cut each crossing step.
  LoadedGraph loaded;
  NodeSet hub_marks;
  HOLO_RETURN_IF_ERROR(ReadHubMarks(store, &hub_marks));
  HOLO_ASSIGN_OR_RETURN(std::optional<HubCaps> caps, ReadHubCaps(store));
  HOLO_RETURN_IF_ERROR(LoadAffected(store, nodes, &loaded, &hub_marks));
  const SubgraphBuilder& builder = loaded.builder;
  const Subgraph& g = builder.graph();
  Resolution res = Resolve(g, options.policy, caps.has_value() ? &*caps : nullptr);
  for (EvidenceStep& s : ex.path) {
    if (s.from_oneid == s.to_oneid) continue;
    uint32_t i = builder.Find(s.from), j = builder.Find(s.to);
    if (i == kNoComponent || j == kNoComponent) {
      s.blocked_by = "outside the resolved neighbourhood";
      continue;
    }
    if (s.kind == EdgeKind::kMatch && s.weight < options.policy.min_match_weight) {
      s.blocked_by = "match weight " + std::to_string(s.weight) + " below the policy's min_match_weight " +
                     std::to_string(options.policy.min_match_weight);
      continue;
    }
    if (res.shared[i] || res.shared[j]) {
      uint32_t sh = res.shared[i] ? i : j;
      s.blocked_by = DescribeShared(g, res, sh, options.policy, res.shared[sh]) + " (" +
                     g.type_names[g.nodes[sh].type_id] + " " + ShortHex(g.nodes[sh].key) + "…)";
      continue;
    }
    for (const RefusedMerge& rm : res.refused) {
      const GraphEdge& e = g.edges[rm.edge];
      if ((e.a == i && e.b == j) || (e.a == j && e.b == i)) {
        s.blocked_by = "merge refused: " + std::string(RefusalName(rm.reason));
        break;
      }
    }
    if (s.blocked_by.empty()) s.blocked_by = "merge refused: stronger evidence placed them apart";
  }
  return ex;
}

}  // namespace holo::identity
