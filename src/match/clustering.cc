#include "match/clustering.h"

#include <algorithm>
#include <numeric>

namespace holo::match {

UnionFind::UnionFind(size_t n) : parent_(n), rank_(n, 0) {
  std::iota(parent_.begin(), parent_.end(), 0u);
}

uint32_t UnionFind::Find(uint32_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

void UnionFind::Union(uint32_t a, uint32_t b) {
  a = Find(a);
  b = Find(b);
  if (a == b) return;
  if (rank_[a] < rank_[b]) std::swap(a, b);
  parent_[b] = a;
  if (rank_[a] == rank_[b]) ++rank_[a];
}

std::vector<ScoredPair> OneToOne(std::vector<ScoredPair> pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const ScoredPair& x, const ScoredPair& y) { return x.weight > y.weight; });
  std::vector<ScoredPair> kept;
  std::vector<char> used;
  for (const ScoredPair& p : pairs) {
    size_t need = std::max(p.pair.first, p.pair.second) + 1;
    if (used.size() < need) used.resize(need, 0);
    if (used[p.pair.first] || used[p.pair.second]) continue;
    used[p.pair.first] = used[p.pair.second] = 1;
    kept.push_back(p);
  }
  return kept;
}

std::vector<uint32_t> ClusterIds(size_t num_records, const std::vector<ScoredPair>& pairs) {
  UnionFind uf(num_records);
  for (const ScoredPair& p : pairs) uf.Union(p.pair.first, p.pair.second);
  std::vector<uint32_t> root_to_id(num_records, UINT32_MAX);
  std::vector<uint32_t> ids(num_records);
  uint32_t next = 0;
  for (uint32_t i = 0; i < num_records; ++i) {
    uint32_t r = uf.Find(i);
    if (root_to_id[r] == UINT32_MAX) root_to_id[r] = next++;
    ids[i] = root_to_id[r];
  }
  return ids;
}

}  // namespace holo::match
