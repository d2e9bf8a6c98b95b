// load_bench: times a full load of a store's identity graph (LoadFull) and the
// rules (Resolve, AssignOneIds) on it, and prints checksums of every output so
// that two builds can be compared for identical results. Read-only: nothing is
// written back (the store is opened, so no other process may hold it).
//
//   load_bench DATA_DIR [REPEAT]  ->  one JSON line per repetition
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "identity/graph_loader.h"
#include "identity/resolver.h"
#include "storage/store.h"

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Returns the CPU seconds (user + system) this process has used so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// FNV-1a over raw bytes; enough to tell two runs' outputs apart.
class Checksum {
 public:
  void Add(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 0x100000001b3ull;
  }
  template <typename T>
  void Add(const T& v) {
    Add(&v, sizeof(v));
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: load_bench DATA_DIR [REPEAT]\n");
    return 2;
  }
  const int repeat = argc == 3 ? std::atoi(argv[2]) : 1;
  holo::storage::StoreOptions options;
  options.create_if_missing = false;
  auto store = holo::storage::Store::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "load_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  for (int rep = 0; rep < repeat; ++rep) {
    using namespace holo::identity;  // NOLINT(google-build-using-namespace): a benchmark's main
    auto t0 = std::chrono::steady_clock::now();
    double cpu0 = CpuSeconds();
    LoadedGraph loaded;
    holo::Status s = LoadFull(**store, &loaded);
    double load_seconds = Since(t0);
    double load_cpu = CpuSeconds() - cpu0;
    if (!s.ok()) {
      std::fprintf(stderr, "load_bench: %s\n", s.ToString().c_str());
      return 1;
    }
    const Subgraph& g = loaded.builder.graph();
    Checksum graph_sum;
    for (const std::string& t : g.type_names) graph_sum.Add(t.data(), t.size() + 1);
    for (const GraphNode& n : g.nodes) {
      graph_sum.Add(n.key);
      graph_sum.Add(n.type_id);
      graph_sum.Add(n.first_ts);
      graph_sum.Add(n.boundary);
    }
    for (const GraphEdge& e : g.edges) {
      graph_sum.Add(e.a);
      graph_sum.Add(e.b);
      graph_sum.Add(e.kind);
      graph_sum.Add(e.count);
      graph_sum.Add(e.weight);
    }
    for (uint64_t id : loaded.old_ids) graph_sum.Add(id);
    // Find() must answer for every loaded node after a full load (as it does for the
    // dirty nodes of a full resolution, which come in key order).
    size_t find_misses = 0;
    auto t_find = std::chrono::steady_clock::now();
    for (uint32_t i = 0; i < g.nodes.size(); ++i) {
      find_misses += loaded.builder.Find(g.nodes[i].key) != i;
    }
    double find_seconds = Since(t_find);

    t0 = std::chrono::steady_clock::now();
    Resolution r = Resolve(g, MergePolicy());
    double resolve_seconds = Since(t0);
    t0 = std::chrono::steady_clock::now();
    uint64_t next_oneid = 1;
    for (uint64_t id : loaded.old_ids) next_oneid = std::max(next_oneid, id + 1);
    std::vector<uint64_t> ids = AssignOneIds(g, r, loaded.old_ids, &next_oneid);
    double assign_seconds = Since(t0);
    Checksum rules_sum;
    for (uint32_t c : r.component) rules_sum.Add(c);
    for (uint8_t sh : r.shared) rules_sum.Add(sh);
    for (const RefusedMerge& m : r.refused) {
      rules_sum.Add(m.edge);
      rules_sum.Add(m.reason);
    }
    for (uint64_t id : ids) rules_sum.Add(id);
    size_t changed = 0;
    for (size_t i = 0; i < ids.size(); ++i) changed += ids[i] != loaded.old_ids[i];

    std::printf(
        "{\"nodes\":%zu,\"edges\":%zu,\"types\":%zu,\"load_seconds\":%.3f,"
        "\"load_cpu_seconds\":%.3f,\"graph_sum\":\"%016llx\",\"find_all_seconds\":%.3f,"
        "\"find_misses\":%zu,\"components\":%u,\"refused\":%zu,\"resolve_seconds\":%.3f,"
        "\"assign_seconds\":%.3f,\"changed_ids\":%zu,\"rules_sum\":\"%016llx\"}\n",
        g.nodes.size(), g.edges.size(), g.type_names.size(), load_seconds, load_cpu,
        static_cast<unsigned long long>(graph_sum.value()), find_seconds, find_misses,
        r.num_components, r.refused.size(), resolve_seconds, assign_seconds, changed,
        static_cast<unsigned long long>(rules_sum.value()));
    std::fflush(stdout);
  }
  return 0;
}
