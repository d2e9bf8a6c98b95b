// Audiences: the service that owns the engine's audience state — the computed-trait
// registry, the trait table (one typed row per profile) and the saved segments — and
// keeps it current with the stored profiles, in any process.
//
//   Audiences audiences(store, log);
//   HOLO_RETURN_IF_ERROR(audiences.LoadComputedTraits());
//   ... profiles of `changed` OneIDs rebuilt ...
//   HOLO_RETURN_IF_ERROR(audiences.Refresh(changed, /*full=*/false));
//   HOLO_ASSIGN_OR_RETURN(Roaring vip, audiences.Members("vip"));
//
// Stored state (segments column family, docs/storage_format.md): 't' computed traits,
// 'd'/'v'/'m' segment records, versions and members; meta stat/audience_epoch, the
// profiles' epoch (stat/profiles_epoch) the saved memberships are exact for. A process
// that finds the two epochs differ re-evaluates every saved segment when it loads them.
//
// Thread safety: every method may be called from any thread. Readers share `mu_` and
// never wait for a store read: a change reads the profiles first and holds `mu_`
// exclusively only to apply them in memory (a few milliseconds per thousand rows; a
// full reload swaps in a table built beside the readers). Changes are serialized by
// `update_mu_`, which readers never take.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/group_profile.h"
#include <roaring/roaring.hh>

#include "common/thread_annotations.h"
#include "holo/result.h"
#include "profile/computed_trait.h"
#include "profile/profile_store.h"
#include "segment/expr.h"
#include "segment/segment_set.h"
#include "segment/trait_table.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

class Audiences {
 public:
  using Log = std::function<void(const std::string&)>;
  using ComputedList = std::shared_ptr<const std::vector<profile::AggregateSpec>>;

  Audiences(storage::Store* store, Log log);
  ~Audiences();
  Audiences(const Audiences&) = delete;
  Audiences& operator=(const Audiences&) = delete;

  void SetLog(Log log) EXCLUDES(update_mu_);

  // ---- computed traits (the registry: segments 't' name -> definition) ----
  // Reads the registry from the store.
  Status LoadComputedTraits() EXCLUDES(update_mu_, mu_);
  // The registered computed traits: an immutable snapshot, valid while held.
  ComputedList ComputedTraits() const EXCLUDES(mu_);
  bool IsComputedTrait(const std::string& name) const EXCLUDES(mu_);
  // Stores the definitions of `specs` (definitions[i] is specs[i]'s text) and reloads the registry.
  Status RegisterComputedTraits(const std::vector<profile::AggregateSpec>& specs,
                                const std::vector<std::string>& definitions) EXCLUDES(update_mu_, mu_);
  // name -> definition, as stored.
  Result<std::vector<std::pair<std::string, std::string>>> ListComputedTraits() const;
  // Removes a computed trait: its definition and its stored values, in one write. Refused
  // (kFailedPrecondition, naming them) while a saved segment reads it; kNotFound when no
  // computed trait has that name. The loaded table drops its column.
  Status DropComputedTrait(std::string_view name) EXCLUDES(update_mu_, mu_);

  // The stored profiles' epoch (storage keys::kProfilesEpoch; empty before any profile was written).
  Result<std::string> ProfilesEpoch() const;

  // ---- the trait table and the saved segments ----
  // Loads them from the store on first use (re-evaluating saved segments whose epoch is
  // older than the profiles'). Every reader below calls it.
  Status EnsureLoaded() EXCLUDES(update_mu_, mu_);
  // Whether they are loaded (nothing is read).
  bool loaded() const EXCLUDES(mu_);
  // After the profiles of `changed` OneIDs were rebuilt or deleted: updates their rows and
  // every segment's membership, and saves the segments that changed. With `full` (or many
  // changes) the whole table is read again. `epoch`: the profiles' epoch the changes bring
  // the state to (empty: read it now). A no-op while nothing is loaded and no segment is saved.
  Status Refresh(const std::vector<uint64_t>& changed, bool full, std::string epoch = {})
      EXCLUDES(update_mu_, mu_);
  // Loads the state now if any segment is saved (a no-op otherwise or when loaded): before
  // new computed traits are added, so that the segments naming them follow.
  Status EnsureLoadedIfAnySegment() EXCLUDES(update_mu_, mu_);
  // A computed trait just written as a column (profile::AddComputedTrait) and its values.
  struct NewColumn {
    profile::AggregateSpec spec;
    profile::ComputedColumn values;
  };
  // Puts new computed-trait columns into the loaded table without reloading the profiles,
  // then re-evaluates the segments on the rows whose value changed. `changed`: the OneIDs
  // written; `epoch_before`: the profiles' epoch before the columns were written (when the
  // table was not current then, it is read again). A no-op while nothing is loaded.
  Status AddComputedColumns(const std::vector<NewColumn>& columns, const std::vector<uint64_t>& changed,
                            const std::string& epoch_before) EXCLUDES(update_mu_, mu_);

  // ---- fixed member lists (look-alike audiences, holo/recommend.h) ----
  // Every profile carries the names of the lists it is on as the set trait `kListTrait`, so
  // a list is a segment's expression like any trait: `lookalikes contains "NAME"`. Saves
  // `members` as list `name` (replacing it) and brings the rows that joined or left up to date.
  static constexpr std::string_view kListTrait = "lookalikes";
  Status SaveList(std::string_view name, const Roaring& members) EXCLUDES(update_mu_, mu_);

  // Defines (or redefines) a segment over the loaded table and saves it.
  Result<segment::SegmentInfo> DefineSegment(std::string_view name, std::string_view expression, int64_t now_ms)
      EXCLUDES(update_mu_, mu_);
  Status DropSegment(std::string_view name) EXCLUDES(update_mu_, mu_);
  Result<std::vector<segment::SegmentInfo>> ListSegments() EXCLUDES(mu_);
  // The segment and its definition history (version, definition), oldest first.
  Result<std::pair<segment::SegmentInfo, std::vector<std::pair<uint32_t, std::string>>>> GetSegment(
      std::string_view name) EXCLUDES(mu_);
  // A segment's members (a copy); kNotFound when there is no such segment.
  Result<Roaring> Members(std::string_view name) EXCLUDES(mu_);
  // Every OneID with a profile in the trait table (a copy).
  Result<Roaring> Everyone() EXCLUDES(mu_);
  // The members of a segment (by name) or of an expression. With `unknown_trait_is_error`,
  // an expression naming a trait no profile has is kNotFound (a mistyped segment name);
  // an aggregate not yet computed is kFailedPrecondition.
  Result<Roaring> GroupOf(std::string_view segment_or_expression, bool unknown_trait_is_error) EXCLUDES(mu_);
  // Evaluates `expr` (its aggregates must be computed traits: kFailedPrecondition otherwise).
  Result<Roaring> Evaluate(const segment::Expr& expr) EXCLUDES(mu_);
  // "no profile has the trait 'x'" for each trait of `expr` no profile has.
  Result<std::vector<std::string>> UnknownTraitWarnings(const segment::Expr& expr) EXCLUDES(mu_);
  // The segments `oneid` is a member of; empty while nothing is loaded (nothing is read).
  // With `wait` false, kUnavailable instead of waiting while a change holds the state.
  Result<std::vector<std::string>> SegmentsOf(uint64_t oneid, bool wait = true) const EXCLUDES(mu_);
  // Typed trait values of one profile, by name (std::monostate when missing); kNotFound
  // when it has no row, kFailedPrecondition while nothing is loaded.
  Result<std::vector<segment::TraitValue>> Values(uint64_t oneid, const std::vector<std::string>& names) const
      EXCLUDES(mu_);
  // The group-profile dimensions of `members`: every trait of `dimensions` the table has
  // (exact numeric columns of at most 30 values, string and set columns) and the overlap
  // with every saved segment except `label`; *population: every row.
  Result<std::vector<analytics::Dimension>> GroupDimensions(const std::vector<std::string_view>& dimensions,
                                                            std::string_view label, Roaring* population)
      EXCLUDES(mu_);

 private:
  // A table and its segments, built beside the readers.
  struct Loaded;
  Result<std::unique_ptr<Loaded>> Load() REQUIRES(update_mu_) EXCLUDES(mu_);
  Status EnsureLoadedLocked() REQUIRES(update_mu_) EXCLUDES(mu_);
  // Loads the state if any segment is saved (a no-op otherwise).
  Status LoadIfAnySegmentLocked() REQUIRES(update_mu_) EXCLUDES(mu_);
  // Reads the whole table again beside the readers, swaps it in, reconciles and saves the
  // segments at `epoch`. REQUIRES: loaded.
  Status ReloadTableLocked(const std::string& epoch) REQUIRES(update_mu_) EXCLUDES(mu_);
  Status LoadComputedTraitsLocked() REQUIRES(update_mu_) EXCLUDES(mu_);
  Status RefreshLocked(const std::vector<uint64_t>& changed, bool full, std::string epoch) REQUIRES(update_mu_)
      EXCLUDES(mu_);
  // Reads the whole table from the profiles.
  Result<std::unique_ptr<segment::TraitTable>> ReadTable() const;
  // The fixed member lists, by name.
  Result<std::vector<std::pair<std::string, Roaring>>> ReadLists() const;
  // The rows of `ids` (and their household ties) as stored now; nullopt: no profile.
  Result<std::vector<std::pair<uint32_t, std::optional<segment::TraitRow>>>> ReadRows(
      const std::vector<uint64_t>& ids) const;
  // Saves `names` (their records, versions and members, serialized under mu_ by the
  // caller) and the epoch they are exact for.
  struct SavedSegment {
    std::string name;
    std::string record;      // version8 created8 updated8 definition
    uint64_t version = 0;
    std::string definition;
    std::string members;     // Roaring portable
  };
  SavedSegment Snapshot(const std::string& name) const REQUIRES_SHARED(mu_);
  // After a change was applied in memory: the table is exact as of `epoch`; returns the
  // changed segments to save.
  std::vector<SavedSegment> Settle(const segment::SegmentDelta& delta, const std::string& epoch) REQUIRES(mu_);
  Status Save(const std::vector<SavedSegment>& segments, const std::string& epoch) REQUIRES(update_mu_);
  Status CheckComputed(const segment::Expr& expr) const REQUIRES_SHARED(mu_);
  std::vector<std::string> UnknownTraits(const segment::Expr& expr) const REQUIRES_SHARED(mu_);

  storage::Store* const store_;
  Mutex update_mu_ ACQUIRED_BEFORE(mu_);
  Log log_ GUARDED_BY(update_mu_);
  mutable SharedMutex mu_;
  ComputedList computed_ GUARDED_BY(mu_);
  std::unique_ptr<segment::TraitTable> table_ GUARDED_BY(mu_);     // null until loaded
  std::unique_ptr<segment::SegmentSet> segments_ GUARDED_BY(mu_);  // null until loaded
  std::string table_epoch_ GUARDED_BY(mu_);                        // the profiles' epoch table_ reflects
};

}  // namespace holo::engine
