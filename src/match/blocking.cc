#include "match/blocking.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <unordered_set>

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
  if (t == "suffix4") {
    std::string d = DigitsOf(value);
    if (d.size() < 4) return {};
    return {d.substr(d.size() - 4)};
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

Result<std::vector<RecordPair>> BuildCandidatePairs(const MatchConfig& config,
                                                    const std::vector<const CsvTable*>& tables,
                                                    std::vector<std::string>* warnings,
                                                    std::vector<uint8_t>* first_rule) {
  if (config.blocking.size() > 255) return Status::InvalidArgument("at most 255 blocking rules");
  const bool link = tables.size() == 2;
  std::unordered_set<uint64_t> seen;
  std::vector<RecordPair> pairs;
  std::vector<uint8_t> rules;
  uint64_t skipped_blocks = 0, skipped_records = 0;
  for (size_t r = 0; r < config.blocking.size(); ++r) {
    const auto& rule = config.blocking[r];
    // key -> records per source
    std::unordered_map<std::string, std::array<std::vector<uint32_t>, 2>> blocks;
    uint32_t base = 0;
    for (size_t s = 0; s < tables.size(); ++s) {
      const CsvTable& table = *tables[s];
      std::vector<int> cols;
      for (const BlockingKey& k : rule) {
        int c = table.ColumnIndex(k.column);
        if (c < 0) return Status::InvalidArgument("blocking column '" + k.column + "' not found");
        cols.push_back(c);
      }
      for (size_t row = 0; row < table.rows.size(); ++row) {
        std::vector<std::string> keys = {""};
        for (size_t k = 0; k < rule.size() && !keys.empty(); ++k) {
          std::vector<std::string> parts =
              TransformKey(NormalizeText(table.rows[row][cols[k]]), rule[k].transform);
          std::vector<std::string> next;
          for (const auto& prefix : keys) {
            for (const auto& p : parts) next.push_back(prefix + p + '\x1f');
          }
          keys = std::move(next);
        }
        for (const auto& key : keys) blocks[key][s].push_back(base + static_cast<uint32_t>(row));
      }
      base += static_cast<uint32_t>(table.rows.size());
    }
    for (auto& [key, members] : blocks) {
      uint64_t size = members[0].size() + members[1].size();
      if (size > config.max_block_size && !rule.empty()) {  // keys = [] means all pairs
        ++skipped_blocks;
        skipped_records += size;
        continue;
      }
      auto add = [&](uint32_t a, uint32_t b) {
        if (a > b) std::swap(a, b);
        if (a == b) return;
        if (seen.insert((static_cast<uint64_t>(a) << 32) | b).second) {
          pairs.emplace_back(a, b);
          rules.push_back(static_cast<uint8_t>(r));
        }
      };
      if (link) {
        for (uint32_t a : members[0]) {
          for (uint32_t b : members[1]) add(a, b);
        }
      } else {
        const auto& m = members[0];
        for (size_t i = 0; i < m.size(); ++i) {
          for (size_t j = i + 1; j < m.size(); ++j) add(m[i], m[j]);
        }
      }
    }
  }
  if (skipped_blocks > 0 && warnings != nullptr) {
    warnings->push_back("blocking: skipped " + std::to_string(skipped_blocks) +
                        " blocks larger than max_block_size=" +
                        std::to_string(config.max_block_size) + " (" +
                        std::to_string(skipped_records) + " record slots)");
  }
  std::vector<size_t> order(pairs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return pairs[x] < pairs[y]; });
  std::vector<RecordPair> sorted;
  sorted.reserve(pairs.size());
  if (first_rule != nullptr) first_rule->clear();
  for (size_t i : order) {
    sorted.push_back(pairs[i]);
    if (first_rule != nullptr) first_rule->push_back(rules[i]);
  }
  return sorted;
}

}  // namespace holo::match
