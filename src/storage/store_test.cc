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

#include "storage/event_record.h"

namespace holo::storage {
namespace {

TEST(EventRecordTest, RoundTripsAndRejectsTruncation) {
  EventRecord r;
  r.msg_type = 2;
  r.timestamp_ms = -5;  // before the epoch must survive too
  r.source = "taobao";
  r.event = "Order Completed";
  r.message_id = "m-1";
  EventId id;
  id.pseudonym[0] = 0xab;
  id.role = 1;
  id.flags = 1;
  id.type = "user_id@taobao";
  r.ids = {id, id};
  r.properties_json = R"({"revenue":12.5})";
  std::string enc;
  r.EncodeTo(&enc);
  EventRecord back;
  ASSERT_TRUE(back.DecodeFrom(enc));
  EXPECT_EQ(back.timestamp_ms, -5);
  EXPECT_EQ(back.event, "Order Completed");
  ASSERT_EQ(back.ids.size(), 2u);
  EXPECT_EQ(back.ids[1].type, "user_id@taobao");
  EXPECT_TRUE(back.ids[1].placeholder());
  EXPECT_EQ(back.ids[0].pseudonym[0], 0xab);
  EXPECT_EQ(back.properties_json, r.properties_json);
  EXPECT_FALSE(back.DecodeFrom(std::string_view(enc).substr(0, enc.size() - 1)));
}

}  // namespace
}  // namespace holo::storage
