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

// A sorted-neighbourhood key: the first 7 letters of `a` and 5 of `b`
// (normalised, a-z only), 5 bits each, so that records sort by a then b.
uint64_t SortCode(const std::string& a, const std::string& b) {
  uint64_t code = 0;
  auto put = [&](const std::string& s, int n) {
    int k = 0;
    for (char c : s) {
      if (k == n) break;
      if (c >= 'a' && c <= 'z') {
        code = (code << 5) | static_cast<uint64_t>(c - 'a' + 1);
        ++k;
      }
    }
    for (; k < n; ++k) code <<= 5;
  };
  put(a, 7);
  put(b, 5);
  return code;
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
  // Sorted-neighbourhood keys: the first two name fields (else string or text
  // fields), in config order.
  sort_columns_.clear();
  for (FieldType type : {FieldType::kName, FieldType::kString, FieldType::kText}) {
    for (const FieldConfig& f : config_.fields) {
      if (f.type != type || f.columns.empty() || sort_columns_.size() == 2) continue;
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == f.columns[0]) sort_columns_.push_back(static_cast<int>(i));
      }
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
  const std::string a = sort_columns_.empty() ? "" : NormalizeText(row[sort_columns_[0]]);
  const std::string b = sort_columns_.size() < 2 ? "" : NormalizeText(row[sort_columns_[1]]);
  out->sort[0] = SortCode(a, b);
  out->sort[1] = SortCode(b, a);
}

void BlockingIndex::AddKeys(uint8_t source, const RecordKeys& keys) {
  sources_.push_back(source);
  sort_keys_.push_back(keys.sort[0]);
  sort_keys_.push_back(keys.sort[1]);
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
  // Each record stands twice in a windowed block's list: twice the window
  // keeps `window` neighbours per sort order.
  window_ = static_cast<uint32_t>(std::min<uint64_t>(2 * config_.window, 1u << 20));
  if (chunk_pairs == 0) chunk_pairs = 1;
  const size_t n = sources_.size();
  // (key, record) for every key of every record, sorted: runs are blocks.
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> entries(rules_.size());
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = rules_[r];
    entries[r].reserve(rule.keys.size());
    for (uint32_t rec = 0; rec + 1 < rule.key_offsets.size(); ++rec) {
      for (uint32_t k = rule.key_offsets[rec]; k < rule.key_offsets[rec + 1]; ++k) {
        entries[r].emplace_back(rule.keys[k], rec);
      }
    }
    std::sort(entries[r].begin(), entries[r].end());
  }
  // The pair budget: the largest block size up to which all blocks of all
  // rules (keys = [] excepted) together stay within max_pairs_per_record.
  uint64_t size_limit = config_.max_block_size;
  if (config_.max_pairs_per_record > 0) {
    std::vector<uint64_t> sizes;
    for (size_t r = 0; r < rules_.size(); ++r) {
      // Only blocks that can be windowed count: the budget never skips.
      if (config_.blocking[r].empty() || rules_[r].multi_key || window_ == 0 ||
          sort_columns_.empty()) {
        continue;
      }
      const auto& e = entries[r];
      for (size_t i = 0; i < e.size();) {
        size_t j = i;
        while (j < e.size() && e[j].first == e[i].first) ++j;
        if (j - i >= 2 && j - i <= config_.max_block_size) sizes.push_back(j - i);
        i = j;
      }
    }
    std::sort(sizes.begin(), sizes.end());
    const double budget = static_cast<double>(config_.max_pairs_per_record) * static_cast<double>(n);
    double pairs = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      pairs += static_cast<double>(sizes[i]) * static_cast<double>(sizes[i] - 1) / 2;
      if (pairs > budget) {
        // Blocks of this size and above do not fit (ties stay together).
        size_limit = std::min<uint64_t>(size_limit, sizes[i] - 1);
        break;
      }
    }
  }
  uint64_t skipped_blocks = 0, skipped_records = 0, windowed_blocks = 0, windowed_records = 0;
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = rules_[r];
    const bool all_pairs = config_.blocking[r].empty();  // keys = [] means all pairs
    const bool can_window = window_ > 0 && !rule.multi_key && !sort_columns_.empty();
    const uint64_t limit = can_window ? size_limit : config_.max_block_size;
    const auto& e = entries[r];
    std::vector<uint64_t> removed_keys;  // skipped or windowed: no full-block share
    for (size_t i = 0; i < e.size();) {
      size_t j = i;
      while (j < e.size() && e[j].first == e[i].first) ++j;
      const uint64_t size = j - i;
      if (size > limit && !all_pairs) {
        removed_keys.push_back(e[i].first);
        if (can_window) {
          ++windowed_blocks;
          windowed_records += size;
          Window w;
          w.key = e[i].first;
          for (size_t k = i; k < j; ++k) {
            w.entries.push_back(e[k].second * 2);
            w.entries.push_back(e[k].second * 2 + 1);
          }
          std::sort(w.entries.begin(), w.entries.end(), [&](uint32_t x, uint32_t y) {
            const uint64_t kx = sort_keys_[x], ky = sort_keys_[y];  // entry = record * 2 + copy
            return kx != ky ? kx < ky : x < y;
          });
          if (rule.window_of.empty()) {
            rule.window_of.assign(n, 0);
            rule.pos[0].assign(n, 0);
            rule.pos[1].assign(n, 0);
          }
          rule.windows.push_back(std::move(w));
          const Window& added = rule.windows.back();
          for (uint32_t p = 0; p < added.entries.size(); ++p) {
            rule.pos[added.entries[p] & 1][added.entries[p] >> 1] = p;
            rule.window_of[added.entries[p] >> 1] = static_cast<uint32_t>(rule.windows.size());
          }
        } else {
          ++skipped_blocks;
          skipped_records += size;
        }
      } else if (size >= 2) {
        rule.block_starts.push_back(static_cast<uint32_t>(rule.records.size()));
        for (size_t k = i; k < j; ++k) rule.records.push_back(e[k].second);
        rule.block_ends.push_back(static_cast<uint32_t>(rule.records.size()));
        rule.block_keys.push_back(e[i].first);
      }
      i = j;
    }
    entries[r] = {};
    rule.records.shrink_to_fit();
    if (!removed_keys.empty()) {
      // Skipped or windowed keys put no pair together as a full block: drop
      // them from the per-record lists so that later rules do not defer to
      // them (windowed pairs are recognised by Near).
      std::sort(removed_keys.begin(), removed_keys.end());
      std::vector<uint32_t> offsets = {0};
      std::vector<uint64_t> keys;
      for (size_t rec = 0; rec + 1 < rule.key_offsets.size(); ++rec) {
        for (uint32_t k = rule.key_offsets[rec]; k < rule.key_offsets[rec + 1]; ++k) {
          if (!std::binary_search(removed_keys.begin(), removed_keys.end(), rule.keys[k])) {
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
          chunks_.push_back({static_cast<uint32_t>(r), b, begin, i + 1, 0});
          begin = i + 1;
          acc = 0;
        }
      }
      if (begin + 1 < size) chunks_.push_back({static_cast<uint32_t>(r), b, begin, size - 1, 0});
    }
    const uint32_t per_chunk =
        static_cast<uint32_t>(std::max<uint64_t>(1, chunk_pairs / std::max<uint32_t>(1, window_)));
    for (uint32_t w = 0; w < rule.windows.size(); ++w) {
      const uint32_t size = static_cast<uint32_t>(rule.windows[w].entries.size());
      for (uint32_t begin = 0; begin + 1 < size; begin += per_chunk) {
        chunks_.push_back(
            {static_cast<uint32_t>(r), w, begin, std::min(size - 1, begin + per_chunk), 1});
      }
    }
  }
  if (skipped_blocks > 0 && warnings != nullptr) {
    warnings->push_back(
        "blocking: skipped " + std::to_string(skipped_blocks) +
        " blocks larger than max_block_size=" + std::to_string(config_.max_block_size) + " (" +
        std::to_string(skipped_records) + " record slots)");
  }
  if (windowed_blocks > 0 && warnings != nullptr) {
    warnings->push_back("blocking: " + std::to_string(windowed_blocks) + " blocks larger than " +
                        std::to_string(size_limit) + " records (" +
                        std::to_string(windowed_records) +
                        " record slots) compared by sorted neighbourhood, window " +
                        std::to_string(config_.window));
  }
}

uint64_t BlockingIndex::Work(const Chunk& chunk) const {
  const Rule& rule = rules_[chunk.rule];
  if (chunk.order > 0) return static_cast<uint64_t>(chunk.end - chunk.begin) * window_;
  const uint64_t size = rule.block_ends[chunk.block] - rule.block_starts[chunk.block];
  const uint64_t count = chunk.end - chunk.begin;
  // sum over i in [begin, end) of (size - 1 - i)
  return count * (size - 1) - (static_cast<uint64_t>(chunk.begin) + chunk.end - 1) * count / 2;
}

bool BlockingIndex::Share(size_t r, uint32_t a, uint32_t b) const {
  return FirstShared(r, a, b) != 0 || Near(rules_[r], a, b);
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
