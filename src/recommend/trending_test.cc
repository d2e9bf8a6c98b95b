// The trending boost on worlds whose answer is known: a topic whose posting surges trends and
// lends its items a boost, a steady topic does not, more posting everywhere raises nothing, a
// clock far past the data sees nothing trend; the hold-out gives the boost a weight where the
// crowd follows the trend and none where people keep to their own taste.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "recommend/cross_domain.h"
#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/models.h"
#include "recommend/trending.h"

namespace holo::recommend {
namespace {

constexpr int64_t kDay = 86400;

struct World {
  bool crowd_follows = true;  // people who never posted buy what trends, at the end
  bool surge_everywhere = false;  // every topic's posting rises at the end alike
};

// 2,400 people over 61 days with a taste (one of two item clusters); a third post #Weekend#
// now and then; a quarter post #Marathon# and have running shoes. In the last four days a
// further quarter post #Marathon# (the trend), and — with crowd_follows — people who never
// posted about it buy shoes as their latest item.
Dataset Make(const World& w, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto at = [&](int64_t from_day, int64_t to_day) {
    return from_day * kDay + static_cast<int64_t>(rng() % static_cast<uint64_t>((to_day - from_day) * kDay));
  };
  InteractionLog log;
  for (int u = 0; u < 2400; ++u) {
    const std::string user = "u" + std::to_string(u);
    const int cluster = (u / 4) % 2;  // runners and posters in both clusters
    for (int k = 0; k < 6; ++k) {
      log.push_back({user, "taobao:product:c" + std::to_string(cluster) + "-" + std::to_string(rng() % 10), 1, at(0, 56)});
    }
    if (u % 3 == 0) {
      for (int k = 0; k < 2; ++k) log.push_back({user, "weibo:topic:#Weekend#", 1, at(0, 61)});
      if (w.surge_everywhere && rng() % 2 == 0) log.push_back({user, "weibo:topic:#Weekend#", 1, at(57, 61)});
    }
    const bool runner = u % 4 == 1;
    const bool joins = u % 4 == 3 && rng() % 2 == 0;
    if (runner) {
      log.push_back({user, "weibo:topic:#Marathon#", 1, at(0, 57)});
      if (w.surge_everywhere && rng() % 2 == 0) log.push_back({user, "weibo:topic:#Marathon#", 1, at(57, 61)});
      for (int k = 0; k < 4; ++k) {
        if (rng() % 10 < 7) log.push_back({user, "taobao:product:shoes-" + std::to_string(k), 1, at(0, 56)});
      }
    }
    if (joins && !w.surge_everywhere) log.push_back({user, "weibo:topic:#Marathon#", 1, at(57, 60)});
    if (w.crowd_follows && !runner && !joins && u % 4 != 3) {
      log.push_back({user, "taobao:product:shoes-" + std::to_string(rng() % 4), 1, at(60, 61)});
    } else {
      log.push_back({user, "taobao:product:c" + std::to_string(cluster) + "-" + std::to_string(rng() % 10), 1, at(60, 61)});
    }
  }
  return Dataset::From(log);
}

TEST(TrendingTest, ASurgingTopicTrendsAndLendsItsItemsAndASteadyOneDoesNot) {
  const Dataset data = Make(World{}, 3);
  Trending trend;
  trend.Fit(data);
  ASSERT_EQ(trend.topics(), 2u);
  const uint32_t marathon = data.item_index.at("weibo:topic:#Marathon#");
  const uint32_t shoes = data.item_index.at("taobao:product:shoes-0");
  const uint32_t taste = data.item_index.at("taobao:product:c0-1");
  const auto now = trend.TrendsAt(61 * kDay);
  ASSERT_EQ(now.size(), 1u) << "only #Marathon# surges";
  EXPECT_EQ(now[0].first, marathon);
  EXPECT_GT(now[0].second, 0);
  EXPECT_TRUE(trend.TrendsAt(40 * kDay).empty()) << "nothing surges on day 40";
  EXPECT_TRUE(trend.TrendsAt(200 * kDay).empty()) << "a clock far past the data: nothing posted now";
  std::vector<float> boost(data.num_items());
  trend.Score(61 * kDay, boost);
  EXPECT_GT(boost[shoes], 0);
  EXPECT_EQ(boost[taste], 0) << "taste items do not go with #Marathon#";
  EXPECT_EQ(boost[marathon], 0) << "a topic is not recommended for trending";
  EXPECT_EQ(trend.Because(61 * kDay, shoes), static_cast<int>(marathon));
  EXPECT_EQ(trend.Because(61 * kDay, taste), -1);
  trend.Score(40 * kDay, boost);
  EXPECT_EQ(*std::max_element(boost.begin(), boost.end()), 0);
  // Saved and loaded, the same; damage is reported.
  std::string bytes;
  trend.Save(&bytes);
  Trending loaded;
  ASSERT_TRUE(loaded.Load(bytes).ok());
  std::vector<float> again(data.num_items());
  loaded.Score(61 * kDay, again);
  trend.Score(61 * kDay, boost);
  EXPECT_EQ(again, boost);
  EXPECT_EQ(loaded.pairs(), trend.pairs());
  EXPECT_EQ(loaded.Load(bytes.substr(0, bytes.size() - 3)).code(), StatusCode::kDataLoss);
}

TEST(TrendingTest, MorePostingEverywhereRaisesNothing) {
  World w;
  w.surge_everywhere = true;
  const Dataset data = Make(w, 4);
  Trending trend;
  trend.Fit(data);
  EXPECT_TRUE(trend.TrendsAt(61 * kDay).empty()) << "every topic rose alike: the share of none did";
}

double ChosenWeight(const World& w, TrendChoice* choice) {
  const Dataset all = Make(w, 9);
  const Split split = LeaveLastOut(all);
  Options o;
  o.algo = "ease";
  auto model = MakeRecommender(o);
  EXPECT_TRUE(model.ok());
  EXPECT_TRUE((*model)->Fit(split.train).ok());
  CrossDomain cross;
  cross.Fit(split.train);
  Trending trend;
  trend.Fit(split.train);
  return ChooseTrendWeight(**model, cross, 0, trend, split, all, choice);
}

TEST(TrendingTest, TheHoldOutWeighsTheBoostOnlyWhereTheCrowdFollowsTrends) {
  TrendChoice follows;
  const double weight = ChosenWeight(World{}, &follows);
  EXPECT_GT(weight, 0);
  EXPECT_GT(follows.overall.ndcg, follows.overall_without.ndcg);
  EXPECT_GT(follows.trending.hr, follows.trending_without.hr + 0.2) << "the shoes bought at the trend";
  EXPECT_GT(follows.moments_with_trends, 0u);
  World own;
  own.crowd_follows = false;
  TrendChoice keeps;
  EXPECT_EQ(ChosenWeight(own, &keeps), 0) << "people keep to their taste: a boost only costs";
  EXPECT_EQ(keeps.overall.ndcg, keeps.overall_without.ndcg);
}

}  // namespace
}  // namespace holo::recommend
