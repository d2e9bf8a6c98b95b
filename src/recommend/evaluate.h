// Evaluation of a recommender on a split (interactions.h), full ranking: each held-out item is
// ranked among every item not in the user's training history, or not in the split's
// exclusions when it has them (ties broken by item index, lower first). HR@k: the share of users whose held item is in the top k;
// NDCG@k: the mean of 1 / log2(rank + 1) over them (0 outside the top k).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "recommend/interactions.h"

namespace holo::recommend {

class Recommender;

struct RankMetrics {
  double hr = 0, ndcg = 0;
  uint64_t users = 0;  // users with a held-out item
};

RankMetrics Evaluate(const Recommender& model, const Split& split, size_t k = 10);

// The 1-based rank of `held` among the items of `scores` not in `history`.
size_t RankOf(std::span<const float> scores, const std::vector<Dataset::Event>& history, uint32_t held);
// The same, leaving out `exclude` instead.
size_t RankOf(std::span<const float> scores, const std::vector<uint32_t>& exclude, uint32_t held);

// Counts one held item ranked `rank` into m (Finish averages); k: the cut-off.
void Tally(RankMetrics* m, size_t rank, size_t k = 10);
void Finish(RankMetrics* m);
// The items user u's ranking leaves out in the split (its exclusions, else the training
// history), into *out.
void ExcludedOf(const Split& split, uint32_t u, std::vector<uint32_t>* out);
// The time of user u's held item: their latest event of it in `all` (the data the split was cut from).
int64_t HeldTime(const Dataset& all, uint32_t u, uint32_t held);

}  // namespace holo::recommend
