// The trending boost: the topics people post about more than usual right now, and the items
// that go with them (docs/recommend.md "Trending").
//
// Topics are the items of kind `topic` (SOURCE:topic:TOPIC, one per topic of a Post Created:
// events.h). At a time `now`, a topic trends when its share of all posts in the last
// `window_s` is surely above its share in the `baseline_s` before: the lower end of the
// Wilson interval (z = 3) of recent / (recent + before) against the same ratio over every
// topic — so that more posting overall, or a quiet clock far from the data, raises nothing.
// Its trend is the log of that odds ratio. Which items go with a topic is learned, not
// written: an item goes with a topic when the people who posted about it have the item surely
// more often than everyone (the lower Wilson bound of the share, less the item's base share,
// above 0), the strongest `keep`. The boost of an item at `now` is Σ trend(topic) · added
// value(topic, item): the same for everyone, blended with a person's own scores at the weight
// the hold-out chooses (ChooseTrendWeight; 0 where trends do not lead people).
//
//   Trending trend;
//   trend.Fit(train);
//   std::vector<float> boost(train.num_items());
//   trend.Score(now_s, boost);
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

class Recommender;
class CrossDomain;

// Whether `item` names a posted topic ("weibo:topic:#Double11#").
bool IsTopicItem(std::string_view item);

class Trending {
 public:
  struct Options {
    int64_t window_s = 3 * 86400;     // "now": the last three days
    int64_t baseline_s = 28 * 86400;  // against the four weeks before them
    double z = 3;
    uint32_t min_posts = 5;    // in the window, for a topic to trend
    uint32_t min_support = 3;  // posters of a topic who have the item
    uint32_t keep = 50;        // items per topic
  };
  Trending() = default;
  explicit Trending(const Options& o) : o_(o) {}

  void Fit(const Dataset& train);
  // The trending topics at `now_s` (seconds): (topic item, trend > 0), strongest first. Only
  // posts before now_s count.
  std::vector<std::pair<uint32_t, float>> TrendsAt(int64_t now_s) const;
  // The boost of every item at `now_s`: set, not added to (all 0 when nothing trends).
  void Score(int64_t now_s, std::span<float> scores) const;
  // The same over the items it raises alone (Reset to n items first).
  void ScoreSparse(int64_t now_s, size_t n, SparseScores* scores) const;
  // The trending topic that lends `item` the most at now_s (its item index), or -1.
  int Because(int64_t now_s, uint32_t item) const;
  // Topics known, and (topic, item) pairs kept, for people.
  size_t topics() const { return topics_.size(); }
  uint64_t pairs() const;

  void Save(std::string* out) const;
  Status Load(std::string_view in);

 private:
  struct Topic {
    uint32_t item = 0;
    std::vector<int64_t> posts;  // times, ascending
    std::vector<std::pair<uint32_t, float>> goes_with;  // (item, added value), best first
  };
  // The trending topics at now_s: (index in topics_, trend), strongest first.
  std::vector<std::pair<size_t, float>> Trends(int64_t now_s) const;
  // Posts of `times` in [from, to).
  static uint64_t Count(const std::vector<int64_t>& times, int64_t from, int64_t to);

  Options o_;
  std::vector<Topic> topics_;
  std::vector<int64_t> all_posts_;  // every topic's posts, ascending
};

// The metrics of a trend blend on a hold-out, in all and on the trend targets alone (a held
// item the boost at its time raises).
struct TrendChoice {
  RankMetrics overall, overall_without, trending, trending_without;
  uint64_t moments_with_trends = 0;  // held items at whose time some topic trended
};

// The trend weight of {0, 0.1, 0.25, 0.5, 1} with the best NDCG@10 on the split's held items
// (each boosted at its own time, from the posts before it), the smallest among equals: 0 when
// no weight helps. The base is `model` blended with `cross` at `cross_weight` (BlendCross),
// all fitted on split.train; `all` is what the split was cut from (the held items' times).
double ChooseTrendWeight(const Recommender& model, const CrossDomain& cross, double cross_weight, const Trending& trend,
                         const Split& split, const Dataset& all, TrendChoice* choice);

// `base` (already at one scale) + weight · boost / max|boost|, into out.
void BlendTrend(std::span<const float> base, std::span<const float> boost, double weight, std::span<float> out);

}  // namespace holo::recommend
