#include "server/metrics.h"

#include <cstdio>

namespace holo::server {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

Metrics::Route* Metrics::AddRoute(const std::string& route) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& r = routes_[route];
  if (!r) r = std::make_unique<Route>(route);
  return r.get();
}

void Metrics::ObserveRequest(Route* r, int status, double seconds) {
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  r->counts_[b].fetch_add(1, std::memory_order_relaxed);
  r->sum_ns_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  r->total_.fetch_add(1, std::memory_order_relaxed);
  if (status >= 100 && status < 600) r->by_status_[status - 100].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::AddEvents(const std::string& source, uint64_t accepted, uint64_t rejected) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& e = events_[source];
  e.first += accepted;
  e.second += rejected;
}

std::map<std::string, std::pair<uint64_t, uint64_t>> Metrics::EventsBySource() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::string Metrics::Render(const std::vector<std::pair<std::string, double>>& gauges) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP holo_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE holo_http_requests_total counter\n";
  for (const auto& [name, r] : routes_) {
    for (size_t i = 0; i < r->by_status_.size(); ++i) {
      uint64_t n = r->by_status_[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "holo_http_requests_total{route=\"" + Escape(name) + "\",code=\"" + std::to_string(i + 100) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  out += "# HELP holo_http_request_seconds HTTP request latency by route.\n";
  out += "# TYPE holo_http_request_seconds histogram\n";
  for (const auto& [route, h] : routes_) {
    if (h->total_.load() == 0) continue;
    uint64_t cumulative = 0;
    std::string label = "route=\"" + Escape(route) + "\"";
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += h->counts_[b].load(std::memory_order_relaxed);
      std::string le = b < kBuckets.size() ? Number(kBuckets[b]) : "+Inf";
      out += "holo_http_request_seconds_bucket{" + label + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "holo_http_request_seconds_sum{" + label + "} " + Number(h->sum_ns_.load() / 1e9) + "\n";
    out += "holo_http_request_seconds_count{" + label + "} " + std::to_string(h->total_.load()) + "\n";
  }
  out += "# HELP holo_events_ingested_total Events accepted (stored or duplicate) by source.\n";
  out += "# TYPE holo_events_ingested_total counter\n";
  for (const auto& [source, e] : events_) {
    out += "holo_events_ingested_total{source=\"" + Escape(source) + "\"} " + std::to_string(e.first) + "\n";
  }
  out += "# HELP holo_events_rejected_total Events rejected (dead-lettered) by source.\n";
  out += "# TYPE holo_events_rejected_total counter\n";
  for (const auto& [source, e] : events_) {
    out += "holo_events_rejected_total{source=\"" + Escape(source) + "\"} " + std::to_string(e.second) + "\n";
  }
  out += "# TYPE holo_resolve_runs_total counter\n";
  out += "holo_resolve_runs_total " + std::to_string(resolve_runs_.load()) + "\n";
  for (const auto& [name, value] : gauges) {
    out += "# TYPE " + name + " gauge\n" + name + " " + Number(value) + "\n";
  }
  return out;
}

}  // namespace holo::server
