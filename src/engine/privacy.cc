// EngineImpl's consent operations (docs/privacy.md): decisions recorded by the CLI or the
// API, the consent document of a person, the policy. The engine checks the request, finds
// the identifiers and OneIDs it names (identity) and rebuilds the profiles it changes
// (ProfileStage); the ledger, the consent index, the policy and the document are the
// PrivacyStage's (privacy_stage.h), which also writes the decisions events carry as part of
// each ingest write. Resolution moves
// identifiers between OneIDs: the OneIDs it changed are recomputed from the ledger.
#include <vector>

#include "engine/engine_impl.h"
#include "identity/graph_store.h"

namespace holo::engine {

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
  PrivacyStage::Decision decision;
  decision.purposes = std::move(purposes);
  decision.given = change.given;
  decision.source = change.source;
  decision.at_ms = change.at_ms;
  HOLO_RETURN_IF_ERROR(privacy_.RecordDecision(nodes, oneids, decision, Now()));
  // The rebuild reads the ledger of the marked OneIDs into the index first (before_build).
  return RebuildMarkedProfiles();
}

Result<std::string> EngineImpl::ConsentJson(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  return privacy_.ConsentJson(oneid, nullptr);
}

Result<std::string> EngineImpl::ConsentPolicyJson() { return privacy_.consent().policy().ToJson(); }

Status EngineImpl::SetConsentPolicy(std::string_view json) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(privacy_.SetConsentPolicy(json));
  // Defaults decide the consent traits of everyone who did not decide: every profile.
  uint64_t written = 0;
  return RebuildAllProfiles(&written);
}

}  // namespace holo::engine
