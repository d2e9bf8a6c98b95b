#include "ingest/dead_letter.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/stat.h>
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
    privacy::Keyring ring;
    ring.AddGeneration();
    ring.AddGeneration();
    keys_.vault = ring.vault;
    keys_.generation = 1;
  }
  ~DeadLetterTest() override { std::remove(path_.c_str()); }

  std::vector<std::string> Lines() {
    std::ifstream f(path_, std::ios::binary);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(f, line)) out.push_back(line);
    return out;
  }
  std::string Bytes() {
    std::ifstream f(path_, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // The records as ReadDeadLetters gives them (opened).
  std::vector<std::string> Opened(size_t limit = 0, uint64_t* unopened = nullptr) {
    std::vector<std::string> out;
    Status s = ReadDeadLetters(path_, keys_, limit, [&](std::string_view j) { out.emplace_back(j); }, unopened);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  bool Exists() {
    std::ifstream f(path_);
    return f.good();
  }

  static constexpr int64_t kNow = 1767225600000;  // 2026-01-01
  static constexpr int64_t kDay = 24 * 3600 * 1000LL;
  std::string path_;
  DeadLetterKeys keys_;
};

TEST_F(DeadLetterTest, NoBadLinesNoFile) {
  {
    DeadLetterWriter w(path_, keys_, kNow);
    EXPECT_TRUE(w.Flush().ok());
  }
  EXPECT_FALSE(Exists());
}

TEST_F(DeadLetterTest, WritesOneSealedJsonRecordPerLine) {
  {
    DeadLetterWriter w(path_, keys_, kNow);
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
  EXPECT_EQ(lines[0].rfind(R"({"file":"taobao.jsonl","line":17,"source":"taobao","error":"unknown type 'foo'",)"
                           R"("ts_ms":1767225600000,"bytes":25,"gen":1,"sealed":")",
                           0),
            0u)
      << lines[0];
  EXPECT_EQ(lines[0].find("foo\\\""), std::string::npos) << "the text is sealed";
  simdjson::dom::parser parser;
  for (const std::string& l : lines) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(l).get(e), simdjson::SUCCESS) << l;
  }
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Opened, the text is back, with invalid UTF-8 repaired.
  std::vector<std::string> opened = Opened();
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_NE(opened[0].find(R"("raw":"{\"type\":\"foo\",\"q\":\"a\\\"b\"}")"), std::string::npos) << opened[0];
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(opened[1]).get(e), simdjson::SUCCESS);
  std::string_view raw;
  ASSERT_EQ(e["raw"].get(raw), simdjson::SUCCESS);
  // \xff and the truncated \xc3 each become U+FFFD; the valid 中 survives.
  EXPECT_EQ(raw, "{\"e\":\"\xEF\xBF\xBD\xEF\xBF\xBD( ok \xe4\xb8\xad\"}\r\n\t\x01");
  uint64_t n;
  ASSERT_EQ(e["line"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 18u);
  EXPECT_EQ(Opened(1).size(), 1u);
  // Another keyring cannot open them: listed as unopened, not fatal.
  privacy::Keyring other;
  other.AddGeneration();
  other.AddGeneration();
  keys_.vault = other.vault;
  uint64_t unopened = 0;
  opened = Opened(0, &unopened);
  EXPECT_EQ(unopened, 2u);
  EXPECT_NE(opened[0].find(R"("unopened":true)"), std::string::npos) << opened[0];
}

TEST_F(DeadLetterTest, NoIdentifierIsInClear) {
  const std::string line = R"({"type":"identify","traits":{"email":"Wang.Fang@Example.com","phone":"138-0013-8000"})";
  {
    DeadLetterWriter w(path_, keys_, kNow);
    ASSERT_TRUE(w.Write("web.jsonl", 3, "web", "missing required field 'messageId'", line).ok());
  }
  const std::string bytes = Bytes();
  for (const char* raw : {"Wang.Fang@Example.com", "Wang.Fang", "Example.com", "138-0013-8000", "13800138000"}) {
    EXPECT_EQ(bytes.find(raw), std::string::npos) << raw << " in " << bytes;
  }
  ASSERT_EQ(Opened().size(), 1u);
  EXPECT_NE(Opened()[0].find("Wang.Fang@Example.com"), std::string::npos);
}

TEST_F(DeadLetterTest, TruncatesRawTo4KiB) {
  {
    DeadLetterWriter w(path_, keys_, kNow);
    ASSERT_TRUE(w.Write("f", 1, "s", "line exceeds 65536 bytes", std::string(100000, 'x')).ok());
  }
  std::vector<std::string> lines = Opened();
  ASSERT_EQ(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(lines[0]).get(e), simdjson::SUCCESS);
  std::string_view raw;
  ASSERT_EQ(e["raw"].get(raw), simdjson::SUCCESS);
  EXPECT_EQ(raw.size(), DeadLetterWriter::kMaxRawBytes);
  uint64_t bytes = 0;
  ASSERT_EQ(e["bytes"].get(bytes), simdjson::SUCCESS);
  EXPECT_EQ(bytes, 100000u);
}

TEST_F(DeadLetterTest, AppendsAcrossWriters) {
  {
    DeadLetterWriter w(path_, keys_, kNow);
    ASSERT_TRUE(w.Write("f", 1, "s", "e1", "r1").ok());
  }
  {
    DeadLetterWriter w(path_, keys_, kNow);
    ASSERT_TRUE(w.Write("f", 2, "s", "e2", "r2").ok());
  }
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(DeadLetterTest, UnwritablePathIsAnError) {
  DeadLetterWriter w(::testing::TempDir() + "no/such/dir/dead.jsonl", keys_, kNow);
  Status s = w.Write("f", 1, "s", "e", "r");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
}

TEST_F(DeadLetterTest, MaintenanceDropsOldAndErasedRecordsAndKeepsTheRest) {
  {
    DeadLetterWriter old(path_, keys_, kNow - 40 * kDay);
    ASSERT_TRUE(old.Write("f", 1, "s", "e", R"({"email":"old@example.com"})").ok());
    DeadLetterWriter w(path_, keys_, kNow - kDay);
    ASSERT_TRUE(w.Write("f", 2, "s", "e", R"({"email":"ann@example.com"})").ok());
    ASSERT_TRUE(w.Write("f", 3, "s", "e", R"({"email":"bob@example.com"})").ok());
  }
  // Nothing to do: the file is left as it is.
  const std::string before = Bytes();
  DeadLetterMaintenance m;
  ASSERT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 0, "", &m).ok());
  EXPECT_EQ(Bytes(), before);
  EXPECT_EQ(m.kept, 3u);
  // Erasure by a value: the record holding it goes (found in the opened text).
  ASSERT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 0, "ann@example.com", &m).ok());
  EXPECT_EQ(m.erased, 1u);
  EXPECT_EQ(m.kept, 2u);
  // Retention: records older than the window go.
  ASSERT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 30 * kDay, "", &m).ok());
  EXPECT_EQ(m.expired, 1u);
  std::vector<std::string> left = Opened();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_NE(left[0].find("bob@example.com"), std::string::npos) << left[0];
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A missing file is no error.
  std::remove(path_.c_str());
  EXPECT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 30 * kDay, "x", &m).ok());
}

TEST_F(DeadLetterTest, ClearTextRecordsOfAnOlderVersionAreSealed) {
  {
    std::ofstream f(path_);
    f << R"({"file":"taobao.jsonl","line":2,"source":"taobao","error":"invalid JSON","raw":"{\"phone\":\"13800138000\""})" << "\n";
    f << R"({"file":"taobao.jsonl","line":5,"source":"taobao","error":"invalid JSON","raw":"{\"email\":\"li@example.com\""})" << "\n";
  }
  DeadLetterMaintenance m;
  ASSERT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 0, "", &m).ok());
  EXPECT_EQ(m.sealed, 2u);
  const std::string bytes = Bytes();
  EXPECT_EQ(bytes.find("13800138000"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("li@example.com"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("\"raw\""), std::string::npos) << bytes;
  std::vector<std::string> opened = Opened();
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_NE(opened[0].find(R"("line":2,)"), std::string::npos) << opened[0];
  EXPECT_NE(opened[0].find(R"("raw":"{\"phone\":\"13800138000\"")"), std::string::npos) << opened[0];
  EXPECT_NE(opened[1].find("li@example.com"), std::string::npos) << opened[1];
  // A line cut by a crash mid-append is not a record: dropped and counted, never fatal.
  std::ofstream(path_, std::ios::app) << R"({"file":"taobao.jsonl","line":9,"source":"taobao","error":"e","raw":"{\"email\":\"cut@exa)";
  ASSERT_TRUE(MaintainDeadLetters(path_, keys_, kNow, 0, "", &m).ok());
  EXPECT_EQ(m.damaged, 1u);
  EXPECT_EQ(m.kept, 2u);
  EXPECT_EQ(Bytes().find("cut@exa"), std::string::npos);
  EXPECT_EQ(Opened().size(), 2u);
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
