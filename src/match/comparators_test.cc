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

TEST(JaroWinklerTest, AtLeastAgreesWithTheFullComputation) {
  const char* words[] = {"martha",   "marhta", "dwayne", "duane", "dixon",
                         "dicksonx", "müller", "muller", "a",     "",
                         "johnson",  "jonson", "smith",  "smyth", "zhang"};
  for (const char* a : words) {
    for (const char* b : words) {
      for (double min : {0.5, 0.8, 0.88, 0.94}) {
        const double full = JaroWinkler(a, b);
        const double fast = JaroWinklerAtLeast(a, b, min);
        EXPECT_EQ(full >= min, fast >= min) << a << " / " << b << " at " << min;
        if (full >= min) {
          EXPECT_DOUBLE_EQ(fast, full);
        }
      }
    }
  }
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
  RecordStore store;
  store.fields.resize(1);
  store.fields[0].Append(PrepareValue(specs[0], {a}));
  store.fields[0].Append(PrepareValue(specs[0], {b}));
  return CompareField(specs, 0, store, 0, 1);
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

TEST(EditDistanceTest, BoundedDamerauLevenshtein) {
  EXPECT_EQ(BoundedEditDistance("robert255@smith.net", "roberta25@smith.net", 2), 2);
  EXPECT_EQ(BoundedEditDistance("abcd", "abdc", 2), 1);  // adjacent transposition
  EXPECT_EQ(BoundedEditDistance("abc", "abc", 2), 0);
  EXPECT_EQ(BoundedEditDistance("", "ab", 2), 2);
  // More than `max` edits: max + 1.
  EXPECT_EQ(BoundedEditDistance("j.harris45@gmail.com", "a.harris@gmail.com", 2), 3);
  EXPECT_EQ(BoundedEditDistance("short", "a much longer string", 2), 3);
}

TEST(TokenSetTest, SortedSetJaccard) {
  EXPECT_EQ(SortedTokenSet({"b", "a", "b"}), "a b");
  EXPECT_DOUBLE_EQ(SortedSetJaccard("a b c", "b c d"), 0.5);
  EXPECT_DOUBLE_EQ(SortedSetJaccard("", ""), 1.0);
  EXPECT_DOUBLE_EQ(SortedSetJaccard("a", ""), 0.0);
  EXPECT_DOUBLE_EQ(SortedSetJaccard("avenue west", "avenue west"), 1.0);
}

TEST(AddressTest, HouseNumberIsSplitOff) {
  std::string number;
  std::vector<std::string> rest;
  SplitHouseNumber(AddressTokens("12a N Oak St, Apt 4"), &number, &rest);
  EXPECT_EQ(number, "12a");
  EXPECT_EQ(rest, (std::vector<std::string>{"north", "oak", "street", "apartment", "4"}));
  SplitHouseNumber(AddressTokens("W 47th St"), &number, &rest);
  EXPECT_EQ(number, "");  // an ordinal street name is not a house number
}

// Prepares one field of `type` for two raw values and compares them.
int8_t CompareOne(FieldType type, const std::string& a, const std::string& b) {
  FieldSpec spec;
  spec.config.columns = {"v"};
  spec.config.type = type;
  spec.column_indices = {0};
  spec.level_names = LevelNames(type);
  spec.num_levels = static_cast<int>(spec.level_names.size());
  std::vector<FieldSpec> specs = {spec};
  RecordStore store;
  store.fields.resize(1);
  store.fields[0].Append(PrepareValue(spec, {a}));
  store.fields[0].Append(PrepareValue(spec, {b}));
  return CompareField(specs, 0, store, 0, 1);
}

TEST(AddressCompareTest, HouseNumbersMatter) {
  EXPECT_EQ(CompareOne(FieldType::kAddress, "316 N Pulaski Rd", "316 North Pulaski Road"), 0);
  EXPECT_EQ(CompareOne(FieldType::kAddress, "316 N Pulaski Rd", "316 N. Pulaski"), 1);
  EXPECT_EQ(CompareOne(FieldType::kAddress, "1124 W Ainslie St", "1134 W Ainslie"), 2);
  EXPECT_EQ(CompareOne(FieldType::kAddress, "N Pulaski Rd", "316 N Pulaski Rd"), 2);
  // Same street, other building: different sites.
  EXPECT_EQ(CompareOne(FieldType::kAddress, "2820 W North Ave", "5445 W North Avenue"), 3);
  // Ordinal streets: only "47th" vs "51st" is compared, not "west ... street".
  EXPECT_EQ(CompareOne(FieldType::kAddress, "25 W 47th St", "25 W 51st St"), 4);
  EXPECT_EQ(CompareOne(FieldType::kAddress, "1900 W Van Buren St", "1900 W. VanBuren"), 1);
  EXPECT_EQ(CompareOne(FieldType::kAddress, "", "1 Main St"), kMissingLevel);
}

TEST(EmailCompareTest, TyposButNotHouseholdAddresses) {
  EXPECT_EQ(CompareOne(FieldType::kEmail, "Ann.Lee@x.com", "ann.lee@x.com"), 0);
  EXPECT_EQ(CompareOne(FieldType::kEmail, "ann.lee@x.com", "ann.lee@y.org"), 1);
  EXPECT_EQ(CompareOne(FieldType::kEmail, "robert255@smith.net", "roberta25@smith.net"), 2);
  EXPECT_EQ(CompareOne(FieldType::kEmail, "j.harris45@gmail.com", "a.harris@gmail.com"), 3);
  EXPECT_EQ(CompareOne(FieldType::kEmail, "ann@x.com", "zed.q@other.net"), 4);
}

TEST(NameCompareTest, TyposInitialsAndShortFormsHaveTheirOwnLevels) {
  EXPECT_EQ(CompareOne(FieldType::kName, "Katherine", "KATHERINE"), 0);
  EXPECT_EQ(CompareOne(FieldType::kName, "John", "J0HN"), 4);  // JW 0.85, one edit
  EXPECT_EQ(CompareOne(FieldType::kName, "ERNMA", "emma"), 4);
  EXPECT_EQ(CompareOne(FieldType::kName, "K", "Katherine"), 5);
  EXPECT_EQ(CompareOne(FieldType::kName, "katherine", "K."), 5);
  EXPECT_EQ(CompareOne(FieldType::kName, "Kim", "KIMBERLY"), 5);
  EXPECT_EQ(CompareOne(FieldType::kName, "J", "Katherine"), 6);
  EXPECT_EQ(CompareOne(FieldType::kName, "K", "J"), 6);  // two initials: no evidence of a name
  EXPECT_EQ(CompareOne(FieldType::kName, "Robert", "Susan"), 6);
}

// Given name and surname of two records, the names swapped with the other field.
int8_t CompareSwapped(const std::string& ga, const std::string& sa, const std::string& gb,
                      const std::string& sb) {
  std::vector<FieldSpec> specs(2);
  for (int f = 0; f < 2; ++f) {
    specs[f].config.columns = {f == 0 ? "given" : "surname"};
    specs[f].config.type = FieldType::kName;
    specs[f].column_indices = {f};
    specs[f].level_names = LevelNames(FieldType::kName);
    specs[f].num_levels = static_cast<int>(specs[f].level_names.size());
    specs[f].swap_field = 1 - f;
  }
  RecordStore store;
  store.fields.resize(2);
  store.fields[0].Append(PrepareValue(specs[0], {ga, sa}));
  store.fields[0].Append(PrepareValue(specs[0], {gb, sb}));
  store.fields[1].Append(PrepareValue(specs[1], {ga, sa}));
  store.fields[1].Append(PrepareValue(specs[1], {gb, sb}));
  return CompareField(specs, 0, store, 0, 1);
}

TEST(NameCompareTest, SwappedNamesWithATypo) {
  EXPECT_EQ(CompareSwapped("JOHN", "ROBERTS", "roberts", "john"), 1);
  EXPECT_EQ(CompareSwapped("JOHNNIE", "ROBERTS", "robertts", "johnnie"), 1);
  EXPECT_EQ(CompareSwapped("JOHN", "ROBERTS", "robertts", "mary"), 6);
}

TEST(PhoneCompareTest, PrefixesAndTypos) {
  EXPECT_EQ(CompareOne(FieldType::kPhone, "+1 (312) 555-0123", "312.555.0123"), 0);
  EXPECT_EQ(CompareOne(FieldType::kPhone, "07700 900123", "+44 7700 900123"), 0);
  EXPECT_EQ(CompareOne(FieldType::kPhone, "312-555-0123", "312-555-0132"), 1);
  EXPECT_EQ(CompareOne(FieldType::kPhone, "312-555-0123", "312-555-9876"), 2);
  EXPECT_EQ(CompareOne(FieldType::kPhone, "n/a", "312-555-9876"), kMissingLevel);
}

}  // namespace
}  // namespace holo::match
