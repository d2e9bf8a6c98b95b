#include "stores/store_service.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <unordered_map>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "stores/metrics.h"
#include "stores/presence.h"
#include "stores/readers.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::stores {

namespace keys = storage::keys;
using storage::Cf;

// Persisted formats: DO NOT CHANGE the field order (append new fields at the end).
struct Stores::Info {
  std::string kind;  // the sensor kind: the format of its files, "mixed" when they differ
  bool zoned = true;
  uint64_t observations = 0;
  int64_t first_us = INT64_MAX, last_us = INT64_MIN;
  StoreSettings settings;  // kKeep: the sensor kind's default

  std::string Encode() const {
    std::string v(1, '\x01');
    coding::PutLengthPrefixed(&v, kind);
    v.push_back(zoned ? 1 : 0);
    coding::PutVarint64(&v, observations);
    coding::PutVarsint64(&v, first_us);
    coding::PutVarsint64(&v, last_us);
    coding::PutVarsint64(&v, settings.rssi_min_dbm);
    coding::PutVarsint64(&v, settings.visit_gap_s);
    coding::PutVarsint64(&v, settings.min_visit_s);
    return v;
  }
  bool Decode(std::string_view in) {
    std::string_view k;
    uint64_t n;
    if (in.size() < 2 || in[0] != '\x01') return false;
    in.remove_prefix(1);
    if (!coding::GetLengthPrefixed(&in, &k) || in.empty()) return false;
    kind = std::string(k);
    zoned = in[0] != 0;
    in.remove_prefix(1);
    if (!coding::GetVarint64(&in, &n) || !coding::GetVarsint64(&in, &first_us) ||
        !coding::GetVarsint64(&in, &last_us)) {
      return false;
    }
    observations = n;
    int64_t rssi = StoreSettings::kKeep, gap = StoreSettings::kKeep, min_visit = StoreSettings::kKeep;
    if (!in.empty() && (!coding::GetVarsint64(&in, &rssi) || !coding::GetVarsint64(&in, &gap) ||
                        !coding::GetVarsint64(&in, &min_visit))) {
      return false;
    }
    settings.rssi_min_dbm = static_cast<int>(rssi);
    settings.visit_gap_s = gap;
    settings.min_visit_s = min_visit;
    return true;
  }
};

// A store's record, or kDataLoss naming the store.
Result<Stores::Info> Stores::DecodeInfo(std::string_view store_id, std::string_view value) {
  Info info;
  if (!info.Decode(value)) return Status::DataLoss("stores: the record of store '" + std::string(store_id) + "' is damaged");
  return info;
}

Result<std::optional<Stores::Info>> Stores::FindInfo(std::string_view store_id) const {
  HOLO_RETURN_IF_ERROR(CheckName(store_id, "store"));
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kStores, keys::StoreMetaKey(store_id)));
  if (!v) return std::optional<Info>();
  HOLO_ASSIGN_OR_RETURN(Info info, DecodeInfo(store_id, *v));
  return std::optional<Info>(std::move(info));
}

PresenceParams Stores::ParamsOf(const Info& info) {
  PresenceParams p = DefaultParams(info.kind);
  if (info.settings.rssi_min_dbm != StoreSettings::kKeep) p.rssi_min_dbm = info.settings.rssi_min_dbm;
  if (info.settings.visit_gap_s != StoreSettings::kKeep) p.visit_gap_us = info.settings.visit_gap_s * 1000000;
  if (info.settings.min_visit_s != StoreSettings::kKeep) p.min_visit_us = info.settings.min_visit_s * 1000000;
  return p;
}

namespace {

constexpr size_t kWriteBatch = 20000;
constexpr int64_t kDayUs = 86400LL * 1000000;

// Merges `days` ((device, day) -> latest sighting) into the store's 'v' keys (the latest of
// the stored and the new), clears it, and appends the devices whose day is new.
Status WriteVisitDays(storage::Store* store, std::string_view store_id, bool zoned,
                      std::map<std::pair<std::array<uint8_t, 16>, int64_t>, int64_t>* days,
                      std::vector<std::array<uint8_t, 16>>* added) {
  if (days->empty()) return Status::OK();
  std::vector<std::string> ks;
  ks.reserve(days->size());
  for (const auto& [k, last] : *days) ks.push_back(keys::StoreVisitKey(k.first, store_id, k.second));
  std::vector<std::string_view> views(ks.begin(), ks.end());
  HOLO_ASSIGN_OR_RETURN(auto stored, store->MultiGet(Cf::kStores, views));
  storage::WriteBatch batch(*store);
  size_t i = 0;
  for (const auto& [k, last] : *days) {
    int64_t before = INT64_MIN;
    if (stored[i].has_value() && stored[i]->size() == 9) before = keys::StoreTimeOf(stored[i]->data());
    if (!stored[i].has_value()) added->push_back(k.first);
    if (last > before) {
      std::string v;
      keys::AppendStoreTime(&v, last);
      v.push_back(zoned ? 1 : 0);
      batch.Put(Cf::kStores, ks[i], v);
    }
    ++i;
  }
  days->clear();
  if (batch.Count() == 0) return Status::OK();
  return store->Write(&batch, /*sync=*/false);
}


std::string EncodeObservation(const Observation& o) {
  std::string v(1, '\x01');
  v.push_back(static_cast<char>((o.randomized ? 1 : 0) | (o.beacon ? 2 : 0)));
  coding::PutVarsint64(&v, o.rssi);
  coding::PutVarint64(&v, static_cast<uint64_t>(o.seq + 1));
  coding::PutFixed64BE(&v, o.fingerprint);
  coding::PutLengthPrefixed(&v, o.zone);
  coding::PutLengthPrefixed(&v, o.sensor);
  return v;
}

// Zone names interned as small numbers for the model (0: none).
struct Zones {
  std::unordered_map<std::string, uint32_t> ids;
  std::vector<std::string> names{""};
  uint32_t Of(std::string_view name) {
    if (name.empty()) return 0;
    auto [it, added] = ids.try_emplace(std::string(name), static_cast<uint32_t>(names.size()));
    if (added) names.emplace_back(name);
    return it->second;
  }
};

bool DecodeSighting(std::string_view key, std::string_view value, size_t prefix, Sighting* s, Zones* zones) {
  if (key.size() != prefix + keys::kStoreObservationSuffixSize || value.size() < 12 || value[0] != '\x01') return false;
  s->t_us = keys::StoreTimeOf(key.data() + prefix);
  std::memcpy(&s->device, key.data() + prefix + 8, sizeof(s->device));
  s->randomized = value[1] & 1;
  s->beacon = value[1] & 2;
  std::string_view in = value.substr(2);
  int64_t rssi;
  uint64_t seq, fp;
  if (!coding::GetVarsint64(&in, &rssi) || !coding::GetVarint64(&in, &seq) || !coding::GetFixed64BE(&in, &fp)) {
    return false;
  }
  s->rssi = static_cast<int>(rssi);
  s->fingerprint = fp;
  s->zone = 0;
  if (zones != nullptr) {
    std::string_view zone;
    if (!coding::GetLengthPrefixed(&in, &zone)) return false;
    s->zone = zones->Of(zone);
  }
  return true;
}

// The keys of `store_id`'s observations in [from_us, to_us]: [begin, end).
std::pair<std::string, std::string> ScanBounds(std::string_view store_id, int64_t from_us, int64_t to_us) {
  const std::string prefix = keys::StoreObservationPrefix(store_id);
  std::string begin = prefix, end = prefix;
  keys::AppendStoreTime(&begin, from_us);
  if (to_us == INT64_MAX) {
    end = keys::PrefixSuccessor(prefix);
  } else {
    keys::AppendStoreTime(&end, to_us + 1);
  }
  return {begin, end};
}

// "from" and "to" of a report: as asked (null when not), in the store's clock.
void WriteRange(JsonWriter& w, std::string_view from, std::string_view to, int64_t from_us, int64_t to_us, bool zoned) {
  w.Key("from");
  if (from.empty()) w.Null(); else w.String(FormatTime(from_us, zoned));
  w.Key("to");
  if (to.empty()) w.Null(); else w.String(FormatTime(to_us, zoned));
}

// Replays the observations of `store_id` in [from_us, to_us], in time order.
Status Replay(const storage::Store& store, std::string_view store_id, int64_t from_us, int64_t to_us,
              const std::function<void(const Sighting&)>& each, Zones* zones = nullptr) {
  const std::string prefix = keys::StoreObservationPrefix(store_id);
  const auto [begin, end] = ScanBounds(store_id, from_us, to_us);
  storage::ScanOptions so;
  so.upper_bound = end;
  so.fill_cache = false;
  so.readahead_bytes = 8 << 20;
  auto it = store.NewCursor(Cf::kStores, so);
  Sighting s;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (!DecodeSighting(it->key(), it->value(), prefix.size(), &s, zones)) {
      return Status::DataLoss("stores: a damaged observation record of store '" + std::string(store_id) + "'");
    }
    each(s);
  }
  return it->status();
}

}  // namespace

Result<Stores::Info> Stores::LoadInfo(std::string_view store_id) const {
  HOLO_ASSIGN_OR_RETURN(auto info, FindInfo(store_id));
  if (!info) return Status::NotFound("no store named '" + std::string(store_id) + "' (holo stores list)");
  return std::move(*info);
}

Result<Stores::Range> Stores::RangeOf(const Info& info, std::string_view from, std::string_view to) const {
  Range r{INT64_MIN, INT64_MAX};
  for (auto [text, out, name] : {std::tuple{from, &r.from_us, "from"}, std::tuple{to, &r.to_us, "to"}}) {
    if (text.empty()) continue;
    bool zoned = false;
    if (!ParseTime(text, out, &zoned)) {
      return Status::InvalidArgument(std::string(name) + " is not an ISO-8601 time: '" + std::string(text) + "'");
    }
    if (zoned != info.zoned) {
      return Status::InvalidArgument(std::string(name) + " '" + std::string(text) + "': this store's clock is " +
                                     (info.zoned ? "UTC: give a time zone (Z or ±HH:MM)"
                                                 : "the sensors' local clock, without a zone: give the time without one"));
    }
  }
  if (r.from_us > r.to_us) return Status::InvalidArgument("from is after to");
  return r;
}

struct Stores::Learned {
  Info info;
  Range range;
  PresenceParams params;
  std::unique_ptr<PresenceModel> model;
};

Result<Stores::Learned> Stores::LearnOver(std::string_view store_id, std::string_view from, std::string_view to,
                                          bool from_start) const {
  Learned l;
  HOLO_ASSIGN_OR_RETURN(l.info, LoadInfo(store_id));
  HOLO_ASSIGN_OR_RETURN(l.range, RangeOf(l.info, from, to));
  l.params = ParamsOf(l.info);
  l.model = std::make_unique<PresenceModel>(l.params);
  PresenceModel* m = l.model.get();
  HOLO_RETURN_IF_ERROR(Replay(*store_, store_id, from_start ? INT64_MIN : l.range.from_us, l.range.to_us,
                              [m](const Sighting& s) { m->Learn(s); }));
  return l;
}

Result<std::string> Stores::ImportStoreFiles(std::string_view store_id, const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::InvalidArgument("no files to import");
  std::vector<std::array<uint8_t, 16>> added_devices;
  std::string out;
  {
    MutexLock lock(&mu_);
    HOLO_ASSIGN_OR_RETURN(out, ImportLocked(store_id, paths, &added_devices));
  }
  if (!added_devices.empty() && hooks_.visits_added) HOLO_RETURN_IF_ERROR(hooks_.visits_added(added_devices));
  return out;
}

Result<std::string> Stores::ImportLocked(std::string_view store_id, const std::vector<std::string>& paths,
                                         std::vector<std::array<uint8_t, 16>>* added_devices) {
  HOLO_ASSIGN_OR_RETURN(std::optional<Info> found, FindInfo(store_id));
  bool known = found.has_value();
  Info info = found.value_or(Info());
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("store").String(store_id).Key("files").BeginArray();
  uint64_t total = 0, total_bad = 0;
  const std::string prefix = keys::StoreObservationPrefix(store_id);
  std::unordered_map<std::string, std::array<uint8_t, 16>> pseudonyms;
  // The visit days of identifying devices in this import: (device, day) -> latest sighting.
  std::map<std::pair<std::array<uint8_t, 16>, int64_t>, int64_t> visit_days;
  const int rssi_min = ParamsOf(info).rssi_min_dbm;
  for (const std::string& path : paths) {
    storage::WriteBatch batch(*store_);
    std::vector<Hooks::BadRecord> bad;
    uint64_t added = 0, other_store = 0, clock_mismatch = 0;
    Info next = info;
    bool first_of_store = !known;
    // New observations only (a re-import writes nothing): looked up in batches.
    std::vector<std::pair<std::string, std::string>> pending;
    auto flush = [&]() -> Status {
      if (pending.empty()) return Status::OK();
      std::vector<std::string_view> ks;
      ks.reserve(pending.size());
      for (const auto& [k, v] : pending) ks.push_back(k);
      HOLO_ASSIGN_OR_RETURN(auto found, store_->MultiGet(Cf::kStores, ks));
      for (size_t i = 0; i < pending.size(); ++i) {
        if (found[i].has_value()) continue;
        batch.Put(Cf::kStores, pending[i].first, pending[i].second);
        ++added;
      }
      pending.clear();
      if (batch.Count() > 0) HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
      batch.Clear();
      return Status::OK();
    };
    auto sink = [&](const Observation& o) -> Status {
      if (!o.store.empty() && o.store != store_id) {
        ++other_store;
        return Status::OK();
      }
      if (first_of_store) {
        next.zoned = o.zoned;
        first_of_store = false;
      } else if (o.zoned != next.zoned) {
        ++clock_mismatch;
        bad.push_back({path, 0, next.zoned ? "a time without a zone in a store whose clock is UTC"
                                            : "a time with a zone in a store whose clock has none",
                       FormatTime(o.t_us, o.zoned)});
        return Status::OK();
      }
      // A device probes many times: its pseudonym (a keyed hash) is computed once per import.
      if (pseudonyms.size() > (1u << 20)) pseudonyms.clear();  // bounded: about 100 MB at most
      auto [cached, fresh] = pseudonyms.try_emplace(o.device_type + '\0' + o.device);
      if (fresh) cached->second = hooks_.pseudonymize(o.device_type, o.device);
      const std::array<uint8_t, 16>& pseudonym = cached->second;
      if (!o.randomized && (o.rssi == kNoRssi || o.rssi >= rssi_min)) {
        auto [day, fresh_day] = visit_days.try_emplace({pseudonym, FloorDiv(o.t_us, kDayUs)}, o.t_us);
        if (!fresh_day) day->second = std::max(day->second, o.t_us);
        if (visit_days.size() >= kWriteBatch) HOLO_RETURN_IF_ERROR(WriteVisitDays(store_, store_id, next.zoned, &visit_days, added_devices));
      }
      std::string key = prefix;
      keys::AppendStoreTime(&key, o.t_us);
      key.append(reinterpret_cast<const char*>(pseudonym.data()), pseudonym.size());
      const uint64_t sensor = Fingerprint(o.sensor);
      key.append(reinterpret_cast<const char*>(&sensor), 4);
      pending.emplace_back(std::move(key), EncodeObservation(o));
      next.first_us = std::min(next.first_us, o.t_us);
      next.last_us = std::max(next.last_us, o.t_us);
      if (pending.size() >= kWriteBatch) return flush();
      return Status::OK();
    };
    auto on_bad = [&](uint64_t line, std::string_view where, std::string_view reason, std::string_view text) {
      bad.push_back({line ? path : path + " " + std::string(where), line, std::string(reason), std::string(text)});
    };
    auto report = ReadObservations(path, sink, on_bad);
    if (!report.ok()) return report.status();  // nothing of an unreadable file is counted
    HOLO_RETURN_IF_ERROR(flush());
    HOLO_RETURN_IF_ERROR(WriteVisitDays(store_, store_id, next.zoned, &visit_days, added_devices));
    if (!bad.empty()) HOLO_RETURN_IF_ERROR(hooks_.dead_letter(bad));
    next.observations += added;
    if (!known || info.kind.empty()) {
      next.kind = report->format;
    } else if (info.kind != report->format) {
      next.kind = "mixed";
    }
    if (added > 0 || !known) {
      storage::WriteBatch meta(*store_);
      meta.Put(Cf::kStores, keys::StoreMetaKey(store_id), next.Encode());
      HOLO_RETURN_IF_ERROR(store_->Write(&meta, /*sync=*/true));
      info = next;
      known = true;
    }
    total += added;
    total_bad += report->bad + clock_mismatch;
    w.BeginObject().Key("file").String(path).Key("format").String(report->format);
    w.Key("records").Uint(report->records).Key("observations").Uint(added);
    w.Key("duplicates").Uint(report->observations - other_store - clock_mismatch - added);
    w.Key("bad").Uint(report->bad + clock_mismatch).Key("skipped").Uint(report->skipped);
    w.Key("other_store").Uint(other_store).EndObject();
  }
  w.EndArray().Key("observations").Uint(total).Key("bad").Uint(total_bad).EndObject();
  std::sort(added_devices->begin(), added_devices->end());
  added_devices->erase(std::unique(added_devices->begin(), added_devices->end()), added_devices->end());
  return out;
}

Result<std::string> Stores::ListStoresJson() {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("stores").BeginArray();
  const std::string prefix(1, keys::kStoreMetaTag);
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(prefix);
  auto it = store_->NewCursor(Cf::kStores, so);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string_view id = it->key().substr(1);
    HOLO_ASSIGN_OR_RETURN(Info info, DecodeInfo(id, it->value()));
    w.BeginObject().Key("store").String(id).Key("sensor_kind").String(info.kind);
    w.Key("observations").Uint(info.observations).Key("zoned").Bool(info.zoned);
    if (info.observations) {
      w.Key("first").String(FormatTime(info.first_us, info.zoned)).Key("last").String(FormatTime(info.last_us, info.zoned));
    } else {
      w.Key("first").Null().Key("last").Null();
    }
    w.EndObject();
  }
  HOLO_RETURN_IF_ERROR(it->status());
  w.EndArray().EndObject();
  return out;
}

Result<StoreOccupancy> Stores::Occupancy(std::string_view store_id, std::string_view from, std::string_view to,
                                         int64_t interval_s) {
  if (interval_s < 60 || interval_s > 86400 || 86400 % interval_s != 0) {
    return Status::InvalidArgument("the interval must be 1 minute to 1 day and divide a day (e.g. 5m, 15m, 1h)");
  }
  HOLO_ASSIGN_OR_RETURN(Learned l, LearnOver(store_id, from, to, /*from_start=*/false));
  const Info& info = l.info;
  const Range& range = l.range;
  PresenceModel& model = *l.model;
  model.BeginOccupancy(interval_s * 1000000);
  HOLO_RETURN_IF_ERROR(Replay(*store_, store_id, range.from_us, range.to_us, [&](const Sighting& s) { model.Observe(s); }));
  StoreOccupancy occ;
  occ.zoned = info.zoned;
  occ.interval_s = interval_s;
  occ.calibrated = l.params.calibrated;
  for (const OccupancyWindow& w : model.EndOccupancy()) occ.windows.push_back({w.start_us, w.devices, w.estimate});
  return occ;
}

Result<std::string> Stores::DevicesJson(std::string_view store_id, std::string_view from, std::string_view to) {
  HOLO_ASSIGN_OR_RETURN(Learned l, LearnOver(store_id, from, to, /*from_start=*/false));
  const Info& info = l.info;
  const Range& range = l.range;
  const DeviceCount d = l.model->Devices();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("store").String(store_id);
  WriteRange(w, from, to, range.from_us, range.to_us, info.zoned);
  w.Key("devices").Uint(d.devices).Key("globally_unique").Uint(d.globally_unique);
  w.Key("randomized_devices").Uint(d.randomized_devices).Key("randomized_macs").Uint(d.randomized_macs);
  w.Key("rotating_macs").Uint(d.rotating_macs).Key("handovers").Uint(d.handovers);
  w.Key("beacon_devices").Uint(d.beacon_devices);
  w.Key("residents").Uint(d.residents).Key("observations").Uint(d.sightings);
  w.Key("days_with_data").Uint(d.days_with_data).EndObject();
  return out;
}

Result<std::string> Stores::MetricsJson(std::string_view store_id, std::string_view from, std::string_view to) {
  return MetricsJsonReleased(store_id, from, to, nullptr);
}

Result<std::string> Stores::FlowsJson(std::string_view store_id, std::string_view from, std::string_view to) {
  return MetricsJsonReleased(store_id, from, to, nullptr, /*flows_only=*/true);
}

Result<std::string> Stores::MetricsJsonReleased(std::string_view store_id, std::string_view from, std::string_view to,
                                                const CellRelease& release, bool flows_only) {
  // Residents and devices are learned over the store's whole history up to `to`; so is the
  // history of returning visitors. Only visits starting in [from, to] are counted.
  HOLO_ASSIGN_OR_RETURN(Learned l, LearnOver(store_id, from, to, /*from_start=*/true));
  const Info& info = l.info;
  const Range& range = l.range;
  const PresenceParams& params = l.params;
  MetricsBuilder builder(l.model.get(), params, range.from_us, range.to_us);
  Zones zones;
  HOLO_RETURN_IF_ERROR(
      Replay(*store_, store_id, INT64_MIN, range.to_us, [&](const Sighting& s) { builder.Observe(s); }, &zones));
  const StoreMetrics m = builder.Finish();
  auto date = [&](int64_t day) { return FormatTime(day * kDayUs, false).substr(0, 10); };

  // The report is walked twice in one order: first to list its counts (the cells), then, once
  // `release` has shown or withheld each (null), to write it. Rates come from shown counts.
  std::vector<std::pair<std::string, uint64_t>> cells;
  std::vector<std::optional<uint64_t>> shown;
  size_t next = 0;
  bool writing = false;
  std::string scratch, out;
  JsonWriter listing(&scratch), report(&out);
  JsonWriter* w = &listing;  // the first walk writes to scratch
  auto cell = [&](const std::string& name, uint64_t exact) -> std::optional<uint64_t> {
    if (!writing) {
      cells.emplace_back(name, exact);
      return exact;
    }
    return shown[next++];
  };
  auto write = [&](const std::string& key, const std::string& name, uint64_t exact) {
    const auto v = cell(name, exact);
    w->Key(key);
    if (v) w->Uint(*v); else w->Null();
    return v;
  };
  auto ratio = [&](const char* key, std::optional<uint64_t> a, std::optional<uint64_t> b) {
    w->Key(key);
    if (a && b && *b > 0) w->Double(std::min(1.0, static_cast<double>(*a) / static_cast<double>(*b))); else w->Null();
  };
  auto counts = [&](const std::string& at, const StoreMetrics::Counts& c) {
    const auto visits = write("visits", at + ".visits", c.visits);
    const auto visitors = write("visitors", at + ".visitors", c.visitors);
    const auto bounces = write("bounces", at + ".bounces", c.bounces);
    const auto passers = write("passers_by", at + ".passers_by", c.passers_by);
    const auto recognisable = write("recognisable", at + ".recognisable", c.recognisable);
    const auto returning = write("returning", at + ".returning", c.returning);
    std::optional<uint64_t> walk_ins;
    if (visits && passers) walk_ins = *visits + *passers;
    ratio("capture_rate", visits, walk_ins);
    ratio("bounce_rate", bounces, visits);
    ratio("returning_share", returning, recognisable);
    w->Key("dwell").BeginObject();
    write("le_3m", at + ".dwell.le_3m", c.dwell[0]);
    write("3_15m", at + ".dwell.3_15m", c.dwell[1]);
    write("ge_15m", at + ".dwell.ge_15m", c.dwell[2]);
    w->EndObject();
  };
  auto walk = [&] {
    next = 0;
    w = writing ? &report : &listing;
    w->BeginObject().Key("store").String(store_id);
    WriteRange(*w, from, to, range.from_us, range.to_us, info.zoned);
    if (!flows_only) {  // the zones alone for FlowsJson
      w->Key("zoned").Bool(info.zoned);
      w->Key("definitions").BeginObject().Key("rssi_min_dbm").Int(params.rssi_min_dbm);
      w->Key("visit_gap_s").Int(params.visit_gap_us / 1000000).Key("min_visit_s").Int(params.min_visit_us / 1000000);
      w->EndObject();
      w->Key("total").BeginObject();
      counts("total", m.total);
      if (release == nullptr) {  // exact only: a median and a peak are not counts to noise
        w->Key("median_dwell_min").Double(m.median_dwell_min);
        int peak = -1;
        for (int h = 0; h < 24; ++h) {
          if (m.hours[h] > 0 && (peak < 0 || m.hours[h] > m.hours[peak])) peak = h;
        }
        w->Key("peak_hour");
        if (peak < 0) w->Null(); else w->Int(peak);
      }
      w->Key("loyalty").BeginObject();
      write("1", "loyalty.1", m.loyalty[0]);
      write("2-3", "loyalty.2-3", m.loyalty[1]);
      write("4-9", "loyalty.4-9", m.loyalty[2]);
      write("10+", "loyalty.10+", m.loyalty[3]);
      w->EndObject().EndObject();
      w->Key("days").BeginArray();
      for (const auto& [day, c] : m.days) {
        w->BeginObject().Key("date").String(date(day));
        counts("days." + date(day), c);
        w->EndObject();
      }
      w->EndArray().Key("hours").BeginArray();
      for (int h = 0; h < 24; ++h) {
        w->BeginObject().Key("hour").Int(h);
        write("visits", "hours." + std::to_string(h), m.hours[h]);
        w->EndObject();
      }
      w->EndArray().Key("heatmap").BeginArray();
      for (const auto& [dh, n] : m.heatmap) {
        w->BeginObject().Key("date").String(date(dh.first)).Key("hour").Int(dh.second);
        write("visits", "heatmap." + date(dh.first) + "." + std::to_string(dh.second), n);
        w->EndObject();
      }
      w->EndArray();
    }
    w->Key("zones").BeginArray();
    for (const auto& [z, n] : m.zone_visits) {
      w->BeginObject().Key("zone").String(zones.names[z]);
      write("visits", "zones." + zones.names[z], n);
      w->EndObject();
    }
    w->EndArray().Key("flows").BeginArray();
    for (const auto& [ft, n] : m.flows) {
      w->BeginObject().Key("from").String(zones.names[ft.first]).Key("to").String(zones.names[ft.second]);
      write("moves", "flows." + zones.names[ft.first] + ">" + zones.names[ft.second], n);
      w->EndObject();
    }
    w->EndArray();
  };
  walk();
  if (release == nullptr) {  // exact: the listing is the report
    w->EndObject();
    return scratch;
  }
  const std::string key = "stores.metrics:" + std::string(store_id) + "\n" + std::string(from) + "\n" + std::string(to);
  HOLO_ASSIGN_OR_RETURN(shown, release(key, cells));
  if (shown.size() != cells.size()) return Status::Internal("stores: the release answered another number of cells");
  writing = true;
  walk();
  w->Key("withheld").BeginArray();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (!shown[i]) w->String(cells[i].first);
  }
  w->EndArray().EndObject();
  return out;
}

Result<std::string> Stores::ConfigureStore(std::string_view store_id, const StoreSettings& settings) {
  MutexLock lock(&mu_);
  HOLO_ASSIGN_OR_RETURN(Info info, LoadInfo(store_id));
  if (settings.rssi_min_dbm != StoreSettings::kKeep) {
    if (settings.rssi_min_dbm < -120 || settings.rssi_min_dbm > 0) {
      return Status::InvalidArgument("rssi_min_dbm must be -120 to 0 dBm");
    }
    info.settings.rssi_min_dbm = settings.rssi_min_dbm;
  }
  if (settings.visit_gap_s != StoreSettings::kKeep) {
    if (settings.visit_gap_s < 60 || settings.visit_gap_s > 86400) {
      return Status::InvalidArgument("visit_gap_s must be 60 to 86400 seconds");
    }
    info.settings.visit_gap_s = settings.visit_gap_s;
  }
  if (settings.min_visit_s != StoreSettings::kKeep) {
    if (settings.min_visit_s < 0 || settings.min_visit_s > 86400) {
      return Status::InvalidArgument("min_visit_s must be 0 to 86400 seconds");
    }
    info.settings.min_visit_s = settings.min_visit_s;
  }
  storage::WriteBatch meta(*store_);
  meta.Put(Cf::kStores, keys::StoreMetaKey(store_id), info.Encode());
  HOLO_RETURN_IF_ERROR(store_->Write(&meta, /*sync=*/true));
  const PresenceParams p = ParamsOf(info);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("store").String(store_id).Key("rssi_min_dbm").Int(p.rssi_min_dbm);
  w.Key("visit_gap_s").Int(p.visit_gap_us / 1000000).Key("min_visit_s").Int(p.min_visit_us / 1000000);
  w.Key("people_per_device").Double(p.people_per_device).Key("people_offset").Double(p.people_offset).EndObject();
  return out;
}

Result<std::string> Stores::LinkRateJson(std::string_view store_id, std::string_view from, std::string_view to) {
  HOLO_ASSIGN_OR_RETURN(Learned l, LearnOver(store_id, from, to, /*from_start=*/false));
  const Info& info = l.info;
  const Range& range = l.range;
  PresenceModel& model = *l.model;
  // The distinct identifying devices: their full pseudonyms, from the keys.
  const std::string prefix = keys::StoreObservationPrefix(store_id);
  const auto [begin, end] = ScanBounds(store_id, range.from_us, range.to_us);
  storage::ScanOptions so;
  so.upper_bound = end;
  so.fill_cache = false;
  auto it = store_->NewCursor(Cf::kStores, so);
  std::map<std::array<uint8_t, 16>, bool> devices;  // pseudonym -> beacon
  Sighting s;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    if (!DecodeSighting(it->key(), it->value(), prefix.size(), &s, nullptr)) {
      return Status::DataLoss("stores: a damaged observation record of store '" + std::string(store_id) + "'");
    }
    if ((s.randomized && !s.beacon) || (!s.beacon && model.IsResident(s.device))) continue;
    std::array<uint8_t, 16> p;
    std::memcpy(p.data(), it->key().data() + prefix.size() + 8, p.size());
    devices.emplace(p, s.beacon);
  }
  HOLO_RETURN_IF_ERROR(it->status());
  uint64_t linked = 0, consented = 0, beacons = 0, beacon_linked = 0;
  for (const auto& [p, beacon] : devices) {
    HOLO_ASSIGN_OR_RETURN(uint64_t oneid, hooks_.oneid_of(p));
    beacons += beacon;
    if (oneid == 0) continue;
    ++linked;
    beacon_linked += beacon;
    HOLO_ASSIGN_OR_RETURN(bool allowed, hooks_.store_link_allowed(oneid));
    consented += allowed;
  }
  auto rate = [](uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("store").String(store_id);
  WriteRange(w, from, to, range.from_us, range.to_us, info.zoned);
  w.Key("devices").Uint(devices.size()).Key("linked").Uint(linked).Key("link_rate").Double(rate(linked, devices.size()));
  w.Key("linked_with_consent").Uint(consented).Key("consented_link_rate").Double(rate(consented, devices.size()));
  w.Key("beacon_devices").Uint(beacons).Key("beacon_linked").Uint(beacon_linked).EndObject();
  return out;
}

Result<uint64_t> Stores::EraseDevices(const std::function<bool(const std::array<uint8_t, 16>&)>& erased) {
  MutexLock lock(&mu_);
  const std::string prefix(1, keys::kStoreObservationTag);
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(prefix);
  so.fill_cache = false;
  auto it = store_->NewCursor(Cf::kStores, so);
  storage::WriteBatch batch(*store_);
  std::map<std::string, uint64_t> per_store;
  uint64_t deleted = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const size_t at = keys::StoreObservationDeviceOffset(it->key());
    if (at == std::string::npos) return Status::DataLoss("stores: a damaged observation key");
    std::array<uint8_t, 16> device;
    std::memcpy(device.data(), it->key().data() + at, device.size());
    if (!erased(device)) continue;
    batch.Delete(Cf::kStores, it->key());
    ++per_store[std::string(it->key().substr(1, at - 8 - 2))];
    ++deleted;
    if (batch.Count() >= kWriteBatch) {
      HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
      batch.Clear();
    }
  }
  HOLO_RETURN_IF_ERROR(it->status());
  // The erased devices' visit days ('v' device16 ...: one seek per device would need the
  // devices listed; the visit days are few beside the observations, so they are scanned).
  const std::string visit_prefix(1, keys::kStoreVisitTag);
  storage::ScanOptions vo;
  vo.upper_bound = keys::PrefixSuccessor(visit_prefix);
  vo.fill_cache = false;
  auto vit = store_->NewCursor(Cf::kStores, vo);
  for (vit->Seek(visit_prefix); vit->Valid(); vit->Next()) {
    if (vit->key().size() < 17) return Status::DataLoss("stores: a damaged visit-day key");
    std::array<uint8_t, 16> device;
    std::memcpy(device.data(), vit->key().data() + 1, device.size());
    if (erased(device)) batch.Delete(Cf::kStores, vit->key());
  }
  HOLO_RETURN_IF_ERROR(vit->status());
  for (const auto& [id, n] : per_store) {
    HOLO_ASSIGN_OR_RETURN(std::optional<Info> info, FindInfo(id));
    if (!info) continue;
    info->observations -= std::min(info->observations, n);
    batch.Put(Cf::kStores, keys::StoreMetaKey(id), info->Encode());
  }
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  return deleted;
}

namespace {

// Scans the visit days under `prefix` ('v', or 'v' device16), calling fn(device, day).
Status ScanVisitDays(const storage::Store& store, const std::string& prefix,
                     const std::function<Status(const std::array<uint8_t, 16>&, const StoreVisitDay&)>& fn) {
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(prefix);
  auto it = store.NewCursor(Cf::kStores, so);
  StoreVisitDay d;
  std::array<uint8_t, 16> device;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view id;
    if (!keys::DecodeStoreVisitKey(it->key(), &id, &d.day) || it->value().size() != 9) {
      return Status::DataLoss("stores: a damaged visit-day record");
    }
    std::memcpy(device.data(), it->key().data() + 1, device.size());
    d.store.assign(id);
    d.last_us = keys::StoreTimeOf(it->value().data());
    d.zoned = it->value()[8] != 0;
    HOLO_RETURN_IF_ERROR(fn(device, d));
  }
  return it->status();
}

}  // namespace

Result<std::vector<StoreVisitDay>> Stores::VisitDaysOf(const std::array<uint8_t, 16>& device) const {
  std::vector<StoreVisitDay> out;
  HOLO_RETURN_IF_ERROR(ScanVisitDays(*store_, keys::StoreVisitPrefix(device),
                                     [&](const std::array<uint8_t, 16>&, const StoreVisitDay& d) {
                                       out.push_back(d);
                                       return Status::OK();
                                     }));
  return out;
}

Status Stores::ForEachVisitDay(
    const std::vector<std::string>& store_ids,
    const std::function<Status(const std::array<uint8_t, 16>& device, const StoreVisitDay& day)>& fn) const {
  if (store_ids.empty()) return Status::OK();
  return ScanVisitDays(*store_, std::string(1, keys::kStoreVisitTag),
                       [&](const std::array<uint8_t, 16>& device, const StoreVisitDay& d) {
                         if (std::find(store_ids.begin(), store_ids.end(), d.store) == store_ids.end()) return Status::OK();
                         return fn(device, d);
                       });
}

Result<bool> Stores::HasVisitDays() const {
  const std::string prefix(1, keys::kStoreVisitTag);
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(prefix);
  auto it = store_->NewCursor(Cf::kStores, so);
  it->Seek(prefix);
  HOLO_RETURN_IF_ERROR(it->status());
  return it->Valid();
}

std::string OccupancyCsv(const StoreOccupancy& occupancy) {
  std::string out = "window_start,estimate\n";
  char num[32];
  for (const auto& win : occupancy.windows) {
    std::snprintf(num, sizeof(num), "%.2f", win.estimate);
    out += FormatTime(win.start_us, occupancy.zoned) + "," + num + "\n";
  }
  return out;
}

std::string OccupancyJson(std::string_view store_id, const StoreOccupancy& occupancy) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("store").String(store_id).Key("interval_s").Int(occupancy.interval_s);
  w.Key("zoned").Bool(occupancy.zoned).Key("calibrated").Bool(occupancy.calibrated).Key("windows").BeginArray();
  for (const auto& win : occupancy.windows) {
    w.BeginObject().Key("start").String(FormatTime(win.start_us, occupancy.zoned));
    w.Key("devices").Uint(win.devices).Key("estimate").Double(std::round(win.estimate * 100) / 100).EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

int64_t ParseDurationSeconds(std::string_view text) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n <= 0 || p == text.data()) return -1;
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  if (unit.empty() || unit == "s") return n;
  if (unit == "m" || unit == "min") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return -1;
}

}  // namespace holo::stores
