// The shared-identifier rule (rule 2 of resolver.h), whatever the identifier's type:
// which identifiers one person cannot hold. Internal to identity/; Resolve calls it.
//
//  1. Degrees. Every node's distinct evidence neighbours are counted per class: device
//     ids, MACs, advertising ids (each names one device) and app installs/cookies.
//  2. Caps from the store's own distributions. Per node tier (install-level, person,
//     other) and neighbour class, the cap is Tukey's far-out fence Q3 + 3 (Q3 - Q1) of
//     the degrees of the tier's nodes that have at least one such neighbour, clamped to
//     documented bounds (kFloor, kCeiling below; the device ceiling is the policy's
//     hub_max_devices). A fence ignores the few hubs among thousands of ordinary values,
//     so a type made only of hubs (a sensor feed's anonymous ids) is still measured
//     against the installs and persons around it.
//  3. Peeling. An identifier over a cap is a hub only if it still is once the neighbours
//     already found to be hubs are discounted, visiting the candidates by how far over
//     their caps they are: a sensor that saw 400 MACs is a hub; a visitor's MAC that
//     passed 12 sensors is not.
//  4. Accounts: an identifier seen with two accounts of one namespace, or with more than
//     shared_max_accounts accounts, is shared — not counting accounts that are hubs
//     themselves (a QA account logged into many customers' phones).
//  4b. Bridges: an email, phone or other identifier whose own (unshared) devices and
//     installs are logged into two accounts of one namespace belongs to two people (a
//     family e-mail typed into two members' apps, a home IP).
//  5. Gateway types. A type of the tier "other" of which at least 5% of the values seen
//     with a device, install or account (and at least 3) are shared by the rules above is a gateway type
//     (IP addresses, Wi-Fi BSSIDs, terminal ids): none of its values joins a person — a
//     home router seen with one person so far is still the household's. Types the policy
//     declares as gateways are treated the same.
//  6. Install-level identifiers seen with a device shared for its accounts (a family
//     tablet, a kiosk) are shared too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"

namespace holo::identity {

// Bounds of the learned caps, by tier and neighbour class (device, MAC, ad id, install).
// Floors: an app install sits on one device; a person holds a few devices (the policy's
// max_device_ids replaces kPersonTierDeviceFloor when larger) and a few dozen installs and
// cookies over time. Ceilings: hub_max_devices for device-level
// classes, kInstallCeiling for installs.
inline constexpr uint8_t kInstallTierDeviceFloor = 1;
inline constexpr uint8_t kPersonTierDeviceFloor = 6;
inline constexpr uint8_t kInstallTierInstallFloor = 12;
inline constexpr uint8_t kPersonTierInstallFloor = 40;
inline constexpr uint8_t kInstallCeiling = 200;
// Gateway types: the share and number of hubs among a type's values that make it one.
inline constexpr double kGatewayHubShare = 0.05;
inline constexpr uint32_t kGatewayMinHubs = 3;

HubTier TierOf(IdClass c);
// The neighbour class of an identifier class, or kNumNbrClasses when it is not counted.
NbrClass NbrClassOf(IdClass c);
std::string_view TierName(HubTier t);
std::string_view NbrClassName(NbrClass c);

// Inputs of FindShared besides the subgraph: per-node class and namespace id.
struct SharedInput {
  const Subgraph* g = nullptr;
  const MergePolicy* policy = nullptr;
  const std::vector<IdClass>* node_cls = nullptr;
  const std::vector<uint16_t>* node_ns = nullptr;
  const HubCaps* caps = nullptr;  // null: learn from the subgraph
};

// Fills r->shared, r->caps and r->shared_degrees.
void FindShared(const SharedInput& in, Resolution* r);

// Why a hub is one, in words: "seen with 412 MACs (an install-level identifier has at
// most 1)". `cls` is the hub's class, `degrees` its degrees, `caps` the caps in force.
std::string DescribeHub(IdClass cls, const Degrees& degrees, const HubCaps& caps, const MergePolicy& policy);

// HubCaps as text (stored in the meta column family) and back.
std::string EncodeHubCaps(const HubCaps& caps);
bool DecodeHubCaps(std::string_view text, HubCaps* caps);

}  // namespace holo::identity
