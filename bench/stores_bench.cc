// stores_bench [PROBES] [DEVICES]: the presence model's speed and memory on a synthetic
// stream (bench/RESULTS.md). PROBES sightings (default 100,000,000) over 30 days from
// DEVICES devices (default 2,000,000; 60% randomized MACs sharing 5,000 fingerprints, each
// rotating per visit), about 400 in the store at any time, each staying ~20 minutes, are
// generated on the fly (twice, identically: the model's two passes), never held in memory.
// Prints probes per second of each pass on one core — learning, occupancy, and a third pass
// through the store metrics (metrics.h) — and the peak resident memory.
#include <sys/resource.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "stores/metrics.h"
#include "stores/presence.h"

using namespace holo::stores;

namespace {

template <typename F>
double Pass(uint64_t probes, uint64_t devices, F&& each) {
  std::mt19937_64 rng(42);
  const int64_t t0 = 19000LL * 86400 * 1000000;
  const int64_t span = 30LL * 86400 * 1000000;
  const uint64_t in_store = 400;
  const auto start = std::chrono::steady_clock::now();
  Sighting s;
  for (uint64_t i = 0; i < probes; ++i) {
    s.t_us = t0 + static_cast<int64_t>(static_cast<double>(i) / static_cast<double>(probes) * span);
    // The devices present drift through the population: visitor k is in the store while
    // the stream is near its turn.
    const uint64_t base = i * devices / probes;
    const uint64_t d = (base + rng() % in_store) % devices;
    s.randomized = d % 5 < 3;
    s.device = s.randomized ? (d << 20) ^ (i / 2000) : d;  // a randomized MAC changes as time goes
    s.fingerprint = s.randomized ? 1 + d % 5000 : 0;
    s.rssi = -40 - static_cast<int>(rng() % 50);
    each(s);
  }
  return static_cast<double>(probes) /
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t probes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000000ULL;
  const uint64_t devices = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000000ULL;
  PresenceModel model(DefaultParams("sniffer-csv"));
  const double learn = Pass(probes, devices, [&](const Sighting& s) { model.Learn(s); });
  const DeviceCount dc = model.Devices();
  model.BeginOccupancy(5LL * 60 * 1000000);
  const double observe = Pass(probes, devices, [&](const Sighting& s) { model.Observe(s); });
  const auto windows = model.EndOccupancy();
  const PresenceParams params = DefaultParams("sniffer-csv");
  MetricsBuilder metrics(&model, params, INT64_MIN, INT64_MAX);
  const double measure = Pass(probes, devices, [&](const Sighting& s) { metrics.Observe(s); });
  const StoreMetrics m = metrics.Finish();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("probes %llu devices %llu: learn %.2f M probes/s, sessionize+occupancy %.2f M probes/s, "
              "metrics %.2f M probes/s (%llu visits), %zu windows, %llu physical devices (%llu randomized MACs), "
              "peak RSS %.0f MiB\n",
              static_cast<unsigned long long>(probes), static_cast<unsigned long long>(devices), learn / 1e6,
              observe / 1e6, measure / 1e6, static_cast<unsigned long long>(m.total.visits), windows.size(),
              static_cast<unsigned long long>(dc.devices), static_cast<unsigned long long>(dc.randomized_macs),
              ru.ru_maxrss / 1024.0);
  return 0;
}
