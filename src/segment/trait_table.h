// File: segment/trait_table.h
//
// TraitTable: a columnar in-memory store of profile traits keyed by OneID (a
// small sequential uint32), with the bitmap indexes the segment evaluator uses.
//
//   TraitTable t;
//   t.Upsert(7, {{"spend_90d", 6200.0}, {"city", std::string("Shanghai")}});
//   const Column* spend = t.FindColumn("spend_90d");
//   Roaring big = spend->Range(5000, false, kInf, true);  // spend_90d > 5000
//
// A column is created the first time a trait name is seen; its type is fixed by
// its first non-missing value. A later value of another type is stored as
// missing and counted in type_conflicts().
//
// Indexes (kept current by Upsert/Erase):
//   number: dense values by row + a binned bitmap index. While a column has at
//           most kMaxExactBins distinct values every bin holds one value (exact
//           equality bitmaps); beyond that bins are quantile ranges (rebuilt as
//           the column grows, and by Optimize()), a heavy value gets a bin of
//           its own, and only the one or two edge bins of a range are checked
//           row by row against the values.
//   string: dictionary + one bitmap per distinct value.
//   set:    dictionary + one bitmap per distinct element.
//   every column: a not-null bitmap.
//
// Bulk loading: Upsert rows in ascending OneID order, then call Optimize().
//
// Change tracking: since the last Checkpoint() the table keeps, for each row it
// changed, the row as it was before its first change (Prior()). Incremental
// consumers (SegmentSet::Refresh) diff old against new values with it. When
// more rows change than a fraction of the table (a bulk load) tracking stops
// (tracking() is false) until the next Checkpoint().
//
// Not thread-safe for writes; concurrent const access is safe, except
// Checkpoint() (which counts as a write).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <roaring/roaring.hh>

namespace holo::segment {

// A trait value: missing, number (booleans are 0/1), string, or set of strings.
using TraitValue = std::variant<std::monostate, double, std::string, std::vector<std::string>>;
// name -> value; a name given twice: the last one wins.
using TraitRow = std::vector<std::pair<std::string, TraitValue>>;

enum class ColumnType { kNumber, kString, kSet };

inline constexpr double kInf = std::numeric_limits<double>::infinity();

class Column {
 public:
  static constexpr uint32_t kNoCode = std::numeric_limits<uint32_t>::max();
  static constexpr size_t kMaxExactBins = 256;
  static constexpr size_t kBins = 1024;

  Column(std::string name, ColumnType type) : name_(std::move(name)), type_(type) {}

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  const Roaring& not_null() const { return not_null_; }
  uint64_t count() const { return n_; }
  // The table sequence number of the last change to this column's values.
  uint64_t modified_seq() const { return modified_seq_; }

  // --- kNumber ---
  // Returns the value of `row`, NaN when missing.
  double number(uint32_t row) const {
    return row < values_.size() ? values_[row] : std::numeric_limits<double>::quiet_NaN();
  }
  // Returns the rows whose value lies in the interval from lo to hi (each end
  // inclusive or not; pass -kInf / kInf for an open end). With `within`, only
  // rows of `within` (cheaper than intersecting afterwards when it is small).
  Roaring Range(double lo, bool lo_inclusive, double hi, bool hi_inclusive,
                const Roaring* within = nullptr) const;
  // An upper bound on Range(...).cardinality() from the bin counts, without
  // touching a bitmap (the rows of the one or two edge bins count in full).
  uint64_t RangeCountBound(double lo, bool lo_inclusive, double hi, bool hi_inclusive) const;
  // The values by row (for prefetching; number(row) is the checked read).
  const double* number_data() const { return values_.data(); }
  // Returns the k-th smallest (0-based) non-missing value. REQUIRES: k < count().
  double Kth(uint64_t k) const;
  // True while every bin holds a single value (equality bitmaps).
  bool exact() const { return exact_; }
  size_t bin_count() const { return bins_.size(); }

  // --- kString and kSet ---
  // Returns the dictionary code of `value`, kNoCode if never seen.
  uint32_t Code(std::string_view value) const;
  size_t dictionary_size() const { return dict_values_.size(); }
  const std::string& DictValue(uint32_t code) const { return dict_values_[code]; }
  // Rows holding the value (kString) or containing the element (kSet).
  const Roaring& CodeRows(uint32_t code) const { return code_rows_[code]; }
  // kString: the row's code, kNoCode when missing.
  uint32_t string_code(uint32_t row) const { return row < codes_.size() ? codes_[row] : kNoCode; }
  // The codes by row (for prefetching; string_code(row) is the checked read).
  const uint32_t* code_data() const { return codes_.data(); }
  // kSet: the row's element codes (empty when missing or empty).
  std::span<const uint32_t> set_codes(uint32_t row) const;

 private:
  friend class TraitTable;

  // Each returns true if the stored value changed.
  bool SetNumber(uint32_t row, double v);
  bool SetString(uint32_t row, const std::string& v);
  bool SetSet(uint32_t row, const std::vector<std::string>& v);
  bool Clear(uint32_t row);
  TraitValue Get(uint32_t row) const;

  uint32_t Intern(const std::string& v);
  size_t BinOf(double v) const;
  bool BinSingle(size_t b) const;
  void AddToBin(size_t b, uint32_t row);
  // Rows in bins [0, f): a stored bitmap when one holds exactly those rows,
  // else computed into *scratch.
  const Roaring& Below(size_t f, Roaring* scratch) const;
  // Rows in bins [f0, f1] (inclusive; of `within` unless null), choosing bin
  // unions or cumulative bitmaps.
  Roaring BinRange(size_t f0, size_t f1, const Roaring* within) const;
  void BuildCumulative();
  void RemoveNumber(uint32_t row);
  // Rebuilds bins from all values: exact when few distinct values, else quantile bins.
  void Rebin(bool cumulative);
  void CompactSets();
  void Optimize();

  std::string name_;
  ColumnType type_;
  Roaring not_null_;
  uint64_t n_ = 0;  // not_null_.cardinality()
  uint64_t modified_seq_ = 0;

  // kNumber
  std::vector<double> values_;
  std::vector<double> lo_;        // bin lower bounds, ascending; bin b = [lo_[b], lo_[b+1])
  std::vector<Roaring> bins_;
  std::vector<uint64_t> counts_;  // rows per bin
  bool exact_ = true;             // every bin b holds only the value lo_[b]
  // Cumulative bitmaps (built by Optimize, then kept current; dropped when the
  // bins change shape): cum_[j] holds the rows of bins [0, cp_[j]).
  std::vector<size_t> cp_;
  std::vector<Roaring> cum_;
  bool cum_valid_ = false;
  uint64_t rebinned_at_ = 0;      // count() at the last Rebin()

  // kString / kSet
  std::unordered_map<std::string, uint32_t> dict_;
  std::vector<std::string> dict_values_;
  std::vector<Roaring> code_rows_;
  std::vector<uint32_t> codes_;        // kString, by row
  std::vector<uint32_t> set_start_;    // kSet, by row: offset into set_data_
  std::vector<uint32_t> set_len_;      // kSet, by row
  std::vector<uint32_t> set_data_;     // kSet element codes (sorted per row)
  uint64_t set_live_ = 0;              // entries of set_data_ still referenced
};

class TraitTable {
 public:
  // A row as it was at the last checkpoint.
  struct PriorRow {
    bool existed = false;  // the row was live
    TraitRow values;       // its traits then (as GetRow), empty unless existed
  };

  TraitTable() = default;
  TraitTable(const TraitTable&) = delete;
  TraitTable& operator=(const TraitTable&) = delete;

  // Replaces all traits of `row`; traits not in `values` become missing.
  // std::monostate and NaN values are missing.
  void Upsert(uint32_t row, const TraitRow& values);
  // Removes `row` and all its traits. No-op if absent.
  void Erase(uint32_t row);
  // Sets one trait of every live row, the others untouched: the value given for the row in
  // `values` (ascending rows; rows that are not live are ignored), else `fallback`
  // (std::monostate: missing). For a computed trait defined or redefined: only its column
  // is written, not the rows reloaded. Returns the rows whose value changed.
  Roaring SetColumn(const std::string& name, std::span<const std::pair<uint32_t, TraitValue>> values,
                    const TraitValue& fallback);

  // All live rows.
  const Roaring& rows() const { return rows_; }
  size_t size() const { return rows_.cardinality(); }
  uint64_t type_conflicts() const { return type_conflicts_; }

  // Returns the column, nullptr if the trait was never seen.
  const Column* FindColumn(std::string_view name) const;
  std::vector<std::string> ColumnNames() const;
  // Returns the stored traits of `row` (missing ones omitted), sorted by name.
  TraitRow GetRow(uint32_t row) const;
  // Returns one trait of `row` (std::monostate when missing or unknown).
  TraitValue Value(uint32_t row, std::string_view name) const;

  // Rebuilds numeric bins from the full data and compresses bitmaps. Call after a bulk load.
  void Optimize();

  // Increases on every Upsert/Erase.
  uint64_t seq() const { return seq_; }
  // The seq() of the last change to rows() (a row added or erased).
  uint64_t rows_modified_seq() const { return rows_modified_seq_; }
  // Approximate heap bytes used.
  size_t MemoryUsage() const;

  // --- Change tracking ---
  // The seq() at the last Checkpoint().
  uint64_t checkpoint_seq() const { return checkpoint_seq_; }
  // True while every change since the checkpoint is recorded.
  bool tracking() const { return tracking_; }
  // Rows changed since the checkpoint (0 unless tracking()).
  size_t changed_count() const { return prior_.size(); }
  // Returns `row` as it was at the checkpoint, nullptr if it has not changed
  // since then or tracking() is false.
  const PriorRow* Prior(uint32_t row) const;
  // Forgets the recorded rows and starts tracking again from seq(). Const
  // because it changes no content: tracking state is bookkeeping for readers
  // (SegmentSet, which holds a const table) and does not affect any query.
  void Checkpoint() const;

 private:
  // Records `row` before its first change since the checkpoint.
  void Track(uint32_t row, bool was_live);
  // Returns the column id.
  uint32_t GetOrCreate(const std::string& name, ColumnType type);
  static constexpr uint32_t kNoColumn = std::numeric_limits<uint32_t>::max();
  // Sets one trait of `row` (a missing value clears it); returns its column id, kNoColumn
  // when the value is missing and the column does not exist. REQUIRES: row is live.
  uint32_t Assign(uint32_t row, const std::string& name, const TraitValue& value);

  Roaring rows_;
  std::unordered_map<std::string, uint32_t> column_ids_;
  std::vector<std::unique_ptr<Column>> columns_;
  std::vector<uint8_t> seen_;  // scratch for Upsert
  uint64_t type_conflicts_ = 0;
  uint64_t seq_ = 0;
  uint64_t rows_modified_seq_ = 0;
  // Change tracking (mutable: see Checkpoint()).
  mutable std::unordered_map<uint32_t, PriorRow> prior_;
  mutable uint64_t checkpoint_seq_ = 0;
  mutable bool tracking_ = true;
};

}  // namespace holo::segment
