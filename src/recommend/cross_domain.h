// The cross-domain step: which items of one domain follow which items of another, learned
// from co-occurrence in time, not written by hand (docs/recommend.md "Across domains").
//
// For items a and b of different domains (DomainOf), n(a→b) counts the users who have b within
// `window_s` after a. The step keeps the pairs whose follower is surely more likely after a
// than anywhere — added value: the lower end of the Wilson interval (z = 3) of n(a→b) / n(a),
// less n(b) / users, above 0, with n(a→b) ≥ min_support — the strongest `keep` per item.
// Unrelated apps used by the same people co-occur by chance and stay below. For a history, the items within the window
// before its latest event lend their followers their added value, the nearer in time the more:
// a flight abroad booked yesterday raises the roaming packs and the money changers others
// bought after flights there.
//
//   CrossDomain cross;
//   cross.Fit(train);
//   std::vector<float> extra(train.num_items());
//   cross.Score(train.by_user[u], extra);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "holo/status.h"
#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/sparse_scores.h"

namespace holo::recommend {

class CrossDomain {
 public:
  struct Options {
    int64_t window_s = 7 * 86400;  // b follows a within a week
    uint32_t min_support = 3;      // users
    double z = 3;                  // the Wilson interval's width: a rare a's followers are trusted less
    uint32_t keep = 50;            // followers kept per item
  };
  CrossDomain() = default;
  explicit CrossDomain(const Options& o) : o_(o) {}

  void Fit(const Dataset& train);
  // Adds nothing when the history is empty or its recent items lead nowhere across domains.
  // scores.size() == the training items; scores are set, not added to.
  void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const;
  // The same over the items it raises alone (Reset to the training items first).
  void ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const;
  // The history event that lends `item` the most (its index), or -1.
  int Because(const std::vector<Dataset::Event>& history, uint32_t item) const;
  // Pairs kept, for people.
  uint64_t pairs() const;
  int64_t window_s() const { return o_.window_s; }
  // The strongest followers of `item`: (follower, added value), best first.
  const std::vector<std::pair<uint32_t, float>>& FollowersOf(uint32_t item) const;

  void Save(std::string* out) const;
  Status Load(std::string_view in);

 private:
  float Recency(int64_t age_s) const;
  Options o_;
  std::vector<std::vector<std::pair<uint32_t, float>>> followers_;
};

class Recommender;
struct Split;

// base / max|base| + weight · cross / max|cross|, into `out` (the two parts at one scale).
void BlendCross(std::span<const float> base, std::span<const float> cross, double weight, std::span<float> out);

// The metrics of a blend on a hold-out, in all and on the cross-domain targets alone (a held
// item of another domain than the user's latest training item, within the window after it,
// for a user whose recent items the step knows followers of: where it has something to say).
struct CrossChoice {
  RankMetrics overall, overall_without, across, across_without;
};

// The largest cross-domain weight of {0, 0.25, 0.5, 1, 2, 4} whose blend with `base` costs
// neither the split's held-out items nor its cross-domain targets more than 1% of NDCG@10 (the step
// holds only pairs that are surely not chance: it is used as strongly as the hold-out allows);
// 0 when every weight costs. `base` and `cross` are fitted on split.train; `all` is what the split was cut
// from (the held items' times).
double ChooseCrossWeight(const Recommender& base, const CrossDomain& cross, const Split& split, const Dataset& all,
                         CrossChoice* choice);

}  // namespace holo::recommend
