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
#include "profile/profile_builder.h"
#include "profile/trait_row.h"
#include "storage/store.h"

namespace holo::profile {

struct BuildStats {
  bool full = false;          // one scan over all events rather than reads through the event index
  uint64_t dirty = 0;         // OneIDs marked dirty
  uint64_t written = 0;       // profiles written
  uint64_t deleted = 0;       // OneIDs that no longer exist
  uint64_t events_scanned = 0;
  // A full build: OneIDs whose event index rows were rewritten (the others' rows matched
  // their stored fingerprint and were left as they were).
  uint64_t index_rewritten = 0;
  unsigned scan_threads = 1;  // threads that read the event index (AddComputedTrait)
  double scan_seconds = 0;    // AddComputedTrait: reading the index, per scan thread on average (the rest: writing the column)
  uint64_t projection_rows = 0;  // AddComputedTrait: projection rows built before reading
  int64_t as_of_ms = 0;
  double seconds = 0;
  std::vector<uint64_t> changed;  // OneIDs written or deleted, ascending
};

struct BuildOptions {
  // Scan all events once when the dirty OneIDs exceed this share of profiles and their
  // events exceed the same share of all events; else read their events through the index.
  double full_threshold = 0.2;
  bool force_full = false;
  // A full build (one scan of all events) builds at most this many OneIDs at a time; more are
  // built in parts, each reading its own events (a OneID being built holds a few KB, so a
  // first build of 1.6M profiles in one part held 8 GB).
  size_t full_build_chunk = 200000;
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
  // A bound from above on the profiles stored (identity's count of OneIDs handed out), for
  // the share of full_threshold: RocksDB's estimate of the keys counts overwritten keys
  // still in memtables and level-0 files (a store just rebuilt in full counts its profiles
  // twice or more). 0: the estimate alone.
  uint64_t profiles_bound = 0;
  // The store visits imported from sensor files (not events) of a OneID's members, as
  // (store_id, latest sighting ms) per visit day: ProfileAccumulator::AddStoreVisit. May be
  // empty (none).
  std::function<Status(const std::vector<ProfileAccumulator::Identifier>& members,
                       std::vector<std::pair<std::string, int64_t>>* visits)>
      store_visits;
};

// Rebuilds the profile of every OneID marked dirty, then clears the marks.
Status BuildPendingProfiles(storage::Store* store, const BuildOptions& options, BuildStats* stats);

// Computed traits are stored apart from the profile JSON: one column per trait in the
// `segments` column family, key 'c' name \0 OneID (keys::ComputedValueKey), value the
// value's JSON (length-prefixed) then its trait_meta JSON — only for OneIDs to whose value
// an event contributed. Everyone else has the default (DefaultValueJson). Profile rebuilds
// write the columns of the OneIDs they rebuild; AddComputedTrait writes one whole column.

// The computed traits whose values are stored: those not named like a built-in trait, the
// first of each name.
std::vector<const AggregateSpec*> StoredComputedTraits(const std::vector<AggregateSpec>& computed);

// The stored values of one computed trait: the OneIDs that have one, ascending, and their
// values; everyone else has DefaultValueJson(spec).
struct ComputedColumn {
  std::string name;
  bool numeric = true;             // numbers (count, sum, min, max, distinct), else text
  std::vector<uint64_t> oneids;    // ascending
  std::vector<double> numbers;     // by oneids, when numeric
  std::vector<std::string> texts;  // by oneids, otherwise
};

// Defines one computed trait without rebuilding any profile. Reads only the rows of
// spec.event in the event index (column family event_index): the named track events of each
// OneID, grouped by OneID and carrying what a computed trait reads (EventIndexValue), so a
// definition is one scan of clustered rows, with no read of the events, of the identity
// graph or of the profiles. The rebuild of a profile writes its OneID's rows (and removes
// those of events it no longer has), so the index follows resolution, deletion, erasure and
// retention as the profiles do; events not resolved yet have no row (their first rebuild
// computes the trait). Aggregates the rows at `as_of_ms` and writes the trait's column: the
// OneIDs with a value. `replace`: a column of that name may exist (a redefinition) and is
// dropped first. REQUIRES: spec.event is not empty. stats->changed: the OneIDs written;
// stats->events_scanned: the index rows read. `column` receives the values.
// With `use_projection`, the rows read are those of the event name's projection
// (keys::EventProjectionKey: the rows with their properties cut down to the top-level
// properties traits over the name read), built first — from the name's rows, keeping what it
// kept and what `spec` reads — when it lacks one of them (stats->projection_rows: the rows it
// wrote). Every rebuild keeps a projection current with the rows (Writer::AddIndexRow).
Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, bool replace,
                        BuildStats* stats, ComputedColumn* column, bool use_projection = true);

// Adds to `batch` the removal of every stored value of the computed trait `name` (a range
// delete of its column), for a trait being dropped from the registry in the same batch. The
// profiles' epoch is not changed: once the trait is not registered no reader joins it.
void DropComputedValues(const std::string& name, storage::WriteBatch* batch);

// Builds the event index (keys::EventNameKey, keys::EventNamesKey) from the stored events
// and the OneIDs their owners have now, replacing every row it held: for a store written
// before its current layout (the engine runs it once at open). Events of identifiers not
// resolved yet are left to their first rebuild. `rows`: the rows written.
Status RebuildEventIndex(storage::Store* store, uint64_t* rows);

// Reads the stored column of `spec` (see above).
Status ReadComputedColumn(const storage::Store& store, const AggregateSpec& spec, ComputedColumn* column);

// Joins the computed traits to stored profile JSON: each trait's value (its default when
// none is stored) at the end of "traits", and its trait_meta when stored. Reads the columns
// with one iterator each, so profiles read in ascending OneID order (an export) cost one pass
// over each column. Not thread-safe. The store and `computed` must outlive the reader.
class ComputedTraitReader {
 public:
  ComputedTraitReader(const storage::Store& store, const std::vector<AggregateSpec>& computed);
  ~ComputedTraitReader();
  ComputedTraitReader(const ComputedTraitReader&) = delete;
  ComputedTraitReader& operator=(const ComputedTraitReader&) = delete;

  // Adds the computed traits of `oneid` to `json`, a profile written by ToJson. Returns
  // DataLoss for a profile without "trait_meta" and "completeness".
  Status Join(uint64_t oneid, std::string* json);

 private:
  struct Column;
  std::vector<Column> columns_;
};

// Moves the computed traits named `names` out of every stored profile JSON into their
// columns: for a store written before computed traits were stored apart (the engine runs it
// once, with the event index's version 2). `moved`: the profiles rewritten.
Status MoveComputedTraitsToColumns(storage::Store* store, const std::vector<std::string>& names, uint64_t* moved);

// Calls fn(oneid, row) for every stored profile's typed trait row (trait_row.h: its built-in
// traits, as the profile's JSON has them; computed traits are in their columns,
// ReadComputedColumn), in OneID order. fn may move from *row. Stops at fn's first error.
Status ScanTraitRows(const storage::Store& store, const std::function<Status(uint64_t, TraitRow*)>& fn);

// Returns the typed trait row of `oneid` with its computed traits joined at the end (each its
// default when no event gave it a value), or nullopt when it has no profile.
Result<std::optional<TraitRow>> ReadTraitRow(const storage::Store& store, uint64_t oneid,
                                             const std::vector<AggregateSpec>& computed);

// Writes the typed trait row of every stored profile from its JSON: for a store written before
// profiles had them (the engine runs it once at open). `rows`: the rows written.
Status BackfillTraitRows(storage::Store* store, uint64_t* rows);

// Returns the stored profile JSON of `oneid` with its computed traits joined
// (ComputedTraitReader), or nullopt.
Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid,
                                               const std::vector<AggregateSpec>& computed);

}  // namespace holo::profile
