#include "identity/graph_store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <unordered_map>
#include <unordered_set>
#include <map>
#include <set>
#include <optional>
#include <tuple>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "identity/graph_loader.h"
#include "identity/hubs.h"
#include "storage/keys.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;

Result<uint64_t> ReadCounter(const storage::Store& store, std::string_view key, uint64_t dflt) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, key));
  if (!v.has_value() || v->size() != 8) return dflt;
  return coding::DecodeFixed64BE(v->data());
}

// The OneID `node` had before `current` (from its history), or 0.
Result<uint64_t> PreviousOneId(const storage::Store& store, const NodeKey& node, uint64_t current) {
  auto it = store.NewCursor(Cf::kGraph);
  const std::string prefix = keys::HistoryPrefix(node);
  for (it->SeekForPrev(keys::HistoryKey(node, INT64_MAX)); it->Valid() && it->key().starts_with(prefix);
       it->Prev()) {
    if (it->value().size() != 8) continue;
    uint64_t id = coding::DecodeFixed64BE(it->value().data());
    if (id != current && id != 0) return id;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("read history"));
  return uint64_t{0};
}

// Un-merging returns each part to its own OneID. When the members of one old
// OneID end up in several components (a split), each part takes the OneID most
// of its members had before their current one — or the current one, for
// members that never had another — provided no one outside this resolution
// holds it and no earlier part took it; parts are served largest first. A part
// without such an id keeps what AssignOneIds chose, or a fresh one if that was
// taken.
Status RestorePreMergeIds(const storage::Store& store, const Subgraph& g, const Resolution& res,
                          const std::vector<uint64_t>& old_ids, uint64_t* next_oneid, std::vector<uint64_t>* new_ids) {
  // Only a OneID that some member left can have split (cheap on a stable full rebuild).
  std::unordered_set<uint64_t> moved;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (res.component[i] != kNoComponent && old_ids[i] != 0 && (*new_ids)[i] != old_ids[i]) moved.insert(old_ids[i]);
  }
  if (moved.empty()) return Status::OK();
  std::unordered_map<uint64_t, std::set<uint32_t>> comps_of_old;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (res.component[i] != kNoComponent && moved.count(old_ids[i])) comps_of_old[old_ids[i]].insert(res.component[i]);
  }
  std::set<uint32_t> split_parts;
  for (const auto& [id, comps] : comps_of_old) {
    if (comps.size() > 1) split_parts.insert(comps.begin(), comps.end());
  }
  if (split_parts.empty()) return Status::OK();
  std::map<uint32_t, std::vector<uint32_t>> members;  // split part -> nodes
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (res.component[i] != kNoComponent && split_parts.count(res.component[i])) members[res.component[i]].push_back(i);
  }
  // Each part's candidates, most votes first.
  std::map<uint32_t, std::vector<uint64_t>> candidates;
  std::unordered_set<uint64_t> all_candidates;
  for (const auto& [c, nodes] : members) {
    std::map<uint64_t, size_t> votes;
    for (uint32_t i : nodes) {
      if (old_ids[i] == 0) continue;
      HOLO_ASSIGN_OR_RETURN(uint64_t prev, PreviousOneId(store, g.nodes[i].key, old_ids[i]));
      votes[prev != 0 ? prev : old_ids[i]]++;
    }
    std::vector<std::pair<size_t, uint64_t>> ranked;
    for (const auto& [id, n] : votes) ranked.emplace_back(n, id);
    std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
      return std::make_pair(y.first, x.second) < std::make_pair(x.first, y.second);
    });
    for (const auto& [n, id] : ranked) {
      candidates[c].push_back(id);
      all_candidates.insert(id);
    }
  }
  // Ids held by components that did not split stay where they are.
  std::unordered_set<uint64_t> taken;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (res.component[i] != kNoComponent && !split_parts.count(res.component[i]) &&
        all_candidates.count((*new_ids)[i])) {
      taken.insert((*new_ids)[i]);
    }
  }
  std::vector<uint32_t> order(split_parts.begin(), split_parts.end());
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return std::make_pair(members[y].size(), x) < std::make_pair(members[x].size(), y);
  });
  NodeSet loaded;
  for (const auto& [c, nodes] : members) {
    for (uint32_t i : nodes) loaded.insert(g.nodes[i].key);
  }
  std::unordered_set<uint64_t> given;
  for (uint32_t c : order) {
    const std::vector<uint32_t>& nodes = members[c];
    uint64_t chosen = 0;
    for (uint64_t id : candidates[c]) {
      if (taken.count(id) || given.count(id)) continue;
      // Free: everyone holding it now is in one of the parts being re-assigned.
      HOLO_ASSIGN_OR_RETURN(auto holders, Members(store, id));
      bool free = true;
      for (const NodeKey& h : holders) free = free && loaded.count(h) > 0;
      if (free) {
        chosen = id;
        break;
      }
    }
    if (chosen == 0) {
      const uint64_t assigned = (*new_ids)[nodes.front()];
      chosen = given.count(assigned) || taken.count(assigned) ? (*next_oneid)++ : assigned;
    }
    given.insert(chosen);
    for (uint32_t i : nodes) (*new_ids)[i] = chosen;
  }
  return Status::OK();
}

// The merge and split records of one re-resolution, as JSON objects: a merge when
// a new OneID gathers members of two or more old ones, a split when the members of
// an old OneID end up in two or more new ones. Counts them into `stats`.
std::vector<std::string> MergeSplitEvents(const Subgraph& g, const Resolution& res, const std::vector<uint64_t>& old_ids,
                                          const std::vector<uint64_t>& new_ids, int64_t now, std::string_view cause,
                                          ResolveStats* stats) {
  // Only OneIDs touched by a change can be part of a merge or split.
  std::unordered_set<uint64_t> olds, news;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (res.component[i] == kNoComponent || old_ids[i] == 0 || old_ids[i] == new_ids[i]) continue;
    olds.insert(old_ids[i]);
    news.insert(new_ids[i]);
  }
  std::map<uint64_t, std::map<uint64_t, uint64_t>> by_new;  // new -> old -> members
  std::map<uint64_t, std::map<uint64_t, uint64_t>> by_old;  // old -> new -> members
  if (!olds.empty()) {
    for (uint32_t i = 0; i < g.nodes.size(); ++i) {
      if (res.component[i] == kNoComponent || old_ids[i] == 0) continue;
      if (!olds.count(old_ids[i]) && !news.count(new_ids[i])) continue;
      by_new[new_ids[i]][old_ids[i]]++;
      by_old[old_ids[i]][new_ids[i]]++;
    }
  }
  std::vector<std::string> out;
  auto emit = [&](std::string_view type, uint64_t oneid, std::string_view list_name,
                  const std::map<uint64_t, uint64_t>& parts) {
    std::string json;
    JsonWriter w(&json);
    w.BeginObject();
    w.Key("type").String(type);
    w.Key("time").String(FormatIso8601Ms(now));
    w.Key("oneid").Uint(oneid);
    w.Key(list_name).BeginArray();
    for (const auto& [id, n] : parts) w.Uint(id);
    w.EndArray();
    w.Key("identifiers").BeginArray();
    for (const auto& [id, n] : parts) w.Uint(n);
    w.EndArray();
    w.Key("cause").String(cause);
    w.EndObject();
    out.push_back(std::move(json));
  };
  for (const auto& [id, parts] : by_old) {
    if (parts.size() > 1) {
      emit("split", id, "into", parts);
      stats->splits++;
    }
  }
  for (const auto& [id, parts] : by_new) {
    if (parts.size() > 1) {
      emit("merge", id, "from", parts);
      stats->merges++;
    }
  }
  return out;
}

}  // namespace

Result<uint64_t> OneIdsHandedOut(const storage::Store& store) {
  HOLO_ASSIGN_OR_RETURN(uint64_t next_oneid, ReadCounter(store, keys::kNextOneId, 1));
  return next_oneid - 1;
}

Result<uint64_t> LookupOneId(const storage::Store& store, const NodeKey& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kGraph, keys::NodeOneIdKey(node)));
  if (!v.has_value() || v->size() != 8) return uint64_t{0};
  return coding::DecodeFixed64BE(v->data());
}

Result<uint64_t> LookupOneIdAsOf(const storage::Store& store, const NodeKey& node, int64_t as_of_ms) {
  auto it = store.NewCursor(Cf::kGraph);
  std::string prefix = keys::HistoryPrefix(node);
  it->SeekForPrev(keys::HistoryKey(node, as_of_ms));
  if (!it->Valid() || !it->key().starts_with(prefix) || it->value().size() != 8) {
    HOLO_RETURN_IF_ERROR(it->status().WithContext("read history"));
    return uint64_t{0};
  }
  return coding::DecodeFixed64BE(it->value().data());
}

Result<std::vector<NodeKey>> Members(const storage::Store& store, uint64_t oneid) {
  std::vector<NodeKey> out;
  std::string prefix = keys::MemberPrefix(oneid);
  auto it = store.NewCursor(Cf::kGraph);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.push_back(keys::ToKey16(it->key().substr(prefix.size())));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan members"));
  return out;
}

Result<std::string> NodeType(const storage::Store& store, const NodeKey& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kNodes, keys::AsView(node)));
  storage::StatsRecord rec;
  if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) return std::string();
  return rec.tail;
}

Result<std::optional<HubCaps>> ReadHubCaps(const storage::Store& store) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, keys::kHubCaps));
  if (!v.has_value()) return std::optional<HubCaps>();
  HubCaps caps;
  if (!DecodeHubCaps(*v, &caps)) return Status::DataLoss("stored hub caps (meta " + std::string(keys::kHubCaps) + ") are unreadable");
  return std::optional<HubCaps>(std::move(caps));
}

Status ReadHubMarks(const storage::Store& store, NodeSet* marks) {
  auto it = store.NewCursor(Cf::kMeta);
  const std::string_view prefix = keys::kHubMarkPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    std::string_view k = it->key();
    if (k.size() == prefix.size() + 16) marks->insert(keys::ToKey16(k.substr(prefix.size())));
  }
  return it->status().WithContext("scan hub marks");
}

Status ReadDirtyNodes(const storage::Store& store, std::vector<NodeKey>* nodes, std::vector<std::string>* lists) {
  // Sorted vectors, not hash sets: a first load lists every identifier (15M at 1M persons).
  std::vector<NodeKey> marked;
  auto it = store.NewCursor(Cf::kMeta);
  const std::string_view marks = keys::kDirtyNodePrefix;
  for (it->Seek(marks); it->Valid() && it->key().starts_with(marks);
       it->Next()) {
    marked.push_back(keys::ToKey16(it->key().substr(marks.size())));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan dirty nodes"));
  std::vector<NodeKey> listed;
  const std::string_view prefix = keys::kDirtyListPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    lists->emplace_back(it->key());
    std::string_view v = it->value();
    for (size_t at = 0; at + 16 <= v.size(); at += 16) listed.push_back(keys::ToKey16(v.substr(at, 16)));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan dirty node lists"));
  std::sort(marked.begin(), marked.end());
  marked.erase(std::unique(marked.begin(), marked.end()), marked.end());
  std::sort(listed.begin(), listed.end());
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  {
    std::vector<NodeKey> only_listed;
    std::set_difference(listed.begin(), listed.end(), marked.begin(), marked.end(), std::back_inserter(only_listed));
    listed.swap(only_listed);
  }
  // Listed nodes may have been erased since their write (erasure removes only the
  // per-node marks): only those still in the graph's node table count. Many (a first
  // load): one scan of the node table beside them; few: point reads.
  std::vector<NodeKey> present;
  if (listed.size() > store.EstimateKeys(Cf::kNodes) / 8) {
    storage::ScanOptions scan;
    scan.fill_cache = false;
    scan.readahead_bytes = 8 << 20;
    auto nit = store.NewCursor(Cf::kNodes, scan);
    size_t i = 0;
    for (nit->Seek(keys::AsView(listed.front())); nit->Valid() && i < listed.size(); nit->Next()) {
      const std::string_view k = nit->key();
      while (i < listed.size() && keys::AsView(listed[i]) < k) ++i;
      if (i < listed.size() && keys::AsView(listed[i]) == k) present.push_back(listed[i++]);
    }
    HOLO_RETURN_IF_ERROR(nit->status().WithContext("scan nodes"));
  } else {
    for (size_t from = 0; from < listed.size(); from += 4096) {
      size_t n = std::min<size_t>(4096, listed.size() - from);
      std::vector<std::string_view> node_keys;
      node_keys.reserve(n);
      for (size_t i = 0; i < n; ++i) node_keys.push_back(keys::AsView(listed[from + i]));
      HOLO_ASSIGN_OR_RETURN(auto values, store.MultiGet(Cf::kNodes, node_keys));
      for (size_t i = 0; i < n; ++i) {
        if (values[i].has_value()) present.push_back(listed[from + i]);
      }
    }
  }
  std::vector<NodeKey>().swap(listed);
  nodes->reserve(nodes->size() + marked.size() + present.size());
  std::merge(marked.begin(), marked.end(), present.begin(), present.end(), std::back_inserter(*nodes));
  return Status::OK();
}

Status ResolvePending(storage::Store* store, const ResolveOptions& options, ResolveStats* stats) {
  auto start = std::chrono::steady_clock::now();
  *stats = ResolveStats();
  std::vector<NodeKey> dirty;
  std::vector<std::string> dirty_lists;  // their keys, deleted once handled
  HOLO_RETURN_IF_ERROR(ReadDirtyNodes(*store, &dirty, &dirty_lists));
  stats->dirty_nodes = dirty.size();
  if (dirty.empty() && !options.force_full) return Status::OK();

  HOLO_ASSIGN_OR_RETURN(uint64_t next_oneid, ReadCounter(*store, keys::kNextOneId, 1));
  uint64_t total_nodes = store->EstimateKeys(Cf::kNodes);
  stats->full = options.force_full || next_oneid == 1 ||
                static_cast<double>(dirty.size()) > options.full_threshold * total_nodes;
  // Hub caps come from the whole graph: a store without them (resolved before they
  // existed) is resolved whole once, and so is a part holding an identifier type the caps
  // were not learned on (a new feed may be made of hubs: hubs.h, gateway types).
  HOLO_ASSIGN_OR_RETURN(std::optional<HubCaps> stored_caps, ReadHubCaps(*store));
  if (!stored_caps.has_value()) stats->full = true;
  NodeSet marks;
  HOLO_RETURN_IF_ERROR(ReadHubMarks(*store, &marks));
  LoadedGraph loaded;
  if (!stats->full) {
    HOLO_RETURN_IF_ERROR(LoadAffected(*store, dirty, &loaded, &marks));
    for (const std::string& type : loaded.builder.graph().type_names) {
      const std::vector<std::string>& known = stored_caps->known_other_types;
      if (TierOf(ClassOf(type)) == kTierOther && std::find(known.begin(), known.end(), type) == known.end()) {
        stats->full = true;
        loaded = LoadedGraph();
        break;
      }
    }
  }
  if (stats->full) HOLO_RETURN_IF_ERROR(LoadFull(*store, &loaded));
  SubgraphBuilder& builder = loaded.builder;
  const std::vector<uint64_t>& old_ids = loaded.old_ids;
  Subgraph& g = builder.graph();
  stats->edges = g.edges.size();
  auto log = [&](const std::string& line) {
    if (!options.log) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    options.log(line + " (" + std::to_string(static_cast<int>(secs)) + " s)");
  };
  log("resolve: loaded " + std::to_string(g.nodes.size()) + " identifiers and " +
      std::to_string(g.edges.size()) + " edges" + (stats->full ? " (whole graph)" : ""));
  Resolution res = Resolve(g, options.policy, stats->full ? nullptr : &*stored_caps);
  std::vector<uint64_t> new_ids = AssignOneIds(g, res, old_ids, &next_oneid);
  HOLO_RETURN_IF_ERROR(RestorePreMergeIds(*store, g, res, old_ids, &next_oneid, &new_ids));
  stats->refused_merges = res.refused.size();
  log("resolve: " + std::to_string(res.num_components) + " components");

  // The changed nodes, then their rows written family by family in key order (RocksDB's
  // memtable inserts sorted keys far faster than random ones): "h" history, "n" node -> OneID,
  // "o" OneID -> members. Only indices are held, not the keys: a first resolution changes
  // every node (45M rows at 1M persons). Dirty-node marks go last so a crash re-runs.
  std::unordered_set<uint64_t> dirty_profiles;
  for (const NodeKey& d : dirty) {
    uint32_t i = builder.Find(d);
    if (i != kNoComponent && new_ids[i] != 0) dirty_profiles.insert(new_ids[i]);
  }
  const int64_t now = options.now_ms != 0 ? options.now_ms : NowMs();
  std::vector<uint32_t> changed;  // node indices, by key
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].boundary) continue;
    stats->resolved_nodes++;
    stats->shared_nodes += res.shared[i] != 0;
    if (new_ids[i] == old_ids[i]) continue;
    changed.push_back(i);
    dirty_profiles.insert(new_ids[i]);
    if (old_ids[i] != 0) dirty_profiles.insert(old_ids[i]);
  }
  stats->changed_nodes = changed.size();
  std::sort(changed.begin(), changed.end(), [&](uint32_t a, uint32_t b) { return g.nodes[a].key < g.nodes[b].key; });
  struct MemberOp {  // "o" rows: (OneID, node) put, or deleted for the OneID the node left
    uint64_t oneid;
    uint32_t node;
    bool del;
  };
  std::vector<MemberOp> member_ops;
  member_ops.reserve(changed.size());
  for (uint32_t i : changed) {
    member_ops.push_back({new_ids[i], i, false});
    if (old_ids[i] != 0) member_ops.push_back({old_ids[i], i, true});
  }
  std::sort(member_ops.begin(), member_ops.end(), [&](const MemberOp& a, const MemberOp& b) {
    return a.oneid != b.oneid ? a.oneid < b.oneid : g.nodes[a.node].key < g.nodes[b.node].key;
  });
  std::vector<std::string> feed = MergeSplitEvents(g, res, old_ids, new_ids, now, options.cause, stats);
  std::vector<uint64_t> profile_ids(dirty_profiles.begin(), dirty_profiles.end());
  std::sort(profile_ids.begin(), profile_ids.end());
  stats->dirty_profiles = profile_ids.size();

  storage::WriteBatch batch(*store);
  auto flush = [&](bool last) -> Status {
    if (!last && batch.Count() < 50000) return Status::OK();
    HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/last));
    batch.Clear();
    return Status::OK();
  };
  std::string id;
  auto put_id = [&](const std::string& key, uint64_t oneid) -> Status {
    id.clear();
    coding::PutFixed64BE(&id, oneid);
    batch.Put(Cf::kGraph, key, id);
    return flush(false);
  };
  for (uint32_t i : changed) HOLO_RETURN_IF_ERROR(put_id(keys::HistoryKey(g.nodes[i].key, now), new_ids[i]));
  for (uint32_t i : changed) HOLO_RETURN_IF_ERROR(put_id(keys::NodeOneIdKey(g.nodes[i].key), new_ids[i]));
  std::vector<uint32_t>().swap(changed);
  for (const MemberOp& op : member_ops) {
    const std::string key = keys::MemberKey(op.oneid, g.nodes[op.node].key);
    if (op.del) {
      batch.Delete(Cf::kGraph, key);
    } else {
      batch.Put(Cf::kGraph, key, "");
    }
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  std::vector<MemberOp>().swap(member_ops);
  for (uint64_t id : profile_ids) {
    batch.Put(Cf::kMeta, keys::DirtyProfile(id), "");
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  std::string counter;
  coding::PutFixed64BE(&counter, next_oneid);
  batch.Put(Cf::kMeta, keys::kNextOneId, counter);
  if (!feed.empty()) {
    HOLO_ASSIGN_OR_RETURN(uint64_t feed_seq, ReadCounter(*store, keys::kFeedSeq, 0));
    for (const std::string& record : feed) batch.Put(Cf::kMeta, keys::FeedKey(++feed_seq), record);
    counter.clear();
    coding::PutFixed64BE(&counter, feed_seq);
    batch.Put(Cf::kMeta, keys::kFeedSeq, counter);
  }
  // Hub caps (after a whole-graph resolution) and the hub marks of the resolved nodes.
  if (stats->full) batch.Put(Cf::kMeta, keys::kHubCaps, EncodeHubCaps(res.caps));
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].boundary) continue;
    const bool hub = res.shared[i] == kSharedHub || res.shared[i] == kSharedGateway;
    const bool marked = marks.erase(g.nodes[i].key) != 0;
    if (hub == marked) continue;
    const std::string key = std::string(keys::kHubMarkPrefix) + std::string(keys::AsView(g.nodes[i].key));
    if (hub) {
      batch.Put(Cf::kMeta, key, "");
    } else {
      batch.Delete(Cf::kMeta, key);
    }
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  if (stats->full) {  // marks of identifiers no longer in the graph
    for (const NodeKey& k : marks) {
      batch.Delete(Cf::kMeta, std::string(keys::kHubMarkPrefix) + std::string(keys::AsView(k)));
      HOLO_RETURN_IF_ERROR(flush(false));
    }
  }
  for (const NodeKey& d : dirty) {
    batch.Delete(Cf::kMeta, keys::DirtyNode(d));
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  for (const std::string& k : dirty_lists) {
    batch.Delete(Cf::kMeta, k);
    HOLO_RETURN_IF_ERROR(flush(false));
  }
  HOLO_RETURN_IF_ERROR(flush(/*last=*/true));
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

}  // namespace holo::identity
