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

Metrics::Histogram* Metrics::HistogramFor(const std::string& route) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& h = latency_[route];
  if (!h) h = std::make_unique<Histogram>();
  return h.get();
}

void Metrics::ObserveRequest(const std::string& route, int status, double seconds) {
  Histogram* h = HistogramFor(route);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  h->counts[b].fetch_add(1, std::memory_order_relaxed);
  h->sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  h->total.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::AddEvents(const std::string& source, uint64_t accepted, uint64_t rejected) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& e = events_[source];
  e.first += accepted;
  e.second += rejected;
}

std::string Metrics::Render(const std::vector<std::pair<std::string, double>>& gauges) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP holo_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE holo_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "holo_http_requests_total{route=\"" + Escape(key.first) + "\",code=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP holo_http_request_seconds HTTP request latency by route.\n";
  out += "# TYPE holo_http_request_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    uint64_t cumulative = 0;
    std::string label = "route=\"" + Escape(route) + "\"";
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += h->counts[b].load(std::memory_order_relaxed);
      std::string le = b < kBuckets.size() ? Number(kBuckets[b]) : "+Inf";
      out += "holo_http_request_seconds_bucket{" + label + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "holo_http_request_seconds_sum{" + label + "} " + Number(h->sum_ns.load() / 1e9) + "\n";
    out += "holo_http_request_seconds_count{" + label + "} " + std::to_string(h->total.load()) + "\n";
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
