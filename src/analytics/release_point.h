// ReleasePoint: the one place aggregates leave for people who may not see individuals
// (analysts): minimum group size k, differencing against every group released before,
// cells sealed because released totals would give them away, Laplace noise and the
// daily privacy budget of each owner. It owns that state — the log of released groups,
// the sealed groups and the budgets, stored in the segments and meta column families
// (docs/storage_format.md) — and the lock that makes a check and its log one step.
//
//   analytics::ReleasePoint point(store);
//   HOLO_RETURN_IF_ERROR(point.Run([&](ReleasePoint::Session& session) -> Status {
//     HOLO_ASSIGN_OR_RETURN(a, session.Release(group_a, options));
//     HOLO_ASSIGN_OR_RETURN(b, session.Release(group_b, options));  // checked against a too
//     return Status::OK();
//   }));
//
// Thread safety: any thread; sessions run one at a time. The budget has its own lock
// (a budget may be spent outside a session).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <roaring/roaring.hh>

#include "common/thread_annotations.h"
#include "holo/result.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::analytics {

struct ReleaseOptions {
  uint32_t k = 50;          // minimum group size (at least kMinK)
  double epsilon = 0;       // Laplace noise on the count (0: exact), paid from the budget
  std::string budget_owner;
  double budget = 0;        // total epsilon per owner per UTC day
};

struct Released {
  std::optional<uint64_t> count;  // empty: withheld
  std::string withheld;           // why
  double epsilon = 0;             // noise spent on it
};

class ReleasePoint {
 public:
  explicit ReleasePoint(storage::Store* store);
  ReleasePoint(const ReleasePoint&) = delete;
  ReleasePoint& operator=(const ReleasePoint&) = delete;

  // One step of releases: the log is read when it begins and every group released in it
  // is checked against the groups released before, and in it.
  class Session {
   public:
    // Releases `group`'s size: withheld (with the reason) when it is smaller than k, within
    // k of a group released before or of a sealed one; else its count (noisy with epsilon,
    // paid from the owner's budget: kResourceExhausted when spent), and the group is logged.
    Result<Released> Release(const Roaring& group, const ReleaseOptions& options);
    // kFailedPrecondition when `group` is, or is within k of, a sealed group.
    Status CheckSealed(const Roaring& group, uint32_t k);
    // The groups released before this session and in it.
    const std::vector<Roaring>& previous() const { return previous_; }
    // Logs `group` as released (once).
    Status Log(const Roaring& group);
    // Seals `group`: no later answer may release it or a group within k of it.
    Status Seal(const Roaring& group);

   private:
    friend class ReleasePoint;
    Session(ReleasePoint* point, std::vector<Roaring> previous) : point_(point), previous_(std::move(previous)) {}
    ReleasePoint* point_;
    std::vector<Roaring> previous_;
  };
  // Runs `fn` with a session, holding the log for it (one session at a time).
  Status Run(const std::function<Status(Session&)>& fn) EXCLUDES(mu_);

  // Spends `epsilon` of `owner`'s budget for today (UTC); kResourceExhausted when it would
  // exceed `budget`.
  Status SpendBudget(const std::string& owner, double budget, double epsilon) EXCLUDES(budget_mu_);
  // Removes `oneid` from every logged and sealed group (an erased person).
  Status Forget(uint64_t oneid) EXCLUDES(mu_);

 private:
  Result<std::vector<Roaring>> LoadLog() const;
  Result<const std::vector<Roaring>*> Sealed() REQUIRES(mu_);
  // Appends `group` to the bitmap log at segments `tag`+seq8 (sequence in meta `seq_key`),
  // keeping the newest kKeep.
  Status Append(char tag, const std::string& seq_key, const Roaring& group) REQUIRES(mu_);

  storage::Store* const store_;
  Mutex mu_;  // the log and the sealed groups: load, check and append as one step
  std::vector<Roaring> sealed_ GUARDED_BY(mu_);
  bool sealed_loaded_ GUARDED_BY(mu_) = false;
  Mutex budget_mu_;
};

}  // namespace holo::analytics
