// File: holo/match.h
//
// Probabilistic record matching (Fellegi–Sunter, unsupervised). RunMatch reads
// one CSV (deduplication) or several, one per source (linkage; or one CSV whose
// config names a `source_column`), compares candidate pairs found by blocking,
// learns m/u probabilities (EM over the candidates, checked by guards that fall
// back to m trained per blocking rule with its fields held out and u from
// random pairs when EM finds "same place" instead of "same person"), scores
// the pairs, keeps those above a threshold and clusters them (average linkage
// inside the components of the accepted pairs, so one wrong pair does not
// chain two people together; at most one record per source in a cluster when
// the config says sources are duplicate-free). The TOML config format is
// documented in src/match/README.md.
//
//   holo::MatchOptions opts;
//   opts.config_path = "examples/match/febrl.toml";
//   opts.out_dir = "/tmp/febrl1";
//   opts.inputs = {"febrl_dataset1.csv"};
//   holo::MatchReport report;
//   holo::Status s = holo::RunMatch(opts, &report);
//
// Writes out_dir/clusters.csv (`record_id,cluster_id`, every input record
// exactly once; for linkage ids are prefixed `1:` ... `N:` by input, or
// `<source>:` by the source column) and
// out_dir/pairs.csv (`id_a,id_b,weight,probability` for accepted pairs whose
// records ended in the same cluster), out_dir/model.txt (what the model
// learned) and out_dir/report.json (the MatchReport).
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
  // One input = deduplication (or linkage by the config's source_column);
  // several inputs = linkage of sources 1..N (at most 255).
  std::vector<std::string> inputs;
  // Instead of `inputs`: one table in memory to deduplicate (its first row is the header),
  // for records that must not be written out in clear (the PII vault). Not owned.
  const std::vector<std::vector<std::string>>* rows = nullptr;
  // Seed of the random-pair sample used to estimate u probabilities.
  uint64_t seed = 42;
  // Threads comparing pairs; 0 = the hardware's (at most 8). Results do not
  // depend on it.
  int threads = 0;
};

struct MatchReport {
  uint64_t records = 0;
  uint64_t candidate_pairs = 0;
  uint64_t matched_pairs = 0;
  uint64_t clusters = 0;
  // Distinct comparison patterns among the candidates (what EM iterates over).
  uint64_t patterns = 0;
  // Records in the largest connected component of accepted pairs, and record
  // pairs scored inside components by the clustering step.
  uint64_t largest_component = 0;
  uint64_t cluster_pairs_scored = 0;
  // The threshold pairs had to reach: with the automatic rule the posterior
  // log2 odds of the last accepted pair, with a fixed `threshold` that weight.
  double threshold_weight = 0;
  // Wall-clock seconds: total, and reading + preparing the inputs, u from
  // random pairs, blocking + comparing, EM + scoring, clustering.
  double seconds = 0;
  double read_seconds = 0;
  double u_seconds = 0;
  double compare_seconds = 0;
  double em_seconds = 0;
  double cluster_seconds = 0;
  // Candidate pairs enumerated and compared per second (compare_seconds).
  double pairs_per_second = 0;
  // Peak resident set size of the process so far (Linux VmHWM), 0 if unknown.
  uint64_t peak_rss_bytes = 0;
  // Sources linked (inputs, or values of the config's source_column); 1 for
  // deduplication.
  uint64_t sources = 1;
  // How the model was estimated: "held-out" (the default), "pooled" or
  // "fallback" (the safe estimate after a guard fired); the guards' findings
  // in plain words (also in `warnings`); lambda (per comparable pair, or per
  // candidate pair for "pooled") and the matching pairs it implies.
  std::string estimator;
  bool fallback = false;
  std::vector<std::string> guards;
  double lambda = 0;
  double expected_matches = 0;
  // The learned model in plain words (`holo match --explain-model`).
  std::string model_explanation;
  std::vector<std::string> warnings;
};

// Runs the matcher described by `options`; fills `report` (may be null).
// Returns kInvalidArgument for a bad config or inputs, kNotFound for a missing
// file, kUnavailable when an output cannot be written.
Status RunMatch(const MatchOptions& options, MatchReport* report);

}  // namespace holo
