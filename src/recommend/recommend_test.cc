// Recommenders on data whose answer is known: interaction files read with bad lines reported,
// the leave-last-out split, each model's ranking on a world of ordered item chains and of
// taste clusters, and a model saved and loaded scoring the same.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/model_file.h"
#include "recommend/models.h"
#include "testing/test_util.h"

namespace holo::recommend {
namespace {

TEST(InteractionsTest, ReadsTabsCommasHeadersAndReportsBadLines) {
  testing::TempDir dir("recommend_read");
  const std::string path = dir / "i.csv";
  testing::WriteFile(path,
                     "user,item,rating,timestamp\n"
                     "u1,a,5,100\n"
                     "u1\tb\t200\n"
                     "u2,a,x,300\n"      // a bad weight
                     "u2,,1,300\n"       // no item
                     "u2,b,400.5\n"      // a fractional time
                     "u3,c,1,2,3\n");    // too many fields
  InteractionLog log;
  std::vector<uint64_t> bad_lines;
  auto r = ReadInteractionFile(path, &log, [&](uint64_t line, std::string_view, std::string_view) { bad_lines.push_back(line); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->header);
  EXPECT_EQ(r->read, 3u);
  EXPECT_EQ(bad_lines, (std::vector<uint64_t>{4, 5, 7}));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].weight, 5.0f);
  EXPECT_EQ(log[1].item, "b");
  EXPECT_EQ(log[2].ts, 400);
  EXPECT_EQ(ReadInteractionFile(dir / "none.csv", &log, nullptr).status().code(), StatusCode::kNotFound);
  testing::WriteFile(dir / "empty.csv", "nothing here\n");
  EXPECT_EQ(ReadInteractionFile(dir / "empty.csv", &log, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(InteractionsTest, LeaveLastOutHoldsEachUsersLatestItem) {
  InteractionLog log = {{"u", "late", 1, 300}, {"u", "early", 1, 100}, {"u", "mid", 1, 200}, {"solo", "x", 1, 5}};
  const Dataset all = Dataset::From(log);
  const Split s = LeaveLastOut(all);
  const uint32_t u = all.user_index.at("u");
  EXPECT_EQ(s.held[u], all.item_index.at("late"));
  EXPECT_EQ(s.train.by_user[u].size(), 2u);
  EXPECT_EQ(s.train.by_user[u].back().item, all.item_index.at("mid"));
  EXPECT_EQ(s.held[all.user_index.at("solo")], -1) << "one interaction: nothing to hold out";
  EXPECT_EQ(s.train.by_user[all.user_index.at("solo")].size(), 1u);
}

// Two taste clusters of 20 items; each user takes 8 items of one cluster, walking a chain
// (item k, then k+1, ...) from a random start. The next item is the chain's next one.
Dataset Chains(uint32_t users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  InteractionLog log;
  for (uint32_t u = 0; u < users; ++u) {
    const int cluster = static_cast<int>(rng() % 2);
    const int start = static_cast<int>(rng() % 20);
    for (int k = 0; k < 8; ++k) {
      log.push_back({"u" + std::to_string(u), "c" + std::to_string(cluster) + "-" + std::to_string((start + k) % 20), 1,
                     1000 + k});
    }
  }
  return Dataset::From(log);
}

TEST(RecommendersTest, EachModelRanksAsItsIdeaSays) {
  const Split split = LeaveLastOut(Chains(600, 7));
  std::map<std::string, RankMetrics> got;
  for (auto algo : Algorithms()) {
    Options o;
    o.algo = std::string(algo);
    auto m = MakeRecommender(o);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE((*m)->Fit(split.train).ok()) << algo;
    got[std::string(algo)] = Evaluate(**m, split);
  }
  // 40 items, 8 seen: popularity knows no taste (about 10 of 32 unseen in the top 10).
  EXPECT_LT(got["popularity"].hr, 0.5);
  // Cluster models find the taste: the next item is among the user's cluster's 12 unseen.
  EXPECT_GT(got["itemknn"].hr, 0.6);
  EXPECT_GT(got["ease"].hr, 0.6);
  // Order: the sequential model knows what follows the latest items.
  EXPECT_GT(got["sequential"].hr, 0.95);
  EXPECT_GT(got["sequential"].ndcg, got["ease"].ndcg + 0.1) << "EASE cannot tell which end of the window comes next";
  EXPECT_EQ(got["ease"].users, 600u);
}

TEST(RecommendersTest, TopKExcludesWhatTheUserHasAndSavedModelsScoreTheSame) {
  const Dataset data = Chains(200, 3);
  testing::TempDir dir("recommend_model");
  for (auto algo : Algorithms()) {
    TrainedModel t;
    t.options.algo = std::string(algo);
    t.data = data;
    auto m = MakeRecommender(t.options);
    ASSERT_TRUE(m.ok());
    t.model = std::move(*m);
    ASSERT_TRUE(t.model->Fit(t.data).ok());
    ASSERT_TRUE(SaveModel(dir / std::string(algo), t).ok());
    auto loaded = LoadModel(dir / std::string(algo));
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    for (uint32_t u = 0; u < 20; ++u) {
      const auto a = TopK(*t.model, t.data.by_user[u], t.data.num_items(), 10);
      const auto b = TopK(*loaded->model, loaded->data.by_user[u], loaded->data.num_items(), 10);
      ASSERT_EQ(a, b) << algo;
      ASSERT_EQ(a.size(), 10u);
      for (const auto& [item, score] : a) {
        for (const auto& e : t.data.by_user[u]) EXPECT_NE(item, e.item) << "an item the user has";
      }
    }
  }
  EXPECT_EQ(LoadModel(dir / "nothing").status().code(), StatusCode::kNotFound);
  testing::WriteFile(dir / "ease/model.holo", "holo-recommend 1\ngarbage");
  EXPECT_EQ(LoadModel(dir / "ease").status().code(), StatusCode::kDataLoss);
  Options bad;
  bad.algo = "magic";
  EXPECT_EQ(MakeRecommender(bad).status().code(), StatusCode::kInvalidArgument);
  Options small;
  small.algo = "ease";
  small.max_dense_items = 10;
  auto ease = MakeRecommender(small);
  EXPECT_EQ((*ease)->Fit(data).code(), StatusCode::kInvalidArgument) << "too many items for a dense model, said so";
}

}  // namespace
}  // namespace holo::recommend
