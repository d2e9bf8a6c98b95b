#include "ingest/dead_letter.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace holo::ingest {
namespace {

class DeadLetterTest : public ::testing::Test {
 protected:
  DeadLetterTest()
      : path_(::testing::TempDir() + "dead_letter_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl") {
    std::remove(path_.c_str());
  }
  ~DeadLetterTest() override { std::remove(path_.c_str()); }

  std::vector<std::string> Lines() {
    std::ifstream f(path_, std::ios::binary);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(f, line)) out.push_back(line);
    return out;
  }

  bool Exists() {
    std::ifstream f(path_);
    return f.good();
  }

  std::string path_;
};

TEST_F(DeadLetterTest, NoBadLinesNoFile) {
  {
    DeadLetterWriter w(path_);
    EXPECT_TRUE(w.Flush().ok());
  }
  EXPECT_FALSE(Exists());
}

TEST_F(DeadLetterTest, WritesOneJsonRecordPerLine) {
  {
    DeadLetterWriter w(path_);
    ASSERT_TRUE(
        w.Write("taobao.jsonl", 17, "taobao", "unknown type 'foo'", R"({"type":"foo","q":"a\"b"})")
            .ok());
    ASSERT_TRUE(w.Write("taobao.jsonl", 18, "taobao", "invalid UTF-8",
                        std::string("{\"e\":\"\xff\xc3\x28 ok \xe4\xb8\xad\"}\r\n\t\x01"))
                    .ok());
    EXPECT_EQ(w.count(), 2u);
    ASSERT_TRUE(w.Close().ok());
    EXPECT_EQ(w.Write("f", 1, "s", "e", "r").code(), StatusCode::kFailedPrecondition);
  }
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            R"({"file":"taobao.jsonl","line":17,"source":"taobao","error":"unknown type 'foo'",)"
            R"("raw":"{\"type\":\"foo\",\"q\":\"a\\\"b\"}"})");
  simdjson::dom::parser parser;
  for (const std::string& l : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(l).get(e), simdjson::SUCCESS) << l;
  }
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(lines[1]).get(e), simdjson::SUCCESS);
  std::string_view raw;
  ASSERT_EQ(e["raw"].get(raw), simdjson::SUCCESS);
  // \xff and the truncated \xc3 each become U+FFFD; the valid 中 survives.
  EXPECT_EQ(raw, "{\"e\":\"\xEF\xBF\xBD\xEF\xBF\xBD( ok \xe4\xb8\xad\"}\r\n\t\x01");
  uint64_t n;
  ASSERT_EQ(e["line"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 18u);
}

TEST_F(DeadLetterTest, TruncatesRawTo4KiB) {
  {
    DeadLetterWriter w(path_);
    ASSERT_TRUE(w.Write("f", 1, "s", "line exceeds 65536 bytes", std::string(100000, 'x')).ok());
  }
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(lines[0]).get(e), simdjson::SUCCESS);
  std::string_view raw;
  ASSERT_EQ(e["raw"].get(raw), simdjson::SUCCESS);
  EXPECT_EQ(raw.size(), DeadLetterWriter::kMaxRawBytes);
}

TEST_F(DeadLetterTest, AppendsAcrossWriters) {
  {
    DeadLetterWriter w(path_);
    ASSERT_TRUE(w.Write("f", 1, "s", "e1", "r1").ok());
  }
  {
    DeadLetterWriter w(path_);
    ASSERT_TRUE(w.Write("f", 2, "s", "e2", "r2").ok());
  }
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(DeadLetterTest, UnwritablePathIsAnError) {
  DeadLetterWriter w(::testing::TempDir() + "no/such/dir/dead.jsonl");
  Status s = w.Write("f", 1, "s", "e", "r");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
}

TEST(AppendJsonStringLossyTest, ReplacesInvalidSequences) {
  auto enc = [](std::string_view s) {
    std::string out;
    AppendJsonStringLossy(s, &out);
    return out;
  };
  EXPECT_EQ(enc("plain"), "\"plain\"");
  EXPECT_EQ(enc("\xe4\xb8\xad\xf0\x9f\x98\x80"), "\"\xe4\xb8\xad\xf0\x9f\x98\x80\"");
  EXPECT_EQ(enc("\xc0\xaf"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  EXPECT_EQ(enc("\xed\xa0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(enc("\xf4\x90\x80\x80").size(), 2u + 4 * 3);                       // > U+10FFFF
  EXPECT_EQ(enc("\xe4\xb8"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // cut short
  EXPECT_EQ(enc(std::string("\0\x1f\x7f", 3)), "\"\\u0000\\u001f\x7f\"");
}

}  // namespace
}  // namespace holo::ingest
