// Match tags: how a partner's hash of an e-mail or phone finds the identifier (the partner
// clean room, docs/privacy.md). Each e-mail and phone node has one tag, a keyed hash of the
// SHA-256 of its normalized value (privacy::Pseudonymizer::MatchTag), stored as
// 'p' tag16 -> node16 in the graph column family (storage/keys.h MatchTagKey). Ingestion
// writes them with its evidence (EvidenceBatch::AddMatchTag); erasure deletes those of the
// erased nodes (EraseMatchTags); rekey maps the node in the value and keeps the key.
//
//   HOLO_ASSIGN_OR_RETURN(std::vector<uint64_t> oneids, identity::OneIdsOfMatchTags(store, tags));
#pragma once

#include <cstdint>
#include <span>
#include <unordered_set>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::identity {

// The OneIDs of the identifiers that `tags` are the match tags of, in two batched look-ups
// (tag -> node, node -> OneID); tags that match no identifier with a OneID (unknown, erased,
// not resolved yet) are left out. Several tags may give one OneID: duplicates are kept.
Result<std::vector<uint64_t>> OneIdsOfMatchTags(const storage::Store& store,
                                                std::span<const storage::keys::Key16> tags);

// Adds to `batch` the deletion of every match tag of one of `nodes` (one scan of the tags);
// returns how many.
Result<uint64_t> EraseMatchTags(const storage::Store& store,
                                const std::unordered_set<NodeKey, storage::keys::Key16Hash>& nodes,
                                storage::WriteBatch* batch);

// Whether the store holds any match tag (none: written before tags existed, or no e-mail or
// phone ingested since).
Result<bool> HasMatchTags(const storage::Store& store);

}  // namespace holo::identity
