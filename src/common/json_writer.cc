#include "common/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace holo {
namespace {

constexpr uint8_t kObject = 1;
constexpr uint8_t kArray = 2;
constexpr uint8_t kKindMask = 3;
constexpr uint8_t kHasItems = 4;

// Returns true for bytes that cannot appear unescaped inside a JSON string.
inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether any of the 8 bytes of x needs escaping (a control byte, '"' or '\\'): the
// classic zero-byte test on x, x ^ '"' and x ^ '\\', and the below-0x20 test.
inline bool AnyNeedsEscape(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t quote = x ^ (kOnes * '"'), slash = x ^ (kOnes * '\\');
  const uint64_t below = (x - kOnes * 0x20) & ~x;
  const uint64_t zero = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash);
  return ((below | zero) & kHigh) != 0;
}

}  // namespace

void JsonWriter::AppendQuoted(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    // Eight bytes at a time while none needs escaping (most strings: none at all).
    while (i + 8 <= value.size()) {
      uint64_t x;
      std::memcpy(&x, value.data() + i, sizeof(x));
      if (AnyNeedsEscape(x)) break;
      i += 8;
    }
    if (i == value.size()) break;
    const auto c = static_cast<unsigned char>(value[i]);
    if (!NeedsEscape(c)) continue;
    out->append(value.data() + run_start, i - run_start);
    if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(esc, sizeof(esc));
    }
    run_start = i + 1;
  }
  out->append(value.data() + run_start, value.size() - run_start);
  out->push_back('"');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  uint8_t& top = stack_.back();
  assert((top & kKindMask) == kArray && "value inside an object needs a Key()");
  if (top & kHasItems) out_->push_back(',');
  top |= kHasItems;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  stack_.push_back(kObject);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  assert(!stack_.empty() && (stack_.back() & kKindMask) == kObject && !after_key_);
  stack_.pop_back();
  out_->push_back('}');
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  stack_.push_back(kArray);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  assert(!stack_.empty() && (stack_.back() & kKindMask) == kArray);
  stack_.pop_back();
  out_->push_back(']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  assert(!stack_.empty() && (stack_.back() & kKindMask) == kObject && !after_key_);
  uint8_t& top = stack_.back();
  if (top & kHasItems) out_->push_back(',');
  top |= kHasItems;
  AppendQuoted(key, out_);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendQuoted(value, out_);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, res.ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_->append("null");
    return *this;
  }
  char buf[40];
  auto res = fmt::format_to_n(buf, sizeof(buf), "{}", value);
  out_->append(buf, res.out);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::RawValue(std::string_view json) {
  BeforeValue();
  out_->append(json);
  return *this;
}

}  // namespace holo
