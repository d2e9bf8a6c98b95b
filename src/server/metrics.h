// Metrics: counters and latency histograms for the HTTP server, rendered in
// the Prometheus text exposition format (version 0.0.4).
//
//   Metrics m;
//   m.ObserveRequest("/api/profiles/{id}/traits", 200, 0.0004);
//   m.AddEvents("web", 100, 2);
//   std::string text = m.Render({{"holo_ingest_queue_depth", 3}});
//
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace holo::server {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   5.0};

  // The per-route series; create one per route up front (lock-free to update).
  class Route;
  Route* AddRoute(const std::string& route);
  // One finished request on `route`.
  static void ObserveRequest(Route* route, int status, double seconds);
  // Events of `source` stored (new or duplicate) and rejected.
  void AddEvents(const std::string& source, uint64_t accepted, uint64_t rejected);
  // Source -> (accepted, rejected) since the server started.
  std::map<std::string, std::pair<uint64_t, uint64_t>> EventsBySource() const;
  void AddResolveRun() { resolve_runs_.fetch_add(1, std::memory_order_relaxed); }

  // The exposition text; `gauges` are appended as untyped gauges (name -> value).
  std::string Render(const std::vector<std::pair<std::string, double>>& gauges) const;

  class Route {
   public:
    explicit Route(std::string name) : name_(std::move(name)) {}

   private:
    friend class Metrics;
    std::string name_;
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts_{};
    std::atomic<uint64_t> sum_ns_{0};
    std::atomic<uint64_t> total_{0};
    std::array<std::atomic<uint64_t>, 500> by_status_{};  // status 100..599
  };

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Route>> routes_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> events_;  // source -> (accepted, rejected)
  std::atomic<uint64_t> resolve_runs_{0};
};

}  // namespace holo::server
