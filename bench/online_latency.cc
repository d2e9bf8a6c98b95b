// online_latency: what one new event costs on a large store when identities are
// resolved online — ingest it, re-resolve the part of the graph it touches and
// rebuild the touched profiles — through the public API only (include/holo).
//
//   online_latency DATA_DIR WORLD_DIR [N=500] [SEED=1]   ->  one JSON line
//
// Existing people come from WORLD_DIR/truth.csv (the world DATA_DIR was ingested
// from): taobao accounts and, where the person has one, their taobao device. The
// benchmark then ingests N single-event files one at a time (Engine::Ingest with
// resolve on and full_threshold 1.0, so resolution is always incremental), cycling
// through three kinds of event:
//   login     an identify: an existing account on a new device, with a new anonymous id
//   visitor   a page view by a new anonymous web visitor
//   purchase  an Order Completed by an existing account on its own device
// and reports p50/p95/p99/max of the whole Ingest call (durable write included) and
// of its resolve_seconds and profile_seconds, overall and per kind. The events stay
// in the store (messageIds are unique per run).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "holo/engine.h"

namespace {

struct Person {
  std::string user_id;  // user_id@taobao value
  std::string device;   // a device_id seen by taobao; may be empty
};

// Returns persons with a taobao account, about one in `every`, from truth.csv
// (source,identifier_type,identifier_value,person_id; a person's rows are adjacent).
std::vector<Person> SamplePersons(const std::string& truth_csv, uint64_t every, uint64_t seed) {
  std::vector<Person> out;
  std::ifstream in(truth_csv);
  std::string line;
  std::string current;
  Person p;
  bool take = false;
  auto flush = [&] {
    if (take && !p.user_id.empty()) out.push_back(p);
    p = Person();
  };
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), c3 = line.find(',', c2 + 1);
    if (c3 == std::string::npos) continue;
    std::string_view source(line.data(), c1);
    std::string_view type(line.data() + c1 + 1, c2 - c1 - 1);
    std::string_view value(line.data() + c2 + 1, c3 - c2 - 1);
    std::string_view person(line.data() + c3 + 1, line.size() - c3 - 1);
    if (person != current) {
      flush();
      current.assign(person);
      // Real persons only (shared tablets and kiosks have pseudo-persons of their own).
      take = current.starts_with("p") &&
             std::hash<std::string>()(current + std::to_string(seed)) % every == 0;
    }
    if (!take || source != "taobao") continue;
    if (type == "user_id@taobao" && p.user_id.empty()) p.user_id.assign(value);
    if (type == "device_id" && p.device.empty()) p.device.assign(value);
  }
  flush();
  return out;
}

std::string Uuid(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s.push_back('-');
    s.push_back(kHex[rng() & 15]);
  }
  return s;
}

// ISO-8601 for `ms` since the epoch (UTC).
std::string Iso(int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

struct Sample {
  int kind = 0;
  double call = 0;
  double resolve = 0;
  double profile = 0;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<size_t>(k, 1, v.size()) - 1];
}

std::string Stats(const std::vector<Sample>& samples, int kind, double Sample::*field) {
  std::vector<double> v;
  for (const Sample& s : samples) {
    if (kind < 0 || s.kind == kind) v.push_back(s.*field * 1000);
  }
  char buf[160];
  std::snprintf(buf, sizeof(buf),
                "{\"n\":%zu,\"p50_ms\":%.2f,\"p95_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}",
                v.size(), Percentile(v, 0.50), Percentile(v, 0.95), Percentile(v, 0.99),
                Percentile(v, 1.0));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: online_latency DATA_DIR WORLD_DIR [N=500] [SEED=1]\n");
    return 2;
  }
  const std::string data_dir = argv[1];
  const std::string world = argv[2];
  const int n = argc > 3 ? std::atoi(argv[3]) : 500;
  const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;

  std::vector<Person> persons = SamplePersons(world + "/truth.csv", 200, seed);
  if (persons.empty()) {
    std::fprintf(stderr, "online_latency: no taobao accounts in %s/truth.csv\n", world.c_str());
    return 1;
  }
  std::vector<Person> with_device;
  for (const Person& p : persons) {
    if (!p.device.empty()) with_device.push_back(p);
  }
  if (with_device.empty()) with_device = persons;
  std::fprintf(stderr, "online_latency: %zu sampled accounts (%zu with a taobao device)\n",
               persons.size(), with_device.size());

  holo::Options options;
  options.data_dir = data_dir;
  options.create_if_missing = false;
  auto opened = holo::Engine::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "online_latency: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  holo::Engine& engine = **opened;

  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("holo-online-" + std::to_string(getpid()));
  std::filesystem::create_directories(work);
  std::mt19937_64 rng(seed);
  const std::string run = Uuid(rng).substr(0, 8);  // keeps messageIds unique across runs
  const int64_t start_ms = 1793577600000;  // 2026-11-02T00:00:00Z, after the world's last day
  holo::IngestOptions ingest;
  ingest.resolve = true;
  ingest.full_threshold = 1.0;

  std::vector<Sample> samples;
  int full_graph = 0;
  for (int i = 0; i < n; ++i) {
    const int kind = i % 3;
    const std::string id = "bench-" + run + "-" + std::to_string(i);
    const std::string ts = Iso(start_ms + int64_t{i} * 7919);
    std::string source;
    std::string msg;
    if (kind == 0) {  // login on a new phone
      const Person& p = persons[rng() % persons.size()];
      source = "taobao";
      msg = R"({"messageId":")" + id + R"(","type":"identify","userId":")" + p.user_id +
            R"(","anonymousId":")" + Uuid(rng) + R"(","timestamp":")" + ts +
            R"(","context":{"device":{"id":")" + Uuid(rng) + R"(","type":"phone"}}})";
    } else if (kind == 1) {  // new anonymous visitor
      source = "web";
      msg = R"({"messageId":")" + id + R"(","type":"page","anonymousId":")" + Uuid(rng) +
            R"(","timestamp":")" + ts +
            R"(","name":"Home","properties":{"path":"/"},"context":{"device":{"type":"pc"}}})";
    } else {  // purchase by an existing user on their device
      const Person& p = with_device[rng() % with_device.size()];
      source = "taobao";
      std::string device =
          p.device.empty() ? "" : R"(,"context":{"device":{"id":")" + p.device + R"("}})";
      msg =
          R"({"messageId":")" + id + R"(","type":"track","event":"Order Completed","userId":")" +
          p.user_id + R"(","timestamp":")" + ts + R"(","properties":{"order_id":"OB)" +
          std::to_string(rng() % 1000000000) +
          R"(","revenue":59.9,"currency":"CNY","products":[{"product_id":"tb30043","brand":"Three Squirrels",)" +
          R"("category":"food","price":59.9,"quantity":1}]})" + device + "}";
    }
    const std::string path = (work / (source + ".jsonl")).string();
    {
      std::ofstream f(path, std::ios::trunc);
      f << msg << "\n";
    }
    holo::IngestReport report;
    auto t0 = std::chrono::steady_clock::now();
    holo::Status s = engine.Ingest({path}, ingest, &report);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok() || report.stored != 1) {
      std::fprintf(stderr, "online_latency: event %d: %s (stored %llu, rejected %llu)\n", i,
                   s.ToString().c_str(), static_cast<unsigned long long>(report.stored),
                   static_cast<unsigned long long>(report.rejected));
      return 1;
    }
    full_graph += report.resolve.full_graph;
    samples.push_back({kind, secs, report.resolve.resolve_seconds, report.resolve.profile_seconds});
  }
  std::filesystem::remove_all(work);

  static constexpr const char* kKinds[] = {"login", "visitor", "purchase"};
  std::string out = "{\"events\":" + std::to_string(samples.size()) +
                    ",\"full_graph\":" + std::to_string(full_graph) +
                    ",\"ingest_and_resolve\":" + Stats(samples, -1, &Sample::call) +
                    ",\"resolve\":" + Stats(samples, -1, &Sample::resolve) +
                    ",\"profiles\":" + Stats(samples, -1, &Sample::profile);
  for (int k = 0; k < 3; ++k) {
    out += std::string(",\"") + kKinds[k] +
           "\":{\"ingest_and_resolve\":" + Stats(samples, k, &Sample::call) +
           ",\"resolve\":" + Stats(samples, k, &Sample::resolve) + "}";
  }
  std::printf("%s}\n", out.c_str());
  return 0;
}
