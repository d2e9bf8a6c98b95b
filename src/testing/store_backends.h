// Stores for tests on both backends of storage::Store: the same test, parameterised by
// StoreBackend, runs on RocksDB and on the in-memory store.
//
//   class PeopleGraphTest : public ::testing::TestWithParam<holo::testing::StoreBackend> {
//     holo::testing::ScratchStore store_{GetParam(), "people_graph"};
//   };
//   INSTANTIATE_TEST_SUITE_P(Backends, PeopleGraphTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
//                            holo::testing::StoreBackendName);
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "storage/store.h"
#include "testing/test_util.h"

namespace holo::testing {

enum class StoreBackend { kRocksDb, kMemory };
inline constexpr StoreBackend kStoreBackends[] = {StoreBackend::kRocksDb, StoreBackend::kMemory};

// "RocksDb" or "Memory" (a test-name suffix). Takes any type with a `param` member
// (GoogleTest's TestParamInfo<StoreBackend>), or use the StoreBackend overload.
const char* StoreBackendName(StoreBackend backend);
template <typename ParamInfo>
std::string StoreBackendName(const ParamInfo& info) {
  return StoreBackendName(info.param);
}

// An empty store of `backend`: RocksDB in a fresh temporary directory (removed with this
// object), or in memory. Aborts the process when RocksDB cannot open (a broken test host).
class ScratchStore {
 public:
  ScratchStore(StoreBackend backend, const std::string& name);
  ~ScratchStore();
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;

  storage::Store* get() const { return store_.get(); }
  storage::Store* operator->() const { return store_.get(); }
  storage::Store& operator*() const { return *store_; }
  // Opens a second store on the same data: read-only beside the first for RocksDB; an
  // empty read-only store in memory (which shares nothing).
  std::unique_ptr<storage::Store> OpenReadOnly() const;
  StoreBackend backend() const { return backend_; }

 private:
  StoreBackend backend_;
  std::optional<TempDir> dir_;  // RocksDB only; outlives store_
  std::unique_ptr<storage::Store> store_;
};

}  // namespace holo::testing
