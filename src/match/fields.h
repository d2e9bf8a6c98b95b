// Field preparation and comparison: each configured field of a record is
// normalised once into a column store (RecordStore, one FieldColumn per field,
// strings in one arena per field), and a pair of records is compared field by
// field into an agreement level (0 = strongest agreement, NumLevels-1 =
// disagreement, kMissingLevel when either side is empty). Comparing does not
// allocate for values of ordinary length.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "match/comparators.h"
#include "match/config.h"

namespace holo::match {

inline constexpr int8_t kMissingLevel = -1;
// Levels are packed in 4 bits per field, the blocking rule in the top 8 bits
// (see fellegi_sunter.h), so a type may have at most 15 levels and a config at
// most 14 fields.
inline constexpr size_t kMaxFields = 14;

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

// One value before it is stored: what PrepareValue derives from raw cells.
struct PreparedValue {
  bool missing = true;
  std::string norm;  // name/string/exact/email: lower-cased text; address/text: tokens
                     // joined without separator; others: lower-cased text
  std::string alt;   // name: sorted tokens; email: local part; phone/postcode: digits;
                     // text: sorted token set; address: house number and street
                     // parts (fields.cc)
  Date date;
  bool date_ok = false;
  double number = 0;
};

// Builds the PreparedValue of `spec` from a row's raw cells.
PreparedValue PrepareValue(const FieldSpec& spec, const std::vector<std::string>& row);

// The prepared values of one field for every record: 20 bytes per value plus
// its text in an arena.
class FieldColumn {
 public:
  // Packed date: year * 10000 + month * 100 + day (components clamped to
  // 0..9999 and 0..99, so corrupted dates stay comparable); kNoDate when the
  // value did not parse.
  static constexpr int32_t kNoDate = INT32_MIN;

  struct Cell {
    uint32_t norm_off = 0;
    uint32_t alt_off = 0;
    uint16_t norm_len = 0;  // 0: missing
    uint16_t alt_len = 0;
    float tf = 0;  // relative frequency of norm among non-missing values
    int32_t date = kNoDate;
  };

  void Append(const PreparedValue& v);
  size_t size() const { return cells_.size(); }
  const Cell& cell(uint32_t r) const { return cells_[r]; }
  Cell& mutable_cell(uint32_t r) { return cells_[r]; }
  bool missing(uint32_t r) const { return cells_[r].norm_len == 0; }
  std::string_view norm(uint32_t r) const { return Text(cells_[r].norm_off, cells_[r].norm_len); }
  std::string_view alt(uint32_t r) const { return Text(cells_[r].alt_off, cells_[r].alt_len); }
  bool date_ok(uint32_t r) const { return cells_[r].date != kNoDate; }
  Date date(uint32_t r) const {
    const int32_t d = cells_[r].date;
    return Date{d / 10000, d / 100 % 100, d % 100};
  }
  size_t MemoryBytes() const {
    return blocks_.size() * kBlockBytes + cells_.capacity() * sizeof(Cell);
  }

 private:
  // Text lives in blocks of 1 MiB that never move (no reallocation spikes); an
  // offset is block << 20 | position. A value never spans two blocks.
  static constexpr uint32_t kBlockBits = 20;
  static constexpr size_t kBlockBytes = size_t{1} << kBlockBits;

  std::string_view Text(uint32_t off, uint16_t len) const {
    return std::string_view(blocks_[off >> kBlockBits].get() + (off & (kBlockBytes - 1)), len);
  }
  uint32_t Store(std::string_view text);

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = kBlockBytes;  // bytes used in the last block
  std::vector<Cell> cells_;
};

// Every record's id, input and prepared field values.
struct RecordStore {
  std::vector<std::string> ids;  // output id (prefixed "1:"/"2:" for linkage)
  std::vector<uint8_t> sources;  // 0 for dedupe or input 1, 1 for input 2
  std::vector<FieldColumn> fields;

  size_t size() const { return ids.size(); }
};

// Fills FieldColumn::Cell::tf for the fields with term_frequency set.
void ComputeTermFrequencies(const std::vector<FieldSpec>& specs, RecordStore* store);

// Returns the agreement level of field `f` between records a and b.
int8_t CompareField(const std::vector<FieldSpec>& specs, size_t f, const RecordStore& store,
                    uint32_t a, uint32_t b);

}  // namespace holo::match
