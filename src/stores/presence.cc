#include "stores/presence.h"

#include <algorithm>
#include <climits>

#include "stores/observation.h"

namespace holo::stores {

namespace {
// The sniffer-csv calibration (see DefaultParams).
constexpr double kSnifferPeoplePerDevice = 0.7567;
constexpr double kSnifferPeopleOffset = 0.1407;
}  // namespace

PresenceParams DefaultParams(std::string_view sensor_kind) {
  PresenceParams p;
  if (sensor_kind == "sniffer-csv") {
    // Fitted on the 13 development captures of ../shared/datasets/stores/wifi_probe_occupancy_brno
    // (people = a * visitor devices + b, least squares over their 5-minute windows) by
    // `build/src/stores/stores_eval` (bench/RESULTS.md); a leave-one-day-out fit is reported there.
    p.people_per_device = kSnifferPeoplePerDevice;
    p.people_offset = kSnifferPeopleOffset;
    p.calibrated = true;
  }
  return p;
}

uint32_t PresenceModel::Node(uint64_t key, bool fingerprint) {
  auto& map = fingerprint ? fp_node_ : mac_node_;
  auto [it, added] = map.emplace(key, static_cast<uint32_t>(parent_.size()));
  if (added) parent_.push_back(it->second);
  return it->second;
}

uint32_t PresenceModel::Find(uint32_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

void PresenceModel::Learn(const Sighting& s) {
  ++count_.sightings;
  const int64_t window = FloorDiv(s.t_us, kWindowUs);
  if (window != last_window_) {
    ++active_windows_per_day_[FloorDiv(s.t_us, kDayUs)];
    last_window_ = window;
  }
  if (s.beacon) {
    beacons_.insert(s.device);
  } else if (!s.randomized) {
    auto [it, added] = unique_.try_emplace(s.device);
    Presence& p = it->second;
    if (added) {
      p.first_us = s.t_us;
      p.fingerprint = s.fingerprint;
    }
    if (p.fingerprint != 0) {
      auto r = last_randomized_us_.find(p.fingerprint);
      if (r != last_randomized_us_.end()) {
        if (added) p.follows_randomized = s.t_us - r->second <= p_.visit_gap_us;
        if (!added && r->second >= p.first_us) p.overlaps_randomized = true;
      }
    }
    p.last_us = s.t_us;
    if (p.last_window != window) {
      ++p.windows_per_day[FloorDiv(s.t_us, kDayUs)];
      p.last_window = window;
    }
  } else {
    const uint32_t mac = Node(s.device, false);
    if (s.fingerprint != 0) {
      last_randomized_us_[s.fingerprint] = s.t_us;
      const uint32_t a = Find(mac), b = Find(Node(s.fingerprint, true));
      if (a != b) parent_[std::max(a, b)] = std::min(a, b);
    }
  }
}

void PresenceModel::Finish() {
  if (finished_) return;
  finished_ = true;
  const size_t days = active_windows_per_day_.size();
  count_.days_with_data = days;
  // Rotating MACs without the locally administered bit: into the MAC-fingerprint graph.
  if (p_.rotating_min_macs > 0) {
    auto short_lived = [&](const Presence& p) { return p.fingerprint != 0 && p.last_us - p.first_us < p_.visit_gap_us; };
    std::unordered_map<uint64_t, uint32_t> per_fingerprint;
    for (const auto& [device, p] : unique_) {
      if (short_lived(p)) ++per_fingerprint[p.fingerprint];
    }
    for (auto it = unique_.begin(); it != unique_.end();) {
      if (short_lived(it->second) && per_fingerprint[it->second.fingerprint] >= static_cast<uint32_t>(p_.rotating_min_macs)) {
        const uint32_t a = Find(Node(it->first, false)), b = Find(Node(it->second.fingerprint, true));
        if (a != b) parent_[std::max(a, b)] = std::min(a, b);
        ++count_.rotating_macs;
        it = unique_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [device, p] : unique_) {
    bool resident = false;
    if (static_cast<int>(days) >= p_.resident_min_days) {
      size_t full_days = 0;
      for (const auto& [day, n] : p.windows_per_day) {
        if (n >= p_.resident_window_share * active_windows_per_day_[day]) ++full_days;
      }
      resident = full_days >= p_.resident_day_share * static_cast<double>(days);
    }
    if (resident) {
      resident_.insert(device);
      ++count_.residents;
    }
  }
  // Handovers: into the device of the randomized MACs they took over from (never a resident).
  for (auto it = unique_.begin(); it != unique_.end();) {
    const Presence& p = it->second;
    if (p.follows_randomized && !p.overlaps_randomized && !resident_.contains(it->first)) {
      const uint32_t a = Find(Node(it->first, false)), b = Find(Node(p.fingerprint, true));
      if (a != b) parent_[std::max(a, b)] = std::min(a, b);
      ++count_.handovers;
      it = unique_.erase(it);
    } else {
      ++it;
    }
  }
  count_.globally_unique = unique_.size();
  count_.beacon_devices = beacons_.size();
  count_.randomized_macs = mac_node_.size();
  // A component's root may be a fingerprint node: count the components holding a MAC.
  std::unordered_map<uint32_t, bool> components;
  for (const auto& [mac, node] : mac_node_) components.emplace(Find(node), true);
  count_.randomized_devices = components.size();
  count_.devices = count_.globally_unique + count_.randomized_devices + count_.beacon_devices;
}

DeviceCount PresenceModel::Devices() {
  Finish();
  return count_;
}

bool PresenceModel::IsResident(uint64_t device) {
  Finish();
  return resident_.count(device) != 0;
}

uint64_t PresenceModel::Resolve(const Sighting& s) {
  Finish();
  if (s.beacon) return s.device;
  auto it = mac_node_.find(s.device);
  if (it == mac_node_.end()) return s.device;  // not learned: itself
  // Components live in their own key space: the top bit set, the root below.
  return (1ULL << 63) | Find(it->second);
}

void Sessionizer::Add(uint64_t device, int64_t t_us, int rssi, uint32_t zone) {
  if (next_sweep_us_ == INT64_MIN) next_sweep_us_ = t_us + gap_us_;
  if (t_us >= next_sweep_us_) {
    Sweep(t_us);
    next_sweep_us_ = t_us + gap_us_;
  }
  auto [it, added] = open_.try_emplace(device);
  Session& v = it->second;
  if (!added && t_us - v.last_us > gap_us_) {
    on_close_(v);
    added = true;
  }
  if (added) {
    v.device = device;
    v.start_us = v.last_us = t_us;
    v.max_rssi = rssi;
    v.zones.clear();
  }
  v.last_us = std::max(v.last_us, t_us);
  v.max_rssi = std::max(v.max_rssi, rssi);
  if (zone != 0 && (v.zones.empty() || v.zones.back() != zone) && v.zones.size() < 64) v.zones.push_back(zone);
}

void Sessionizer::Sweep(int64_t now_us) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (now_us - it->second.last_us > gap_us_) {
      on_close_(it->second);
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

void Sessionizer::Flush() {
  for (const auto& [device, v] : open_) on_close_(v);
  open_.clear();
}

void PresenceModel::BeginOccupancy(int64_t interval_us) {
  Finish();
  interval_us_ = std::max<int64_t>(interval_us, 1000000);
  present_.clear();
  visits_ = std::make_unique<Sessionizer>(p_.visit_gap_us, [this](const Sessionizer::Session& v) { Close(v); });
}

void PresenceModel::Close(const Sessionizer::Session& v) {
  if (v.last_us - v.start_us < p_.min_visit_us) return;  // a bounce
  for (int64_t w = FloorDiv(v.start_us, interval_us_); w <= FloorDiv(v.last_us, interval_us_); ++w) {
    ++present_[w * interval_us_];
  }
}

void PresenceModel::Observe(const Sighting& s) {
  // The window has data, whoever was seen.
  present_.try_emplace(FloorDiv(s.t_us, interval_us_) * interval_us_, 0);
  if (s.rssi != kNoRssi && s.rssi < p_.rssi_min_dbm) return;  // outside: a passer-by's probe
  if (!s.beacon && resident_.count(s.device)) return;
  visits_->Add(Resolve(s), s.t_us, s.rssi, s.zone);
}

std::vector<OccupancyWindow> PresenceModel::EndOccupancy() {
  visits_->Flush();
  std::vector<OccupancyWindow> out;
  out.reserve(present_.size());
  for (const auto& [start, n] : present_) {
    OccupancyWindow w;
    w.start_us = start;
    w.devices = n;
    w.estimate = std::max(0.0, p_.people_per_device * n + p_.people_offset);
    out.push_back(w);
  }
  return out;
}

}  // namespace holo::stores
