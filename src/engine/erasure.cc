// EngineImpl::ErasePerson: the right to erasure (docs/privacy.md).
//
// Order of the work, each step durable before the next, so that an interrupted
// erasure can simply be run again:
//   1. one scan of every event: the person's own events (attributed to one of their
//      identifiers) are listed for deletion; other people's events that name the
//      person (an identifier among theirs, or a reference such as `card_owner`) are
//      rewritten without it;
//   2. the person's events are removed with the evidence they carried (edge and node
//      counts; identity::RemoveEvent), then the person's identifiers leave the graph
//      (identity::EraseNode: edges, membership, history, event index);
//   3. consent records, vault entries, dirty marks, partner-match tags and logged groups are
//      cleared, the identifiers go on the suppression list, the stores' sightings of the
//      person's devices are deleted, and dead-letter lines holding the raw value are dropped;
//   4. resolution re-resolves the neighbours (components the person's evidence held
//      together split), deletes the profile and its people-graph links, rebuilds the
//      profiles of people whose events were rewritten, and refreshes traits and segments.
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/coding.h"
#include "common/hex.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "identity/evidence.h"
#include "identity/graph_store.h"
#include "identity/match_tags.h"
#include "profile/profile_builder.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
namespace fs = std::filesystem;

// `text` with every 32-hex-digit run that is one of `hexes` replaced by "erased";
// false when there was none.
bool ScrubHex(const std::unordered_set<std::string>& hexes, std::string* text) {
  bool changed = false;
  std::string out;
  size_t i = 0, copied = 0;
  while (i < text->size()) {
    if (!hex::IsLowerDigit((*text)[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text->size() && hex::IsLowerDigit((*text)[j])) ++j;
    if (j - i == 32 && hexes.count(text->substr(i, 32))) {
      out.append(*text, copied, i - copied);
      out += "erased";
      copied = j;
      changed = true;
    }
    i = j;
  }
  if (!changed) return false;
  out.append(*text, copied, std::string::npos);
  *text = std::move(out);
  return true;
}

}  // namespace

Status EngineImpl::ErasePerson(std::string_view id, ErasureReport* report) {
  MutexLock changing(&change_mu_);
  *report = ErasureReport();
  auto start = std::chrono::steady_clock::now();
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  HOLO_ASSIGN_OR_RETURN(std::vector<privacy::Pseudonym> members, identity::Members(*store_, oneid));
  if (members.empty()) return Status::NotFound("no person with OneID " + std::to_string(oneid));
  report->oneid = oneid;
  report->identifiers = members.size();
  std::unordered_set<keys::Key16, keys::Key16Hash> mine(members.begin(), members.end());
  std::unordered_set<std::string> hexes;
  for (const auto& m : members) hexes.insert(privacy::PseudonymToHex(m));

  // 1. One scan of the events.
  std::vector<std::pair<std::string, std::string>> own;  // (source, messageId)
  storage::WriteBatch rewrites(*store_);
  std::unordered_set<uint64_t> touched_people;
  {
    auto it = store_->NewCursor(Cf::kEvents);
    storage::EventRecord ev;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
      const int owner = profile::AttributionIndex(ev);
      if (owner >= 0 && mine.count(ev.ids[owner].pseudonym)) {
        own.emplace_back(ev.source, ev.message_id);
        continue;
      }
      const size_t before = ev.ids.size();
      const keys::Key16 owner_node = owner >= 0 ? ev.ids[owner].pseudonym : keys::Key16{};
      std::erase_if(ev.ids, [&](const storage::EventId& e) { return mine.count(e.pseudonym) > 0; });
      bool changed = ev.ids.size() != before;
      changed |= ScrubHex(hexes, &ev.properties_json);
      if (!changed) continue;
      std::string value;
      ev.EncodeTo(&value);
      rewrites.Put(Cf::kEvents, it->key(), value);
      report->events_rewritten++;
      if (owner >= 0) {
        HOLO_ASSIGN_OR_RETURN(uint64_t other, identity::LookupOneId(*store_, owner_node));
        if (other != 0 && other != oneid) touched_people.insert(other);
      }
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events"));
  }
  for (uint64_t other : touched_people) rewrites.Put(Cf::kMeta, keys::DirtyProfile(other), "");
  HOLO_RETURN_IF_ERROR(store_->Write(&rewrites, /*sync=*/true));

  // 2. The person's events with their evidence, then their identifiers; one sync for all.
  for (const auto& [source, message_id] : own) {
    identity::RemovedEvent removed;
    Status s = identity::RemoveEvent(store_.get(), source, message_id, &removed, /*sync=*/false);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    report->events_deleted++;
  }
  for (const auto& node : members) {
    // kNotFound: RemoveEvent took it with its last event.
    Status s = identity::EraseNode(store_.get(), node, /*sync=*/false);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  HOLO_RETURN_IF_ERROR(store_->SyncWal());

  // 3. Privacy's part (consent records, vault entries, the suppression list), dirty marks,
  // logged groups; dead letters.
  {
    storage::WriteBatch batch(*store_);
    const int64_t now = Now();
    HOLO_RETURN_IF_ERROR(privacy_.AddErasure(members, now, &batch, &report->vault_entries_removed));
    for (const auto& node : members) batch.Delete(Cf::kMeta, keys::DirtyNode(node));
    HOLO_ASSIGN_OR_RETURN(const uint64_t tags, identity::EraseMatchTags(*store_, mine, &batch));
    (void)tags;  // the partner-match tags of the person's e-mails and phones
    HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
    privacy_.Erased(members, oneid, now);
  }
  // The sightings of their devices in the stores (a MAC or beacon device among their
  // identifiers).
  HOLO_ASSIGN_OR_RETURN(report->store_observations_removed,
                        stores_->EraseDevices([&](const std::array<uint8_t, 16>& device) {
                          keys::Key16 k;
                          std::copy(device.begin(), device.end(), k.begin());
                          return mine.count(k) > 0;
                        }));
  if (auto colon = id.find(':'); colon != std::string_view::npos) {
    // The raw value as the person gave it in the request: dead-letter records holding it
    // (rejected messages keep their raw text, sealed) go too.
    // The records are sealed: each is opened in memory to be searched.
    ingest::DeadLetterMaintenance dead;
    HOLO_RETURN_IF_ERROR(MaintainDeadLetters(id.substr(colon + 1), &dead));
    report->dead_letters_removed = dead.erased;
  }

  // 4. Re-resolve; profiles, links, traits and segments follow.
  HOLO_RETURN_IF_ERROR(ResolveWith(false, 1.0, "erase", &report->resolve));
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

}  // namespace holo::engine
