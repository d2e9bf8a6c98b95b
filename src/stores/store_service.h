// Stores: the StoreService (include/holo/stores.h). It owns the stores column family
// (storage/keys.h: 'm' store records, 'o' observations, 'v' visit days of identifying devices): imports sensor files through the
// readers (readers.h), pseudonymizing every MAC and device id before the write, and answers
// occupancy and device counts by replaying a store's observations, in time order, through
// the presence model (presence.h) — two passes, memory per device and open visit.
//
// May depend on: storage, common. Knows nothing of the engine: pseudonyms and dead letters
// come through Hooks. Thread safety: imports are serialized by mu_; reads take a cursor's
// consistent view and run beside them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/status.h"
#include "holo/stores.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::stores {

struct PresenceParams;

struct Hooks {
  // The identity graph's pseudonym of identifier `value` of `type` ("mac", "device_id", ...).
  std::function<std::array<uint8_t, 16>(std::string_view type, std::string_view value)> pseudonymize;
  struct BadRecord {
    std::string origin;  // the file (and the place inside a JSON document)
    uint64_t line = 0;
    std::string reason;
    std::string text;
  };
  // Appends bad records to the dead-letter file (source "stores").
  std::function<Status(const std::vector<BadRecord>&)> dead_letter;
  // The person (OneID) an identifier's pseudonym is tied to: 0 when none, or when its OneID holds
  // nothing but MACs and store sensors' identifiers (a MAC only the sensors saw).
  std::function<Result<uint64_t>(const std::array<uint8_t, 16>& pseudonym)> oneid_of;
  // Whether `oneid`'s store sightings may be linked to them (the "store_link" use).
  std::function<Result<bool>(uint64_t oneid)> store_link_allowed;
  // Called after an import, outside the service's lock, with the identifying devices that
  // gained a visit day (their profiles take imported visits; VisitDaysOf). May be empty.
  std::function<Status(const std::vector<std::array<uint8_t, 16>>& devices)> visits_added;
};

// A day an identifying device was seen in a store at or above the store's RSSI threshold.
struct StoreVisitDay {
  std::string store;
  int64_t day = 0;      // days since the epoch of the store's clock
  int64_t last_us = 0;  // the day's latest such sighting, in the store's clock
  bool zoned = true;    // the store's clock is UTC (else the sensors' local clock)
};

class Stores final : public StoreService {
 public:
  Stores(storage::Store* store, Hooks hooks) : store_(store), hooks_(std::move(hooks)) {}

  Result<std::string> ImportStoreFiles(std::string_view store_id, const std::vector<std::string>& paths) override
      EXCLUDES(mu_);
  Result<std::string> ListStoresJson() override;
  Result<StoreOccupancy> Occupancy(std::string_view store_id, std::string_view from, std::string_view to,
                                   int64_t interval_s) override;
  Result<std::string> DevicesJson(std::string_view store_id, std::string_view from, std::string_view to) override;
  Result<std::string> MetricsJson(std::string_view store_id, std::string_view from, std::string_view to) override;
  // The same report with every count released by `release` (the engine's release point):
  // `key` names the question, `cells` are (name, exact count) in the report's order; a cell
  // it withholds is written null (and named under "withheld"), rates from shown counts only,
  // and the median dwell and the peak hour (not counts) are left out.
  using CellRelease = std::function<Result<std::vector<std::optional<uint64_t>>>(
      const std::string& key, const std::vector<std::pair<std::string, uint64_t>>& cells)>;
  Result<std::string> MetricsJsonReleased(std::string_view store_id, std::string_view from, std::string_view to,
                                          const CellRelease& release, bool flows_only = false);
  Result<std::string> ConfigureStore(std::string_view store_id, const StoreSettings& settings) override EXCLUDES(mu_);
  Result<std::string> LinkRateJson(std::string_view store_id, std::string_view from, std::string_view to) override;
  Result<std::string> FlowsJson(std::string_view store_id, std::string_view from, std::string_view to) override;

  // The right to erasure: deletes every observation whose device is one of `devices` (the
  // erased person's identifier pseudonyms), in every store, and corrects the stores'
  // counts; one scan of the stores column family. Returns the observations deleted.
  Result<uint64_t> EraseDevices(const std::function<bool(const std::array<uint8_t, 16>&)>& erased) EXCLUDES(mu_);

  // The visit days of an identifying device (a globally unique MAC or a beacon device; its
  // identity-graph pseudonym), in every store, from the imports: what profiles take of
  // imported sightings. Randomized MACs and sightings under the threshold have none.
  Result<std::vector<StoreVisitDay>> VisitDaysOf(const std::array<uint8_t, 16>& device) const;
  // Whether any import recorded a visit day (profiles skip the look-ups when none did).
  Result<bool> HasVisitDays() const;
  // Calls `fn` with every visit day recorded in one of `store_ids` (one scan of the days).
  Status ForEachVisitDay(const std::vector<std::string>& store_ids,
                         const std::function<Status(const std::array<uint8_t, 16>& device, const StoreVisitDay& day)>& fn) const;

 private:
  struct Info;  // store_service.cc
  static Result<Info> DecodeInfo(std::string_view store_id, std::string_view value);
  // The store's record; nullopt for an unknown store. kInvalidArgument for a bad id.
  Result<std::optional<Info>> FindInfo(std::string_view store_id) const;
  // The same, kNotFound for an unknown store.
  Result<Info> LoadInfo(std::string_view store_id) const;
  struct Range {
    int64_t from_us, to_us;
  };
  Result<Range> RangeOf(const Info& info, std::string_view from, std::string_view to) const;
  static struct PresenceParams ParamsOf(const Info& info);
  // A store's record, the range asked and a model that learned the observations in it (from
  // the store's first observation when `from_start`: history for returning visitors).
  struct Learned;
  // ImportStoreFiles under the lock; `added_devices` receives the devices with a new visit day.
  Result<std::string> ImportLocked(std::string_view store_id, const std::vector<std::string>& paths,
                                   std::vector<std::array<uint8_t, 16>>* added_devices) REQUIRES(mu_);
  Result<Learned> LearnOver(std::string_view store_id, std::string_view from, std::string_view to,
                            bool from_start) const;

  storage::Store* const store_;
  const Hooks hooks_;
  Mutex mu_;
};

// An occupancy answer as CSV ("window_start,estimate" and one row per window, the estimate
// with two decimals) or as JSON ({"store", "interval_s", "zoned", "windows": [{"start",
// "devices", "estimate"}]}); times as FormatTime writes them.
std::string OccupancyCsv(const StoreOccupancy& occupancy);
std::string OccupancyJson(std::string_view store_id, const StoreOccupancy& occupancy);

// "5m", "15m", "1h", "1d", "300s" or "300" (seconds) -> seconds; -1 when malformed.
int64_t ParseDurationSeconds(std::string_view text);

}  // namespace holo::stores
