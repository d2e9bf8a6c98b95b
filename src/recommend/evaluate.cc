#include "recommend/evaluate.h"

#include <algorithm>
#include <cmath>

#include "recommend/models.h"

namespace holo::recommend {

size_t RankOf(std::span<const float> scores, const std::vector<Dataset::Event>& history, uint32_t held) {
  std::vector<uint32_t> items;
  items.reserve(history.size());
  for (const auto& e : history) items.push_back(e.item);
  return RankOf(scores, items, held);
}

size_t RankOf(std::span<const float> scores, const std::vector<uint32_t>& exclude, uint32_t held) {
  std::vector<char> seen(scores.size(), 0);
  for (uint32_t i : exclude) seen[i] = 1;
  const float s = scores[held];
  size_t rank = 1;
  for (uint32_t j = 0; j < scores.size(); ++j) {
    if (seen[j] || j == held) continue;
    rank += scores[j] > s || (scores[j] == s && j < held);
  }
  return rank;
}

void Tally(RankMetrics* m, size_t rank, size_t k) {
  ++m->users;
  if (rank <= k) {
    m->hr += 1;
    m->ndcg += 1 / std::log2(static_cast<double>(rank) + 1);
  }
}

void Finish(RankMetrics* m) {
  if (m->users == 0) return;
  m->hr /= static_cast<double>(m->users);
  m->ndcg /= static_cast<double>(m->users);
}

void ExcludedOf(const Split& split, uint32_t u, std::vector<uint32_t>* out) {
  out->clear();
  if (!split.exclude.empty()) {
    *out = split.exclude[u];
    return;
  }
  for (const auto& e : split.train.by_user[u]) out->push_back(e.item);
}

int64_t HeldTime(const Dataset& all, uint32_t u, uint32_t held) {
  int64_t ts = 0;
  for (const auto& e : all.by_user[u]) {
    if (e.item == held) ts = std::max(ts, e.ts);
  }
  return ts;
}

RankMetrics Evaluate(const Recommender& model, const Split& split, size_t k) {
  RankMetrics m;
  std::vector<float> scores(split.train.num_items());
  for (uint32_t u = 0; u < split.train.num_users(); ++u) {
    if (split.held[u] < 0) continue;
    model.Score(split.train.by_user[u], scores);
    const uint32_t held = static_cast<uint32_t>(split.held[u]);
    Tally(&m, split.exclude.empty() ? RankOf(scores, split.train.by_user[u], held) : RankOf(scores, split.exclude[u], held), k);
  }
  Finish(&m);
  return m;
}

}  // namespace holo::recommend
