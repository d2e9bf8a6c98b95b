// EngineImpl's IP policies (docs/privacy.md, "IP addresses"): per source, what ingestion keeps
// of context.ip — keep, truncate (/24 or /48; the default) or drop. Kept in meta
// (keys::kIpPolicy) like the phone regions, so that every process that opens the store (the
// CLI's ingest, the server's /v1) applies the same policy. "*" is the store's default.
#include <simdjson.h>

#include "common/json_writer.h"
#include "engine/engine_impl.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr std::string_view kStoreDefault = "*";

Result<ingest::IpPolicy> CheckEntry(std::string_view source, std::string_view policy) {
  if (source != kStoreDefault) HOLO_RETURN_IF_ERROR(ValidateSourceName(source, "IP policy"));
  Result<ingest::IpPolicy> p = ingest::ParseIpPolicy(policy);
  if (!p.ok()) return Status::InvalidArgument("IP policy: " + std::string(source) + ": " + p.status().message());
  return p;
}

std::string IpPoliciesToJson(const std::map<std::string, ingest::IpPolicy>& policies) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [source, policy] : policies) w.Key(source).String(ingest::IpPolicyName(policy));
  w.EndObject();
  return out;
}

}  // namespace

Status EngineImpl::LoadIpPolicies() {
  std::map<std::string, ingest::IpPolicy> policies;
  HOLO_ASSIGN_OR_RETURN(auto stored, store_->Get(Cf::kMeta, keys::kIpPolicy));
  if (stored.has_value()) {
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (parser.parse(stored->data(), stored->size()).get_object().get(obj)) {
      return Status::DataLoss("stored IP policy: expected a JSON object {\"source\": \"drop\", ...}");
    }
    for (auto [source, policy] : obj) {
      std::string_view p;
      if (policy.get_string().get(p)) return Status::DataLoss("stored IP policy: " + std::string(source) + " is not a string");
      HOLO_ASSIGN_OR_RETURN(policies[std::string(source)], CheckEntry(source, p));
    }
  }
  bool changed = false;
  for (const auto& [source, policy] : options_.ip_policies) {
    HOLO_ASSIGN_OR_RETURN(ingest::IpPolicy p, CheckEntry(source, policy));
    auto [it, inserted] = policies.try_emplace(source, p);
    if (inserted || it->second != p) {
      it->second = p;
      changed = true;
    }
  }
  if (changed && !options_.read_only) {
    HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kIpPolicy, IpPoliciesToJson(policies), /*sync=*/true));
  }
  auto fallback = policies.extract(std::string(kStoreDefault));
  parser_options_.default_ip_policy = fallback.empty() ? ingest::IpPolicy::kTruncate : fallback.mapped();
  parser_options_.ip_policy_by_source.clear();
  for (const auto& [source, policy] : policies) parser_options_.ip_policy_by_source.emplace(source, policy);
  return Status::OK();
}

Result<std::string> EngineImpl::IpPoliciesJson() {
  std::map<std::string, ingest::IpPolicy> policies(parser_options_.ip_policy_by_source.begin(),
                                                   parser_options_.ip_policy_by_source.end());
  policies[std::string(kStoreDefault)] = parser_options_.default_ip_policy;
  return IpPoliciesToJson(policies);
}

}  // namespace holo::engine
