// event_scan: every stored event with the OneID it belongs to, in one pass.
//
// An event belongs to the OneID of the identifier profile::AttributionIndex picks (its strongest
// non-placeholder identifier), exactly as profile building attributes it. The scan loads the
// node -> OneID map of the identity graph (about 40 bytes per identifier) and then streams the
// events column family once; events are decoded one at a time and never kept.
//
//   HOLO_RETURN_IF_ERROR(ScanEventsByOneId(store, [&](uint64_t oneid, const EventRecord& ev) {
//     if (ev.event == "Order Completed") ++orders[oneid];
//   }));
//
// Thread-compatible: a scan reads a consistent-enough RocksDB iterator; run it while no ingest
// writes if exact counts matter.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "holo/status.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::analytics {

using EventCallback = std::function<void(uint64_t oneid, const storage::EventRecord& event)>;

struct ScanStats {
  uint64_t events = 0;        // events decoded
  uint64_t attributed = 0;    // passed to the callback
  uint64_t unattributed = 0;  // no identifier, or an identifier without a OneID (unresolved)
};

// The identity graph's node -> OneID map ('n' keys of Cf::kGraph).
class OneIdMap {
 public:
  // Loads the map from `store`.
  static Result<OneIdMap> Load(const storage::Store& store);
  // Returns the OneID of `event` (0 when it has none).
  uint64_t OneIdOf(const storage::EventRecord& event) const;
  size_t nodes() const { return node_oneid_.size(); }

 private:
  std::unordered_map<storage::keys::Key16, uint64_t, storage::keys::Key16Hash> node_oneid_;
};

// Calls `fn` for every event that belongs to a OneID, in storage (sequence) order.
// Returns kDataLoss on a corrupt record.
Status ScanEventsByOneId(const storage::Store& store, const OneIdMap& map, const EventCallback& fn,
                         ScanStats* stats = nullptr);
// Same, loading the map first.
Status ScanEventsByOneId(const storage::Store& store, const EventCallback& fn,
                         ScanStats* stats = nullptr);

}  // namespace holo::analytics
