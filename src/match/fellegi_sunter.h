// The Fellegi–Sunter model: per field and agreement level, m = P(level | match)
// and u = P(level | non-match); lambda = P(match). u is first estimated from
// random record pairs (with the dependencies between places, and of names on
// places, among them). Then either EM over the distinct comparison patterns
// of the candidate pairs fits m, lambda and u among candidates (RunEm; lambda
// per candidate pair), or, when the guards (CheckModel) find that degenerate,
// m is trained per blocking rule with the rule's fields held out and combined,
// u comes from the random pairs less the matches among them, and lambda is
// fitted over all comparable pairs (EstimateHeldOut, FitPriorAndU); the safe
// estimate keeps m at its prior (EstimateFallback). See README.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "match/fields.h"

namespace holo::match {

// The comparison vector of a pair: 4 bits per field holding level + 1
// (0 = missing), at most kMaxFields fields; the top 8 bits may hold the
// blocking rule that produced the pair.
using Pattern = uint64_t;

inline int8_t PatternLevel(Pattern p, size_t f) {
  return static_cast<int8_t>(static_cast<int>((p >> (4 * f)) & 0xF) - 1);
}
inline uint32_t PatternRule(Pattern p) { return static_cast<uint32_t>(p >> 56); }
inline Pattern WithRule(Pattern p, uint32_t rule) {
  return (p & ((Pattern{1} << 56) - 1)) | (static_cast<Pattern>(rule) << 56);
}
inline Pattern WithoutRule(Pattern p) { return p & ((Pattern{1} << 56) - 1); }

// Returns the comparison pattern of records a and b.
Pattern ComparePair(const std::vector<FieldSpec>& specs, const RecordStore& store, uint32_t a,
                    uint32_t b);

// A candidate pair and its comparison pattern.
struct ComparedPair {
  uint32_t a = 0, b = 0;
  Pattern pattern = 0;
};

struct FsModel {
  std::vector<std::vector<double>> m;  // [field][level]
  std::vector<std::vector<double>> u;
  std::vector<std::vector<double>> random_u;  // u from random pairs (kept for TF adjustment)
  std::vector<std::vector<double>> weight;    // log2(m/u), filled by RunEm
  double lambda = 0.1;
  int em_iterations = 0;
  bool converged = false;
  // Exact agreement that follows from another field's (a town from its
  // postcode), measured on the random pairs: dep_u[f * nf + g] = P(g agrees
  // exactly | f agrees exactly), or 0 when g does not depend on f (lift below
  // kDependenceLift or too few pairs). Filled by EstimateU.
  size_t nf = 0;
  std::vector<double> dep_u;
  // P(f and g both agree exactly) among the random pairs ([f * nf + g]; the
  // diagonal is P(f agrees exactly)), from which UpdateDependencies derives
  // dep_u once lambda and m are known.
  std::vector<double> joint_random;
  double random_pairs = 0;  // pairs behind joint_random
  // log2(m[g][0] / dep_u[f * nf + g]): the weight of g's exact agreement when
  // f (f < g) agrees exactly too; filled by FinishModel.
  std::vector<double> dep_weight;
};

// Sets model->weight = log2(m/u) and model->dep_weight from m, u and dep_u.
void FinishModel(FsModel* model);

// Sets model->dep_u from joint_random for `specs`, with the matches among the
// random pairs taken out (a share lambda of them agree on both fields at the
// rate m_f * m_g): P(g | f) among non-matches. A place depends on an earlier
// place when that is >= 4 x u_g (a postcode in its town); a name on any place
// when >= 1.5 x u_g (households), over >= 20 random pairs.
void UpdateDependencies(const std::vector<FieldSpec>& specs, FsModel* model);

// Sets model->u (and random_u, dep_u) from `max_pairs` random pairs (all pairs
// when there are fewer); with `sources` (linkage) only pairs of records from
// different sources. Uses `threads` threads; the result depends only on `seed`.
// REQUIRES: with `sources`, at least two sources hold records.
void EstimateU(const std::vector<FieldSpec>& specs, const RecordStore& store,
               const std::vector<uint8_t>* sources, uint64_t max_pairs, uint64_t seed,
               int threads, FsModel* model);

// Runs EM over the distinct comparison patterns of the candidate pairs, split
// into groups (one per blocking rule, or one for all pairs): m is shared by all
// groups (a match looks alike whichever rule found it), u and lambda are
// fitted per group (the non-matches that "same postcode and house number"
// finds are household members who share the address; those "same birth date"
// finds share the birth date). Among candidates non-matches are not random
// pairs, so with `estimate_u` u is re-estimated, shrunk towards and floored at
// a tenth of the random-pair u; without it u stays at `random_u`. In every M
// step each u is made monotone against m (MakeMonotoneU).
// Init: m puts 0.8 on the top level and 0.05 on disagreement (0.9/0.1 for
// two-level fields), u = random u, lambda = 0.1. Stops when no parameter of m
// or lambda moves more than 1e-6, or after max_iterations.
// Fills one FsModel per group and `pooled` (u over all groups' non-matches,
// lambda over all pairs) for pairs that no group covers.
void RunEm(const std::vector<FieldSpec>& specs,
           const std::vector<std::vector<std::pair<Pattern, uint64_t>>>& groups, int max_iterations,
           bool estimate_u, const std::vector<std::vector<double>>& random_u,
           std::vector<FsModel>* group_models, FsModel* pooled);

// Makes m/u non-increasing over the levels of one field by changing u (m is
// shared by all rule groups). Levels run from the strongest agreement to
// disagreement, so a weaker agreement must never count more. EM alone can
// break that: among blocked pairs the non-matches are often household members
// who share the address, and "address differs" then looks like evidence *for*
// a match. Pool-adjacent-violators on m/u: within a pooled block u is
// redistributed in proportion to m, keeping the block's total u (floored at
// 1e-9). Applied to every u in every M step.
void MakeMonotoneU(const std::vector<double>& m, std::vector<double>* u);

// Returns the match weight log2(P(γ|M)/P(γ|U)) of a pair, with term-frequency
// adjustment on exact agreement of fields that ask for it (`a` is either record;
// `store` null: no adjustment). A field whose exact agreement follows from an
// earlier field's exact agreement (dep_u) counts only what it adds.
double MatchWeight(const std::vector<FieldSpec>& specs, const FsModel& model, Pattern pattern,
                   const RecordStore* store, uint32_t a);
inline double MatchWeight(const std::vector<FieldSpec>& specs, const FsModel& model,
                          Pattern pattern, const RecordStore& store, uint32_t a) {
  return MatchWeight(specs, model, pattern, &store, a);
}

// Returns log2(lambda / (1 - lambda)).
double PriorLogOdds(const FsModel& model);

// Returns the posterior match probability of a pair with weight `w`.
double Posterior(const FsModel& model, double w);

// Returns 1 / (1 + 2^-x): the probability of log2 odds x.
double ProbabilityOfLogOdds(double x);

// The fitted models: `pooled` over all candidate pairs (also used for pairs
// no rule produced) and, with rule_models, one per blocking rule (shared m, the
// rule's own u and lambda; see RunEm). A pair is scored by the model of its
// rule when there is one.
struct MatchModel {
  FsModel pooled;
  std::vector<FsModel> rules;  // empty when per-rule models are off

  const FsModel& For(Pattern p) const {
    const uint32_t r = PatternRule(p);
    return r < rules.size() ? rules[r] : pooled;
  }
  // Returns the posterior log2 odds of a pair (weight + prior of its model).
  double LogOdds(const std::vector<FieldSpec>& specs, Pattern p, const RecordStore& store,
                 uint32_t a) const {
    const FsModel& m = For(p);
    return MatchWeight(specs, m, p, store, a) + PriorLogOdds(m);
  }
};

// ---------------------------------------------------------------------------
// The default estimator (see README "The model"): u from random pairs; m
// trained per blocking rule by EM over that rule's candidates with the fields
// the rule blocks on held out (pairs that all share a value cannot teach how
// often matches share it), combined across rules in proportion to the matches
// each rule is expected to hold; the prior over all comparable pairs fitted
// with m and u fixed.

// What one blocking rule's EM learned.
struct RuleFit {
  std::string name;             // "postcode", "surname/soundex + town", ...
  std::vector<bool> held_out;   // per field: blocked on by this rule
  uint64_t pairs = 0;           // candidates the rule produced
  double lambda = 0;            // P(match | candidate of this rule)
  int em_iterations = 0;
  bool converged = false;
  bool used = false;            // contributed to m
  std::string rejected;         // why not, when not used
  std::vector<std::vector<double>> m, u;  // [field][level]; held-out fields unset
};

// How the model was estimated, the guards that fired and what was done.
struct ModelDiagnostics {
  std::string estimator;  // "held-out" | "pooled" | "fallback"
  std::vector<RuleFit> rules;
  std::vector<std::string> guards;  // degenerate-model findings, plain words
  bool fallback = false;            // a guard fired and the safe estimate is used
  double total_pairs = 0;           // comparable pairs (all, or across sources)
  double expected_matches = 0;      // prior x total pairs
  double max_matches = 0;           // most matching pairs the data allows (0: no bound)
  std::vector<std::string> untrained_fields;  // held out by every rule: default m
};

// Estimates `model` (m per rule with held-out fields, u from random pairs,
// prior over `total_pairs` comparable pairs). `rule_patterns[r]` are rule r's
// pattern counts (rule bits cleared); `held_out[r][f]` whether rule r blocks
// on field f. Fills diagnostics->rules and untrained_fields.
void EstimateHeldOut(const std::vector<FieldSpec>& specs,
                     const std::vector<std::vector<std::pair<Pattern, uint64_t>>>& rule_patterns,
                     const std::vector<std::vector<bool>>& held_out,
                     const std::vector<std::string>& rule_names, const FsModel& random_model,
                     double total_pairs, int max_iterations, FsModel* model,
                     ModelDiagnostics* diagnostics);

// The safe estimate: m fixed at its prior (most mass on the strongest level),
// u from random pairs, the prior over all comparable pairs fitted by EM.
void EstimateFallback(const std::vector<FieldSpec>& specs,
                      const std::vector<std::pair<Pattern, uint64_t>>& patterns,
                      const FsModel& random_model, double total_pairs, FsModel* model);

// Fits lambda = P(match) over `total_pairs` comparable pairs with m and u
// fixed; pairs that are not candidates count as non-matches.
void FitPrior(const std::vector<FieldSpec>& specs,
              const std::vector<std::pair<Pattern, uint64_t>>& patterns, double total_pairs,
              FsModel* model);

// FitPrior, then u = (random-pair u - lambda m) / (1 - lambda): random pairs
// include the matches, which matters when they are a noticeable share (1,000
// records in clusters of three). A few rounds; u floored at a tenth of the
// random-pair u and made monotone against m.
void FitPriorAndU(const std::vector<FieldSpec>& specs,
                  const std::vector<std::pair<Pattern, uint64_t>>& patterns, double total_pairs,
                  FsModel* model);

// The degenerate-model guards. Returns one plain-words finding per problem:
// the expected number of matching pairs above `max_matches` (when > 0) or
// above 90% of the candidates; a name field whose exact agreement has a
// non-positive weight; a match class explained by location alone (location
// fields agree among matches, names mostly do not).
std::vector<std::string> CheckModel(const std::vector<FieldSpec>& specs, const FsModel& model,
                                    double expected_matches, double candidates,
                                    double max_matches);

// True for fields that describe a place (postcode and address types; columns
// named like town, city, suburb, zip, state, county, locality).
bool IsLocationField(const FieldSpec& spec);

// Returns the model in plain words: per field and level the weight in bits
// with m and u, the prior, which rules trained what, the guards that fired.
std::string ExplainModel(const std::vector<FieldSpec>& specs, const FsModel& model,
                         const ModelDiagnostics& diagnostics);

}  // namespace holo::match
