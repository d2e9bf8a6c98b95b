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
//   3. consent records, vault entries, dirty marks and logged groups are cleared, the identifiers go
//      on the suppression list, and dead-letter lines holding the raw value are dropped;
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

// Drops the lines of `path` that contain `needle`; returns how many.
Result<uint64_t> DropLinesContaining(const std::string& path, const std::string& needle) {
  std::error_code ec;
  if (needle.empty() || !fs::exists(path, ec)) return uint64_t{0};
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::string kept, line;
  uint64_t dropped = 0;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) {
      ++dropped;
    } else {
      kept += line;
      kept += '\n';
    }
  }
  if (dropped == 0) return dropped;
  const std::string tmp = path + ".erasing";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << kept;
    if (!out.flush()) return Status::IOError("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot replace " + path + ": " + ec.message());
  return dropped;
}

}  // namespace

privacy::Pseudonym EngineImpl::SuppressionHash(const privacy::Pseudonym& node) const {
  // Keyed by the root (generation-0) pseudonym, so that entries survive key rotation.
  return pseudonymizer_.RootHash("suppressed", privacy::PseudonymToHex(pseudonymizer_.Root(node)));
}

Status EngineImpl::LoadSuppressions() {
  MutexLock lock(&suppress_mu_);
  suppressed_.clear();
  auto it = store_->NewCursor(Cf::kMeta);
  const std::string_view prefix = keys::kSuppressedPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 16 || it->value().size() != 8) continue;
    suppressed_[keys::ToKey16(it->key().substr(prefix.size()))] =
        static_cast<int64_t>(coding::DecodeFixed64BE(it->value().data()));
  }
  return it->status().WithContext("load suppression list");
}

void EngineImpl::SuppressedConsent(const storage::EventRecord& event, std::vector<privacy::ConsentRecord>* out) {
  MutexLock lock(&suppress_mu_);
  if (suppressed_.empty()) return;
  for (const storage::EventId& id : event.ids) {
    if (id.placeholder() || suppress_applied_.count(id.pseudonym)) continue;
    auto it = suppressed_.find(SuppressionHash(id.pseudonym));
    if (it == suppressed_.end()) continue;
    suppress_applied_.insert(id.pseudonym);
    for (size_t p = 0; p < privacy::kPurposeCount; ++p) {
      privacy::ConsentRecord r;
      r.node = id.pseudonym;
      r.purpose = p;
      r.ts_ms = it->second;
      r.given = false;
      r.source = "erasure";
      out->push_back(std::move(r));
    }
  }
}

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

  // 3. Consent records, marks, logged groups; the suppression list; dead letters.
  {
    storage::WriteBatch batch(*store_);
    const int64_t now = Now();
    std::string when;
    coding::PutFixed64BE(&when, static_cast<uint64_t>(now));
    for (const auto& node : members) {
      std::string_view k = keys::AsView(node);
      batch.DeleteRange(Cf::kConsent, k, keys::PrefixSuccessor(k));
      auto vit = store_->NewCursor(Cf::kVault);  // the person's encrypted raw values
      for (vit->Seek(k); vit->Valid() && vit->key().starts_with(k); vit->Next()) {
        batch.Delete(Cf::kVault, vit->key());
        report->vault_entries_removed++;
      }
      HOLO_RETURN_IF_ERROR(vit->status().WithContext("scan the vault"));
      batch.Delete(Cf::kMeta, keys::DirtyNode(node));
      const privacy::Pseudonym h = SuppressionHash(node);
      batch.Put(Cf::kMeta, std::string(keys::kSuppressedPrefix) + std::string(keys::AsView(h)), when);
    }
    HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
    MutexLock lock(&suppress_mu_);
    for (const auto& node : members) {
      suppressed_[SuppressionHash(node)] = now;
      suppress_applied_.erase(node);
    }
  }
  HOLO_RETURN_IF_ERROR(release_.Forget(oneid));
  consent_.Erase(oneid);
  if (auto colon = id.find(':'); colon != std::string_view::npos) {
    // The raw value as the person gave it in the request: lines of the dead-letter file
    // holding it (rejected messages keep their raw text) go too.
    HOLO_ASSIGN_OR_RETURN(report->dead_letters_removed,
                          DropLinesContaining((fs::path(options_.data_dir) / "dead_letter.jsonl").string(),
                                              std::string(id.substr(colon + 1))));
  }

  // 4. Re-resolve; profiles, links, traits and segments follow.
  HOLO_RETURN_IF_ERROR(ResolveWith(false, 1.0, "erase", &report->resolve));
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

}  // namespace holo::engine
