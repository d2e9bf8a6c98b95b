#include "common/json_writer.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace holo {
namespace {

TEST(JsonWriterTest, EmptyContainers) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").BeginArray().EndArray().Key("o").BeginObject().EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":[],"o":{}})");
  EXPECT_EQ(w.depth(), 0);
}

TEST(JsonWriterTest, NestingAndCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type").String("track");
  w.Key("products").BeginArray();
  for (int i = 0; i < 2; ++i) {
    w.BeginObject().Key("id").Int(i).Key("q").Uint(7).EndObject();
  }
  w.EndArray();
  w.Key("nested")
      .BeginArray()
      .BeginArray()
      .Int(1)
      .Int(2)
      .EndArray()
      .BeginArray()
      .EndArray()
      .EndArray();
  w.Key("ok").Bool(true).Key("no").Bool(false).Key("nothing").Null();
  w.EndObject();
  EXPECT_EQ(out, R"({"type":"track","products":[{"id":0,"q":7},{"id":1,"q":7}],)"
                 R"("nested":[[1,2],[]],"ok":true,"no":false,"nothing":null})");
}

TEST(JsonWriterTest, AppendsWithoutClearing) {
  std::string out = "prefix:";
  JsonWriter w(&out);
  w.BeginArray().Int(-5).EndArray();
  out.push_back('\n');
  w.BeginArray().Int(6).EndArray();
  EXPECT_EQ(out, "prefix:[-5]\n[6]");
}

TEST(JsonWriterTest, EscapesQuotesBackslashAndControls) {
  std::string out;
  JsonWriter w(&out);
  w.String(std::string_view("a\"b\\c\n\t\x01\x1f\x7f", 10));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\"");
}

TEST(JsonWriterTest, EscapesNulByte) {
  std::string out;
  JsonWriter w(&out);
  w.String(std::string_view("x\0y", 3));
  EXPECT_EQ(out, "\"x\\u0000y\"");
}

TEST(JsonWriterTest, EscapesKeys) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("we\"ird\n").Int(1).EndObject();
  EXPECT_EQ(out, "{\"we\\\"ird\\n\":1}");
}

TEST(JsonWriterTest, PassesUtf8Through) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("城市").String("北京市朝阳区建国路88号 — ok ✓").EndObject();
  EXPECT_EQ(out, "{\"城市\":\"北京市朝阳区建国路88号 — ok ✓\"}");
}

TEST(JsonWriterTest, Integers) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Int(0)
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .Uint(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(out, "[0,-9223372036854775808,9223372036854775807,18446744073709551615]");
}

TEST(JsonWriterTest, DoublesShortestRoundTrip) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Double(0.1).Double(12.5).Double(1e21).Double(-3.0).Double(1.0 / 3.0).EndArray();
  EXPECT_EQ(out, "[0.1,12.5,1e+21,-3,0.3333333333333333]");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Double(std::nan(""))
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(out, "[null,null,null]");
}

TEST(JsonWriterTest, RawValue) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").RawValue(R"({"b":[1]})").Key("c").Int(2).EndObject();
  EXPECT_EQ(out, R"({"a":{"b":[1]},"c":2})");
}

TEST(JsonWriterTest, AppendQuoted) {
  std::string out;
  JsonWriter::AppendQuoted("plain", &out);
  JsonWriter::AppendQuoted("", &out);
  EXPECT_EQ(out, "\"plain\"\"\"");
}

// Strings are scanned 8 bytes at a time: every byte that needs escaping is found at every
// offset and length, beside bytes just above and below the escaped ranges and UTF-8 bytes.
TEST(JsonWriterTest, EscapesEveryByteAtEveryOffset) {
  auto reference = [](std::string_view v) {
    std::string r = "\"";
    for (unsigned char c : v) {
      if (c == '"') r += "\\\"";
      else if (c == '\\') r += "\\\\";
      else if (c == '\n') r += "\\n";
      else if (c == '\r') r += "\\r";
      else if (c == '\t') r += "\\t";
      else if (c < 0x20) r += fmt::format("\\u{:04x}", c);
      else r.push_back(static_cast<char>(c));
    }
    return r + "\"";
  };
  const std::string alphabet = std::string("\x00\x01\x1f\x20\x21\"\x23\\\x5b\x5d\n\r\t\x7f\x80\xc3\xa9\xff", 18) + "abcXYZ";
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::string v(rng() % 40, 'a');
    for (char& c : v) c = alphabet[rng() % alphabet.size()];
    if (round % 3 == 0) {  // mostly plain, one special byte somewhere
      std::fill(v.begin(), v.end(), 'q');
      if (!v.empty()) v[rng() % v.size()] = alphabet[rng() % 12];
    }
    std::string out;
    JsonWriter::AppendQuoted(v, &out);
    ASSERT_EQ(out, reference(v)) << "round " << round;
  }
}

}  // namespace
}  // namespace holo
