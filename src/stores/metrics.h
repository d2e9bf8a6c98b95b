// Store metrics with the industry's definitions (docs/stores.md), from a store's sightings
// in time order:
//   visit        a device's sightings at or above the RSSI threshold, ended by visit_gap unseen
//   visitor      a visit of at least min_visit; a shorter one is a bounce
//   passer-by    a device's session (same gap) in which no sighting reached the threshold
//   capture rate visits / (visits + passers-by); bounce rate: bounces / visits
//   dwell        a visit's length, in buckets <= 3, 3-15, >= 15 minutes
//   returning    a visitor whose device had a visitor visit on an earlier day
//   loyalty      visitor devices by their visits in the range: 1, 2-3, 4-9, 10+
//   flows        consecutive zones within a visit (beacons, zone-tagged sensors)
// Residents (PresenceModel::IsResident) count nowhere. A visit belongs to the day and hour
// it starts in; visits starting before `from_us` only serve as history (returning).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "stores/presence.h"

namespace holo::stores {

struct StoreMetrics {
  struct Counts {
    uint64_t visits = 0, visitors = 0, bounces = 0, passers_by = 0, returning = 0;
    std::array<uint64_t, 3> dwell{};  // <= 3, 3-15, >= 15 minutes
  };
  Counts total;
  std::map<int64_t, Counts> days;                   // day (days since the epoch of the clock) ->
  std::map<std::pair<int64_t, int>, uint64_t> heatmap;  // (day, hour) -> visits started
  std::array<uint64_t, 24> hours{};                 // hour of day -> visits started
  std::array<uint64_t, 4> loyalty{};                // visitor devices with 1, 2-3, 4-9, 10+ visits
  std::map<uint32_t, uint64_t> zone_visits;         // zone -> visits through it
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> flows;  // (from zone, to zone) -> moves
  double median_dwell_min = 0;
};

class MetricsBuilder {
 public:
  // `model` has learned the same sightings (residents, device resolution).
  MetricsBuilder(PresenceModel* model, const PresenceParams& params, int64_t from_us, int64_t to_us);
  void Observe(const Sighting& s);
  StoreMetrics Finish();

 private:
  void CloseVisit(const Sessionizer::Session& v);
  void CloseSession(const Sessionizer::Session& v);
  bool InRange(int64_t t) const { return t >= from_us_ && t <= to_us_; }

  PresenceModel* model_;
  const PresenceParams p_;
  const int64_t from_us_, to_us_;
  Sessionizer visits_, sessions_;
  StoreMetrics m_;
  std::unordered_map<uint64_t, int64_t> last_visitor_day_;
  std::unordered_map<uint64_t, uint32_t> visits_per_device_;
  std::map<int64_t, uint64_t> dwell_minutes_;  // visit length in whole minutes -> visits
};

}  // namespace holo::stores
