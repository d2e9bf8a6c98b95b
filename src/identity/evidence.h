// Evidence changes: adding probabilistic matches and removing evidence (an
// erased identifier, a withdrawn link, a deleted event, a changed match
// threshold). Each writes its change atomically and marks the touched nodes
// dirty; the caller then runs ResolvePending, which re-resolves only the
// affected components and records any split in the merge/split feed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/store.h"

namespace holo::identity {

// Removes `node` from the graph: its record, every edge, match and withdrawal
// touching it (both directions), its OneID membership and OneID history, and
// the index of events attributed to it. Its neighbours and the rest of its
// OneID are marked dirty. kNotFound when the node is unknown. `sync`: the write is
// durable when it returns (else the caller syncs after a series of them).
Status EraseNode(storage::Store* store, const NodeKey& node, bool sync = true);

// Withdraws the pair (a, b): no evidence between them counts any more, now or
// from later events (a correction by an operator, or a link revoked by its
// source). kNotFound when either node is unknown.
Status WithdrawPair(storage::Store* store, const NodeKey& a, const NodeKey& b, std::string_view reason,
                    int64_t now_ms);

// Removes one stored event (by source and messageId): the event, its dedupe
// key and event index entry, and its contribution to node and edge counts.
// Edges and nodes that no other message supports disappear. Edge kinds and
// first/last times are not recomputed. kNotFound when no such event is stored.
struct RemovedEvent {
  uint64_t edges_decremented = 0;
  uint64_t edges_removed = 0;
  uint64_t nodes_removed = 0;
};
Status RemoveEvent(storage::Store* store, std::string_view source, std::string_view message_id,
                   RemovedEvent* removed, bool sync = true);

// A probabilistic match between two identifiers (from `holo match` pairs).
struct MatchLink {
  NodeKey a{};
  NodeKey b{};
  std::string type_a;
  std::string type_b;
  float weight = 0;
};

// Stores match edges (replacing an earlier weight for the same pair). Nodes
// not yet in the graph are created with no messages.
Status AddMatches(storage::Store* store, const std::vector<MatchLink>& links, std::string_view source,
                  int64_t now_ms);

// Marks dirty the endpoints of every match edge whose acceptance changes when
// the threshold moves from `old_weight` to `new_weight`; returns how many edges.
Result<uint64_t> MarkMatchThresholdChange(storage::Store* store, double old_weight, double new_weight);

}  // namespace holo::identity
