// AttributionBatch: the profile stage's part of an ingest write. Each stored event is
// indexed under the identifier it is attributed to (AttributionIndex: the node whose
// profile it feeds, read back by profile rebuilds); the ingest write puts these keys, with
// the other stages' parts, into one atomic batch. (The event index that computed traits
// read is written by the profile rebuild, which knows the OneID: profile_store.h.)
//
//   profile::AttributionBatch attribution;
//   int owner = attribution.Add(event, seq);   // rec.ids[owner] feeds a profile; -1: none
//   attribution.AppendTo(&batch);
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/event_record.h"
#include "storage/store.h"

namespace holo::profile {

class AttributionBatch {
 public:
  // Indexes `event`, stored at `seq`. Returns the index in event.ids of the identifier it
  // is attributed to, or -1 when it feeds no profile (only placeholders).
  int Add(const storage::EventRecord& event, uint64_t seq);
  // Appends the index keys, each column family's in order (memtable inserts then reuse
  // their position).
  void AppendTo(storage::WriteBatch* batch);

 private:
  std::vector<std::string> node_events_;  // keys::NodeEventKey
};

}  // namespace holo::profile
