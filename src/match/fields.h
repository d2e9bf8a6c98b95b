// Field preparation and comparison: each configured field of a record is
// normalised once (FieldValue), and a pair of records is compared field by
// field into an agreement level (0 = strongest agreement, NumLevels-1 =
// disagreement, kMissingLevel when either side is empty).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "match/comparators.h"
#include "match/config.h"

namespace holo::match {

inline constexpr int8_t kMissingLevel = -1;

struct FieldValue {
  bool missing = true;
  std::string norm;                 // normalised text (lower-case, spaces collapsed)
  std::u32string cps;               // code points of norm, for Jaro–Winkler
  std::string alt;                  // name: sorted tokens; email: local part;
                                    // phone/postcode: digits; address/text: joined tokens
  std::vector<std::string> tokens;  // address/text tokens
  Date date;
  bool date_ok = false;
  double number = 0;
  double tf = 0;                    // relative frequency of norm among non-missing values
};

struct Record {
  std::string id;  // output id (prefixed "1:"/"2:" for linkage)
  int source = 0;  // 0 for dedupe or input 1, 1 for input 2
  std::vector<FieldValue> values;
};

// A configured field resolved against the input columns.
struct FieldSpec {
  FieldConfig config;
  std::vector<int> column_indices;
  int swap_field = -1;  // index into the field list, names only
  int num_levels = 2;
  std::vector<std::string> level_names;
};

// Returns the level names (and so the level count) of `type`.
std::vector<std::string> LevelNames(FieldType type);

// Builds the FieldValue of `spec` from a row's raw cells.
FieldValue PrepareValue(const FieldSpec& spec, const std::vector<std::string>& row);

// Fills FieldValue::tf for the fields with term_frequency set.
void ComputeTermFrequencies(const std::vector<FieldSpec>& specs, std::vector<Record>* records);

// Returns the agreement level of field `f` between records a and b.
int8_t CompareField(const std::vector<FieldSpec>& specs, size_t f, const Record& a,
                    const Record& b);

}  // namespace holo::match
