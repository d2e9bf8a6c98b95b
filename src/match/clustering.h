// Turns accepted pairs into clusters: union-find (deduplication), optionally
// after a greedy 1:1 assignment by descending weight (linkage).
#pragma once

#include <cstdint>
#include <vector>

#include "match/blocking.h"

namespace holo::match {

struct ScoredPair {
  RecordPair pair;
  double weight = 0;
  double probability = 0;
};

class UnionFind {
 public:
  explicit UnionFind(size_t n);
  uint32_t Find(uint32_t x);
  void Union(uint32_t a, uint32_t b);

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint32_t> rank_;
};

// Returns the pairs kept by a greedy 1:1 assignment: pairs in descending
// weight order, each kept only if neither record is already assigned.
std::vector<ScoredPair> OneToOne(std::vector<ScoredPair> pairs);

// Returns a cluster id per record, numbered 0.. in order of first record.
std::vector<uint32_t> ClusterIds(size_t num_records, const std::vector<ScoredPair>& pairs);

}  // namespace holo::match
