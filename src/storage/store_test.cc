#include "storage/store.h"

#include <sys/mount.h>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/disk_budget_fs.h"

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

// Writes synced batches of one key each until the store refuses one; returns the
// keys acknowledged (written and synced) before that.
int WriteUntilRefused(Store* store, Status* refused, int limit = 100000) {
  const std::string value(4096, 'x');
  for (int i = 0; i < limit; ++i) {
    rocksdb::WriteBatch batch;
    batch.Put(store->cf(Cf::kEvents), "k" + std::to_string(i), value);
    Status s = store->Write(&batch, /*sync=*/true);
    if (!s.ok()) {
      *refused = s;
      return i;
    }
  }
  return limit;
}

TEST(StoreFaultTest, FullDiskRefusesWritesWithOneLineAndKeepsReadsAndAcknowledgedData) {
  std::string dir = TempDir("full");
  StoreOptions o;
  o.disk_budget_bytes = 1 << 20;  // a 1 MiB "disk"
  int acknowledged = 0;
  {
    auto store = Store::Open(dir, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_NE((*store)->disk_budget(), nullptr);
    Status refused;
    acknowledged = WriteUntilRefused(store->get(), &refused);
    ASSERT_GT(acknowledged, 10);
    ASSERT_LT(acknowledged, 100000) << "the budget never ran out";
    EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
    EXPECT_EQ(refused.message(),
              "store " + dir + ": disk full (No space left on device); writes refused, reads go on");
    EXPECT_EQ(refused.message().find('\n'), std::string::npos);
    // Later writes are refused the same way; reads go on.
    Status again;
    EXPECT_EQ(WriteUntilRefused(store->get(), &again, 1), 0);
    EXPECT_EQ(again.code(), StatusCode::kResourceExhausted);
    Status sync = (*store)->SyncWal();  // no crash; OK (nothing new to sync) or refused
    EXPECT_TRUE(sync.ok() || sync.code() == StatusCode::kResourceExhausted) << sync.ToString();
    auto v = (*store)->Get(Cf::kEvents, "k0");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->has_value());
    // Space is freed: writes resume (DB::Resume), without reopening.
    (*store)->disk_budget()->SetRemaining(64 << 20);
    Status resumed;
    // Write retries Resume at most every 2 s; while RocksDB's own recovery runs (it
    // polls the free space every 5 s) Resume answers Busy.
    for (int i = 0; i < 200; ++i) {
      rocksdb::WriteBatch batch;
      batch.Put((*store)->cf(Cf::kMeta), "after", "1");
      resumed = (*store)->Write(&batch, /*sync=*/true);
      if (resumed.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(resumed.ok()) << resumed.ToString();
    Status synced = (*store)->SyncWal();
    EXPECT_TRUE(synced.ok()) << synced.ToString();
  }
  // Every acknowledged write is there after reopening (with room on the disk).
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < acknowledged; ++i) {
    auto v = (*store)->Get(Cf::kEvents, "k" + std::to_string(i));
    ASSERT_TRUE(v.ok() && v->has_value()) << "acknowledged key k" << i << " of " << acknowledged << " lost";
  }
  auto after = (*store)->Get(Cf::kMeta, "after");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
  std::filesystem::remove_all(dir);
}

TEST(StoreFaultTest, ReopenOnAFullDiskFailsClearlyAndReadOnlyStillReads) {
  std::string dir = TempDir("full_reopen");
  int acknowledged = 0;
  {
    StoreOptions o;
    o.disk_budget_bytes = 1 << 20;
    auto store = Store::Open(dir, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Status refused;
    acknowledged = WriteUntilRefused(store->get(), &refused);
    ASSERT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
  }
  StoreOptions full;
  full.disk_budget_bytes = 1;  // still full
  auto rw = Store::Open(dir, full);
  if (!rw.ok()) {  // a read-write open may need to write (WAL recovery flushes)
    EXPECT_EQ(rw.status().code(), StatusCode::kResourceExhausted) << rw.status().ToString();
  }
  rw = Status::Internal("closed");
  StoreOptions ro;
  ro.read_only = true;
  auto store = Store::Open(dir, ro);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < acknowledged; ++i) {
    auto v = (*store)->Get(Cf::kEvents, "k" + std::to_string(i));
    ASSERT_TRUE(v.ok() && v->has_value()) << "acknowledged key k" << i << " lost";
  }
  std::filesystem::remove_all(dir);
}

TEST(StoreTest, ReadOnlyOpensBesideAWriterAndRefusesWrites) {
  std::string dir = TempDir("read_only");
  auto writer = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Put(Cf::kMeta, "k", "v", /*sync=*/true).ok());
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::Open(dir, ro);  // the writer holds the LOCK
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->read_only());
  auto v = (*reader)->Get(Cf::kMeta, "k");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "v");
  Status w = (*reader)->Put(Cf::kMeta, "k2", "v", /*sync=*/true);
  EXPECT_EQ(w.code(), StatusCode::kFailedPrecondition) << w.ToString();
  EXPECT_NE(w.message().find("read-only"), std::string::npos) << w.ToString();
  EXPECT_EQ((*reader)->Compact(Cf::kMeta).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*reader)->SyncWal().code(), StatusCode::kFailedPrecondition);
  // The writer goes on writing beside it.
  EXPECT_TRUE((*writer)->Put(Cf::kMeta, "k3", "v", /*sync=*/true).ok());
  reader = Status::Internal("closed");
  writer = Status::Internal("closed");
  std::filesystem::remove_all(dir);
}

// A real full file system: a small tmpfs (needs root and mount permission; skipped
// otherwise). Complements the injected fault above with the kernel's own ENOSPC.
TEST(StoreFaultTest, RealFullTmpfsRefusesWritesWithoutAborting) {
  std::string dir = TempDir("tmpfs");
  std::filesystem::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "): the injected fault tests cover this";
  }
  int acknowledged = 0;
  {
    auto store = Store::Open(dir + "/db", StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Status refused;
    acknowledged = WriteUntilRefused(store->get(), &refused);
    EXPECT_LT(acknowledged, 100000);
    EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
    auto v = (*store)->Get(Cf::kEvents, "k0");
    EXPECT_TRUE(v.ok() && v->has_value());
  }
  // Room again: everything acknowledged is there.
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0) << std::strerror(errno);
  {
    auto store = Store::Open(dir + "/db", StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < acknowledged; ++i) {
      auto v = (*store)->Get(Cf::kEvents, "k" + std::to_string(i));
      ASSERT_TRUE(v.ok() && v->has_value()) << "acknowledged key k" << i << " lost";
    }
  }
  ::umount(dir.c_str());
  std::filesystem::remove_all(dir);
}

// A read-only directory (a tmpfs remounted read-only; skipped where mounting is not
// permitted): a read-write open fails with one line that names --read-only, and a
// read-only open reads everything.
TEST(StoreFaultTest, ReadOnlyFileSystemRefusesWritesAndReadOnlyOpenReads) {
  std::string dir = TempDir("erofs");
  std::filesystem::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
  }
  {
    auto store = Store::Open(dir + "/db", StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put(Cf::kMeta, "k", "v", /*sync=*/true).ok());
  }
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=16m"), 0) << std::strerror(errno);
  {
    auto rw = Store::Open(dir + "/db", StoreOptions());
    ASSERT_FALSE(rw.ok());
    EXPECT_EQ(rw.status().code(), StatusCode::kUnavailable) << rw.status().ToString();
    EXPECT_NE(rw.status().message().find("--read-only"), std::string::npos) << rw.status().ToString();
    EXPECT_EQ(rw.status().message().find("another holo process"), std::string::npos) << rw.status().ToString();
    StoreOptions ro;
    ro.read_only = true;
    auto store = Store::Open(dir + "/db", ro);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto v = (*store)->Get(Cf::kMeta, "k");
    ASSERT_TRUE(v.ok() && v->has_value()) << v.status().ToString();
    EXPECT_EQ(**v, "v");
  }
  ::umount(dir.c_str());
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
