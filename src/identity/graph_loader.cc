#include "identity/graph_loader.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "identity/graph_store.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using storage::View;

// Collects the records of one (a, b) pair while a scan walks its adjacent keys.
class PairGroup {
 public:
  // Starts a new pair.
  void Reset(std::string_view pair32) {
    pair_.assign(pair32);
    has_evidence_ = has_match_ = withdrawn_ = false;
  }
  const std::string& pair() const { return pair_; }
  // Adds the record under `key` (32 or 33 bytes, prefix pair()).
  Status Add(std::string_view key, std::string_view value) {
    char variant = key.size() == 32 ? 0 : key[32];
    if (variant == keys::kWithdrawnVariant) {
      withdrawn_ = true;
      return Status::OK();
    }
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(value, &rec)) return Status::DataLoss("corrupt edge record");
    if (variant == keys::kMatchVariant) {
      has_match_ = true;
      match_.kind = EdgeKind::kMatch;
      match_.count = 1;
      match_.first_ts = rec.first_ts;
      match_.last_ts = rec.last_ts;
      DecodeMatchTail(rec.tail, &match_.weight, &match_.source);
    } else if (variant == 0) {
      if (rec.count == 0) return Status::OK();  // every message behind it was deleted
      has_evidence_ = true;
      evidence_.kind = static_cast<EdgeKind>(rec.kind);
      evidence_.count = rec.count;
      evidence_.first_ts = rec.first_ts;
      evidence_.last_ts = rec.last_ts;
      evidence_.source = std::move(rec.tail);
      evidence_.weight = 0;
    }
    return Status::OK();
  }
  // Emits the live edges of the pair.
  template <typename Fn>
  void Emit(Fn&& fn) {
    if (pair_.empty()) return;
    NodeKey a = keys::ToKey16(std::string_view(pair_).substr(0, 16));
    NodeKey b = keys::ToKey16(std::string_view(pair_).substr(16, 16));
    if (withdrawn_) {
      StoredEdge apart;
      apart.from = a;
      apart.to = b;
      apart.kind = EdgeKind::kApart;
      fn(apart);
      return;
    }
    if (has_evidence_) {
      evidence_.from = a;
      evidence_.to = b;
      fn(evidence_);
    }
    if (has_match_) {
      match_.from = a;
      match_.to = b;
      fn(match_);
    }
  }

 private:
  std::string pair_;
  bool has_evidence_ = false;
  bool has_match_ = false;
  bool withdrawn_ = false;
  StoredEdge evidence_;
  StoredEdge match_;
};

// Scans edge keys from `seek` while they start with `prefix`, calling fn per live edge.
template <typename Fn>
Status ScanEdges(const storage::Store& store, std::string_view prefix, Fn&& fn) {
  auto it = store.NewIterator(Cf::kEdges);
  PairGroup group;
  if (prefix.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  }
  for (; it->Valid(); it->Next()) {
    std::string_view k = View(it->key());
    if (!k.starts_with(prefix)) break;
    if (k.size() < 32) continue;
    if (k.substr(0, 32) != group.pair()) {
      group.Emit(fn);
      group.Reset(k.substr(0, 32));
    }
    HOLO_RETURN_IF_ERROR(group.Add(k, View(it->value())));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan edges"));
  group.Emit(fn);
  return Status::OK();
}

}  // namespace

std::string EncodeMatchTail(float weight, std::string_view source) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), weight, std::chars_format::fixed, 3);
  std::string out(buf, ec == std::errc() ? end : buf);
  out.push_back('\x1f');
  out.append(source);
  return out;
}

void DecodeMatchTail(std::string_view tail, float* weight, std::string* source) {
  size_t sep = tail.find('\x1f');
  std::string_view w = tail.substr(0, sep);
  *weight = 0;
  std::from_chars(w.data(), w.data() + w.size(), *weight);
  source->assign(sep == std::string_view::npos ? std::string_view() : tail.substr(sep + 1));
}

Status ForEachEdge(const storage::Store& store, const NodeKey& node,
                   const std::function<void(const StoredEdge&)>& fn) {
  return ScanEdges(store, keys::AsView(node), fn);
}

uint32_t SubgraphBuilder::AddNode(const NodeKey& key, std::string_view type, int64_t first_ts, bool boundary) {
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

uint32_t SubgraphBuilder::Find(const NodeKey& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? kNoComponent : it->second;
}

void SubgraphBuilder::AddEdge(uint32_t a, uint32_t b, const StoredEdge& e) {
  GraphEdge ge;
  ge.a = a;
  ge.b = b;
  ge.kind = e.kind;
  ge.count = e.count;
  ge.weight = e.weight;
  g_.edges.push_back(ge);
}

uint16_t SubgraphBuilder::TypeId(std::string_view type) {
  auto it = types_.find(std::string(type));
  if (it != types_.end()) return it->second;
  uint16_t id = static_cast<uint16_t>(g_.type_names.size());
  g_.type_names.emplace_back(type);
  types_.emplace(std::string(type), id);
  return id;
}

Status LoadFull(const storage::Store& store, LoadedGraph* out) {
  SubgraphBuilder& b = out->builder;
  auto it = store.NewIterator(Cf::kNodes);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    storage::StatsRecord rec;
    if (it->key().size() != 16 || !storage::StatsRecord::Decode(View(it->value()), &rec)) {
      return Status::DataLoss("corrupt node record");
    }
    b.AddNode(keys::ToKey16(View(it->key())), rec.tail, rec.first_ts, false);
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan nodes"));
  Subgraph& g = b.graph();
  out->old_ids.assign(g.nodes.size(), 0);
  auto git = store.NewIterator(Cf::kGraph);
  for (git->Seek("n"); git->Valid() && git->key().starts_with("n"); git->Next()) {
    uint32_t idx = b.Find(keys::ToKey16(View(git->key()).substr(1)));
    if (idx != kNoComponent && git->value().size() == 8) {
      out->old_ids[idx] = coding::DecodeFixed64BE(git->value().data());
    }
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(git->status(), "scan OneIDs"));
  return ScanEdges(store, "", [&](const StoredEdge& e) {
    if (!(e.from < e.to)) return;  // each undirected edge once
    uint32_t x = b.Find(e.from), y = b.Find(e.to);
    if (x != kNoComponent && y != kNoComponent) b.AddEdge(x, y, e);
  });
}

Status LoadAffected(const storage::Store& store, const std::vector<NodeKey>& seeds, LoadedGraph* out) {
  SubgraphBuilder& b = out->builder;
  NodeSet part(seeds.begin(), seeds.end());
  for (const NodeKey& d : seeds) {
    HOLO_RETURN_IF_ERROR(ForEachEdge(store, d, [&](const StoredEdge& e) { part.insert(e.to); }));
  }
  std::unordered_set<uint64_t> oneids;
  for (const NodeKey& k : std::vector<NodeKey>(part.begin(), part.end())) {
    HOLO_ASSIGN_OR_RETURN(uint64_t id, LookupOneId(store, k));
    if (id == 0 || !oneids.insert(id).second) continue;
    HOLO_ASSIGN_OR_RETURN(auto members, Members(store, id));
    part.insert(members.begin(), members.end());
  }
  // Deterministic node order; nodes without a record (erased) are skipped.
  std::vector<NodeKey> sorted(part.begin(), part.end());
  std::sort(sorted.begin(), sorted.end());
  for (const NodeKey& k : sorted) {
    HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kNodes, keys::AsView(k)));
    storage::StatsRecord rec;
    if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) continue;
    b.AddNode(k, rec.tail, rec.first_ts, false);
  }
  Subgraph& g = b.graph();
  const size_t inner = g.nodes.size();
  for (uint32_t i = 0; i < inner; ++i) {
    NodeKey self = g.nodes[i].key;
    std::vector<StoredEdge> edges;
    HOLO_RETURN_IF_ERROR(ForEachEdge(store, self, [&](const StoredEdge& e) { edges.push_back(e); }));
    for (const StoredEdge& e : edges) {
      uint32_t j = b.Find(e.to);
      if (j != kNoComponent && j < inner) {
        if (self < e.to) b.AddEdge(i, j, e);
        continue;
      }
      if (j == kNoComponent) {
        HOLO_ASSIGN_OR_RETURN(std::string type, NodeType(store, e.to));
        if (ClassOf(type) != IdClass::kAccount) continue;
        j = b.AddNode(e.to, type, 0, /*boundary=*/true);
      }
      b.AddEdge(i, j, e);
    }
  }
  out->old_ids.assign(g.nodes.size(), 0);
  for (uint32_t i = 0; i < inner; ++i) {
    HOLO_ASSIGN_OR_RETURN(out->old_ids[i], LookupOneId(store, g.nodes[i].key));
  }
  return Status::OK();
}

}  // namespace holo::identity
