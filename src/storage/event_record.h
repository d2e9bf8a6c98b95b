// EventRecord: the stored form of one ingested message (events column family).
// Identifiers are kept only as pseudonyms. Layout (varints, length-prefixed strings):
//   version=1, msg_type u8, timestamp (zigzag varint ms), source, event, message_id,
//   n_ids, { pseudonym[16], role u8, flags u8, type }*, properties_json
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace holo::storage {

// The reserved top-level key of properties_json under which ingestion keeps the whitelisted
// part of a message's `context` (page, campaign, userAgent, locale, timezone, library, app,
// device type/model, os, ip by the source's IP policy): {"$context":{"campaign":{...},...}}.
// Always the last key of the object; a client's own "$context" property is dropped. Stores
// written before it simply have no such key (docs/storage_format.md, "Event context").
inline constexpr std::string_view kContextProperty = "$context";

// The reserved first key of a group call's properties_json: the account it names, the hex
// pseudonym of its groupId (ingest::GroupIdType), {"$group":"3fa9...","name":"Acme",...}.
// A client's own "$group" trait or property is dropped. Group calls stored before it have
// none and name no account (docs/storage_format.md, "Accounts").
inline constexpr std::string_view kGroupProperty = "$group";

struct EventId {
  std::array<uint8_t, 16> pseudonym{};
  uint8_t role = 0;      // ingest::IdRole
  uint8_t flags = 0;     // bit 0: placeholder (never a graph node)
  std::string type;      // canonical identifier type
  bool placeholder() const { return flags & 1; }
};

struct EventRecord {
  uint8_t msg_type = 0;  // ingest::MessageType
  int64_t timestamp_ms = 0;
  std::string source;
  std::string event;
  std::string message_id;
  std::vector<EventId> ids;
  std::string properties_json;

  void EncodeTo(std::string* out) const;
  // Returns false on a malformed record.
  bool DecodeFrom(std::string_view in);
};

// Reads the head of an event record (or of a value that starts with one: a vault entry, an
// event index row) without decoding the rest: its timestamp and source. False when malformed.
bool DecodeEventHead(std::string_view in, int64_t* timestamp_ms, std::string_view* source);
// Reads an event record's message type, timestamp, source and properties JSON without
// copying anything (views into `in`). False when malformed.
bool DecodeEventView(std::string_view in, uint8_t* msg_type, int64_t* timestamp_ms, std::string_view* source,
                     std::string_view* properties_json);

// A block of event records (an event index projection block, keys::EventProjectionKey): a 0
// byte (not an event record's version, so the retention filter keeps the block), then each
// record length-prefixed.
//
//   std::string block;
//   AppendToEventBlock(&block, record);      // starts the block on the first record
//   std::string_view in = block, record;
//   if (!OpenEventBlock(&in)) ...            // malformed
//   while (!in.empty()) { if (!NextInEventBlock(&in, &record)) ...; }
void AppendToEventBlock(std::string* block, std::string_view record);
// Steps past the block's leading byte; false when `block` is not a block.
bool OpenEventBlock(std::string_view* block);
// Takes the next record off an opened block; false when malformed.
bool NextInEventBlock(std::string_view* block, std::string_view* record);

// The value of a vault entry (keys::VaultEntryKey): in clear, the same head as an event
// record (version=1, a zero byte, timestamp, source), so the retention compaction filter
// expires vault entries by the same per-source windows; then the sealed raw values.
struct VaultRecord {
  int64_t timestamp_ms = 0;  // of the newest event that carried the values
  std::string source;
  std::string sealed;        // privacy::VaultSeal output

  void EncodeTo(std::string* out) const;
  // Returns false on a malformed record.
  bool DecodeFrom(std::string_view in);
};

// "identify", "track", "page", "screen", "alias", "group" for msg_type 1..6, else "unknown".
const char* MessageTypeName(uint8_t msg_type);

}  // namespace holo::storage
