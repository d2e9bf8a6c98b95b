#include "identity/policy.h"

#include <cmath>
#include <sstream>

#include <toml++/toml.h>

namespace holo::identity {
namespace {

struct IntKey {
  const char* name;
  int MergePolicy::*field;
  int min;
};
constexpr IntKey kIntKeys[] = {
    {"max_accounts_per_namespace", &MergePolicy::max_accounts_per_namespace, 1},
    {"max_device_ids", &MergePolicy::max_device_ids, 1},
    {"max_phones", &MergePolicy::max_phones, 1},
    {"max_emails", &MergePolicy::max_emails, 1},
    {"shared_max_accounts", &MergePolicy::shared_max_accounts, 1},
    {"hub_max_devices", &MergePolicy::hub_max_devices, 1},
};
constexpr const char* kMinMatchWeight = "min_match_weight";

}  // namespace

Result<MergePolicy> ParsePolicy(std::string_view toml_text, std::string_view origin) {
  MergePolicy p;
  auto bad = [&](const std::string& m) { return Status::InvalidArgument(std::string(origin) + ": " + m); };
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << e.description() << " (line " << e.source().begin.line << ")";
    return bad(msg.str());
  }
  for (const auto& [key, node] : root) {
    std::string_view k = key.str();
    bool known = false;
    for (const IntKey& ik : kIntKeys) {
      if (k != ik.name) continue;
      known = true;
      auto v = node.value<int64_t>();
      if (!v || !node.is_integer()) return bad(std::string(k) + " must be an integer");
      if (*v < ik.min || *v > 1000000) {
        return bad(std::string(k) + " = " + std::to_string(*v) + " is out of range [" + std::to_string(ik.min) +
                   ", 1000000]");
      }
      p.*ik.field = static_cast<int>(*v);
    }
    if (k == kMinMatchWeight) {
      known = true;
      auto v = node.value<double>();
      if (!v || !std::isfinite(*v)) return bad("min_match_weight must be a number");
      p.min_match_weight = *v;
    }
    if (!known) return bad("unknown key '" + std::string(k) + "'");
  }
  return p;
}

std::string FormatPolicy(const MergePolicy& policy) {
  std::string out;
  for (const IntKey& ik : kIntKeys) out += std::string(ik.name) + " = " + std::to_string(policy.*ik.field) + "\n";
  std::ostringstream w;
  w.precision(17);
  w << policy.min_match_weight;
  std::string weight = w.str();
  if (weight.find_first_of(".eEn") == std::string::npos) weight += ".0";
  out += std::string(kMinMatchWeight) + " = " + weight + "\n";
  return out;
}

bool OnlyMatchThresholdDiffers(const MergePolicy& a, const MergePolicy& b) {
  for (const IntKey& ik : kIntKeys) {
    if (a.*ik.field != b.*ik.field) return false;
  }
  return true;
}

}  // namespace holo::identity
