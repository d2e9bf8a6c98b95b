// Clustering: union-find vs average linkage inside components.
#include "match/clustering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace holo::match {
namespace {

// Records 0-2 are one person, 3-5 another; 2 and 3 look alike (one wrong pair).
double Odds(uint32_t a, uint32_t b) {
  if (a > b) std::swap(a, b);
  const bool left_a = a < 3, left_b = b < 3;
  if (a == 2 && b == 3) return 8;  // the wrong but confident pair
  if (left_a == left_b) return 12;
  return -10;
}

std::vector<ScoredPair> ChainPairs() {
  std::vector<ScoredPair> pairs;
  for (uint32_t a = 0; a < 6; ++a) {
    for (uint32_t b = a + 1; b < 6; ++b) {
      const double x = Odds(a, b);
      if (x > 0) pairs.push_back({{a, b}, x, x, 1.0 / (1.0 + std::exp2(-x))});
    }
  }
  return pairs;
}

TEST(ClusteringTest, UnionFindChainsThroughOneWrongPair) {
  ClusterOptions options;
  options.linkage = Linkage::kSingle;
  std::vector<uint32_t> ids = ClusterRecords(6, ChainPairs(), Odds, options);
  for (uint32_t i = 1; i < 6; ++i) EXPECT_EQ(ids[i], ids[0]);
}

TEST(ClusteringTest, AverageLinkageKeepsTheTwoPeopleApart) {
  ClusterOptions options;
  ClusterStats stats;
  std::vector<uint32_t> ids = ClusterRecords(7, ChainPairs(), Odds, options, &stats);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0], ids[2]);
  EXPECT_EQ(ids[3], ids[4]);
  EXPECT_EQ(ids[3], ids[5]);
  EXPECT_NE(ids[0], ids[3]);
  EXPECT_NE(ids[6], ids[0]);  // no pair: alone
  EXPECT_NE(ids[6], ids[3]);
  EXPECT_EQ(stats.components_refined, 1u);
  EXPECT_EQ(stats.largest_component, 6u);
  // Pairs scored on demand: all 15 pairs of the component minus the 7 given.
  EXPECT_EQ(stats.pairs_scored, 15u - ChainPairs().size());
}

TEST(ClusteringTest, MergesNeedAConfidentLink) {
  // Three records whose pairs are all mildly positive (posterior ~0.74): no
  // pair reaches the link threshold, so nothing merges.
  auto weak = [](uint32_t, uint32_t) { return 1.5; };
  std::vector<ScoredPair> pairs = {{{0, 1}, 1.5, 1.5, 0.74}, {{1, 2}, 1.5, 1.5, 0.74}};
  ClusterOptions options;
  options.min_link_log_odds = std::log2(0.95 / 0.05);
  std::vector<uint32_t> ids = ClusterRecords(3, pairs, weak, options);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  options.min_link_log_odds = -1e300;
  ids = ClusterRecords(3, pairs, weak, options);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[1], ids[2]);
}

TEST(ClusteringTest, AverageLinkageOnAMatrix) {
  // Items 0,1 similar; 2 similar to 1 only weakly and dissimilar to 0.
  const std::vector<float> sim = {0,  5, -4,  //
                                  5,  0, 1,   //
                                  -4, 1, 0};
  std::vector<uint32_t> l = AverageLinkage(3, sim);
  EXPECT_EQ(l[0], l[1]);
  EXPECT_NE(l[1], l[2]);  // mean of (1, -4) < 0
}

TEST(ClusteringTest, LargeComponentsAreCutAtTheirWeakestPairs) {
  // A chain 0-1-...-9 where pair (4,5) is the weakest: with max_component 5
  // the component is cut there before average linkage.
  std::vector<ScoredPair> pairs;
  for (uint32_t i = 0; i + 1 < 10; ++i) {
    const double x = i == 4 ? 2 : 10 + i;
    pairs.push_back({{i, i + 1}, x, x, 1.0});
  }
  auto scorer = [](uint32_t a, uint32_t b) { return (a < 5) == (b < 5) ? 6.0 : -6.0; };
  ClusterOptions options;
  options.max_component = 5;
  ClusterStats stats;
  std::vector<uint32_t> ids = ClusterRecords(10, pairs, scorer, options, &stats);
  EXPECT_GE(stats.components_cut, 1u);
  for (uint32_t i = 1; i < 5; ++i) EXPECT_EQ(ids[i], ids[0]);
  for (uint32_t i = 6; i < 10; ++i) EXPECT_EQ(ids[i], ids[5]);
  EXPECT_NE(ids[0], ids[5]);
}

TEST(ClusteringTest, ComponentOfEquallyStrongPairsStaysWhole) {
  std::vector<ScoredPair> pairs;
  for (uint32_t i = 0; i + 1 < 8; ++i) pairs.push_back({{i, i + 1}, 5, 5, 0.97});
  ClusterOptions options;
  options.max_component = 4;
  std::vector<uint32_t> ids = ClusterRecords(
      8, pairs, [](uint32_t, uint32_t) { return 5.0; }, options);
  for (uint32_t i = 1; i < 8; ++i) EXPECT_EQ(ids[i], ids[0]);
}

TEST(ClusteringTest, OneToOneKeepsTheMostProbablePair) {
  std::vector<ScoredPair> pairs = {{{0, 2}, 3, 3, 0.9}, {{0, 3}, 9, 9, 0.99}, {{1, 3}, 5, 5, 0.97}};
  std::vector<ScoredPair> kept = OneToOne(pairs);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].pair, RecordPair(0, 3));
}

TEST(ClusteringTest, OneToOneKeepsOnePartnerPerOtherSource) {
  // Records 0, 1 in source 0; 2 in source 1; 3 in source 2. Record 0 may keep
  // a partner in source 1 and one in source 2, but not two in source 1.
  const std::vector<uint8_t> sources = {0, 0, 1, 2};
  auto pair = [](uint32_t a, uint32_t b, double x) {
    return ScoredPair{{a, b}, x, x, 1.0 / (1.0 + std::exp2(-x))};
  };
  std::vector<ScoredPair> kept =
      OneToOne({pair(0, 2, 10), pair(1, 2, 8), pair(0, 3, 6), pair(2, 3, 5)}, &sources);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].pair, (RecordPair{0, 2}));
  EXPECT_EQ(kept[1].pair, (RecordPair{0, 3}));  // (1, 2) lost: 2 already has source 0's record
  EXPECT_EQ(kept[2].pair, (RecordPair{2, 3}));
  // Without sources, a record is assigned once.
  EXPECT_EQ(OneToOne({pair(0, 2, 10), pair(0, 3, 6)}).size(), 1u);
}

TEST(ClusteringTest, AverageLinkageNeverPutsTwoRecordsOfOneSourceTogether) {
  // Four records that all look alike; 0 and 1 come from the same
  // (duplicate-free) source, so they must end in different clusters.
  const std::vector<uint8_t> sources = {0, 0, 1, 2};
  auto odds = [](uint32_t, uint32_t) { return 6.0; };
  std::vector<ScoredPair> pairs;
  for (uint32_t a = 0; a < 4; ++a) {
    for (uint32_t b = a + 1; b < 4; ++b) {
      if (sources[a] != sources[b]) pairs.push_back({{a, b}, 6, 6, 0.98});
    }
  }
  ClusterOptions options;
  options.one_per_source = &sources;
  std::vector<uint32_t> ids = ClusterRecords(4, pairs, odds, options);
  EXPECT_NE(ids[0], ids[1]);
  // 2 and 3 join one of them: clusters of 3 and 1.
  EXPECT_EQ(ids[2], ids[3]);
  EXPECT_TRUE(ids[2] == ids[0] || ids[2] == ids[1]);
  // Without the constraint all four merge.
  options.one_per_source = nullptr;
  ids = ClusterRecords(4, pairs, odds, options);
  for (uint32_t i = 1; i < 4; ++i) EXPECT_EQ(ids[i], ids[0]);
}

}  // namespace
}  // namespace holo::match
