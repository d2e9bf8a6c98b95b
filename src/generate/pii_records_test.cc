#include "generate/pii_records.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "generate/pii_sources.h"

namespace holo::generate {
namespace {

std::vector<PiiRecord> Generate(uint64_t records, PiiNoise noise, uint64_t seed,
                                PiiStats* stats = nullptr) {
  PiiOptions options;
  options.records = records;
  options.noise = noise;
  options.seed = seed;
  std::vector<PiiRecord> out;
  Status s = GeneratePiiRecords(
      options, [&](const PiiRecord& r) { out.push_back(r); }, stats);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

bool SameRecord(const PiiRecord& a, const PiiRecord& b) {
  return a.record_id == b.record_id && a.first_name == b.first_name && a.last_name == b.last_name &&
         a.birth_date == b.birth_date && a.phone == b.phone && a.email == b.email &&
         a.street_address == b.street_address && a.postcode == b.postcode && a.city == b.city &&
         a.source == b.source && a.person_id == b.person_id;
}

// Fraction of records whose field differs from the most common value of that
// field among the records of the same person (missing values excluded).
double Disagreement(const std::vector<PiiRecord>& recs, std::string PiiRecord::*field) {
  std::map<std::string, std::map<std::string, int>> by_person;
  for (const auto& r : recs) {
    if (!(r.*field).empty()) ++by_person[r.person_id][r.*field];
  }
  uint64_t total = 0, off = 0;
  for (const auto& [p, values] : by_person) {
    int best = 0, sum = 0;
    for (const auto& [v, c] : values) {
      best = std::max(best, c);
      sum += c;
    }
    total += sum;
    off += sum - best;
  }
  return total ? static_cast<double>(off) / static_cast<double>(total) : 0;
}

double MissingRate(const std::vector<PiiRecord>& recs, std::string PiiRecord::*field) {
  uint64_t missing = 0;
  for (const auto& r : recs) missing += (r.*field).empty();
  return static_cast<double>(missing) / static_cast<double>(recs.size());
}

TEST(PiiRecordsTest, DeterministicBySeed) {
  auto a = Generate(3000, PiiNoise::kMedium, 7);
  auto b = Generate(3000, PiiNoise::kMedium, 7);
  auto c = Generate(3000, PiiNoise::kMedium, 8);
  ASSERT_EQ(a.size(), 3000u);
  ASSERT_EQ(b.size(), 3000u);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_TRUE(SameRecord(a[i], b[i])) << i;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += SameRecord(a[i], c[i]);
  EXPECT_LT(same, 10u);
}

TEST(PiiRecordsTest, ExactCountUniqueIdsAndSeveralRecordsPerPerson) {
  PiiStats stats;
  auto recs = Generate(5000, PiiNoise::kLow, 1, &stats);
  ASSERT_EQ(recs.size(), 5000u);
  EXPECT_EQ(stats.records, 5000u);
  std::set<std::string> ids;
  std::map<std::string, int> per_person;
  for (const auto& r : recs) {
    ids.insert(r.record_id);
    ++per_person[r.person_id];
  }
  EXPECT_EQ(ids.size(), recs.size());
  EXPECT_EQ(per_person.size(), stats.persons);
  // About 2.6 records per person on average, some people with 5 or more.
  const double mean = 5000.0 / static_cast<double>(per_person.size());
  EXPECT_GT(mean, 2.0);
  EXPECT_LT(mean, 3.5);
  int big = 0;
  for (const auto& [p, n] : per_person) big += n >= 5;
  EXPECT_GT(big, 50);
}

TEST(PiiRecordsTest, NoiseLevelsChangeTheData) {
  auto low = Generate(20000, PiiNoise::kLow, 3);
  auto medium = Generate(20000, PiiNoise::kMedium, 3);
  auto high = Generate(20000, PiiNoise::kHigh, 3);
  for (auto field :
       {&PiiRecord::last_name, &PiiRecord::birth_date, &PiiRecord::phone, &PiiRecord::email}) {
    const double l = Disagreement(low, field), m = Disagreement(medium, field),
                 h = Disagreement(high, field);
    EXPECT_LT(l, m);
    EXPECT_LT(m, h);
  }
  EXPECT_LT(MissingRate(low, &PiiRecord::birth_date), MissingRate(high, &PiiRecord::birth_date));
  // The population is the same at every level: same persons.
  std::set<std::string> pl, ph;
  for (const auto& r : low) pl.insert(r.person_id);
  for (const auto& r : high) ph.insert(r.person_id);
  EXPECT_EQ(pl, ph);
}

TEST(PiiRecordsTest, MediumNoiseHasTheAdvertisedKindsOfErrors) {
  auto recs = Generate(20000, PiiNoise::kMedium, 5);
  int abbreviated = 0, full = 0, swapped_dates = 0, formatted_phones = 0, upper = 0;
  std::map<std::string, std::set<std::string>> dates;
  for (const auto& r : recs) {
    if (r.street_address.find(" St") != std::string::npos) ++abbreviated;
    if (r.street_address.find(" Street") != std::string::npos) ++full;
    if (r.phone.find('(') != std::string::npos || r.phone.find('-') != std::string::npos) {
      ++formatted_phones;
    }
    if (r.last_name.size() > 1 && r.last_name[1] >= 'A' && r.last_name[1] <= 'Z') ++upper;
    if (!r.birth_date.empty()) dates[r.person_id].insert(r.birth_date);
  }
  for (const auto& [p, ds] : dates) {
    for (const auto& a : ds) {
      for (const auto& b : ds) {
        // YYYY-MM-DD with month and day exchanged.
        if (a < b && a.substr(0, 4) == b.substr(0, 4) && a.substr(5, 2) == b.substr(8, 2) &&
            a.substr(8, 2) == b.substr(5, 2)) {
          ++swapped_dates;
        }
      }
    }
  }
  EXPECT_GT(abbreviated, 500);
  EXPECT_GT(full, 500);
  EXPECT_GT(swapped_dates, 20);
  EXPECT_GT(formatted_phones, 5000);
  EXPECT_GT(upper, 500);
}

TEST(PiiRecordsTest, ParsesNoiseNames) {
  EXPECT_EQ(*ParsePiiNoise("low"), PiiNoise::kLow);
  EXPECT_EQ(*ParsePiiNoise("high"), PiiNoise::kHigh);
  EXPECT_FALSE(ParsePiiNoise("extreme").ok());
  PiiOptions bad;
  bad.records = 0;
  EXPECT_FALSE(GeneratePiiRecords(
                   bad, [](const PiiRecord&) {}, nullptr)
                   .ok());
}

std::vector<MultiSourceRecord> GenerateSources(uint64_t persons, double corrupted,
                                               MultiSourceStats* stats = nullptr) {
  MultiSourceOptions options;
  options.persons = persons;
  options.corrupted = corrupted;
  std::vector<MultiSourceRecord> out;
  EXPECT_TRUE(
      GenerateMultiSource(options, [&](const MultiSourceRecord& r) { out.push_back(r); }, stats)
          .ok());
  return out;
}

TEST(MultiSourceTest, DuplicateFreeSourcesMostPersonsInOne) {
  MultiSourceStats stats;
  std::vector<MultiSourceRecord> recs = GenerateSources(5000, 0.2, &stats);
  EXPECT_EQ(stats.persons, 5000u);
  EXPECT_EQ(stats.records, recs.size());
  std::map<std::string, std::set<int>> sources_of;
  std::set<std::pair<int, std::string>> ids;
  for (const auto& r : recs) {
    EXPECT_TRUE(sources_of[r.person_id].insert(r.source).second) << "person twice in a source";
    EXPECT_TRUE(ids.insert({r.source, r.id}).second);
    EXPECT_GE(r.source, 0);
    EXPECT_LT(r.source, 5);
  }
  std::map<size_t, int> by_count;
  for (const auto& [p, s] : sources_of) ++by_count[s.size()];
  EXPECT_GT(by_count[1], 2500);  // most persons are in one source
  EXPECT_GT(by_count[5], 50);    // some in all five
  // About 20% of the overlapping records carry errors.
  const double share = static_cast<double>(stats.corrupted_records) /
                       static_cast<double>(stats.overlapping_records);
  EXPECT_NEAR(share, 0.2, 0.03);
}

TEST(MultiSourceTest, DeterministicAndCorruptionChangesOnlyOverlappingRecords) {
  std::vector<MultiSourceRecord> a = GenerateSources(2000, 0.4), b = GenerateSources(2000, 0.4);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id + a[i].given_name + a[i].surname + a[i].town + a[i].postcode,
              b[i].id + b[i].given_name + b[i].surname + b[i].town + b[i].postcode);
  }
  // Without corruption a person's records differ only by case, a move, a
  // new surname or a missing value: names agree case-insensitively in most.
  std::vector<MultiSourceRecord> clean = GenerateSources(2000, 0.0);
  std::map<std::string, std::set<std::string>> names;
  for (const auto& r : clean) {
    std::string n = r.given_name + " " + r.surname;
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names[r.person_id].insert(n);
  }
  int differing = 0;
  for (const auto& [p, n] : names) differing += n.size() > 1;
  EXPECT_LT(differing, 20);
  // Sources write in their own case: some all upper, some not.
  bool upper = false, lower = false;
  for (const auto& r : clean) {
    upper |= r.surname == "SMITH";
    lower |= r.surname == "smith";
  }
  EXPECT_TRUE(upper && lower);
}

TEST(MultiSourceTest, RejectsBadOptions) {
  MultiSourceOptions options;
  options.sources = 1;
  EXPECT_FALSE(GenerateMultiSource(options, [](const MultiSourceRecord&) {}, nullptr).ok());
  options.sources = 5;
  options.corrupted = 1.5;
  EXPECT_FALSE(GenerateMultiSource(options, [](const MultiSourceRecord&) {}, nullptr).ok());
}

}  // namespace
}  // namespace holo::generate
