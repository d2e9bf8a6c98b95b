// The Fellegi–Sunter model: per field and agreement level, m = P(level | match)
// and u = P(level | non-match); lambda = P(match) among candidate pairs.
// u is estimated from random record pairs, m and lambda by EM over the
// comparison vectors of the candidate pairs (u held fixed).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "match/blocking.h"
#include "match/fields.h"

namespace holo::match {

struct FsModel {
  std::vector<std::vector<double>> m;  // [field][level]
  std::vector<std::vector<double>> u;
  std::vector<std::vector<double>> random_u;  // u from random pairs (kept for TF adjustment)
  double lambda = 0.1;
  int em_iterations = 0;
  bool converged = false;
};

// Comparison vectors, `num_fields` levels per pair, flattened.
struct ComparisonMatrix {
  size_t num_fields = 0;
  std::vector<int8_t> levels;
  size_t size() const { return num_fields == 0 ? 0 : levels.size() / num_fields; }
  const int8_t* row(size_t i) const { return levels.data() + i * num_fields; }
};

ComparisonMatrix CompareAll(const std::vector<FieldSpec>& specs, const std::vector<Record>& records,
                            const std::vector<RecordPair>& pairs);

// Sets model->u from `max_pairs` random pairs (all pairs when there are fewer);
// `num_first` is the size of input 1 for linkage, 0 for dedupe.
void EstimateU(const std::vector<FieldSpec>& specs, const std::vector<Record>& records,
               size_t num_first, uint64_t max_pairs, uint64_t seed, FsModel* model);

// Initialises m and runs EM for m and lambda over `cmp`. With `estimate_u`, u
// is re-estimated too (among candidate pairs non-matches are not random pairs:
// blocking makes them agree more), starting from and shrunk towards the
// random-pair u; otherwise u stays fixed.
void RunEm(const std::vector<FieldSpec>& specs, const ComparisonMatrix& cmp, int max_iterations,
           bool estimate_u, FsModel* model);

// Returns the match weight log2(P(γ|M)/P(γ|U)) of a pair, with term-frequency
// adjustment on exact agreement of fields that ask for it.
double MatchWeight(const std::vector<FieldSpec>& specs, const FsModel& model, const int8_t* levels,
                   const Record& a);

// Returns the posterior match probability of a pair with weight `w`.
double Posterior(const FsModel& model, double w);

}  // namespace holo::match
