// End-to-end tests on the shared ER datasets (skipped when absent), plus
// config and evaluation unit tests.
#include "holo/match.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "generate/pii_records.h"
#include "generate/pii_sources.h"
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
constexpr double kFake1000MinF1 = 0.95;   // reached: 0.9630 (issue 14 target: 0.95)
constexpr double kChicagoMinF1 = 0.94;    // reached: 0.9438 (issue 14 target: 0.94)
constexpr double kDblpAcmMinF1 = 0.985;   // reached: 0.9851 (issue 14 target: 0.985)
// Five generated voter rolls, 20,000 persons (voters_<P> in match_eval), at
// default settings with examples/match/voters_5_sources.toml.
constexpr double kVoters0MinF1 = 0.95;   // reached: 0.9748 (issue 14 target: 0.95)
constexpr double kVoters20MinF1 = 0.90;  // reached: 0.9315
constexpr double kVoters40MinF1 = 0.85;  // reached: 0.9057

std::string SharedDir() {
  const char* s = std::getenv("HOLO_SHARED");
  return s ? s : "";
}

std::string TempDir(const std::string& name) {
  // One directory per process: two checkouts testing at once must not share it.
  auto p = std::filesystem::temp_directory_path() / ("holo_match_test_" + name + "_" + std::to_string(getpid()));
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
TEST(MatchBenchmarkTest, DblpAcmLink) { ExpectBenchmark("dblp_acm", kDblpAcmMinF1); }

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

// Writes five voter rolls of `persons` persons to dir/source_<k>.csv.
std::vector<std::string> WriteVoters(const std::string& dir, uint64_t persons, double corrupted) {
  generate::MultiSourceOptions options;
  options.persons = persons;
  options.corrupted = corrupted;
  options.seed = 1;
  EXPECT_TRUE(generate::WriteMultiSourceCsv(options, dir, nullptr).ok());
  std::vector<std::string> inputs;
  for (int k = 1; k <= options.sources; ++k) {
    inputs.push_back(dir + "/source_" + std::to_string(k) + ".csv");
  }
  return inputs;
}

std::string VotersConfig() {
  return std::string(HOLO_MATCH_EXAMPLES_DIR) + "/voters_5_sources.toml";
}

MatchOptions VotersOptions(const std::vector<std::string>& inputs, const std::string& out) {
  MatchOptions opts;
  opts.config_path = VotersConfig();
  opts.out_dir = out;
  opts.inputs = inputs;
  return opts;
}

void ExpectVoters(const std::string& name, double corrupted, double min_f1) {
  const std::string dir = TempDir(name);
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 20000, corrupted);
  auto r = RunMultiSourceBenchmark(name, VotersConfig(), inputs, "id", "person_id", dir + "/out");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->score.f1, min_f1) << name << " precision=" << r->score.precision
                                 << " recall=" << r->score.recall;
  EXPECT_EQ(r->report.sources, 5u);
}

// The voter-roll linkage of issue 14, configured as a new user would (block
// on postcode; surname Soundex; given-name Soundex + town), no threshold.
TEST(MatchVotersTest, FiveSourcesWithoutErrors) { ExpectVoters("voters_0", 0.0, kVoters0MinF1); }
TEST(MatchVotersTest, FiveSources20PercentCorrupted) {
  ExpectVoters("voters_20", 0.2, kVoters20MinF1);
}
TEST(MatchVotersTest, FiveSources40PercentCorrupted) {
  ExpectVoters("voters_40", 0.4, kVoters40MinF1);
}

TEST(MatchVotersTest, ClustersHoldAtMostOneRecordPerSource) {
  const std::string dir = TempDir("voters_one_per_source");
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 4000, 0.3);
  MatchOptions opts = VotersOptions(inputs, dir + "/out");
  MatchReport report;
  ASSERT_TRUE(RunMatch(opts, &report).ok());
  auto clusters = ReadClusters(dir + "/out/clusters.csv");
  ASSERT_TRUE(clusters.ok());
  std::map<std::string, std::set<std::string>> sources_of;
  std::map<std::string, int> size;
  for (const auto& [id, c] : *clusters) {
    const std::string source = id.substr(0, id.find(':'));
    EXPECT_TRUE(sources_of[c].insert(source).second) << "cluster " << c << " has two of " << source;
    ++size[c];
  }
  int multi = 0;
  for (const auto& [c, n] : size) multi += n >= 3;
  EXPECT_GT(multi, 100);  // clusters across three or more sources exist
}

TEST(MatchVotersTest, SourceColumnGivesTheSameClustersAsSeparateInputs) {
  const std::string dir = TempDir("voters_source_column");
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 3000, 0.2);
  // One file with a `source` column holding 1..5.
  std::ofstream all(dir + "/all.csv");
  all << "id,given_name,surname,town,postcode,person_id,source\n";
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::ifstream in(inputs[k]);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) all << line << ',' << k + 1 << '\n';
  }
  all.close();
  const std::string cfg_path = dir + "/config.toml";
  std::ofstream cfg(cfg_path);
  cfg << "source_column = \"source\"\n" << ReadFile(VotersConfig());
  cfg.close();
  MatchOptions by_input = VotersOptions(inputs, dir + "/by_input");
  MatchOptions by_column = VotersOptions({dir + "/all.csv"}, dir + "/by_column");
  by_column.config_path = cfg_path;
  MatchReport a, b;
  ASSERT_TRUE(RunMatch(by_input, &a).ok());
  Status s = RunMatch(by_column, &b);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(b.sources, 5u);
  EXPECT_EQ(a.candidate_pairs, b.candidate_pairs);
  // Same records in another order: compare each record's cluster-mates.
  auto groups = [](const std::string& path) {
    auto c = ReadClusters(path);
    std::map<std::string, std::set<std::string>> by_cluster;
    for (const auto& [id, cl] : *c) by_cluster[cl].insert(id);
    std::set<std::set<std::string>> out;
    for (auto& [cl, ids] : by_cluster) out.insert(ids);
    return out;
  };
  EXPECT_EQ(groups(dir + "/by_input/clusters.csv"), groups(dir + "/by_column/clusters.csv"));
}

// The degenerate model of issue 14: EM over all candidates of the voter
// config explains them as "same place" (lambda ~ 0.6, names disagreeing
// among "matches"). The guards must say so and fall back, and the result
// must stay usable.
TEST(MatchGuardTest, DegenerateModelFallsBackAndSaysSo) {
  const std::string dir = TempDir("guard");
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 6000, 0.2);
  MatchOptions opts = VotersOptions(inputs, dir + "/out");
  MatchReport report;
  ASSERT_TRUE(RunMatch(opts, &report).ok());
  EXPECT_TRUE(report.fallback);
  EXPECT_FALSE(report.guards.empty());
  EXPECT_NE(report.estimator, "pooled");
  bool said = false;
  for (const auto& w : report.warnings) said |= w.find("model guard") != std::string::npos;
  EXPECT_TRUE(said);
  const std::string json = ReadFile(dir + "/out/report.json");
  EXPECT_NE(json.find("\"fallback\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"guards\":[\""), std::string::npos) << json;
  EXPECT_NE(report.model_explanation.find("Guards fired"), std::string::npos);
  // The same model with the guards not acted on ("pooled") is the collapse.
  const std::string pooled_cfg = dir + "/pooled.toml";
  std::ofstream(pooled_cfg) << "estimator = \"pooled\"\n" << ReadFile(VotersConfig());
  opts.config_path = pooled_cfg;
  opts.out_dir = dir + "/pooled";
  MatchReport pooled;
  ASSERT_TRUE(RunMatch(opts, &pooled).ok());
  EXPECT_FALSE(pooled.fallback);
  EXPECT_GT(pooled.lambda, 0.3);
}

// A new user may type names as plain strings and not say that the sources
// are duplicate-free: the guards must still catch the "same place" model.
TEST(MatchGuardTest, CatchesTheCollapseWithNamesTypedAsStrings) {
  const std::string dir = TempDir("guard_strings");
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 6000, 0.2);
  std::string cfg;
  std::istringstream lines(ReadFile(VotersConfig()));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("one_to_one", 0) == 0 || line.rfind("swap_with", 0) == 0) continue;
    if (line == "type = \"name\"") line = "type = \"string\"";
    cfg += line + "\n";
  }
  std::ofstream(dir + "/config.toml") << cfg;
  auto r = RunMultiSourceBenchmark("strings", dir + "/config.toml", inputs, "id", "person_id",
                                   dir + "/out");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->report.fallback);
  EXPECT_FALSE(r->report.guards.empty());
  EXPECT_GE(r->score.f1, 0.8) << "precision=" << r->score.precision
                              << " recall=" << r->score.recall;  // 0.10 without the guards
}

TEST(MatchGuardTest, HealthyModelFiresNoGuard) {
  const std::string dir = TempDir("no_guard");
  std::filesystem::create_directories(dir);
  WritePii(dir + "/in.csv", 4000, [](const std::string& p, size_t) { return p; });
  MatchReport report;
  ASSERT_TRUE(RunMatch(PiiOptions(dir + "/in.csv", dir + "/out"), &report).ok());
  EXPECT_FALSE(report.fallback);
  EXPECT_TRUE(report.guards.empty());
  EXPECT_EQ(report.estimator, "pooled");
}

TEST(MatchTest, ExplainModelSaysTheWeightsInWords) {
  const std::string dir = TempDir("explain");
  std::vector<std::string> inputs = WriteVoters(dir + "/in", 3000, 0.0);
  MatchOptions opts = VotersOptions(inputs, dir + "/out");
  MatchReport report;
  ASSERT_TRUE(RunMatch(opts, &report).ok());
  const std::string& e = report.model_explanation;
  EXPECT_NE(e.find("given_name exact agreement: "), std::string::npos) << e;
  EXPECT_NE(e.find("bits for a match (m "), std::string::npos) << e;
  EXPECT_NE(e.find("surname disagreement: "), std::string::npos) << e;
  EXPECT_NE(e.find("lambda"), std::string::npos) << e;
  EXPECT_NE(e.find("rule \"postcode\""), std::string::npos) << e;
  // model.txt carries it too.
  EXPECT_NE(ReadFile(dir + "/out/model.txt").find("# Weights"), std::string::npos);
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
