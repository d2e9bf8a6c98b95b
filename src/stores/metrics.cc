#include "stores/metrics.h"

#include "stores/observation.h"

namespace holo::stores {

namespace {
constexpr int64_t kMinuteUs = 60LL * 1000000;
constexpr int64_t kDayUs = 86400LL * 1000000;
}  // namespace

MetricsBuilder::MetricsBuilder(PresenceModel* model, const PresenceParams& params, int64_t from_us, int64_t to_us)
    : model_(model),
      p_(params),
      from_us_(from_us),
      to_us_(to_us),
      sessions_(params.visit_gap_us, [this](const Sessionizer::Session& v) { CloseSession(v); }),
      beacon_sessions_(params.visit_gap_us, [this](const Sessionizer::Session& v) {
        if (InRange(v.start_us)) CountZones(v.zones);
      }) {
  const DeviceCount d = model_->Devices();
  count_wifi_ = d.globally_unique - d.residents + d.randomized_devices > 0;
  zones_beacons_ = d.beacon_devices > 0;
}

void MetricsBuilder::Observe(const Sighting& s) {
  if (!s.beacon && model_->IsResident(s.device)) return;
  const uint64_t device = model_->Resolve(s);
  if (s.randomized) randomized_.insert(device);
  if (s.beacon == count_wifi_) {  // the other kind: zones only, when they come from it
    if (s.beacon && zones_beacons_) beacon_sessions_.Add(device, s.t_us, s.rssi, s.zone);
    return;
  }
  sessions_.Add(device, s.t_us, s.rssi, s.zone);
}

void MetricsBuilder::CloseSession(const Sessionizer::Session& v) {
  if (v.max_rssi == kNoRssi || v.max_rssi >= p_.rssi_min_dbm) return CloseVisit(v);
  if (!InRange(v.start_us)) return;
  ++m_.total.passers_by;
  ++m_.days[FloorDiv(v.start_us, kDayUs)].passers_by;
}

void MetricsBuilder::CloseVisit(const Sessionizer::Session& v) {
  const int64_t day = FloorDiv(v.start_us, kDayUs);
  const bool visitor = v.last_us - v.start_us >= p_.min_visit_us;
  const bool recognisable = visitor && !randomized_.contains(v.device);
  bool returning = false;
  if (recognisable) {
    auto it = last_visitor_day_.find(v.device);
    returning = it != last_visitor_day_.end() && it->second < day;
    last_visitor_day_[v.device] = day;
  }
  if (!InRange(v.start_us)) return;  // history only
  const int64_t minutes = (v.last_us - v.start_us) / kMinuteUs;
  const int bucket = minutes <= 3 ? 0 : minutes < 15 ? 1 : 2;
  for (StoreMetrics::Counts* c : {&m_.total, &m_.days[day]}) {
    ++c->visits;
    ++(visitor ? c->visitors : c->bounces);
    c->recognisable += recognisable;
    c->returning += returning;
    ++c->dwell[bucket];
  }
  const int hour = static_cast<int>(FloorDiv(v.start_us - day * kDayUs, 3600LL * 1000000));
  ++m_.hours[hour];
  ++m_.heatmap[{day, hour}];
  ++dwell_minutes_[minutes];
  if (visitor) ++visits_per_device_[v.device];
  if (!zones_beacons_ || !count_wifi_) CountZones(v.zones);
}

void MetricsBuilder::CountZones(const std::vector<uint32_t>& zones) {
  for (size_t i = 0; i < zones.size(); ++i) {
    ++m_.zone_visits[zones[i]];
    if (i > 0) ++m_.flows[{zones[i - 1], zones[i]}];
  }
}

StoreMetrics MetricsBuilder::Finish() {
  sessions_.Flush();
  beacon_sessions_.Flush();
  for (const auto& [device, n] : visits_per_device_) {
    ++m_.loyalty[n == 1 ? 0 : n <= 3 ? 1 : n <= 9 ? 2 : 3];
  }
  uint64_t seen = 0;
  const uint64_t half = (m_.total.visits + 1) / 2;
  for (const auto& [minutes, n] : dwell_minutes_) {
    seen += n;
    if (seen >= half) {
      m_.median_dwell_min = static_cast<double>(minutes);
      break;
    }
  }
  return m_;
}

}  // namespace holo::stores
