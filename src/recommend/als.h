// Implicit-feedback ALS (Hu, Koren & Volinsky 2008): users and items as vectors of
// Options::factors numbers, fitted so that x_u · y_i approaches 1 for every item a user has and
// 0 for every other, each (user, item) weighted by its confidence
//
//   c = 1 + alpha * w      w: how many times the user has the item (with Options::use_weights:
//                          the sum of those interactions' weights)
//
// plus a ridge penalty als_lambda on every vector. The user and the item vectors are solved in
// turn (Options::iterations times both); each vector's least-squares system
// (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u is solved by three steps of conjugate gradient
// started from its previous value (Takács, Pilászy & Tikk 2011), with YᵀY computed once per
// half-iteration, so a step costs factors² + (the row's items) × factors. Rows are solved in
// parallel (OpenMP); each is independent, so the result does not depend on the threads. The
// starting vectors come from Options::seed.
//
// Score folds the history in: one exact solve of the same system over the item vectors (the
// user vectors of Fit are not kept), so a user the model never saw, or a shorter history, is
// scored the same way as a trained one. Save holds the item vectors and the settings.
#pragma once

#include <memory>

#include "recommend/models.h"

namespace holo::recommend {

std::unique_ptr<Recommender> NewAls(const Options& options);

}  // namespace holo::recommend
