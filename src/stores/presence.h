// The presence model: from sightings of devices to the devices behind them and the people
// present over time (docs/stores.md).
//
//   PresenceModel m(DefaultParams("sniffer-csv"));
//   replay([&](const Sighting& s) { m.Learn(s); });        // pass 1, in time order
//   DeviceCount d = m.Devices();
//   m.BeginOccupancy(5 * 60 * 1000000LL);
//   replay([&](const Sighting& s) { m.Observe(s); });      // pass 2, in time order
//   std::vector<OccupancyWindow> w = m.EndOccupancy();
//
// Pass 1 learns, per device, on how many of the sensor's 5-minute windows of each day it was
// seen (the sensor's neighbours that never leave are "residents": never counted as people),
// and links randomized MACs into physical devices: a randomized MAC is one device's, and
// probes with the same stable information elements (the fingerprint) are one device's, so
// the devices are the connected components of the MAC-fingerprint graph. A MAC without the
// locally administered bit behaves as a randomized one when it lives shorter than a visit
// gap and its fingerprint is shared by at least rotating_min_macs such short-lived MACs
// (captures that anonymise MACs, or phones that rotate without setting the bit). A globally
// unique MAC that takes over from randomized probes of its own fingerprint — they ended within a
// visit gap before its first probe and none came while it was seen — is the same phone showing
// its own address (as phones do once they join a network): it joins their device. Pass 2 cuts each
// device's sightings at or above the RSSI threshold into visits (a visit ends after
// visit_gap unseen) and counts, per window, the visits of at least min_visit that overlap it;
// the people estimate is people_per_device * that count + people_offset, never below 0.
// Memory: pass 1 keeps a little per device and per MAC; pass 2 one record per open visit and
// one counter per window, never per sighting.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace holo::stores {

struct Sighting {
  int64_t t_us = 0;
  uint64_t device = 0;       // an opaque key of the MAC (or beacon device)
  uint64_t fingerprint = 0;  // 0: none
  int rssi = -1000;          // kNoRssi: unknown
  bool randomized = false;
  bool beacon = false;
  uint32_t zone = 0;         // an interned zone name (0: none)
};

// A device's sightings cut into sessions: a session ends after `gap_us` unseen. Sessions
// close (on_close) when a later sighting of the device comes after the gap, at a sweep of
// the sessions idle for longer than the gap (once per gap of input time), or at Flush.
// State: one record per open session. Sightings must come in time order.
class Sessionizer {
 public:
  struct Session {
    uint64_t device = 0;
    int64_t start_us = 0, last_us = 0;
    int max_rssi = -1000;
    // The zones visited, in order, consecutive repeats folded (at most 64).
    std::vector<uint32_t> zones;
  };
  Sessionizer(int64_t gap_us, std::function<void(const Session&)> on_close)
      : gap_us_(gap_us), on_close_(std::move(on_close)) {}
  void Add(uint64_t device, int64_t t_us, int rssi, uint32_t zone);
  void Flush();
  size_t open() const { return open_.size(); }

 private:
  void Sweep(int64_t now_us);
  const int64_t gap_us_;
  const std::function<void(const Session&)> on_close_;
  int64_t next_sweep_us_ = INT64_MIN;
  std::unordered_map<uint64_t, Session> open_;
};

inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct PresenceParams {
  // A probe weaker than this (dBm) is a passer-by's: it neither starts nor extends a visit.
  int rssi_min_dbm = -70;
  // A visit ends after this long unseen.
  int64_t visit_gap_us = 15LL * 60 * 1000000;
  // A visitor stays at least this long; shorter visits are bounces and not counted present.
  int64_t min_visit_us = 5LL * 60 * 1000000;
  // A globally unique MAC seen in at least this share of the sensor's 5-minute windows on at
  // least resident_day_share of the days with data (and data on resident_min_days days or
  // more) is a resident: a fixed device beside the sensor.
  double resident_window_share = 0.8;
  double resident_day_share = 0.8;
  int resident_min_days = 2;
  // Short-lived globally unique MACs sharing one fingerprint at least this many times are
  // treated as one device's rotating MACs (see above); 0 turns this off.
  int rotating_min_macs = 3;
  // People = people_per_device * devices present + people_offset (the sensor kind's
  // calibration; 1 and 0 when uncalibrated).
  double people_per_device = 1.0;
  double people_offset = 0.0;
  // Whether people_per_device and people_offset were fitted for the sensor kind (false: one
  // visitor device is taken for one person, which the answers say).
  bool calibrated = false;
};

// The documented defaults of a sensor kind ("sniffer-csv", "probe-csv", "meraki-v3",
// "segment"): the industry's visit definitions everywhere, and the people-per-device
// calibration fitted on the development captures where the kind has some (docs/stores.md).
PresenceParams DefaultParams(std::string_view sensor_kind);

struct DeviceCount {
  uint64_t sightings = 0;
  uint64_t devices = 0;             // physical devices: the next three summed
  uint64_t globally_unique = 0;     // distinct globally unique MACs (residents included)
  uint64_t randomized_devices = 0;  // components of randomized MACs and their fingerprints
  uint64_t beacon_devices = 0;      // distinct phones that heard a beacon
  uint64_t randomized_macs = 0;     // distinct randomized MACs seen (rotating ones included)
  uint64_t rotating_macs = 0;       // of randomized_macs: without the bit, but rotating
  uint64_t handovers = 0;           // globally unique MACs joined to the randomized device before them
  uint64_t residents = 0;           // of globally_unique
  uint64_t days_with_data = 0;
};

struct OccupancyWindow {
  int64_t start_us = 0;
  uint32_t devices = 0;  // visitor devices present (residents and passers-by left out)
  double estimate = 0;   // people
};

class PresenceModel {
 public:
  explicit PresenceModel(const PresenceParams& params) : p_(params) {}

  void Learn(const Sighting& s);
  DeviceCount Devices();
  // The physical device of a sighting (after Learn): the device key for a globally unique
  // MAC or a beacon device, its component for a randomized MAC.
  uint64_t Resolve(const Sighting& s);
  bool IsResident(uint64_t device);

  // Windows of `interval_us`, aligned to the clock (multiples of the interval since the epoch).
  void BeginOccupancy(int64_t interval_us);
  void Observe(const Sighting& s);
  // Every window the sensors had data in, or a visit covered, in order.
  std::vector<OccupancyWindow> EndOccupancy();

 private:
  static constexpr int64_t kWindowUs = 5LL * 60 * 1000000;
  static constexpr int64_t kDayUs = 86400LL * 1000000;
  struct Presence {  // a globally unique MAC: its distinct windows per day, its lifetime
    int64_t last_window = INT64_MIN;
    std::map<int64_t, uint32_t> windows_per_day;
    int64_t first_us = 0, last_us = 0;
    uint64_t fingerprint = 0;
    // Handover (see Finish): randomized probes with its fingerprint ended within a visit gap
    // before it first appeared, and none came while it was seen.
    bool follows_randomized = false;
    bool overlaps_randomized = false;
  };
  uint32_t Node(uint64_t key, bool fingerprint);
  uint32_t Find(uint32_t x);
  void Finish();
  void Close(const Sessionizer::Session& v);

  PresenceParams p_;
  // pass 1
  DeviceCount count_;
  int64_t last_window_ = INT64_MIN;
  std::map<int64_t, uint32_t> active_windows_per_day_;
  std::unordered_map<uint64_t, Presence> unique_;
  std::unordered_set<uint64_t> beacons_;
  std::unordered_map<uint64_t, uint32_t> mac_node_, fp_node_;
  std::unordered_map<uint64_t, int64_t> last_randomized_us_;  // fingerprint -> latest randomized probe
  std::vector<uint32_t> parent_;
  std::unordered_set<uint64_t> resident_;
  bool finished_ = false;
  // pass 2
  int64_t interval_us_ = kWindowUs;
  std::unique_ptr<Sessionizer> visits_;
  std::map<int64_t, uint32_t> present_;  // window -> visitor devices
};

}  // namespace holo::stores
