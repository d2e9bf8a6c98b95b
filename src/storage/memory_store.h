// MemoryStore: the in-memory backend of Store, for tests (Store::OpenInMemory). One
// ordered map per column family under one lock; a batch applies whole or not at all;
// kNodes/kEdges merge eagerly with StatsRecord::Merge; Compact drops what retention
// expires from kEvents and kVault, as RocksStore's compaction filter does. Private to
// storage/.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/thread_annotations.h"
#include "storage/store.h"

namespace holo::storage {

// WriteBatch's representation for a MemoryStore: the operations, in order.
struct MemoryBatch {
  enum class Kind : uint8_t { kPut, kDelete, kDeleteRange, kMerge };
  struct Op {
    Kind kind;
    Cf cf;
    std::string key;
    std::string value;  // kDeleteRange: the end of the range
  };
  std::vector<Op> ops;
};

class MemoryStore final : public Store {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;

  explicit MemoryStore(bool read_only);

  Status Write(WriteBatch* batch, bool sync) override;
  Result<std::optional<std::string>> Get(Cf c, std::string_view key) const override;
  Result<std::vector<std::optional<std::string>>> MultiGet(
      Cf c, std::span<const std::string_view> keys) const override;
  std::unique_ptr<Cursor> NewCursor(Cf c, const ScanOptions& options) const override;
  Status SyncWal() override;
  uint64_t EstimateKeys(Cf c) const override;
  Status Compact(Cf c) override;
  Status CompactPrefix(Cf c, std::string_view prefix) override;

 private:
  // What a failed batch undoes: the value `key` of `cf` had before (nullopt: absent).
  struct Undo {
    Cf cf;
    std::string key;
    std::optional<std::string> old;
  };
  // Returns the map of `c` for writing: copied first if a cursor shares it (the
  // cursor keeps the view it was created with).
  Map& Mutable(Cf c) REQUIRES(mu_);
  // Applies one operation, recording in `undo` what it changed.
  Status Apply(const MemoryBatch::Op& op, std::vector<Undo>* undo) REQUIRES(mu_);
  // Erases the keys of kEvents/kVault in [begin, end) (end empty: to the last) that
  // retention expires.
  Status DropExpired(Cf c, std::string_view begin, std::string_view end);

  mutable SharedMutex mu_;
  // Shared with the cursors created since the last write to the column family.
  std::array<std::shared_ptr<Map>, static_cast<size_t>(Cf::kCount)> maps_ GUARDED_BY(mu_);
};

}  // namespace holo::storage
