// HugeVector: a vector backed, where the kernel agrees, by 2 MiB pages. Internal to identity/.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace holo::identity {

// Returns `n` copies of `value` in a buffer the kernel is asked to back with 2 MiB
// pages. Resolve's per-node arrays are written and read at random; with 4 KiB pages
// their page faults and TLB misses take about a third of its time on a whole graph
// (graph_loader.cc does the same for the loaded graph).
template <typename T>
std::vector<T> HugeVector(size_t n, T value) {
  std::vector<T> v;
  v.reserve(n);
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(v.data() + v.capacity()) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint
#endif
  v.assign(n, value);
  return v;
}

}  // namespace holo::identity
