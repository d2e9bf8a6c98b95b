#include "match/blocking.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace holo::match {
namespace {

MatchConfig Config(std::vector<std::vector<BlockingKey>> rules, uint64_t max_block = 2000) {
  MatchConfig cfg;
  cfg.id_column = "id";
  cfg.blocking = std::move(rules);
  cfg.max_block_size = max_block;
  return cfg;
}

// Returns every pair with how many times it was produced, and by which rule.
std::map<RecordPair, std::vector<uint32_t>> Enumerate(
    const MatchConfig& cfg, const std::vector<std::vector<std::string>>& rows, bool link = false,
    size_t first = 0, uint64_t chunk_pairs = 3) {
  BlockingIndex index(cfg);
  EXPECT_TRUE(index.SetHeader({"id", "name", "city", "title"}).ok());
  for (size_t r = 0; r < rows.size(); ++r) index.AddRecord(link && r >= first ? 1 : 0, rows[r]);
  index.Finish(link, chunk_pairs, nullptr);
  std::map<RecordPair, std::vector<uint32_t>> seen;
  for (const auto& chunk : index.chunks()) {
    index.ForEachPair(chunk, [&](uint32_t a, uint32_t b) {
      EXPECT_LT(a, b);
      seen[{a, b}].push_back(chunk.rule);
    });
  }
  return seen;
}

const std::vector<std::vector<std::string>> kRows = {
    {"0", "anna", "york", "deep learning for graphs"},
    {"1", "anna", "york", "graphs and deep nets"},
    {"2", "anne", "york", "learning graphs"},
    {"3", "bert", "leeds", "deep learning"},
    {"4", "anna", "leeds", "unrelated"},
};

TEST(BlockingTest, EachPairOnceAcrossOverlappingRules) {
  MatchConfig cfg = Config({{{"name", ""}}, {{"city", ""}}, {{"name", "prefix3"}}});
  auto seen = Enumerate(cfg, kRows);
  // name: (0,1),(0,4),(1,4); city: (0,2),(1,2),(3,4) [+ (0,1) again, dropped];
  // prefix3 "ann": (2,4) new, the rest already produced.
  std::map<RecordPair, uint32_t> expected = {{{0, 1}, 0}, {{0, 4}, 0}, {{1, 4}, 0}, {{0, 2}, 1},
                                             {{1, 2}, 1}, {{3, 4}, 1}, {{2, 4}, 2}};
  ASSERT_EQ(seen.size(), expected.size());
  for (const auto& [pair, rules] : seen) {
    ASSERT_EQ(rules.size(), 1u) << pair.first << "," << pair.second;
    EXPECT_EQ(rules[0], expected[pair]) << pair.first << "," << pair.second;
  }
}

TEST(BlockingTest, MultiKeyTokensProduceAPairOnce) {
  MatchConfig cfg = Config({{{"title", "tokens"}}});
  auto seen = Enumerate(cfg, kRows);
  // Records 0 and 1 share "deep" and "graphs"; 0 and 3 share "deep", "learning".
  ASSERT_TRUE(seen.count({0, 1}));
  ASSERT_TRUE(seen.count({0, 3}));
  for (const auto& [pair, rules] : seen) EXPECT_EQ(rules.size(), 1u);
  EXPECT_FALSE(seen.count({0, 4}));
}

TEST(BlockingTest, SkippedBlocksDoNotHideLaterRules) {
  // "york" has 4 records > max 3: skipped, so rule 1 must still give (0,1).
  const std::vector<std::vector<std::string>> rows = {{"0", "anna", "york", ""},
                                                      {"1", "anna", "york", ""},
                                                      {"2", "bert", "york", ""},
                                                      {"3", "carl", "york", ""},
                                                      {"4", "anna", "leeds", ""}};
  MatchConfig cfg = Config({{{"city", ""}}, {{"name", ""}}}, 3);
  std::vector<std::string> warnings;
  BlockingIndex index(cfg);
  ASSERT_TRUE(index.SetHeader({"id", "name", "city", "title"}).ok());
  for (const auto& row : rows) index.AddRecord(0, row);
  index.Finish(false, 100, &warnings);
  std::map<RecordPair, uint32_t> pairs;
  for (const auto& chunk : index.chunks()) {
    index.ForEachPair(chunk, [&](uint32_t a, uint32_t b) { pairs[{a, b}] = chunk.rule; });
  }
  EXPECT_EQ(pairs.size(), 3u);  // (0,1), (0,4), (1,4): all from rule 1
  ASSERT_TRUE(pairs.count({0, 1}));
  EXPECT_EQ(pairs[RecordPair(0, 1)], 1u);
  ASSERT_EQ(warnings.size(), 1u);
}

TEST(BlockingTest, OversizedBlocksAreComparedBySortedNeighbourhood) {
  // 40 records in one city (above max 10): with a name field to sort by, the
  // block is not skipped but each record meets its neighbours in name order
  // (both orders), each pair once; a later rule does not repeat them.
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 40; ++i) {
    const std::string name = std::string(1, static_cast<char>('a' + i % 20)) + "name";
    rows.push_back({std::to_string(i), name, "york", ""});
  }
  MatchConfig cfg = Config({{{"city", ""}}, {{"name", ""}}}, 10);
  cfg.window = 3;
  cfg.max_pairs_per_record = 0;
  FieldConfig f;
  f.name = "name";
  f.columns = {"name"};
  f.type = FieldType::kName;
  cfg.fields = {f};
  auto seen = Enumerate(cfg, rows);
  EXPECT_FALSE(seen.empty());
  EXPECT_LT(seen.size(), 40u * 39 / 2);  // not the whole block
  for (const auto& [pair, rules] : seen) {
    EXPECT_EQ(rules.size(), 1u) << pair.first << "," << pair.second;
  }
  // Records i and i + 20 carry the same name: sorted next to each other.
  for (uint32_t i = 0; i < 20; ++i) EXPECT_TRUE(seen.count({i, i + 20})) << i;
  // Without windows the block is skipped and only rule 1 (same name) pairs.
  cfg.window = 0;
  auto skipped = Enumerate(cfg, rows);
  EXPECT_EQ(skipped.size(), 20u);
}

TEST(BlockingTest, LinkageOnlyPairsAcrossInputs) {
  MatchConfig cfg = Config({{{"city", ""}}});
  auto seen = Enumerate(cfg, kRows, /*link=*/true, /*first=*/2);
  for (const auto& [pair, rules] : seen) {
    EXPECT_LT(pair.first, 2u);
    EXPECT_GE(pair.second, 2u);
  }
  EXPECT_TRUE(seen.count({0, 2}));
  EXPECT_FALSE(seen.count({0, 1}));
}

TEST(BlockingTest, Transforms) {
  EXPECT_EQ(TransformKey("+1 (312) 555-0123", "suffix7"), std::vector<std::string>{"5550123"});
  EXPECT_TRUE(TransformKey("12-34", "suffix7").empty());
  EXPECT_EQ(TransformKey("1723 meadowbrook road, apt 26", "number"),
            std::vector<std::string>{"1723"});
  EXPECT_EQ(TransformKey("robert", "soundex"), std::vector<std::string>{"R163"});
}

}  // namespace
}  // namespace holo::match
