// Recommenders on data whose answer is known: interaction files read with bad lines reported,
// the leave-last-out split, each model's ranking on a world of ordered item chains and of
// taste clusters, and a model saved and loaded scoring the same; als learning the clusters, folding
// in a stranger, and the same model from a seed whatever the threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <string>

#include "recommend/cross_domain.h"
#include "recommend/evaluate.h"
#include "recommend/events.h"
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

// Events touch items namespaced by their source, with the words of an explanation; what touches
// no item (a payment to a person, a page view, broken JSON) touches none.
TEST(InteractionsTest, EventsTouchItemsOfTheirDomain) {
  std::vector<ItemTouch> t;
  ItemsOfEvent("taobao", "Product Viewed", R"({"product_id":"P1","brand":"Pampers","category":"baby"})", &t);
  ItemsOfEvent("web", "Product Added", R"({"sku":"SKU-9","name":"Red shoe, size 40"})", &t);
  ItemsOfEvent("tmall", "Order Completed", R"({"products":[{"product_id":7,"category":"food"},{"name":"Kettle"},{}]})", &t);
  ItemsOfEvent("fliggy", "Flight Booked", R"({"destination":"Amsterdam","country":"NL"})", &t);
  ItemsOfEvent("youku", "Video Content Playing", R"({"title":"Ne Zha","genre":"anime"})", &t);
  ItemsOfEvent("alipay", "Payment Made", R"({"counterparty_type":"merchant","category":"dining"})", &t);
  ItemsOfEvent("weibo", "Post Created", R"({"topics":["#A#","#B#"]})", &t);
  ItemsOfEvent("alipay", "Payment Made", R"({"counterparty_type":"person","category":"gift"})", &t);
  ItemsOfEvent("web", "Page Viewed", R"({"path":"/"})", &t);
  ItemsOfEvent("taobao", "Product Viewed", R"({"product_id":)", &t);
  std::vector<std::string> items;
  for (const auto& x : t) items.push_back(x.item);
  EXPECT_EQ(items, (std::vector<std::string>{"taobao:product:P1", "web:product:SKU-9", "tmall:product:7", "tmall:product:Kettle",
                                             "fliggy:flight:Amsterdam", "youku:show:Ne Zha", "alipay:merchant:dining",
                                             "weibo:topic:#A#", "weibo:topic:#B#"}));
  EXPECT_EQ(t[0].kind, Kind::kView);
  EXPECT_EQ(t[1].kind, Kind::kCart);
  EXPECT_EQ(t[2].kind, Kind::kBuy);
  EXPECT_EQ(t[0].category, "baby");
  EXPECT_EQ(t[4].category, "NL");
  EXPECT_EQ(ExplainBecause(t[4].verb, t[4].label), "because you booked a flight to Amsterdam");
  EXPECT_EQ(ExplainBecause(t[0].verb, t[0].label), "because you viewed Pampers (baby)");
  EXPECT_EQ(DomainOf(t[5].item), "youku");
  // An item is one field of an interaction file.
  t.clear();
  ItemsOfEvent("youku", "Video Content Playing", "{\"title\":\"One, Two\\tThree\"}", &t);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].item, "youku:show:One  Two Three");
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

// Serving's rows cut to their largest entries: on 40 items every row is whole (cut to 256), so the cut models rank exactly as the whole ones; models without rows say so.
TEST(RecommendersTest, CutRowsRankAsWholeRowsWhereNothingIsCut) {
  const Split split = LeaveLastOut(Chains(300, 3));
  for (auto algo : Algorithms()) {
    Options o;
    o.algo = std::string(algo);
    auto m = MakeRecommender(o);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE((*m)->Fit(split.train).ok());
    bool has = false;
    EvaluateSparse(**m, split, &has);
    EXPECT_FALSE(has) << algo << ": nothing cut yet";
    const bool cuts = (*m)->CutRows(256);
    const RankMetrics cut = EvaluateSparse(**m, split, &has);
    EXPECT_EQ(cuts, has) << algo;
    if (algo == "popularity" || algo == "als") {
      EXPECT_FALSE(has) << algo;
      continue;
    }
    ASSERT_TRUE(has) << algo;
    const RankMetrics whole = Evaluate(**m, split);
    EXPECT_NEAR(cut.ndcg, whole.ndcg, 1e-6) << algo;
    EXPECT_EQ(cut.users, whole.users);
  }
}

// An explanation names an event of the history that raises the item: for a history from both
// taste clusters, each recommended item's "because" is an item of its own cluster (the other
// cluster's items share no user with it). Popularity explains nothing.
TEST(RecommendersTest, BecauseNamesAHistoryItemOfTheSameTaste) {
  const Dataset data = Chains(600, 11);
  std::vector<Dataset::Event> history;
  int64_t t = 5000;
  for (const char* item : {"c0-3", "c0-4", "c0-5", "c1-10", "c1-11", "c1-12"}) {
    history.push_back({data.item_index.at(item), 1, t++, Kind::kAny});
  }
  for (auto algo : Algorithms()) {
    Options o;
    o.algo = std::string(algo);
    auto m = MakeRecommender(o);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE((*m)->Fit(data).ok()) << algo;
    const auto top = TopK(**m, history, data.num_items(), 6);
    std::vector<uint32_t> items;
    for (const auto& [item, score] : top) items.push_back(item);
    const std::vector<int> because = (*m)->Because(history, items);
    ASSERT_EQ(because.size(), items.size());
    for (size_t r = 0; r < items.size(); ++r) {
      if (algo == "popularity") {
        EXPECT_EQ(because[r], -1);
        continue;
      }
      ASSERT_GE(because[r], 0) << algo << " explains nothing for " << data.items[items[r]];
      ASSERT_LT(because[r], static_cast<int>(history.size()));
      EXPECT_EQ(data.items[history[static_cast<size_t>(because[r])].item].substr(0, 2), data.items[items[r]].substr(0, 2))
          << algo << ": " << data.items[items[r]] << " because of " << data.items[history[static_cast<size_t>(because[r])].item];
      EXPECT_EQ((*m)->Because(history, items[r]), because[r]) << algo << ": one item at a time says the same";
    }
  }
}

// The cross-domain step keeps what truly follows across domains (a flight, then within a day
// the roaming pack) and drops what co-occurs by chance (random shows and random products of
// the same people), and lends the follower to a history that just had the flight.
TEST(CrossDomainTest, KeepsTrueFollowersAndDropsChance) {
  std::mt19937_64 rng(5);
  InteractionLog log;
  for (int u = 0; u < 600; ++u) {
    const std::string user = "u" + std::to_string(u);
    for (int k = 0; k < 6; ++k) {
      log.push_back({user, "taobao:product:p" + std::to_string(rng() % 30), 1, static_cast<int64_t>(rng() % (30 * 86400))});
      log.push_back({user, "youku:show:s" + std::to_string(rng() % 10), 1, static_cast<int64_t>(rng() % (30 * 86400))});
    }
    if (u % 3 == 0) {
      const int64_t at = static_cast<int64_t>(rng() % (25 * 86400));
      log.push_back({user, "fliggy:flight:Tokyo", 1, at});
      if (rng() % 10 < 7) log.push_back({user, "taobao:product:roaming-JP", 1, at + 3600 + static_cast<int64_t>(rng() % 86400)});
    }
  }
  const Dataset data = Dataset::From(log);
  CrossDomain cross;
  cross.Fit(data);
  const uint32_t flight = data.item_index.at("fliggy:flight:Tokyo"), roaming = data.item_index.at("taobao:product:roaming-JP");
  ASSERT_FALSE(cross.FollowersOf(flight).empty());
  EXPECT_EQ(cross.FollowersOf(flight).front().first, roaming);
  for (uint32_t i = 0; i < data.num_items(); ++i) {
    if (i == flight) continue;
    for (const auto& [b, v] : cross.FollowersOf(i)) {
      ADD_FAILURE() << data.items[i] << " -> " << data.items[b] << " kept (" << v << "): chance co-occurrence";
    }
  }
  // A history that just booked the flight: the pack scores; one that booked it a month ago: nothing.
  std::vector<float> scores(data.num_items());
  std::vector<Dataset::Event> history = {{data.item_index.at("youku:show:s1"), 1, 100, Kind::kAny}, {flight, 1, 200, Kind::kAny}};
  cross.Score(history, scores);
  EXPECT_GT(scores[roaming], 0);
  EXPECT_EQ(cross.Because(history, roaming), 1);
  history.push_back({data.item_index.at("youku:show:s2"), 1, 200 + 30 * 86400, Kind::kAny});
  cross.Score(history, scores);
  EXPECT_EQ(scores[roaming], 0) << "a month after the flight";
  // Saved and loaded, the same.
  std::string bytes;
  cross.Save(&bytes);
  CrossDomain loaded;
  ASSERT_TRUE(loaded.Load(bytes).ok());
  EXPECT_EQ(loaded.pairs(), cross.pairs());
  EXPECT_EQ(loaded.Load(bytes.substr(0, bytes.size() - 2)).code(), StatusCode::kDataLoss);
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

// ---- als (als.h) ----

RankMetrics FitAndEvaluate(const Options& o, const Split& split) {
  auto m = MakeRecommender(o);
  EXPECT_TRUE(m.ok());
  EXPECT_TRUE((*m)->Fit(split.train).ok()) << o.algo;
  return Evaluate(**m, split);
}

Options Als(uint32_t iterations = 10) {
  Options o;
  o.algo = "als";
  o.iterations = iterations;
  return o;
}

TEST(AlsTest, RanksTheUsersClusterFarAbovePopularityOnlyWhenItLearns) {
  const Split split = LeaveLastOut(Chains(600, 7));
  Options pop;
  pop.algo = "popularity";
  const RankMetrics popularity = FitAndEvaluate(pop, split);
  const RankMetrics als = FitAndEvaluate(Als(), split);
  const RankMetrics untrained = FitAndEvaluate(Als(0), split);
  // The held item is one of the 12 unseen items of the user's cluster: a model that knows the
  // clusters puts about 10 of them in the top 10; popularity and random vectors do not.
  EXPECT_GT(als.hr, 0.7);
  EXPECT_GT(als.hr, popularity.hr + 0.3);
  EXPECT_LT(untrained.hr, 0.5) << "random item vectors should not find the clusters";
  EXPECT_GT(als.hr, untrained.hr + 0.3) << "10 iterations must learn what 0 did not";
}

TEST(AlsTest, FoldsInAUserNeverSeenInTraining) {
  const Dataset data = Chains(400, 5);
  auto m = MakeRecommender(Als());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Fit(data).ok());
  for (int cluster = 0; cluster < 2; ++cluster) {
    std::vector<Dataset::Event> history;  // a stranger with 4 items of one cluster
    for (int k : {3, 9, 14, 17}) {
      history.push_back({data.item_index.at("c" + std::to_string(cluster) + "-" + std::to_string(k)), 1, k});
    }
    const std::string mine = "c" + std::to_string(cluster) + "-";
    const auto top = TopK(**m, history, data.num_items(), 10);
    ASSERT_EQ(top.size(), 10u);
    for (const auto& [item, score] : top) {
      EXPECT_TRUE(data.items[item].starts_with(mine)) << data.items[item] << " recommended to a fan of " << mine;
    }
    // On average the cluster's items score well above the other cluster's (a ring of items
    // walked 8 at a time: the far side of it need not score high, the other cluster never does).
    std::vector<float> scores(data.num_items());
    (*m)->Score(history, scores);
    double sum_mine = 0, sum_other = 0;
    for (uint32_t i = 0; i < data.num_items(); ++i) (data.items[i].starts_with(mine) ? sum_mine : sum_other) += scores[i];
    EXPECT_GT(sum_mine / 20, sum_other / 20 + 0.2) << mine;
  }
  std::vector<float> scores(data.num_items(), -1);
  (*m)->Score({}, scores);
  for (float s : scores) EXPECT_EQ(s, 0.0f) << "no history, no preference";
}

TEST(AlsTest, SavedAndLoadedScoresTheSameAndDamageIsReported) {
  const Dataset data = Chains(200, 3);
  Options o = Als(6);
  o.alpha = 3;
  o.als_lambda = 2;
  o.factors = 8;
  auto m = MakeRecommender(o);
  ASSERT_TRUE((*m)->Fit(data).ok());
  std::string state;
  (*m)->Save(&state);
  auto loaded = MakeRecommender(Als());  // the settings come from the state, not the options
  ASSERT_TRUE((*loaded)->Load(state).ok());
  EXPECT_EQ((*loaded)->Describe(), "factors 8, lambda 2, alpha 3, iterations 6");
  EXPECT_EQ((*loaded)->Describe(), (*m)->Describe());
  std::vector<float> a(data.num_items()), b(data.num_items());
  for (uint32_t u = 0; u < 50; ++u) {
    (*m)->Score(data.by_user[u], a);
    (*loaded)->Score(data.by_user[u], b);
    ASSERT_EQ(a, b) << "user " << u;
  }
  EXPECT_EQ((*loaded)->Load(std::string_view(state).substr(0, state.size() - 1)).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*loaded)->Load(state.substr(0, 5)).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*loaded)->Load("").code(), StatusCode::kDataLoss);
  EXPECT_EQ((*loaded)->Load(state + "x").code(), StatusCode::kDataLoss);
}

TEST(AlsTest, SameSeedSameModelWhateverTheThreads) {
  const Dataset data = Chains(300, 11);
  auto scores = [&](uint64_t seed, int threads) {
    omp_set_num_threads(threads);
    Options o = Als();
    o.seed = seed;
    auto m = MakeRecommender(o);
    EXPECT_TRUE((*m)->Fit(data).ok());
    std::vector<float> s(data.num_items());
    (*m)->Score(data.by_user[0], s);
    return s;
  };
  const int threads = omp_get_max_threads();
  const auto one = scores(1, 1);
  EXPECT_EQ(one, scores(1, 2));
  EXPECT_EQ(one, scores(1, 3));
  EXPECT_NE(one, scores(2, 2)) << "the seed starts the vectors";
  omp_set_num_threads(threads);
}

}  // namespace
}  // namespace holo::recommend
