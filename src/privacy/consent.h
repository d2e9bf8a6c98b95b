// Consent: purposes, the ledger's records, a person's state per purpose, and the
// policy saying which purposes each use of the data needs.
//
// Purposes (shared/EVENTS.md, plus `location` for China's PIPL, which asks for a
// separate consent to process location data): analytics, personalization,
// marketing (opting out of it is the opt-out from automated marketing),
// third_party (sharing with third parties), location.
//
// The ledger holds one record per (identifier, purpose, decision): who decided,
// when, where (source), and whether consent was given or withdrawn. A person's
// state for a purpose is their latest decision across all their identifiers and
// sources; a purpose nobody decided on takes the policy's default (not given).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "privacy/pseudonymizer.h"

namespace holo::privacy {

inline constexpr std::array<std::string_view, 5> kPurposes = {"analytics", "personalization", "marketing",
                                                              "third_party", "location"};
inline constexpr size_t kPurposeCount = kPurposes.size();

// Index of `name` in kPurposes, or nullopt.
std::optional<size_t> PurposeIndex(std::string_view name);

struct ConsentRecord {
  Pseudonym node{};      // the identifier the decision came with
  size_t purpose = 0;    // index in kPurposes
  int64_t ts_ms = 0;     // when the person decided
  uint64_t seq = 0;      // the event's sequence number (0: recorded through the API/CLI)
  bool given = false;
  std::string source;    // where: the app or channel
};

// Ledger key: node16 purpose1 ts8 seq8 (big-endian, so a node's records sort by purpose, then time).
std::string ConsentKey(const ConsentRecord& r);
// Ledger value: given1 source.
std::string ConsentValue(const ConsentRecord& r);
bool DecodeConsent(std::string_view key, std::string_view value, ConsentRecord* out);

struct PurposeState {
  bool decided = false;
  bool given = false;
  int64_t ts_ms = 0;
  uint64_t seq = 0;
  std::string source;
};

// A person's latest decision per purpose.
struct PersonConsent {
  std::array<PurposeState, kPurposeCount> purposes;
  // Takes `r` if it is later than the purpose's current decision (by time, then sequence).
  void Fold(const ConsentRecord& r);
};

// Which purposes each use needs, and the state of an undecided purpose.
struct ConsentPolicy {
  std::map<std::string, std::vector<size_t>> uses;  // use -> purposes (all needed)
  std::array<bool, kPurposeCount> defaults{};      // undecided purpose: given? (default: no)

  // The built-in policy: export -> marketing; activation -> personalization;
  // third_party_export -> third_party + marketing; store_link -> location.
  static ConsentPolicy Default();
  // {"uses": {"export": ["marketing"], ...}, "defaults": {"analytics": true}}; every use and
  // purpose name checked. Uses missing from `json` keep no requirement.
  static Result<ConsentPolicy> Parse(std::string_view json);
  std::string ToJson() const;
  // Whether `person` (null: nobody decided anything) may be used for `use`;
  // kNotFound for a use the policy does not name.
  Result<bool> Allows(const PersonConsent* person, std::string_view use) const;
  bool Given(const PersonConsent* person, size_t purpose) const;
};

// What offline-to-online linking of store visits produces (shown only under the
// "store_link" use): the store-visit traits, the sightings, the identifiers store
// sensors report (anonymous_id@store_wifi, anonymous_id@store_beacon, ...).
bool IsStoreTrait(std::string_view trait);
bool IsStoreSighting(std::string_view event);
bool IsStoreIdentifierType(std::string_view type);

}  // namespace holo::privacy
