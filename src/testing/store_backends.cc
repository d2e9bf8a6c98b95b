#include "testing/store_backends.h"

#include <cstdio>
#include <cstdlib>

namespace holo::testing {

const char* StoreBackendName(StoreBackend backend) {
  return backend == StoreBackend::kRocksDb ? "RocksDb" : "Memory";
}

ScratchStore::ScratchStore(StoreBackend backend, const std::string& name) : backend_(backend) {
  if (backend == StoreBackend::kMemory) {
    store_ = storage::Store::OpenInMemory();
    return;
  }
  dir_.emplace(name);
  auto store = storage::Store::Open(dir_->path() + "/db", storage::StoreOptions());
  if (!store.ok()) {
    std::fprintf(stderr, "ScratchStore: %s\n", store.status().ToString().c_str());
    std::abort();
  }
  store_ = std::move(*store);
}

ScratchStore::~ScratchStore() { store_.reset(); }

std::unique_ptr<storage::Store> ScratchStore::OpenReadOnly() const {
  storage::StoreOptions options;
  options.read_only = true;
  if (backend_ == StoreBackend::kMemory) return storage::Store::OpenInMemory(options);
  auto store = storage::Store::Open(dir_->path() + "/db", options);
  return store.ok() ? std::move(*store) : nullptr;
}

}  // namespace holo::testing
