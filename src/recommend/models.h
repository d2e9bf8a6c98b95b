// Recommenders behind one interface, chosen by evaluation (evaluate.h), never by taste:
//
//   popularity  items by the number of users who have them (the baseline)
//   itemknn     item-to-item cosine over users, the top `neighbours` per item
//   ease        EASE (Steck 2019): the closed-form item-item regression
//               B = I - P / diag(P), P = (X'X + lambda I)^-1, zero diagonal
//   sequential  EASE over a recency-weighted history plus item-to-item transitions learned
//               from the order of every user's interactions (what followed what, nearer
//               followers weighted more) plus the user's own recent items (what people go
//               back to: the items viewed or carted before a purchase, where the target lets
//               them be recommended); its half-life and the weights of the transitions and of
//               the own items are chosen on a validation hold-out cut from the training data
//               alone, with the evaluation's own target (Fit)
//   als         implicit-feedback ALS (Hu, Koren & Volinsky 2008): user and item vectors of
//               `factors` numbers, confidence 1 + alpha * count; users folded in to score (als.h)
//
//   auto m = MakeRecommender("ease");
//   HOLO_RETURN_IF_ERROR(m->Fit(train));
//   std::vector<float> s(train.num_items());
//   m->Score(train.by_user[u], s);                  // higher is better
//
// Interactions count as present or absent (implicit feedback); with Options::use_weights
// their weights scale them. Dense models (ease, sequential) hold items x items floats and
// refuse more than Options::max_dense_items items.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/sparse_scores.h"

namespace holo::recommend {

struct Options {
  std::string algo = "sequential";
  double lambda = 100;          // ease, sequential: the ridge penalty
  uint32_t neighbours = 100;    // itemknn
  bool use_weights = false;     // else every interaction counts 1
  bool next_purchase = false;   // the target is the next buy (LeaveLastPurchaseOut), not the next item
  uint32_t max_dense_items = 20000;
  // als (als.h). alpha and als_lambda chosen on validation hold-outs cut from the training
  // data alone, over three data sets (docs/recommend.md), never on a test split.
  uint32_t factors = 64;
  uint32_t iterations = 10;
  double alpha = 10;        // confidence 1 + alpha * w (w: the count, or the summed weights)
  double als_lambda = 1;    // the ridge penalty on each user's and item's vector
  uint64_t seed = 1;        // the starting vectors
};

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string_view name() const = 0;
  virtual Status Fit(const Dataset& train) = 0;
  // Scores every item (scores.size() == the training items) for a user with `history` (in
  // time order). Items of the history are scored too; callers exclude them.
  virtual void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const = 0;
  // Which event of `history` raises `item`'s score the most (its index), to explain the
  // recommendation ("because you booked a flight to Amsterdam"); -1 when none raises it (the
  // popularity baseline, or an item recommended for being popular).
  virtual int Because(const std::vector<Dataset::Event>& history, uint32_t item) const {
    (void)history, (void)item;
    return -1;
  }
  // The same for several items at once (a model whose explanation needs the user's whole
  // score computes it once).
  virtual std::vector<int> Because(const std::vector<Dataset::Event>& history, const std::vector<uint32_t>& items) const {
    std::vector<int> out;
    for (uint32_t item : items) out.push_back(Because(history, item));
    return out;
  }
  // Cuts each item-item row to its `keep` largest entries (the items a history item raises
  // most) for ScoreSparse; false for a model without such rows (popularity, als). Not
  // beside ScoreSparse calls. itemknn's rows are its neighbours already: nothing is cut.
  virtual bool CutRows(uint32_t keep) {
    (void)keep;
    return false;
  }
  // Score for serving, in a fraction of its time, after CutRows: every entry cut taken for 0.
  // Rankings move where the cut entries add up; Train measures by how much on its hold-out
  // and serves the smallest cut that ranks as well (docs/recommend.md "Serving"). False
  // when there is nothing cut to score with (the caller scores with Score). `scores` is
  // Reset to the training items first.
  virtual bool ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const {
    (void)history, (void)scores;
    return false;
  }
  // What Fit chose or learned, for people ("lambda 100, half-life 8, transitions 0.5").
  virtual std::string Describe() const = 0;
  // The fitted state, and back (after Fit, for the same items).
  virtual void Save(std::string* out) const = 0;
  virtual Status Load(std::string_view in) = 0;
};

// kInvalidArgument for an unknown algorithm (the message lists the known ones).
Result<std::unique_ptr<Recommender>> MakeRecommender(const Options& options);
const std::vector<std::string_view>& Algorithms();

// Evaluates `model` through ScoreSparse (evaluate.h's protocol); `ok` false when it has none.
RankMetrics EvaluateSparse(const Recommender& model, const Split& split, bool* ok);

// The k best items for a history, its own items excluded: (item, score), best first.
std::vector<std::pair<uint32_t, float>> TopK(const Recommender& model, const std::vector<Dataset::Event>& history,
                                             size_t num_items, size_t k);

}  // namespace holo::recommend
