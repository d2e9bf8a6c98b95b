#include "match/comparators.h"

#include <gtest/gtest.h>

#include "match/fields.h"

namespace holo::match {
namespace {

TEST(JaroWinklerTest, KnownValues) {
  EXPECT_NEAR(JaroWinkler("MARTHA", "MARHTA"), 0.961, 0.001);
  EXPECT_NEAR(JaroWinkler("DWAYNE", "DUANE"), 0.84, 0.001);
  EXPECT_NEAR(JaroWinkler("DIXON", "DICKSONX"), 0.813, 0.001);
  EXPECT_DOUBLE_EQ(JaroWinkler("abc", "abc"), 1.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("abc", "xyz"), 0.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("", ""), 1.0);
}

TEST(JaroWinklerTest, CountsCodePointsNotBytes) {
  // "müller" vs "muller": one substituted code point, not two bytes.
  EXPECT_NEAR(JaroWinkler("müller", "muller"), JaroWinkler("maller", "muller"), 1e-12);
}

TEST(NormalizeTextTest, LowerCasesUtf8AndCollapsesSpaces) {
  EXPECT_EQ(NormalizeText("  JÖRG   Müller "), "jörg müller");
}

TEST(SoundexTest, KnownCodes) {
  EXPECT_EQ(Soundex("Robert"), "R163");
  EXPECT_EQ(Soundex("Rupert"), "R163");
  EXPECT_EQ(Soundex("Ashcraft"), "A261");
  EXPECT_EQ(Soundex("Tymczak"), "T522");
  EXPECT_EQ(Soundex("Pfister"), "P236");
  EXPECT_EQ(Soundex(""), "");
}

TEST(WithinOneEditTest, Cases) {
  EXPECT_TRUE(WithinOneEdit("4011", "4012"));
  EXPECT_TRUE(WithinOneEdit("4011", "4101"));  // transposition
  EXPECT_TRUE(WithinOneEdit("4011", "401"));
  EXPECT_FALSE(WithinOneEdit("4011", "4011"));
  EXPECT_FALSE(WithinOneEdit("4011", "4122"));
}

TEST(AddressTest, AbbreviationsExpand) {
  EXPECT_DOUBLE_EQ(TokenJaccard(AddressTokens("12 main st"), AddressTokens("12 Main Street")), 1.0);
}

FieldSpec DateSpec(const std::string& format) {
  FieldSpec spec;
  spec.config.columns = {"dob"};
  spec.config.type = FieldType::kDate;
  spec.config.format = format;
  spec.column_indices = {0};
  spec.level_names = LevelNames(FieldType::kDate);
  spec.num_levels = static_cast<int>(spec.level_names.size());
  return spec;
}

int8_t CompareDates(const std::string& format, const std::string& a, const std::string& b) {
  std::vector<FieldSpec> specs = {DateSpec(format)};
  Record ra, rb;
  ra.values = {PrepareValue(specs[0], {a})};
  rb.values = {PrepareValue(specs[0], {b})};
  return CompareField(specs, 0, ra, rb);
}

TEST(DateCompareTest, Levels) {
  EXPECT_EQ(CompareDates("%Y%m%d", "19810305", "19810305"), 0);
  EXPECT_EQ(CompareDates("%Y%m%d", "19810305", "19810503"), 1);  // day/month swapped
  EXPECT_EQ(CompareDates("%Y-%m-%d", "1981-03-05", "1981-05-03"), 1);
  EXPECT_EQ(CompareDates("%Y%m%d", "19810305", "19810306"), 1);  // one digit
  EXPECT_EQ(CompareDates("%Y%m%d", "19810305", "19750305"), 2);  // year off
  EXPECT_EQ(CompareDates("%Y%m%d", "19810305", "19721224"), 3);
  EXPECT_EQ(CompareDates("%Y%m%d", "", "19721224"), kMissingLevel);
}

TEST(DateParseTest, Formats) {
  Date d;
  ASSERT_TRUE(ParseDate("1971-06-24", "%Y-%m-%d", &d));
  EXPECT_EQ(d.year, 1971);
  EXPECT_EQ(d.month, 6);
  EXPECT_EQ(d.day, 24);
  ASSERT_TRUE(ParseDate("19081209", "%Y%m%d", &d));
  EXPECT_EQ(d.month, 12);
  EXPECT_EQ(d.day, 9);
  ASSERT_TRUE(ParseDate("3/7/1999", "%d/%m/%Y", &d));
  EXPECT_EQ(d.day, 3);
  EXPECT_FALSE(ParseDate("1971-06", "%Y-%m-%d", &d));
}

}  // namespace
}  // namespace holo::match
