// Identity policy files: the MergePolicy as TOML, for `holo identity dry-run
// --config NEW` and `holo identity apply --config NEW`. Every key is optional
// (a missing key keeps the default); an unknown key or an out-of-range value is
// an error naming it. Example:
//
//   max_accounts_per_namespace = 1
//   max_device_ids = 6
//   max_phones = 3
//   max_emails = 4
//   shared_max_accounts = 10
//   hub_max_devices = 15
//   min_match_weight = 0.0
//   gateway_types = ["ip", "anonymous_id@store_sensor"]   # never join a person
//   device_types = ["loyalty_device_id"]                  # name one of a person's devices
//   [hub_caps]            # fixed caps instead of the learned ones (hubs.h), e.g.
//   install_macs = 1      # <install|person|other>_<device_ids|macs|ad_ids|installs>
#pragma once

#include <string>
#include <string_view>

#include "holo/result.h"
#include "identity/resolver.h"

namespace holo::identity {

// Parses a policy from TOML text; `origin` names the file in errors.
Result<MergePolicy> ParsePolicy(std::string_view toml_text, std::string_view origin);

// The policy as TOML text (every key), parseable by ParsePolicy.
std::string FormatPolicy(const MergePolicy& policy);

// True when `a` and `b` differ only in min_match_weight.
bool OnlyMatchThresholdDiffers(const MergePolicy& a, const MergePolicy& b);

}  // namespace holo::identity
