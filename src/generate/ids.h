// ids.h: sources, identifier types, and the raw formats the generator writes identifiers in
// (user ids per account namespace, uuids, MACs, phone numbers), plus the canonical forms the
// ground truth uses to decide that two raw strings are the same identifier.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "generate/rng.h"

namespace holo::generate {

// The sources a world writes, one JSON Lines file each. DO NOT REORDER: the order decides
// which world a seed makes.
enum class Source : uint8_t {
  kTaobao = 0,
  kTmall,
  kAlipay,
  kEleme,
  kAmap,
  kFliggy,
  kYouku,
  kWeibo,
  kMinigame,
  kWeb,
  kStoreWifi,
  kStoreBeacon,
};
inline constexpr int kNumSources = 12;
inline constexpr int kNumApps = 10;  // kTaobao..kWeb: the sources people adopt as apps.

inline constexpr int Index(Source s) { return static_cast<int>(s); }
inline constexpr uint16_t Bit(Source s) { return static_cast<uint16_t>(1u << Index(s)); }

// Returns "taobao", "store_wifi", ...
std::string_view SourceName(Source s);

// Returns the account namespace of a source's userIds: tmall and store_beacon use taobao's.
Source AccountNamespace(Source s);

// Identifier kinds as they appear in truth.csv (with the namespace where one applies).
enum class IdType : uint8_t {
  kUserId,       // user_id@<namespace>
  kAnonymousId,  // anonymous_id@<source>
  kDeviceId,
  kAdId,
  kMac,
  kEmail,
  kPhone,
  // Foreign shapes only (WorldOptions::foreign_shapes): context.externalIds types that are
  // never a person's.
  kBssid,        // "bssid": an office access point's MAC, as the SDK prints it
  kIp,           // "ip": an IP address sent as an external id
  kPosTerminal,  // "pos_terminal_id"
};

// Appends the truth identifier_type, e.g. "user_id@taobao", "anonymous_id@web", "mac".
void AppendTruthType(IdType type, Source ns, std::string* out);

// Appends the canonical form under which raw variants of one identifier are the same node:
// phone -> "+86" + national digits, email -> trimmed lower case, mac -> lower-case colon
// separated whatever the spelling (colons, dashes, Cisco dots, bare hex); every other type is
// its raw value (Holo's ingestion normalises no other type, so "bssid" spellings differ).
void AppendCanonical(IdType type, std::string_view raw, std::string* out);

// The all-zero advertising id sent when ad tracking is limited. Identifies no one.
inline constexpr std::string_view kPlaceholderAdId = "00000000-0000-0000-0000-000000000000";

// Returns a random RFC 4122 version-4 uuid, lower or upper case hex.
std::string Uuid(Rng& rng, bool upper);

// MAC address text formats seen in the wild: aa:bb:cc:dd:ee:ff, AA:BB:..., aa-bb-...,
// AA-BB-..., aabb.ccdd.eeff (Cisco) and AABBCCDDEEFF (bare). DO NOT REORDER.
enum class MacFormat : uint8_t {
  kLowerColon,
  kUpperColon,
  kLowerDash,
  kUpperDash,
  kLowerDot,
  kUpperBare,
};
inline constexpr int kNumMacFormats = 6;
std::string FormatMac(uint64_t mac48, MacFormat format);
// Returns true when the locally-administered bit is set (randomized, per-visit MACs).
inline bool IsRandomizedMac(uint64_t mac48) { return (mac48 >> 40) & 0x02; }
// Returns a random locally-administered unicast MAC.
uint64_t RandomizedMac(Rng& rng);

// Chinese mobile number formats; `national` is the 11-digit number "13812345678".
enum class PhoneFormat : uint8_t {
  kPlain,       // 13812345678
  kE164,        // +8613812345678
  kSpacedIntl,  // +86 138 1234 5678
  kDashed,      // 138-1234-5678
  kSpaced,      // 138 1234 5678
};
std::string FormatPhone(std::string_view national, PhoneFormat format);

// Returns the user id of person `person_index` in the account namespace `ns` (an app source).
// Unique per namespace for person_index < 10^9; the format differs per namespace, e.g.
// taobao "2200483920175", alipay "2088104958372641", weibo "5829304811".
std::string UserIdFor(Source ns, uint64_t person_index, uint64_t world_key);

}  // namespace holo::generate
