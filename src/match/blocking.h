// Blocking: candidate pairs are the record pairs that share a key under at
// least one rule (rules are OR-ed, the keys of a rule AND-ed). Blocks with more
// than max_block_size records are skipped with a warning.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "holo/result.h"
#include "match/config.h"
#include "match/csv_reader.h"

namespace holo::match {

using RecordPair = std::pair<uint32_t, uint32_t>;  // indices into the record list, first < second

// Applies `transform` to a normalised value; may return several keys
// ("tokens") or none (empty value).
std::vector<std::string> TransformKey(const std::string& value, const std::string& transform);

// `tables[s]` is input s; records are numbered consecutively over the inputs.
// For one input all within-block pairs are candidates; for two, only pairs
// across the inputs.
// If `first_rule` is not null it receives, per returned pair, the index of
// the first rule that produced it.
Result<std::vector<RecordPair>> BuildCandidatePairs(const MatchConfig& config,
                                                    const std::vector<const CsvTable*>& tables,
                                                    std::vector<std::string>* warnings,
                                                    std::vector<uint8_t>* first_rule = nullptr);

}  // namespace holo::match
