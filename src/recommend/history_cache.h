// People's recent histories as a served model's items, kept in memory between their
// recommendation requests: a request of someone asked for lately reads no event.
//
// An entry is dropped when the person's profile changes (Forget: the engine's profile
// rebuilds name the OneIDs they wrote — new events resolved, erasure, retention, identity
// changes), when it is older than `ttl_ms`, when another model is served (entries carry the
// model's generation), and least recently used first beyond `max_bytes`. A history read
// while a Forget ran is not kept (it may predate the change).
//
//   HistoryCache cache(256 << 20, 300000);
//   const uint64_t epoch = cache.Epoch();
//   auto h = cache.Get(oneid, generation, now_ms);
//   if (h == nullptr) { h = read...; cache.Put(oneid, generation, h, now_ms, epoch); }
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"

namespace holo::recommend {

class HistoryCache {
 public:
  struct Touch {
    int64_t ts_ms = 0;
    uint32_t item = 0;  // the served model's item index
    float weight = 1;
    uint16_t verb = 0;  // HistoryCache::Verb
  };
  using History = std::vector<Touch>;  // oldest first

  HistoryCache(size_t max_bytes, int64_t ttl_ms) : max_bytes_(max_bytes), ttl_ms_(ttl_ms) {}

  // The history kept for `oneid` under model `generation`, or null.
  std::shared_ptr<const History> Get(uint64_t oneid, uint64_t generation, int64_t now_ms) EXCLUDES(mu_);
  // Whether Get would find it (counts neither a hit nor a miss).
  bool Contains(uint64_t oneid, uint64_t generation, int64_t now_ms) const EXCLUDES(mu_);
  // Keeps `history` unless a Forget ran since `epoch` (Epoch() before it was read).
  void Put(uint64_t oneid, uint64_t generation, std::shared_ptr<const History> history, int64_t now_ms, uint64_t epoch)
      EXCLUDES(mu_);
  void Forget(const std::vector<uint64_t>& oneids, bool all) EXCLUDES(mu_);
  uint64_t Epoch() const { return epoch_.load(std::memory_order_acquire); }

  // Verbs ("bought", "viewed") as small numbers; kMaxVerbs distinct at most (the last one
  // stands for any further).
  static constexpr size_t kMaxVerbs = 64;
  uint16_t VerbId(std::string_view verb) EXCLUDES(verbs_mu_);
  std::string_view Verb(uint16_t id) const;

  struct Stats {
    uint64_t entries = 0, bytes = 0, hits = 0, misses = 0;
  };
  Stats stats() const EXCLUDES(mu_);

 private:
  struct Entry {
    std::shared_ptr<const History> history;
    uint64_t generation = 0;
    int64_t stored_ms = 0;
    size_t bytes = 0;
    std::list<uint64_t>::iterator lru;
  };
  void EraseLocked(std::unordered_map<uint64_t, Entry>::iterator it) REQUIRES(mu_);

  const size_t max_bytes_;
  const int64_t ttl_ms_;
  mutable Mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_ GUARDED_BY(mu_);
  std::list<uint64_t> lru_ GUARDED_BY(mu_);  // most recent first
  size_t bytes_ GUARDED_BY(mu_) = 0;
  uint64_t hits_ GUARDED_BY(mu_) = 0, misses_ GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> epoch_{0};

  Mutex verbs_mu_;
  std::array<std::string, kMaxVerbs> verbs_;  // [0, verb_count_) written once, then only read
  std::atomic<uint16_t> verb_count_{0};
};

}  // namespace holo::recommend
