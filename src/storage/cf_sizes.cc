// cf_sizes (a storage tool, built as a bench target): the size of each column family of a store, for bench/RESULTS.md (the storage
// cost of an index, e.g. event_index). Opens the store read-only; a running writer is fine.
//
//   cf_sizes DATA_DIR    -> one line per column family: name, SST bytes, live-data estimate, keys
#include <rocksdb/compaction_filter.h>  // complete types for rocksdb_store.h
#include <rocksdb/db.h>

#include <cstdio>

#include "storage/rocksdb_store.h"
#include "storage/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cf_sizes DATA_DIR\n");
    return 2;
  }
  holo::storage::StoreOptions options;
  options.create_if_missing = false;
  options.read_only = true;
  auto store = holo::storage::Store::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "cf_sizes: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::printf("column_family\tsst_bytes\tlive_data_bytes\tkeys\n");
  for (int i = 0; i < static_cast<int>(holo::storage::Cf::kCount); ++i) {
    const auto cf = static_cast<holo::storage::Cf>(i);
    uint64_t sst = 0, live = 0, keys = 0;
    const auto& rocks = static_cast<const holo::storage::RocksStore&>(**store);  // Store::Open: RocksDB
    rocksdb::ColumnFamilyHandle* handle = rocks.cf(cf);
    rocks.db()->GetIntProperty(handle, "rocksdb.total-sst-files-size", &sst);
    rocks.db()->GetIntProperty(handle, "rocksdb.estimate-live-data-size", &live);
    rocks.db()->GetIntProperty(handle, "rocksdb.estimate-num-keys", &keys);
    const std::string_view name = holo::storage::CfName(cf);
    std::printf("%.*s\t%llu\t%llu\t%llu\n", static_cast<int>(name.size()), name.data(),
                static_cast<unsigned long long>(sst), static_cast<unsigned long long>(live),
                static_cast<unsigned long long>(keys));
  }
  return 0;
}
