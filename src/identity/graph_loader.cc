#include "identity/graph_loader.h"

#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "identity/graph_store.h"
#include "identity/hubs.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;

// Bytes before the tail of a StatsRecord (storage/store.h): kind, first_ts, last_ts, count.
constexpr size_t kStatsHeader = 25;

// Read options for the whole-graph scans: large sequential reads, and no block-cache
// fills (a one-off scan of everything would only evict what lookups keep there).
storage::ScanOptions FullScanOptions() {
  storage::ScanOptions o;
  o.fill_cache = false;
  o.readahead_bytes = 8 << 20;
  return o;
}

// The weight of a match record's tail "<weight>\x1f<source>" (as DecodeMatchTail).
float MatchWeight(std::string_view tail) {
  std::string_view w = tail.substr(0, tail.find('\x1f'));
  float weight = 0;
  std::from_chars(w.data(), w.data() + w.size(), weight);
  return weight;
}

// Reserves room for `n` elements and asks for the buffer to be backed by 2 MiB pages.
// A full load fills arrays of hundreds of MB and reads them at random; with 4 KiB pages
// the page faults and TLB misses cost more than the work itself on virtual machines.
template <typename T>
void ReserveHuge(std::vector<T>* v, size_t n) {
  v->reserve(n);
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(v->data()) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(v->data() + v->capacity()) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint
#endif
}

// Appends `x`, growing `v` (with ReserveHuge) by half when full.
template <typename T>
void PushBack(std::vector<T>* v, const T& x) {
  if (v->size() == v->capacity()) {
    std::vector<T> bigger;
    ReserveHuge(&bigger, std::max<size_t>(1024, v->capacity() + v->capacity() / 2));
    bigger.insert(bigger.end(), v->begin(), v->end());
    v->swap(bigger);
  }
  v->push_back(x);
}

// Key order without a library call per comparison: the first 8 bytes, then the rest,
// each compared as a big-endian integer (the same order as the store's).
uint64_t Word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return __builtin_bswap64(w);
}
bool KeyLess(const NodeKey& a, const NodeKey& b) {
  const uint64_t a0 = Word(a.data()), b0 = Word(b.data());
  return a0 != b0 ? a0 < b0 : Word(a.data() + 8) < Word(b.data() + 8);
}

// Finds nodes by key in nodes sorted by key, through a table of where each key prefix
// starts. Keys are keyed hashes, so a prefix of log2(n) bits holds one or two nodes and
// a lookup costs two memory accesses, which Prefetch() lets a caller overlap for a batch
// of keys. Any key distribution stays correct (only slower).
class NodeIndex {
 public:
  explicit NodeIndex(const std::vector<GraphNode>& nodes) : nodes_(nodes) {
    while (bits_ < 30 && (size_t{1} << (bits_ + 1)) <= nodes.size()) ++bits_;
    ReserveHuge(&start_, (size_t{1} << bits_) + 1);
    start_.resize((size_t{1} << bits_) + 1);
    uint32_t i = 0;
    for (uint64_t p = 0; p + 1 < start_.size(); ++p) {
      while (i < nodes.size() && Prefix(nodes[i].key) < p) ++i;
      start_[p] = i;
    }
    start_.back() = static_cast<uint32_t>(nodes.size());
  }

  // Starts loading what Find(key) reads: step 0 the table entry, step 1 the first node.
  void Prefetch(const NodeKey& key, int step) const {
    if (step == 0) {
      __builtin_prefetch(&start_[Prefix(key)]);
    } else {
      __builtin_prefetch(nodes_.data() + start_[Prefix(key)]);
    }
  }

  // Returns the index of `key` in the nodes, or kNoComponent.
  uint32_t Find(const NodeKey& key) const {
    const uint64_t p = Prefix(key);
    auto first = nodes_.begin() + start_[p];
    auto last = nodes_.begin() + start_[p + 1];
    auto it = std::lower_bound(
        first, last, key, [](const GraphNode& n, const NodeKey& k) { return KeyLess(n.key, k); });
    return it != last && it->key == key ? static_cast<uint32_t>(it - nodes_.begin()) : kNoComponent;
  }

 private:
  uint64_t Prefix(const NodeKey& k) const {
    return bits_ == 0 ? 0 : Word(k.data()) >> (64 - bits_);
  }
  const std::vector<GraphNode>& nodes_;
  int bits_ = 0;
  std::vector<uint32_t> start_;  // start_[p]: first node whose prefix is >= p
};

// A full load scans the key space in parts, in parallel. Parts split on the first key
// byte, which is uniform (keys start with a keyed hash), so parts hold about the same
// number of records; the records of one node (and of one edge pair) never straddle two.
struct KeyRange {
  std::string lower;
  std::string upper;  // empty: to the end
};

std::vector<KeyRange> SplitKeySpace(int parts) {
  std::vector<KeyRange> ranges(parts);
  for (int p = 1; p < parts; ++p) {
    ranges[p].lower.assign(1, static_cast<char>(p * 256 / parts));
    ranges[p - 1].upper = ranges[p].lower;
  }
  return ranges;
}

// Runs task(i) for i in [0, n), each on its own thread (task 0 on the caller's), and
// returns the first error.
Status RunParallel(int n, const std::function<Status(int)>& task) {
  std::vector<Status> status(n);
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([&, i] { status[i] = task(i); });
  status[0] = task(0);
  for (std::thread& t : threads) t.join();
  for (const Status& s : status) HOLO_RETURN_IF_ERROR(s);
  return Status::OK();
}

// Calls fn(key, value) for every record of `cf` in `range`, in key order.
template <typename Fn>
Status ScanRange(const storage::Store& store, Cf cf, const KeyRange& range, std::string_view what,
                 Fn&& fn) {
  storage::ScanOptions options = FullScanOptions();
  options.upper_bound = range.upper;
  std::unique_ptr<storage::Cursor> it = store.NewCursor(cf, options);
  for (it->Seek(range.lower); it->Valid(); it->Next()) HOLO_RETURN_IF_ERROR(fn(it->key(), it->value()));
  return it->status().WithContext(what);
}

// Appends `src` to `dst`, keeping a ReserveHuge buffer when `dst` must grow.
template <typename T>
void Append(std::vector<T>* dst, const std::vector<T>& src) {
  if (dst->capacity() < dst->size() + src.size()) {
    std::vector<T> bigger;
    ReserveHuge(&bigger, dst->size() + src.size());
    bigger.insert(bigger.end(), dst->begin(), dst->end());
    dst->swap(bigger);
  }
  dst->insert(dst->end(), src.begin(), src.end());
}

// Appends the nodes of one part of the key space to `nodes`, in key order; their type
// ids index `types`, to which the part's new types are added in order of first sighting.
Status ScanNodes(const storage::Store& store, const KeyRange& range, std::vector<GraphNode>* nodes,
                 std::vector<std::string>* types) {
  uint16_t last_type = 0;  // consecutive nodes often share a type
  return ScanRange(store, Cf::kNodes, range, "scan nodes",
                   [&](std::string_view k, std::string_view v) {
                     if (k.size() != 16 || v.size() < kStatsHeader)
                       return Status::DataLoss("corrupt node record");
                     GraphNode node;
                     std::memcpy(node.key.data(), k.data(), 16);
                     node.first_ts = static_cast<int64_t>(coding::DecodeFixed64BE(v.data() + 1));
                     const std::string_view type(v.data() + kStatsHeader, v.size() - kStatsHeader);
                     if (last_type >= types->size() || (*types)[last_type] != type) {
                       // A few dozen types: a linear search.
                       auto t = std::find(types->begin(), types->end(), type);
                       if (t == types->end()) t = types->emplace(t, type);
                       last_type = static_cast<uint16_t>(t - types->begin());
                     }
                     node.type_id = last_type;
                     PushBack(nodes, node);
                     return Status::OK();
                   });
}

// Edges a16 b16 [variant] -> record of one part of the key space. The records of one
// pair are adjacent; only pairs with a < b are kept (each undirected edge once), and of
// those only the kind, count and match weight are read (as AddEdge keeps them). `a` advances in key
// order, so it is found by a merge; `b` is looked up in batches whose memory accesses overlap.
class EdgeScan {
 public:
  EdgeScan(const std::vector<GraphNode>& nodes, const NodeIndex& index, const KeyRange& range,
           std::vector<GraphEdge>* out)
      : nodes_(nodes), index_(index), out_(out) {
    // The merge cursor starts at the part's first node.
    const uint8_t first = range.lower.empty() ? 0 : static_cast<uint8_t>(range.lower[0]);
    from_ = std::partition_point(nodes.begin(), nodes.end(),
                                 [&](const GraphNode& n) { return n.key[0] < first; }) -
            nodes.begin();
  }

  Status Add(std::string_view k, std::string_view v) {
    if (k.size() < 32) return Status::OK();
    if (!in_pair_ || std::memcmp(k.data(), pair_, 32) != 0) {
      EndPair();
      std::memcpy(pair_, k.data(), 32);
      in_pair_ = true;
      wanted_ = std::memcmp(pair_, pair_ + 16, 16) < 0;
      withdrawn_ = has_evidence_ = has_match_ = false;
    }
    const char variant = k.size() == 32 ? 0 : k[32];
    if (variant == keys::kWithdrawnVariant) {
      withdrawn_ = true;
      return Status::OK();
    }
    if (v.size() < kStatsHeader) return Status::DataLoss("corrupt edge record");
    if (!wanted_) return Status::OK();
    if (variant == keys::kMatchVariant) {
      has_match_ = true;
      match_.kind = EdgeKind::kMatch;
      match_.count = 1;
      match_.weight =
          MatchWeight(std::string_view(v.data() + kStatsHeader, v.size() - kStatsHeader));
    } else if (variant == 0) {
      const uint64_t count = coding::DecodeFixed64BE(v.data() + 17);
      if (count == 0) return Status::OK();  // every message behind it was deleted
      has_evidence_ = true;
      evidence_.kind = static_cast<EdgeKind>(static_cast<uint8_t>(v[0]));
      evidence_.count = count;
      evidence_.weight = 0;
    }
    return Status::OK();
  }

  // Call once after the last record.
  void Finish() {
    EndPair();
    Flush();
  }

 private:
  static constexpr size_t kBatch = 64;

  // Emits the edges of the current pair, with `b` still to be looked up: its evidence and
  // match edges or, if the pair is withdrawn, one kApart edge instead.
  void EndPair() {
    if (!in_pair_ || !wanted_ || (!withdrawn_ && !has_evidence_ && !has_match_)) return;
    NodeKey a;
    std::memcpy(a.data(), pair_, 16);
    while (from_ < nodes_.size() && KeyLess(nodes_[from_].key, a)) ++from_;
    if (from_ == nodes_.size() || nodes_[from_].key != a) return;
    NodeKey b;
    std::memcpy(b.data(), pair_ + 16, 16);
    GraphEdge apart;
    apart.kind = EdgeKind::kApart;
    apart.count = 0;
    const bool live = !withdrawn_;
    for (GraphEdge* e :
         {withdrawn_ ? &apart : nullptr, live && has_evidence_ ? &evidence_ : nullptr,
          live && has_match_ ? &match_ : nullptr}) {
      if (e == nullptr) continue;
      e->a = static_cast<uint32_t>(from_);
      PushBack(out_, *e);
      pending_[num_pending_++] = b;
      if (num_pending_ == kBatch) Flush();
    }
  }

  // Looks up `b` of the last num_pending_ edges of out_ and drops those whose `b` has no
  // node record (an erased identifier).
  void Flush() {
    for (int step = 0; step < 2; ++step) {
      for (size_t k = 0; k < num_pending_; ++k) index_.Prefetch(pending_[k], step);
    }
    const size_t base = out_->size() - num_pending_;
    size_t kept = base;
    for (size_t k = 0; k < num_pending_; ++k) {
      const uint32_t y = index_.Find(pending_[k]);
      if (y == kNoComponent) continue;
      (*out_)[kept] = (*out_)[base + k];
      (*out_)[kept++].b = y;
    }
    out_->resize(kept);
    num_pending_ = 0;
  }

  const std::vector<GraphNode>& nodes_;
  const NodeIndex& index_;
  std::vector<GraphEdge>* out_;
  size_t from_ = 0;
  char pair_[32];
  bool in_pair_ = false;  // pair_ holds the current pair
  bool wanted_ = false;   // the current pair has a < b
  bool withdrawn_ = false;
  bool has_evidence_ = false;
  bool has_match_ = false;
  GraphEdge evidence_;
  GraphEdge match_;
  NodeKey pending_[kBatch];
  size_t num_pending_ = 0;
};

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
  auto it = store.NewCursor(Cf::kEdges);
  PairGroup group;
  if (prefix.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(prefix);
  }
  for (; it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (!k.starts_with(prefix)) break;
    if (k.size() < 32) continue;
    if (k.substr(0, 32) != group.pair()) {
      group.Emit(fn);
      group.Reset(k.substr(0, 32));
    }
    HOLO_RETURN_IF_ERROR(group.Add(k, it->value()));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan edges"));
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

uint32_t SubgraphBuilder::AddNode(const NodeKey& key, std::string_view type, int64_t first_ts,
                                  bool boundary) {
  if (index_.empty() && !g_.nodes.empty()) {
    // The nodes came from a bulk load (LoadFull), which leaves the index empty: build it
    // (and the type table) before the first node is added one by one.
    index_.reserve(g_.nodes.size() + 1);
    for (uint32_t i = 0; i < g_.nodes.size(); ++i) index_.emplace(g_.nodes[i].key, i);
    for (uint16_t t = 0; t < g_.type_names.size(); ++t) types_.emplace(g_.type_names[t], t);
  }
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
  if (index_.empty()) {
    // Empty after a bulk load (LoadFull), whose nodes are in key order.
    auto it = std::lower_bound(g_.nodes.begin(), g_.nodes.end(), key,
                               [](const GraphNode& n, const NodeKey& k) { return n.key < k; });
    return it != g_.nodes.end() && it->key == key ? static_cast<uint32_t>(it - g_.nodes.begin())
                                                  : kNoComponent;
  }
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
  // Three scans, decoding records in place (none is copied): the nodes, in parts in
  // parallel; then the edges, in parts in parallel, beside the OneIDs. Node i is the
  // i-th node key in key order; the builder's hash index stays empty (Find() then
  // searches the sorted nodes). Part 0 fills the graph's arrays, the others their own,
  // appended in key order.
  *out = LoadedGraph();
  Subgraph& g = out->builder.graph();
  const size_t estimated_nodes = store.EstimateKeys(Cf::kNodes) + 1024;
  const int parts =
      estimated_nodes < 100000 ? 1 : std::clamp<int>(std::thread::hardware_concurrency(), 1, 4);
  const std::vector<KeyRange> ranges = SplitKeySpace(parts);

  struct NodePart {
    std::vector<GraphNode> nodes;
    std::vector<std::string> types;
  };
  std::vector<NodePart> node_parts(parts);
  ReserveHuge(&g.nodes, estimated_nodes * 9 / 8);
  HOLO_RETURN_IF_ERROR(RunParallel(parts, [&](int p) {
    if (p == 0) return ScanNodes(store, ranges[p], &g.nodes, &g.type_names);
    ReserveHuge(&node_parts[p].nodes, estimated_nodes / parts * 9 / 8);
    return ScanNodes(store, ranges[p], &node_parts[p].nodes, &node_parts[p].types);
  }));
  for (int p = 1; p < parts; ++p) {
    // A type's id is its rank of first sighting in key order.
    NodePart& part = node_parts[p];
    std::vector<uint16_t> type_id(part.types.size());
    for (size_t t = 0; t < part.types.size(); ++t) {
      auto it = std::find(g.type_names.begin(), g.type_names.end(), part.types[t]);
      if (it == g.type_names.end()) it = g.type_names.insert(it, part.types[t]);
      type_id[t] = static_cast<uint16_t>(it - g.type_names.begin());
    }
    for (GraphNode& node : part.nodes) node.type_id = type_id[node.type_id];
    Append(&g.nodes, part.nodes);
    std::vector<GraphNode>().swap(part.nodes);
  }
  const NodeIndex index(g.nodes);

  ReserveHuge(&out->old_ids, g.nodes.size());
  out->old_ids.assign(g.nodes.size(), 0);
  // Both directions of each edge are stored, and only one is kept.
  const size_t estimated_edges = store.EstimateKeys(Cf::kEdges) / 2 + 1024;
  ReserveHuge(&g.edges, estimated_edges * 9 / 8);
  std::vector<std::vector<GraphEdge>> edge_parts(parts);
  HOLO_RETURN_IF_ERROR(RunParallel(parts + 1, [&](int p) -> Status {
    if (p == parts) {
      // OneIDs: 'n' node16 -> oneid8, joined to the nodes by a merge.
      size_t i = 0;
      return ScanRange(store, Cf::kGraph, KeyRange{"n", "o"}, "scan OneIDs",
                       [&](std::string_view k, std::string_view v) {
                         const NodeKey key =
                             keys::ToKey16(std::string_view(k.data() + 1, k.size() - 1));
                         while (i < g.nodes.size() && KeyLess(g.nodes[i].key, key)) ++i;
                         if (i < g.nodes.size() && g.nodes[i].key == key && v.size() == 8) {
                           out->old_ids[i] = coding::DecodeFixed64BE(v.data());
                         }
                         return Status::OK();
                       });
    }
    std::vector<GraphEdge>* edges = &g.edges;
    if (p > 0) {
      edges = &edge_parts[p];
      ReserveHuge(edges, estimated_edges / parts * 9 / 8);
    }
    EdgeScan scan(g.nodes, index, ranges[p], edges);
    HOLO_RETURN_IF_ERROR(ScanRange(
        store, Cf::kEdges, ranges[p], "scan edges",
        [&](std::string_view k, std::string_view v) { return scan.Add(k, v); }));
    scan.Finish();
    return Status::OK();
  }));
  for (int p = 1; p < parts; ++p) {
    Append(&g.edges, edge_parts[p]);
    std::vector<GraphEdge>().swap(edge_parts[p]);
  }
  return Status::OK();
}

Status LoadAffected(const storage::Store& store, const std::vector<NodeKey>& seeds,
                    LoadedGraph* out, const NodeSet* known_hubs) {
  SubgraphBuilder& b = out->builder;
  NodeSet part(seeds.begin(), seeds.end());
  for (const NodeKey& d : seeds) {
    HOLO_RETURN_IF_ERROR(ForEachEdge(store, d, [&](const StoredEdge& e) { part.insert(e.to); }));
  }
  // Current OneIDs, read once: the part's nodes by lookup, their OneIDs' members by scan.
  std::unordered_map<NodeKey, uint64_t, keys::Key16Hash> oneid_of;
  std::unordered_set<uint64_t> oneids;
  for (const NodeKey& k : std::vector<NodeKey>(part.begin(), part.end())) {
    HOLO_ASSIGN_OR_RETURN(uint64_t id, LookupOneId(store, k));
    oneid_of[k] = id;
    if (id == 0 || !oneids.insert(id).second) continue;
    HOLO_ASSIGN_OR_RETURN(auto members, Members(store, id));
    for (const NodeKey& m : members) {
      part.insert(m);
      oneid_of[m] = id;
    }
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
      // A neighbour outside the part: known hubs count for nothing (they were peeled off
      // when they were found), others count towards the node's degree (hubs.h).
      if (known_hubs != nullptr && known_hubs->count(e.to) != 0) continue;
      if (j == kNoComponent) {
        HOLO_ASSIGN_OR_RETURN(std::string type, NodeType(store, e.to));
        const IdClass c = ClassOf(type);
        if (c != IdClass::kAccount) {
          const NbrClass nc = NbrClassOf(c);
          if (IsMessageEvidence(e.kind) && nc != kNumNbrClasses) {
            g.outside.resize(inner, Degrees{});
            uint8_t& d = g.outside[i][nc];
            if (d < 255) ++d;
          }
          continue;
        }
        j = b.AddNode(e.to, type, 0, /*boundary=*/true);
      }
      b.AddEdge(i, j, e);
    }
  }
  if (!g.outside.empty()) g.outside.resize(g.nodes.size(), Degrees{});
  out->old_ids.assign(g.nodes.size(), 0);
  for (uint32_t i = 0; i < inner; ++i) {
    auto it = oneid_of.find(g.nodes[i].key);
    if (it != oneid_of.end()) out->old_ids[i] = it->second;
  }
  return Status::OK();
}

}  // namespace holo::identity
