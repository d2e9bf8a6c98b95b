// Look-alike audiences: the people most like a seed audience, with the precision to expect.
//
// This is learning from positives and unlabeled people (PU learning). The seed members are
// labeled; everyone else is unlabeled, some of them as much "like the seed" as its members. A
// class-balanced, L2-regularised logistic regression (L-BFGS over the sparse rows) learns the
// margin s(x), the log-odds of g(x) = P(in seed | x). Every seed member is also scored out of
// fold (k folds, each fitted without its members, warm-started from the final fit), as its rank
// among the non-members under that fold's fit. From those:
//  * recall_curve, r(n): the share of members that rank among the best n non-members. Under
//    "selected completely at random" (the seed is a random sample of its look-alikes) it is the
//    share of all look-alikes among the best n.
//  * label_frequency, c = P(in seed | like the seed): the larger of a model-free lower bound
//    (in any top region the seed's share is at most c; the best region's Wilson bound, as in
//    Bekker & Davis's TIcE) and the maximum-likelihood c of the 1-D model
//    P(in seed | s) = c * sigmoid(a s + b) over the margins (members' out of fold), which reads
//    c off where the seed's share levels off at the top.
//  * precision_curve: the look-alikes outside the seed, P_u = seed (1 - c) / c, times r(n), over n.
// The 1-D model is exact when the log-odds of being a look-alike are linear in the features (as
// for features independent given the class); when they bend, c tends to come out low and the
// precision high (see lookalike_test.cc: off by up to ~0.16 on one synthetic world).
//   FeatureRows x;                                   // one row per person, sparse
//   std::vector<uint8_t> is_seed(x.rows.size());     // 1 for the seed's members
//   HOLO_ASSIGN_OR_RETURN(LookalikeResult r, Lookalike(x, is_seed, {}, {50000}));
//   std::vector<uint32_t> audience = BestNonMembers(r, is_seed, 50000);
//
// A seed the features cannot tell apart (its members, out of fold, score like everyone else)
// says nothing about who else is like it; Lookalike() then reports seed_separable = false and
// the assumption-free c = 1 (see below).
//
// Pure functions of their inputs: deterministic for LookalikeOptions::seed, whatever the number
// of threads (the fit uses OpenMP; its sums are taken in a fixed order). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "holo/result.h"

namespace holo::recommend {

// The features of a population: rows[i] is person i's (feature index, value) pairs, values
// roughly in [0, 1] (one-hot, or numeric scaled), indices in any order and not repeated.
struct FeatureRows {
  std::vector<std::vector<std::pair<uint32_t, float>>> rows;
  // Names of the features by index, for explanations. May be empty ("feature 12" then);
  // when not empty, every index must be below its size.
  std::vector<std::string> feature_names;
};

struct LookalikeOptions {
  // The ridge penalty on the weights (not the intercept). The loss it is added to is the mean
  // over the seed plus the mean over the non-members, halved (class-balanced).
  double l2 = 1e-3;
  // L-BFGS iterations per fit (the final one and one per fold), at most (each reads the rows
  // twice).
  uint32_t max_iterations = 200;
  // A fit stops once the gradient's norm is below `tolerance` times its norm at the start.
  double tolerance = 1e-4;
  // The share of the seed held out of each fold's fit, in (0, 1): round(1 / holdout) folds,
  // between 2 and 20 (and at most one per member). Every member is held out of one fold.
  double holdout = 0.2;
  // Chooses the folds.
  uint64_t seed = 1;
  // How many features LookalikeResult::top_features lists, at most.
  uint32_t top_features = 10;
};

struct LookalikeResult {
  // Per row: P(like the seed | x) = sigmoid(a margin + b) from the 1-D model at label_frequency
  // (g(x) = sigmoid(margin) when not separable). Seed members are scored too (they are known to
  // be like it; their score says how typical).
  std::vector<float> score;
  // Per row: the fit's log-odds of g, the order behind `score` (which ties at 1). Higher is better.
  std::vector<float> margin;
  // The AUC of the seed members, each scored out of fold, against the non-members under the
  // same fold's fit (ties count half): how well the features tell the seed apart. 0.5 is chance.
  double holdout_auc = 0.5;
  // Whether holdout_auc is above 0.5 by at least three standard errors of chance. When false,
  // score and precision_curve use c = 1 (score = g, a lower bound on P(like the seed | x)),
  // since c from held-out members that score like everyone else would call everyone alike.
  bool seed_separable = false;
  // c = P(in the seed | like the seed), estimated as in the file comment (reported even when
  // not separable, but not used then).
  double label_frequency = 1;
  // (n, expected precision of the best n non-members): min(1, positives_outside * r(n) / n)
  // with r(n) from recall_curve, for n at 1%, 2%, 5%, 10%, 20% and 50% of the non-members and
  // every size asked; ascending n, no repeats. Not increasing: r is taken on its concave hull.
  std::vector<std::pair<uint64_t, double>> precision_curve;
  // (n, measured recall at n): the share of seed members, scored out of fold, that rank among
  // the best n non-members. Same sizes as precision_curve. Needs no assumption beyond the folds.
  std::vector<std::pair<uint64_t, double>> recall_curve;
  // The parts of label_frequency: the model-free lower bound (best top region) and the 1-D
  // model's maximum-likelihood value; label_frequency is the larger.
  double label_frequency_lower = 0, label_frequency_model = 1;
  // The look-alikes estimated outside the seed: seed_size (1 - c) / c (0 when not separable).
  double positives_outside = 0;
  // How sure c is: the c whose profile likelihood is within 1.92 of the best (a 95% interval),
  // at least label_frequency_lower; (label_frequency_lower, 1) when that bound lies above the
  // whole interval (the model is contradicted: a top region holds more of the seed than it allows). A seed whose share does not level off at the top (the
  // people most like it are not all like it) leaves c, and so the precision, wide open.
  std::pair<double, double> label_frequency_range = {1, 1};
  // Per precision_curve entry, the precision at the ends of that interval: (low, high). Empty
  // when not separable.
  std::vector<std::pair<double, double>> precision_range;
  // The strongest positive weights of the final fit, largest first: what the seed has more of.
  std::vector<std::pair<std::string, double>> top_features;
  uint64_t seed_size = 0, non_members = 0;
  uint64_t held_out = 0;    // members scored out of fold: all of them
  uint32_t iterations = 0;  // L-BFGS iterations of all fits together
};

// Scores every row as a look-alike of the rows with is_seed[i] != 0 (see the file comment).
// Returns kInvalidArgument when is_seed and the rows differ in size, the seed is empty or has
// fewer than 10 members (too few to hold any out), nobody is outside the seed, a feature index
// has no name (when names are given) or a value is not finite, an option is out of range, or a
// size is 0 or above the number of non-members.
Result<LookalikeResult> Lookalike(const FeatureRows& x, const std::vector<uint8_t>& is_seed,
                                  const LookalikeOptions& options,
                                  const std::vector<uint64_t>& sizes = {});

// Returns the best n non-members (is_seed[i] == 0) by margin, best first, ties by row index,
// all of them when fewer than n. REQUIRES: is_seed is the one given to Lookalike().
std::vector<uint32_t> BestNonMembers(const LookalikeResult& result,
                                     const std::vector<uint8_t>& is_seed, uint64_t n);

// Returns the area under the ROC curve of `score` for label != 0 against label == 0: the chance
// a random positive scores above a random negative, ties counting half. NaN when either class
// is empty, the sizes differ or a score is NaN.
double Auc(const std::vector<float>& score, const std::vector<uint8_t>& label);

}  // namespace holo::recommend
