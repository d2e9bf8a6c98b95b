// compact_meta: compacts the meta column family of a store, dropping the tombstones
// that deleted dirty marks leave behind. A diagnostic for bench/RESULTS.md: after a
// full resolution of a large store (millions of dirty marks deleted one by one), every
// incremental resolution's scan of the dirty marks skips those tombstones until
// RocksDB compacts them away. Not a fix (see RESULTS.md).
//
//   compact_meta DATA_DIR
#include <chrono>
#include <cstdio>

#include "storage/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: compact_meta DATA_DIR\n");
    return 2;
  }
  holo::storage::StoreOptions options;
  options.create_if_missing = false;
  auto store = holo::storage::Store::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "compact_meta: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  holo::Status s = (*store)->Compact(holo::storage::Cf::kMeta);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"compacted\":\"meta\",\"status\":\"%s\",\"seconds\":%.1f}\n", s.ToString().c_str(),
              secs);
  return s.ok() ? 0 : 1;
}
