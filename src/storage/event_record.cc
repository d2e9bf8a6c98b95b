#include "storage/event_record.h"

#include <cstring>

#include "common/coding.h"

namespace holo::storage {

void EventRecord::EncodeTo(std::string* out) const {
  out->push_back(1);  // version
  out->push_back(static_cast<char>(msg_type));
  coding::PutVarsint64(out, timestamp_ms);
  coding::PutLengthPrefixed(out, source);
  coding::PutLengthPrefixed(out, event);
  coding::PutLengthPrefixed(out, message_id);
  coding::PutVarint64(out, ids.size());
  for (const EventId& id : ids) {
    out->append(reinterpret_cast<const char*>(id.pseudonym.data()), id.pseudonym.size());
    out->push_back(static_cast<char>(id.role));
    out->push_back(static_cast<char>(id.flags));
    coding::PutLengthPrefixed(out, id.type);
  }
  coding::PutLengthPrefixed(out, properties_json);
}

void VaultRecord::EncodeTo(std::string* out) const {
  out->push_back(1);  // version
  out->push_back(0);  // no message type: not an event
  coding::PutVarsint64(out, timestamp_ms);
  coding::PutLengthPrefixed(out, source);
  out->append(sealed);
}

bool VaultRecord::DecodeFrom(std::string_view in) {
  if (in.size() < 2 || in[0] != 1 || in[1] != 0) return false;
  in.remove_prefix(2);
  std::string_view s;
  if (!coding::GetVarsint64(&in, &timestamp_ms) || !coding::GetLengthPrefixed(&in, &s)) return false;
  source.assign(s);
  sealed.assign(in);
  return true;
}

bool DecodeEventHead(std::string_view in, int64_t* timestamp_ms, std::string_view* source) {
  // version u8 (1), msg_type u8, timestamp zigzag varint, source length-prefixed.
  if (in.size() < 2 || in[0] != 1) return false;
  in.remove_prefix(2);
  return coding::GetVarsint64(&in, timestamp_ms) && coding::GetLengthPrefixed(&in, source);
}

bool DecodeEventView(std::string_view in, uint8_t* msg_type, int64_t* timestamp_ms, std::string_view* source,
                     std::string_view* properties_json) {
  if (in.size() < 2 || in[0] != 1) return false;
  *msg_type = static_cast<uint8_t>(in[1]);
  in.remove_prefix(2);
  std::string_view s;
  uint64_t n;
  if (!coding::GetVarsint64(&in, timestamp_ms) || !coding::GetLengthPrefixed(&in, source)) return false;
  if (!coding::GetLengthPrefixed(&in, &s) || !coding::GetLengthPrefixed(&in, &s)) return false;  // event, message id
  if (!coding::GetVarint64(&in, &n) || n > 1024) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!coding::GetBytes(&in, 18, &s) || !coding::GetLengthPrefixed(&in, &s)) return false;
  }
  if (!coding::GetLengthPrefixed(&in, properties_json)) return false;
  return in.empty();
}

bool EventRecord::DecodeFrom(std::string_view in) {
  if (in.size() < 2 || in[0] != 1) return false;
  msg_type = static_cast<uint8_t>(in[1]);
  in.remove_prefix(2);
  std::string_view s;
  uint64_t n;
  if (!coding::GetVarsint64(&in, &timestamp_ms)) return false;
  if (!coding::GetLengthPrefixed(&in, &s)) return false;
  source.assign(s);
  if (!coding::GetLengthPrefixed(&in, &s)) return false;
  event.assign(s);
  if (!coding::GetLengthPrefixed(&in, &s)) return false;
  message_id.assign(s);
  if (!coding::GetVarint64(&in, &n) || n > 1024) return false;
  ids.resize(n);
  for (EventId& id : ids) {
    if (!coding::GetBytes(&in, 18, &s)) return false;
    std::memcpy(id.pseudonym.data(), s.data(), 16);
    id.role = static_cast<uint8_t>(s[16]);
    id.flags = static_cast<uint8_t>(s[17]);
    if (!coding::GetLengthPrefixed(&in, &s)) return false;
    id.type.assign(s);
  }
  if (!coding::GetLengthPrefixed(&in, &s)) return false;
  properties_json.assign(s);
  return in.empty();
}

void AppendToEventBlock(std::string* block, std::string_view record) {
  if (block->empty()) block->push_back('\0');
  coding::PutLengthPrefixed(block, record);
}

bool OpenEventBlock(std::string_view* block) {
  if (block->empty() || (*block)[0] != 0) return false;
  block->remove_prefix(1);
  return true;
}

bool NextInEventBlock(std::string_view* block, std::string_view* record) {
  return coding::GetLengthPrefixed(block, record);
}

const char* MessageTypeName(uint8_t msg_type) {
  static const char* kNames[] = {"identify", "track", "page", "screen", "alias", "group"};
  return msg_type >= 1 && msg_type <= 6 ? kNames[msg_type - 1] : "unknown";
}

}  // namespace holo::storage
