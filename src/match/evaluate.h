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
// `cross_source_only` only pairs whose ids have different source prefixes
// (the text before the first ':') count.
PairScore ScoreClustering(const Clustering& predicted, const Clustering& truth,
                          bool cross_source_only);

struct BenchmarkResult {
  std::string name;
  MatchReport report;
  PairScore score;
  // With an evidence-support definition (ColumnTruthBenchmark::identifying):
  // the recall over the true pairs that the records' own evidence supports.
  bool has_supported = false;
  uint64_t supported_pairs = 0;
  uint64_t true_pairs = 0;
  double supported_recall = 0;
};

// A data set scored against a truth column of its own (single) CSV input.
struct ColumnTruthBenchmark {
  std::string name;
  std::string config_path;
  std::string input;
  std::string id_column;
  std::string truth_column;
  // Optional evidence support. Each entry is one identifying value made of
  // one or more columns: "text" values are lower-cased words (address
  // abbreviations expanded), several columns taken in either order (a name in
  // first/last or last/first order); "digits" values are the last 10 digits.
  // Two records of one truth entity support each other when they share at
  // least `min_shared` identifying values (equal and non-empty); a true pair is
  // *supported* when a chain of such records joins them.
  struct Identifying {
    std::vector<std::string> columns;
    enum class Kind { kText, kDigits } kind = Kind::kText;
  };
  std::vector<Identifying> identifying;
  int min_shared = 2;
};

// Runs the benchmark's config on its input into `out_dir` and scores it.
// Only this function reads truth_column; RunMatch never sees which it is.
Result<BenchmarkResult> RunColumnTruthBenchmark(const ColumnTruthBenchmark& benchmark,
                                                const std::string& out_dir);

// Returns per record id its support label (truth label + component of the
// support graph), read from benchmark.input.
Result<Clustering> SupportLabels(const ColumnTruthBenchmark& benchmark);

// Links `inputs` (one source each; ids become "k:id") with `config_path` into
// `out_dir` and scores cross-source pairs against `truth_column` (the same
// value in any input = the same entity). Only this function reads it.
Result<BenchmarkResult> RunMultiSourceBenchmark(const std::string& name,
                                                const std::string& config_path,
                                                const std::vector<std::string>& inputs,
                                                const std::string& id_column,
                                                const std::string& truth_column,
                                                const std::string& out_dir);

// Names of the built-in benchmark datasets: febrl1, febrl2, febrl3, febrl4,
// rldata500, fake_1000, chicago, dblp_acm.
std::vector<std::string> BenchmarkNames();

// Returns true when the dataset's files exist under `shared_dir`.
bool BenchmarkAvailable(const std::string& name, const std::string& shared_dir);

// Runs the dataset's example config from `examples_dir` into `out_dir` and scores it.
Result<BenchmarkResult> RunBenchmark(const std::string& name, const std::string& shared_dir,
                                     const std::string& examples_dir, const std::string& out_dir);

}  // namespace holo::match
