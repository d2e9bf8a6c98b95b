// Group profiles: what a segment's members look like, with no cell that could
// single anyone out.
//
//   GroupProfileInput in;
//   in.members = &segment_members;  in.population = &all_rows;
//   in.dimensions = {...};          // e.g. city: value -> rows with that city
//   in.previous = {...};            // populations of earlier answered queries
//   auto profile = ComputeGroupProfile(in, options);   // kFailedPrecondition when refused
//
// Rules (docs/segments.md, "Group profiles"):
//  1. k (default 50) may be configured but never below 10.
//  2. A group of fewer than k members gets no profile at all.
//  3. Primary suppression: a cell counting fewer than k members is shown as "<k".
//  4. Complementary suppression: in a dimension whose cells partition the group
//     (single-valued traits, with an "unknown" cell), the suppressed cells together
//     count 0 or at least k, otherwise the next smallest cells are suppressed too, so
//     no suppressed cell can be derived from the group size minus the visible cells.
//  5. Differencing: a query whose group differs from an earlier answered group by
//     fewer than k people (in total, both ways) is refused; and a cell is suppressed
//     when, for an earlier overlapping group P, the members in this group but not in P,
//     or in P but not here, count between 1 and k-1 in that cell — the difference of
//     the two answers would otherwise reveal them.
//  6. Optional Laplace noise (epsilon > 0) on every shown count, scale =
//     (cells a person can be counted in) / epsilon per dimension; the shown counts are
//     rounded and never negative. Suppression is decided on the true counts.
//  7. The index of a cell = its share of the group / its share of the population, both
//     over the people who have a value: a partition's "unknown" cell is in neither
//     denominator (the group's side subtracts the unknown cell's shown count).
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <string>
#include <string_view>
#include <random>
#include <vector>

#include "holo/result.h"

namespace holo::analytics {

struct Dimension {
  std::string name;
  // Each cell: a label and the rows (over the whole population) that have it.
  std::vector<std::pair<std::string, Roaring>> cells;
  // True when every row is in exactly one cell (single-valued trait plus an
  // "unknown" cell): complementary suppression applies.
  bool partition = false;
  // Most cells one row can be in (1 for a partition; e.g. 5 for a top-5 list).
  uint32_t max_cells_per_row = 1;
};

// The label of a partition's cell of rows with no value.
inline constexpr std::string_view kUnknownCell = "unknown";

struct GroupProfileOptions {
  uint32_t k = 50;
  double epsilon = 0;       // 0 = exact counts
  uint64_t noise_seed = 0;  // 0 = from the system's random source
};

struct GroupProfileInput {
  const Roaring* members = nullptr;
  const Roaring* population = nullptr;
  std::vector<Dimension> dimensions;
  std::vector<const Roaring*> previous;  // earlier answered groups (query log)
};

struct CellResult {
  std::string label;
  bool suppressed = false;
  std::string reason;      // "fewer than k", "complementary", "differencing"
  uint64_t count = 0;      // shown count (noisy when epsilon > 0); 0 when suppressed
  // count / the group members who have a value of the dimension (in a partition: the group
  // size less the shown "unknown" count; the unknown cell's own share is of the whole group).
  double share = 0;
  // share / population share * 100 (100 = like everyone), both shares over people who have a
  // value; 0 for the unknown cell.
  double index = 0;
  bool unknown = false;    // the "unknown" cell of a partition
};

struct DimensionResult {
  std::string name;
  std::vector<CellResult> cells;  // largest first
};

struct GroupProfile {
  uint64_t size = 0;  // exact group size (>= k)
  uint64_t population = 0;
  uint32_t k = 0;
  double epsilon = 0;
  std::vector<DimensionResult> dimensions;
  uint64_t suppressed_cells = 0;

  std::string ToJson() const;
  std::string ToText() const;
};

// kInvalidArgument for k < 10; kFailedPrecondition when the group is smaller than k
// or differs from an earlier answered group by fewer than k people.
Result<GroupProfile> ComputeGroupProfile(const GroupProfileInput& input, const GroupProfileOptions& options);

// The floor of every minimum group size k.
inline constexpr uint32_t kMinK = 10;

// kFailedPrecondition when `group` differs from one of `previous` by 1..k-1 people (the
// difference of the two answers would describe them); the same group again is fine.
Status CheckDifferencing(const Roaring& group, const std::vector<const Roaring*>& previous, uint32_t k);
// One draw of Laplace noise of `scale` (1/epsilon for a count).
double Laplace(std::mt19937_64& rng, double scale);

}  // namespace holo::analytics
