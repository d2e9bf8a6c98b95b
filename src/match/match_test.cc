// End-to-end tests on the shared ER datasets (skipped when absent), plus
// config and evaluation unit tests.
#include "holo/match.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "generate/pii_records.h"
#include "match/config.h"
#include "match/csv_reader.h"
#include "match/evaluate.h"
#include "match/fellegi_sunter.h"

namespace holo::match {
namespace {

// Pairwise F1 reached by the example configs (see README.md), minus a margin.
constexpr double kFebrl1MinF1 = 0.99;     // reached: 1.0000
constexpr double kFebrl4MinF1 = 0.99;     // reached: 0.9999
constexpr double kRldata500MinF1 = 0.97;  // reached: 0.9899
constexpr double kFake1000MinF1 = 0.93;   // reached: 0.9512 (issue 3 target: 0.90)
constexpr double kChicagoMinF1 = 0.92;    // reached: 0.9438 (issue 3 target: 0.90)

std::string SharedDir() {
  const char* s = std::getenv("HOLO_SHARED");
  return s ? s : "";
}

std::string TempDir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("holo_match_test_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

void ExpectBenchmark(const std::string& name, double min_f1) {
  std::string shared = SharedDir();
  if (shared.empty() || !BenchmarkAvailable(name, shared)) {
    GTEST_SKIP() << "shared dataset " << name << " not available (HOLO_SHARED)";
  }
  auto r = RunBenchmark(name, shared, HOLO_MATCH_EXAMPLES_DIR, TempDir(name));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->score.f1, min_f1) << name << " precision=" << r->score.precision
                                 << " recall=" << r->score.recall;
}

TEST(MatchBenchmarkTest, Febrl1) { ExpectBenchmark("febrl1", kFebrl1MinF1); }
TEST(MatchBenchmarkTest, Febrl4Link) { ExpectBenchmark("febrl4", kFebrl4MinF1); }
TEST(MatchBenchmarkTest, RLdata500) { ExpectBenchmark("rldata500", kRldata500MinF1); }
TEST(MatchBenchmarkTest, Fake1000) { ExpectBenchmark("fake_1000", kFake1000MinF1); }
TEST(MatchBenchmarkTest, ChicagoChildcare) { ExpectBenchmark("chicago", kChicagoMinF1); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `records` generated PII records as CSV; `truth` rewrites person_id.
void WritePii(const std::string& path, uint64_t records,
              const std::function<std::string(const std::string&, size_t)>& truth) {
  generate::PiiOptions options;
  options.records = records;
  options.noise = generate::PiiNoise::kMedium;
  options.seed = 11;
  std::ofstream out(path);
  out << "record_id,first_name,last_name,birth_date,phone,email,street_address,postcode,city,"
         "source,person_id\n";
  size_t i = 0;
  auto q = [](const std::string& s) {
    if (s.find_first_of(",\"") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
  };
  ASSERT_TRUE(generate::GeneratePiiRecords(
                  options,
                  [&](const generate::PiiRecord& r) {
                    out << r.record_id << ',' << q(r.first_name) << ',' << q(r.last_name) << ','
                        << r.birth_date << ',' << q(r.phone) << ',' << q(r.email) << ','
                        << q(r.street_address) << ',' << r.postcode << ',' << q(r.city) << ','
                        << r.source << ',' << q(truth(r.person_id, i++)) << '\n';
                  },
                  nullptr)
                  .ok());
}

MatchOptions PiiOptions(const std::string& input, const std::string& out, int threads = 0) {
  MatchOptions opts;
  opts.config_path = std::string(HOLO_MATCH_EXAMPLES_DIR) + "/generated_pii.toml";
  opts.out_dir = out;
  opts.inputs = {input};
  opts.threads = threads;
  return opts;
}

TEST(MatchTest, TruthColumnIsNotRead) {
  const std::string dir = TempDir("truth");
  std::filesystem::create_directories(dir);
  std::mt19937 rng(5);
  WritePii(dir + "/real.csv", 4000, [](const std::string& p, size_t) { return p; });
  WritePii(dir + "/shuffled.csv", 4000,
           [&](const std::string&, size_t) { return "p" + std::to_string(rng() % 50); });
  WritePii(dir + "/blank.csv", 4000, [](const std::string&, size_t) { return ""; });
  for (const char* name : {"real", "shuffled", "blank"}) {
    MatchReport report;
    Status s = RunMatch(PiiOptions(dir + "/" + name + ".csv", dir + "/out_" + name), &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_GT(report.matched_pairs, 1000u);
  }
  const std::string real = ReadFile(dir + "/out_real/clusters.csv");
  EXPECT_EQ(real, ReadFile(dir + "/out_shuffled/clusters.csv"));
  EXPECT_EQ(real, ReadFile(dir + "/out_blank/clusters.csv"));
  EXPECT_EQ(ReadFile(dir + "/out_real/pairs.csv"), ReadFile(dir + "/out_blank/pairs.csv"));
}

TEST(MatchTest, SameResultWithOneOrTwoThreads) {
  const std::string dir = TempDir("threads");
  std::filesystem::create_directories(dir);
  WritePii(dir + "/in.csv", 5000, [](const std::string& p, size_t) { return p; });
  MatchReport one, two;
  ASSERT_TRUE(RunMatch(PiiOptions(dir + "/in.csv", dir + "/t1", 1), &one).ok());
  ASSERT_TRUE(RunMatch(PiiOptions(dir + "/in.csv", dir + "/t2", 2), &two).ok());
  EXPECT_EQ(one.candidate_pairs, two.candidate_pairs);
  EXPECT_EQ(ReadFile(dir + "/t1/clusters.csv"), ReadFile(dir + "/t2/clusters.csv"));
  EXPECT_EQ(ReadFile(dir + "/t1/pairs.csv"), ReadFile(dir + "/t2/pairs.csv"));
  EXPECT_EQ(ReadFile(dir + "/t1/model.txt"), ReadFile(dir + "/t2/model.txt"));
}

TEST(MatchTest, GeneratedPiiReachesItsTargets) {
  // 20,000 medium-noise records: the README's figures, minus a margin.
  const std::string dir = TempDir("pii_medium");
  std::filesystem::create_directories(dir);
  generate::PiiOptions options;
  options.records = 20000;
  options.noise = generate::PiiNoise::kMedium;
  options.seed = 1;
  ASSERT_TRUE(generate::WritePiiCsv(options, dir + "/in.csv", nullptr).ok());
  ColumnTruthBenchmark b;
  b.name = "pii_medium";
  b.config_path = std::string(HOLO_MATCH_EXAMPLES_DIR) + "/generated_pii.toml";
  b.input = dir + "/in.csv";
  b.id_column = "record_id";
  b.truth_column = "person_id";
  using Kind = ColumnTruthBenchmark::Identifying::Kind;
  b.identifying = {{{"first_name", "last_name"}, Kind::kText},
                   {{"birth_date"}, Kind::kDigits},
                   {{"phone"}, Kind::kDigits},
                   {{"email"}, Kind::kText},
                   {{"street_address"}, Kind::kText}};
  auto r = RunColumnTruthBenchmark(b, dir + "/out");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->score.precision, 0.993);
  EXPECT_GE(r->supported_recall, 0.99);
  EXPECT_GE(r->score.recall, 0.93);
  EXPECT_LT(r->supported_pairs, r->true_pairs);
}

TEST(FellegiSunterTest, MonotoneLevelsNeverRewardWeakerAgreement) {
  // "Different address" more common among matches than u says (households
  // among the non-matches): after pooling, m/u must not increase along the
  // levels, and u keeps its total mass.
  const std::vector<double> m = {0.70, 0.05, 0.25};
  std::vector<double> u = {0.80, 0.15, 0.05};
  MakeMonotoneU(m, &u);
  EXPECT_NEAR(u[0] + u[1] + u[2], 1.0, 1e-12);
  for (size_t l = 0; l + 1 < m.size(); ++l) EXPECT_GE(m[l] / u[l], m[l + 1] / u[l + 1] - 1e-12);
  EXPECT_LE(m[2] / u[2], 1.0 + 1e-12);  // disagreement is no evidence for a match
  std::vector<double> ordered = {0.01, 0.04, 0.95};
  MakeMonotoneU({0.7, 0.2, 0.1}, &ordered);
  EXPECT_EQ(ordered, (std::vector<double>{0.01, 0.04, 0.95}));
}

}  // namespace
}  // namespace holo::match
