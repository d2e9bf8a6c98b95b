// Store: Holo's one RocksDB database, its column families and write rules.
// The key layout of every column family is documented in docs/storage_format.md.
//
// Thread-safety: a Store may be used from several threads (RocksDB is); the
// Store object itself is immutable after Open.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class CompactionFilter;
class Env;
class Iterator;
class Logger;
class WriteBatch;
class Status;
}  // namespace rocksdb

namespace holo::storage {

// Returns a view of a RocksDB slice (any type with data() and size()).
template <typename SliceT>
std::string_view View(const SliceT& s) {
  return {s.data(), s.size()};
}

// Column families. DO NOT CHANGE the names: they are the on-disk layout.
enum class Cf : int {
  kDefault = 0,
  kMeta,        // configuration, sequences, dirty marks
  kEvents,      // seq -> event record
  kDedupe,      // source \0 messageId -> seq
  kNodeEvents,  // attribution node pseudonym + seq -> ""
  kNodes,       // node pseudonym -> stats record (type, first/last seen, count)
  kEdges,       // node a + node b -> stats record (kind, source, first/last seen, count)
  kGraph,       // 'n' node -> OneID ; 'o' OneID node -> ""
  kProfiles,    // OneID -> profile JSON
  kPeople,      // people-graph link index (household addresses, card owners, invites, teams)
  kSegments,    // segment definitions, versions, memberships; group-profile query log
  kConsent,     // consent ledger: node purpose ts seq -> given source (privacy/consent.h)
  kVault,       // PII vault: node16 tag8 -> secretbox-sealed JSON of raw values (keys::VaultKey)
  kEventIndex,  // attributed events by name: event name \0 seq8 -> "" (keys::EventNameKey)
  kCount,
};
std::string_view CfName(Cf cf);

struct StoreOptions {
  // Create the database if the directory holds none. Default: true.
  bool create_if_missing = true;
  // Block cache for reads, in MiB. Default: 256.
  size_t block_cache_mb = 256;
  // Open for inspection only (rocksdb::DB::OpenForReadOnly): takes no LOCK, so it
  // may open a store that a running `holo serve` holds, and sees the store as it
  // was when opened. Every write is refused (kFailedPrecondition). Default: false.
  bool read_only = false;
  // TEST HOOK: fail every file write with ENOSPC once this many bytes have been
  // written through the store (DiskBudgetFileSystem). 0: off, unless the
  // environment variable HOLO_TEST_DISK_BUDGET_BYTES holds a byte count. Default: 0.
  uint64_t disk_budget_bytes = 0;
};

class DiskBudgetFileSystem;
class ErrorListener;

// Translates a RocksDB status; `context` prefixes the message.
Status FromRocks(const rocksdb::Status& s, std::string_view context);

// Retention: per-source maximum event age, enforced when compactions rewrite the
// events column family (an expired event is dropped from the files it is compacted out
// of). Thread-safe; changes apply to compactions that start afterwards.
class Retention {
 public:
  void Set(std::map<std::string, int64_t> max_age_ms);
  std::map<std::string, int64_t> Get() const;
  // Whether an event of `source` at `timestamp_ms` is past its window at `now_ms`.
  bool Expired(std::string_view source, int64_t timestamp_ms, int64_t now_ms) const;
  bool empty() const;
  // The clock compactions judge ages by: `fixed_now_ms`, or the system clock when 0.
  void SetClock(int64_t fixed_now_ms) { fixed_now_ms_ = fixed_now_ms; }
  int64_t Now() const;

 private:
  std::atomic<int64_t> fixed_now_ms_{0};
  mutable std::mutex mu_;
  std::map<std::string, int64_t, std::less<>> max_age_ms_;
};

class Store {
 public:
  // Opens (or creates) the database at `path`. Fails with kUnavailable if another
  // process holds it (unless options.read_only).
  //
  // Write failures: a full disk fails a write with kResourceExhausted, a directory
  // that cannot be written (read-only file system, permissions) or another I/O
  // error with kUnavailable, each as one line ("store PATH: disk full (...); writes
  // refused, reads go on"). Nothing is half-written: a failed Write stored none of
  // its batch. Reads go on meanwhile. After a full disk, RocksDB stops writes until
  // space is freed; Write then resumes the database (DB::Resume) by itself.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[static_cast<int>(c)]; }
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // Writes `batch` atomically. With sync, returns only after the WAL is on disk.
  Status Write(rocksdb::WriteBatch* batch, bool sync);
  // Returns the value or std::nullopt when absent.
  Result<std::optional<std::string>> Get(Cf c, std::string_view key) const;
  Status Put(Cf c, std::string_view key, std::string_view value, bool sync);
  // Makes every write made so far durable (fsync of the WAL). Safe to call while
  // another thread writes.
  Status SyncWal();
  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf c) const;
  // Returns the approximate number of keys in `c` (RocksDB's estimate).
  uint64_t EstimateKeys(Cf c) const;
  // Flushes memtables and compacts every column family.
  Status CompactAll();
  // Flushes and compacts one column family (its compaction filter, if any, runs).
  Status Compact(Cf c);
  // The retention windows the events' compactions enforce.
  Retention& retention() const { return *retention_; }
  // Compacts the keys of `c` that start with `prefix` (non-empty): drops the deletion
  // markers a bulk delete left there, which later scans of the range would step over.
  Status CompactPrefix(Cf c, std::string_view prefix);

  // TEST HOOK: the injected disk (StoreOptions::disk_budget_bytes), or nullptr.
  DiskBudgetFileSystem* disk_budget() const { return disk_budget_.get(); }

 private:
  Store() = default;
  // Refuses a write to a read-only store; OK otherwise.
  Status CheckWritable(std::string_view what) const;
  // Translates the failure of a write (`what`: "write batch", "sync WAL", ...) into
  // the one-line errors above.
  Status WriteFailed(const rocksdb::Status& s, std::string_view what);
  // After a write failed on a full disk: resumes the database if space was freed
  // (at most every few seconds). Returns whether it resumed.
  bool TryResume();

  std::string path_;
  bool read_only_ = false;
  std::shared_ptr<DiskBudgetFileSystem> disk_budget_;
  std::unique_ptr<rocksdb::Env> env_;  // over disk_budget_, when set
  std::shared_ptr<rocksdb::Logger> info_log_;
  std::mutex resume_mu_;
  int64_t last_resume_ms_ = 0;
  // A write failed and the database has not resumed since: its WAL file may have
  // seen the error, and RocksDB 7.8 aborts (an assertion) when asked to sync such a
  // file, so SyncWal answers the refusal itself until Resume succeeds. (A sync already
  // under way when a write fails can still meet that file: a narrow race of the
  // pipelined WAL sync, engine/ingest_pipeline.cc, not closed here.)
  std::atomic<bool> write_failed_{false};
  // The one-line error of the last failed write or background write.
  std::mutex error_mu_;  // not resume_mu_: the listener runs inside DB::Resume too
  Status last_write_error_;
  friend class ErrorListener;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<Retention> retention_;
  std::unique_ptr<rocksdb::CompactionFilter> events_filter_;
};

// The "stats record" shared by kNodes and kEdges and combined by the store's
// merge operator: [kind u8][first_ts i64 BE][last_ts i64 BE][count u64 BE][tail].
// Merge keeps the max kind, min first_ts (with its tail), max last_ts, sum of counts.
struct StatsRecord {
  uint8_t kind = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t count = 0;
  std::string tail;  // nodes: identifier type; edges: source of the first sighting

  std::string Encode() const;
  static bool Decode(std::string_view in, StatsRecord* out);
};

}  // namespace holo::storage
