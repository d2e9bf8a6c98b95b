// ReleasePoint: the one place aggregates leave for people who may not see individuals
// (analysts). Every number it releases is differentially private: exact counts get discrete
// Laplace noise (analytics/dp_noise.h) paid from the analyst's budget for the period, and a
// number is shown only when its noisy value reaches its threshold (the minimum group size k,
// or higher where the cell's existence depends on the data). A question asked again in the
// same period gets the same answer, free: repeating it teaches nothing new and costs nothing;
// a different question (even one meaning the same) is a new release and is paid for.
// Differencing and averaging attacks are bounded by the budget (docs/privacy.md states the
// guarantee), not by a log of earlier groups.
//
// It owns the budgets and the answers of the period (meta `dp/budget/`, `dp/answer/`,
// storage/keys.h) and the lock that makes "look up, charge, draw, store" one step.
//
//   analytics::ReleaseQuery q;
//   q.key = "count:" + canonical_expression;
//   q.cells = {{exact_count, epsilon, k}};
//   q.charge = epsilon;
//   HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, point.Release(q, budget));
//
// Thread safety: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/result.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::analytics {

// Whose budget pays, how much it holds and over what period.
struct Budget {
  std::string owner;       // the analyst (the credential's name): every token of theirs shares it
  double total = 5.0;      // epsilon per period
  uint32_t period_days = 1;  // periods start at 00:00 UTC of days since 1970-01-01 divisible by it
  int64_t now_ms = 0;      // 0: the wall clock (tests and replays set it)
};

// One number of a question.
struct ReleaseCell {
  uint64_t count = 0;      // the exact value
  double epsilon = 0;      // the noise of this cell (P(x) ~ exp(-epsilon |x|))
  uint64_t threshold = 0;  // shown only when the noisy value is at least this (>= 1)
};

struct ReleaseQuery {
  std::string key;          // what was asked, canonically: equal keys in a period, equal answers
  std::vector<ReleaseCell> cells;
  double charge = 0;        // the epsilon the question costs (the caller's composition)
};

struct ReleaseAnswer {
  std::vector<std::optional<uint64_t>> cells;  // empty: below its threshold, withheld
  double charged = 0;       // epsilon charged by this call (0 when the answer was the period's)
  double spent = 0;         // the owner's spending in the period after it
  double total = 0;
  std::string period;       // the period's first day, YYYY-MM-DD (UTC)
};

// The floor of every minimum group size k.
inline constexpr uint32_t kMinReleaseK = 10;

class ReleasePoint {
 public:
  explicit ReleasePoint(storage::Store* store);
  ReleasePoint(const ReleasePoint&) = delete;
  ReleasePoint& operator=(const ReleasePoint&) = delete;

  // The period's answer to `query` if it was asked before in the period by the same owner;
  // else the query's cells noised and thresholded, its charge paid from the budget, and the
  // answer kept for the period. kResourceExhausted when the budget cannot pay (nothing is
  // drawn, nothing is charged); kInvalidArgument for a cell without noise or threshold.
  Result<ReleaseAnswer> Release(const ReleaseQuery& query, const Budget& budget) EXCLUDES(mu_);

  // The owner's spending in the current period (0 when nothing was asked).
  Result<ReleaseAnswer> Spent(const Budget& budget) EXCLUDES(mu_);

 private:
  Status DropOldState() REQUIRES(mu_);

  storage::Store* const store_;
  Mutex mu_;
  bool cleaned_ GUARDED_BY(mu_) = false;
};

}  // namespace holo::analytics
