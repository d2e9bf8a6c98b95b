// Resolver: the deterministic identity-resolution rules, as a pure function
// from an identity subgraph to its components (OneIDs). No I/O; graph_store.h
// loads the subgraph from the store and writes the result back.
//
// The rules (docs/identity.md explains them with examples):
//  1. Accounts (user_id@<namespace>) anchor people: a person holds at most
//     `max_accounts_per_namespace` account(s) per namespace.
//  2. An identifier that directly co-occurs with two accounts of one namespace,
//     or with more than `shared_max_accounts` accounts in all, is *shared*
//     (a household tablet, a kiosk, a family phone): it never joins a person;
//     the shared identifiers of one device (its id, MAC, app installs) form a
//     OneID of their own. Install-level identifiers (anonymous ids,
//     advertising ids, MACs) seen on a shared device are shared too.
//  3. The remaining edges are unioned greedily in a fixed order — explicit links
//     (alias, membership identify) first, then co-occurrence by the type priority
//     of the edge's weaker end, then by evidence count — and a union that would
//     break a per-person limit is refused and recorded.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace holo::identity {

using NodeKey = std::array<uint8_t, 16>;

// Identifier classes, derived from the type string.
enum class IdClass : uint8_t { kAccount, kEmail, kPhone, kDevice, kAdId, kMac, kAnonymous, kOther };
IdClass ClassOf(std::string_view type);
// Identifier-type priority, lower is stronger: account 0, email/phone 1, device 2,
// advertising id 3, MAC 4, anonymous id 5, other 6.
int TypePriority(IdClass c);
// Returns the namespace of an account type ("user_id@taobao" -> "taobao"), else "".
std::string_view NamespaceOf(std::string_view type);

// Edge kinds. DO NOT CHANGE the values: they are stored in the edges column family.
// kMatch edges come from probabilistic matching of PII (`holo identity import-matches`):
// weaker evidence, applied after every co-occurrence and only when the match weight
// reaches MergePolicy::min_match_weight. They are stored apart from the evidence
// edges (keys.h MatchEdgeKey) so a pair that also co-occurs keeps both.
// kApart is never stored as an edge record: it is a withdrawn pair (keys.h 'w'),
// loaded as a cannot-link constraint — no union may put its two ends together.
enum class EdgeKind : uint8_t { kCooccurrence = 1, kExplicitLink = 2, kMatch = 3, kApart = 4 };
// True for edges that are evidence from messages (co-occurrence, explicit link).
inline bool IsMessageEvidence(EdgeKind k) { return k == EdgeKind::kCooccurrence || k == EdgeKind::kExplicitLink; }
std::string_view EdgeKindName(EdgeKind k);

struct GraphNode {
  NodeKey key{};
  uint16_t type_id = 0;  // index into Subgraph::type_names
  int64_t first_ts = 0;  // first sighting, ms since epoch
  // Boundary nodes are neighbours outside the part being re-resolved: they count
  // towards the shared rule but are never unioned and their result is ignored.
  bool boundary = false;
};

struct GraphEdge {
  uint32_t a = 0;  // indexes into Subgraph::nodes
  uint32_t b = 0;
  EdgeKind kind = EdgeKind::kCooccurrence;
  uint64_t count = 1;
  float weight = 0;  // kMatch: match weight (log2 Bayes factor); 0 otherwise
};

// Neighbour classes counted by the shared-identifier rule (hubs.h): the identifiers
// that name one device (device ids, MACs, advertising ids) and app installs/cookies.
enum NbrClass : uint8_t { kNbrDevice = 0, kNbrMac, kNbrAdId, kNbrInstall, kNumNbrClasses };
// Distinct neighbours of one node per NbrClass, saturating at 255.
using Degrees = std::array<uint8_t, kNumNbrClasses>;

struct Subgraph {
  std::vector<std::string> type_names;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  // Per node (or empty): evidence neighbours that are not in the subgraph, by class, so
  // that a part loaded for incremental resolution sees every node's whole degree.
  // Neighbours already known as hubs are left out (graph_loader.h).
  std::vector<Degrees> outside;
};

// Node tiers of the shared-identifier rule: identifiers that name one device or app
// install (device id, advertising id, MAC, anonymous id, cookie), identifiers of a
// person (account, email, phone), and every other type (custom ids, IPs, terminals).
enum HubTier : uint8_t { kTierInstall = 0, kTierPerson, kTierOther, kNumTiers };

// The caps of the shared-identifier rule. An identifier of tier T seen with more than
// cap[T][c] distinct neighbours of class c cannot be one person's: it is a hub.
// Learned from the store's own degree distributions at every whole-graph resolution
// (hubs.cc LearnHubCaps) and stored; incremental resolutions reuse the stored ones.
struct HubCaps {
  std::array<std::array<uint8_t, kNumNbrClasses>, kNumTiers> cap{};
  // Types of the tier "other" whose values are commonly hubs (learned): a value of such a
  // type seen with two devices or two accounts is shared however small its degree.
  std::vector<std::string> gateway_types;
  // Every type of the tier "other" the caps were learned on; an incremental resolution
  // that meets a new one resolves the whole graph instead.
  std::vector<std::string> known_other_types;
  bool operator==(const HubCaps&) const = default;
};

struct MergePolicy {
  int max_accounts_per_namespace = 1;
  int max_device_ids = 6;
  int max_phones = 3;
  int max_emails = 4;
  // An identifier co-occurring with more than this many distinct accounts is shared.
  int shared_max_accounts = 10;
  // The ceiling of every learned hub cap on device ids, MACs and ad ids: an identifier
  // seen with more of one kind than this is a hub whatever the store's distributions say
  // (a shop's phone number typed at every sign-up, a public terminal, a sensor).
  int hub_max_devices = 15;
  // Match edges below this weight are ignored.
  double min_match_weight = 0;
  // Fixed hub caps (hub_caps in the policy file), by tier and neighbour class; 0 = learn.
  std::array<std::array<int, kNumNbrClasses>, kNumTiers> hub_caps{};
  // Types a source declares as gateways, sensors, terminals or kiosks: their values never
  // join a person (each is a OneID of its own).
  std::vector<std::string> gateway_types;
  // Types a source declares as naming one of a person's devices (counted like device ids).
  std::vector<std::string> device_types;
};

// Why an identifier is shared (Resolution::shared); 0 = not shared.
enum SharedReason : uint8_t {
  kNotShared = 0,
  kSharedNamespace = 1,    // two accounts of one namespace
  kSharedManyAccounts = 2, // more than shared_max_accounts accounts
  kSharedOnDevice = 3,     // an install-level id on a shared device
  kSharedHub = 4,          // seen with more devices, MACs, ad ids or installs than a person has
  kSharedGateway = 5,      // a value of a gateway type (declared, or learned from its values)
  kSharedBridge = 6,       // its devices are logged into two accounts of one namespace
};
inline constexpr int kNumSharedReasons = 7;
std::string_view SharedReasonName(uint8_t reason);

enum class RefusalReason : uint8_t {
  kNamespaceConflict = 1,
  kTooManyDevices,
  kTooManyPhones,
  kTooManyEmails,
  kWithdrawn,  // would join the two ends of a withdrawn pair
};
std::string_view RefusalName(RefusalReason r);

struct RefusedMerge {
  uint32_t edge = 0;  // index into Subgraph::edges
  RefusalReason reason = RefusalReason::kNamespaceConflict;
};

struct Resolution {
  std::vector<uint32_t> component;  // per node; boundary nodes get kNoComponent
  std::vector<uint8_t> shared;      // per node: 0 or a SharedReason
  uint32_t num_components = 0;
  std::vector<RefusedMerge> refused;
  HubCaps caps;  // the caps applied (learned from the subgraph unless given)
  // Degrees of the shared nodes (node index, degrees), for reports.
  std::vector<std::pair<uint32_t, Degrees>> shared_degrees;
};
inline constexpr uint32_t kNoComponent = 0xffffffffu;

// Returns the components of `g` under `policy`. Deterministic: the result
// depends only on the subgraph's content, not on the order of nodes or edges.
// `caps`: the hub caps to apply (an incremental part); null = learn them from `g`
// (the whole graph). Policy overrides (hub_caps) win over both.
Resolution Resolve(const Subgraph& g, const MergePolicy& policy, const HubCaps* caps = nullptr);

// Chooses a OneID for every non-boundary node. `old_oneid[i]` is node i's
// current OneID (0 if none). Rule (stable): components are visited by their
// smallest old OneID, ties by larger size first; each takes the smallest old
// OneID of its members that no earlier component took (so a merge keeps the
// older id and, on a split, the larger part keeps it). Components left without
// one get fresh ids from *next_oneid in order of (earliest first_ts, smallest key).
std::vector<uint64_t> AssignOneIds(const Subgraph& g, const Resolution& r,
                                   const std::vector<uint64_t>& old_oneid, uint64_t* next_oneid);

}  // namespace holo::identity
