#include "recommend/evaluate.h"

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

RankMetrics Evaluate(const Recommender& model, const Split& split, size_t k) {
  RankMetrics m;
  std::vector<float> scores(split.train.num_items());
  for (uint32_t u = 0; u < split.train.num_users(); ++u) {
    if (split.held[u] < 0) continue;
    ++m.users;
    model.Score(split.train.by_user[u], scores);
    const uint32_t held = static_cast<uint32_t>(split.held[u]);
    const size_t rank = split.exclude.empty() ? RankOf(scores, split.train.by_user[u], held)
                                              : RankOf(scores, split.exclude[u], held);
    if (rank <= k) {
      m.hr += 1;
      m.ndcg += 1 / std::log2(static_cast<double>(rank) + 1);
    }
  }
  if (m.users > 0) {
    m.hr /= static_cast<double>(m.users);
    m.ndcg /= static_cast<double>(m.users);
  }
  return m;
}

}  // namespace holo::recommend
