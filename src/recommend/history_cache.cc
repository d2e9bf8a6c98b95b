#include "recommend/history_cache.h"

namespace holo::recommend {

namespace {
// What an entry costs besides its touches: the map node, the list node, the vector.
constexpr size_t kEntryOverhead = 128;
}  // namespace

std::shared_ptr<const HistoryCache::History> HistoryCache::Get(uint64_t oneid, uint64_t generation, int64_t now_ms) {
  MutexLock lock(&mu_);
  auto it = entries_.find(oneid);
  if (it == entries_.end()) {
    ++misses_;
    return nullptr;
  }
  if (it->second.generation != generation || now_ms - it->second.stored_ms > ttl_ms_ || now_ms < it->second.stored_ms) {
    EraseLocked(it);
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  ++hits_;
  return it->second.history;
}

bool HistoryCache::Contains(uint64_t oneid, uint64_t generation, int64_t now_ms) const {
  MutexLock lock(&mu_);
  auto it = entries_.find(oneid);
  return it != entries_.end() && it->second.generation == generation && now_ms - it->second.stored_ms <= ttl_ms_ &&
         now_ms >= it->second.stored_ms;
}

void HistoryCache::Put(uint64_t oneid, uint64_t generation, std::shared_ptr<const History> history, int64_t now_ms,
                       uint64_t epoch) {
  const size_t bytes = kEntryOverhead + history->size() * sizeof(Touch);
  if (bytes > max_bytes_) return;
  MutexLock lock(&mu_);
  if (epoch_.load(std::memory_order_acquire) != epoch) return;  // a Forget ran meanwhile
  if (auto old = entries_.find(oneid); old != entries_.end()) EraseLocked(old);
  lru_.push_front(oneid);
  entries_.emplace(oneid, Entry{std::move(history), generation, now_ms, bytes, lru_.begin()});
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && !lru_.empty()) EraseLocked(entries_.find(lru_.back()));
}

void HistoryCache::Forget(const std::vector<uint64_t>& oneids, bool all) {
  MutexLock lock(&mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  if (all) {
    entries_.clear();
    lru_.clear();
    bytes_ = 0;
    return;
  }
  for (uint64_t oneid : oneids) {
    if (auto it = entries_.find(oneid); it != entries_.end()) EraseLocked(it);
  }
}

void HistoryCache::EraseLocked(std::unordered_map<uint64_t, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

uint16_t HistoryCache::VerbId(std::string_view verb) {
  const uint16_t n = verb_count_.load(std::memory_order_acquire);
  for (uint16_t i = 0; i < n; ++i) {
    if (verbs_[i] == verb) return i;
  }
  MutexLock lock(&verbs_mu_);
  const uint16_t now = verb_count_.load(std::memory_order_acquire);
  for (uint16_t i = n; i < now; ++i) {
    if (verbs_[i] == verb) return i;
  }
  if (now == kMaxVerbs) return kMaxVerbs - 1;
  verbs_[now] = std::string(verb);
  verb_count_.store(now + 1, std::memory_order_release);
  return now;
}

std::string_view HistoryCache::Verb(uint16_t id) const {
  return id < verb_count_.load(std::memory_order_acquire) ? std::string_view(verbs_[id]) : std::string_view("had");
}

HistoryCache::Stats HistoryCache::stats() const {
  MutexLock lock(&mu_);
  return {entries_.size(), bytes_, hits_, misses_};
}

}  // namespace holo::recommend
