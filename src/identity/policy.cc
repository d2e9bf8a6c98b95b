#include "identity/policy.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "identity/hubs.h"

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
constexpr const char* kHubCaps = "hub_caps";
constexpr const char* kGatewayTypes = "gateway_types";
constexpr const char* kDeviceTypes = "device_types";

// "install_macs", "person_device_ids", ...: the hub_caps key of a tier and neighbour class.
std::string HubCapKey(int tier, int cls) {
  return std::string(TierName(static_cast<HubTier>(tier))) + "_" +
         std::string(NbrClassName(static_cast<NbrClass>(cls)));
}

Status ParseTypeList(const toml::node& node, std::string_view key, std::vector<std::string>* out) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) return Status::InvalidArgument(std::string(key) + " must be an array of type names");
  for (const toml::node& item : *arr) {
    auto v = item.value<std::string>();
    if (!v || v->empty()) return Status::InvalidArgument(std::string(key) + " must hold non-empty strings");
    out->push_back(*v);
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return Status::OK();
}

std::string FormatTypeList(const std::vector<std::string>& types) {
  std::string out = "[";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"";
    for (char c : types[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "]";
}

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
    if (k == kGatewayTypes || k == kDeviceTypes) {
      known = true;
      Status st = ParseTypeList(node, k, k == kGatewayTypes ? &p.gateway_types : &p.device_types);
      if (!st.ok()) return bad(st.message());
    }
    if (k == kHubCaps) {
      known = true;
      const toml::table* caps = node.as_table();
      if (caps == nullptr) return bad("hub_caps must be a table, e.g. [hub_caps] install_macs = 1");
      for (const auto& [ckey, cnode] : *caps) {
        bool found = false;
        for (int t = 0; t < kNumTiers && !found; ++t) {
          for (int c = 0; c < kNumNbrClasses && !found; ++c) {
            if (ckey.str() != HubCapKey(t, c)) continue;
            found = true;
            auto v = cnode.value<int64_t>();
            if (!v || !cnode.is_integer() || *v < 1 || *v > 254) {
              return bad("hub_caps." + std::string(ckey.str()) + " must be an integer in [1, 254]");
            }
            p.hub_caps[t][c] = static_cast<int>(*v);
          }
        }
        if (!found) {
          return bad("unknown key 'hub_caps." + std::string(ckey.str()) +
                     "' (keys are <install|person|other>_<device_ids|macs|ad_ids|installs>)");
        }
      }
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
  out += std::string(kGatewayTypes) + " = " + FormatTypeList(policy.gateway_types) + "\n";
  out += std::string(kDeviceTypes) + " = " + FormatTypeList(policy.device_types) + "\n";
  std::string caps;
  for (int t = 0; t < kNumTiers; ++t) {
    for (int c = 0; c < kNumNbrClasses; ++c) {
      if (policy.hub_caps[t][c] > 0) caps += HubCapKey(t, c) + " = " + std::to_string(policy.hub_caps[t][c]) + "\n";
    }
  }
  if (!caps.empty()) out += "\n[" + std::string(kHubCaps) + "]\n" + caps;
  return out;
}

bool OnlyMatchThresholdDiffers(const MergePolicy& a, const MergePolicy& b) {
  for (const IntKey& ik : kIntKeys) {
    if (a.*ik.field != b.*ik.field) return false;
  }
  return a.hub_caps == b.hub_caps && a.gateway_types == b.gateway_types && a.device_types == b.device_types;
}

}  // namespace holo::identity
