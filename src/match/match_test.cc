// End-to-end tests on the shared ER datasets (skipped when absent), plus
// config and evaluation unit tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "holo/match.h"
#include "match/config.h"
#include "match/evaluate.h"

namespace holo::match {
namespace {

// Pairwise F1 reached by the example configs (see README.md), minus a margin.
constexpr double kFebrl1MinF1 = 0.99;   // reached: 1.0000
constexpr double kFebrl4MinF1 = 0.99;   // reached: 0.9999
constexpr double kRldata500MinF1 = 0.97;  // reached: 0.9899

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

TEST(MatchConfigTest, RejectsBadConfigs) {
  EXPECT_FALSE(ParseMatchConfig("id_column = 1", "t").ok());
  EXPECT_FALSE(ParseMatchConfig("id_column = \"id\"\n[[fields]]\ncolumn=\"a\"\ntype=\"nope\"\n", "t").ok());
  EXPECT_FALSE(ParseMatchConfig("this is not toml", "t").ok());
  auto ok = ParseMatchConfig(
      "id_column = \"id\"\none_to_one = true\n[[fields]]\ncolumn = \"a\"\ntype = \"name\"\n"
      "[[blocking]]\nkeys = [{column = \"a\", transform = \"prefix3\"}]\n",
      "t");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->one_to_one);
  EXPECT_TRUE(ok->fields[0].term_frequency);
  EXPECT_EQ(ok->blocking[0][0].transform, "prefix3");
}

TEST(MatchTest, DedupesTinyInput) {
  std::string dir = TempDir("tiny");
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/cfg.toml") << "id_column = \"id\"\n"
                                        "[[fields]]\ncolumn = \"name\"\ntype = \"name\"\n"
                                        "[[fields]]\ncolumn = \"dob\"\ntype = \"date\"\n"
                                        "[[blocking]]\nkeys = [{column = \"dob\", transform = \"year\"}]\n";
    std::ofstream in(dir + "/in.csv");
    in << "id,name,dob\n";
    const char* names[] = {"anna", "bert", "carl", "dora", "emil", "fritz", "gina", "hugo"};
    for (int i = 0; i < 40; ++i) {
      in << "r" << i << "," << names[i % 8] << " x" << i << ",19" << (50 + i) << "-01-0"
         << (1 + i % 9) << "\n";
    }
    in << "d1,anna x0,1950-01-01\n";
  }
  MatchOptions opts;
  opts.config_path = dir + "/cfg.toml";
  opts.out_dir = dir + "/out";
  opts.inputs = {dir + "/in.csv"};
  MatchReport report;
  Status s = RunMatch(opts, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.records, 41u);
  auto clusters = ReadClusters(dir + "/out/clusters.csv");
  ASSERT_TRUE(clusters.ok());
  EXPECT_EQ(clusters->size(), 41u);
  EXPECT_EQ((*clusters)["r0"], (*clusters)["d1"]);
  EXPECT_NE((*clusters)["r0"], (*clusters)["r1"]);
}

TEST(EvaluateTest, PairwiseAndBcubed) {
  Clustering pred = {{"a", "1"}, {"b", "1"}, {"c", "1"}, {"d", "2"}};
  Clustering truth = {{"a", "x"}, {"b", "x"}, {"c", "y"}, {"d", "y"}};
  PairScore s = ScoreClustering(pred, truth, false);
  EXPECT_EQ(s.true_positives, 1u);
  EXPECT_EQ(s.false_positives, 2u);
  EXPECT_EQ(s.false_negatives, 1u);
  EXPECT_NEAR(s.precision, 1.0 / 3, 1e-9);
  EXPECT_NEAR(s.recall, 0.5, 1e-9);
}

}  // namespace
}  // namespace holo::match
