// Blocking: candidate pairs are the record pairs that share a key under at
// least one rule (rules are OR-ed, the keys of a rule AND-ed). Blocks with more
// than max_block_size records are skipped with a warning.
//
// BlockingIndex keeps, per rule, every record's key hashes (filled while the
// input is read, so raw rows need not be kept) and the records sorted by key.
// Each candidate pair is produced exactly once without a global "seen" set: a
// pair found under rule r is dropped when an earlier rule (whose block was not
// skipped) also puts it together, or when under rule r it shares a smaller key
// (multi-key transforms such as "tokens"). Enumeration is cut into chunks of
// bounded size that threads can process independently and that always come
// out in the same order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "holo/result.h"
#include "match/config.h"

namespace holo::match {

using RecordPair = std::pair<uint32_t, uint32_t>;  // indices into the record list, first < second

// Applies `transform` to a normalised value; may return several keys
// ("tokens") or none (empty value).
std::vector<std::string> TransformKey(const std::string& value, const std::string& transform);

class BlockingIndex {
 public:
  // A slice of the enumeration: block `block` of rule `rule`, outer positions
  // [begin, end) of that block.
  struct Chunk {
    uint32_t rule = 0;
    uint32_t block = 0;
    uint32_t begin = 0, end = 0;
    // 0: a full block; 1: positions [begin, end) of windowed block `block`'s list.
    uint32_t order = 0;
  };

  explicit BlockingIndex(const MatchConfig& config)
      : config_(config), rules_(config.blocking.size()) {}

  // Resolves the blocking columns against the header of an input; call before
  // adding that input's records.
  Status SetHeader(const std::vector<std::string>& header);

  // The key hashes of one record under every rule: rule r's are
  // hashes[ends[r-1], ends[r]).
  struct RecordKeys {
    std::vector<uint64_t> hashes;
    std::vector<uint32_t> ends;
    uint64_t sort[2] = {0, 0};  // sorted-neighbourhood keys (see SortCode)
  };

  // Computes a row's keys (under the columns of the last SetHeader).
  // Thread-safe: may run in parallel between SetHeader and AddKeys calls.
  void KeysOf(const std::vector<std::string>& row, RecordKeys* out) const;

  // Adds the next record (numbered consecutively from 0) from input `source`.
  void AddKeys(uint8_t source, const RecordKeys& keys);
  void AddRecord(uint8_t source, const std::vector<std::string>& row);

  // Groups records into blocks, drops blocks above max_block_size and cuts the
  // enumeration into chunks of about `chunk_pairs` pairs. Call once after the
  // last AddRecord. `linkage`: only pairs across the two inputs are candidates.
  void Finish(bool linkage, uint64_t chunk_pairs, std::vector<std::string>* warnings);

  const std::vector<Chunk>& chunks() const { return chunks_; }
  // Returns the number of record pairs the chunk looks at (candidates or not).
  uint64_t Work(const Chunk& chunk) const;
  size_t num_records() const { return sources_.size(); }

  // Returns a bit mask of the rules (bit r, r < 32) whose kept blocks put a and
  // b together: a pair is a candidate once (for its first rule) but belongs to
  // every rule's sample when each rule's model is trained. Thread-safe after
  // Finish.
  uint32_t RulesHolding(uint32_t a, uint32_t b) const;

  // Calls visit(a, b) with a < b for every candidate pair of the chunk that no
  // other chunk produces. Thread-safe (const) after Finish.
  template <typename Visit>
  void ForEachPair(const Chunk& chunk, Visit&& visit) const;

 private:
  // A block too large to compare in full, compared by sorted neighbourhood:
  // every record twice, once under each sort key (first name field then
  // second, and the other way round), in one list, so that a record whose two
  // names were swapped sorts next to the record it matches.
  struct Window {
    uint64_t key = 0;
    std::vector<uint32_t> entries;  // record * 2 + copy, sorted by that copy's key
  };
  struct Rule {
    std::vector<Window> windows;
    // Per record: the windowed block it is in (index + 1; 0 = none) and the
    // positions of its two copies in that block's list.
    std::vector<uint32_t> window_of, pos[2];
    std::vector<int> columns;                 // per key, in the current input
    std::vector<uint32_t> key_offsets = {0};  // per record: [off[r], off[r+1]) in keys
    std::vector<uint64_t> keys;               // sorted, unique per record
    // Kept blocks (2..max_block_size records): block b holds
    // records[block_starts[b], block_ends[b]) in increasing order.
    std::vector<uint32_t> records;
    std::vector<uint32_t> block_starts;
    std::vector<uint32_t> block_ends;
    std::vector<uint64_t> block_keys;
    bool multi_key = false;  // some record has several keys
  };

  // True when records a and b share a kept key under rule r, or are within
  // the window of one windowed block.
  bool Share(size_t r, uint32_t a, uint32_t b) const;
  // True when a copy of a and a copy of b are within window_ positions in the
  // list of one windowed block of rule r.
  bool Near(const Rule& rule, uint32_t a, uint32_t b) const {
    if (rule.window_of.empty() || rule.window_of[a] == 0 || rule.window_of[a] != rule.window_of[b]) {
      return false;
    }
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        const uint32_t x = rule.pos[i][a], y = rule.pos[j][b];
        if ((x > y ? x - y : y - x) <= window_) return true;
      }
    }
    return false;
  }
  // True when list positions (p, q), p < q, are the first of the copy pairs of
  // a and b that lie within the window (smallest first position, then second):
  // the one place the pair is produced.
  bool FirstNear(const Rule& rule, uint32_t a, uint32_t b, uint32_t p, uint32_t q) const {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        uint32_t x = rule.pos[i][a], y = rule.pos[j][b];
        if (x > y) std::swap(x, y);
        if (y - x > window_) continue;
        if (x < p || (x == p && y < q)) return false;
      }
    }
    return true;
  }
  // The smallest kept key that a and b share under rule r (0 if none).
  uint64_t FirstShared(size_t r, uint32_t a, uint32_t b) const;
  // Whether the pair belongs to this chunk's rule and key (see the file comment).
  bool Owns(size_t r, uint64_t key, uint32_t a, uint32_t b) const;

  const MatchConfig& config_;
  std::vector<Rule> rules_;
  std::vector<uint8_t> sources_;
  std::vector<uint64_t> sort_keys_;  // 2 per record
  std::vector<int> sort_columns_;    // up to 2 columns the sort keys are made of
  std::vector<Chunk> chunks_;
  bool linkage_ = false;
  uint32_t window_ = 0;
};

template <typename Visit>
void BlockingIndex::ForEachPair(const Chunk& chunk, Visit&& visit) const {
  const Rule& rule = rules_[chunk.rule];
  if (chunk.order > 0) {
    const std::vector<uint32_t>& list = rule.windows[chunk.block].entries;
    for (uint32_t i = chunk.begin; i < chunk.end; ++i) {
      const uint32_t end = static_cast<uint32_t>(std::min<size_t>(list.size(), i + 1 + window_));
      for (uint32_t j = i + 1; j < end; ++j) {
        uint32_t a = list[i] >> 1, b = list[j] >> 1;
        if (a == b) continue;
        if (linkage_ && sources_[a] == sources_[b]) continue;
        if (!FirstNear(rule, a, b, i, j)) continue;  // produced at another place of the list
        if (a > b) std::swap(a, b);
        bool earlier = false;
        for (size_t r = 0; r < chunk.rule && !earlier; ++r) earlier = Share(r, a, b);
        if (!earlier) visit(a, b);
      }
    }
    return;
  }
  const uint32_t start = rule.block_starts[chunk.block], end = rule.block_ends[chunk.block];
  const uint64_t key = rule.block_keys[chunk.block];
  for (uint32_t i = start + chunk.begin; i < start + chunk.end; ++i) {
    const uint32_t a = rule.records[i];
    for (uint32_t j = i + 1; j < end; ++j) {
      const uint32_t b = rule.records[j];
      if (linkage_ && sources_[a] == sources_[b]) continue;
      if (!Owns(chunk.rule, key, a, b)) continue;
      visit(a, b);  // records of a block are in increasing order: a < b
    }
  }
}

}  // namespace holo::match
