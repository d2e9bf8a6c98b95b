// GraphStore: the identity graph as persisted in the store (nodes, edges and
// the 'n'/'o' OneID maps of the graph column family) and its incremental
// re-resolution. Ingestion marks touched nodes dirty; ResolvePending re-resolves
// only the components those nodes touch (or everything, on a first load).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_set>
#include <string>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::identity {

struct ResolveStats {
  bool full = false;              // whole graph re-resolved
  uint64_t dirty_nodes = 0;
  uint64_t resolved_nodes = 0;    // nodes in the re-resolved part
  uint64_t edges = 0;
  uint64_t shared_nodes = 0;
  uint64_t refused_merges = 0;
  uint64_t changed_nodes = 0;     // nodes whose OneID changed
  uint64_t dirty_profiles = 0;
  uint64_t merges = 0;            // merge records written to the feed
  uint64_t splits = 0;            // split records written to the feed
  double seconds = 0;
};

struct ResolveOptions {
  MergePolicy policy;
  // Re-resolve the whole graph when dirty nodes exceed this share of all nodes.
  double full_threshold = 0.25;
  // Re-resolve the whole graph regardless of the dirty set.
  bool force_full = false;
  // Clock of the history and feed records, ms since epoch; 0 = now.
  int64_t now_ms = 0;
  // Why this resolution runs ("ingest", "erase", "unlink", "delete-event", "policy", ...),
  // recorded in the merge/split feed.
  std::string cause = "ingest";
  // Receives one line per phase ("resolve: loaded ..."); may be empty.
  std::function<void(const std::string&)> log;
};

// Re-resolves the components touched by dirty nodes and writes the new OneIDs,
// member lists and dirty-profile marks. Safe to re-run after a crash.
Status ResolvePending(storage::Store* store, const ResolveOptions& options, ResolveStats* stats);

// The nodes waiting for re-resolution: per-node marks and the lists ingestion writes
// (keys::kDirtyListPrefix; listed nodes no longer in the graph are left out). `lists`
// receives the list keys read.
Status ReadDirtyNodes(const storage::Store& store, std::vector<NodeKey>* nodes, std::vector<std::string>* lists);

// Returns the OneID of `node`, or 0 when the node is unknown.
Result<uint64_t> LookupOneId(const storage::Store& store, const NodeKey& node);

// The number of OneIDs ever handed out (each is handed out once): a bound from above on the
// OneIDs that can have a profile.
Result<uint64_t> OneIdsHandedOut(const storage::Store& store);

// Returns the OneID `node` had at `as_of_ms` (resolution clock), from the
// history; 0 when it had none then (not yet seen, or erased).
Result<uint64_t> LookupOneIdAsOf(const storage::Store& store, const NodeKey& node, int64_t as_of_ms);

// Returns the member nodes of `oneid` (empty when unknown).
Result<std::vector<NodeKey>> Members(const storage::Store& store, uint64_t oneid);

// The hub caps learned at the last whole-graph resolution; nullopt before the first one
// (or in a store written before hub caps existed).
Result<std::optional<HubCaps>> ReadHubCaps(const storage::Store& store);

// The identifiers marked as hubs or gateways at their last resolution.
Status ReadHubMarks(const storage::Store& store, std::unordered_set<NodeKey, storage::keys::Key16Hash>* marks);

// Returns the identifier type of `node` ("" when unknown).
Result<std::string> NodeType(const storage::Store& store, const NodeKey& node);

}  // namespace holo::identity
