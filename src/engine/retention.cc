// EngineImpl's retention windows (docs/privacy.md): per source, enforced by the
// events' compaction filter (storage::Retention), with the profiles that depended
// on expired events rebuilt by ApplyRetention; and the dead-letter file's window
// ("dead_letter", 30 days unless set), enforced at open, after an ingest run and by
// ApplyRetention.
#include <simdjson.h>

#include <chrono>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "identity/graph_store.h"
#include "profile/profile_builder.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
// The retention settings' name for the dead-letter file's window (not a source).
constexpr std::string_view kDeadLetterWindow = "dead_letter";

std::string RetentionToJson(const std::map<std::string, int64_t>& windows) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [source, ms] : windows) w.Key(source).Int(ms / kDayMs);
  w.EndObject();
  return out;
}

}  // namespace

Result<std::map<std::string, int64_t>> EngineImpl::ParseRetention(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get_object().get(obj)) {
    return Status::InvalidArgument("retention: expected a JSON object {\"source\": days, ...}");
  }
  std::map<std::string, int64_t> out;
  for (auto [source, days] : obj) {
    HOLO_RETURN_IF_ERROR(ValidateSourceName(source, "retention"));
    int64_t d = 0;
    if (days.get_int64().get(d) || d < 1 || d > 36500) {
      return Status::InvalidArgument("retention: " + std::string(source) + " must be a whole number of days in [1, 36500]");
    }
    out[std::string(source)] = d * kDayMs;
  }
  return out;
}

Result<std::string> EngineImpl::RetentionJson() {
  auto windows = store_->retention().Get();
  const int64_t dead = dead_letter_window_ms_.load();
  if (dead != kDeadLetterRetentionMs) windows[std::string(kDeadLetterWindow)] = dead;
  return RetentionToJson(windows);
}

void EngineImpl::SetWindows(std::map<std::string, int64_t> windows) {
  // "dead_letter" is the dead-letter file's window, not a source's: the events' compaction
  // filter never sees it.
  auto dead = windows.extract(std::string(kDeadLetterWindow));
  dead_letter_window_ms_.store(dead.empty() ? kDeadLetterRetentionMs : dead.mapped());
  store_->retention().Set(std::move(windows));
}

Status EngineImpl::SetRetention(std::string_view json) {
  HOLO_ASSIGN_OR_RETURN(auto windows, ParseRetention(json));
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kRetention, RetentionToJson(windows), /*sync=*/true));
  SetWindows(std::move(windows));
  return Status::OK();
}

Status EngineImpl::MaintainDeadLetters(std::string_view erase_value, ingest::DeadLetterMaintenance* report) {
  return ingest_.MaintainDeadLetters(dead_letter_window_ms_.load(), erase_value, report);
}

Status EngineImpl::ReadDeadLetters(size_t limit, const std::function<void(std::string_view)>& each,
                                   uint64_t* unopened) {
  return ingest_.ReadDeadLetters(limit, each, unopened);
}

Status EngineImpl::ApplyRetention(RetentionReport* report) {
  MutexLock changing(&change_mu_);
  *report = RetentionReport();
  auto start = std::chrono::steady_clock::now();
  ingest::DeadLetterMaintenance dead;
  HOLO_RETURN_IF_ERROR(MaintainDeadLetters("", &dead));
  report->dead_letters_expired = dead.expired;
  if (store_->retention().empty()) return Status::OK();
  const int64_t now = Now();
  // The people whose traits depend on expired events, and the index entries of those events.
  storage::WriteBatch batch(*store_);
  std::unordered_set<uint64_t> owners;
  {
    auto it = store_->NewCursor(Cf::kEvents);
    storage::EventRecord ev;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
      if (!store_->retention().Expired(ev.source, ev.timestamp_ms, now)) continue;
      report->expired_events++;
      const uint64_t seq = coding::DecodeFixed64BE(it->key().data());
      for (const auto& id : ev.ids) batch.Delete(Cf::kNodeEvents, keys::NodeEventKey(id.pseudonym, seq));
      if (int owner = profile::AttributionIndex(ev); owner >= 0) {
        HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity::LookupOneId(*store_, ev.ids[owner].pseudonym));
        if (oneid != 0) owners.insert(oneid);
      }
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events"));
  }
  // Vault entries carry the time and source of the newest event that gave them: the same
  // compaction filter drops those past their source's window.
  HOLO_RETURN_IF_ERROR(store_->Compact(Cf::kVault));
  if (report->expired_events == 0) return Status::OK();
  for (uint64_t oneid : owners) batch.Put(Cf::kMeta, keys::DirtyProfile(oneid), "");
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  // The compaction drops the expired events (the filter decides, as in every compaction).
  HOLO_RETURN_IF_ERROR(store_->Compact(Cf::kEvents));
  ResolveReport resolve;
  HOLO_RETURN_IF_ERROR(ResolveWith(false, 1.0, "retention", &resolve));
  report->profiles_rebuilt = resolve.profiles_written;
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

}  // namespace holo::engine
