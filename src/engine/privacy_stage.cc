// PrivacyStage: privacy's state and its part of the engine's writes (docs/privacy.md).
//
// The ledger (column family `consent`) is written in the same atomic write as the events
// that carry the decisions, and folded into the consent index at once, so that a withdrawal
// counts from the next read. Raw values a use needs go to the vault, sealed; the event keeps
// none. An erased person's identifiers go on the suppression list (meta "sup/" + a keyed hash
// of the root pseudonym, so that entries survive key rotation); seen again, each gets every
// purpose withdrawn as of the erasure.
#include "engine/privacy_stage.h"

#include <simdjson.h>

#include "common/coding.h"
#include "profile/profile_builder.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr std::string_view kGiven = "Consent Given";
constexpr std::string_view kWithdrawn = "Consent Withdrawn";

}  // namespace

PrivacyStage::PrivacyStage(storage::Store* store, const privacy::Pseudonymizer* pseudonymizer,
                           const privacy::VaultKey& vault_key)
    : store_(store), pseudonymizer_(pseudonymizer), vault_key_(vault_key), consent_(store) {}

Status PrivacyStage::Load(bool read_only) {
  HOLO_ASSIGN_OR_RETURN(auto policy, store_->Get(Cf::kMeta, keys::kConsentPolicy));
  if (policy.has_value()) {
    HOLO_ASSIGN_OR_RETURN(privacy::ConsentPolicy parsed, privacy::ConsentPolicy::Parse(*policy));
    consent_.SetPolicy(std::move(parsed));
  }
  if (!read_only) HOLO_RETURN_IF_ERROR(BackfillConsentLedger());
  return LoadSuppressions();
}

// ---- the ingest write ----

void PrivacyStage::ConsentRecordsOf(const storage::EventRecord& event, const privacy::Pseudonym& node, uint64_t seq,
                                    std::vector<privacy::ConsentRecord>* out) {
  if (event.event != kGiven && event.event != kWithdrawn) return;
  simdjson::dom::parser parser;
  simdjson::dom::array purposes;
  if (parser.parse(event.properties_json).get_object()["purposes"].get_array().get(purposes)) return;
  for (simdjson::dom::element e : purposes) {
    std::string_view name;
    if (e.get_string().get(name)) continue;
    auto i = privacy::PurposeIndex(name);
    if (!i) continue;  // unknown purposes are not recorded (docs/privacy.md)
    privacy::ConsentRecord r;
    r.node = node;
    r.purpose = *i;
    r.ts_ms = event.timestamp_ms;
    r.seq = seq;
    r.given = event.event == kGiven;
    r.source = event.source;
    out->push_back(std::move(r));
  }
}

void PrivacyStage::Add(const storage::EventRecord& event, const privacy::Pseudonym& owner, uint64_t seq,
                       const std::vector<std::string>& vault_values, WritePart* part) {
  {
    // An erased identifier seen again: every purpose withdrawn at the erasure, once.
    MutexLock lock(&suppress_mu_);
    if (!suppressed_.empty()) {
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
          part->consent_.push_back(std::move(r));
        }
      }
    }
  }
  ConsentRecordsOf(event, owner, seq, &part->consent_);
  for (const std::string& plain : vault_values) {
    storage::VaultRecord vr;
    vr.timestamp_ms = event.timestamp_ms;
    vr.source = event.source;
    vr.sealed = privacy::VaultSeal(vault_key_, plain);
    std::string value;
    vr.EncodeTo(&value);
    part->vault_.emplace_back(keys::VaultEntryKey(owner, privacy::VaultTag(vault_key_, plain)), std::move(value));
  }
}

void PrivacyStage::WritePart::AppendTo(storage::WriteBatch* batch) const {
  for (const privacy::ConsentRecord& r : consent_) {
    batch->Put(Cf::kConsent, privacy::ConsentKey(r), privacy::ConsentValue(r));
  }
  for (const auto& [key, value] : vault_) batch->Put(Cf::kVault, key, value);
}

Status PrivacyStage::Written(const WritePart& part) {
  if (part.consent_.empty()) return Status::OK();
  return consent_.Fold(part.consent_);
}

Status PrivacyStage::BackfillConsentLedger() {
  HOLO_ASSIGN_OR_RETURN(auto done, store_->Get(Cf::kMeta, keys::kConsentLedgerBuilt));
  if (done.has_value()) return Status::OK();
  // A store written before the ledger existed: its consent events are read into it once.
  storage::WriteBatch batch(*store_);
  auto it = store_->NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  std::vector<privacy::ConsentRecord> records;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
    if (ev.event != kGiven && ev.event != kWithdrawn) continue;
    int owner = profile::AttributionIndex(ev);
    if (owner < 0) continue;
    records.clear();
    ConsentRecordsOf(ev, ev.ids[owner].pseudonym, coding::DecodeFixed64BE(it->key().data()), &records);
    for (const auto& r : records) {
      batch.Put(Cf::kConsent, privacy::ConsentKey(r), privacy::ConsentValue(r));
    }
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events for consent"));
  batch.Put(Cf::kMeta, keys::kConsentLedgerBuilt, "1");
  return store_->Write(&batch, /*sync=*/true);
}

// ---- the vault ----

Result<std::string> PrivacyStage::OpenVaultValue(std::string_view value) const {
  storage::VaultRecord vr;
  if (!vr.DecodeFrom(value)) return Status::DataLoss("malformed vault record");
  return privacy::VaultOpen(vault_key_, vr.sealed);
}

Result<std::vector<std::pair<privacy::Pseudonym, std::string>>> PrivacyStage::VaultEntriesOf(
    const std::vector<privacy::Pseudonym>& nodes) const {
  std::vector<std::pair<privacy::Pseudonym, std::string>> out;
  auto it = store_->NewCursor(Cf::kVault);
  for (const auto& node : nodes) {
    const std::string_view k = keys::AsView(node);
    for (it->Seek(k); it->Valid() && it->key().starts_with(k); it->Next()) {
      HOLO_ASSIGN_OR_RETURN(std::string plain, OpenVaultValue(it->value()));
      out.emplace_back(node, std::move(plain));
    }
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("read the vault"));
  return out;
}

// ---- erasure and the suppression list ----

privacy::Pseudonym PrivacyStage::SuppressionHash(const privacy::Pseudonym& node) const {
  // Keyed by the root (generation-0) pseudonym, so that entries survive key rotation.
  return pseudonymizer_->RootHash("suppressed", privacy::PseudonymToHex(pseudonymizer_->Root(node)));
}

Status PrivacyStage::LoadSuppressions() {
  std::unordered_map<keys::Key16, int64_t, keys::Key16Hash> loaded;
  auto it = store_->NewCursor(Cf::kMeta);
  const std::string_view prefix = keys::kSuppressedPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 16 || it->value().size() != 8) continue;
    loaded[keys::ToKey16(it->key().substr(prefix.size()))] =
        static_cast<int64_t>(coding::DecodeFixed64BE(it->value().data()));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("load suppression list"));
  MutexLock lock(&suppress_mu_);
  suppressed_ = std::move(loaded);
  return Status::OK();
}

Status PrivacyStage::AddErasure(const std::vector<privacy::Pseudonym>& nodes, int64_t now_ms,
                                storage::WriteBatch* batch, uint64_t* vault_removed) const {
  std::string when;
  coding::PutFixed64BE(&when, static_cast<uint64_t>(now_ms));
  auto vit = store_->NewCursor(Cf::kVault);  // the person's encrypted raw values
  for (const auto& node : nodes) {
    const std::string_view k = keys::AsView(node);
    batch->DeleteRange(Cf::kConsent, k, keys::PrefixSuccessor(k));
    for (vit->Seek(k); vit->Valid() && vit->key().starts_with(k); vit->Next()) {
      batch->Delete(Cf::kVault, vit->key());
      ++*vault_removed;
    }
    const privacy::Pseudonym h = SuppressionHash(node);
    batch->Put(Cf::kMeta, std::string(keys::kSuppressedPrefix) + std::string(keys::AsView(h)), when);
  }
  return vit->status().WithContext("scan the vault");
}

void PrivacyStage::Erased(const std::vector<privacy::Pseudonym>& nodes, uint64_t oneid, int64_t now_ms) {
  {
    MutexLock lock(&suppress_mu_);
    for (const auto& node : nodes) {
      suppressed_[SuppressionHash(node)] = now_ms;
      suppress_applied_.erase(node);
    }
  }
  consent_.Erase(oneid);
}

bool PrivacyStage::Suppressed(const privacy::Pseudonym& node) const {
  const privacy::Pseudonym h = SuppressionHash(node);
  MutexLock lock(&suppress_mu_);
  return suppressed_.count(h) > 0;
}

}  // namespace holo::engine
