// ProfileStage: the service that rebuilds the profiles of the OneIDs marked dirty (by
// ingestion's resolution, erasure, retention, consent, identity administration, rekey) with
// the options of the moment — the engine's clock, the computed traits registered in the
// audiences, consent from the ledger — and hands what changed to the audiences; and, at a
// read-write open, builds what a store written by an older Holo lacks (the event index,
// typed trait rows).
//
//   ProfileStage profiles(store, &privacy.consent(), &audiences, clock);
//   HOLO_RETURN_IF_ERROR(profiles.Backfill());           // at open
//   ... a change marks OneIDs dirty (keys::DirtyProfile) ...
//   HOLO_RETURN_IF_ERROR(profiles.RebuildMarked());       // their profiles, then the audiences
//
// The profiles' layout and their build are profile/'s (profile_store.h); this stage decides
// when and with what, and keeps the one piece of state of it: whether the warning that the
// data ends long before the clock was given.
//
// Thread safety: any thread. Rebuilds run one at a time: the caller serializes them (the
// engine's change lock); they may run beside ingestion and the readers. The warning flag
// is atomic.
// Ownership: `store`, `consent` and `audiences` are borrowed and must outlive the stage.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "holo/result.h"
#include "profile/profile_store.h"
#include "stores/store_service.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

class Audiences;
class ConsentIndex;

class ProfileStage {
 public:
  using Log = std::function<void(const std::string&)>;
  using Clock = std::function<int64_t()>;

  ProfileStage(storage::Store* store, ConsentIndex* consent, Audiences* audiences, Clock clock)
      : store_(store), consent_(consent), audiences_(audiences), clock_(std::move(clock)) {}
  ProfileStage(const ProfileStage&) = delete;
  ProfileStage& operator=(const ProfileStage&) = delete;

  // Where the rebuilds report their phases (may be empty). Set before use, not beside it.
  void SetLog(Log log) { log_ = std::move(log); }
  // The offline stores, whose imported visit days profiles take (may be null). Set before use.
  void SetStores(const stores::Stores* stores) { stores_ = stores; }
  // Told the OneIDs whose profiles a rebuild wrote or deleted (every OneID when `all`), after
  // the audiences: what keeps a person's state beyond the profile (recommend's histories)
  // forgets it. May be empty. Set before use.
  using Changed = std::function<void(const std::vector<uint64_t>& oneids, bool all)>;
  void SetOnChanged(Changed on_changed) { on_changed_ = std::move(on_changed); }

  // At a read-write open: builds the event index (keys::EventNameKey) and the typed trait
  // rows once, for a store written before them.
  Status Backfill();

  // How a rebuild reads the events.
  struct Rebuild {
    bool all = false;             // every OneID's profile (marked first), with one scan of all events
    bool reload_consent = false;  // identifiers may have moved anywhere: the consent index afresh
    double full_threshold = 1.0;  // else: by the node index unless the dirty ones hold this share
  };
  // Rebuilds the marked profiles and brings the audiences up to date with them. After a
  // full pass, compacts the dirty marks it deleted away.
  Status RebuildProfiles(const Rebuild& how, profile::BuildStats* stats);
  // The marked profiles through the node index (the rebuild after a change of a few people).
  Status RebuildMarked();
  // Every profile (a rekey, a redefined trait): *written profiles.
  Status RebuildAll(uint64_t* written);

 private:
  // Marks every OneID's profile dirty.
  Status MarkAllDirty();
  // Options for BuildPendingProfiles: the clock, computed traits, consent from the ledger.
  Result<profile::BuildOptions> OptionsFor(bool reload_consent);

  storage::Store* const store_;
  Changed on_changed_;
  ConsentIndex* const consent_;
  Audiences* const audiences_;
  const Clock clock_;
  Log log_;
  const stores::Stores* stores_ = nullptr;
  std::atomic<bool> clock_warned_{false};  // the data-older-than-the-clock warning was given
};

}  // namespace holo::engine
