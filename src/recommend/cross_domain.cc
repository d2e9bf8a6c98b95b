#include "recommend/cross_domain.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "common/coding.h"
#include "recommend/evaluate.h"
#include "recommend/events.h"
#include "recommend/models.h"
#include "recommend/wilson.h"

namespace holo::recommend {

namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

}  // namespace

void CrossDomain::Fit(const Dataset& train) {
  const size_t n = train.num_items();
  // Each item's domain, as a small number.
  std::unordered_map<std::string_view, uint32_t> domain_ids;
  std::vector<uint32_t> domain(n);
  for (size_t i = 0; i < n; ++i) {
    domain[i] = domain_ids.emplace(DomainOf(train.items[i]), static_cast<uint32_t>(domain_ids.size())).first->second;
  }
  std::vector<uint32_t> users_of(n, 0);
  std::unordered_map<uint64_t, uint32_t> follows;
  std::vector<uint64_t> seen_pairs;
  std::vector<uint32_t> seen_items;
  uint64_t users = 0;
  for (const auto& events : train.by_user) {
    if (events.empty()) continue;
    ++users;
    seen_items.clear();
    seen_pairs.clear();
    for (size_t p = 0; p < events.size(); ++p) {
      seen_items.push_back(events[p].item);
      for (size_t q = p + 1; q < events.size() && events[q].ts - events[p].ts <= o_.window_s; ++q) {
        if (domain[events[q].item] != domain[events[p].item]) seen_pairs.push_back(PairKey(events[p].item, events[q].item));
      }
    }
    std::sort(seen_items.begin(), seen_items.end());
    seen_items.erase(std::unique(seen_items.begin(), seen_items.end()), seen_items.end());
    for (uint32_t i : seen_items) ++users_of[i];
    std::sort(seen_pairs.begin(), seen_pairs.end());
    seen_pairs.erase(std::unique(seen_pairs.begin(), seen_pairs.end()), seen_pairs.end());
    for (uint64_t k : seen_pairs) ++follows[k];
  }
  followers_.assign(n, {});
  for (const auto& [key, count] : follows) {
    if (count < o_.min_support) continue;
    const auto a = static_cast<uint32_t>(key >> 32), b = static_cast<uint32_t>(key);
    // How much likelier b is within the window after a than anywhere: the lower end of a
    // Wilson interval (z = 3) of P(b follows | a), less b's share of all users. Chance
    // co-occurrence of unrelated apps stays below and is dropped.
    const double added = WilsonLower(count, users_of[a], o_.z) - static_cast<double>(users_of[b]) / static_cast<double>(users);
    if (added > 0) followers_[a].emplace_back(b, static_cast<float>(added));
  }
  for (auto& row : followers_) {
    std::sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
    if (row.size() > o_.keep) row.resize(o_.keep);
  }
}

// Linear decay over the window: an item of the latest moment counts 1, one a window before 0.
float CrossDomain::Recency(int64_t age_s) const {
  if (age_s < 0) age_s = 0;
  return age_s >= o_.window_s ? 0.0f : 1.0f - static_cast<float>(age_s) / static_cast<float>(o_.window_s);
}

void CrossDomain::Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const {
  thread_local SparseScores raised;
  ScoreSparse(history, &raised);
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t j : raised.items()) {
    if (j < scores.size()) scores[j] = raised[j];
  }
}

void CrossDomain::ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const {
  scores->Reset(followers_.size());
  if (history.empty()) return;
  const int64_t now = history.back().ts;
  for (size_t p = history.size(); p-- > 0;) {
    const float r = Recency(now - history[p].ts);
    if (r <= 0) break;
    if (history[p].item >= followers_.size()) continue;
    for (const auto& [b, v] : followers_[history[p].item]) scores->Max(b, r * v);
  }
}

int CrossDomain::Because(const std::vector<Dataset::Event>& history, uint32_t item) const {
  if (history.empty()) return -1;
  const int64_t now = history.back().ts;
  int best = -1;
  float top = 0;
  for (size_t p = history.size(); p-- > 0;) {
    const float r = Recency(now - history[p].ts);
    if (r <= 0) break;
    if (history[p].item >= followers_.size()) continue;
    for (const auto& [b, v] : followers_[history[p].item]) {
      if (b == item && r * v > top) top = r * v, best = static_cast<int>(p);
    }
  }
  return best;
}

uint64_t CrossDomain::pairs() const {
  uint64_t n = 0;
  for (const auto& row : followers_) n += row.size();
  return n;
}

const std::vector<std::pair<uint32_t, float>>& CrossDomain::FollowersOf(uint32_t item) const {
  static const std::vector<std::pair<uint32_t, float>> kNone;
  return item < followers_.size() ? followers_[item] : kNone;
}

void CrossDomain::Save(std::string* out) const {
  coding::PutVarint64(out, static_cast<uint64_t>(o_.window_s));
  coding::PutVarint64(out, followers_.size());
  for (const auto& row : followers_) {
    coding::PutVarint64(out, row.size());
    for (const auto& [b, v] : row) {
      coding::PutVarint64(out, b);
      out->append(reinterpret_cast<const char*>(&v), sizeof(v));
    }
  }
}

Status CrossDomain::Load(std::string_view in) {
  const Status damaged = Status::DataLoss("cross-domain step: the model file is damaged");
  uint64_t window = 0, n = 0;
  if (!coding::GetVarint64(&in, &window) || !coding::GetVarint64(&in, &n) || window == 0) return damaged;
  o_.window_s = static_cast<int64_t>(window);
  followers_.assign(n, {});
  for (auto& row : followers_) {
    uint64_t m = 0;
    if (!coding::GetVarint64(&in, &m)) return damaged;
    for (uint64_t k = 0; k < m; ++k) {
      uint64_t b = 0;
      float v = 0;
      if (!coding::GetVarint64(&in, &b) || b >= n || in.size() < sizeof(v)) return damaged;
      std::memcpy(&v, in.data(), sizeof(v));
      in.remove_prefix(sizeof(v));
      row.emplace_back(static_cast<uint32_t>(b), v);
    }
  }
  return Status::OK();
}

void BlendCross(std::span<const float> base, std::span<const float> cross, double weight, std::span<float> out) {
  float mb = 0, mc = 0;
  for (float v : base) mb = std::max(mb, std::fabs(v));
  for (float v : cross) mc = std::max(mc, std::fabs(v));
  const float a = mb > 0 ? 1.0f / mb : 0.0f, c = mc > 0 ? static_cast<float>(weight) / mc : 0.0f;
  for (size_t j = 0; j < out.size(); ++j) out[j] = a * base[j] + c * cross[j];
}

namespace {

// Whether the user's held item is of another domain than their latest training item and
// follows it within the window: the targets the cross-domain step is for.
bool CrossTarget(const Dataset& train, uint32_t u, uint32_t held, int64_t held_ts, int64_t window_s) {
  const auto& history = train.by_user[u];
  if (history.empty()) return false;
  const auto& last = history.back();
  return DomainOf(train.items[last.item]) != DomainOf(train.items[held]) && held_ts - last.ts <= window_s;
}

}  // namespace

double ChooseCrossWeight(const Recommender& base, const CrossDomain& cross, const Split& split, const Dataset& all,
                         CrossChoice* choice) {
  static constexpr double kWeights[] = {0, 0.25, 0.5, 1, 2, 4};
  constexpr size_t kN = std::size(kWeights);
  if (cross.pairs() == 0) {  // nothing to blend: weight 0, not the largest that costs nothing
    if (choice != nullptr) *choice = CrossChoice{Evaluate(base, split), Evaluate(base, split), {}, {}};
    return 0;
  }
  const size_t n = split.train.num_items();
  std::vector<float> b(n), c(n), blend(n);
  std::vector<RankMetrics> overall(kN), across(kN);
  std::vector<uint32_t> exclude;
  for (uint32_t u = 0; u < split.train.num_users(); ++u) {
    if (split.held[u] < 0) continue;
    const auto& history = split.train.by_user[u];
    const auto held = static_cast<uint32_t>(split.held[u]);
    const int64_t held_ts = HeldTime(all, u, held);
    base.Score(history, b);
    cross.Score(history, c);
    // The targets the step is for: across domains, after items it knows followers of.
    const bool is_cross = CrossTarget(split.train, u, held, held_ts, cross.window_s()) &&
                          std::any_of(c.begin(), c.end(), [](float v) { return v > 0; });
    ExcludedOf(split, u, &exclude);
    for (size_t w = 0; w < kN; ++w) {
      BlendCross(b, c, kWeights[w], blend);
      const size_t rank = RankOf(blend, exclude, held);
      Tally(&overall[w], rank);
      if (is_cross) Tally(&across[w], rank);
    }
  }
  for (size_t w = 0; w < kN; ++w) Finish(&overall[w]), Finish(&across[w]);
  // The step holds only pairs that are surely not chance (z = 3): it is used as strongly as the
  // hold-out allows — the largest weight that costs neither all targets nor the cross-domain
  // ones more than 1% of their NDCG@10 (what a few users' ranks move); 0 when every weight costs.
  size_t top = 0;
  for (size_t w = 1; w < kN; ++w) {
    if (overall[w].ndcg >= 0.99 * overall[0].ndcg && across[w].ndcg >= 0.99 * across[0].ndcg) top = w;
  }
  if (choice != nullptr) {
    choice->overall = overall[top];
    choice->overall_without = overall[0];
    choice->across = across[top];
    choice->across_without = across[0];
  }
  return kWeights[top];
}

}  // namespace holo::recommend
