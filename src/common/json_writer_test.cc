#include "common/json_writer.h"

#include <cmath>
#include <limits>
#include <string>

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

}  // namespace
}  // namespace holo
