// ConsentIndex: the service that owns the engine's consent state — the consent policy in
// force and an in-memory index of every OneID that decided anything, folded from the
// ledger (column family `consent`, privacy/consent.h) — and its lock.
//
//   ConsentIndex consent(store);
//   HOLO_RETURN_IF_ERROR(consent.Ensure());          // loads the index from the ledger once
//   HOLO_ASSIGN_OR_RETURN(bool ok, consent.Allows(oneid, "export"));
//   ... ledger records written ...
//   HOLO_RETURN_IF_ERROR(consent.Fold(records));     // effective from the next read
//   ... resolution moved identifiers ...
//   HOLO_RETURN_IF_ERROR(consent.Refresh(changed));  // those OneIDs read from the ledger again
//
// Thread safety: any thread. Readers share the lock; a change reads the store first and
// holds it exclusively only to swap entries in.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/result.h"
#include "privacy/consent.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

class ConsentIndex {
 public:
  explicit ConsentIndex(const storage::Store* store) : store_(store) {}
  ConsentIndex(const ConsentIndex&) = delete;
  ConsentIndex& operator=(const ConsentIndex&) = delete;

  // Loads the index from the ledger on first use (and after Invalidate).
  Status Ensure() EXCLUDES(mu_);
  // Forgets the index: the next Ensure reads the whole ledger again (a full rebuild, when
  // resolution may have moved any identifier).
  void Invalidate() EXCLUDES(mu_);
  // Folds ledger records just written (at their identifiers' current OneIDs); a no-op
  // while nothing is loaded (the load reads them).
  Status Fold(const std::vector<privacy::ConsentRecord>& records) EXCLUDES(mu_);
  // Recomputes the entries of OneIDs whose members changed; a no-op while nothing is loaded.
  Status Refresh(const std::vector<uint64_t>& changed) EXCLUDES(mu_);
  // Removes an erased person's entry.
  void Erase(uint64_t oneid) EXCLUDES(mu_);

  // Whether the policy allows `use` of `oneid`; kNotFound for a use the policy does not name.
  Result<bool> Allows(uint64_t oneid, std::string_view use) EXCLUDES(mu_);
  // kNotFound for a use the policy does not name.
  Status CheckUse(std::string_view use) const EXCLUDES(mu_);
  // Whether `oneid`'s consent to purpose `purpose` (privacy::PurposeIndex) counts as given
  // under the policy (the index must be loaded: Ensure).
  bool Given(uint64_t oneid, size_t purpose) const EXCLUDES(mu_);
  // Each purpose given or not for `person` (a OneID's folded ledger) under the policy.
  std::array<bool, privacy::kPurposeCount> GivenAll(const privacy::PersonConsent& person) const EXCLUDES(mu_);

  // The policy in force, and replacing it (the caller stores it and rebuilds profiles).
  privacy::ConsentPolicy policy() const EXCLUDES(mu_);
  void SetPolicy(privacy::ConsentPolicy policy) EXCLUDES(mu_);

  // Every ledger record of the identifiers of `oneid`; *members: how many identifiers it has.
  Status LedgerOf(uint64_t oneid, std::vector<privacy::ConsentRecord>* out, size_t* members = nullptr) const;

 private:
  const storage::Store* const store_;
  mutable SharedMutex mu_;
  bool loaded_ GUARDED_BY(mu_) = false;
  std::unordered_map<uint64_t, privacy::PersonConsent> index_ GUARDED_BY(mu_);  // OneIDs with a decision
  privacy::ConsentPolicy policy_ GUARDED_BY(mu_) = privacy::ConsentPolicy::Default();
};

}  // namespace holo::engine
