#include "storage/memory_store.h"

#include <iterator>
#include <utility>

#include "storage/keys.h"

namespace holo::storage {
namespace {

constexpr std::string_view kMemoryPath = ":memory:";

// A Cursor over a snapshot of one column family's map: the shared_ptr keeps the map
// alive and unchanged (writers copy a map a cursor shares) while the cursor lives.
class MemoryCursor final : public Cursor {
 public:
  MemoryCursor(std::shared_ptr<const MemoryStore::Map> map, const ScanOptions& options)
      : map_(std::move(map)), upper_(options.upper_bound), it_(map_->end()) {}

  void Seek(std::string_view target) override {
    it_ = map_->lower_bound(target);
    Load();
  }
  void SeekForPrev(std::string_view target) override {
    it_ = map_->upper_bound(target);
    StepBack();
  }
  void SeekToFirst() override {
    it_ = map_->begin();
    Load();
  }
  void Next() override {
    ++it_;
    Load();
  }
  void Prev() override { StepBack(); }
  Status status() const override { return Status::OK(); }

 private:
  // Moves to the entry before it_ (invalid at the front).
  void StepBack() {
    if (it_ == map_->begin()) {
      it_ = map_->end();
      valid_ = false;
      return;
    }
    --it_;
    Load();
  }
  void Load() {
    valid_ = it_ != map_->end() && (upper_.empty() || it_->first < upper_);
    if (!valid_) return;
    key_ = it_->first;
    value_ = it_->second;
  }

  const std::shared_ptr<const MemoryStore::Map> map_;
  const std::string upper_;
  MemoryStore::Map::const_iterator it_;
};

}  // namespace

std::unique_ptr<Store> Store::OpenInMemory(const StoreOptions& options) {
  return std::make_unique<MemoryStore>(options.read_only);
}

MemoryStore::MemoryStore(bool read_only) : Store(std::string(kMemoryPath), read_only) {
  WriterLock lock(&mu_);
  for (auto& map : maps_) map = std::make_shared<Map>();
}

MemoryStore::Map& MemoryStore::Mutable(Cf c) {
  std::shared_ptr<Map>& map = maps_[static_cast<int>(c)];
  if (map.use_count() > 1) map = std::make_shared<Map>(*map);
  return *map;
}

Status MemoryStore::Apply(const MemoryBatch::Op& op, std::vector<Undo>* undo) {
  Map& map = Mutable(op.cf);
  auto remember = [&](Map::iterator it, const std::string& key) {
    undo->push_back({op.cf, key, it == map.end() ? std::nullopt : std::optional<std::string>(it->second)});
  };
  switch (op.kind) {
    case MemoryBatch::Kind::kPut: {
      auto it = map.find(op.key);
      remember(it, op.key);
      if (it == map.end()) {
        map.emplace(op.key, op.value);
      } else {
        it->second = op.value;
      }
      return Status::OK();
    }
    case MemoryBatch::Kind::kDelete: {
      auto it = map.find(op.key);
      if (it == map.end()) return Status::OK();
      remember(it, op.key);
      map.erase(it);
      return Status::OK();
    }
    case MemoryBatch::Kind::kDeleteRange: {
      auto it = map.lower_bound(op.key);
      while (it != map.end() && it->first < op.value) {
        remember(it, it->first);
        it = map.erase(it);
      }
      return Status::OK();
    }
    case MemoryBatch::Kind::kMerge: {
      if (op.cf != Cf::kNodes && op.cf != Cf::kEdges) {
        return Status::InvalidArgument("merge into column family " + std::string(CfName(op.cf)) +
                                       ", which has no merge operator");
      }
      auto it = map.find(op.key);
      remember(it, op.key);
      std::string merged;
      if (it == map.end()) {
        if (!StatsRecord::Merge(nullptr, op.value, &merged)) return Status::DataLoss("merge: corrupt stats record");
        map.emplace(op.key, std::move(merged));
      } else {
        const std::string_view existing = it->second;
        if (!StatsRecord::Merge(&existing, op.value, &merged)) return Status::DataLoss("merge: corrupt stats record");
        it->second = std::move(merged);
      }
      return Status::OK();
    }
  }
  return Status::Internal("unknown batch operation");
}

Status MemoryStore::Write(WriteBatch* batch, bool /*sync*/) {
  HOLO_RETURN_IF_ERROR(CheckWritable("write"));
  if (batch->memory_ == nullptr) return Status::InvalidArgument("store " + path() + ": a batch built for another store");
  WriterLock lock(&mu_);
  std::vector<Undo> undo;
  for (const MemoryBatch::Op& op : batch->memory_->ops) {
    Status s = Apply(op, &undo);
    if (s.ok()) continue;
    // All or nothing: put back what the batch changed, newest first.
    for (auto u = undo.rbegin(); u != undo.rend(); ++u) {
      Map& map = Mutable(u->cf);
      if (u->old.has_value()) {
        map.insert_or_assign(std::move(u->key), std::move(*u->old));
      } else {
        map.erase(u->key);
      }
    }
    return s;
  }
  return Status::OK();
}

Result<std::optional<std::string>> MemoryStore::Get(Cf c, std::string_view key) const {
  ReaderLock lock(&mu_);
  const Map& map = *maps_[static_cast<int>(c)];
  auto it = map.find(key);
  if (it == map.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<std::vector<std::optional<std::string>>> MemoryStore::MultiGet(
    Cf c, std::span<const std::string_view> keys) const {
  ReaderLock lock(&mu_);
  const Map& map = *maps_[static_cast<int>(c)];
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = map.find(keys[i]);
    if (it != map.end()) out[i] = it->second;
  }
  return out;
}

std::unique_ptr<Cursor> MemoryStore::NewCursor(Cf c, const ScanOptions& options) const {
  std::shared_ptr<const Map> snapshot;
  {
    ReaderLock lock(&mu_);
    snapshot = maps_[static_cast<int>(c)];
  }
  return std::make_unique<MemoryCursor>(std::move(snapshot), options);
}

Status MemoryStore::SyncWal() { return CheckWritable("sync WAL"); }

uint64_t MemoryStore::EstimateKeys(Cf c) const {
  ReaderLock lock(&mu_);
  return maps_[static_cast<int>(c)]->size();
}

Status MemoryStore::DropExpired(Cf c, std::string_view begin, std::string_view end) {
  HOLO_RETURN_IF_ERROR(CheckWritable("compaction"));
  // As RocksStore: the retention filter is set on these column families only.
  if (c != Cf::kEvents && c != Cf::kVault && c != Cf::kEventIndex) return Status::OK();
  if (retention().empty()) return Status::OK();
  WriterLock lock(&mu_);
  Map& map = Mutable(c);
  for (auto it = map.lower_bound(begin); it != map.end() && (end.empty() || it->first < end);) {
    it = retention().ExpiresRecord(it->second) ? map.erase(it) : std::next(it);
  }
  return Status::OK();
}

Status MemoryStore::Compact(Cf c) { return DropExpired(c, "", ""); }

Status MemoryStore::CompactPrefix(Cf c, std::string_view prefix) {
  if (prefix.empty()) return Status::InvalidArgument("CompactPrefix needs a prefix");
  const std::string end = keys::PrefixSuccessor(prefix);
  return DropExpired(c, prefix, end);
}

}  // namespace holo::storage
