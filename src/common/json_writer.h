// JsonWriter: a small, fast, streaming JSON writer that appends to a std::string.
//
//   std::string out;
//   holo::JsonWriter w(&out);
//   w.BeginObject();
//   w.Key("name").String("Wang \"Fang\"");
//   w.Key("tags").BeginArray().String("vip").Int(3).EndArray();
//   w.Key("score").Double(0.1);
//   w.EndObject();
//   // out == R"({"name":"Wang \"Fang\"","tags":["vip",3],"score":0.1})"
//
// Commas between members/elements and the ':' after a key are inserted automatically.
// Strings are escaped per RFC 8259: '"' and '\' are backslash-escaped, \n \r \t use their
// short escapes, other control characters (U+0000..U+001F) are written as \u00XX, and every
// other byte (UTF-8 included) is copied unchanged; the writer does not validate UTF-8.
//
// The call sequence is the caller's responsibility: a value inside an object must follow a
// Key(), and Begin*/End* must nest. Misuse is caught by assert() in debug builds and yields
// malformed JSON in release builds. Several top-level values are written back to back with
// no separator: for JSON Lines append '\n' to the string yourself between values.
//
// Thread-compatible: one writer per thread. The writer does not own the string, which must
// outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace holo {

class JsonWriter {
 public:
  // Appends to `*out`, which is not cleared. REQUIRES: out != nullptr.
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();

  // Writes an object member name. REQUIRES: inside an object, not directly after Key().
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Writes the shortest decimal form that round-trips (fmt "{}"), e.g. 0.1, 1e+21, 12.5.
  // NaN and infinities, which JSON cannot represent, are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Writes `json`, which must be one complete, valid JSON value, verbatim.
  JsonWriter& RawValue(std::string_view json);

  // Returns the number of currently open objects and arrays.
  int depth() const { return static_cast<int>(stack_.size()); }

  // Returns the string being appended to.
  std::string* out() const { return out_; }

  // Appends `value` as a quoted, escaped JSON string to `*out`.
  static void AppendQuoted(std::string_view value, std::string* out);

 private:
  // Emits the separator that must precede a value at the current position.
  void BeforeValue();

  std::string* out_;
  // One entry per open container: 'o' or 'a' in the low bits, plus kHasItems once the
  // container holds a member or element.
  std::vector<uint8_t> stack_;
  bool after_key_ = false;
};

}  // namespace holo
