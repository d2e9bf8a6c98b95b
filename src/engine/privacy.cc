// EngineImpl's consent operations (docs/privacy.md): decisions recorded by the CLI or the
// API, the consent document of a person, the policy.
//
// The ledger and the consent index are the PrivacyStage's (privacy_stage.h), which also
// writes the decisions events carry as part of each ingest write. Resolution moves
// identifiers between OneIDs: the OneIDs it changed are recomputed from the ledger.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "identity/graph_store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

}  // namespace

Result<bool> EngineImpl::ConsentAllows(uint64_t oneid, std::string_view use) { return privacy_.consent().Allows(oneid, use); }

bool EngineImpl::HasConsent(uint64_t oneid, std::string_view purpose) {
  auto i = privacy::PurposeIndex(purpose);
  if (!i || !privacy_.consent().Ensure().ok()) return false;
  return privacy_.consent().Given(oneid, *i);
}

Status EngineImpl::RecordConsent(const ConsentChange& change) {
  MutexLock changing(&change_mu_);
  if (change.purposes.empty()) return Status::InvalidArgument("record consent: name at least one purpose");
  HOLO_RETURN_IF_ERROR(ValidateSourceName(change.source, "record consent"));
  std::vector<size_t> purposes;
  for (const std::string& name : change.purposes) {
    auto i = privacy::PurposeIndex(name);
    if (!i) {
      return Status::InvalidArgument("record consent: unknown purpose '" + name +
                                     "' (analytics, personalization, marketing, third_party, location)");
    }
    purposes.push_back(*i);
  }
  HOLO_ASSIGN_OR_RETURN(auto nodes, NodesOf(change.id));
  std::vector<uint64_t> oneids;
  for (const auto& node : nodes) {
    HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity::LookupOneId(*store_, node));
    if (oneid != 0) oneids.push_back(oneid);
  }
  std::sort(oneids.begin(), oneids.end());
  oneids.erase(std::unique(oneids.begin(), oneids.end()), oneids.end());
  // A decision recorded now is the person's latest: it is stamped after every decision the
  // ledger already holds for the purpose, even one stamped in the same millisecond (which
  // would otherwise win on its event sequence) or a little ahead by a client's clock.
  std::array<int64_t, privacy::kPurposeCount> at;
  at.fill(change.at_ms != 0 ? change.at_ms : Now());
  if (change.at_ms == 0) {
    std::vector<privacy::ConsentRecord> ledger;
    for (uint64_t oneid : oneids) HOLO_RETURN_IF_ERROR(privacy_.consent().LedgerOf(oneid, &ledger));
    for (const privacy::ConsentRecord& r : ledger) at[r.purpose] = std::max(at[r.purpose], r.ts_ms + 1);
  }
  storage::WriteBatch batch(*store_);
  for (const auto& node : nodes) {
    for (size_t p : purposes) {
      privacy::ConsentRecord r;
      r.node = node;
      r.purpose = p;
      r.ts_ms = at[p];
      r.given = change.given;
      r.source = change.source;
      batch.Put(Cf::kConsent, privacy::ConsentKey(r), privacy::ConsentValue(r));
    }
  }
  // The decision and the profiles it changes (their consent_<purpose> traits, and so every
  // segment using consent("...")) are marked in one write: a crash before the rebuild
  // leaves the marks for the next resolve.
  for (uint64_t oneid : oneids) batch.Put(Cf::kMeta, keys::DirtyProfile(oneid), "");
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  // The rebuild reads the ledger of the marked OneIDs into the index first (before_build).
  return RebuildMarkedProfiles();
}

Result<std::string> EngineImpl::ConsentJson(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  return ConsentJsonOf(oneid, nullptr);
}

Result<std::string> EngineImpl::ConsentJsonOf(uint64_t oneid, std::array<bool, privacy::kPurposeCount>* given) {
  std::vector<privacy::ConsentRecord> records;
  size_t members = 0;
  HOLO_RETURN_IF_ERROR(privacy_.consent().LedgerOf(oneid, &records, &members));
  if (members == 0) return Status::NotFound("no OneID " + std::to_string(oneid));
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ts_ms, a.seq, a.purpose) < std::tie(b.ts_ms, b.seq, b.purpose);
  });
  privacy::PersonConsent person;
  for (const auto& r : records) person.Fold(r);
  const std::array<bool, privacy::kPurposeCount> state = privacy_.consent().GivenAll(person);
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

Result<std::string> EngineImpl::ConsentPolicyJson() { return privacy_.consent().policy().ToJson(); }

Status EngineImpl::SetConsentPolicy(std::string_view json) {
  MutexLock changing(&change_mu_);
  HOLO_ASSIGN_OR_RETURN(privacy::ConsentPolicy policy, privacy::ConsentPolicy::Parse(json));
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kConsentPolicy, policy.ToJson(), /*sync=*/true));
  privacy_.consent().SetPolicy(std::move(policy));
  // Defaults decide the consent traits of everyone who did not decide: every profile.
  uint64_t written = 0;
  return RebuildAllProfiles(&written);
}

}  // namespace holo::engine
