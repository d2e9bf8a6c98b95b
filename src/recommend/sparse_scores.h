// Scores of a few items among n, every other item scoring 0: what a history raises through
// rows cut to their largest entries (Recommender::ScoreSparse), the cross-domain step's
// followers, the trending boost. Setting them costs the items touched, not n: a request
// scores in the time of its candidates.
//
//   thread_local SparseScores s;
//   s.Reset(n);            // all 0 (after the first call: only what the last use touched)
//   s.Add(j, 0.5f);
//   for (uint32_t j : s.items()) use(j, s[j]);
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace holo::recommend {

class SparseScores {
 public:
  void Reset(size_t n) {
    if (value_.size() != n) {
      value_.assign(n, 0.0f);
      in_.assign(n, 0);
      items_.assign(n + 1, 0);  // one slot past the last: Touch writes before it counts
    } else {
      for (size_t k = 0; k < count_; ++k) value_[items_[k]] = 0.0f, in_[items_[k]] = 0;
    }
    count_ = 0;
  }
  void Add(uint32_t j, float v) {
    Touch(j);
    value_[j] += v;
  }
  // The larger of its score and v.
  void Max(uint32_t j, float v) {
    Touch(j);
    value_[j] = std::max(value_[j], v);
  }
  float operator[](uint32_t j) const { return value_[j]; }
  bool touched(uint32_t j) const { return in_[j] != 0; }
  size_t size() const { return value_.size(); }
  // The items touched since Reset, in the order first touched.
  std::span<const uint32_t> items() const { return {items_.data(), count_}; }
  float MaxAbs() const {
    float m = 0;
    for (uint32_t j : items()) m = std::max(m, std::fabs(value_[j]));
    return m;
  }

 private:
  // Without a branch: a row's entries are new or not at random, which a branch mispredicts.
  void Touch(uint32_t j) {
    items_[count_] = j;
    count_ += in_[j] == 0;
    in_[j] = 1;
  }
  std::vector<float> value_;
  std::vector<uint8_t> in_;
  std::vector<uint32_t> items_;
  size_t count_ = 0;
};

}  // namespace holo::recommend
