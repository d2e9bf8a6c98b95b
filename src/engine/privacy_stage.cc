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

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "identity/graph_store.h"
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

// ---- decisions recorded by the CLI or the API, the consent document, the policy ----

Status PrivacyStage::RecordDecision(const std::vector<privacy::Pseudonym>& nodes, const std::vector<uint64_t>& oneids,
                                    const Decision& decision, int64_t now_ms) {
  // A decision recorded now is the person's latest: it is stamped after every decision the
  // ledger already holds for the purpose, even one stamped in the same millisecond (which
  // would otherwise win on its event sequence) or a little ahead by a client's clock.
  std::array<int64_t, privacy::kPurposeCount> at;
  at.fill(decision.at_ms != 0 ? decision.at_ms : now_ms);
  if (decision.at_ms == 0) {
    std::vector<uint64_t> people = oneids;
    std::sort(people.begin(), people.end());
    people.erase(std::unique(people.begin(), people.end()), people.end());
    std::vector<privacy::ConsentRecord> ledger;
    for (uint64_t oneid : people) HOLO_RETURN_IF_ERROR(consent_.LedgerOf(oneid, &ledger));
    for (const privacy::ConsentRecord& r : ledger) at[r.purpose] = std::max(at[r.purpose], r.ts_ms + 1);
  }
  storage::WriteBatch batch(*store_);
  for (const auto& node : nodes) {
    for (size_t p : decision.purposes) {
      privacy::ConsentRecord r;
      r.node = node;
      r.purpose = p;
      r.ts_ms = at[p];
      r.given = decision.given;
      r.source = decision.source;
      batch.Put(Cf::kConsent, privacy::ConsentKey(r), privacy::ConsentValue(r));
    }
  }
  // The decision and the profiles it changes (their consent_<purpose> traits, and so every
  // segment using consent("...")) are marked in one write: a crash before the rebuild
  // leaves the marks for the next resolve.
  for (uint64_t oneid : oneids) batch.Put(Cf::kMeta, keys::DirtyProfile(oneid), "");
  return store_->Write(&batch, /*sync=*/true);
}

Status PrivacyStage::SetConsentPolicy(std::string_view json) {
  HOLO_ASSIGN_OR_RETURN(privacy::ConsentPolicy policy, privacy::ConsentPolicy::Parse(json));
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kConsentPolicy, policy.ToJson(), /*sync=*/true));
  consent_.SetPolicy(std::move(policy));
  return Status::OK();
}

Result<std::string> PrivacyStage::ConsentJson(uint64_t oneid, std::array<bool, privacy::kPurposeCount>* given) const {
  std::vector<privacy::ConsentRecord> records;
  size_t members = 0;
  HOLO_RETURN_IF_ERROR(consent_.LedgerOf(oneid, &records, &members));
  if (members == 0) return Status::NotFound("no OneID " + std::to_string(oneid));
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ts_ms, a.seq, a.purpose) < std::tie(b.ts_ms, b.seq, b.purpose);
  });
  privacy::PersonConsent person;
  for (const auto& r : records) person.Fold(r);
  const std::array<bool, privacy::kPurposeCount> state = consent_.GivenAll(person);
  if (given != nullptr) *given = state;
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("purposes").BeginObject();
  for (size_t i = 0; i < privacy::kPurposeCount; ++i) {
    const privacy::PurposeState& s = person.purposes[i];
    w.Key(privacy::kPurposes[i]).BeginObject();
    w.Key("given").Bool(state[i]).Key("decided").Bool(s.decided);
    if (s.decided) w.Key("at").String(FormatIso8601Ms(s.ts_ms)).Key("source").String(s.source);
    w.EndObject();
  }
  w.EndObject().Key("history").BeginArray();
  std::map<keys::Key16, std::string> types;  // a person decides many times on few identifiers
  for (const auto& r : records) {
    auto type = types.find(r.node);
    if (type == types.end()) {
      HOLO_ASSIGN_OR_RETURN(std::string t, identity::NodeType(*store_, r.node));
      type = types.emplace(r.node, std::move(t)).first;
    }
    w.BeginObject().Key("purpose").String(privacy::kPurposes[r.purpose]).Key("given").Bool(r.given);
    w.Key("at").String(FormatIso8601Ms(r.ts_ms)).Key("source").String(r.source);
    w.Key("identifier_type").String(type->second).Key("identifier").String(privacy::PseudonymToHex(r.node));
    if (r.seq != 0) {
      w.Key("event_seq").Uint(r.seq);
    } else {
      w.Key("event_seq").Null();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
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
    const std::vector<privacy::Pseudonym>& nodes, std::vector<privacy::Pseudonym>* unopened) const {
  std::vector<std::pair<privacy::Pseudonym, std::string>> out;
  auto it = store_->NewCursor(Cf::kVault);
  for (const auto& node : nodes) {
    const std::string_view k = keys::AsView(node);
    for (it->Seek(k); it->Valid() && it->key().starts_with(k); it->Next()) {
      auto plain = OpenVaultValue(it->value());
      if (!plain.ok()) {  // reported by the caller, never fatal to the whole answer
        if (unopened != nullptr) unopened->push_back(node);
        continue;
      }
      out.emplace_back(node, std::move(*plain));
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
