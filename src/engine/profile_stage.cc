#include "engine/profile_stage.h"

#include <string>
#include <vector>

#include "common/coding.h"
#include "common/hex.h"
#include "engine/audiences.h"
#include "engine/consent_index.h"
#include "identity/graph_store.h"
#include "privacy/consent.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {

using storage::Cf;
namespace keys = storage::keys;

Status ProfileStage::Backfill() {
  // The event index, version 3: rows grouped by the OneID of the event (version 2 rows were
  // keyed by sequence and carried the owner identifier; version 1 rows were empty).
  HOLO_ASSIGN_OR_RETURN(auto done, store_->Get(Cf::kMeta, keys::kEventIndexBuilt));
  if (!done.has_value() || *done != keys::kEventIndexVersion) {
    if (!done.has_value() || *done == "1") {
      // Since version 2, computed traits are stored apart from the profiles (profile_store.h):
      // the values a store kept in its profiles move to their columns.
      std::vector<std::string> computed;
      {
        auto t = store_->NewCursor(Cf::kSegments);
        const std::string prefix = keys::SegmentsKey(keys::kComputedTraitTag, "");
        for (t->Seek(prefix); t->Valid() && t->key().starts_with(prefix); t->Next()) {
          computed.emplace_back(t->key().substr(1));
        }
        HOLO_RETURN_IF_ERROR(t->status().WithContext("scan computed traits"));
      }
      uint64_t moved = 0;
      HOLO_RETURN_IF_ERROR(profile::MoveComputedTraitsToColumns(store_, computed, &moved));
    }
    uint64_t rows = 0;
    HOLO_RETURN_IF_ERROR(profile::RebuildEventIndex(store_, &rows));
    HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kEventIndexBuilt, keys::kEventIndexVersion, /*sync=*/true));
  }
  // Typed trait rows: after the index, when the profiles hold only built-in traits.
  HOLO_ASSIGN_OR_RETURN(auto rows_done, store_->Get(Cf::kMeta, keys::kTraitRowsBuilt));
  if (rows_done.has_value()) return Status::OK();
  uint64_t rows = 0;
  HOLO_RETURN_IF_ERROR(profile::BackfillTraitRows(store_, &rows));
  return store_->Put(Cf::kMeta, keys::kTraitRowsBuilt, "1", /*sync=*/true);
}

Result<profile::BuildOptions> ProfileStage::OptionsFor(bool reload_consent) {
  // The consent index must know where resolution moved identifiers before the consent
  // traits are read from it: the OneIDs about to be rebuilt are read from the ledger
  // again (all of them, reloading the index, on a full rebuild).
  if (reload_consent) consent_->Invalidate();
  const int64_t now = clock_();
  if (log_ && !clock_warned_.load()) {
    // Windows end at the clock: data that ended long before it leaves them empty. Say so.
    HOLO_ASSIGN_OR_RETURN(auto newest, store_->Get(Cf::kMeta, keys::kMaxTimestamp));
    const int64_t day = 86400000;
    if (newest.has_value() && newest->size() == 8) {
      const int64_t gap = now - static_cast<int64_t>(coding::DecodeFixed64BE(newest->data()));
      if (gap > 30 * day && !clock_warned_.exchange(true)) {
        log_("profiles: warning: the newest event is " + std::to_string(gap / day) +
             " days before the clock, so windowed traits (spend_90d, store_visits_90d, ...) see little or none of "
             "the data; to measure as of the data's end, set HOLO_NOW (ISO-8601)");
      }
    }
  }
  profile::BuildOptions bo;
  bo.log = log_;
  bo.computed = audiences_->ComputedTraits();
  bo.as_of_ms = now;
  HOLO_ASSIGN_OR_RETURN(bo.profiles_bound, identity::OneIdsHandedOut(*store_));
  ConsentIndex* consent = consent_;
  bo.before_build = [consent](const std::vector<uint64_t>& oneids) {
    HOLO_RETURN_IF_ERROR(consent->Refresh(oneids));  // a no-op until the index is loaded
    return consent->Ensure();
  };
  bo.consent = [consent](uint64_t oneid, std::string_view purpose) {
    auto i = privacy::PurposeIndex(purpose);
    if (!i) return false;
    return consent->Given(oneid, *i);
  };
  // Visits imported from sensor files, of the members a store can see: a MAC, a beacon's
  // device id (the identity graph's pseudonyms, the same the stores keep).
  HOLO_ASSIGN_OR_RETURN(const bool visits, stores_ != nullptr ? stores_->HasVisitDays() : Result<bool>(false));
  if (visits) {
    bo.store_visits = [stores = stores_](const std::vector<profile::ProfileAccumulator::Identifier>& members,
                                         std::vector<std::pair<std::string, int64_t>>* out) -> Status {
      for (const auto& m : members) {
        if (m.type != "mac" && m.type != "device_id") continue;
        std::array<uint8_t, 16> device;
        if (!hex::Decode(m.pseudonym_hex, device.data(), device.size())) continue;
        HOLO_ASSIGN_OR_RETURN(std::vector<stores::StoreVisitDay> days, stores->VisitDaysOf(device));
        for (const auto& d : days) out->emplace_back(d.store, d.last_us / 1000);
      }
      return Status::OK();
    };
  }
  return bo;
}

Status ProfileStage::RebuildProfiles(const Rebuild& how, profile::BuildStats* stats) {
  if (how.all) HOLO_RETURN_IF_ERROR(MarkAllDirty());
  HOLO_ASSIGN_OR_RETURN(profile::BuildOptions bo, OptionsFor(how.all || how.reload_consent));
  bo.force_full = how.all;
  bo.full_threshold = how.full_threshold;
  HOLO_RETURN_IF_ERROR(profile::BuildPendingProfiles(store_, bo, stats));
  HOLO_RETURN_IF_ERROR(audiences_->Refresh(stats->changed, stats->full));
  if (on_changed_) on_changed_(stats->changed, stats->full);
  if (stats->full || how.reload_consent) {
    // A full pass deleted every dirty mark one key at a time; compact them away so that
    // the next incremental resolve's scan of the marks does not step over millions of
    // deletion markers (measured: p50 782 ms -> 7.9 ms per event on a 14.9M-identifier store).
    HOLO_RETURN_IF_ERROR(store_->CompactPrefix(Cf::kMeta, "d/"));
  }
  return Status::OK();
}

Status ProfileStage::RebuildMarked() {
  profile::BuildStats stats;
  return RebuildProfiles(Rebuild(), &stats);
}

Status ProfileStage::RebuildAll(uint64_t* written) {
  Rebuild how;
  how.all = true;
  profile::BuildStats stats;
  HOLO_RETURN_IF_ERROR(RebuildProfiles(how, &stats));
  *written = stats.written;
  return Status::OK();
}

Status ProfileStage::MarkAllDirty() {
  storage::WriteBatch batch(*store_);
  auto it = store_->NewCursor(Cf::kGraph);
  uint64_t last = 0;
  for (it->Seek(keys::kGraphMemberPrefix); it->Valid() && it->key().starts_with(keys::kGraphMemberPrefix); it->Next()) {
    uint64_t id = coding::DecodeFixed64BE(it->key().data() + 1);
    if (id != last) batch.Put(Cf::kMeta, keys::DirtyProfile(id), "");
    last = id;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan OneIDs"));
  return store_->Write(&batch, false);
}

}  // namespace holo::engine
