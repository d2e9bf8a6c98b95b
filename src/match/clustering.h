// Turns accepted pairs into clusters.
//
// Union-find alone (single linkage) chains: one wrong pair joins two people,
// and on data with large clusters a handful of wrong pairs merges dozens of
// records. ClusterRecords therefore uses the accepted pairs only to find
// connected components, and inside each component runs average-linkage
// agglomerative clustering over *all* record pairs of the component (pairs that
// blocking never produced are scored on demand): two clusters merge, best
// first, while the mean posterior log2 odds over every pair across them is
// positive (a typical cross pair is more likely a match than not) and at least
// one pair across them is confident (min_link_log_odds).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "match/blocking.h"
#include "match/config.h"

namespace holo::match {

struct ScoredPair {
  RecordPair pair;
  double weight = 0;       // match weight under the pair's model
  double log_odds = 0;     // posterior log2 odds: weight + the model's prior
  double probability = 0;  // posterior
};

class UnionFind {
 public:
  explicit UnionFind(size_t n);
  uint32_t Find(uint32_t x);
  // Returns true when a and b were in different sets.
  bool Union(uint32_t a, uint32_t b);

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint8_t> rank_;
};

// Returns the pairs kept by a greedy 1:1 assignment: pairs in descending
// posterior order, each kept only if neither record is already assigned. With
// `sources` (N-source linkage) a record is assigned at most once *per other
// source*: it may keep one partner in each of the other sources.
std::vector<ScoredPair> OneToOne(std::vector<ScoredPair> pairs,
                                 const std::vector<uint8_t>* sources = nullptr);

// Returns a cluster id per record (union-find over `pairs`), numbered 0.. in
// order of first record.
std::vector<uint32_t> ClusterIds(size_t num_records, const std::vector<ScoredPair>& pairs);

// Returns the posterior log2 odds that records a and b match (any pair, not
// only candidates): match weight + log2(lambda / (1 - lambda)). Called from
// one thread.
using PairScorer = std::function<double(uint32_t a, uint32_t b)>;

struct ClusterOptions {
  Linkage linkage = Linkage::kAverage;
  // Two clusters merge only if at least one pair across them has posterior
  // log2 odds >= this (a confident direct link); -inf = no such condition.
  double min_link_log_odds = -1e300;
  // Components with more records are first cut into smaller ones by dropping
  // their weakest accepted pairs (see ClusterRecords), so average linkage never
  // scores more than max_component^2 / 2 pairs at once.
  size_t max_component = 400;
  // With sources (one per record, < 64 of them): a cluster never holds two
  // records of one source (duplicate-free sources, `one_to_one`). Average
  // linkage only merges clusters whose sources are disjoint. Not owned.
  const std::vector<uint8_t>* one_per_source = nullptr;
};

struct ClusterStats {
  uint64_t components_refined = 0;  // components of >= 3 records given to average linkage
  uint64_t pairs_scored = 0;        // pairs scored on demand (inside components)
  uint64_t components_cut = 0;      // components above max_component that were cut
  uint64_t largest_component = 0;   // records in the largest component before cutting
};

// Returns a cluster id per record, numbered 0.. in order of first record.
// `pairs` are the accepted pairs; `scorer` is used by kAverage only.
std::vector<uint32_t> ClusterRecords(size_t num_records, const std::vector<ScoredPair>& pairs,
                                     const PairScorer& scorer, const ClusterOptions& options,
                                     ClusterStats* stats = nullptr);

// Average-linkage agglomerative clustering of n items given the full matrix of
// pair similarities `sim` (row-major n x n, symmetric; the diagonal is
// ignored): repeatedly merges the two clusters with the highest mean cross-pair
// similarity while that mean is > 0. With `strength` (same layout), two
// clusters may only merge when some cross pair has strength >= min_strength.
// Returns a cluster label per item (0..k-1, in order of first item).
// With `source_masks` (one bit per item's source), clusters that share a
// source never merge.
std::vector<uint32_t> AverageLinkage(size_t n, const std::vector<float>& sim,
                                     const std::vector<float>* strength = nullptr,
                                     float min_strength = 0,
                                     const std::vector<uint64_t>* source_masks = nullptr);

}  // namespace holo::match
