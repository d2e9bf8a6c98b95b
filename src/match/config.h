// The matcher's configuration, parsed from TOML (format in README.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "holo/result.h"

namespace holo::match {

enum class FieldType {
  kName,
  kString,
  kDate,
  kPhone,
  kPostcode,
  kAddress,
  kText,
  kNumeric,
  kExact,
  kEmail
};

// How accepted pairs become clusters (see clustering.h).
enum class Linkage {
  kSingle,   // connected components of the accepted pairs (union-find)
  kAverage,  // average linkage inside each component
};

struct FieldConfig {
  std::string name;                  // defaults to the (first) column name
  std::vector<std::string> columns;  // one column, or several joined (dates: year, month, day)
  FieldType type = FieldType::kString;
  std::string format;           // dates only; default "%Y-%m-%d"
  std::string swap_with;        // names only: field whose value may be swapped with this one
  bool term_frequency = false;  // TF-adjust exact agreement (default on for name/string)
};

struct BlockingKey {
  std::string column;
  // "", "soundex", "year", "digits", "number" (first digit run), "prefixN" (code points),
  // "suffixN" (last N digits), "tokens" (one key per word of >= 4 chars).
  std::string transform;
};

struct MatchConfig {
  std::string id_column;
  std::vector<FieldConfig> fields;
  std::vector<std::vector<BlockingKey>> blocking;  // rules OR-ed; keys AND-ed; [] = all pairs
  std::optional<double> threshold;                 // fixed match-weight threshold
  bool one_to_one = false;  // linkage: sources are duplicate-free (one record per source per cluster)
  std::vector<std::string> encodings;  // per input ("utf8"/"latin1"); one applies to all
  uint64_t max_block_size = 2000;  // larger blocks: sorted neighbourhood (or skipped)
  // Oversized blocks (above max_block_size, or above the size the pair budget
  // allows) are compared by sorted neighbourhood: each record with the next
  // `window` records in two orders (by the first two name fields, both ways).
  // 0 = skip them. Multi-key rules ("tokens") always skip.
  uint64_t window = 6;
  // Full blocks may produce at most this many candidate pairs per record (all
  // rules together); larger blocks go to sorted neighbourhood until they fit.
  // 0 = no budget.
  uint64_t max_pairs_per_record = 30;
  uint64_t u_sample_pairs = 1000000;
  int em_max_iterations = 200;
  bool em_estimate_u = true;    // re-estimate u among candidates
  double min_precision = 0.95;  // estimated precision of accepted pairs
  double min_posterior = 0.5;
  Linkage linkage = Linkage::kAverage;  // "average" or "single"
  uint64_t max_component = 400;         // see ClusterOptions (clustering.h)
  bool write_candidates = false;        // also write candidates.csv (every scored pair)
  bool rule_models = false;             // u and lambda per blocking rule (not "held-out")
  // "auto" (default): EM over all candidates, checked by the guards; when
  // they find it degenerate, the held-out estimate (m per blocking rule with
  // its fields held out, u from random pairs), and when that is degenerate
  // too, the safe estimate. "held-out": start from the held-out estimate.
  // "pooled": EM over all candidates, guards reported but never acted on.
  // See README "The model".
  std::string estimator = "auto";
  // Column naming each record's source; records of one source are never
  // compared with each other (as with several inputs). "" = none.
  std::string source_column;
};

// Parses TOML text / a TOML file into a MatchConfig; kInvalidArgument on errors.
Result<MatchConfig> ParseMatchConfig(const std::string& toml_text, const std::string& source);
Result<MatchConfig> LoadMatchConfig(const std::string& path);

const char* FieldTypeName(FieldType type);

}  // namespace holo::match
