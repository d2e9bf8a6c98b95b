#include "match/csv_reader.h"

#include <gtest/gtest.h>

namespace holo::match {
namespace {

TEST(CsvReaderTest, QuotesMultilineAndCrlf) {
  auto t = ParseCsv("id,name,note\r\n1,\"Smith, J\",\"two\nlines\"\r\n2,\"say \"\"hi\"\"\",\r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "Smith, J");
  EXPECT_EQ(t->rows[0][2], "two\nlines");
  EXPECT_EQ(t->rows[1][1], "say \"hi\"");
  EXPECT_EQ(t->rows[1][2], "");
}

TEST(CsvReaderTest, FebrlSpacingAndNoFinalNewline) {
  auto t = ParseCsv("rec_id, given_name, surname\r\nrec-1-org, , waller\r\nrec-2-org, amy, lee");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->header[1], "given_name");
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "");
  EXPECT_EQ(t->rows[0][2], "waller");
  EXPECT_EQ(t->rows[1][2], "lee");
  EXPECT_EQ(t->ColumnIndex("surname"), 2);
}

TEST(CsvReaderTest, ShortRowsArePaddedLongRowsRejected) {
  auto t = ParseCsv("a,b,c\n1,2\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rows[0].size(), 3u);
  EXPECT_FALSE(ParseCsv("a,b\n1,2,3\n").ok());
  EXPECT_FALSE(ParseCsv("a,b\n\"open,2\n").ok());
}

TEST(CsvReaderTest, Latin1IsConvertedToUtf8) {
  std::string latin1 = "id,name\n1,M\xFCller\n";
  auto t = ParseCsv(latin1, Encoding::kLatin1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rows[0][1], "M\xC3\xBCller");
  EXPECT_FALSE(ParseEncoding("ebcdic").ok());
}

TEST(CsvReaderTest, Utf8BomIsSkipped) {
  auto t = ParseCsv("\xEF\xBB\xBFid\n7\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->header[0], "id");
}

TEST(CsvReaderTest, StreamsRowsAndStopsOnCallbackError) {
  std::vector<std::string> seen;
  Status s = ParseCsvRows("a,b\n1,x\n2\n3,z\n", Encoding::kUtf8,
                          [&](size_t index, std::vector<std::string>& row) {
                            if (index == 0) return Status::OK();
                            EXPECT_EQ(row.size(), 2u);  // short rows are padded
                            seen.push_back(row[0] + row[1]);
                            if (row[0] == "2") return Status::InvalidArgument("stop");
                            return Status::OK();
                          });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"1x", "2"}));
}

}  // namespace
}  // namespace holo::match
