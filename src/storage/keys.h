// Key encodings of every column family (docs/storage_format.md is the prose
// version). DO NOT CHANGE the prefixes: they are the on-disk format.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/coding.h"
#include "common/hex.h"

namespace holo::storage::keys {

using Key16 = std::array<uint8_t, 16>;

inline std::string_view AsView(const Key16& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}
inline Key16 ToKey16(std::string_view s) {
  Key16 k{};
  for (size_t i = 0; i < 16 && i < s.size(); ++i) k[i] = static_cast<uint8_t>(s[i]);
  return k;
}

// Hash of a 16-byte key for unordered containers: its first 8 bytes (keys are keyed
// hashes, so uniformly distributed).
struct Key16Hash {
  size_t operator()(const Key16& k) const {
    uint64_t h;
    std::memcpy(&h, k.data(), sizeof(h));
    return h;
  }
};

// Returns lower-case hex of `k` (32 characters): how pseudonyms are shown.
inline std::string ToHex(const Key16& k) { return hex::Encode(k.data(), k.size()); }

// meta
// The release point's state (analytics/release_point.h): an analyst's spending in a period,
// `dp/budget/` owner \0 period (YYYY-MM-DD) -> epsilon spent (decimal text), and the answers
// of the period, `dp/answer/` owner \0 period \0 hex of BLAKE2b-128 of the question -> answer.
inline constexpr std::string_view kDpBudgetPrefix = "dp/budget/";
inline constexpr std::string_view kDpAnswerPrefix = "dp/answer/";
// Before: budgets per token and day, and the sequences of the two logs (deleted like them).
inline constexpr std::string_view kOldBudgetPrefix = "budget/";
inline constexpr std::string_view kOldReleasedSeq = "seq/gpq";
inline constexpr std::string_view kOldSealedSeq = "seq/sealed_groups";
// Kept here by versions before the keyring (privacy/keyring.h); moved out at open.
inline constexpr std::string_view kPseudonymKey = "cfg/pseudonym_key";
// The key generation the store is keyed with (u64 BE) and a check value of its keys
// (the 16-byte pseudonym of a fixed string), so that a wrong keyring is refused.
inline constexpr std::string_view kKeyGeneration = "cfg/key_generation";
inline constexpr std::string_view kKeyCheck = "cfg/key_check";
inline constexpr std::string_view kEventSeq = "seq/event";
inline constexpr std::string_view kNextOneId = "seq/oneid";
// Never written: a tombstone for it is left in the meta memtable (storage/rocksdb_store.cc,
// RocksStore::KeepAMemtableEntry) so that a resume after a failed WAL write can switch WALs.
inline constexpr std::string_view kMemtableEntry = "storage/memtable_entry";
inline constexpr std::string_view kMaxTimestamp = "stat/max_ts";  // newest event timestamp, i64 BE
// A new random 8-byte value in every write that changes a profile or a household link
// (profile/profile_store.cc), and the value the saved segment memberships were brought up
// to date at (engine/audience.cc): when they differ, a process that opens the audience
// re-evaluates every saved segment over the current profiles before answering.
inline constexpr std::string_view kProfilesEpoch = "stat/profiles_epoch";
inline constexpr std::string_view kAudienceEpoch = "stat/audience_epoch";
// Events deleted (erasure, `identity delete-event`), u64 BE: stored events = seq/event - this
// (and, under retention windows, less those past their window).
inline constexpr std::string_view kEventsRemoved = "stat/events_removed";
// Activation destinations (activation/activation.h, docs/destinations.md): a destination's
// configuration, `dst/c/` name -> config record, and its sync state per segment,
// `dst/s/` name \0 segment -> state record (acknowledged membership, next batch sequence,
// counters, the pending batch). Names hold no \0.
// meta: an issued offer (engine/offers.cc): its campaign, segment, time, holdout share and the
// invited and held-out OneIDs (two portable roaring bitmaps).
inline constexpr std::string_view kOfferPrefix = "offer/";
inline std::string OfferKey(std::string_view name) { return std::string(kOfferPrefix) + std::string(name); }
inline constexpr std::string_view kDestinationConfigPrefix = "dst/c/";
inline constexpr std::string_view kDestinationStatePrefix = "dst/s/";
inline std::string DestinationConfigKey(std::string_view name) {
  return std::string(kDestinationConfigPrefix) + std::string(name);
}
inline std::string DestinationStatePrefix(std::string_view name) {
  std::string k = std::string(kDestinationStatePrefix) + std::string(name);
  k.push_back('\0');
  return k;
}
inline std::string DestinationStateKey(std::string_view name, std::string_view segment) {
  return DestinationStatePrefix(name) + std::string(segment);
}
inline constexpr std::string_view kDirtyNodePrefix = "d/n/";     // + node16
inline constexpr std::string_view kDirtyProfilePrefix = "d/p/";  // + oneid8
// Dirty nodes of one ingestion write, in one key (its value: the node16s one after
// another): a write marks its nodes with one memtable insert rather than one per node.
inline constexpr std::string_view kDirtyListPrefix = "d/l/";  // + last event seq8 of the write
// The first key after every key starting with `prefix` (empty when there is none: all 0xff).
// stores (src/stores, docs/storage_format.md):
//   'm' store                               -> store record (stores/store_service.cc)
//   'o' store \0 time8 device16 sensor4     -> observation record
// time8: the observation's microseconds, big-endian with the sign bit flipped (so that keys
// sort by time); device16: the pseudonym of the MAC or beacon device; sensor4: a hash of the
// sensor id (one device seen by two sensors at one instant is two observations).
inline constexpr char kStoreMetaTag = 'm';
inline constexpr char kStoreObservationTag = 'o';
inline std::string StoreMetaKey(std::string_view store) { return std::string(1, kStoreMetaTag) + std::string(store); }
inline std::string StoreObservationPrefix(std::string_view store) {
  std::string k(1, kStoreObservationTag);
  k.append(store);
  k.push_back('\0');
  return k;
}
inline void AppendStoreTime(std::string* key, int64_t t_us) {
  coding::PutFixed64BE(key, static_cast<uint64_t>(t_us) ^ (1ULL << 63));
}
inline int64_t StoreTimeOf(const char* p) {
  return static_cast<int64_t>(coding::DecodeFixed64BE(p) ^ (1ULL << 63));
}
inline constexpr size_t kStoreObservationSuffixSize = 8 + 16 + 4;
//   'v' device16 store \0 day4               -> the latest sighting of the day (StoreVisitDay)
// The days an identifying device (a globally unique MAC, a beacon device) was seen in a store
// at or above its RSSI threshold: what profiles read of imported visits (docs/stores.md).
// day4: days since the epoch of the store's clock, big-endian with the sign bit flipped.
inline constexpr char kStoreVisitTag = 'v';
inline std::string StoreVisitPrefix(const std::array<uint8_t, 16>& device) {
  std::string k(1, kStoreVisitTag);
  k.append(reinterpret_cast<const char*>(device.data()), device.size());
  return k;
}
inline std::string StoreVisitKey(const std::array<uint8_t, 16>& device, std::string_view store, int64_t day) {
  std::string k = StoreVisitPrefix(device);
  k.append(store);
  k.push_back('\0');
  const uint32_t d = static_cast<uint32_t>(static_cast<int32_t>(day)) ^ (1U << 31);
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>((d >> shift) & 0xff));
  return k;
}
// The store and day of a 'v' key; false when the key is not one.
inline bool DecodeStoreVisitKey(std::string_view key, std::string_view* store, int64_t* day) {
  if (key.size() < 1 + 16 + 2 + 4 || key[0] != kStoreVisitTag || key[key.size() - 5] != '\0') return false;
  *store = key.substr(17, key.size() - 17 - 5);
  uint32_t d = 0;
  for (size_t i = key.size() - 4; i < key.size(); ++i) d = (d << 8) | static_cast<uint8_t>(key[i]);
  *day = static_cast<int32_t>(d ^ (1U << 31));
  return true;
}
// The offset of the device pseudonym in a stores key, or npos when the key is not an
// observation's (rekey maps the pseudonym in place).
inline size_t StoreObservationDeviceOffset(std::string_view key) {
  if (key.empty() || key[0] != kStoreObservationTag) return std::string_view::npos;
  const size_t nul = key.find('\0', 1);
  if (nul == std::string_view::npos || key.size() != nul + 1 + kStoreObservationSuffixSize) return std::string_view::npos;
  return nul + 1 + 8;
}

inline std::string PrefixSuccessor(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}
inline std::string DirtyNode(const Key16& node) {
  return std::string(kDirtyNodePrefix) + std::string(AsView(node));
}
inline std::string DirtyList(uint64_t seq) {
  std::string k(kDirtyListPrefix);
  coding::PutFixed64BE(&k, seq);
  return k;
}
inline std::string DirtyProfile(uint64_t oneid) {
  std::string k(kDirtyProfilePrefix);
  coding::PutFixed64BE(&k, oneid);
  return k;
}

// event_index: the track events of one name grouped by the OneID they are attributed to,
// so that a computed trait reads only the events it aggregates, one OneID after another
// (profile_store.cc writes them when it rebuilds a profile). Names hold no \0 (the parser
// refuses them).
inline std::string EventNamePrefix(std::string_view event) {
  std::string k(event);
  k.push_back('\0');
  return k;
}
inline std::string EventNameOneIdPrefix(std::string_view event, uint64_t oneid) {
  std::string k = EventNamePrefix(event);
  coding::PutFixed64BE(&k, oneid);
  return k;
}
inline std::string EventNameKey(std::string_view event, uint64_t oneid, uint64_t seq) {
  std::string k = EventNameOneIdPrefix(event, oneid);
  coding::PutFixed64BE(&k, seq);
  return k;
}
inline constexpr size_t kEventNameKeyTail = 16;  // oneid8 seq8 after the name prefix
// event_index: 0xff oneid8 -> the names under which the OneID has rows. 9 bytes: a row key
// is at least 18 (name, \0, 16), so the two never meet in a scan that checks the size.
inline std::string EventNamesKey(uint64_t oneid) {
  std::string k(1, '\xff');
  coding::PutFixed64BE(&k, oneid);
  return k;
}
inline constexpr size_t kEventNamesKeySize = 9;
// event_index: 0xfe name \0 oneid8 -> the OneID's events of that name as a projection block:
// a 0 byte (not an event record's version: the retention filter keeps it), then each of its
// rows (EventNameKey(name, oneid, seq), by seq) with its properties cut down to the name's
// projected properties (profile::EventProjectionValue), length-prefixed. What a computed trait
// reading only those properties reads: a fraction of the bytes, one entry per OneID. 0xfe
// never starts an event name (not UTF-8), so blocks never meet rows in a scan by name.
inline constexpr char kEventProjectionTag = '\xfe';
inline std::string EventProjectionPrefix(std::string_view event) { return kEventProjectionTag + EventNamePrefix(event); }
inline std::string EventProjectionKey(std::string_view event, uint64_t oneid) {
  return kEventProjectionTag + EventNameOneIdPrefix(event, oneid);
}
inline bool IsEventProjectionKey(std::string_view key) { return !key.empty() && key[0] == kEventProjectionTag; }
inline constexpr size_t kEventProjectionKeyTail = 8;  // oneid8 after the projection prefix
// meta: kEventProjectionPrefix + name -> the top-level properties the name's projection keeps
// (each length-prefixed, sorted). Written once its every row is; absent: no projection.
inline constexpr std::string_view kEventProjectionPrefix = "cfg/event_projection/";
inline std::string EventProjectionMetaKey(std::string_view event) {
  return std::string(kEventProjectionPrefix) + std::string(event);
}
// meta: kEventIndexVersion once the event index covers every attributed event in its current
// form (built at open for stores written before it, or before its rows were grouped by OneID).
inline constexpr std::string_view kEventIndexBuilt = "cfg/event_index";
inline constexpr std::string_view kEventIndexVersion = "3";

// events: seq8
inline std::string EventKey(uint64_t seq) {
  std::string k;
  coding::PutFixed64BE(&k, seq);
  return k;
}
// dedupe: source \0 messageId
inline std::string DedupeKey(std::string_view source, std::string_view message_id) {
  std::string k;
  k.reserve(source.size() + 1 + message_id.size());
  k.append(source).push_back('\0');
  k.append(message_id);
  return k;
}
// node_events: node16 seq8
inline std::string NodeEventKey(const Key16& node, uint64_t seq) {
  std::string k(AsView(node));
  coding::PutFixed64BE(&k, seq);
  return k;
}
// edges: a16 b16 (stored in both directions)
inline std::string EdgeKey(const Key16& a, const Key16& b) {
  std::string k(AsView(a));
  k.append(AsView(b));
  return k;
}
// Beside each evidence edge, same prefix, a 33-byte key with a variant byte:
//   a16 b16 'm' -> probabilistic match (StatsRecord kind 3, tail "<weight>\x1f<source>"), Put
//   a16 b16 'w' -> withdrawn pair: no edge between a and b counts (tail: reason)
inline constexpr char kMatchVariant = 'm';
inline constexpr char kWithdrawnVariant = 'w';
inline std::string EdgeVariantKey(const Key16& a, const Key16& b, char variant) {
  std::string k = EdgeKey(a, b);
  k.push_back(variant);
  return k;
}
// graph: 'h' node16 when8 -> oneid8: the node's OneID from `when` (ms, resolution
// clock) on; 0 = no OneID (erased). Kept for `lookup --as-of` and `explain --as-of`.
inline std::string HistoryPrefix(const Key16& node) {
  std::string k("h");
  k.append(AsView(node));
  return k;
}
inline std::string HistoryKey(const Key16& node, int64_t when_ms) {
  std::string k = HistoryPrefix(node);
  coding::PutFixed64BE(&k, static_cast<uint64_t>(when_ms));
  return k;
}
// meta: merge/split feed, one JSON object per record, in order.
inline constexpr std::string_view kFeedSeq = "seq/feed";
inline constexpr std::string_view kFeedPrefix = "feed/";
inline std::string FeedKey(uint64_t seq) {
  std::string k(kFeedPrefix);
  coding::PutFixed64BE(&k, seq);
  return k;
}
// meta: the identity policy in force (TOML text) and the last cluster-size histogram.
inline constexpr std::string_view kIdentityPolicy = "cfg/identity_policy";
// identity/: the hub caps learned at the last whole-graph resolution (hubs.h EncodeHubCaps),
// and one mark per identifier found to be a hub or gateway (hub/ + node16, empty value).
inline constexpr std::string_view kHubCaps = "stat/hub_caps";
inline constexpr std::string_view kHubMarkPrefix = "hub/";
inline constexpr std::string_view kConsentPolicy = "cfg/consent_policy";
inline constexpr std::string_view kRetention = "cfg/retention";  // {"source": days} JSON
// {"*": "US", "source": "GB", ...}: where phones without a country code are read (absent: CN).
inline constexpr std::string_view kPhoneRegions = "cfg/phone_regions";
// {"*": "truncate", "source": "drop", ...}: what ingestion keeps of context.ip (absent: truncate).
inline constexpr std::string_view kIpPolicy = "cfg/ip_policy";
// Suppression list: "sup/" + a keyed hash of an erased identifier -> erased at (i64 BE ms).
inline constexpr std::string_view kSuppressedPrefix = "sup/";
inline constexpr std::string_view kConsentLedgerBuilt = "cfg/consent_ledger";  // present: the ledger covers every event
inline constexpr std::string_view kSizeHistogram = "stat/cluster_sizes";

// graph: 'n' node16 -> oneid8 ; 'o' oneid8 node16 -> ""
inline std::string NodeOneIdKey(const Key16& node) {
  std::string k("n");
  k.append(AsView(node));
  return k;
}
inline std::string MemberPrefix(uint64_t oneid) {
  std::string k("o");
  coding::PutFixed64BE(&k, oneid);
  return k;
}
inline std::string MemberKey(uint64_t oneid, const Key16& node) {
  std::string k = MemberPrefix(oneid);
  k.append(AsView(node));
  return k;
}
// vault: node16 tag8 -> sealed JSON (privacy::VaultSeal). The tag is the first 8 bytes of a
// keyed hash of the plaintext, so the same address given twice is kept once.
inline std::string VaultEntryKey(const Key16& node, const std::array<uint8_t, 8>& tag) {
  std::string k(AsView(node));
  k.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return k;
}
// profiles: oneid8
inline std::string ProfileKey(uint64_t oneid) {
  std::string k;
  coding::PutFixed64BE(&k, oneid);
  return k;
}

// people: account memberships (profile/accounts.h; written with the profiles). The people
// graph's own keys ('l', 'k', 'r') are kept by profile/people_graph.cc.
//   'a' account16 oneid8 -> AccountEvidence   'b' oneid8 account16 -> ""
inline constexpr char kAccountMemberTag = 'a';
inline constexpr char kAccountsOfTag = 'b';
inline constexpr size_t kAccountMemberKeySize = 1 + 16 + 8;
inline std::string AccountMemberPrefix(const Key16& account) {
  std::string k(1, kAccountMemberTag);
  k.append(AsView(account));
  return k;
}
inline std::string AccountMemberKey(const Key16& account, uint64_t oneid) {
  std::string k = AccountMemberPrefix(account);
  coding::PutFixed64BE(&k, oneid);
  return k;
}
inline std::string AccountsOfPrefix(uint64_t oneid) {
  std::string k(1, kAccountsOfTag);
  coding::PutFixed64BE(&k, oneid);
  return k;
}
inline std::string AccountsOfKey(uint64_t oneid, const Key16& account) {
  std::string k = AccountsOfPrefix(oneid);
  k.append(AsView(account));
  return k;
}

// segments: one tag byte, then the name (docs/storage_format.md).
inline constexpr char kComputedTraitTag = 't';   // 't' name -> computed trait definition
inline constexpr char kSegmentTag = 'd';         // 'd' name -> segment record
inline constexpr char kSegmentVersionTag = 'v';  // 'v' name \0 version8 -> definition
inline constexpr char kSegmentMembersTag = 'm';  // 'm' name -> Roaring members
// Written by versions before every analyst answer was noised (a log of released groups and
// of withheld complements); deleted by analytics::ReleasePoint at its first release.
inline constexpr char kGroupLogTag = 'q';        // 'q' seq8 -> an answered group (old)
inline constexpr char kSealedGroupTag = 'w';     // 'w' seq8 -> a group withheld as a complement (old)
inline constexpr char kComputedValueTag = 'c';   // 'c' name \0 oneid8 -> a computed trait's value
inline constexpr char kTraitRowTag = 'r';        // 'r' oneid8 -> a profile's built-in traits, typed
inline constexpr char kMemberListTag = 'l';      // 'l' name -> Roaring members of a fixed list (a look-alike audience)
inline std::string SegmentsKey(char tag, std::string_view name) {
  std::string k(1, tag);
  k.append(name);
  return k;
}
inline std::string SegmentVersionKey(std::string_view name, uint64_t version) {
  std::string k = SegmentsKey(kSegmentVersionTag, name);
  k.push_back('\0');
  coding::PutFixed64BE(&k, version);
  return k;
}
// The stored values of one computed trait, by OneID: a column (profile/profile_store.h).
inline std::string ComputedValuePrefix(std::string_view name) {
  std::string k = SegmentsKey(kComputedValueTag, name);
  k.push_back('\0');
  return k;
}
inline std::string ComputedValueKey(std::string_view name, uint64_t oneid) {
  std::string k = ComputedValuePrefix(name);
  coding::PutFixed64BE(&k, oneid);
  return k;
}
// The typed trait row of one profile (profile/trait_row.h), written beside its JSON.
inline std::string TraitRowKey(uint64_t oneid) {
  std::string k(1, kTraitRowTag);
  coding::PutFixed64BE(&k, oneid);
  return k;
}
// meta: "1" once every profile has its typed trait row (written at open for older stores).
inline constexpr std::string_view kTraitRowsBuilt = "cfg/trait_rows";
// graph: the prefixes of every node's OneID and of every OneID's members.
inline constexpr std::string_view kGraphNodePrefix = "n";
inline constexpr std::string_view kGraphMemberPrefix = "o";
// graph: 'p' tag16 -> node16: the partner-match tag of an e-mail or phone identifier (keyed
// BLAKE2b, under the generation-0 key, of the SHA-256 of its normalized value:
// privacy::Pseudonymizer::MatchTag) -> the identifier's node. Owned by identity/match_tags.h;
// written at ingestion, deleted with the node by erasure; the key survives a rotation as it
// is, the value is re-keyed like every pseudonym.
inline constexpr std::string_view kMatchTagPrefix = "p";
inline constexpr size_t kMatchTagKeySize = 17;
inline std::string MatchTagKey(const Key16& tag) {
  std::string k(kMatchTagPrefix);
  k.append(AsView(tag));
  return k;
}
// meta: API credentials, "cred/" kind "/" hex hash of the secret -> name \t role.
inline constexpr std::string_view kCredentialPrefix = "cred/";
inline std::string CredentialKey(std::string_view kind, std::string_view hash_hex) {
  std::string k(kCredentialPrefix);
  k.append(kind).push_back('/');
  k.append(hash_hex);
  return k;
}

}  // namespace holo::storage::keys
