// File: segment/segment_set.h
//
// SegmentSet: named segments (audiences) over one TraitTable, with membership
// kept current incrementally.
//
//   SegmentSet segments(&table);
//   HOLO_ASSIGN_OR_RETURN(SegmentInfo info, segments.Define("vip_sh", "spend_90d > 5000 and city = \"Shanghai\"", now));
//   table.Upsert(42, new_traits);                // ... a batch of changes
//   SegmentDelta d = segments.Refresh(changed);  // changed = the rows upserted/erased
//
// Refresh re-evaluates a segment only if one of its traits changed since it was
// last brought up to date (or, for a segment that an all-missing row satisfies,
// if rows were added or erased), and only on the changed rows: their values are
// gathered into a small columnar table, each distinct predicate is evaluated
// once into a bitset shared by all segments, and segments are combined and
// diffed on worker threads. A segment using percentile() is re-evaluated over
// the whole table when its trait changed (a change moves every row's rank).
//
// Old values: when the table recorded every changed row as it was at its last
// checkpoint (TraitTable::Prior) and exactly those rows are passed, the
// predicates are also evaluated on the old values and each segment's old and
// new bits are diffed directly (no work proportional to its member bitmap).
// Otherwise — the table stopped tracking, the batch is over 1/8 of the table,
// or the segment was defined or loaded after the checkpoint — the segment's
// current members on the changed rows are the old side. Refresh checkpoints
// the table when done (one checkpoint for all SegmentSets over the table:
// another set then falls back to the slower path, still exact).
//
// Not thread-safe; the table must not change during a call. Holds a pointer to
// the table, which must outlive the set.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <roaring/roaring.hh>

#include "holo/result.h"
#include "segment/expr.h"
#include "segment/trait_table.h"

namespace holo::segment {

struct SegmentInfo {
  std::string name;
  std::string definition;  // canonical text
  int64_t version = 0;     // 1, +1 each time the canonical definition changes
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // when the definition last changed
  uint64_t size = 0;       // members
};

struct SegmentChange {
  std::string name;
  Roaring entered;
  Roaring left;
};

struct SegmentDelta {
  std::vector<SegmentChange> changes;  // segments whose membership changed, by name
  size_t evaluated = 0;                // segments re-evaluated on the changed rows
  size_t diffed = 0;                   // of `evaluated`: diffed on the changed rows' old values
  size_t full = 0;                     // segments re-evaluated over the whole table
  size_t skipped = 0;                  // segments none of whose traits changed
  size_t predicates = 0;               // distinct predicates evaluated
};

class SegmentSet {
 public:
  // `threads`: workers used by Refresh (1 = the calling thread only).
  explicit SegmentSet(const TraitTable* table, int threads = 2);
  ~SegmentSet();
  SegmentSet(const SegmentSet&) = delete;
  SegmentSet& operator=(const SegmentSet&) = delete;

  // Parses `text`, evaluates it over the table and stores the membership.
  // Redefining a name with a different canonical text bumps its version.
  // Returns InvalidArgument for a bad name ([A-Za-z0-9_.-]{1,64}) or a parse error.
  Result<SegmentInfo> Define(std::string_view name, std::string_view text, int64_t now_ms);
  // Returns NotFound if absent.
  Status Remove(std::string_view name);
  // All segments, by name.
  std::vector<SegmentInfo> List() const;
  Result<SegmentInfo> Get(std::string_view name) const;
  // Returns the members, nullptr if no such segment. Valid until the next
  // non-const call. Folds the segment's pending changes from Refresh into its
  // bitmap first (no visible change), so not safe beside other calls.
  const Roaring* Members(std::string_view name) const;
  // The names of the segments `row` is a member of, sorted. Safe beside other
  // const calls except Members() and Serialize().
  std::vector<std::string> Containing(uint32_t row) const;
  size_t size() const { return segments_.size(); }

  // Brings every segment up to date after the rows in `changed_rows` were
  // upserted or erased in the table.
  SegmentDelta Refresh(const Roaring& changed_rows);
  // Evaluates every segment over the whole table and replaces its members where they
  // differ: for members loaded from a store whose profiles may have changed since they
  // were saved (Load's requirement not known to hold). Returns the segments that changed.
  SegmentDelta Reconcile();
  // Points the set at another table (a table read afresh beside the readers); call
  // Reconcile() next. REQUIRES: `table` outlives the set.
  void Rebind(const TraitTable* table);
  // Folds every segment's pending changes into its members, so that Members() and
  // Serialize() change nothing and may run beside each other and Containing() until
  // the next non-const call.
  void FoldAll();

  // Returns the members in Roaring portable format; empty if no such segment.
  std::string Serialize(std::string_view name) const;
  // Restores a segment saved with Serialize(). REQUIRES: the members reflect
  // the table's current contents (else Define it again).
  Status Load(std::string_view name, std::string_view definition, int64_t version, int64_t created_ms,
              int64_t updated_ms, std::string_view bytes);

  // Returns InvalidArgument unless `name` is a valid segment name.
  static Status ValidateName(std::string_view name);

  struct Segment;
  struct Node;

 private:
  Node Compile(const Expr& e);
  SegmentInfo Info(const Segment& s) const;
  // Checkpoints the table if it stopped tracking changes or the set is empty.
  void RestartTracking();

  const TraitTable* table_;
  int threads_;
  std::map<std::string, std::unique_ptr<Segment>, std::less<>> segments_;
  // Distinct predicates (by canonical text) shared by all segments.
  std::unordered_map<std::string, uint32_t> leaf_ids_;
  std::vector<Expr> leaves_;
};

}  // namespace holo::segment
