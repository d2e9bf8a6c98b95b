// EngineImpl's IP policies (docs/privacy.md, "IP addresses"): per source, what ingestion keeps
// of context.ip — keep, truncate (/24 or /48; the default) or drop. Kept in meta
// (keys::kIpPolicy, engine/source_settings.h) like the phone regions, so that every process
// that opens the store (the CLI's ingest, the server's /v1) applies the same policy. "*" is
// the store's default.
#include "engine/engine_impl.h"
#include "engine/source_settings.h"

namespace holo::engine {

Status EngineImpl::LoadIpPolicies() {
  auto check = [](std::string_view p) -> Result<std::string> {
    HOLO_ASSIGN_OR_RETURN(ingest::IpPolicy policy, ingest::ParseIpPolicy(p));
    return std::string(ingest::IpPolicyName(policy));
  };
  HOLO_ASSIGN_OR_RETURN(SourceSettings policies,
                        MergeSourceSettings(store_.get(), storage::keys::kIpPolicy, "IP policy", options_.ip_policies,
                                            options_.read_only, check));
  parser_options_.default_ip_policy = ingest::IpPolicy::kTruncate;
  parser_options_.ip_policy_by_source.clear();
  for (const auto& [source, name] : policies) {
    HOLO_ASSIGN_OR_RETURN(ingest::IpPolicy policy, ingest::ParseIpPolicy(name));  // checked above
    if (source == kStoreDefaultSource) {
      parser_options_.default_ip_policy = policy;
    } else {
      parser_options_.ip_policy_by_source.emplace(source, policy);
    }
  }
  return Status::OK();
}

Result<std::string> EngineImpl::IpPoliciesJson() {
  SourceSettings policies;
  for (const auto& [source, policy] : parser_options_.ip_policy_by_source) {
    policies.emplace(source, ingest::IpPolicyName(policy));
  }
  policies[std::string(kStoreDefaultSource)] = ingest::IpPolicyName(parser_options_.default_ip_policy);
  return SourceSettingsJson(policies);
}

}  // namespace holo::engine
