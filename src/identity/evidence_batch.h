// EvidenceBatch: identity's part of an ingest write. For the events of one write it
// gathers the identifier nodes and co-occurrence edges they are evidence of (stats
// records the store's merge operator adds up) and the dirty list that makes the next
// resolve look at those nodes; the ingest write puts them, with the other stages' parts,
// into one atomic batch.
//
//   identity::EvidenceBatch evidence;
//   for (each stored event) evidence.Add(sightings, event.timestamp_ms, event.source);
//   evidence.AppendTo(&batch, last_seq, &already_marked);
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "storage/keys.h"
#include "storage/store.h"

namespace holo::identity {

// One identifier seen on an event (placeholders are left out by the caller).
struct Sighting {
  storage::keys::Key16 node{};
  std::string_view type;  // canonical identifier type
  // Link groups (bits): two identifiers of one event that share a group are an explicit
  // link (the message says they are one person: an alias, a membership's two accounts);
  // others only co-occur. The ingest stage knows which message shapes link what.
  uint8_t link_groups = 0;
};

class EvidenceBatch {
 public:
  // The identifiers of one event, seen at `timestamp_ms` from `source`.
  void Add(const std::vector<Sighting>& ids, int64_t timestamp_ms, std::string_view source);
  // The partner-match tag of an e-mail or phone node of the write (identity/match_tags.h).
  void AddMatchTag(const storage::keys::Key16& tag, const storage::keys::Key16& node) { match_tags_.emplace(tag, node); }
  // Appends the node and edge records (merges) and the dirty list of the nodes not in
  // `already_marked` (which it extends) under `last_seq`, the write's last event sequence,
  // and the match tags of those nodes (a node already marked had its tag written by an
  // earlier write of the same run).
  void AppendTo(storage::WriteBatch* batch, uint64_t last_seq,
                std::unordered_set<storage::keys::Key16, storage::keys::Key16Hash>* already_marked) const;
  // The nodes of the write, sorted.
  std::vector<storage::keys::Key16> nodes() const;
  bool empty() const { return nodes_.empty(); }

 private:
  // Sorted: inserting keys in order lets RocksDB's memtable reuse its insertion point
  // (random-order inserts were half of ingest time).
  std::map<storage::keys::Key16, storage::StatsRecord> nodes_;
  std::map<std::pair<storage::keys::Key16, storage::keys::Key16>, storage::StatsRecord> edges_;
  std::map<storage::keys::Key16, storage::keys::Key16> match_tags_;  // tag -> node
};

}  // namespace holo::identity
