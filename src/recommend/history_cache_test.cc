// The histories kept between recommendation requests: found until the person changes, the
// model changes or they grow old; the least recently used go first beyond the size; a history
// read while a change was told is not kept.
#include "recommend/history_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace holo::recommend {
namespace {

std::shared_ptr<const HistoryCache::History> Of(size_t touches, uint32_t item = 1) {
  auto h = std::make_shared<HistoryCache::History>();
  for (size_t i = 0; i < touches; ++i) h->push_back({static_cast<int64_t>(i), item, 1, 0});
  return h;
}

TEST(HistoryCacheTest, FoundUntilThePersonTheModelOrTheClockMoves) {
  HistoryCache cache(1 << 20, /*ttl_ms=*/1000);
  EXPECT_EQ(cache.Get(7, 1, 0), nullptr);
  cache.Put(7, 1, Of(3, 42), 0, cache.Epoch());
  cache.Put(8, 1, Of(3), 0, cache.Epoch());
  auto h = cache.Get(7, 1, 500);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->at(0).item, 42u);
  EXPECT_TRUE(cache.Contains(7, 1, 500));
  EXPECT_EQ(cache.Get(7, 2, 500), nullptr) << "another model's items";
  EXPECT_EQ(cache.Get(7, 1, 500), nullptr) << "dropped with the old model";
  EXPECT_NE(cache.Get(8, 1, 999), nullptr);
  EXPECT_EQ(cache.Get(8, 1, 1001), nullptr) << "older than its ttl";
  cache.Put(9, 1, Of(3), 0, cache.Epoch());
  cache.Put(10, 1, Of(3), 0, cache.Epoch());
  cache.Forget({9}, false);
  EXPECT_EQ(cache.Get(9, 1, 1), nullptr) << "their profile changed";
  EXPECT_NE(cache.Get(10, 1, 1), nullptr);
  cache.Forget({}, /*all=*/true);
  EXPECT_EQ(cache.Get(10, 1, 1), nullptr);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(HistoryCacheTest, AHistoryReadDuringAChangeIsNotKept) {
  HistoryCache cache(1 << 20, 1000);
  const uint64_t before = cache.Epoch();
  cache.Forget({5}, false);  // the person's events changed while their history was read
  cache.Put(5, 1, Of(2), 0, before);
  EXPECT_EQ(cache.Get(5, 1, 0), nullptr);
  cache.Put(5, 1, Of(2), 0, cache.Epoch());
  EXPECT_NE(cache.Get(5, 1, 0), nullptr);
}

TEST(HistoryCacheTest, LeastRecentlyUsedLeaveFirstBeyondTheSize) {
  const size_t one = 128 + 10 * sizeof(HistoryCache::Touch);  // an entry of 10 touches
  HistoryCache cache(3 * one, 1000000);
  for (uint64_t p = 1; p <= 3; ++p) cache.Put(p, 1, Of(10), 0, cache.Epoch());
  ASSERT_NE(cache.Get(1, 1, 0), nullptr);  // 1 used lately; 2 is the least
  cache.Put(4, 1, Of(10), 0, cache.Epoch());
  EXPECT_EQ(cache.Get(2, 1, 0), nullptr);
  EXPECT_NE(cache.Get(1, 1, 0), nullptr);
  EXPECT_NE(cache.Get(3, 1, 0), nullptr);
  EXPECT_NE(cache.Get(4, 1, 0), nullptr);
  EXPECT_LE(cache.stats().bytes, 3 * one);
  cache.Put(5, 1, Of(10000), 0, cache.Epoch());  // larger than the whole cache: not kept
  EXPECT_EQ(cache.Get(5, 1, 0), nullptr);
  EXPECT_EQ(cache.stats().entries, 3u);
}

TEST(HistoryCacheTest, VerbsAreNumberedOnceWhateverTheThreads) {
  HistoryCache cache(1 << 20, 1000);
  std::vector<std::thread> threads;
  std::vector<uint16_t> ids(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) cache.VerbId(i % 2 ? "bought" : "viewed");
      ids[static_cast<size_t>(t)] = cache.VerbId("bought");
    });
  }
  for (auto& t : threads) t.join();
  for (uint16_t id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(cache.Verb(ids[0]), "bought");
  EXPECT_NE(cache.VerbId("viewed"), ids[0]);
  EXPECT_EQ(cache.Verb(60000), "had") << "an unknown number";
}

}  // namespace
}  // namespace holo::recommend
