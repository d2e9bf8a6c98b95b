// File: holo/recommend.h — recommendations and look-alike audiences over the store
// (docs/recommend.md).
//
//   auto report = engine->recommend().Train({.algo = "auto"});     // DATA/recommend/model.holo
//   auto recs = engine->recommend().RecommendationsJson(oneid, 10, "taobao");
//
// Interactions come from every source's events (views, carts, favourites, orders, bookings,
// plays, payments by merchant category, coupons, posts), keyed by OneID, items namespaced by
// domain ("taobao:product:P1", "fliggy:flight:Amsterdam"). A recommendation reads the person's
// newest events at the moment it is asked, so it follows what they just did; the model is what
// the last Train learned. Handed out by Engine::recommend(). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

namespace holo {

struct RecommendTrainOptions {
  // "auto": every model that fits is evaluated leave-last-out on the store's interactions and
  // the best by NDCG@10 is kept; or one of popularity, itemknn, ease, sequential, als.
  std::string algo = "auto";
  bool use_weights = false;  // interactions weigh by kind (view 1 … buy 4), else all count 1
};

struct LookalikeRequest {
  std::string seed;                         // a saved segment or an expression, or:
  std::vector<uint64_t> seed_oneids;        // the seed as OneIDs (a customer list), when `seed` is empty
  uint64_t size = 0;                        // people wanted, none of them in the seed
  std::string name;                         // the segment written; empty: none written
  std::vector<std::string> exclude_traits;  // profile fields left out of the features
  // Called with every profile's score (P(like the seed)), seed members included, when set.
  std::function<void(uint64_t oneid, float score, bool in_seed)> on_score;
};

class RecommendService {
 public:
  virtual ~RecommendService() = default;

  // Every OneID's interactions as CSV `user,item,weight,time` (user = OneID, time in Unix
  // seconds): the file `holo recommend train --interactions` reads. *rows counts them.
  virtual Status ExportInteractions(std::ostream& out, uint64_t* rows) = 0;

  // Learns from every OneID's interactions and replaces DATA/recommend/model.holo when it
  // succeeds. Returns the report: {"algo", "describe", "users", "items", "interactions",
  // "domains": {DOMAIN: items}, "evaluation": [{"algo", "hr_at_10", "ndcg_at_10", "users"}],
  // "cross_domain": {"pairs", "weight", ...}, "seconds"}. kFailedPrecondition when the store
  // holds too few interactions to learn from.
  virtual Result<std::string> Train(const RecommendTrainOptions& options) = 0;

  // What the trained model is: {"trained": bool, "algo", "describe", "trained_at", ...}.
  virtual Result<std::string> ModelJson() = 0;

  // The k best items for a person, their own items excluded, only of `domain` when not empty:
  // {"oneid", "domain", "allowed": bool, "personalized": bool, "items": [{"item", "domain",
  // "label", "score", "because"}]}. Only people whose consent allows the "recommendation" use
  // (personalization, through ConsentAllows) get any: for the others "allowed" is false and
  // "items" empty, nothing of their events read. A person with nothing the model knows gets
  // the domain's most popular items ("personalized": false). kFailedPrecondition before a model
  // is trained (the message says how); kInvalidArgument for a domain the model has no item of.
  virtual Result<std::string> RecommendationsJson(uint64_t oneid, size_t k, std::string_view domain) = 0;
  // Whether RecommendationsJson(oneid, ...) would read nothing from disk now: the model is
  // loaded and the person's history is in memory (a server answers it on its event loop,
  // else on a worker thread).
  virtual bool InMemory(uint64_t oneid) = 0;

  // Look-alike audience (docs/recommend.md "Look-alike audiences"): scores every OneID by
  // similarity to the seed's members and, with a name, saves the `size` best non-members as a
  // segment. Returns {"seed", "seed_members", "size", "name", "holdout_auc",
  // "expected_precision", "curve": [{"size", "expected_precision"}], "top_features"}.
  virtual Result<std::string> Lookalike(const LookalikeRequest& request) = 0;
};

}  // namespace holo
