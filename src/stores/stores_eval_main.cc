// stores_eval SHARED_DIR: the presence model against the real store captures with ground
// truth (bench/RESULTS.md, docs/stores.md).
//
//  1. Occupancy, wifi_probe_occupancy_brno: people present per 5-minute window (the room's
//     hand-logged `occupancy`, averaged over the window's rows) against the model's visitor
//     devices and the naive count (distinct globally unique MACs plus distinct randomized
//     fingerprints at RSSI >= -70 dBm). Each is mapped to people by a line fitted on the
//     other days (leave one day out), so no day is scored by a fit that saw it; MAE over the
//     windows with people, Pearson r over all windows. Also: the line fitted on every day —
//     the sniffer-csv calibration shipped as the default (presence.cc).
//  2. Devices, wifi_probe_labeled_derand: physical devices counted from randomized probes
//     against `Label`, on all captures and on every six of the seven (one device unseen),
//     with the pairwise precision and recall of probes grouped per device.
//
// stores_eval --world DIR: the store metrics of a generated world (holo generate) against
// its visit truth (store_visits.csv): visits, visitors (footfall), bounces, passers-by,
// dwell and the returning share, each computed from the truth with the same definitions
// (docs/stores.md) and from the world's Probe Seen / Beacon Seen events by the same code
// `holo stores metrics` runs, summed over every store; and footfall per store and day
// (MAE, relative error, Pearson r).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time_util.h"
#include "stores/metrics.h"
#include "stores/observation.h"
#include "stores/presence.h"
#include "stores/readers.h"

namespace fs = std::filesystem;
using namespace holo::stores;

namespace {

struct Probe {
  Sighting s;
  std::string label;  // derand: the device
};

std::vector<std::string> Files(const fs::path& dir, const char* ext) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Sighting ToSighting(const Observation& o) {
  Sighting s;
  s.t_us = o.t_us;
  s.device = Fingerprint(o.device);
  s.fingerprint = o.fingerprint;
  s.rssi = o.rssi;
  s.randomized = o.randomized;
  s.beacon = o.beacon;
  return s;
}

void Die(const std::string& m) {
  std::fprintf(stderr, "stores_eval: %s\n", m.c_str());
  std::exit(1);
}

std::vector<Probe> Read(const std::string& path) {
  std::vector<Probe> out;
  uint64_t bad = 0;
  auto r = ReadObservations(
      path,
      [&](const Observation& o) {
        out.push_back({ToSighting(o), fs::path(path).stem().string()});
        return holo::Status::OK();
      },
      [&](uint64_t, std::string_view, std::string_view, std::string_view) { ++bad; });
  if (!r.ok()) Die(r.status().ToString());
  if (bad) std::fprintf(stderr, "%s: %llu bad rows\n", path.c_str(), static_cast<unsigned long long>(bad));
  return out;
}

// The hand-logged occupancy per 5-minute window: the mean of the window's rows.
std::map<int64_t, double> Truth(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::map<int64_t, std::pair<double, int>> sum;
  while (std::getline(in, line)) {
    const size_t semi = line.find(';'), last = line.rfind(';');
    int64_t t;
    bool zoned;
    if (semi == std::string::npos || !ParseTime(line.substr(0, semi), &t, &zoned)) continue;
    auto& [s, n] = sum[t / 300000000 * 300000000];
    s += std::stod(line.substr(last + 1));
    ++n;
  }
  std::map<int64_t, double> out;
  for (const auto& [w, sn] : sum) out[w] = sn.first / sn.second;
  return out;
}

struct Fit {
  double a = 1, b = 0;
};
Fit FitLine(const std::vector<std::pair<double, double>>& xy) {
  double mx = 0, my = 0;
  for (auto [x, y] : xy) mx += x, my += y;
  mx /= xy.size();
  my /= xy.size();
  double sxy = 0, sxx = 0;
  for (auto [x, y] : xy) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx);
  Fit f;
  f.a = sxx > 0 ? sxy / sxx : 0;
  f.b = my - f.a * mx;
  return f;
}

struct Score {
  double mae = 0, r = 0;
};
Score ScoreOf(const std::vector<double>& pred, const std::vector<double>& truth) {
  double err = 0;
  int n = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    if (truth[i] > 0) err += std::fabs(pred[i] - truth[i]), ++n;
  }
  double mp = 0, mt = 0;
  for (size_t i = 0; i < pred.size(); ++i) mp += pred[i], mt += truth[i];
  mp /= pred.size();
  mt /= pred.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    sxy += (pred[i] - mp) * (truth[i] - mt);
    sxx += (pred[i] - mp) * (pred[i] - mp);
    syy += (truth[i] - mt) * (truth[i] - mt);
  }
  return {n ? err / n : 0, sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0};
}

// Visitor devices per 5-minute window of the model run over `probes` (in time order); the
// devices it counted in *count when asked.
std::map<int64_t, double> VisitorDevices(const std::vector<Probe>& probes, DeviceCount* count = nullptr) {
  PresenceParams params = DefaultParams("sniffer-csv");
  params.people_per_device = 1;
  params.people_offset = 0;
  PresenceModel model(params);
  for (const auto& p : probes) model.Learn(p.s);
  if (count != nullptr) *count = model.Devices();
  model.BeginOccupancy(300000000);
  for (const auto& p : probes) model.Observe(p.s);
  std::map<int64_t, double> out;
  for (const auto& w : model.EndOccupancy()) out[w.start_us] = w.devices;
  return out;
}

void Occupancy(const fs::path& dir) {
  const auto files = Files(dir, ".csv");
  if (files.empty()) Die("no captures in " + dir.string());
  std::vector<std::vector<Probe>> per_day(files.size());
  std::vector<Probe> all;
  std::vector<std::map<int64_t, double>> truth;
  for (size_t d = 0; d < files.size(); ++d) {
    per_day[d] = Read(files[d]);
    all.insert(all.end(), per_day[d].begin(), per_day[d].end());
    truth.push_back(Truth(files[d]));
  }
  std::stable_sort(all.begin(), all.end(), [](const Probe& a, const Probe& b) { return a.s.t_us < b.s.t_us; });
  DeviceCount dc;
  const std::map<int64_t, double> devices = VisitorDevices(all, &dc);
  // The naive count.
  std::map<int64_t, std::set<uint64_t>> naive_sets;
  for (const auto& p : all) {
    if (p.s.rssi < -70) continue;
    naive_sets[p.s.t_us / 300000000 * 300000000].insert(p.s.randomized ? p.s.fingerprint ^ 0x5bd1e995 : p.s.device);
  }
  // Per day: (model, naive, truth) per window.
  struct Row {
    size_t day;
    double model, naive, truth;
  };
  std::vector<Row> rows;
  for (size_t d = 0; d < truth.size(); ++d) {
    for (const auto& [w, t] : truth[d]) {
      auto m = devices.find(w);
      auto n = naive_sets.find(w);
      rows.push_back({d, m == devices.end() ? 0.0 : m->second, n == naive_sets.end() ? 0.0 : double(n->second.size()), t});
    }
  }
  std::printf("#### Occupancy: %zu captures, %zu five-minute windows, %llu probes\n\n", files.size(), rows.size(),
              static_cast<unsigned long long>(all.size()));
  std::printf("devices %llu (globally unique %llu, of them residents %llu; randomized MACs %llu, of them rotating "
              "without the bit %llu -> devices %llu)\n\n",
              (unsigned long long)dc.devices, (unsigned long long)dc.globally_unique, (unsigned long long)dc.residents,
              (unsigned long long)dc.randomized_macs, (unsigned long long)dc.rotating_macs,
              (unsigned long long)dc.randomized_devices);
  std::printf("| estimate | MAE (occupied windows) | Pearson r (all windows) |\n|---|---|---|\n");
  for (int which = 0; which < 2; ++which) {
    auto x = [&](const Row& r) { return which == 0 ? r.naive : r.model; };
    std::vector<double> raw, lodo, truth_v;
    for (size_t d = 0; d < truth.size(); ++d) {
      std::vector<std::pair<double, double>> train;
      for (const Row& r : rows) {
        if (r.day != d) train.push_back({x(r), r.truth});
      }
      const Fit f = FitLine(train);
      for (const Row& r : rows) {
        if (r.day != d) continue;
        raw.push_back(x(r));
        lodo.push_back(std::max(0.0, f.a * x(r) + f.b));
        truth_v.push_back(r.truth);
      }
    }
    const char* name = which == 0 ? "naive (distinct MACs + randomized fingerprints, RSSI >= -70)"
                                  : "presence model (visitor devices)";
    Score s = ScoreOf(raw, truth_v);
    std::printf("| %s, raw count | %.2f | %.3f |\n", name, s.mae, s.r);
    s = ScoreOf(lodo, truth_v);
    std::printf("| %s, line fitted leaving the day out | %.2f | %.3f |\n", name, s.mae, s.r);
  }
  std::vector<std::pair<double, double>> every;
  for (const Row& r : rows) every.push_back({r.model, r.truth});
  const Fit f = FitLine(every);
  // Unseen captures imported alone: each day's model run on that day only (its residents
  // found from it alone), its line fitted on the other days' model run together.
  {
    std::vector<double> pred, tv2;
    for (size_t d = 0; d < files.size(); ++d) {
      std::vector<Probe> rest;
      for (size_t e = 0; e < files.size(); ++e) {
        if (e != d) rest.insert(rest.end(), per_day[e].begin(), per_day[e].end());
      }
      std::stable_sort(rest.begin(), rest.end(), [](const Probe& a, const Probe& b) { return a.s.t_us < b.s.t_us; });
      const auto rest_devices = VisitorDevices(rest);
      std::vector<std::pair<double, double>> train;
      for (size_t e = 0; e < files.size(); ++e) {
        if (e == d) continue;
        for (const auto& [w, t] : truth[e]) {
          auto m = rest_devices.find(w);
          train.push_back({m == rest_devices.end() ? 0.0 : m->second, t});
        }
      }
      const Fit fd = FitLine(train);
      const auto alone = VisitorDevices(per_day[d]);
      for (const auto& [w, t] : truth[d]) {
        auto m = alone.find(w);
        pred.push_back(std::max(0.0, fd.a * (m == alone.end() ? 0.0 : m->second) + fd.b));
        tv2.push_back(t);
      }
    }
    const Score s2 = ScoreOf(pred, tv2);
    std::printf("| presence model, each day imported alone, line fitted on the other days | %.2f | %.3f |\n", s2.mae,
                s2.r);
  }
  std::vector<double> shipped, tv;
  for (const Row& r : rows) shipped.push_back(std::max(0.0, f.a * r.model + f.b)), tv.push_back(r.truth);
  const Score s = ScoreOf(shipped, tv);
  std::printf("\nFitted on every day (the sniffer-csv default): people = %.4f * devices + %.4f "
              "(in-sample MAE %.2f, r %.3f)\n\n", f.a, f.b, s.mae, s.r);
}

void Devices(const fs::path& dir) {
  const auto files = Files(dir, ".csv");
  if (files.empty()) Die("no captures in " + dir.string());
  std::vector<std::vector<Probe>> per_file;
  for (const auto& f : files) per_file.push_back(Read(f));
  std::printf("#### Devices behind randomized MACs: %zu labelled devices\n\n", files.size());
  std::printf("| devices in the capture | counted | pairwise precision | pairwise recall |\n|---|---|---|---|\n");
  auto run = [&](size_t skip) {
    std::vector<Probe> all;
    for (size_t i = 0; i < per_file.size(); ++i) {
      if (i != skip) all.insert(all.end(), per_file[i].begin(), per_file[i].end());
    }
    std::stable_sort(all.begin(), all.end(), [](const Probe& a, const Probe& b) { return a.s.t_us < b.s.t_us; });
    PresenceModel m(DefaultParams("probe-csv"));
    for (const auto& p : all) m.Learn(p.s);
    const DeviceCount dc = m.Devices();
    std::map<std::pair<uint64_t, std::string>, uint64_t> both;
    std::map<uint64_t, uint64_t> pred;
    std::map<std::string, uint64_t> label;
    for (const auto& p : all) {
      const uint64_t d = m.Resolve(p.s);
      ++both[{d, p.label}];
      ++pred[d];
      ++label[p.label];
    }
    auto pairs = [](uint64_t n) { return n * (n - 1) / 2; };
    uint64_t tp = 0, pp = 0, tt = 0;
    for (const auto& [k, n] : both) tp += pairs(n);
    for (const auto& [k, n] : pred) pp += pairs(n);
    for (const auto& [k, n] : label) tt += pairs(n);
    // Where the count goes wrong: labels spread over several devices (probes of each).
    std::map<std::string, std::vector<uint64_t>> spread;
    for (const auto& [k, n] : both) spread[k.second].push_back(n);
    std::string split;
    for (const auto& [l, parts] : spread) {
      if (parts.size() < 2) continue;
      split += (split.empty() ? "" : "; ") + l + ":";
      for (uint64_t n : parts) split += " " + std::to_string(n);
    }
    if (getenv("STORES_EVAL_VERBOSE") != nullptr) std::fprintf(stderr, "split: %s\n", split.c_str());
    std::string what = skip < per_file.size() ? "6 (without " + fs::path(files[skip]).stem().string() + ")" : "all 7";
    std::printf("| %s | %llu | %.3f | %.3f |\n", what.c_str(), (unsigned long long)dc.devices,
                pp ? double(tp) / pp : 1.0, tt ? double(tp) / tt : 1.0);
  };
  run(per_file.size());
  for (size_t i = 0; i < per_file.size(); ++i) run(i);
  std::printf("\n");
}


// ---- generated worlds ----

struct TrueVisit {
  std::string person;
  int64_t arrival_us = 0, departure_us = 0;
  bool pass = false;
};

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) out.push_back(f);
  return out;
}

// store -> its true visits and passes, from store_visits.csv.
std::map<std::string, std::vector<TrueVisit>> VisitTruth(const fs::path& path) {
  std::ifstream in(path);
  if (!in) Die("cannot read " + path.string());
  std::string line;
  std::getline(in, line);
  if (line != "store_id,person_id,device,mac,randomized,kind,arrival,departure") Die(path.string() + ": unexpected header");
  std::map<std::string, std::vector<TrueVisit>> out;
  while (std::getline(in, line)) {
    const auto f = SplitCsv(line);
    if (f.size() != 8) Die(path.string() + ": bad row " + line);
    auto a = holo::ParseIso8601Ms(f[6]);
    auto d = holo::ParseIso8601Ms(f[7]);
    if (!a.ok() || !d.ok()) Die(path.string() + ": bad time in " + line);
    out[f[0]].push_back({f[1], *a * 1000, *d * 1000, f[5] == "pass"});
  }
  return out;
}

// The metrics' definitions applied to the truth: a visit is a person entering, a visitor
// one who stayed min_visit, returning a visitor with a visitor visit to the same store on an
// earlier day (the person, whatever MAC their phone showed).
StoreMetrics TrueMetrics(std::vector<TrueVisit> visits, const PresenceParams& p) {
  constexpr int64_t kDay = 86400LL * 1000000, kMinute = 60LL * 1000000;
  std::sort(visits.begin(), visits.end(), [](const TrueVisit& a, const TrueVisit& b) { return a.arrival_us < b.arrival_us; });
  StoreMetrics m;
  std::unordered_map<std::string, int64_t> last_day;
  for (const TrueVisit& v : visits) {
    const int64_t day = FloorDiv(v.arrival_us, kDay);
    if (v.pass) {
      ++m.total.passers_by;
      ++m.days[day].passers_by;
      continue;
    }
    const int64_t length = v.departure_us - v.arrival_us;
    const bool visitor = length >= p.min_visit_us;
    bool returning = false;
    if (visitor) {
      auto it = last_day.find(v.person);
      returning = it != last_day.end() && it->second < day;
      last_day[v.person] = day;
    }
    const int64_t minutes = length / kMinute;
    for (StoreMetrics::Counts* c : {&m.total, &m.days[day]}) {
      ++c->visits;
      ++(visitor ? c->visitors : c->bounces);
      c->returning += returning;
      ++c->dwell[minutes <= 3 ? 0 : minutes < 15 ? 1 : 2];
    }
  }
  return m;
}

void Add(StoreMetrics::Counts* to, const StoreMetrics::Counts& c) {
  to->visits += c.visits;
  to->visitors += c.visitors;
  to->bounces += c.bounces;
  to->passers_by += c.passers_by;
  to->returning += c.returning;
  to->recognisable += c.recognisable;
  for (size_t i = 0; i < c.dwell.size(); ++i) to->dwell[i] += c.dwell[i];
}

void World(const fs::path& dir) {
  const auto truth = VisitTruth(dir / "store_visits.csv");
  std::map<std::string, std::vector<Sighting>> per_store;
  uint64_t sightings = 0;
  for (const char* name : {"store_wifi.jsonl", "store_beacon.jsonl"}) {
    const fs::path path = dir / name;
    uint64_t bad = 0;
    auto r = ReadObservations(
        path.string(),
        [&](const Observation& o) {
          per_store[o.store].push_back(ToSighting(o));
          ++sightings;
          return holo::Status::OK();
        },
        [&](uint64_t, std::string_view, std::string_view, std::string_view) { ++bad; });
    if (!r.ok()) Die(r.status().ToString());
    if (bad) Die(path.string() + ": " + std::to_string(bad) + " bad rows");
  }
  const PresenceParams params = DefaultParams("segment");
  StoreMetrics::Counts held, seen;
  std::vector<double> true_footfall, holo_footfall;
  for (auto& [store, sights] : per_store) {
    std::stable_sort(sights.begin(), sights.end(), [](const Sighting& a, const Sighting& b) { return a.t_us < b.t_us; });
    PresenceModel model(params);
    for (const Sighting& s : sights) model.Learn(s);
    model.Devices();
    MetricsBuilder builder(&model, params, INT64_MIN, INT64_MAX);
    for (const Sighting& s : sights) builder.Observe(s);
    const StoreMetrics got = builder.Finish();
    auto t = truth.find(store);
    const StoreMetrics want = TrueMetrics(t == truth.end() ? std::vector<TrueVisit>{} : t->second, params);
    Add(&held, want.total);
    Add(&seen, got.total);
    std::set<int64_t> days;
    for (const auto& [d, c] : want.days) days.insert(d);
    for (const auto& [d, c] : got.days) days.insert(d);
    for (int64_t d : days) {
      auto w = want.days.find(d);
      auto g = got.days.find(d);
      true_footfall.push_back(w == want.days.end() ? 0 : static_cast<double>(w->second.visitors));
      holo_footfall.push_back(g == got.days.end() ? 0 : static_cast<double>(g->second.visitors));
    }
  }
  std::printf("World %s: %zu stores, %llu sightings\n\n", dir.string().c_str(), per_store.size(),
              static_cast<unsigned long long>(sightings));
  std::printf("| metric (all stores) | truth | Holo | Holo / truth |\n|---|---:|---:|---:|\n");
  auto row = [](const char* name, double want, double got) {
    std::printf("| %s | %.0f | %.0f | %.3f |\n", name, want, got, want > 0 ? got / want : 0.0);
  };
  auto share = [](const char* name, double want, double got) {
    std::printf("| %s | %.3f | %.3f | %+.3f |\n", name, want, got, got - want);
  };
  row("visits", held.visits, seen.visits);
  row("visitors (footfall)", held.visitors, seen.visitors);
  row("bounces", held.bounces, seen.bounces);
  row("passers-by", held.passers_by, seen.passers_by);
  // The truth's share over every visitor; Holo's over the visitors it can recognise.
  const double tv = std::max<double>(1, held.visitors), sv = std::max<double>(1, seen.recognisable);
  share("returning share of visitors", held.returning / tv, seen.returning / sv);
  const double tn = std::max<double>(1, held.visits), sn = std::max<double>(1, seen.visits);
  share("dwell <= 3 min share", held.dwell[0] / tn, seen.dwell[0] / sn);
  share("dwell 3-15 min share", held.dwell[1] / tn, seen.dwell[1] / sn);
  share("dwell >= 15 min share", held.dwell[2] / tn, seen.dwell[2] / sn);
  share("capture rate", held.visits / std::max<double>(1, held.visits + held.passers_by),
        seen.visits / std::max<double>(1, seen.visits + seen.passers_by));
  double err = 0, sum = 0;
  for (size_t i = 0; i < true_footfall.size(); ++i) err += std::fabs(holo_footfall[i] - true_footfall[i]), sum += true_footfall[i];
  const Score sc = ScoreOf(holo_footfall, true_footfall);
  std::printf("\nfootfall per store and day (%zu store-days, mean %.2f visitors): MAE %.3f, relative error %.3f, Pearson r %.3f\n",
              true_footfall.size(), true_footfall.empty() ? 0.0 : sum / true_footfall.size(),
              true_footfall.empty() ? 0.0 : err / true_footfall.size(), sum > 0 ? err / sum : 0.0, sc.r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--world") {
    World(argv[2]);
    return 0;
  }
  if (argc != 2) Die("usage: stores_eval SHARED_DIR | stores_eval --world DIR");
  const fs::path shared = argv[1];
  Occupancy(shared / "datasets/stores/wifi_probe_occupancy_brno");
  Devices(shared / "datasets/stores/wifi_probe_labeled_derand");
  return 0;
}
