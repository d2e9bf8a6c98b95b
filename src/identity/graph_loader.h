// GraphLoader (internal to identity/): reads the stored identity graph into a
// Subgraph — all of it, or the part that a set of nodes touches — for
// resolution, explanation, hub reports and dry runs.
//
// Stored edges (storage/keys.h): for a pair (a, b), stored in both directions,
//   a16 b16       evidence (co-occurrence / explicit link), a merged StatsRecord
//   a16 b16 'm'   a probabilistic match (weight in the record's tail)
//   a16 b16 'w'   a withdrawal: neither of the above counts any more
// The three keys of one pair are adjacent, so a scan sees them together.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::identity {

using NodeSet = std::unordered_set<NodeKey, storage::keys::Key16Hash>;

// One edge as stored, after withdrawals are applied.
struct StoredEdge {
  NodeKey from{};
  NodeKey to{};
  EdgeKind kind = EdgeKind::kCooccurrence;
  uint64_t count = 0;   // messages that carried the pair (matches: 1)
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  std::string source;   // source of the first message (matches: the import's source)
  float weight = 0;     // matches only
};

// The tail of a match record: "<weight>\x1f<source>".
std::string EncodeMatchTail(float weight, std::string_view source);
void DecodeMatchTail(std::string_view tail, float* weight, std::string* source);

// Calls fn(edge) for every edge of `node` in neighbour order: evidence and match
// edges of pairs that are not withdrawn, and one kApart edge per withdrawn pair.
Status ForEachEdge(const storage::Store& store, const NodeKey& node,
                   const std::function<void(const StoredEdge&)>& fn);

// Builds a Subgraph from stored records; nodes are deduplicated by key.
class SubgraphBuilder {
 public:
  uint32_t AddNode(const NodeKey& key, std::string_view type, int64_t first_ts, bool boundary);
  // Index of `key`, or kNoComponent.
  uint32_t Find(const NodeKey& key) const;
  void AddEdge(uint32_t a, uint32_t b, const StoredEdge& e);
  Subgraph& graph() { return g_; }
  const Subgraph& graph() const { return g_; }

 private:
  uint16_t TypeId(std::string_view type);
  Subgraph g_;
  std::unordered_map<NodeKey, uint32_t, storage::keys::Key16Hash> index_;
  std::unordered_map<std::string, uint16_t> types_;
};

// A loaded part of the graph and the current OneID of each of its nodes.
struct LoadedGraph {
  SubgraphBuilder builder;
  std::vector<uint64_t> old_ids;  // per node; 0 = none (and for boundary nodes)
};

// Loads the whole graph.
Status LoadFull(const storage::Store& store, LoadedGraph* out);

// Loads the part of the graph that `seeds` touch: the seeds, their neighbours
// and every member of their OneIDs; account neighbours outside that set come
// in as boundary nodes (they count for the shared rule, are never re-resolved),
// and other neighbours outside it are counted by class in Subgraph::outside, so
// that the hub rule sees whole degrees. Neighbours in `known_hubs` (may be null)
// are left out of both.
Status LoadAffected(const storage::Store& store, const std::vector<NodeKey>& seeds, LoadedGraph* out,
                    const NodeSet* known_hubs = nullptr);

}  // namespace holo::identity
