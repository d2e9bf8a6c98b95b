#include "storage/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace holo::storage {
namespace {

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("holo_store_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(StoreTest, PutGetSurvivesReopen) {
  std::string dir = TempDir("reopen");
  {
    auto store = Store::Open(dir, StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put(Cf::kMeta, "k", "v", /*sync=*/true).ok());
  }
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok());
  auto v = (*store)->Get(Cf::kMeta, "k");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "v");
  auto missing = (*store)->Get(Cf::kProfiles, "k");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  std::filesystem::remove_all(dir);
}

TEST(StoreTest, SecondOpenIsRefusedWithClearError) {
  std::string dir = TempDir("lock");
  auto first = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(dir, StoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("another holo process"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(StoreTest, StatsMergeKeepsEarliestTailAndSumsCounts) {
  std::string dir = TempDir("merge");
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok());
  rocksdb::WriteBatch batch;
  StatsRecord a{1, 200, 250, 2, "amap"};
  StatsRecord b{2, 100, 150, 3, "taobao"};
  StatsRecord c{1, 300, 400, 1, "web"};
  for (const auto& r : {a, b, c}) batch.Merge((*store)->cf(Cf::kEdges), "edge-key", r.Encode());
  ASSERT_TRUE((*store)->Write(&batch, true).ok());
  auto v = (*store)->Get(Cf::kEdges, "edge-key");
  ASSERT_TRUE(v.ok() && v->has_value());
  StatsRecord merged;
  ASSERT_TRUE(StatsRecord::Decode(**v, &merged));
  EXPECT_EQ(merged.kind, 2);
  EXPECT_EQ(merged.first_ts, 100);
  EXPECT_EQ(merged.last_ts, 400);
  EXPECT_EQ(merged.count, 6u);
  EXPECT_EQ(merged.tail, "taobao");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace holo::storage
