// Profile store: builds and persists the profiles of OneIDs marked dirty by
// identity resolution, and reads them back.
#pragma once

#include <cstdint>
#include <functional>
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
  // User-defined computed traits to evaluate into every rebuilt profile; may be null.
  const std::vector<AggregateSpec>* computed = nullptr;
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

// The values of one computed trait, for the trait table: the OneIDs whose profile holds a
// value (an event contributed), ascending; everyone else has DefaultValueJson(spec).
struct ComputedColumn {
  std::string name;
  bool numeric = true;             // numbers (count, sum, min, max, distinct), else text
  std::vector<uint64_t> oneids;    // ascending
  std::vector<double> numbers;     // by oneids, when numeric
  std::vector<std::string> texts;  // by oneids, otherwise
};

// Adds one computed trait to the stored profiles without rebuilding them. Reads only the
// rows of spec.event in the event index (column family event_index), whose values carry
// what a computed trait reads (EventIndexValue): one scan, no read of the events. Aggregates
// them per OneID at `as_of_ms` and writes the trait (and its trait_meta) into the profiles
// of the OneIDs that have a value; the others keep none (their value is the default,
// which readers fill in: FillComputedDefaults). `replace`: the name may already be stored
// (a redefinition): every profile is then read, and an old value that has no new one is
// removed. REQUIRES: spec.event is not empty. stats->changed: the profiles written;
// stats->events_scanned: the index rows read. `column` receives the values written.
Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, bool replace,
                        BuildStats* stats, ComputedColumn* column);

// Adds to a stored profile (`json`) the default value of each computed trait in `computed`
// that it does not hold (a profile stores a computed trait only when an event contributed).
// Returns DataLoss for a profile that is not valid JSON.
Status FillComputedDefaults(const std::vector<AggregateSpec>& computed, std::string* json);

// Returns the stored profile JSON of `oneid` with the computed traits' defaults filled in
// (FillComputedDefaults), or nullopt.
Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid,
                                               const std::vector<AggregateSpec>& computed);

}  // namespace holo::profile
