// RocksStore: the RocksDB backend of Store (one database, one column family per Cf,
// the "holo.stats" merge operator, the retention compaction filter, the full-disk
// rules). Private to storage/: the rest of Holo holds a Store.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/store.h"

namespace rocksdb {
class CompactionFilter;
class DB;
class Env;
class Logger;
class Status;
}  // namespace rocksdb

namespace holo::storage {

class ErrorListener;

// Translates a RocksDB status; `context` prefixes the message. The one place a
// rocksdb::Status becomes a holo::Status.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

class RocksStore final : public Store {
 public:
  // Store::Open.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options);
  ~RocksStore() override;

  Status Write(WriteBatch* batch, bool sync) override;
  Result<std::optional<std::string>> Get(Cf c, std::string_view key) const override;
  Result<std::vector<std::optional<std::string>>> MultiGet(
      Cf c, std::span<const std::string_view> keys) const override;
  std::unique_ptr<Cursor> NewCursor(Cf c, const ScanOptions& options) const override;
  Status SyncWal() override;
  uint64_t EstimateKeys(Cf c) const override;
  Status Compact(Cf c) override;
  Status CompactPrefix(Cf c, std::string_view prefix) override;
  DiskBudgetFileSystem* disk_budget() const override { return disk_budget_.get(); }

  // RocksDB's own objects, for the storage tools that read its properties (cf_sizes.cc).
  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[static_cast<int>(c)]; }

 private:
  RocksStore(const std::string& path, bool read_only) : Store(path, read_only) {}
  // Translates the failure of a write (`what`: "write batch", "sync WAL", ...) into
  // the one-line errors of Store::Open.
  Status WriteFailed(const rocksdb::Status& s, std::string_view what);
  // After a write failed on a full disk: resumes the database if space was freed
  // (at most every few seconds). Returns whether it resumed. The caller holds wal_mu_
  // exclusively.
  bool TryResume();
  // The refusal of a write or sync while a failed write has not been resumed (TryResume).
  Status RefusedAfterFailure();
  // OK when no write failed or the database resumed now; the refusal otherwise. Takes
  // wal_mu_ exclusively when it has to resume.
  Status ResumeIfFailed();
  // Writes a RocksDB batch (Write).
  Status WriteRocks(rocksdb::WriteBatch* batch, bool sync);
  // The number of the WAL file writes go to now (0 when it cannot be read).
  uint64_t CurrentWal() const;
  // At close: while a column family holds many level-0 files, waits (a few seconds at most)
  // for the background compactions to merge them.
  void WaitForLevel0Compactions();
  // Leaves one entry (a tombstone for a key nobody reads, not written to the WAL) in a
  // memtable; see memtable_entry_needed_.
  void KeepAMemtableEntry();

  std::shared_ptr<DiskBudgetFileSystem> disk_budget_;
  std::unique_ptr<rocksdb::Env> env_;  // over disk_budget_, when set
  std::shared_ptr<rocksdb::Logger> info_log_;
  std::mutex resume_mu_;
  int64_t last_resume_ms_ = 0;
  // A write failed and the database has not resumed since: RocksDB 7.8 aborts (an
  // assertion, WritableFileWriter::AssertFalseAndGetStatusForPrevError) when a WAL file
  // that saw a failed append is appended to, flushed or synced again, so writes, syncs
  // and compactions answer the refusal themselves until TryResume succeeds. RocksDB's
  // own recovery is turned off (ErrorListener): every resume runs in TryResume, with
  // writes held off.
  std::atomic<bool> write_failed_{false};
  // The WAL file a write failed on (the largest such number; 0: none since the last
  // resume). DB::Resume clears the error of that file only when it switches to a new WAL,
  // which RocksDB 7.8 does only if some memtable holds an entry: a resume that leaves
  // writes on it would abort at the next write, so writes stay refused (wal_stuck_).
  std::atomic<uint64_t> failed_wal_{0};
  std::atomic<bool> wal_stuck_{false};
  // Set at open and after every flush: the next write first leaves an entry in a
  // memtable (KeepAMemtableEntry), so that a WAL failure on a fresh WAL file (every
  // memtable empty) can still be resumed. Seen: a write failing on the WAL of a store
  // just opened, then any write or sync after Resume aborted the process.
  std::atomic<bool> memtable_entry_needed_{true};
  // Writes hold it shared; SyncWal and TryResume exclusive: a WAL sync never runs beside
  // a write, so a write that fails on a full disk cannot leave its error in the WAL file
  // under a sync already past the write_failed_ check, and nothing writes between a
  // resume and its memtable entry.
  std::shared_mutex wal_mu_;
  // The one-line error of the last failed write or background write.
  std::mutex error_mu_;  // not resume_mu_: the listener runs inside DB::Resume too
  Status last_write_error_;
  friend class ErrorListener;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::CompactionFilter> events_filter_;
};

}  // namespace holo::storage
