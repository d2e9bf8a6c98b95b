#include "identity/graph_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <map>
#include <optional>
#include <tuple>

#include "identity/explain.h"
#include "storage/keys.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using storage::View;

class SubgraphBuilder {
 public:
  uint32_t AddNode(const NodeKey& key, std::string_view type, int64_t first_ts, bool boundary) {
    auto [it, inserted] = index_.emplace(key, static_cast<uint32_t>(g_.nodes.size()));
    if (!inserted) return it->second;
    GraphNode node;
    node.key = key;
    node.type_id = TypeId(type);
    node.first_ts = first_ts;
    node.boundary = boundary;
    g_.nodes.push_back(node);
    return it->second;
  }
  uint32_t Find(const NodeKey& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? kNoComponent : it->second;
  }
  uint16_t TypeId(std::string_view type) {
    auto it = types_.find(std::string(type));
    if (it != types_.end()) return it->second;
    uint16_t id = static_cast<uint16_t>(g_.type_names.size());
    g_.type_names.emplace_back(type);
    types_.emplace(std::string(type), id);
    return id;
  }
  Subgraph& graph() { return g_; }

 private:
  Subgraph g_;
  std::unordered_map<NodeKey, uint32_t, keys::Key16Hash> index_;
  std::unordered_map<std::string, uint16_t> types_;
};

Result<uint64_t> ReadCounter(const storage::Store& store, std::string_view key, uint64_t dflt) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, key));
  if (!v.has_value() || v->size() != 8) return dflt;
  return coding::DecodeFixed64BE(v->data());
}

// Loads the whole graph.
Status LoadFull(const storage::Store& store, SubgraphBuilder* b, std::vector<uint64_t>* old_ids,
                uint64_t* edge_count) {
  auto it = store.NewIterator(Cf::kNodes);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    storage::StatsRecord rec;
    if (it->key().size() != 16 || !storage::StatsRecord::Decode(View(it->value()), &rec)) {
      return Status::DataLoss("corrupt node record");
    }
    b->AddNode(keys::ToKey16(View(it->key())), rec.tail, rec.first_ts, false);
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan nodes"));
  auto& g = b->graph();
  old_ids->assign(g.nodes.size(), 0);
  auto git = store.NewIterator(Cf::kGraph);
  for (git->Seek("n"); git->Valid() && git->key().starts_with("n"); git->Next()) {
    uint32_t idx = b->Find(keys::ToKey16(View(git->key()).substr(1)));
    if (idx != kNoComponent && git->value().size() == 8) {
      (*old_ids)[idx] = coding::DecodeFixed64BE(git->value().data());
    }
  }
  auto eit = store.NewIterator(Cf::kEdges);
  for (eit->SeekToFirst(); eit->Valid(); eit->Next()) {
    std::string_view k = View(eit->key());
    if (k.size() != 32 || std::memcmp(k.data(), k.data() + 16, 16) >= 0) continue;
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(View(eit->value()), &rec)) return Status::DataLoss("corrupt edge");
    uint32_t a = b->Find(keys::ToKey16(k.substr(0, 16)));
    uint32_t c = b->Find(keys::ToKey16(k.substr(16)));
    if (a == kNoComponent || c == kNoComponent) continue;
    g.edges.push_back({a, c, static_cast<EdgeKind>(rec.kind), rec.count});
  }
  *edge_count = g.edges.size();
  return storage::FromRocks(eit->status(), "scan edges");
}

// Scans the neighbours of `node`, calling fn(neighbour, record).
template <typename Fn>
Status ForEachNeighbour(const storage::Store& store, const NodeKey& node, Fn fn) {
  auto it = store.NewIterator(Cf::kEdges);
  std::string_view prefix = keys::AsView(node);
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(View(it->value()), &rec)) return Status::DataLoss("corrupt edge");
    fn(keys::ToKey16(View(it->key()).substr(16)), rec);
  }
  return storage::FromRocks(it->status(), "scan edges");
}

Status AddMembers(const storage::Store& store, uint64_t oneid,
                  std::unordered_set<NodeKey, keys::Key16Hash>* out) {
  HOLO_ASSIGN_OR_RETURN(auto members, Members(store, oneid));
  out->insert(members.begin(), members.end());
  return Status::OK();
}

// Loads the part of the graph that `dirty` nodes touch: the nodes, their
// neighbours and the members of all their components; account neighbours
// outside it come in as boundary nodes.
Status LoadAffected(const storage::Store& store, const std::vector<NodeKey>& dirty,
                    SubgraphBuilder* b, std::vector<uint64_t>* old_ids, uint64_t* edge_count) {
  std::unordered_set<NodeKey, keys::Key16Hash> part(dirty.begin(), dirty.end());
  std::vector<NodeKey> frontier;
  for (const NodeKey& d : dirty) {
    HOLO_RETURN_IF_ERROR(ForEachNeighbour(store, d, [&](const NodeKey& nb, const storage::StatsRecord&) {
      if (part.insert(nb).second) frontier.push_back(nb);
    }));
  }
  std::unordered_set<uint64_t> oneids;
  for (const NodeKey& k : std::vector<NodeKey>(part.begin(), part.end())) {
    HOLO_ASSIGN_OR_RETURN(uint64_t id, LookupOneId(store, k));
    if (id != 0 && oneids.insert(id).second) HOLO_RETURN_IF_ERROR(AddMembers(store, id, &part));
  }
  // Deterministic node order.
  std::vector<NodeKey> sorted(part.begin(), part.end());
  std::sort(sorted.begin(), sorted.end());
  for (const NodeKey& k : sorted) {
    HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kNodes, keys::AsView(k)));
    storage::StatsRecord rec;
    if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) continue;
    b->AddNode(k, rec.tail, rec.first_ts, false);
  }
  auto& g = b->graph();
  const size_t inner = g.nodes.size();
  for (uint32_t i = 0; i < inner; ++i) {
    NodeKey self = g.nodes[i].key;
    std::vector<std::pair<NodeKey, storage::StatsRecord>> nbrs;
    HOLO_RETURN_IF_ERROR(ForEachNeighbour(store, self, [&](const NodeKey& nb, const storage::StatsRecord& rec) {
      nbrs.emplace_back(nb, rec);
    }));
    for (auto& [nb, rec] : nbrs) {
      uint32_t j = b->Find(nb);
      if (j == kNoComponent || j >= inner) {
        if (j == kNoComponent) {
          HOLO_ASSIGN_OR_RETURN(std::string type, NodeType(store, nb));
          if (ClassOf(type) != IdClass::kAccount) continue;
          j = b->AddNode(nb, type, 0, /*boundary=*/true);
        }
        g.edges.push_back({i, j, static_cast<EdgeKind>(rec.kind), rec.count});
      } else if (self < nb) {
        g.edges.push_back({i, j, static_cast<EdgeKind>(rec.kind), rec.count});
      }
    }
  }
  old_ids->assign(g.nodes.size(), 0);
  for (uint32_t i = 0; i < inner; ++i) {
    HOLO_ASSIGN_OR_RETURN((*old_ids)[i], LookupOneId(store, g.nodes[i].key));
  }
  *edge_count = g.edges.size();
  return Status::OK();
}

}  // namespace

Result<uint64_t> LookupOneId(const storage::Store& store, const NodeKey& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kGraph, keys::NodeOneIdKey(node)));
  if (!v.has_value() || v->size() != 8) return uint64_t{0};
  return coding::DecodeFixed64BE(v->data());
}

Result<std::vector<NodeKey>> Members(const storage::Store& store, uint64_t oneid) {
  std::vector<NodeKey> out;
  std::string prefix = keys::MemberPrefix(oneid);
  auto it = store.NewIterator(Cf::kGraph);
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    out.push_back(keys::ToKey16(View(it->key()).substr(prefix.size())));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan members"));
  return out;
}

Result<std::string> NodeType(const storage::Store& store, const NodeKey& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kNodes, keys::AsView(node)));
  storage::StatsRecord rec;
  if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) return std::string();
  return rec.tail;
}

Status ResolvePending(storage::Store* store, const ResolveOptions& options, ResolveStats* stats) {
  auto start = std::chrono::steady_clock::now();
  *stats = ResolveStats();
  std::vector<NodeKey> dirty;
  {
    auto it = store->NewIterator(Cf::kMeta);
    const std::string_view prefix = keys::kDirtyNodePrefix;
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
      dirty.push_back(keys::ToKey16(View(it->key()).substr(prefix.size())));
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan dirty nodes"));
  }
  stats->dirty_nodes = dirty.size();
  if (dirty.empty() && !options.force_full) return Status::OK();

  HOLO_ASSIGN_OR_RETURN(uint64_t next_oneid, ReadCounter(*store, keys::kNextOneId, 1));
  uint64_t total_nodes = store->EstimateKeys(Cf::kNodes);
  stats->full = options.force_full || next_oneid == 1 ||
                static_cast<double>(dirty.size()) > options.full_threshold * total_nodes;
  SubgraphBuilder builder;
  std::vector<uint64_t> old_ids;
  if (stats->full) {
    HOLO_RETURN_IF_ERROR(LoadFull(*store, &builder, &old_ids, &stats->edges));
  } else {
    HOLO_RETURN_IF_ERROR(LoadAffected(*store, dirty, &builder, &old_ids, &stats->edges));
  }
  Subgraph& g = builder.graph();
  auto log = [&](const std::string& line) {
    if (!options.log) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    options.log(line + " (" + std::to_string(static_cast<int>(secs)) + " s)");
  };
  log("resolve: loaded " + std::to_string(g.nodes.size()) + " identifiers and " +
      std::to_string(g.edges.size()) + " edges" + (stats->full ? " (whole graph)" : ""));
  Resolution res = Resolve(g, options.policy);
  std::vector<uint64_t> new_ids = AssignOneIds(g, res, old_ids, &next_oneid);
  stats->refused_merges = res.refused.size();
  log("resolve: " + std::to_string(res.num_components) + " components");

  // Collect the changes, then write them in key order (RocksDB's memtable inserts sorted
  // keys far faster than random ones); dirty-node marks go last so a crash re-runs.
  std::unordered_set<uint64_t> dirty_profiles;
  for (const NodeKey& d : dirty) {
    uint32_t i = builder.Find(d);
    if (i != kNoComponent && new_ids[i] != 0) dirty_profiles.insert(new_ids[i]);
  }
  struct Op {
    std::string key;
    std::string value;
    bool del = false;
    bool operator<(const Op& o) const { return key < o.key; }
  };
  std::vector<Op> graph_ops;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].boundary) continue;
    stats->resolved_nodes++;
    stats->shared_nodes += res.shared[i];
    if (new_ids[i] == old_ids[i]) continue;
    stats->changed_nodes++;
    const NodeKey& k = g.nodes[i].key;
    std::string id;
    coding::PutFixed64BE(&id, new_ids[i]);
    graph_ops.push_back({keys::NodeOneIdKey(k), std::move(id)});
    graph_ops.push_back({keys::MemberKey(new_ids[i], k), ""});
    dirty_profiles.insert(new_ids[i]);
    if (old_ids[i] != 0) {
      graph_ops.push_back({keys::MemberKey(old_ids[i], k), "", /*del=*/true});
      dirty_profiles.insert(old_ids[i]);
    }
  }
  std::sort(graph_ops.begin(), graph_ops.end());
  std::vector<uint64_t> profile_ids(dirty_profiles.begin(), dirty_profiles.end());
  std::sort(profile_ids.begin(), profile_ids.end());
  stats->dirty_profiles = profile_ids.size();

  rocksdb::WriteBatch batch;
  auto flush = [&](bool last) -> Status {
    if (!last && batch.Count() < 50000) return Status::OK();
    HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/last));
    batch.Clear();
    return Status::OK();
  };
  for (const Op& op : graph_ops) {
    if (op.del) {
      batch.Delete(store->cf(Cf::kGraph), op.key);
    } else {
      batch.Put(store->cf(Cf::kGraph), op.key, op.value);
    }
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  std::vector<Op>().swap(graph_ops);
  for (uint64_t id : profile_ids) {
    batch.Put(store->cf(Cf::kMeta), keys::DirtyProfile(id), "");
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  std::string counter;
  coding::PutFixed64BE(&counter, next_oneid);
  batch.Put(store->cf(Cf::kMeta), keys::kNextOneId, counter);
  for (const NodeKey& d : dirty) {
    batch.Delete(store->cf(Cf::kMeta), keys::DirtyNode(d));
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  HOLO_RETURN_IF_ERROR(flush(/*last=*/true));
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}


// ---------------------------------------------------------------------------
// Explain (declared in identity/explain.h); lives here to share the loaders.

namespace {

std::string ShortHex(const NodeKey& k) { return keys::ToHex(k).substr(0, 12); }

// Why `i` is shared, from its account neighbours in `g`.
std::string SharedReason(const Subgraph& g, uint32_t i, const MergePolicy& policy,
                         const std::vector<uint8_t>& shared) {
  std::map<std::string, int> per_namespace;
  int accounts = 0;
  bool on_shared_device = false;
  for (const GraphEdge& e : g.edges) {
    if (e.a != i && e.b != i) continue;
    uint32_t other = e.a == i ? e.b : e.a;
    const std::string& type = g.type_names[g.nodes[other].type_id];
    if (ClassOf(type) == IdClass::kAccount) {
      per_namespace[type]++;
      accounts++;
    } else if (ClassOf(type) == IdClass::kDevice && shared[other]) {
      on_shared_device = true;
    }
  }
  for (const auto& [type, n] : per_namespace) {
    if (n >= 2) {
      return "shared identifier: seen with " + std::to_string(n) + " different " + type +
             " accounts (a person has at most " + std::to_string(policy.max_accounts_per_namespace) + ")";
    }
  }
  if (accounts > policy.shared_max_accounts) {
    return "shared identifier: seen with " + std::to_string(accounts) + " accounts (limit " +
           std::to_string(policy.shared_max_accounts) + ")";
  }
  if (on_shared_device) return "shared identifier: an app install on a shared device";
  return "shared identifier";
}

}  // namespace

Result<Explanation> Explain(const storage::Store& store, const ExplainOptions& options,
                            const std::vector<NodeKey>& a, const std::vector<NodeKey>& b) {
  if (a.empty() || b.empty()) return Status::NotFound("nothing to explain: an identifier is unknown");
  Explanation ex;
  HOLO_ASSIGN_OR_RETURN(ex.oneid_a, LookupOneId(store, a.front()));
  HOLO_ASSIGN_OR_RETURN(ex.oneid_b, LookupOneId(store, b.front()));
  ex.same_person = ex.oneid_a != 0 && ex.oneid_a == ex.oneid_b;

  // Breadth-first search over stored evidence from `a` to `b`; within the OneID
  // when they are the same person, across the graph otherwise.
  std::unordered_set<NodeKey, keys::Key16Hash> targets(b.begin(), b.end());
  std::unordered_map<NodeKey, std::pair<NodeKey, storage::StatsRecord>, keys::Key16Hash> parent;
  std::vector<NodeKey> queue(a.begin(), a.end());
  std::unordered_set<NodeKey, keys::Key16Hash> seen(a.begin(), a.end());
  std::optional<NodeKey> hit;
  for (const NodeKey& k : a) {
    if (targets.count(k)) hit = k;
  }
  for (size_t head = 0; head < queue.size() && !hit && seen.size() < options.max_visited; ++head) {
    NodeKey cur = queue[head];
    std::vector<std::pair<NodeKey, storage::StatsRecord>> nbrs;
    HOLO_RETURN_IF_ERROR(ForEachNeighbour(store, cur, [&](const NodeKey& nb, const storage::StatsRecord& rec) {
      nbrs.emplace_back(nb, rec);
    }));
    // Stronger evidence first, so the path shown is the one that counts most.
    std::sort(nbrs.begin(), nbrs.end(), [](const auto& x, const auto& y) {
      return std::tie(y.second.kind, y.second.count, x.first) < std::tie(x.second.kind, x.second.count, y.first);
    });
    for (auto& [nb, rec] : nbrs) {
      if (seen.count(nb)) continue;
      if (ex.same_person) {
        HOLO_ASSIGN_OR_RETURN(uint64_t id, LookupOneId(store, nb));
        if (id != ex.oneid_a) continue;
      }
      seen.insert(nb);
      parent.emplace(nb, std::make_pair(cur, rec));
      if (targets.count(nb)) {
        hit = nb;
        break;
      }
      queue.push_back(nb);
    }
  }
  if (!hit) {
    ex.notes.push_back(ex.same_person ? "no evidence path found within the OneID"
                                      : "no evidence links them (searched " + std::to_string(seen.size()) +
                                            " identifiers)");
    return ex;
  }
  ex.path_found = true;
  std::vector<NodeKey> nodes{*hit};
  for (NodeKey cur = *hit; parent.count(cur);) {
    const auto& [prev, rec] = parent.at(cur);
    EvidenceStep step;
    step.from = prev;
    step.to = cur;
    step.kind = static_cast<EdgeKind>(rec.kind);
    step.source = rec.tail;
    step.first_ts = rec.first_ts;
    step.last_ts = rec.last_ts;
    step.count = rec.count;
    ex.path.push_back(std::move(step));
    nodes.push_back(prev);
    cur = prev;
  }
  std::reverse(ex.path.begin(), ex.path.end());
  for (EvidenceStep& s : ex.path) {
    HOLO_ASSIGN_OR_RETURN(s.from_type, NodeType(store, s.from));
    HOLO_ASSIGN_OR_RETURN(s.to_type, NodeType(store, s.to));
    HOLO_ASSIGN_OR_RETURN(s.from_oneid, LookupOneId(store, s.from));
    HOLO_ASSIGN_OR_RETURN(s.to_oneid, LookupOneId(store, s.to));
  }
  if (ex.same_person) return ex;

  // The path crosses OneIDs: re-run the rules on the components around it to
  // name what cut each crossing step.
  SubgraphBuilder builder;
  std::vector<uint64_t> old_ids;
  uint64_t edge_count = 0;
  HOLO_RETURN_IF_ERROR(LoadAffected(store, nodes, &builder, &old_ids, &edge_count));
  Subgraph& g = builder.graph();
  Resolution res = Resolve(g, options.policy);
  for (EvidenceStep& s : ex.path) {
    if (s.from_oneid == s.to_oneid) continue;
    uint32_t i = builder.Find(s.from), j = builder.Find(s.to);
    if (i == kNoComponent || j == kNoComponent) {
      s.blocked_by = "outside the resolved neighbourhood";
      continue;
    }
    if (res.shared[i] || res.shared[j]) {
      uint32_t sh = res.shared[i] ? i : j;
      s.blocked_by = SharedReason(g, sh, options.policy, res.shared) + " (" + g.type_names[g.nodes[sh].type_id] + " " +
                     ShortHex(g.nodes[sh].key) + "…)";
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
