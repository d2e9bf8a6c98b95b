#include "match/blocking.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>

#include "match/comparators.h"

namespace holo::match {

std::vector<std::string> TransformKey(const std::string& value, const std::string& t) {
  if (value.empty()) return {};
  if (t.empty() || t == "lower") return {value};
  if (t == "soundex") {
    std::string s = Soundex(value);
    if (s.empty()) return {};
    return {s};
  }
  if (t == "year") {
    // The first run of four digits.
    for (size_t i = 0; i + 4 <= value.size(); ++i) {
      bool ok = true;
      for (size_t k = 0; k < 4 && ok; ++k) ok = value[i + k] >= '0' && value[i + k] <= '9';
      if (ok) return {value.substr(i, 4)};
    }
    return {};
  }
  if (t == "digits") {
    std::string d = DigitsOf(value);
    if (d.empty()) return {};
    return {d};
  }
  if (t.rfind("suffix", 0) == 0) {
    // The last N digits ("suffix7": a phone number without its area code).
    const size_t n = static_cast<size_t>(std::stoul(t.substr(6)));
    std::string d = DigitsOf(value);
    if (d.size() < n) return {};
    return {d.substr(d.size() - n)};
  }
  if (t == "number") {
    // The first run of digits (a house number).
    size_t b = value.find_first_of("0123456789");
    if (b == std::string::npos) return {};
    size_t e = value.find_first_not_of("0123456789", b);
    return {value.substr(b, e == std::string::npos ? std::string::npos : e - b)};
  }
  if (t == "tokens") {
    std::vector<std::string> out;
    for (std::string& tok : Tokenize(value)) {
      if (tok.size() >= 4) out.push_back(std::move(tok));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  if (t.rfind("prefix", 0) == 0) {
    size_t n = static_cast<size_t>(std::stoul(t.substr(6)));
    std::u32string cps = DecodeUtf8(value);
    if (cps.size() > n) cps.resize(n);
    return {EncodeUtf8(cps)};
  }
  return {};
}

namespace {

// FNV-1a over the key text, finished with a SplitMix64 step; never 0 (0 means
// "no key" in FirstShared).
uint64_t HashKey(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h == 0 ? 1 : h;
}

}  // namespace

Status BlockingIndex::SetHeader(const std::vector<std::string>& header) {
  if (config_.blocking.size() > 255) return Status::InvalidArgument("at most 255 blocking rules");
  for (size_t r = 0; r < rules_.size(); ++r) {
    rules_[r].columns.clear();
    for (const BlockingKey& k : config_.blocking[r]) {
      int c = -1;
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == k.column) c = static_cast<int>(i);
      }
      if (c < 0) return Status::InvalidArgument("blocking column '" + k.column + "' not found");
      rules_[r].columns.push_back(c);
    }
  }
  return Status::OK();
}

void BlockingIndex::KeysOf(const std::vector<std::string>& row, RecordKeys* out) const {
  out->hashes.clear();
  out->ends.clear();
  std::vector<std::string> keys, next;
  for (size_t r = 0; r < rules_.size(); ++r) {
    const Rule& rule = rules_[r];
    const auto& spec = config_.blocking[r];
    keys.assign(1, "");
    for (size_t k = 0; k < spec.size() && !keys.empty(); ++k) {
      std::vector<std::string> parts =
          TransformKey(NormalizeText(row[rule.columns[k]]), spec[k].transform);
      next.clear();
      for (const auto& prefix : keys) {
        for (const auto& p : parts) next.push_back(prefix + p + '\x1f');
      }
      keys.swap(next);
    }
    const size_t begin = out->hashes.size();
    for (const auto& key : keys) out->hashes.push_back(HashKey(key));
    std::sort(out->hashes.begin() + static_cast<std::ptrdiff_t>(begin), out->hashes.end());
    out->hashes.erase(
        std::unique(out->hashes.begin() + static_cast<std::ptrdiff_t>(begin), out->hashes.end()),
        out->hashes.end());
    out->ends.push_back(static_cast<uint32_t>(out->hashes.size()));
  }
}

void BlockingIndex::AddKeys(uint8_t source, const RecordKeys& keys) {
  sources_.push_back(source);
  uint32_t begin = 0;
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = rules_[r];
    const uint32_t end = keys.ends[r];
    if (end - begin > 1) rule.multi_key = true;
    rule.keys.insert(rule.keys.end(), keys.hashes.begin() + begin, keys.hashes.begin() + end);
    rule.key_offsets.push_back(static_cast<uint32_t>(rule.keys.size()));
    begin = end;
  }
}

void BlockingIndex::AddRecord(uint8_t source, const std::vector<std::string>& row) {
  RecordKeys keys;
  KeysOf(row, &keys);
  AddKeys(source, keys);
}

void BlockingIndex::Finish(bool linkage, uint64_t chunk_pairs, std::vector<std::string>* warnings) {
  linkage_ = linkage;
  if (chunk_pairs == 0) chunk_pairs = 1;
  uint64_t skipped_blocks = 0, skipped_records = 0;
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = rules_[r];
    const bool all_pairs = config_.blocking[r].empty();  // keys = [] means all pairs
    // (key, record) for every key of every record, sorted: runs are blocks.
    std::vector<std::pair<uint64_t, uint32_t>> entries;
    entries.reserve(rule.keys.size());
    for (uint32_t rec = 0; rec + 1 < rule.key_offsets.size(); ++rec) {
      for (uint32_t k = rule.key_offsets[rec]; k < rule.key_offsets[rec + 1]; ++k) {
        entries.emplace_back(rule.keys[k], rec);
      }
    }
    std::sort(entries.begin(), entries.end());
    std::vector<uint64_t> skipped_keys;
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      while (j < entries.size() && entries[j].first == entries[i].first) ++j;
      const uint64_t size = j - i;
      if (size > config_.max_block_size && !all_pairs) {
        ++skipped_blocks;
        skipped_records += size;
        skipped_keys.push_back(entries[i].first);
      } else if (size >= 2) {
        rule.block_starts.push_back(static_cast<uint32_t>(rule.records.size()));
        for (size_t k = i; k < j; ++k) rule.records.push_back(entries[k].second);
        rule.block_ends.push_back(static_cast<uint32_t>(rule.records.size()));
        rule.block_keys.push_back(entries[i].first);
      }
      i = j;
    }
    entries = {};
    rule.records.shrink_to_fit();
    if (!skipped_keys.empty()) {
      // Skipped keys put no pair together: drop them from the per-record lists
      // so that later rules do not defer to them.
      std::vector<uint32_t> offsets = {0};
      std::vector<uint64_t> keys;
      for (size_t rec = 0; rec + 1 < rule.key_offsets.size(); ++rec) {
        for (uint32_t k = rule.key_offsets[rec]; k < rule.key_offsets[rec + 1]; ++k) {
          if (!std::binary_search(skipped_keys.begin(), skipped_keys.end(), rule.keys[k])) {
            keys.push_back(rule.keys[k]);
          }
        }
        offsets.push_back(static_cast<uint32_t>(keys.size()));
      }
      rule.keys.swap(keys);
      rule.key_offsets.swap(offsets);
    }
    for (uint32_t b = 0; b < rule.block_starts.size(); ++b) {
      const uint32_t size = rule.block_ends[b] - rule.block_starts[b];
      uint32_t begin = 0;
      uint64_t acc = 0;
      for (uint32_t i = 0; i + 1 < size; ++i) {
        acc += size - 1 - i;
        if (acc >= chunk_pairs) {
          chunks_.push_back({static_cast<uint32_t>(r), b, begin, i + 1});
          begin = i + 1;
          acc = 0;
        }
      }
      if (begin + 1 < size) chunks_.push_back({static_cast<uint32_t>(r), b, begin, size - 1});
    }
  }
  if (skipped_blocks > 0 && warnings != nullptr) {
    warnings->push_back(
        "blocking: skipped " + std::to_string(skipped_blocks) +
        " blocks larger than max_block_size=" + std::to_string(config_.max_block_size) + " (" +
        std::to_string(skipped_records) + " record slots)");
  }
}

uint64_t BlockingIndex::Work(const Chunk& chunk) const {
  const Rule& rule = rules_[chunk.rule];
  const uint64_t size = rule.block_ends[chunk.block] - rule.block_starts[chunk.block];
  const uint64_t count = chunk.end - chunk.begin;
  // sum over i in [begin, end) of (size - 1 - i)
  return count * (size - 1) - (static_cast<uint64_t>(chunk.begin) + chunk.end - 1) * count / 2;
}

bool BlockingIndex::Share(size_t r, uint32_t a, uint32_t b) const {
  return FirstShared(r, a, b) != 0;
}

uint64_t BlockingIndex::FirstShared(size_t r, uint32_t a, uint32_t b) const {
  const Rule& rule = rules_[r];
  uint32_t i = rule.key_offsets[a], ie = rule.key_offsets[a + 1];
  uint32_t j = rule.key_offsets[b], je = rule.key_offsets[b + 1];
  while (i < ie && j < je) {
    if (rule.keys[i] == rule.keys[j]) return rule.keys[i];
    if (rule.keys[i] < rule.keys[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return 0;
}

uint32_t BlockingIndex::RulesHolding(uint32_t a, uint32_t b) const {
  uint32_t mask = 0;
  for (size_t r = 0; r < rules_.size() && r < 32; ++r) {
    if (Share(r, a, b)) mask |= uint32_t{1} << r;
  }
  return mask;
}

bool BlockingIndex::Owns(size_t r, uint64_t key, uint32_t a, uint32_t b) const {
  for (size_t earlier = 0; earlier < r; ++earlier) {
    if (Share(earlier, a, b)) return false;
  }
  return !rules_[r].multi_key || FirstShared(r, a, b) == key;
}

}  // namespace holo::match
