// File: segment/evaluator.h
//
// Evaluates an Expr over a TraitTable as bitmap algebra on its indexes, and
// row-wise (Matches) as the reference semantics.
//
//   HOLO_ASSIGN_OR_RETURN(Expr e, Parse("spend_90d > 5000 and consent(\"marketing\")"));
//   Roaring audience = Evaluate(e, table);
//
// Semantics (identical in both):
//   - A missing value satisfies no comparison; `x != v` and `x not in (...)`
//     hold only for non-missing x ("not equal" restricted to present values).
//   - Numbers compare with number/boolean literals, strings with string
//     literals (bytewise order for < <= > >=); a literal of the other type
//     never equals and never orders.
//   - Set traits: `=`, `in` and `contains` test membership of an element;
//     `!=` / `not in` are their negation on non-missing sets; order and
//     `between` never hold. On a string trait `contains` is equality.
//   - A bare operand holds when the value is a number other than 0.
//   - `not e` is every live row minus e; an unknown trait is all-missing.
//   - percentile(x) of a row with value v is PercentRank(#values <= v, n) over
//     the n non-missing values of x: 100 * (#values <= v - 1) / (n - 1), 100 when n = 1.
//     Ties share the rank of the highest of them, so `percentile(x) >= 99`
//     selects the top 1% of values with every tie of the cut-off value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <roaring/roaring.hh>

#include "segment/expr.h"
#include "segment/trait_table.h"

namespace holo::segment {

// Returns the percentile rank of a value with `count_le` values <= it among `n`.
double PercentRank(uint64_t count_le, uint64_t n);

// The value distributions percentile() needs for row-wise Matches().
class PercentileContext {
 public:
  void Add(const std::string& trait, double value) { values_[trait].push_back(value); }
  // Call once after the last Add().
  void Finish();
  // Returns the percentile rank of `value` among the trait's values; nullopt if none.
  std::optional<double> Rank(const std::string& trait, double value) const;

 private:
  std::map<std::string, std::vector<double>> values_;
};

// Returns the live rows of `table` satisfying `expr`.
Roaring Evaluate(const Expr& expr, const TraitTable& table);

// Returns whether one live row with traits `row` satisfies `expr`. Without
// `percentiles`, percentile() operands are missing.
bool Matches(const Expr& expr, const TraitRow& row, const PercentileContext* percentiles = nullptr);

namespace internal {

// One value as a predicate sees it.
struct ValueView {
  enum class Kind { kMissing, kNumber, kString, kSet };
  Kind kind = Kind::kMissing;
  double number = 0;
  const std::string* str = nullptr;
};

// Returns whether predicate `p` holds for a missing, number or string value.
bool PredicateHolds(const Expr& p, const ValueView& v);
// Returns whether predicate `p` holds for a present set value, given whether
// any element of the set equals one of p's string literals.
bool SetPredicateHolds(const Expr& p, bool any_element_equal);
// Returns whether `s` equals one of p's string literals.
bool EqualsAnyLiteral(const Expr& p, const std::string& s);

}  // namespace internal
}  // namespace holo::segment
