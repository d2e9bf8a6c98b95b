// Profile store: builds and persists the profiles of OneIDs marked dirty by
// identity resolution, and reads them back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "holo/result.h"
#include "profile/computed_trait.h"
#include "storage/store.h"

namespace holo::profile {

struct BuildStats {
  bool full = false;          // one scan over all events rather than reads through the event index
  uint64_t dirty = 0;         // OneIDs marked dirty
  uint64_t written = 0;       // profiles written
  uint64_t deleted = 0;       // OneIDs that no longer exist
  uint64_t events_scanned = 0;
  int64_t as_of_ms = 0;
  double seconds = 0;
  std::vector<uint64_t> changed;  // OneIDs written or deleted, ascending
};

struct BuildOptions {
  // Scan all events once when the dirty OneIDs exceed this share of profiles and their
  // events exceed the same share of all events; else read their events through the index.
  double full_threshold = 0.2;
  bool force_full = false;
  // User-defined computed traits to evaluate into every rebuilt profile (an immutable
  // snapshot of the registry, held for the build); may be null.
  std::shared_ptr<const std::vector<AggregateSpec>> computed;
  // Receives one line per phase ("profiles: ..."); may be empty.
  std::function<void(const std::string&)> log;
  // Whether a OneID's consent to a purpose counts as given (the consent ledger under the
  // consent policy): the consent_<purpose> traits. Empty: the person's own consent events.
  std::function<bool(uint64_t oneid, std::string_view purpose)> consent;
  // Called with the OneIDs about to be rebuilt (sorted), before any is: lets the caller
  // bring what `consent` reads up to date for them. May be empty.
  std::function<Status(const std::vector<uint64_t>& oneids)> before_build;
  // The profiles' reference time ("now" of spend_90d, recency, ...), ms since the epoch.
  // 0: the system clock.
  int64_t as_of_ms = 0;
};

// Rebuilds the profile of every OneID marked dirty, then clears the marks.
Status BuildPendingProfiles(storage::Store* store, const BuildOptions& options, BuildStats* stats);

// Adds one computed trait to every stored profile without rebuilding them: reads only the
// events named spec.event through the event index (column family event_index), aggregates
// them per OneID at `as_of_ms`, and writes the trait (and its trait_meta) into each profile,
// the value of people without a matching event included (0 or null). A profile that already
// has the trait gets it replaced. REQUIRES: spec.event is not empty. stats->changed: every
// profile; stats->events_scanned: the events read.
Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, BuildStats* stats);

// Returns the stored profile JSON of `oneid`, or nullopt.
Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid);

}  // namespace holo::profile
