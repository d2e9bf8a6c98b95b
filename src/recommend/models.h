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
#include "recommend/interactions.h"

namespace holo::recommend {

struct Options {
  std::string algo = "sequential";
  double lambda = 100;          // ease, sequential: the ridge penalty
  uint32_t neighbours = 100;    // itemknn
  bool use_weights = false;     // else every interaction counts 1
  bool next_purchase = false;   // the target is the next buy (LeaveLastPurchaseOut), not the next item
  uint32_t max_dense_items = 20000;
};

class Recommender {
 public:
  virtual ~Recommender() = default;
  virtual std::string_view name() const = 0;
  virtual Status Fit(const Dataset& train) = 0;
  // Scores every item (scores.size() == the training items) for a user with `history` (in
  // time order). Items of the history are scored too; callers exclude them.
  virtual void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const = 0;
  // What Fit chose or learned, for people ("lambda 100, half-life 8, transitions 0.5").
  virtual std::string Describe() const = 0;
  // The fitted state, and back (after Fit, for the same items).
  virtual void Save(std::string* out) const = 0;
  virtual Status Load(std::string_view in) = 0;
};

// kInvalidArgument for an unknown algorithm (the message lists the known ones).
Result<std::unique_ptr<Recommender>> MakeRecommender(const Options& options);
const std::vector<std::string_view>& Algorithms();

// The k best items for a history, its own items excluded: (item, score), best first.
std::vector<std::pair<uint32_t, float>> TopK(const Recommender& model, const std::vector<Dataset::Event>& history,
                                             size_t num_items, size_t k);

}  // namespace holo::recommend
