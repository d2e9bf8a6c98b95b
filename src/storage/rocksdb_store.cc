#include "storage/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "common/coding.h"
#include "common/time_util.h"
#include "storage/disk_budget_fs.h"
#include "storage/keys.h"

namespace holo::storage {
namespace {

class StatsMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    const std::string_view operand(value.data(), value.size());
    if (existing == nullptr) return StatsRecord::Merge(nullptr, operand, new_value);
    const std::string_view stored(existing->data(), existing->size());
    return StatsRecord::Merge(&stored, operand, new_value);
  }
  const char* Name() const override { return "holo.stats"; }
};

// RocksDB's info log (DATA/LOG), written with stdio rather than RocksDB's own
// file writer. On a full disk RocksDB 7.8's EnvLogger appends again to the LOG
// after an append to it failed, which aborts a librocksdb built with assertions
// (Debian's): "writable_file_writer.h:312: ... Assertion `sync_without_flush_called_'
// failed", the exit 134 of `holo ingest` on a full disk. A line that cannot be
// written here is dropped. A read-only store logs nothing: it must not touch the
// files of the server that may hold the store.
class InfoLog : public rocksdb::Logger {
 public:
  explicit InfoLog(std::FILE* f) : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), f_(f) {}
  ~InfoLog() override {
    if (f_ != nullptr) std::fclose(f_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (f_ == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char ts[32];
    std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    std::fputs(ts, f_);
    std::vfprintf(f_, format, ap);
    std::fputc('\n', f_);
    std::fflush(f_);
    std::clearerr(f_);  // a full disk: the line is lost, the next one may fit
  }

 private:
  std::mutex mu_;
  std::FILE* f_;
};

std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& path, bool read_only) {
  if (read_only) return std::make_shared<InfoLog>(nullptr);
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path log = fs::path(path) / "LOG";
  // Kept small: it holds warnings only; one older file is kept.
  if (fs::file_size(log, ec) > (8u << 20) && !ec) fs::rename(log, fs::path(path) / "LOG.old", ec);
  return std::make_shared<InfoLog>(std::fopen(log.c_str(), "a"));
}

// Whether an I/O error says the directory cannot be written at all.
bool IsReadOnlyDirectory(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return text.find("Read-only file system") != std::string::npos ||
         text.find("Permission denied") != std::string::npos;
}

uint64_t DiskBudgetOf(const StoreOptions& options) {
  if (options.disk_budget_bytes > 0) return options.disk_budget_bytes;
  const char* env = std::getenv("HOLO_TEST_DISK_BUDGET_BYTES");
  return env == nullptr ? 0 : std::strtoull(env, nullptr, 10);
}

}  // namespace

// Follows RocksDB's background-error state: a failed write or flush stops writes
// until RocksStore::TryResume resumes the database (RocksDB's own recovery is turned
// off: it would resume beside running writes, see RocksStore::write_failed_).
class ErrorListener : public rocksdb::EventListener {
 public:
  explicit ErrorListener(RocksStore* store) : store_(store) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status* bg_error) override {
    if (bg_error == nullptr || bg_error->ok()) return;
    Status s = store_->WriteFailed(*bg_error, "background write");
    store_->write_failed_.store(true);
    std::lock_guard<std::mutex> lock(store_->error_mu_);
    store_->last_write_error_ = std::move(s);
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status bg_error,
                            bool* auto_recovery) override {
    bg_error.PermitUncheckedError();
    if (auto_recovery != nullptr) *auto_recovery = false;
  }
  void OnMemTableSealed(const rocksdb::MemTableInfo& /*info*/) override {
    store_->memtable_entry_needed_.store(true);
  }

 private:
  RocksStore* store_;  // outlives the DB (~RocksStore closes it first)
};

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string msg = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::DataLoss(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Status::Unavailable(msg);
  if (s.IsNoSpace()) {
    return Status(StatusCode::kResourceExhausted, msg + " (disk full; a read-only open still reads the store)");
  }
  if (s.IsIOError()) {
    if (IsReadOnlyDirectory(s)) {
      return Status::Unavailable(msg + " (the directory cannot be written: --read-only opens it for reading)");
    }
    // A held LOCK file surfaces as an IO error; say so plainly.
    if (s.ToString().find("lock") != std::string::npos) {
      return Status::Unavailable(msg + " (is another holo process using this data directory?)");
    }
    return Status::IOError(msg);
  }
  return Status::Internal(msg);
}

namespace {

// Drops events past their source's retention window (Retention) while compacting.
class RetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(std::shared_ptr<Retention> retention) : retention_(std::move(retention)) {}
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    return retention_->ExpiresRecord(std::string_view(value.data(), value.size()));
  }
  const char* Name() const override { return "holo.retention"; }

 private:
  std::shared_ptr<Retention> retention_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const StoreOptions& options) {
  return RocksStore::Open(path, options);
}

Result<std::unique_ptr<Store>> RocksStore::Open(const std::string& path, const StoreOptions& options) {
  std::unique_ptr<RocksStore> store(new RocksStore(path, options.read_only));
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing && !options.read_only;
  db_options.create_missing_column_families = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  store->info_log_ = OpenInfoLog(path, options.read_only);
  db_options.info_log = store->info_log_;
  db_options.listeners.push_back(std::make_shared<ErrorListener>(store.get()));
  if (const uint64_t budget = DiskBudgetOf(options); budget > 0 && !options.read_only) {
    store->disk_budget_ = std::make_shared<DiskBudgetFileSystem>(rocksdb::FileSystem::Default(), budget);
    store->env_ = rocksdb::NewCompositeEnv(store->disk_budget_);
    db_options.env = store->env_.get();
  }
  // The memtable entry kept without the WAL (RocksStore::KeepAMemtableEntry) would otherwise
  // make the close flush every memtable: the close stays as it was (the WAL is replayed at the
  // next open), and never flushes onto a WAL file that saw a failed write.
  db_options.avoid_flush_during_shutdown = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // The WAL too: writeback starts as it grows, so that a synced write of a large batch (a
  // computed trait's column) waits for the last megabyte rather than for all of it.
  db_options.wal_bytes_per_sync = 1 << 20;
  db_options.IncreaseParallelism(2);
  // No wal_compression: with RocksDB 7.8.3 a store written with ZSTD WAL compression
  // (3M events) failed to reopen ("Corruption: bad WriteBatch Put"). The WAL sync is
  // pipelined instead (engine/ingest_stage.cc).

  auto events_filter = std::make_unique<RetentionFilter>(store->retention_);
  auto cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  auto merge = std::make_shared<StatsMergeOperator>();
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.OptimizeLevelStyleCompaction(64 << 20);
    cf_options.compression = rocksdb::kLZ4Compression;
    cf_options.bottommost_compression = rocksdb::kZSTD;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    table.cache_index_and_filter_blocks = false;
    Cf cf = static_cast<Cf>(i);
    // The event index is only ever scanned by name (a computed trait's definition): larger
    // blocks, and LZ4 at every level (zstd's decompression was a third of a definition).
    if (cf == Cf::kEventIndex) {
      table.block_size = 32 << 10;
      cf_options.bottommost_compression = rocksdb::kLZ4Compression;
    }
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    if (cf == Cf::kNodes || cf == Cf::kEdges) cf_options.merge_operator = merge;
    // Vault values and event index rows start with an event record's head: one filter.
    if (cf == Cf::kEvents || cf == Cf::kVault || cf == Cf::kEventIndex) {
      cf_options.compaction_filter = events_filter.get();
    }
    if (cf == Cf::kEdges || cf == Cf::kNodeEvents) {
      // Adjacency scans are by the first node's 16-byte pseudonym.
      cf_options.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(16));
    }
    if (cf == Cf::kDedupe) {
      // Nearly every dedupe look-up is for a new message: a memtable bloom filter
      // answers "absent" without walking the skip list.
      cf_options.memtable_whole_key_filtering = true;
      cf_options.memtable_prefix_bloom_size_ratio = 0.05;
    }
    descriptors.emplace_back(std::string(CfName(static_cast<Cf>(i))), cf_options);
  }
  store->events_filter_ = std::move(events_filter);
  rocksdb::Status s;
  if (options.read_only) {
    // No LOCK is taken, so a running writer may delete a file (an obsolete WAL or
    // table) while this opens: try again on such a race.
    for (int attempt = 0; attempt < 3; ++attempt) {
      store->handles_.clear();
      s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &store->handles_, &store->db_);
      if (s.ok() || !(s.IsIOError() || s.IsPathNotFound() || s.IsCorruption())) break;
    }
    if (!s.ok()) return FromRocks(s, "open " + path + " read-only");
  } else {
    s = rocksdb::DB::Open(db_options, path, descriptors, &store->handles_, &store->db_);
    if (!s.ok()) return FromRocks(s, "open " + path);
  }
  store->rocks_handles_ = store->handles_.data();
  return std::unique_ptr<Store>(std::move(store));
}

RocksStore::~RocksStore() {
  if (db_ == nullptr) return;
  if (!read_only()) WaitForLevel0Compactions();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  delete db_;
}

void RocksStore::WaitForLevel0Compactions() {
  // Each open flushes what the WAL holds into a new level-0 file per column family, and a
  // closing process drops the compactions still running: a run of short commands (one `holo
  // trait define` after another) piled up 31 level-0 files in `segments`, and RocksDB then
  // delayed every write ("Stalling writes because we have 31 level-0 files"). So a process
  // that closes with many level-0 files in a column family first gives the background
  // compaction it scheduled a few seconds to merge them.
  constexpr uint64_t kMany = 8;
  constexpr int64_t kMaxWaitMs = 10000;
  const int64_t start = NowMs();
  while (NowMs() - start < kMaxWaitMs) {
    bool many = false;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      std::string files;  // a string property (GetIntProperty answers false for it)
      if (db_->GetProperty(h, "rocksdb.num-files-at-level0", &files) && std::strtoull(files.c_str(), nullptr, 10) >= kMany) {
        many = true;
      }
    }
    if (!many || write_failed_.load()) return;
    uint64_t running = 0, pending = 0;
    db_->GetIntProperty("rocksdb.num-running-compactions", &running);
    db_->GetAggregatedIntProperty("rocksdb.compaction-pending", &pending);
    if (running == 0 && pending == 0) return;  // nothing scheduled: nothing to wait for
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status RocksStore::WriteFailed(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::OK();
  if (s.IsNoSpace()) {
    return Status(StatusCode::kResourceExhausted,
                  "store " + path() + ": disk full (No space left on device); writes refused, reads go on");
  }
  if (s.IsIOError() && IsReadOnlyDirectory(s)) {
    const bool permission = s.ToString().find("Permission denied") != std::string::npos;
    return Status::Unavailable("store " + path() + ": the directory cannot be written (" +
                               (permission ? "Permission denied" : "Read-only file system") +
                               "); writes refused, reads go on");
  }
  if (s.IsIOError()) {
    return Status::Unavailable("store " + path() + ": " + std::string(what) + " failed (" + s.ToString() +
                               "); writes refused, reads go on");
  }
  return FromRocks(s, what);
}

uint64_t RocksStore::CurrentWal() const {
  std::unique_ptr<rocksdb::LogFile> wal;
  if (!db_->GetCurrentWalFile(&wal).ok() || wal == nullptr) return 0;
  return wal->LogNumber();
}

void RocksStore::KeepAMemtableEntry() {
  // A tombstone for a key nobody reads or writes: invisible to every reader, dropped at
  // the bottommost compaction, never in the WAL (so it cannot fail on it).
  rocksdb::WriteBatch batch;
  if (!batch.Delete(cf(Cf::kMeta), keys::kMemtableEntry).ok()) return;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  if (!db_->Write(wo, &batch).ok()) memtable_entry_needed_.store(true);
}

bool RocksStore::TryResume() {
  // RocksDB stops writes after a failed one (a background error) until DB::Resume
  // succeeds. Resume flushes the memtables (switching to a new WAL file), which fails
  // again while the disk is still full: tried at most every 2 seconds.
  std::lock_guard<std::mutex> lock(resume_mu_);
  if (!write_failed_.load()) return true;
  if (wal_stuck_.load()) return false;
  const int64_t now = NowMs();
  if (now - last_resume_ms_ < 2000) return false;
  last_resume_ms_ = now;
  if (!db_->Resume().ok()) return false;
  const uint64_t failed = failed_wal_.load();
  if (failed != 0) {
    const uint64_t current = CurrentWal();
    if (current == 0 || current <= failed) {
      // Resumed on the WAL file that saw the failure: the next append to it would abort.
      wal_stuck_.store(true);
      std::lock_guard<std::mutex> error(error_mu_);
      last_write_error_ = Status::Unavailable(
          "store " + path() + ": a write failed on the write-ahead log (WAL " + std::to_string(failed) +
          ") and RocksDB cannot move past it while the store is open; writes refused until the store is "
          "reopened (restart the process), reads go on; nothing acknowledged was lost");
      return false;
    }
  }
  failed_wal_.store(0);
  KeepAMemtableEntry();
  write_failed_.store(false);
  return true;
}

Status RocksStore::RefusedAfterFailure() {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_write_error_.ok() ? Status::Unavailable("store " + path() + ": writes refused after a failed write")
                                : last_write_error_;
}

Status RocksStore::ResumeIfFailed() {
  if (!write_failed_.load()) return Status::OK();
  std::unique_lock<std::shared_mutex> resuming(wal_mu_);
  return TryResume() ? Status::OK() : RefusedAfterFailure();
}

Status RocksStore::Write(WriteBatch* batch, bool sync) {
  if (batch->rocks_ == nullptr) return Status::InvalidArgument("store " + path() + ": a batch built for another store");
  return WriteRocks(batch->rocks_, sync);
}

Status RocksStore::WriteRocks(rocksdb::WriteBatch* batch, bool sync) {
  HOLO_RETURN_IF_ERROR(CheckWritable("write"));
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s;
  bool reached = false;  // a try reached the database (a write failing beside us may keep it off)
  for (int attempt = 0; attempt < 2; ++attempt) {
    HOLO_RETURN_IF_ERROR(ResumeIfFailed());
    std::shared_lock<std::shared_mutex> writing(wal_mu_);
    if (write_failed_.load()) continue;  // failed beside us: resume first
    if (memtable_entry_needed_.exchange(false)) KeepAMemtableEntry();
    reached = true;
    s = db_->Write(wo, batch);
    if (!s.IsIOError()) break;
    // A failed write stored nothing of the batch: once resumed, it is written again.
    uint64_t wal = CurrentWal(), seen = failed_wal_.load();
    while (wal > seen && !failed_wal_.compare_exchange_weak(seen, wal)) {
    }
    if (wal == 0) wal_stuck_.store(true);  // the WAL's number is unknown: no resume is safe
    write_failed_.store(true);
  }
  if (!reached) return RefusedAfterFailure();  // nothing of the batch was written
  Status out = WriteFailed(s, "write batch");
  if (!out.ok() && s.IsIOError()) {
    std::lock_guard<std::mutex> lock(error_mu_);
    last_write_error_ = out;
  }
  return out;
}

Result<std::optional<std::string>> RocksStore::Get(Cf c, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(c), rocksdb::Slice(key.data(), key.size()),
                               &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "get");
  return std::optional<std::string>(std::move(value));
}

Status RocksStore::SyncWal() {
  HOLO_RETURN_IF_ERROR(CheckWritable("sync WAL"));
  std::unique_lock<std::shared_mutex> syncing(wal_mu_);
  if (!TryResume()) return RefusedAfterFailure();
  return WriteFailed(db_->SyncWAL(), "sync WAL");
}

namespace {

// A Cursor over a rocksdb::Iterator. Each positioning call refreshes the inline
// Valid()/key()/value() of Cursor: one virtual call per step on top of RocksDB's own.
class RocksCursor final : public Cursor {
 public:
  RocksCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* handle, Cf cf, const ScanOptions& options)
      : cf_(cf), upper_(options.upper_bound), upper_slice_(upper_) {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;  // kEdges and kNodeEvents have a prefix extractor
    ro.fill_cache = options.fill_cache;
    ro.readahead_size = options.readahead_bytes;
    if (!upper_.empty()) ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, handle));
  }

  void Seek(std::string_view target) override {
    it_->Seek(rocksdb::Slice(target.data(), target.size()));
    Load();
  }
  void SeekForPrev(std::string_view target) override {
    it_->SeekForPrev(rocksdb::Slice(target.data(), target.size()));
    Load();
  }
  void SeekToFirst() override {
    it_->SeekToFirst();
    Load();
  }
  void Next() override {
    it_->Next();
    Load();
  }
  void Prev() override {
    it_->Prev();
    Load();
  }
  Status status() const override {
    rocksdb::Status s = it_->status();
    return s.ok() ? Status::OK() : FromRocks(s, CfName(cf_));
  }

 private:
  void Load() {
    valid_ = it_->Valid();
    if (!valid_) return;
    const rocksdb::Slice k = it_->key();
    const rocksdb::Slice v = it_->value();
    key_ = std::string_view(k.data(), k.size());
    value_ = std::string_view(v.data(), v.size());
  }

  const Cf cf_;
  // Declared before it_: the iterator reads the bound until it is destroyed.
  const std::string upper_;
  const rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

std::unique_ptr<Cursor> RocksStore::NewCursor(Cf c, const ScanOptions& options) const {
  return std::make_unique<RocksCursor>(db_, handles_[static_cast<int>(c)], c, options);
}

Result<std::vector<std::optional<std::string>>> RocksStore::MultiGet(
    Cf c, std::span<const std::string_view> keys) const {
  const size_t n = keys.size();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(n);
  for (std::string_view k : keys) slices.emplace_back(k.data(), k.size());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), handles_[static_cast<int>(c)], n, slices.data(), values.data(),
                statuses.data());
  std::vector<std::optional<std::string>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].ok()) {
      out[i].emplace(values[i].data(), values[i].size());
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "multiget " + std::string(CfName(c)));
    }
  }
  return out;
}

uint64_t RocksStore::EstimateKeys(Cf c) const {
  uint64_t n = 0;
  db_->GetIntProperty(cf(c), "rocksdb.estimate-num-keys", &n);
  return n;
}

Status RocksStore::CompactPrefix(Cf c, std::string_view prefix) {
  if (prefix.empty()) return Status::InvalidArgument("CompactPrefix needs a prefix");
  std::string begin(prefix), end = keys::PrefixSuccessor(prefix);
  if (end.empty()) return CompactAll();
  rocksdb::Slice b(begin), e(end);
  HOLO_RETURN_IF_ERROR(CheckWritable("compaction"));
  HOLO_RETURN_IF_ERROR(ResumeIfFailed());  // a compaction flushes the memtables first
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return WriteFailed(db_->CompactRange(o, cf(c), &b, &e), "compact " + std::string(CfName(c)));
}

Status RocksStore::Compact(Cf c) {
  HOLO_RETURN_IF_ERROR(CheckWritable("compaction"));
  HOLO_RETURN_IF_ERROR(ResumeIfFailed());  // a compaction flushes the memtables first
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return WriteFailed(db_->CompactRange(o, cf(c), nullptr, nullptr), "compact " + std::string(CfName(c)));
}

}  // namespace holo::storage
