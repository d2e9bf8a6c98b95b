// cc_bench: Holo's identity resolution on an exported graph (holo export graph),
// timed without the file loading, for side-by-side runs with networkx/igraph
// (bench/cc_peers.py) on the same edge list.
//
//   cc_bench NODES.tsv EDGES.tsv   ->  one JSON line
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <unordered_map>

#include "identity/resolver.h"

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: cc_bench NODES.tsv EDGES.tsv\n");
    return 2;
  }
  using holo::identity::Subgraph;
  Subgraph g;
  std::unordered_map<std::string, uint16_t> types;
  std::ifstream nodes(argv[1]), edges(argv[2]);
  if (!nodes || !edges) {
    std::fprintf(stderr, "cc_bench: cannot open %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  std::string line;
  while (std::getline(nodes, line)) {
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    std::string type = line.substr(t1 + 1, t2 - t1 - 1);
    auto [it, fresh] = types.emplace(type, static_cast<uint16_t>(g.type_names.size()));
    if (fresh) g.type_names.push_back(type);
    holo::identity::GraphNode n;
    uint64_t i = g.nodes.size();
    for (int k = 0; k < 8; ++k) n.key[k] = static_cast<uint8_t>(i >> (56 - 8 * k));  // order = index
    n.type_id = it->second;
    g.nodes.push_back(n);
  }
  while (std::getline(edges, line)) {
    holo::identity::GraphEdge e;
    unsigned kind = 1;
    unsigned long long count = 1;
    if (std::sscanf(line.c_str(), "%u\t%u\t%u\t%llu", &e.a, &e.b, &kind, &count) != 4) continue;
    e.kind = static_cast<holo::identity::EdgeKind>(kind);
    e.count = count;
    g.edges.push_back(e);
  }

  // 1. Plain connected components (union-find with path halving), the peers' task.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<uint32_t> parent(g.nodes.size());
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const auto& e : g.edges) {
    uint32_t a = find(e.a), b = find(e.b);
    if (a != b) parent[a < b ? b : a] = a < b ? a : b;
  }
  uint64_t cc = 0;
  for (uint32_t i = 0; i < parent.size(); ++i) cc += find(i) == i;
  double cc_seconds = Since(t0);

  // 2. Holo's resolution: the same graph under the identity rules (shared
  //    identifiers, per-person limits, ordered constrained union).
  t0 = std::chrono::steady_clock::now();
  holo::identity::Resolution r = holo::identity::Resolve(g, holo::identity::MergePolicy());
  double resolve_seconds = Since(t0);

  std::printf("{\"nodes\":%zu,\"edges\":%zu,\"components\":%llu,\"cc_seconds\":%.4f,"
              "\"oneids\":%u,\"resolve_seconds\":%.4f}\n",
              g.nodes.size(), g.edges.size(), (unsigned long long)cc, cc_seconds, r.num_components,
              resolve_seconds);
  return 0;
}
