// File: holo/stores.h — offline stores: wifi probes and beacon sightings, the devices behind
// them and the people present (docs/stores.md).
//
//   auto report = engine->stores().ImportStoreFiles("brno-lab", {"capture.csv"});  // JSON
//   auto occ = engine->stores().Occupancy("brno-lab", "", "", 5 * 60);              // windows
//   auto devices = engine->stores().DevicesJson("brno-lab", "2022-10-18T11:00", "");
//
// MACs and device ids are pseudonymized (as the "mac" / "device_id" identifiers of the
// identity graph) before they are stored; a bad row goes to the dead-letter file with its
// file, line and reason. Handed out by Engine::stores(). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

namespace holo {

struct StoreOccupancy {
  // Whether the store's clock is UTC (its inputs had a time zone) or the inputs' own local
  // clock (times are then written without a zone).
  bool zoned = true;
  int64_t interval_s = 300;
  // Whether the people-per-device line was fitted for the store's sensor kind; when not, one
  // visitor device counts as one person (docs/stores.md) and the estimate is a device count.
  bool calibrated = false;
  struct Window {
    int64_t start_us = 0;  // aligned to the clock: a multiple of the interval
    uint32_t devices = 0;  // visitor devices present (residents and passers-by left out)
    double estimate = 0;   // people
  };
  std::vector<Window> windows;
};

// A store's definitions (docs/stores.md); a field left at its "keep" value is unchanged.
struct StoreSettings {
  static constexpr int kKeep = -100000;
  int rssi_min_dbm = kKeep;      // passer-by below, visitor at or above (default -70)
  int64_t visit_gap_s = kKeep;   // a visit ends after this long unseen (default 900)
  int64_t min_visit_s = kKeep;   // a visitor stays at least this long (default 300)
};

class StoreService {
 public:
  virtual ~StoreService() = default;

  // Reads sensor files (formats: docs/stores.md, recognised by their header) into store
  // `store_id` ([A-Za-z0-9_.-]{1,64}); Segment events of other stores are skipped and
  // counted. Importing a file again changes nothing (an observation is keyed by its time,
  // device and sensor). Returns {"store", "files": [{"file", "format", "records",
  // "observations", "bad", "skipped", "other_store"}], "observations", "bad"}.
  // kInvalidArgument for a bad id or an unrecognised file (nothing of it is imported).
  virtual Result<std::string> ImportStoreFiles(std::string_view store_id, const std::vector<std::string>& paths) = 0;

  // {"stores": [{"store", "sensor_kind", "observations", "first", "last", "zoned"}]}.
  virtual Result<std::string> ListStoresJson() = 0;

  // People present per window of `interval_s` seconds (60 to 86400, dividing a day) between
  // `from` and `to` (ISO-8601 or empty: unbounded; without a zone for a store whose clock has
  // none). kNotFound for an unknown store; kInvalidArgument for a bad time or interval.
  virtual Result<StoreOccupancy> Occupancy(std::string_view store_id, std::string_view from, std::string_view to,
                                           int64_t interval_s) = 0;

  // The physical devices seen between `from` and `to`: {"store", "from", "to", "devices",
  // "globally_unique", "randomized_devices", "randomized_macs", "rotating_macs", "handovers",
  // "beacon_devices", "residents", "observations", "days_with_data"}.
  virtual Result<std::string> DevicesJson(std::string_view store_id, std::string_view from, std::string_view to) = 0;

  // Footfall, visitors, passers-by, capture and bounce rates, dwell buckets, returning
  // visitors, peak hours, loyalty and zone flows between `from` and `to`, in total, per day
  // and per hour (docs/stores.md has the definitions and the JSON).
  virtual Result<std::string> MetricsJson(std::string_view store_id, std::string_view from, std::string_view to) = 0;

  // The zones of the metrics alone: {"store", "from", "to", "zones": [{"zone", "visits"}],
  // "flows": [{"from", "to", "moves"}]} (moves between consecutive zones within a visit).
  virtual Result<std::string> FlowsJson(std::string_view store_id, std::string_view from, std::string_view to) = 0;

  // The online link: of the store's devices seen between `from` and `to` (globally unique
  // MACs and beacon devices; residents and randomized MACs, which identify no one, left out),
  // those the identity graph ties to a OneID, and of those the ones whose person allows the
  // "store_link" use (location consent; docs/privacy.md). {"store", "from", "to", "devices",
  // "linked", "link_rate", "linked_with_consent", "consented_link_rate", "beacon_devices",
  // "beacon_linked"}.
  virtual Result<std::string> LinkRateJson(std::string_view store_id, std::string_view from, std::string_view to) = 0;

  // Changes a store's definitions; returns them all: {"store", "rssi_min_dbm",
  // "visit_gap_s", "min_visit_s", "people_per_device", "people_offset"}. kNotFound for an
  // unknown store, kInvalidArgument for a value out of range.
  virtual Result<std::string> ConfigureStore(std::string_view store_id, const StoreSettings& settings) = 0;
};

}  // namespace holo
