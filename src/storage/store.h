// Store: Holo's key-value store, its column families and write rules. The rest of
// Holo holds a Store and speaks to it through this header only: WriteBatch to
// write, Get/MultiGet/Cursor to read. Two backends implement it (src/storage/README.md):
// RocksDB on disk (Store::Open) and an in-memory twin for tests (Store::OpenInMemory).
// The key layout of every column family is documented in docs/storage_format.md.
//
//   HOLO_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store, storage::Store::Open(dir, {}));
//   storage::WriteBatch batch(*store);
//   batch.Put(Cf::kMeta, "k", "v");
//   batch.Merge(Cf::kNodes, node, stats.Encode());
//   HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
//   std::unique_ptr<storage::Cursor> it = store->NewCursor(Cf::kGraph);
//   for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ...
//   HOLO_RETURN_IF_ERROR(it->status());
//
// Thread-safety: a Store may be used from several threads; the Store object itself
// is immutable after Open. A WriteBatch or a Cursor is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

// Only WriteBatch's private members name these (declared, never defined, here).
namespace rocksdb {
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace holo::storage {

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
  kEventIndex,  // track events by name and OneID: name \0 oneid8 seq8 -> projection (keys::EventNameKey)
  kStores,      // offline stores: 'm' store -> store record; 'o' store \0 time8 device16 sensor4 -> observation
  kCount,
};
std::string_view CfName(Cf cf);

struct StoreOptions {
  // Create the database if the directory holds none. Default: true.
  bool create_if_missing = true;
  // Block cache for reads, in MiB. Default: 256. (RocksDB only.)
  size_t block_cache_mb = 256;
  // Open for inspection only (rocksdb::DB::OpenForReadOnly): takes no LOCK, so it
  // may open a store that a running `holo serve` holds, and sees the store as it
  // was when opened. Every write is refused (kFailedPrecondition). Default: false.
  bool read_only = false;
  // TEST HOOK: fail every file write with ENOSPC once this many bytes have been
  // written through the store (DiskBudgetFileSystem). 0: off, unless the
  // environment variable HOLO_TEST_DISK_BUDGET_BYTES holds a byte count. Default: 0.
  // (RocksDB only.)
  uint64_t disk_budget_bytes = 0;
};

// Retention: per-source maximum event age, enforced when compactions rewrite the
// events column family (an expired event is dropped from the files it is compacted out
// of). Thread-safe; changes apply to compactions that start afterwards.
class Retention {
 public:
  void Set(std::map<std::string, int64_t> max_age_ms);
  std::map<std::string, int64_t> Get() const;
  // Whether an event of `source` at `timestamp_ms` is past its window at `now_ms`.
  bool Expired(std::string_view source, int64_t timestamp_ms, int64_t now_ms) const;
  // Whether the stored record `value` (an event record, or a vault record, which starts
  // with an event record's head) is past its window at Now(); false for a value that is
  // not such a record. What a compaction of kEvents or kVault drops.
  bool ExpiresRecord(std::string_view value) const;
  bool empty() const;
  // The clock compactions judge ages by: `fixed_now_ms`, or the system clock when 0.
  void SetClock(int64_t fixed_now_ms) { fixed_now_ms_ = fixed_now_ms; }
  int64_t Now() const;

 private:
  std::atomic<int64_t> fixed_now_ms_{0};
  mutable std::mutex mu_;
  std::map<std::string, int64_t, std::less<>> max_age_ms_;
};

// How a cursor reads. Plain hints: the in-memory store needs none of them.
struct ScanOptions {
  // Exclusive upper bound: the cursor stops before the first key >= upper_bound (and
  // RocksDB skips reading past it). Empty: none. Default: empty.
  std::string upper_bound;
  // Whether the blocks read are kept in the block cache. A one-off scan of a whole
  // column family passes false, so as not to evict what look-ups keep there. Default: true.
  bool fill_cache = true;
  // Bytes read ahead sequentially (0: RocksDB's adaptive default). Full scans: 8 MiB.
  size_t readahead_bytes = 0;
};

// Ordered iteration over one column family, over a consistent view of it taken when
// the cursor was created (later writes are not seen). key() and value() stay valid
// until the cursor moves. Not thread-safe; may outlive nothing: destroy it before
// its Store.
class Cursor {
 public:
  virtual ~Cursor() = default;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual void SeekToFirst() = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  // REQUIRES: Valid().
  virtual void Prev() = 0;
  // OK, or the read error that made the cursor invalid before the end of its range.
  virtual Status status() const = 0;

  // Positioned on a key. Inline: a scan pays one virtual call per step.
  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  std::string_view key() const { return key_; }
  // REQUIRES: Valid().
  std::string_view value() const { return value_; }

 protected:
  Cursor() = default;
  // Set by every positioning call of an implementation.
  bool valid_ = false;
  std::string_view key_;
  std::string_view value_;
};

class Store;
class RocksStore;
class MemoryStore;
struct MemoryBatch;

// A set of writes applied atomically by Store::Write: all or none. Built for one
// Store (its backend's representation: RocksDB's serialized batch, with no copy
// per operation beyond RocksDB's own; a list of operations for the memory store).
// Operations apply in the order they were added. Not thread-safe.
class WriteBatch {
 public:
  explicit WriteBatch(const Store& store);
  ~WriteBatch();
  WriteBatch(WriteBatch&& other) noexcept;
  WriteBatch& operator=(WriteBatch&& other) noexcept;
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(Cf cf, std::string_view begin, std::string_view end);
  // Combines `value` with the stored value of `key` (StatsRecord::Merge).
  // REQUIRES: cf is kNodes or kEdges (the column families with the merge operator).
  void Merge(Cf cf, std::string_view key, std::string_view value);
  // The number of operations added since construction or Clear().
  uint32_t Count() const;
  void Clear();

 private:
  friend class RocksStore;
  friend class MemoryStore;

  // RocksDB: the batch (owned_) and the store's handles.
  rocksdb::WriteBatch* rocks_ = nullptr;
  std::unique_ptr<rocksdb::WriteBatch> owned_;
  rocksdb::ColumnFamilyHandle* const* handles_ = nullptr;
  // Memory: the operations.
  std::unique_ptr<MemoryBatch> memory_;
};

class DiskBudgetFileSystem;

// The one store type the rest of Holo holds: an interface with two implementations,
// RocksStore (rocksdb_store.h) and MemoryStore (memory_store.h), private to storage/.
class Store {
 public:
  // Opens (or creates) the RocksDB database at `path`. Fails with kUnavailable if
  // another process holds it (unless options.read_only).
  //
  // Write failures: a full disk fails a write with kResourceExhausted, a directory
  // that cannot be written (read-only file system, permissions) or another I/O
  // error with kUnavailable, each as one line ("store PATH: disk full (...); writes
  // refused, reads go on"). Nothing is half-written: a failed Write stored none of
  // its batch. Reads go on meanwhile. After a full disk, RocksDB stops writes until
  // space is freed; Write then resumes the database (DB::Resume) by itself.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options);
  // Returns an empty store held in memory (path() is ":memory:"): the same column
  // families, merge operator, retention on Compact and read-only refusals as a
  // RocksDB store, for tests. Nothing outlives the object. Uses options.read_only only.
  static std::unique_ptr<Store> OpenInMemory(const StoreOptions& options = StoreOptions());
  virtual ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // Writes `batch` (built for this store) atomically. With sync, returns only after
  // the write is durable (the WAL is on disk).
  virtual Status Write(WriteBatch* batch, bool sync) = 0;
  // Writes one key (a batch of one Put).
  Status Put(Cf c, std::string_view key, std::string_view value, bool sync);
  // Returns the value or std::nullopt when absent.
  virtual Result<std::optional<std::string>> Get(Cf c, std::string_view key) const = 0;
  // Returns the values of `keys` in order (std::nullopt: absent), read in one batched
  // look-up (RocksDB's MultiGet).
  virtual Result<std::vector<std::optional<std::string>>> MultiGet(
      Cf c, std::span<const std::string_view> keys) const = 0;
  // Returns a cursor over `c`, unpositioned (call a Seek first).
  virtual std::unique_ptr<Cursor> NewCursor(Cf c, const ScanOptions& options = ScanOptions()) const = 0;
  // Makes every write made so far durable (fsync of the WAL). Safe to call while
  // another thread writes.
  virtual Status SyncWal() = 0;
  // Returns the approximate number of keys in `c` (RocksDB's estimate).
  virtual uint64_t EstimateKeys(Cf c) const = 0;
  // Flushes memtables and compacts every column family.
  Status CompactAll();
  // Flushes and compacts one column family: kEvents and kVault drop what retention()
  // expires.
  virtual Status Compact(Cf c) = 0;
  // Compacts the keys of `c` that start with `prefix` (non-empty): drops the deletion
  // markers a bulk delete left there, which later scans of the range would step over.
  virtual Status CompactPrefix(Cf c, std::string_view prefix) = 0;
  // The retention windows the events' compactions enforce.
  Retention& retention() const { return *retention_; }

  // TEST HOOK: the injected disk (StoreOptions::disk_budget_bytes), or nullptr.
  virtual DiskBudgetFileSystem* disk_budget() const { return nullptr; }

 protected:
  Store(std::string path, bool read_only);
  // Refuses a write to a read-only store; OK otherwise.
  Status CheckWritable(std::string_view what) const;

  std::shared_ptr<Retention> retention_;
  // Set by RocksStore only: the column-family handles a WriteBatch built for it appends
  // with (one branch per operation, no virtual call). Null for the in-memory store.
  rocksdb::ColumnFamilyHandle* const* rocks_handles_ = nullptr;

 private:
  friend class WriteBatch;
  std::string path_;
  bool read_only_ = false;
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
  // The merge operator "holo.stats" of both backends: sets *out to `operand` merged
  // into `existing` (nullptr: none stored). Returns false when either is unreadable.
  static bool Merge(const std::string_view* existing, std::string_view operand, std::string* out);
};

}  // namespace holo::storage
