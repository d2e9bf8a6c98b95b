// ParsedMessage: one validated Segment-spec message with its identifiers already
// normalized and pseudonymized. Nothing in here is a raw phone, email or MAC.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "privacy/pseudonymizer.h"

namespace holo::ingest {

// Segment message types. DO NOT CHANGE the values: they are stored in event records.
enum class MessageType : uint8_t {
  kIdentify = 1,
  kTrack = 2,
  kPage = 3,
  kScreen = 4,
  kAlias = 5,
  kGroup = 6,
};

// Where in the message an identifier came from. DO NOT CHANGE the values.
enum class IdRole : uint8_t {
  kUserId = 1,
  kAnonymousId = 2,
  kPreviousId = 3,
  kDeviceId = 4,
  kAdId = 5,
  kTraitEmail = 6,
  kTraitPhone = 7,
  kExternalId = 8,
};

struct ParsedIdentifier {
  // Canonical identifier type: "user_id@taobao", "anonymous_id@web", "device_id", "ad_id",
  // "email", "phone", "mac", "cookie", or an external type as given ("idfa", ...).
  // External types declared as a namespace's account id (taobao_id, ...) become "user_id@<ns>".
  std::string type;
  privacy::Pseudonym pseudonym;  // keyed hash of type + '\0' + normalized value
  IdRole role = IdRole::kUserId;
  // A value that identifies no one: a randomized (locally administered) MAC, an all-zero
  // advertising id, or a configured placeholder. Such identifiers are kept on the event but
  // never become identity-graph nodes.
  bool placeholder = false;
  // E-mail and phone identifiers (not placeholders): the partner-match tag of the SHA-256 of
  // the normalized value (privacy::Pseudonymizer::MatchTag), stored by identity beside the
  // node so that a partner's uploaded hash finds it (docs/privacy.md, "Partner clean room").
  bool has_match_tag = false;
  privacy::Pseudonym match_tag{};
};

// The identifier type an account (a group call's groupId) is pseudonymized under: like a
// userId, in the namespace of the message's source ("group_id@taobao"), so that the sources
// of one namespace share their accounts. The pseudonym is kept in the group call's traits
// (storage::kGroupProperty), never the groupId itself.
inline std::string GroupIdType(std::string_view ns) { return "group_id@" + std::string(ns); }

struct ParsedMessage {
  std::string source;
  MessageType type = MessageType::kTrack;
  std::string message_id;     // as sent, else kContentIdPrefix + content hash (message_parser.h)
  std::string event;          // track: event name; page/screen: name (may be empty)
  // receivedAt - (sentAt - originalTimestamp), else originalTimestamp, else timestamp, else
  // receivedAt, else ingest time (MessageParser::Parse)
  int64_t timestamp_ms = 0;
  std::vector<ParsedIdentifier> ids;  // distinct by pseudonym, in message order
  // Minified JSON object of "properties" (track/page/screen) or "traits" (identify/group),
  // with raw PII removed: traits email/phone/name/address and
  // properties.shipping_address.{name,phone,street} are dropped; city and postcode are kept.
  // (The exact list of dropped keys is in ingest/README.md.)
  std::string properties_json;
  bool explicit_link = false;  // alias, or identify carrying more than one account identifier
  // group: "groupId" (string or integer) as sent, else empty. Not stored: the stored traits
  // carry its pseudonym under storage::kGroupProperty.
  std::string group_id;
  // Raw personal values a use needs (the PII vault, ParserOptions::capture_vault): one
  // minified JSON object per shipping/billing address holding its name, phone, street,
  // email, city and postcode as given. Sealed before storage; never written in clear.
  std::vector<std::string> vault;
  // Non-fatal problems, one line each, e.g. "invalid phone in traits.phone: contains letters"
  // (an identifier that failed normalization and was dropped). Never contains raw PII.
  std::vector<std::string> warnings;
};

// The explicit-link groups of identifier `id` of `m` (identity::Sighting::link_groups):
// two identifiers of the message that share a group are one person by the message's own
// word — the accounts of an identify that carries more than one (bit 0), the userId,
// previousId and anonymousId of an alias (bit 1). 0 for a message that links nothing.
inline uint8_t LinkGroups(const ParsedMessage& m, const ParsedIdentifier& id) {
  if (!m.explicit_link) return 0;
  uint8_t groups = 0;
  if (id.type.starts_with("user_id@")) groups |= 1;
  if (m.type == MessageType::kAlias &&
      (id.role == IdRole::kUserId || id.role == IdRole::kPreviousId || id.role == IdRole::kAnonymousId)) {
    groups |= 2;
  }
  return groups;
}

}  // namespace holo::ingest
