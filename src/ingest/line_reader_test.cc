#include "ingest/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace holo::ingest {
namespace {

struct Got {
  uint64_t number;
  uint64_t offset;
  std::string text;
  bool oversized;
  uint64_t length;
  uint64_t next_offset;
};

class LineReaderTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& content) {
    path_ = ::testing::TempDir() + "line_reader_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl";
    std::ofstream f(path_, std::ios::binary | std::ios::trunc);
    f << content;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  static std::vector<Got> ReadAll(LineReader* r) {
    std::vector<Got> out;
    Line line;
    while (true) {
      Result<bool> more = r->Next(&line);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      out.push_back({line.number, line.offset, std::string(line.text), line.oversized, line.length,
                     line.next_offset});
    }
    return out;
  }

  std::vector<Got> ReadFile(const std::string& content, LineReaderOptions options = {}) {
    auto r = LineReader::Open(WriteFile(content), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    return ReadAll(r->get());
  }

  std::string path_;
};

TEST_F(LineReaderTest, SplitsLinesWithOffsets) {
  std::vector<Got> got = ReadFile("a\nbb\nccc\n");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, "a");
  EXPECT_EQ(got[0].number, 1u);
  EXPECT_EQ(got[0].offset, 0u);
  EXPECT_EQ(got[0].next_offset, 2u);
  EXPECT_EQ(got[1].text, "bb");
  EXPECT_EQ(got[1].offset, 2u);
  EXPECT_EQ(got[2].text, "ccc");
  EXPECT_EQ(got[2].number, 3u);
  EXPECT_EQ(got[2].offset, 5u);
  EXPECT_EQ(got[2].next_offset, 9u);
}

TEST_F(LineReaderTest, HandlesCrlf) {
  std::vector<Got> got = ReadFile("a\r\nbb\r\n\r\nc\r\n");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, "a");
  EXPECT_EQ(got[1].text, "bb");
  EXPECT_EQ(got[1].offset, 3u);
  EXPECT_EQ(got[2].text, "c");
  EXPECT_EQ(got[2].number, 4u);  // the empty CRLF line is counted
  EXPECT_EQ(got[2].offset, 9u);
  EXPECT_EQ(got[2].length, 1u);
  EXPECT_EQ(got[2].next_offset, 12u);
}

TEST_F(LineReaderTest, NoFinalNewline) {
  std::vector<Got> got = ReadFile("a\nlast");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].text, "last");
  EXPECT_EQ(got[1].number, 2u);
  EXPECT_EQ(got[1].next_offset, 6u);
  got = ReadFile("only\r");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "only");
}

TEST_F(LineReaderTest, EmptyLinesAreSkippedButCounted) {
  std::vector<Got> got = ReadFile("\n\na\n\n\nb\n\n");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].number, 3u);
  EXPECT_EQ(got[0].offset, 2u);
  EXPECT_EQ(got[1].number, 6u);
  EXPECT_EQ(got[1].offset, 6u);
  EXPECT_TRUE(ReadFile("").empty());
  EXPECT_TRUE(ReadFile("\n\r\n\n").empty());
}

TEST_F(LineReaderTest, LinesSpanningChunks) {
  LineReaderOptions o;
  o.chunk_bytes = 3;
  o.max_line_bytes = 16;
  std::vector<Got> got = ReadFile("hello world\r\nx\nabcdefghijklmnop\nyz", o);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].text, "hello world");
  EXPECT_EQ(got[1].text, "x");
  EXPECT_EQ(got[2].text, "abcdefghijklmnop");  // exactly the limit: not oversized
  EXPECT_FALSE(got[2].oversized);
  EXPECT_EQ(got[3].text, "yz");
  EXPECT_EQ(got[3].offset, 32u);
}

TEST_F(LineReaderTest, OversizedLineFollowedByGoodLine) {
  for (size_t chunk : {size_t{4}, size_t{7}, size_t{64}, size_t{1} << 20}) {
    LineReaderOptions o;
    o.chunk_bytes = chunk;
    o.max_line_bytes = 10;
    std::string big(45, 'x');
    std::vector<Got> got = ReadFile("ok\n" + big + "\r\ngood\n" + big + "\nend", o);
    ASSERT_EQ(got.size(), 5u) << "chunk " << chunk;
    EXPECT_EQ(got[0].text, "ok");
    EXPECT_TRUE(got[1].oversized) << "chunk " << chunk;
    EXPECT_EQ(got[1].length, 45u) << "chunk " << chunk;
    EXPECT_EQ(got[1].text, std::string(10, 'x'));
    EXPECT_EQ(got[1].number, 2u);
    EXPECT_EQ(got[1].offset, 3u);
    EXPECT_EQ(got[1].next_offset, 50u);
    EXPECT_EQ(got[2].text, "good");
    EXPECT_FALSE(got[2].oversized);
    EXPECT_EQ(got[2].number, 3u);
    EXPECT_EQ(got[2].offset, 50u);
    EXPECT_TRUE(got[3].oversized);
    EXPECT_EQ(got[3].length, 45u);
    EXPECT_EQ(got[4].text, "end");
    EXPECT_EQ(got[4].number, 5u);
  }
}

TEST_F(LineReaderTest, OversizedLastLineWithoutNewline) {
  LineReaderOptions o;
  o.chunk_bytes = 5;
  o.max_line_bytes = 8;
  std::vector<Got> got = ReadFile("a\n" + std::string(30, 'y'), o);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[1].oversized);
  EXPECT_EQ(got[1].length, 30u);
  EXPECT_EQ(got[1].next_offset, 32u);
}

TEST_F(LineReaderTest, SkipToResumes) {
  const std::string content = "l1\nl2\n\nl4\nl5";
  auto r = LineReader::Open(WriteFile(content));
  ASSERT_TRUE(r.ok());
  Line line;
  ASSERT_TRUE(*(*r)->Next(&line));
  ASSERT_TRUE(*(*r)->Next(&line));
  EXPECT_EQ(line.text, "l2");
  const uint64_t resume_offset = line.next_offset, resume_line = line.number + 1;

  auto r2 = LineReader::Open(path_);
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE((*r2)->SkipTo(resume_offset, resume_line).ok());
  std::vector<Got> rest = ReadAll(r2->get());
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].text, "l4");
  EXPECT_EQ(rest[0].number, 4u);
  EXPECT_EQ(rest[0].offset, 7u);
  EXPECT_EQ(rest[1].text, "l5");
  EXPECT_EQ(rest[1].number, 5u);

  // Skipping to the end yields nothing; past the end is an error (file truncated).
  ASSERT_TRUE((*r2)->SkipTo(content.size(), 6).ok());
  EXPECT_TRUE(ReadAll(r2->get()).empty());
  Status s = (*r2)->SkipTo(content.size() + 1, 6);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_EQ((*r2)->SkipTo(0, 0).code(), StatusCode::kInvalidArgument);
  // Rewinding works too.
  ASSERT_TRUE((*r2)->SkipTo(0, 1).ok());
  EXPECT_EQ(ReadAll(r2->get()).size(), 4u);
}

// Compares the reader with a naive splitter over random files, chunk sizes and limits.
TEST_F(LineReaderTest, MatchesReferenceOnRandomInput) {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 200; ++iter) {
    std::string content;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const size_t len = rng() % 4 == 0 ? rng() % 60 : rng() % 8;
      for (size_t k = 0; k < len; ++k) content.push_back("ab\rc{}"[rng() % 6]);
      content += rng() % 3 == 0 ? "\r\n" : "\n";
    }
    if (rng() % 2 && !content.empty()) content.pop_back();  // sometimes no final newline
    LineReaderOptions o;
    o.chunk_bytes = 1 + rng() % 20;
    o.max_line_bytes = 1 + rng() % 30;

    std::vector<Got> want;
    uint64_t number = 0;
    for (size_t pos = 0; pos < content.size();) {
      size_t nl = content.find('\n', pos);
      const size_t end = nl == std::string::npos ? content.size() : nl;
      const size_t next = nl == std::string::npos ? content.size() : nl + 1;
      size_t len = end - pos;
      if (len > 0 && content[end - 1] == '\r') --len;
      ++number;
      if (len > 0) {
        const bool over = len > o.max_line_bytes;
        want.push_back(
            {number, pos, content.substr(pos, over ? o.max_line_bytes : len), over, len, next});
      }
      pos = next;
    }

    std::vector<Got> got = ReadFile(content, o);
    ASSERT_EQ(got.size(), want.size()) << "iter " << iter;
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE("iter " + std::to_string(iter) + " line " + std::to_string(i));
      EXPECT_EQ(got[i].number, want[i].number);
      EXPECT_EQ(got[i].offset, want[i].offset);
      EXPECT_EQ(got[i].text, want[i].text);
      EXPECT_EQ(got[i].oversized, want[i].oversized);
      EXPECT_EQ(got[i].length, want[i].length);
      EXPECT_EQ(got[i].next_offset, want[i].next_offset);
    }
  }
}

TEST_F(LineReaderTest, OpenErrors) {
  auto missing = LineReader::Open(::testing::TempDir() + "no/such/file.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto dir = LineReader::Open(::testing::TempDir());
  EXPECT_FALSE(dir.ok());
}

}  // namespace
}  // namespace holo::ingest
