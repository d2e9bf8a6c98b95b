// WriteBatch: appends to RocksDB's serialized batch for a RocksStore, to a list of
// operations for a MemoryStore. A branch per operation, no virtual call.
#include <rocksdb/write_batch.h>

#include "storage/memory_store.h"
#include "storage/store.h"

namespace holo::storage {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

WriteBatch::WriteBatch(const Store& store) {
  if (store.rocks_handles_ != nullptr) {
    owned_ = std::make_unique<rocksdb::WriteBatch>();
    rocks_ = owned_.get();
    handles_ = store.rocks_handles_;
  } else {
    memory_ = std::make_unique<MemoryBatch>();
  }
}

WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&& other) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&& other) noexcept = default;

void WriteBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  if (rocks_ != nullptr) {
    rocks_->Put(handles_[static_cast<int>(cf)], ToSlice(key), ToSlice(value)).PermitUncheckedError();
  } else {
    memory_->ops.push_back({MemoryBatch::Kind::kPut, cf, std::string(key), std::string(value)});
  }
}

void WriteBatch::Delete(Cf cf, std::string_view key) {
  if (rocks_ != nullptr) {
    rocks_->Delete(handles_[static_cast<int>(cf)], ToSlice(key)).PermitUncheckedError();
  } else {
    memory_->ops.push_back({MemoryBatch::Kind::kDelete, cf, std::string(key), std::string()});
  }
}

void WriteBatch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  if (rocks_ != nullptr) {
    rocks_->DeleteRange(handles_[static_cast<int>(cf)], ToSlice(begin), ToSlice(end)).PermitUncheckedError();
  } else {
    memory_->ops.push_back({MemoryBatch::Kind::kDeleteRange, cf, std::string(begin), std::string(end)});
  }
}

void WriteBatch::Merge(Cf cf, std::string_view key, std::string_view value) {
  if (rocks_ != nullptr) {
    rocks_->Merge(handles_[static_cast<int>(cf)], ToSlice(key), ToSlice(value)).PermitUncheckedError();
  } else {
    memory_->ops.push_back({MemoryBatch::Kind::kMerge, cf, std::string(key), std::string(value)});
  }
}

uint32_t WriteBatch::Count() const {
  return rocks_ != nullptr ? rocks_->Count() : static_cast<uint32_t>(memory_->ops.size());
}

void WriteBatch::Clear() {
  if (rocks_ != nullptr) {
    rocks_->Clear();
  } else {
    memory_->ops.clear();
  }
}

}  // namespace holo::storage
