// A trained model on disk (holo recommend train --model DIR): DIR/model.holo holds the
// options, the items, every user's history (to exclude what they have and to score them) and
// the model's fitted state. Written to a temporary file and renamed: a crash leaves the
// previous model or none.
#pragma once

#include <memory>
#include <string>

#include "holo/result.h"
#include "recommend/interactions.h"
#include "recommend/models.h"

namespace holo::recommend {

struct TrainedModel {
  Options options;
  Dataset data;
  std::unique_ptr<Recommender> model;
  // What a caller keeps beside the model in the same file (the store's serving state:
  // service.h), opaque here; empty in a file written without it.
  std::string extra;
};

Status SaveModel(const std::string& dir, const TrainedModel& m);
// kNotFound without a model in `dir`, kDataLoss for a damaged one.
Result<TrainedModel> LoadModel(const std::string& dir);

}  // namespace holo::recommend
