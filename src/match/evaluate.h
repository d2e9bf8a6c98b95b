// Scoring a matcher's clusters against ground truth: pairwise precision,
// recall and F1, plus B-cubed. Also the registry of the shared ER benchmark
// datasets (truth derivation lives here, never in the match configs).
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "holo/match.h"
#include "holo/result.h"

namespace holo::match {

struct PairScore {
  uint64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision = 0, recall = 0, f1 = 0;
  double bcubed_precision = 0, bcubed_recall = 0, bcubed_f1 = 0;
};

using Clustering = std::unordered_map<std::string, std::string>;  // record id -> cluster/label

// Reads DIR/clusters.csv as written by RunMatch.
Result<Clustering> ReadClusters(const std::string& path);

// Scores `predicted` against `truth` over the records in `predicted`. With
// `cross_source_only` only pairs whose ids have different "1:"/"2:" prefixes count.
PairScore ScoreClustering(const Clustering& predicted, const Clustering& truth,
                          bool cross_source_only);

struct BenchmarkResult {
  std::string name;
  MatchReport report;
  PairScore score;
};

// Names of the built-in benchmark datasets: febrl1, febrl2, febrl3, febrl4,
// rldata500, fake_1000, chicago, dblp_acm.
std::vector<std::string> BenchmarkNames();

// Returns true when the dataset's files exist under `shared_dir`.
bool BenchmarkAvailable(const std::string& name, const std::string& shared_dir);

// Runs the dataset's example config from `examples_dir` into `out_dir` and scores it.
Result<BenchmarkResult> RunBenchmark(const std::string& name, const std::string& shared_dir,
                                     const std::string& examples_dir, const std::string& out_dir);

}  // namespace holo::match
