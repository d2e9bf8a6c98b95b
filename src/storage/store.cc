#include "storage/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "common/coding.h"
#include "common/time_util.h"
#include "storage/keys.h"

namespace holo::storage {
namespace {

constexpr std::string_view kCfNames[] = {"default", "meta",  "events", "dedupe",  "node_events",
                                          "nodes",   "edges", "graph",  "profiles",
                                          "people",  "segments", "consent", "vault", "event_index"};
static_assert(std::size(kCfNames) == static_cast<size_t>(Cf::kCount));

class StatsMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    StatsRecord add;
    if (!StatsRecord::Decode(std::string_view(value.data(), value.size()), &add)) return false;
    if (existing == nullptr) {
      new_value->assign(value.data(), value.size());
      return true;
    }
    StatsRecord cur;
    if (!StatsRecord::Decode(std::string_view(existing->data(), existing->size()), &cur)) {
      return false;
    }
    cur.kind = std::max(cur.kind, add.kind);
    if (add.first_ts < cur.first_ts) {
      cur.first_ts = add.first_ts;
      cur.tail = std::move(add.tail);
    }
    cur.last_ts = std::max(cur.last_ts, add.last_ts);
    cur.count += add.count;
    *new_value = cur.Encode();
    return true;
  }
  const char* Name() const override { return "holo.stats"; }
};

}  // namespace

std::string_view CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string msg = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::DataLoss(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Status::Unavailable(msg);
  if (s.IsIOError()) {
    // A held LOCK file surfaces as an IO error; say so plainly.
    if (s.ToString().find("lock") != std::string::npos) {
      return Status::Unavailable(msg + " (is another holo process using this data directory?)");
    }
    return Status::IOError(msg);
  }
  return Status::Internal(msg);
}

std::string StatsRecord::Encode() const {
  std::string out;
  out.reserve(25 + tail.size());
  out.push_back(static_cast<char>(kind));
  coding::PutFixed64BE(&out, static_cast<uint64_t>(first_ts));
  coding::PutFixed64BE(&out, static_cast<uint64_t>(last_ts));
  coding::PutFixed64BE(&out, count);
  out += tail;
  return out;
}

bool StatsRecord::Decode(std::string_view in, StatsRecord* out) {
  if (in.size() < 25) return false;
  out->kind = static_cast<uint8_t>(in[0]);
  out->first_ts = static_cast<int64_t>(coding::DecodeFixed64BE(in.data() + 1));
  out->last_ts = static_cast<int64_t>(coding::DecodeFixed64BE(in.data() + 9));
  out->count = coding::DecodeFixed64BE(in.data() + 17);
  out->tail.assign(in.substr(25));
  return true;
}

void Retention::Set(std::map<std::string, int64_t> max_age_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  max_age_ms_.clear();
  for (auto& [k, v] : max_age_ms) max_age_ms_.emplace(k, v);
}

std::map<std::string, int64_t> Retention::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {max_age_ms_.begin(), max_age_ms_.end()};
}

bool Retention::empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_age_ms_.empty();
}

int64_t Retention::Now() const {
  const int64_t fixed = fixed_now_ms_.load();
  return fixed != 0 ? fixed : NowMs();
}

bool Retention::Expired(std::string_view source, int64_t timestamp_ms, int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = max_age_ms_.find(source);
  return it != max_age_ms_.end() && timestamp_ms < now_ms - it->second;
}

namespace {

// Drops events past their source's retention window (Retention) while compacting.
class RetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(std::shared_ptr<Retention> retention) : retention_(std::move(retention)) {}
  bool Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    if (retention_->empty()) return false;
    // The record's head: version u8, msg_type u8, timestamp zigzag varint, source (length-prefixed).
    std::string_view in(value.data(), value.size());
    if (in.size() < 2 || in[0] != 1) return false;
    in.remove_prefix(2);
    int64_t ts = 0;
    std::string_view source;
    if (!coding::GetVarsint64(&in, &ts) || !coding::GetLengthPrefixed(&in, &source)) return false;
    return retention_->Expired(source, ts, retention_->Now());
  }
  const char* Name() const override { return "holo.retention"; }

 private:
  std::shared_ptr<Retention> retention_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const StoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 3;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.IncreaseParallelism(2);
  // No wal_compression: with RocksDB 7.8.3 a store written with ZSTD WAL compression
  // (3M events) failed to reopen ("Corruption: bad WriteBatch Put"). The WAL sync is
  // pipelined instead (engine/ingest_pipeline.cc).

  auto retention = std::make_shared<Retention>();
  auto events_filter = std::make_unique<RetentionFilter>(retention);
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
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    Cf cf = static_cast<Cf>(i);
    if (cf == Cf::kNodes || cf == Cf::kEdges) cf_options.merge_operator = merge;
    // Vault values start with an event record's head (storage::VaultRecord): one filter.
    if (cf == Cf::kEvents || cf == Cf::kVault) cf_options.compaction_filter = events_filter.get();
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
    descriptors.emplace_back(std::string(kCfNames[i]), cf_options);
  }
  std::unique_ptr<Store> store(new Store());
  store->path_ = path;
  store->retention_ = std::move(retention);
  store->events_filter_ = std::move(events_filter);
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, path, descriptors, &store->handles_, &store->db_);
  if (!s.ok()) return FromRocks(s, "open " + path);
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  delete db_;
}

Status Store::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, batch), "write batch");
}

Result<std::optional<std::string>> Store::Get(Cf c, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(c), rocksdb::Slice(key.data(), key.size()),
                               &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "get");
  return std::optional<std::string>(std::move(value));
}

Status Store::Put(Cf c, std::string_view key, std::string_view value, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Put(wo, cf(c), rocksdb::Slice(key.data(), key.size()),
                            rocksdb::Slice(value.data(), value.size())),
                   "put");
}

Status Store::SyncWal() { return FromRocks(db_->SyncWAL(), "sync WAL"); }

std::unique_ptr<rocksdb::Iterator> Store::NewIterator(Cf c) const {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf(c)));
}

uint64_t Store::EstimateKeys(Cf c) const {
  uint64_t n = 0;
  db_->GetIntProperty(cf(c), "rocksdb.estimate-num-keys", &n);
  return n;
}

Status Store::CompactPrefix(Cf c, std::string_view prefix) {
  if (prefix.empty()) return Status::InvalidArgument("CompactPrefix needs a prefix");
  std::string begin(prefix), end = keys::PrefixSuccessor(prefix);
  if (end.empty()) return CompactAll();
  rocksdb::Slice b(begin), e(end);
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(db_->CompactRange(o, cf(c), &b, &e), "compact " + std::string(CfName(c)));
}

Status Store::CompactAll() {
  for (int c = 0; c < static_cast<int>(Cf::kCount); ++c) HOLO_RETURN_IF_ERROR(Compact(static_cast<Cf>(c)));
  return Status::OK();
}

Status Store::Compact(Cf c) {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(db_->CompactRange(o, cf(c), nullptr, nullptr), "compact " + std::string(CfName(c)));
}

}  // namespace holo::storage
