#include "storage/store.h"

#include <rocksdb/compaction_filter.h>  // complete types for rocksdb_store.h
#include <rocksdb/db.h>
#include <sys/mount.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/disk_budget_fs.h"
#include "storage/rocksdb_store.h"
#include "storage/event_record.h"
#include "testing/store_backends.h"

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

// The level-0 files of a column family after `dir`'s store is opened read-only.
uint64_t Level0Files(const std::string& dir, Cf c) {
  StoreOptions options;
  options.read_only = true;
  auto store = Store::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return UINT64_MAX;
  const auto& rocks = static_cast<const RocksStore&>(**store);
  std::string files;
  EXPECT_TRUE(rocks.db()->GetProperty(rocks.cf(c), "rocksdb.num-files-at-level0", &files));
  return std::strtoull(files.c_str(), nullptr, 10);
}

// A run of short processes (each open flushes the WAL into a new level-0 file; each close
// would drop the compaction running) does not pile up level-0 files until RocksDB stalls
// writes: a close with 8 or more waits for the compaction it scheduled.
TEST(StoreTest, ShortProcessesInARowDoNotPileUpLevel0Files) {
  std::string dir = TempDir("level0");
  for (int i = 0; i < 24; ++i) {
    auto store = Store::Open(dir, StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    WriteBatch batch(**store);
    // Enough for a compaction of a few of them to outlast the process (a few MB each).
    for (int k = 0; k < 20000; ++k) {
      batch.Put(Cf::kSegments, "c" + std::to_string(k) + "/" + std::to_string(i), std::to_string(k * 7919 + i) + std::string(150, 'v'));
    }
    ASSERT_TRUE((*store)->Write(&batch, /*sync=*/true).ok());
  }
  // 24 flushes, one per open; without the wait at close they stay at level 0.
  EXPECT_LE(Level0Files(dir, Cf::kSegments), 9u);
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok());
  auto v = (*store)->Get(Cf::kSegments, "c7/23");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->has_value()) << "the last process's write";
  store->reset();
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

// Writes synced batches of one key each until the store refuses one; returns the
// keys acknowledged (written and synced) before that.
int WriteUntilRefused(Store* store, Status* refused, int limit = 100000) {
  const std::string value(4096, 'x');
  for (int i = 0; i < limit; ++i) {
    WriteBatch batch(*store);
    batch.Put(Cf::kEvents, "k" + std::to_string(i), value);
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
      WriteBatch batch(**store);
      batch.Put(Cf::kMeta, "after", "1");
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

// Resumes a store after `(*store)->disk_budget()` was raised: Write retries Resume at
// most every 2 s. Returns the last status of writing `key`.
Status WriteOnceResumed(Store* store, const std::string& key) {
  Status s;
  for (int i = 0; i < 100; ++i) {
    WriteBatch batch(*store);
    batch.Put(Cf::kMeta, key, "1");
    s = store->Write(&batch, /*sync=*/false);
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return s;
}

// RocksDB 7.8 aborts (an assertion) on the next append to, or sync of, a WAL file that saw
// a failed append unless Resume switched to a new WAL, which it does only when some
// memtable holds an entry. A store just opened has none: its first write failing, then
// space freed, used to abort the process at the next write.
TEST(StoreFaultTest, AWalFailureOnAFreshStoreResumesWithoutAborting) {
  std::string dir = TempDir("fresh_wal");
  StoreOptions o;
  o.disk_budget_bytes = 64 << 20;
  {
    auto store = Store::Open(dir, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    (*store)->disk_budget()->SetRemaining(0);
    WriteBatch batch(**store);
    batch.Put(Cf::kMeta, "refused", "1");
    EXPECT_EQ((*store)->Write(&batch, /*sync=*/false).code(), StatusCode::kResourceExhausted);
    Status sync = (*store)->SyncWal();
    EXPECT_EQ(sync.code(), StatusCode::kResourceExhausted) << sync.ToString();
    (*store)->disk_budget()->SetRemaining(64 << 20);
    Status resumed = WriteOnceResumed(store->get(), "after");
    ASSERT_TRUE(resumed.ok()) << resumed.ToString();
    EXPECT_TRUE((*store)->SyncWal().ok());
    EXPECT_TRUE((*store)->Compact(Cf::kMeta).ok());
  }
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto after = (*store)->Get(Cf::kMeta, "after");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->has_value());
  auto refused = (*store)->Get(Cf::kMeta, "refused");
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->has_value()) << "a refused write was stored";
  store->reset();
  std::filesystem::remove_all(dir);
}

// The ingest pattern (unsynced writes, a WAL sync from another thread) through several
// rounds of a disk filling up and space freed, the budget running out at a different
// point each round (WAL append, memtable flush, compaction): no abort, and every write
// acknowledged by a later sync is there after reopening.
TEST(StoreFaultTest, RepeatedFullDisksUnderConcurrentSyncsLoseNothingSynced) {
  std::string dir = TempDir("rounds");
  StoreOptions o;
  o.disk_budget_bytes = 64 << 20;
  std::vector<std::string> synced;
  {
    auto store = Store::Open(dir, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Store* st = store->get();
    const std::string value(2048, 'v');
    int next = 0;
    for (int round = 0; round < 4; ++round) {
      st->disk_budget()->SetRemaining((64u << 10) * (1 + 3 * round));
      std::atomic<bool> stop{false};
      std::atomic<int> sync_ok{0};
      std::thread syncer([&] {
        while (!stop.load()) {
          if (st->SyncWal().ok()) sync_ok.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
      std::vector<std::string> written;
      Status s;
      while (s.ok()) {
        WriteBatch batch(*st);
        std::string key = "r" + std::to_string(next++);
        batch.Put(Cf::kEvents, key, value);
        s = st->Write(&batch, /*sync=*/false);
        if (s.ok()) written.push_back(key);
      }
      stop.store(true);
      syncer.join();
      EXPECT_TRUE(s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kUnavailable)
          << s.ToString();
      st->disk_budget()->SetRemaining(64 << 20);
      Status resumed = WriteOnceResumed(st, "round" + std::to_string(round));
      ASSERT_TRUE(resumed.ok()) << "round " << round << ": " << resumed.ToString();
      ASSERT_TRUE(st->SyncWal().ok());
      synced.insert(synced.end(), written.begin(), written.end());
    }
  }
  auto store = Store::Open(dir, StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const std::string& key : synced) {
    auto v = (*store)->Get(Cf::kEvents, key);
    ASSERT_TRUE(v.ok() && v->has_value()) << "synced key " << key << " lost";
  }
  store->reset();  // background work stops before the directory goes
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
  // The view: the same fields, without a copy.
  uint8_t type = 0;
  int64_t ts = 0;
  std::string_view source, properties;
  ASSERT_TRUE(DecodeEventView(enc, &type, &ts, &source, &properties));
  EXPECT_EQ(type, 2);
  EXPECT_EQ(ts, -5);
  EXPECT_EQ(source, "taobao");
  EXPECT_EQ(properties, r.properties_json);
  EXPECT_FALSE(DecodeEventView(std::string_view(enc).substr(0, enc.size() - 1), &type, &ts, &source, &properties));
}

}  // namespace
}  // namespace holo::storage

// The interface, against both backends: every case runs on RocksDB and in memory.
namespace holo::storage {
namespace {

using holo::testing::ScratchStore;
using holo::testing::StoreBackend;

class StoreBackendTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  std::optional<std::string> Read(Cf cf, std::string_view key) {
    auto v = store_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }
  // Every key of `cf`, in order, as "key=value".
  std::vector<std::string> Dump(Cf cf) {
    std::vector<std::string> out;
    auto it = store_->NewCursor(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(std::string(it->key()) + "=" + std::string(it->value()));
    EXPECT_TRUE(it->status().ok());
    return out;
  }

  ScratchStore store_{GetParam(), "store_test"};
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackendTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(StoreBackendTest, PutGetAndMissingKeys) {
  ASSERT_TRUE(store_->Put(Cf::kMeta, "k", "v", /*sync=*/true).ok());
  EXPECT_EQ(Read(Cf::kMeta, "k"), "v");
  EXPECT_EQ(Read(Cf::kProfiles, "k"), std::nullopt);  // column families are apart
  EXPECT_EQ(Read(Cf::kMeta, "k2"), std::nullopt);
}

TEST_P(StoreBackendTest, StatsMergeKeepsEarliestTailAndSumsCounts) {
  WriteBatch batch(*store_);
  StatsRecord a{1, 200, 250, 2, "amap"};
  StatsRecord b{2, 100, 150, 3, "taobao"};
  StatsRecord c{1, 300, 400, 1, "web"};
  for (const auto& r : {a, b, c}) batch.Merge(Cf::kEdges, "edge-key", r.Encode());
  ASSERT_TRUE(store_->Write(&batch, true).ok());
  WriteBatch more(*store_);
  more.Merge(Cf::kEdges, "edge-key", StatsRecord{0, 500, 500, 4, "late"}.Encode());
  ASSERT_TRUE(store_->Write(&more, true).ok());
  auto v = Read(Cf::kEdges, "edge-key");
  ASSERT_TRUE(v.has_value());
  StatsRecord merged;
  ASSERT_TRUE(StatsRecord::Decode(*v, &merged));
  EXPECT_EQ(merged.kind, 2);
  EXPECT_EQ(merged.first_ts, 100);
  EXPECT_EQ(merged.last_ts, 500);
  EXPECT_EQ(merged.count, 10u);
  EXPECT_EQ(merged.tail, "taobao");
}

TEST_P(StoreBackendTest, BatchAppliesPutDeleteAndDeleteRangeInOrder) {
  WriteBatch batch(*store_);
  for (const char* k : {"a", "b1", "b2", "b3", "c"}) batch.Put(Cf::kSegments, k, std::string("v") + k);
  batch.Delete(Cf::kSegments, "a");
  batch.DeleteRange(Cf::kSegments, "b", "b3");  // b1, b2; not b3
  batch.Put(Cf::kSegments, "b2", "again");      // after the range delete: kept
  batch.Delete(Cf::kSegments, "absent");
  EXPECT_EQ(batch.Count(), 9u);
  ASSERT_TRUE(store_->Write(&batch, false).ok());
  EXPECT_EQ(Dump(Cf::kSegments), (std::vector<std::string>{"b2=again", "b3=vb3", "c=vc"}));
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  batch.Put(Cf::kSegments, "d", "vd");
  ASSERT_TRUE(store_->Write(&batch, false).ok());
  EXPECT_EQ(Dump(Cf::kSegments).size(), 4u);
}

TEST_P(StoreBackendTest, CursorSeeksBothWaysAndStopsAtTheUpperBound) {
  WriteBatch batch(*store_);
  for (const char* k : {"h\x01", "h\x02", "h\x03", "i\x01", "j"}) batch.Put(Cf::kGraph, k, k);
  batch.Put(Cf::kGraph, std::string("h\xff", 2), "high byte sorts last");  // bytewise order
  ASSERT_TRUE(store_->Write(&batch, false).ok());

  auto it = store_->NewCursor(Cf::kGraph);
  EXPECT_FALSE(it->Valid());
  it->Seek("h\x02");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h\x02");
  it->Next();
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), std::string_view("h\xff", 2));
  EXPECT_EQ(it->value(), "high byte sorts last");
  it->SeekForPrev("h\x04");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h\x03");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "h\x02");
  it->SeekForPrev("a");  // before the first key
  EXPECT_FALSE(it->Valid());
  it->Seek("z");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  ScanOptions bounded;
  bounded.upper_bound = "i";
  bounded.fill_cache = false;
  bounded.readahead_bytes = 1 << 20;
  auto scan = store_->NewCursor(Cf::kGraph, bounded);
  std::vector<std::string> keys;
  for (scan->Seek("h"); scan->Valid(); scan->Next()) keys.emplace_back(scan->key());
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_TRUE(scan->status().ok());
}

TEST_P(StoreBackendTest, CursorReadsTheStoreAsOfItsCreation) {
  ASSERT_TRUE(store_->Put(Cf::kMeta, "a", "1", false).ok());
  auto it = store_->NewCursor(Cf::kMeta);
  WriteBatch batch(*store_);
  batch.Put(Cf::kMeta, "a", "2");
  batch.Put(Cf::kMeta, "b", "2");
  ASSERT_TRUE(store_->Write(&batch, false).ok());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "1");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(Dump(Cf::kMeta), (std::vector<std::string>{"a=2", "b=2"}));
}

TEST_P(StoreBackendTest, MultiGetAnswersEveryKeyInOrder) {
  ASSERT_TRUE(store_->Put(Cf::kDedupe, "x", "1", false).ok());
  ASSERT_TRUE(store_->Put(Cf::kDedupe, "z", "3", false).ok());
  const std::vector<std::string_view> keys = {"z", "y", "x", "z"};
  auto values = store_->MultiGet(Cf::kDedupe, keys);
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(*values, (std::vector<std::optional<std::string>>{"3", std::nullopt, "1", "3"}));
  auto none = store_->MultiGet(Cf::kDedupe, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreBackendTest, CompactionDropsExpiredEventsAndVaultEntriesOnly) {
  auto event = [](const std::string& source, int64_t ts) {
    EventRecord r;
    r.msg_type = 2;
    r.timestamp_ms = ts;
    r.source = source;
    r.event = "Order Completed";
    std::string out;
    r.EncodeTo(&out);
    return out;
  };
  WriteBatch batch(*store_);
  batch.Put(Cf::kEvents, "e1", event("taobao", 1000));   // expired
  batch.Put(Cf::kEvents, "e2", event("taobao", 9500));   // inside the window
  batch.Put(Cf::kEvents, "e3", event("amap", 1000));     // no window for amap
  batch.Put(Cf::kMeta, "m1", event("taobao", 1000));     // not an events column family
  VaultRecord vault{1000, "taobao", "sealed"};
  std::string vault_value;
  vault.EncodeTo(&vault_value);
  batch.Put(Cf::kVault, "v1", vault_value);  // expired
  ASSERT_TRUE(store_->Write(&batch, true).ok());
  store_->retention().Set({{"taobao", 1000}});
  store_->retention().SetClock(10000);
  ASSERT_TRUE(store_->CompactAll().ok());
  EXPECT_EQ(Read(Cf::kEvents, "e1"), std::nullopt);
  EXPECT_TRUE(Read(Cf::kEvents, "e2").has_value());
  EXPECT_TRUE(Read(Cf::kEvents, "e3").has_value());
  EXPECT_TRUE(Read(Cf::kMeta, "m1").has_value());
  EXPECT_EQ(Read(Cf::kVault, "v1"), std::nullopt);
  // A prefix compaction applies the filter to its range only.
  ASSERT_TRUE(store_->Put(Cf::kEvents, "f1", event("taobao", 2000), false).ok());
  ASSERT_TRUE(store_->Put(Cf::kEvents, "g1", event("taobao", 2000), false).ok());
  ASSERT_TRUE(store_->CompactPrefix(Cf::kEvents, "g").ok());
  EXPECT_EQ(Read(Cf::kEvents, "g1"), std::nullopt);
  EXPECT_EQ(store_->CompactPrefix(Cf::kEvents, "").code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreBackendTest, ReadOnlyStoreReadsAndRefusesEveryWrite) {
  ASSERT_TRUE(store_->Put(Cf::kMeta, "k", "v", /*sync=*/true).ok());
  std::unique_ptr<Store> reader = store_.OpenReadOnly();  // RocksDB: beside the writer, which holds the LOCK
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->read_only());
  if (GetParam() == StoreBackend::kRocksDb) {
    auto v = reader->Get(Cf::kMeta, "k");
    ASSERT_TRUE(v.ok() && v->has_value());
    EXPECT_EQ(**v, "v");
  }
  Status w = reader->Put(Cf::kMeta, "k2", "v", /*sync=*/true);
  EXPECT_EQ(w.code(), StatusCode::kFailedPrecondition) << w.ToString();
  EXPECT_NE(w.message().find("read-only"), std::string::npos) << w.ToString();
  WriteBatch batch(*reader);
  batch.Merge(Cf::kNodes, "n", StatsRecord{}.Encode());
  EXPECT_EQ(reader->Write(&batch, false).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->Compact(Cf::kMeta).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->CompactPrefix(Cf::kEvents, "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->SyncWal().code(), StatusCode::kFailedPrecondition);
  // The writer goes on writing beside it.
  EXPECT_TRUE(store_->Put(Cf::kMeta, "k3", "v", /*sync=*/true).ok());
}

TEST_P(StoreBackendTest, ABatchBuiltForTheOtherBackendIsRefused) {
  ScratchStore other(GetParam() == StoreBackend::kRocksDb ? StoreBackend::kMemory : StoreBackend::kRocksDb,
                     "other_backend");
  WriteBatch batch(*other);
  batch.Put(Cf::kMeta, "k", "v");
  EXPECT_EQ(store_->Write(&batch, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read(Cf::kMeta, "k"), std::nullopt);
}

// The memory store applies merges when written (RocksDB when read): a batch whose merge
// cannot apply is refused whole there.
TEST(MemoryStoreTest, ABatchThatCannotApplyChangesNothing) {
  auto store = Store::OpenInMemory();
  ASSERT_TRUE(store->Put(Cf::kNodes, "n", StatsRecord{1, 5, 5, 1, "phone"}.Encode(), false).ok());
  WriteBatch batch(*store);
  batch.Put(Cf::kMeta, "m", "1");
  batch.Delete(Cf::kNodes, "n");
  batch.DeleteRange(Cf::kMeta, "", "z");
  batch.Merge(Cf::kNodes, "n", "not a stats record");
  Status s = store->Write(&batch, false);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  auto m = store->Get(Cf::kMeta, "m");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  auto n = store->Get(Cf::kNodes, "n");
  ASSERT_TRUE(n.ok() && n->has_value());
  StatsRecord rec;
  ASSERT_TRUE(StatsRecord::Decode(**n, &rec));
  EXPECT_EQ(rec.tail, "phone");

  WriteBatch wrong(*store);
  wrong.Merge(Cf::kMeta, "m", StatsRecord{}.Encode());  // kMeta has no merge operator
  EXPECT_EQ(store->Write(&wrong, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->path(), ":memory:");
}

TEST(MemoryStoreTest, ConcurrentWritersAndReadersSeeWholeBatches) {
  auto store = Store::OpenInMemory();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        WriteBatch batch(*store);
        const std::string k = std::to_string(t) + "/" + std::to_string(i);
        batch.Put(Cf::kMeta, "a" + k, "1");
        batch.Put(Cf::kMeta, "b" + k, "1");
        batch.Merge(Cf::kNodes, "n", StatsRecord{0, i, i, 1, ""}.Encode());
        ASSERT_TRUE(store->Write(&batch, false).ok());
        auto it = store->NewCursor(Cf::kMeta);
        size_t a = 0, b = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next()) (it->key()[0] == 'a' ? a : b)++;
        ASSERT_EQ(a, b);  // a batch is seen whole or not at all
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->EstimateKeys(Cf::kMeta), 1600u);
  auto n = store->Get(Cf::kNodes, "n");
  ASSERT_TRUE(n.ok() && n->has_value());
  StatsRecord rec;
  ASSERT_TRUE(StatsRecord::Decode(**n, &rec));
  EXPECT_EQ(rec.count, 800u);
}

}  // namespace
}  // namespace holo::storage
