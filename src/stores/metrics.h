// Store metrics with the industry's definitions (docs/stores.md), from a store's sightings
// in time order:
//   session      a device's sightings, ended by visit_gap unseen
//   visit        a session in which some sighting reached the RSSI threshold; it lasts from
//                the session's first sighting to its last
//   passer-by    a session in which none did
//   visitor      a visit of at least min_visit; a shorter one is a bounce
//   capture rate visits / (visits + passers-by); bounce rate: bounces / visits
//   dwell        a visit's length, in buckets <= 3, 3-15, >= 15 minutes
//   returning    a visitor whose device had a visitor visit on an earlier day, among the
//                recognisable visitors: those of a globally unique MAC or a beacon device
//                (a per-visit randomized MAC never comes back)
//   loyalty      visitor devices by their visits in the range: 1, 2-3, 4-9, 10+
//   flows        consecutive zones within a visit
// One phone is often seen by both the wifi sensors and a beacon: a store with wifi data
// counts its visits from wifi and its zones and flows from beacons when it has any, so no
// visit or move is counted twice; a store with beacons only counts both from beacons.
// Residents (PresenceModel::IsResident) count nowhere. A visit belongs to the day and hour
// it starts in; visits starting before `from_us` only serve as history (returning).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "stores/presence.h"

namespace holo::stores {

struct StoreMetrics {
  struct Counts {
    uint64_t visits = 0, visitors = 0, bounces = 0, passers_by = 0, returning = 0;
    uint64_t recognisable = 0;  // visitors whose device can be recognised when it returns
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
  void CloseSession(const Sessionizer::Session& v);
  void CloseVisit(const Sessionizer::Session& v);
  void CountZones(const std::vector<uint32_t>& zones);
  bool InRange(int64_t t) const { return t >= from_us_ && t <= to_us_; }

  PresenceModel* model_;
  const PresenceParams p_;
  const int64_t from_us_, to_us_;
  bool count_wifi_ = true;     // visits from wifi (else from beacons)
  bool zones_beacons_ = false;  // zones and flows from beacons (else from the visits)
  Sessionizer sessions_, beacon_sessions_;
  StoreMetrics m_;
  std::unordered_set<uint64_t> randomized_;  // resolved devices of randomized MACs
  std::unordered_map<uint64_t, int64_t> last_visitor_day_;
  std::unordered_map<uint64_t, uint32_t> visits_per_device_;
  std::map<int64_t, uint64_t> dwell_minutes_;  // visit length in whole minutes -> visits
};

}  // namespace holo::stores
