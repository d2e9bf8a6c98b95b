// MessageParser: one JSON Lines message (Segment spec, see shared/EVENTS.md) -> ParsedMessage,
// validated, with its identifiers typed, normalized and pseudonymized and its properties
// stripped of raw PII: personal fields of properties are dropped, identifiers of other people
// (ParserOptions::reference_properties) become pseudonyms, and a delivery address keeps
// city and postcode plus `address_key`, the keyed hash of privacy::AddressKeyText (the
// household key), never the street or the recipient.
//
//   privacy::Pseudonymizer pseudonymizer(key);
//   MessageParser parser(ParserOptions::Defaults(), &pseudonymizer);
//   Result<ParsedMessage> m = parser.Parse(line, "tmall", now_ms);
//   if (!m.ok()) dead_letters.Write(file, line_no, "tmall", m.status().message(), line);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "holo/result.h"
#include "ingest/message.h"
#include "privacy/normalize.h"
#include "privacy/pseudonymizer.h"

namespace holo::ingest {

// In the reason of every message refused for a timestamp too far ahead of the clock
// (ParserOptions::max_future_skew_ms), so that ingestion can count them.
inline constexpr std::string_view kAheadOfClock = "ahead of the clock";

// The messageId given to a message sent without one starts with this, followed by 32 hex
// digits: the keyed hash of the message's content (see README.md, "messageId").
inline constexpr std::string_view kContentIdPrefix = "content:";

// What ingestion keeps of `context.ip` (docs/privacy.md, "IP addresses"). DO NOT CHANGE the
// names: they are stored in the store's configuration (cfg/ip_policy).
enum class IpPolicy : uint8_t {
  kKeep,      // the address as sent (when it is an IPv4 or IPv6 address)
  kTruncate,  // IPv4 to its /24 (a.b.c.0), IPv6 to its /48 (a:b:c::)
  kDrop,      // not kept
};
// "keep", "truncate", "drop".
std::string_view IpPolicyName(IpPolicy p);
// The inverse of IpPolicyName; kInvalidArgument for any other text.
Result<IpPolicy> ParseIpPolicy(std::string_view name);
// `ip` under `policy`, canonical (inet_ntop form); empty when dropped or not an IP address.
std::string ApplyIpPolicy(std::string_view ip, IpPolicy policy);

struct ParserOptions {
  // source -> account namespace; a source not listed is its own namespace.
  // Defaults(): tmall -> taobao, store_beacon -> taobao.
  std::map<std::string, std::string> source_namespace;
  // External id type (context.externalIds[].type) -> namespace whose user_id it is: such an id
  // becomes "user_id@<ns>" and pseudonymizes exactly like a userId of that namespace.
  // Defaults(): taobao_id, alipay_id, eleme_id, youku_id, fliggy_id, amap_id, weibo_id,
  // minigame_id -> taobao, alipay, eleme, youku, fliggy, amap, weibo, minigame.
  std::map<std::string, std::string> account_id_types;
  // Properties of track/page/screen messages whose value is another person's identifier
  // (property -> identifier type; "@source" = the user_id type of the message's own
  // namespace). The raw value never reaches the store: it is replaced by the hex pseudonym of
  // that identifier, so it can be joined to the identity graph. Defaults(): invited_by ->
  // @source (minigame invites), card_owner -> user_id@alipay (family-card payments).
  std::map<std::string, std::string, std::less<>> reference_properties;
  // The region (ISO 3166 code, privacy::NormalizePhone) in which a phone number written
  // without a country code is read, per source; a source not listed uses
  // default_phone_region. A number not valid in its source's region is dropped with a
  // warning ("invalid phone in traits.phone: not a valid number in region CN"), never re-read
  // as another country's. Default: "CN" (what stores written before per-source regions used).
  std::string default_phone_region = std::string(privacy::kDefaultPhoneRegion);
  std::map<std::string, std::string, std::less<>> phone_region_by_source;
  // Keep the personal fields of shipping/billing addresses (name, phone, street, email,
  // with city and postcode) in ParsedMessage::vault for the encrypted PII vault. They are
  // dropped from the properties either way. Default: false (the engine turns it on).
  bool capture_vault = false;
  // What is kept of context.ip, per source; a source not listed has default_ip_policy.
  // Default: kTruncate (an IP address is personal data; its /24 or /48 is a network).
  IpPolicy default_ip_policy = IpPolicy::kTruncate;
  std::map<std::string, IpPolicy, std::less<>> ip_policy_by_source;
  // Longer lines are rejected ("line exceeds 65536 bytes"). Default: 64 KiB.
  size_t max_line_bytes = 64 * 1024;
  // A message stamped (timestamp, else receivedAt) more than this ahead of now_ms is
  // corrected from its sentAt as Segment corrects skewed client clocks (timestamp := now -
  // (sentAt - timestamp)) with a warning, or rejected when it has no usable sentAt or is
  // still ahead after the correction. Default: one day. Per-source values override it.
  int64_t max_future_skew_ms = 24LL * 3600 * 1000;
  std::map<std::string, int64_t, std::less<>> future_skew_ms_by_source;

  // Returns the options above with their documented defaults filled in.
  static ParserOptions Defaults();
};

// Not thread-safe: use one MessageParser per thread (it owns a simdjson parser and scratch
// buffers that are reused from line to line). The Pseudonymizer is not owned, is shared
// (it is thread-safe) and must outlive the parser.
class MessageParser {
 public:
  MessageParser(ParserOptions options, const privacy::Pseudonymizer* pseudonymizer);
  ~MessageParser();
  MessageParser(MessageParser&&) noexcept;
  MessageParser& operator=(MessageParser&&) noexcept;
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // Parses and validates one line (without its newline) from `source`. now_ms is the arrival
  // time when the message has no "receivedAt". The event time is Segment's: receivedAt -
  // (sentAt - originalTimestamp) when both are given, else originalTimestamp, else timestamp,
  // else the arrival time. A message without "messageId" gets kContentIdPrefix + the keyed
  // hash of its content, so that a resent copy is still a duplicate.
  //
  // On error returns kInvalidArgument with a one-line reason naming the field, e.g.
  //   "line exceeds 65536 bytes", "invalid UTF-8", "invalid JSON: <simdjson's reason>",
  //   "message is not a JSON object", "missing required field 'type'", "unknown type 'foo'",
  //   "missing required field 'event' for type track", "messageId must be a string",
  //   "missing required field 'userId' or 'anonymousId'", "userId must be a string",
  //   "missing required field 'previousId' for type alias",
  //   "bad timestamp '2026-13-01': month out of range",
  //   "invalid phone in traits.phone: contains letters" (only when that was the sole identifier).
  // Values quoted in errors are truncated to 64 bytes; raw PII values are never quoted.
  //
  // `implied_type`: the type a message without a "type" field has (the HTTP
  // endpoint /v1/track implies "track"); a message whose type differs from it is
  // rejected. Empty: "type" is required.
  Result<ParsedMessage> Parse(std::string_view line, std::string_view source, int64_t now_ms,
                              std::string_view implied_type = {});

  const ParserOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace holo::ingest
