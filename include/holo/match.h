// File: holo/match.h
//
// Probabilistic record matching (Fellegi–Sunter, unsupervised). RunMatch reads
// one CSV (deduplication) or two CSVs (linkage), compares candidate pairs found
// by blocking, learns m/u probabilities (u from random pairs, m and the match
// prior by EM), scores the pairs, keeps those above a threshold and clusters
// them. The TOML config format is documented in src/match/README.md.
//
//   holo::MatchOptions opts;
//   opts.config_path = "examples/match/febrl.toml";
//   opts.out_dir = "/tmp/febrl1";
//   opts.inputs = {"febrl_dataset1.csv"};
//   holo::MatchReport report;
//   holo::Status s = holo::RunMatch(opts, &report);
//
// Writes out_dir/clusters.csv (`record_id,cluster_id`, every input record
// exactly once; for linkage ids are prefixed `1:`/`2:` by input) and
// out_dir/pairs.csv (`id_a,id_b,weight,probability` for accepted pairs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "holo/status.h"

namespace holo {

struct MatchOptions {
  // Path of the TOML config (see src/match/README.md). Required.
  std::string config_path;
  // Output directory; created if absent. Required.
  std::string out_dir;
  // One input = deduplication, two inputs = linkage of input 1 to input 2.
  std::vector<std::string> inputs;
  // Seed of the random-pair sample used to estimate u probabilities.
  uint64_t seed = 42;
};

struct MatchReport {
  uint64_t records = 0;
  uint64_t candidate_pairs = 0;
  uint64_t matched_pairs = 0;
  uint64_t clusters = 0;
  // The match weight (log2 likelihood ratio) at or above which pairs are accepted.
  double threshold_weight = 0;
  double seconds = 0;
  // Candidate pairs compared and scored per second.
  double pairs_per_second = 0;
  std::vector<std::string> warnings;
};

// Runs the matcher described by `options`; fills `report` (may be null).
// Returns kInvalidArgument for a bad config or inputs, kNotFound for a missing
// file, kUnavailable when an output cannot be written.
Status RunMatch(const MatchOptions& options, MatchReport* report);

}  // namespace holo
