#include "recommend/trending.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "common/coding.h"
#include "recommend/cross_domain.h"
#include "recommend/models.h"
#include "recommend/wilson.h"

namespace holo::recommend {

bool IsTopicItem(std::string_view item) {
  const size_t colon = item.find(':');
  return colon != std::string_view::npos && item.substr(colon + 1).starts_with("topic:");
}

void Trending::Fit(const Dataset& train) {
  topics_.clear();
  all_posts_.clear();
  const size_t n = train.num_items();
  std::vector<int> topic_of(n, -1);
  for (uint32_t i = 0; i < n; ++i) {
    if (!IsTopicItem(train.items[i])) continue;
    topic_of[i] = static_cast<int>(topics_.size());
    topics_.push_back({i, {}, {}});
  }
  if (topics_.empty()) return;
  // Posts per topic; per topic, its posters' items (each poster once per item).
  std::vector<uint32_t> users_of(n, 0), posters(topics_.size(), 0);
  std::unordered_map<uint64_t, uint32_t> together;  // topic << 32 | item -> posters who have it
  std::vector<uint32_t> items, posted;
  uint64_t users = 0;
  for (const auto& events : train.by_user) {
    if (events.empty()) continue;
    ++users;
    items.clear();
    posted.clear();
    for (const auto& e : events) {
      items.push_back(e.item);
      if (topic_of[e.item] < 0) continue;
      topics_[static_cast<size_t>(topic_of[e.item])].posts.push_back(e.ts);
      all_posts_.push_back(e.ts);
      posted.push_back(static_cast<uint32_t>(topic_of[e.item]));
    }
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (uint32_t i : items) ++users_of[i];
    std::sort(posted.begin(), posted.end());
    posted.erase(std::unique(posted.begin(), posted.end()), posted.end());
    for (uint32_t t : posted) {
      ++posters[t];
      for (uint32_t i : items) {
        if (topic_of[i] < 0) ++together[(static_cast<uint64_t>(t) << 32) | i];
      }
    }
  }
  for (auto& t : topics_) std::sort(t.posts.begin(), t.posts.end());
  std::sort(all_posts_.begin(), all_posts_.end());
  // What goes with a topic: items its posters have surely more often than everyone.
  for (const auto& [key, count] : together) {
    if (count < o_.min_support) continue;
    const auto t = static_cast<uint32_t>(key >> 32), i = static_cast<uint32_t>(key);
    const double added = WilsonLower(count, posters[t], o_.z) - static_cast<double>(users_of[i]) / static_cast<double>(users);
    if (added > 0) topics_[t].goes_with.emplace_back(i, static_cast<float>(added));
  }
  for (auto& t : topics_) {
    auto& row = t.goes_with;
    std::sort(row.begin(), row.end(), [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
    if (row.size() > o_.keep) row.resize(o_.keep);
  }
}

uint64_t Trending::Count(const std::vector<int64_t>& times, int64_t from, int64_t to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(std::lower_bound(times.begin(), times.end(), to) - std::lower_bound(times.begin(), times.end(), from));
}

std::vector<std::pair<uint32_t, float>> Trending::TrendsAt(int64_t now_s) const {
  std::vector<std::pair<uint32_t, float>> out;
  for (const auto& [t, trend] : Trends(now_s)) out.emplace_back(topics_[t].item, trend);
  return out;
}

std::vector<std::pair<size_t, float>> Trending::Trends(int64_t now_s) const {
  std::vector<std::pair<size_t, float>> out;
  const int64_t start = now_s - o_.window_s, before = start - o_.baseline_s;
  const double all_recent = static_cast<double>(Count(all_posts_, start, now_s));
  const double all_before = static_cast<double>(Count(all_posts_, before, start));
  if (all_recent <= 0 || all_before <= 0) return out;  // no baseline, or nothing posted now
  // The share of posts that are recent, over every topic: what a topic that does not trend shows.
  const double expected = all_recent / (all_recent + all_before);
  const double expected_odds = expected / (1 - expected);
  for (uint32_t t = 0; t < topics_.size(); ++t) {
    const auto& posts = topics_[t].posts;
    const double recent = static_cast<double>(Count(posts, start, now_s));
    if (recent < o_.min_posts || topics_[t].goes_with.empty()) continue;
    const double prior = static_cast<double>(Count(posts, before, start));
    const double lower = WilsonLower(recent, recent + prior, o_.z);
    if (lower <= expected) continue;
    // Below 1 for any count (a topic new in the window too): its odds are finite.
    const double odds = lower / (1 - lower);
    const double trend = std::log(odds / expected_odds);
    if (trend > 0) out.emplace_back(t, static_cast<float>(trend));
  }
  // Topics are in item order, so the tie-break on the index is the tie-break on the item.
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.second > y.second || (x.second == y.second && x.first < y.first); });
  return out;
}

void Trending::ScoreSparse(int64_t now_s, size_t n, SparseScores* scores) const {
  scores->Reset(n);
  if (topics_.empty()) return;
  for (const auto& [t, trend] : Trends(now_s)) {
    for (const auto& [j, added] : topics_[t].goes_with) {
      if (j < n) scores->Add(j, trend * added);
    }
  }
}

void Trending::Score(int64_t now_s, std::span<float> scores) const {
  thread_local SparseScores boost;
  ScoreSparse(now_s, scores.size(), &boost);
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (uint32_t j : boost.items()) scores[j] = boost[j];
}

int Trending::Because(int64_t now_s, uint32_t item) const {
  int best = -1;
  float top = 0;
  for (const auto& [t, trend] : Trends(now_s)) {
    for (const auto& [j, added] : topics_[t].goes_with) {
      if (j == item && trend * added > top) top = trend * added, best = static_cast<int>(topics_[t].item);
    }
  }
  return best;
}

uint64_t Trending::pairs() const {
  uint64_t n = 0;
  for (const auto& t : topics_) n += t.goes_with.size();
  return n;
}

void Trending::Save(std::string* out) const {
  coding::PutVarint64(out, static_cast<uint64_t>(o_.window_s));
  coding::PutVarint64(out, static_cast<uint64_t>(o_.baseline_s));
  coding::PutVarint64(out, topics_.size());
  for (const auto& t : topics_) {
    coding::PutVarint64(out, t.item);
    coding::PutVarint64(out, t.posts.size());
    int64_t last = 0;
    for (int64_t ts : t.posts) {  // ascending: deltas
      coding::PutVarsint64(out, ts - last);
      last = ts;
    }
    coding::PutVarint64(out, t.goes_with.size());
    for (const auto& [j, v] : t.goes_with) {
      coding::PutVarint64(out, j);
      out->append(reinterpret_cast<const char*>(&v), sizeof(v));
    }
  }
}

Status Trending::Load(std::string_view in) {
  const Status damaged = Status::DataLoss("trending boost: the model file is damaged");
  uint64_t window = 0, baseline = 0, n = 0;
  if (!coding::GetVarint64(&in, &window) || !coding::GetVarint64(&in, &baseline) || !coding::GetVarint64(&in, &n) ||
      window == 0 || baseline == 0) {
    return damaged;
  }
  o_.window_s = static_cast<int64_t>(window);
  o_.baseline_s = static_cast<int64_t>(baseline);
  topics_.assign(n, {});
  all_posts_.clear();
  for (auto& t : topics_) {
    uint64_t item = 0, posts = 0, pairs = 0;
    if (!coding::GetVarint64(&in, &item) || !coding::GetVarint64(&in, &posts) || posts > in.size()) return damaged;
    t.item = static_cast<uint32_t>(item);
    int64_t last = 0;
    for (uint64_t k = 0; k < posts; ++k) {
      int64_t delta = 0;
      if (!coding::GetVarsint64(&in, &delta) || delta < 0) return damaged;
      last += delta;
      t.posts.push_back(last);
      all_posts_.push_back(last);
    }
    if (!coding::GetVarint64(&in, &pairs)) return damaged;
    for (uint64_t k = 0; k < pairs; ++k) {
      uint64_t j = 0;
      float v = 0;
      if (!coding::GetVarint64(&in, &j) || in.size() < sizeof(v)) return damaged;
      std::memcpy(&v, in.data(), sizeof(v));
      in.remove_prefix(sizeof(v));
      t.goes_with.emplace_back(static_cast<uint32_t>(j), v);
    }
  }
  std::sort(all_posts_.begin(), all_posts_.end());
  return Status::OK();
}

void BlendTrend(std::span<const float> base, std::span<const float> boost, double weight, std::span<float> out) {
  float mb = 0;
  for (float v : boost) mb = std::max(mb, std::fabs(v));
  const float c = mb > 0 ? static_cast<float>(weight) / mb : 0.0f;
  for (size_t j = 0; j < out.size(); ++j) out[j] = base[j] + c * boost[j];
}

double ChooseTrendWeight(const Recommender& model, const CrossDomain& cross, double cross_weight, const Trending& trend,
                         const Split& split, const Dataset& all, TrendChoice* choice) {
  static constexpr double kWeights[] = {0, 0.1, 0.25, 0.5, 1};
  constexpr size_t kN = std::size(kWeights);
  const size_t n = split.train.num_items();
  std::vector<float> b(n), c(n), base(n), blend(n);
  std::vector<RankMetrics> overall(kN), trending(kN);
  std::vector<uint32_t> exclude;
  // The boost per hour of the held items' times (the same for everyone at one moment).
  std::map<int64_t, std::vector<float>> boosts;
  uint64_t with_trends = 0;
  for (uint32_t u = 0; u < split.train.num_users(); ++u) {
    if (split.held[u] < 0) continue;
    const auto& history = split.train.by_user[u];
    const auto held = static_cast<uint32_t>(split.held[u]);
    const int64_t hour = HeldTime(all, u, held) / 3600 * 3600;
    auto [it, fresh] = boosts.try_emplace(hour);
    if (fresh) {
      it->second.resize(n);
      trend.Score(hour, it->second);
    }
    const std::vector<float>& boost = it->second;
    model.Score(history, b);
    cross.Score(history, c);
    BlendCross(b, c, cross_weight, base);
    const bool raised = boost[held] > 0;
    with_trends += std::any_of(boost.begin(), boost.end(), [](float v) { return v > 0; });
    ExcludedOf(split, u, &exclude);
    for (size_t w = 0; w < kN; ++w) {
      BlendTrend(base, boost, kWeights[w], blend);
      const size_t rank = RankOf(blend, exclude, held);
      Tally(&overall[w], rank);
      if (raised) Tally(&trending[w], rank);
    }
  }
  for (size_t w = 0; w < kN; ++w) Finish(&overall[w]), Finish(&trending[w]);
  // The best on every held item; among equals the smallest (no boost unless it helps).
  size_t top = 0;
  for (size_t w = 1; w < kN; ++w) {
    if (overall[w].ndcg > overall[top].ndcg) top = w;
  }
  if (choice != nullptr) {
    choice->overall = overall[top];
    choice->overall_without = overall[0];
    choice->trending = trending[top];
    choice->trending_without = trending[0];
    choice->moments_with_trends = with_trends;
  }
  return kWeights[top];
}

}  // namespace holo::recommend
