#include "match/fellegi_sunter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_map>

namespace holo::match {
namespace {
constexpr double kMinProb = 1e-9;
constexpr double kMinM = 1e-5;
constexpr double kMinURatio = 0.1;
// The random-pair sample is split into this many independent streams so that
// the estimate does not depend on the number of threads.
constexpr int kUStreams = 8;
// Field g depends on field f when, among random pairs, g agrees exactly this
// many times more often given f's exact agreement than without it (a town
// given its postcode: hundreds of times), over at least kDependencePairs pairs.
constexpr double kDependenceLift = 4.0;
constexpr double kDependencePairs = 20;
// A name depends on a place when it agrees this many times more often among
// random pairs that share the place.
constexpr double kNameDependenceLift = 1.2;
// Guards (see CheckModel). A person's records disagree on a name (beyond the
// close levels: typos, swaps) less often than they agree; a class in which a
// place agrees almost always while a name disagrees in a third of the pairs
// is "same place", not "same person" (households, neighbours).
constexpr double kMaxNameDisagreement = 0.5;
constexpr double kLocationClassExact = 0.95;
constexpr double kLocationClassNameElse = 0.3;
// A rule whose EM gives its pairs a smaller match share than this found no
// class at all (u explains everything); its m is noise.
constexpr double kMinRuleLambda = 1e-4;

bool IsName(const FieldSpec& spec);

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A uniform integer in [0, n) (multiply-shift; the bias is below 2^-32 for
// any n we see).
uint64_t Below(uint64_t& state, uint64_t n) {
  return static_cast<uint64_t>((static_cast<__uint128_t>(SplitMix64(state)) * n) >> 64);
}

}  // namespace

Pattern ComparePair(const std::vector<FieldSpec>& specs, const RecordStore& store, uint32_t a,
                    uint32_t b) {
  Pattern p = 0;
  for (size_t f = 0; f < specs.size(); ++f) {
    const int8_t l = CompareField(specs, f, store, a, b);
    p |= static_cast<Pattern>(l + 1) << (4 * f);
  }
  return p;
}

void EstimateU(const std::vector<FieldSpec>& specs, const RecordStore& store,
               const std::vector<uint8_t>* sources, uint64_t max_pairs, uint64_t seed, int threads,
               FsModel* model) {
  const size_t n = store.size();
  const size_t nf = specs.size();
  const bool link = sources != nullptr;
  uint64_t total = static_cast<uint64_t>(n) * (n - 1) / 2;
  if (link) {
    std::vector<uint64_t> per_source(256, 0);
    for (uint8_t s : *sources) ++per_source[s];
    uint64_t same = 0;
    for (uint64_t c : per_source) same += c * (c > 0 ? c - 1 : 0) / 2;
    total -= same;
  }
  // counts[stream][field][level]
  std::vector<std::vector<std::vector<double>>> counts(kUStreams);
  for (auto& c : counts) {
    c.resize(nf);
    for (size_t f = 0; f < nf; ++f) c[f].assign(specs[f].num_levels, 0.0);
  }
  // joint[stream][f * nf + g]: pairs where f and g both agree exactly.
  std::vector<std::vector<double>> joint(kUStreams, std::vector<double>(nf * nf, 0.0));
  auto count_pair = [&](int s, size_t i, size_t j) {
    auto& c = counts[s];
    size_t exact[kMaxFields];
    size_t num_exact = 0;
    for (size_t f = 0; f < nf; ++f) {
      int8_t l = CompareField(specs, f, store, static_cast<uint32_t>(i), static_cast<uint32_t>(j));
      if (l >= 0) c[f][l] += 1;
      if (l == 0) exact[num_exact++] = f;
    }
    for (size_t x = 0; x < num_exact; ++x) {
      for (size_t y = 0; y < num_exact; ++y) joint[s][exact[x] * nf + exact[y]] += 1;
    }
  };
  auto run_stream = [&](int s) {
    if (total <= max_pairs) {
      // All pairs: stream s takes the first records i with i % kUStreams == s.
      for (size_t i = s; i < n; i += kUStreams) {
        for (size_t j = i + 1; j < n; ++j) {
          if (!link || (*sources)[i] != (*sources)[j]) count_pair(s, i, j);
        }
      }
      return;
    }
    uint64_t state = seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(s) + 1;
    const uint64_t k_pairs =
        max_pairs / kUStreams + (static_cast<uint64_t>(s) < max_pairs % kUStreams);
    for (uint64_t k = 0; k < k_pairs; ++k) {
      size_t i = Below(state, n), j;
      do {
        j = Below(state, n);
      } while (j == i || (link && (*sources)[i] == (*sources)[j]));
      count_pair(s, i, j);
    }
  };
  threads = std::clamp(threads, 1, kUStreams);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int s = t; s < kUStreams; s += threads) run_stream(s);
    });
  }
  for (int s = 0; s < kUStreams; s += threads) run_stream(s);
  for (auto& th : pool) th.join();

  model->u.assign(nf, {});
  for (size_t f = 0; f < nf; ++f) {
    std::vector<double> sum_levels(specs[f].num_levels, 0.0);
    for (const auto& c : counts) {
      for (int l = 0; l < specs[f].num_levels; ++l) sum_levels[l] += c[f][l];
    }
    double sum = 0;
    for (double c : sum_levels) sum += c;
    const double k = static_cast<double>(sum_levels.size());
    for (double c : sum_levels) {
      // Light smoothing so unseen agreement levels keep a finite weight.
      model->u[f].push_back((c + 0.1) / (sum + 0.1 * k));
    }
  }
  model->random_u = model->u;
  // Dependencies between exact agreements: P(g exact | f exact) far above
  // P(g exact).
  std::vector<double> j(nf * nf, 0.0);
  for (const auto& js : joint) {
    for (size_t k = 0; k < nf * nf; ++k) j[k] += js[k];
  }
  model->nf = nf;
  model->joint_random.assign(nf * nf, 0.0);
  const double pairs = static_cast<double>(std::min<uint64_t>(total, max_pairs));
  model->random_pairs = pairs;
  for (size_t k = 0; k < nf * nf; ++k) model->joint_random[k] = pairs > 0 ? j[k] / pairs : 0;
  model->dep_u.assign(nf * nf, 0.0);
  model->lambda = 0;
  model->m.clear();
  UpdateDependencies(specs, model);
}

void UpdateDependencies(const std::vector<FieldSpec>& specs, FsModel* model) {
  const size_t nf = specs.size();
  if (model->nf != nf || model->joint_random.size() != nf * nf) return;
  const double pi = model->lambda;
  const bool have_m = model->m.size() == nf;
  model->dep_u.assign(nf * nf, 0.0);
  for (size_t f = 0; f < nf; ++f) {
    // Only places condition (a postcode lies in one town; relatives live
    // together); what names and dates share among random pairs is evidence.
    if (!IsLocationField(specs[f])) continue;
    const double mf = have_m ? model->m[f][0] : 0;
    const double pf = (model->joint_random[f * nf + f] - pi * mf) / (1 - pi);
    if (pf <= 0) continue;
    for (size_t g = 0; g < nf; ++g) {
      if (g == f) continue;
      const double mg = have_m ? model->m[g][0] : 0;
      const double pfg = (model->joint_random[f * nf + g] - pi * mf * mg) / (1 - pi);
      const double cond = pfg / pf;
      const double ug = model->u[g][0];
      // Enough random pairs behind the estimate (joint frequency x the sample).
      if (pfg <= 0 || model->joint_random[f * nf + g] * model->random_pairs < kDependencePairs) {
        continue;
      }
      if (IsLocationField(specs[g])) {
        if (cond >= kDependenceLift * ug) model->dep_u[f * nf + g] = cond;
      } else if (IsName(specs[g])) {
        if (cond >= kNameDependenceLift * ug) model->dep_u[f * nf + g] = cond;
      }
    }
  }
}

void FinishModel(FsModel* model) {
  const size_t nf = model->m.size();
  model->weight.assign(nf, {});
  for (size_t f = 0; f < nf; ++f) {
    for (size_t l = 0; l < model->m[f].size(); ++l) {
      model->weight[f].push_back(std::log2(std::max(model->m[f][l], kMinProb) /
                                           std::max(model->u[f][l], kMinProb)));
    }
  }
  model->dep_weight.assign(model->dep_u.size(), 0.0);
  if (model->nf != nf) return;
  for (size_t f = 0; f < nf; ++f) {
    for (size_t g = 0; g < nf; ++g) {
      const double d = model->dep_u[f * nf + g];
      // Never more than the field's own exact weight: the dependency only
      // takes evidence away.
      if (d > 0) {
        model->dep_weight[f * nf + g] = std::min(
            model->weight[g][0], std::log2(std::max(model->m[g][0], kMinProb) / d));
      }
    }
  }
}

void MakeMonotoneU(const std::vector<double>& m, std::vector<double>* u) {
  struct Block {
    size_t begin, end;
    double m, u;
  };
  std::vector<Block> blocks;
  for (size_t l = 0; l < u->size(); ++l) {
    blocks.push_back({l, l + 1, m[l], (*u)[l]});
    while (blocks.size() >= 2) {
      const Block& b = blocks.back();
      const Block& a = blocks[blocks.size() - 2];
      if (a.m * b.u >= b.m * a.u) break;  // ratio(a) >= ratio(b): in order
      Block merged{a.begin, b.end, a.m + b.m, a.u + b.u};
      blocks.pop_back();
      blocks.back() = merged;
    }
  }
  for (const Block& b : blocks) {
    if (b.end - b.begin < 2 || b.m <= 0) continue;
    for (size_t l = b.begin; l < b.end; ++l) (*u)[l] = std::max(b.u * m[l] / b.m, kMinProb);
  }
}

void RunEm(const std::vector<FieldSpec>& specs,
           const std::vector<std::vector<std::pair<Pattern, uint64_t>>>& groups, int max_iterations,
           bool estimate_u, const std::vector<std::vector<double>>& random_u,
           std::vector<FsModel>* group_models, FsModel* pooled) {
  const size_t nf = specs.size();
  const size_t ng = groups.size();
  // Levels of every pattern, unpacked once; group g's patterns are
  // [first[g], first[g + 1]).
  std::vector<size_t> first = {0};
  for (const auto& g : groups) first.push_back(first.back() + g.size());
  const size_t np = first.back();
  std::vector<int8_t> levels(np * nf);
  std::vector<double> weights(np);
  for (size_t g = 0; g < ng; ++g) {
    for (size_t k = 0; k < groups[g].size(); ++k) {
      const size_t p = first[g] + k;
      for (size_t f = 0; f < nf; ++f) levels[p * nf + f] = PatternLevel(groups[g][k].first, f);
      weights[p] = static_cast<double>(groups[g][k].second);
    }
  }
  // Initial m: most mass on the top agreement level, a little on disagreement.
  std::vector<std::vector<double>> m(nf);
  for (size_t f = 0; f < nf; ++f) {
    const int k = specs[f].num_levels;
    m[f].assign(k, 0.0);
    if (k == 2) {
      m[f] = {0.9, 0.1};
    } else {
      m[f][0] = 0.8;
      m[f][k - 1] = 0.05;
      for (int l = 1; l < k - 1; ++l) m[f][l] = 0.15 / (k - 2);
    }
  }
  std::vector<std::vector<std::vector<double>>> u(ng, random_u);
  std::vector<double> lambda(ng, 0.1);
  std::vector<double> post(np);
  std::vector<std::vector<double>> mc(nf);
  std::vector<std::vector<std::vector<double>>> uc(ng, std::vector<std::vector<double>>(nf));
  std::vector<double> group_total(ng), group_matched(ng);
  bool converged = false;
  int it = 0;
  for (; it < max_iterations; ++it) {
    // E step.
    for (size_t g = 0; g < ng; ++g) {
      std::vector<std::vector<double>> log_ratio(nf);
      for (size_t f = 0; f < nf; ++f) {
        for (size_t l = 0; l < m[f].size(); ++l) {
          log_ratio[f].push_back(std::log(m[f][l]) - std::log(u[g][f][l]));
        }
      }
      const double prior = std::log(lambda[g]) - std::log(1 - lambda[g]);
      for (size_t p = first[g]; p < first[g + 1]; ++p) {
        double x = prior;
        const int8_t* lv = &levels[p * nf];
        for (size_t f = 0; f < nf; ++f) {
          if (lv[f] >= 0) x += log_ratio[f][lv[f]];
        }
        post[p] = x < -700 ? 0.0 : 1.0 / (1.0 + std::exp(-x));
      }
    }
    // M step: m from every group, u and lambda per group.
    for (size_t f = 0; f < nf; ++f) mc[f].assign(specs[f].num_levels, 0.0);
    for (size_t g = 0; g < ng; ++g) {
      for (size_t f = 0; f < nf; ++f) uc[g][f].assign(specs[f].num_levels, 0.0);
      group_total[g] = group_matched[g] = 0;
      for (size_t p = first[g]; p < first[g + 1]; ++p) {
        group_total[g] += weights[p];
        group_matched[g] += weights[p] * post[p];
        const int8_t* lv = &levels[p * nf];
        for (size_t f = 0; f < nf; ++f) {
          if (lv[f] < 0) continue;
          mc[f][lv[f]] += weights[p] * post[p];
          uc[g][f][lv[f]] += weights[p] * (1 - post[p]);
        }
      }
    }
    double delta = 0;
    for (size_t f = 0; f < nf; ++f) {
      double s = 0;
      for (double c : mc[f]) s += c;
      if (s <= 0) continue;  // field always missing among matches: keep m
      for (size_t l = 0; l < mc[f].size(); ++l) {
        const double v = std::max(mc[f][l] / s, kMinM);
        delta = std::max(delta, std::fabs(v - m[f][l]));
        m[f][l] = v;
      }
    }
    for (size_t g = 0; g < ng; ++g) {
      const double new_lambda =
          std::clamp(group_matched[g] / std::max(group_total[g], 1.0), 1e-6, 1 - 1e-6);
      delta = std::max(delta, std::fabs(new_lambda - lambda[g]));
      lambda[g] = new_lambda;
      for (size_t f = 0; f < nf; ++f) {
        if (estimate_u) {
          double s = 0;
          for (double c : uc[g][f]) s += c;
          if (s > 0) {
            const double k = static_cast<double>(uc[g][f].size());
            for (size_t l = 0; l < uc[g][f].size(); ++l) {
              // A pseudo-count prior towards the random-pair u keeps rare levels
              // sane; never let u fall far below the random-pair u (levels only
              // matches reach would get unbounded weights).
              const double v = (uc[g][f][l] + k * random_u[f][l]) / (s + k);
              u[g][f][l] = std::max({v, random_u[f][l] * kMinURatio, kMinProb});
            }
          }
        }
        MakeMonotoneU(m[f], &u[g][f]);
      }
    }
    if (delta < 1e-6) {
      converged = true;
      ++it;
      break;
    }
  }
  auto finish = [&](FsModel* out, const std::vector<std::vector<double>>& uu, double lam) {
    out->m = m;
    out->u = uu;
    out->random_u = random_u;
    out->lambda = lam;
    out->em_iterations = it;
    out->converged = converged;
    out->weight.assign(nf, {});
    for (size_t f = 0; f < nf; ++f) {
      for (size_t l = 0; l < m[f].size(); ++l) {
        out->weight[f].push_back(
            std::log2(std::max(m[f][l], kMinProb) / std::max(out->u[f][l], kMinProb)));
      }
    }
  };
  group_models->resize(ng);
  for (size_t g = 0; g < ng; ++g) finish(&(*group_models)[g], u[g], lambda[g]);
  // The pooled model: u over all groups' non-matches, lambda over all pairs.
  std::vector<std::vector<double>> pooled_u(nf);
  double all = 0, matched = 0;
  for (size_t g = 0; g < ng; ++g) {
    all += group_total[g];
    matched += group_matched[g];
  }
  for (size_t f = 0; f < nf; ++f) {
    pooled_u[f].assign(m[f].size(), 0.0);
    double s = 0;
    for (size_t g = 0; g < ng; ++g) {
      const double w = std::max(group_total[g] - group_matched[g], 0.0);
      s += w;
      for (size_t l = 0; l < m[f].size(); ++l) pooled_u[f][l] += w * u[g][f][l];
    }
    for (size_t l = 0; l < m[f].size(); ++l) {
      pooled_u[f][l] = s > 0 ? pooled_u[f][l] / s : random_u[f][l];
    }
    MakeMonotoneU(m[f], &pooled_u[f]);
  }
  finish(pooled, pooled_u, std::clamp(matched / std::max(all, 1.0), 1e-6, 1 - 1e-6));
}

double MatchWeight(const std::vector<FieldSpec>& specs, const FsModel& model, Pattern pattern,
                   const RecordStore* store, uint32_t a) {
  double w = 0;
  const size_t nf = specs.size();
  const bool deps = !model.dep_weight.empty() && model.nf == nf;
  for (size_t f = 0; f < nf; ++f) {
    const int8_t l = PatternLevel(pattern, f);
    if (l < 0) continue;
    if (l == 0 && deps) {
      // Exact agreement that an earlier field's exact agreement implies
      // (town after postcode) adds only its conditional evidence.
      bool dependent = false;
      double dw = 0;
      const bool name = specs[f].config.type == FieldType::kName;
      for (size_t e = 0; e < nf; ++e) {
        // Places condition later places; a name is conditioned on any place.
        if (e == f || (e > f && !name)) continue;
        if (model.dep_u[e * nf + f] > 0 && PatternLevel(pattern, e) == 0) {
          const double x = model.dep_weight[e * nf + f];
          dw = dependent ? std::min(dw, x) : x;
          dependent = true;
        }
      }
      if (dependent) {
        w += dw;
        // A name's own rarity still counts (on top of the place's).
        if (!name || store == nullptr || !specs[f].config.term_frequency) continue;
        const float tf = store->fields[f].cell(a).tf;
        if (tf > 0) w -= std::log2(std::clamp(tf / model.random_u[f][0], 1.0 / 20.0, 20.0));
        continue;
      }
    }
    w += model.weight[f][l];
    if (l == 0 && store != nullptr && specs[f].config.term_frequency) {
      const float tf = store->fields[f].cell(a).tf;
      if (tf > 0) {
        // Exact agreement on a value: the chance that a random pair agrees on
        // *this* value is its frequency, so rare values weigh more. Bounded so
        // one field cannot dominate.
        w -= std::log2(std::clamp(tf / model.random_u[f][0], 1.0 / 20.0, 20.0));
      }
    }
  }
  return w;
}

double PriorLogOdds(const FsModel& model) { return std::log2(model.lambda / (1 - model.lambda)); }

double ProbabilityOfLogOdds(double x) {
  if (x < -1000) return 0;
  return 1.0 / (1.0 + std::exp2(-x));
}

double Posterior(const FsModel& model, double w) {
  return ProbabilityOfLogOdds(w + PriorLogOdds(model));
}

}  // namespace holo::match

namespace holo::match {
namespace {

// The prior m of a field before anything is learned: most mass on the
// strongest level, a little on disagreement (EM's initial value, and the
// safe estimate's m).
std::vector<double> PriorM(int levels) {
  if (levels == 2) return {0.9, 0.1};
  std::vector<double> m(levels, 0.15 / (levels - 2));
  m[0] = 0.8;
  m[levels - 1] = 0.05;
  return m;
}

bool IsName(const FieldSpec& spec) { return spec.config.type == FieldType::kName; }

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// For the guards: a name field, or a string / text / exact field called like
// one ("surname", "givenname", "fname": a new user may type names as strings).
bool IsNameLike(const FieldSpec& spec) {
  if (IsName(spec)) return true;
  const FieldType t = spec.config.type;
  if (t != FieldType::kString && t != FieldType::kText && t != FieldType::kExact) return false;
  if (IsLocationField(spec)) return false;
  std::string name = Lower(spec.config.name);
  for (const auto& c : spec.config.columns) name += " " + Lower(c);
  return name.find("name") != std::string::npos;
}

// Finds, in a model's m, the reasons it does not describe "same person":
// names with m at or below u on exact agreement, or location fields that
// agree among matches while names mostly do not. `u` is the model's u.
std::vector<std::string> NameFindings(const std::vector<FieldSpec>& specs,
                                      const std::vector<std::vector<double>>& m,
                                      const std::vector<std::vector<double>>& u,
                                      const std::vector<bool>* skip) {
  std::vector<std::string> out;
  char buf[240];
  double worst_name_else = 0, best_location_exact = 0;
  std::string worst_name, location;
  // "Disagree more often than not" counts when it holds for at least half of
  // the name fields (a second surname that is nearly always empty may well).
  std::vector<std::string> disagreeing;
  size_t names = 0;
  for (size_t f = 0; f < specs.size(); ++f) {
    if (skip != nullptr && (*skip)[f]) continue;
    const double m_else = m[f].back();
    if (IsNameLike(specs[f])) {
      ++names;
      if (m[f][0] <= u[f][0]) {
        std::snprintf(buf, sizeof(buf),
                      "%s: exact agreement has non-positive weight (m %.3g <= u %.3g)",
                      specs[f].config.name.c_str(), m[f][0], u[f][0]);
        out.push_back(buf);
      } else if (m_else > kMaxNameDisagreement) {
        std::snprintf(buf, sizeof(buf),
                      "%s: matching records would disagree on it more often than not (m %.3g)",
                      specs[f].config.name.c_str(), m_else);
        disagreeing.push_back(buf);
      }
      if (m_else > worst_name_else && m_else <= kMaxNameDisagreement) {
        worst_name_else = m_else;
        worst_name = specs[f].config.name;
      }
    } else if (IsLocationField(specs[f]) && m[f][0] > best_location_exact) {
      best_location_exact = m[f][0];
      location = specs[f].config.name;
    }
  }
  if (!disagreeing.empty() && 2 * disagreeing.size() >= names) {
    for (auto& d : disagreeing) out.push_back(std::move(d));
  }
  if (best_location_exact >= kLocationClassExact && worst_name_else >= kLocationClassNameElse) {
    std::snprintf(buf, sizeof(buf),
                  "the match class is explained by location: %s agrees in %.1f%% of its pairs, "
                  "while %.0f%% disagree on %s",
                  location.c_str(), 100 * best_location_exact, 100 * worst_name_else,
                  worst_name.c_str());
    out.push_back(buf);
  }
  return out;
}

}  // namespace

bool IsLocationField(const FieldSpec& spec) {
  if (spec.config.type == FieldType::kPostcode || spec.config.type == FieldType::kAddress) {
    return true;
  }
  std::string name = Lower(spec.config.name);
  for (const auto& c : spec.config.columns) name += " " + Lower(c);
  for (const char* word : {"town", "city", "suburb", "zip", "postcode", "postal", "state", "county",
                           "locality", "place", "village", "municipality"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

void FitPrior(const std::vector<FieldSpec>& specs,
              const std::vector<std::pair<Pattern, uint64_t>>& patterns, double total_pairs,
              FsModel* model) {
  // Likelihood ratio of every distinct pattern (no term frequencies: the
  // prior is a property of the pattern mix).
  std::vector<double> lr(patterns.size());
  double candidates = 0;
  for (size_t p = 0; p < patterns.size(); ++p) {
    lr[p] = std::exp2(std::clamp(MatchWeight(specs, *model, patterns[p].first, nullptr, 0), -300.0,
                                 300.0));
    candidates += static_cast<double>(patterns[p].second);
  }
  total_pairs = std::max(total_pairs, std::max(candidates, 1.0));
  double pi = std::clamp(0.1 * candidates / total_pairs, 1e-12, 0.5);
  int it = 0;
  for (; it < 500; ++it) {
    double matched = 0;
    for (size_t p = 0; p < patterns.size(); ++p) {
      const double x = pi * lr[p];
      matched += static_cast<double>(patterns[p].second) * x / (x + (1 - pi));
    }
    const double next = std::clamp(matched / total_pairs, 1e-15, 1 - 1e-9);
    const bool done = std::fabs(next - pi) <= 1e-9 * pi;
    pi = next;
    if (done) break;
  }
  model->lambda = pi;
}

void FitPriorAndU(const std::vector<FieldSpec>& specs,
                  const std::vector<std::pair<Pattern, uint64_t>>& patterns, double total_pairs,
                  FsModel* model) {
  const size_t nf = specs.size();
  for (int round = 0; round < 4; ++round) {
    for (size_t f = 0; f < nf; ++f) MakeMonotoneU(model->m[f], &model->u[f]);
    FinishModel(model);
    FitPrior(specs, patterns, total_pairs, model);
    // Random pairs include the matches (a share lambda of them): take them out.
    const double pi = model->lambda;
    for (size_t f = 0; f < nf; ++f) {
      double sum = 0;
      for (size_t l = 0; l < model->u[f].size(); ++l) {
        const double r = model->random_u[f][l];
        model->u[f][l] = std::max((r - pi * model->m[f][l]) / (1 - pi), r * kMinURatio);
        sum += model->u[f][l];
      }
      for (double& v : model->u[f]) v /= sum;
    }
    UpdateDependencies(specs, model);
  }
  for (size_t f = 0; f < nf; ++f) MakeMonotoneU(model->m[f], &model->u[f]);
  FinishModel(model);
}

namespace {

// Copies what the random pairs measured (u, dependencies) into `model`.
void TakeRandomPairs(const FsModel& random_model, FsModel* model) {
  model->u = random_model.random_u;
  model->random_u = random_model.random_u;
  model->nf = random_model.nf;
  model->dep_u = random_model.dep_u;
  model->joint_random = random_model.joint_random;
  model->random_pairs = random_model.random_pairs;
}

}  // namespace

void EstimateFallback(const std::vector<FieldSpec>& specs,
                      const std::vector<std::pair<Pattern, uint64_t>>& patterns,
                      const FsModel& random_model, double total_pairs, FsModel* model) {
  const size_t nf = specs.size();
  model->m.assign(nf, {});
  for (size_t f = 0; f < nf; ++f) model->m[f] = PriorM(specs[f].num_levels);
  TakeRandomPairs(random_model, model);
  model->em_iterations = 0;
  model->converged = true;
  FitPriorAndU(specs, patterns, total_pairs, model);
}

void EstimateHeldOut(const std::vector<FieldSpec>& specs,
                     const std::vector<std::vector<std::pair<Pattern, uint64_t>>>& rule_patterns,
                     const std::vector<std::vector<bool>>& held_out,
                     const std::vector<std::string>& rule_names, const FsModel& random_model,
                     double total_pairs, int max_iterations, FsModel* model,
                     ModelDiagnostics* diagnostics) {
  const size_t nf = specs.size();
  const size_t nr = rule_patterns.size();
  std::vector<std::vector<double>> m_sum(nf);
  std::vector<double> w_sum(nf, 0.0);
  for (size_t f = 0; f < nf; ++f) m_sum[f].assign(specs[f].num_levels, 0.0);
  diagnostics->rules.assign(nr, {});
  for (size_t r = 0; r < nr; ++r) {
    RuleFit& fit = diagnostics->rules[r];
    fit.name = r < rule_names.size() ? rule_names[r] : std::to_string(r);
    fit.held_out = held_out[r];
    for (const auto& [p, c] : rule_patterns[r]) fit.pairs += c;
    size_t trainable = 0;
    for (size_t f = 0; f < nf; ++f) trainable += !held_out[r][f];
    if (fit.pairs == 0) {
      fit.rejected = "no candidate pairs";
      continue;
    }
    if (trainable == 0) {
      fit.rejected = "blocks on every compared field";
      continue;
    }
    // The rule's patterns with its own fields marked missing, and a place
    // that follows from another trained place (postcode after town) too: the
    // two agree together among non-matches (neighbours), which a model of
    // independent fields can only explain as matches.
    std::vector<bool> trained(nf);
    for (size_t f = 0; f < nf; ++f) trained[f] = !held_out[r][f];
    if (random_model.nf == nf) {
      for (size_t g = 0; g < nf; ++g) {
        for (size_t f = 0; f < g && trained[g]; ++f) {
          if (trained[f] && random_model.dep_u[f * nf + g] > 0) trained[g] = false;
        }
      }
    }
    Pattern mask = 0;
    for (size_t f = 0; f < nf; ++f) {
      if (trained[f]) mask |= Pattern{0xF} << (4 * f);
    }
    std::unordered_map<Pattern, uint64_t> masked;
    for (const auto& [p, c] : rule_patterns[r]) masked[p & mask] += c;
    std::vector<std::vector<std::pair<Pattern, uint64_t>>> groups(1);
    groups[0].assign(masked.begin(), masked.end());
    std::sort(groups[0].begin(), groups[0].end());
    std::vector<FsModel> fitted;
    FsModel pooled;
    RunEm(specs, groups, max_iterations, /*estimate_u=*/true, random_model.random_u, &fitted,
          &pooled);
    const FsModel& em = fitted[0];
    fit.m = em.m;
    fit.u = em.u;
    fit.lambda = em.lambda;
    fit.em_iterations = em.em_iterations;
    fit.converged = em.converged;
    std::vector<bool> untrained(nf);
    for (size_t f = 0; f < nf; ++f) untrained[f] = !trained[f];
    fit.held_out = untrained;
    std::vector<std::string> findings = NameFindings(specs, em.m, em.u, &untrained);
    if (em.lambda < kMinRuleLambda || em.lambda * static_cast<double>(fit.pairs) < 1) {
      findings.push_back("EM found (almost) no matches among its pairs");
    }
    if (!findings.empty()) {
      fit.rejected = findings[0];
      continue;
    }
    fit.used = true;
    const double w = em.lambda * static_cast<double>(fit.pairs);
    for (size_t f = 0; f < nf; ++f) {
      if (!trained[f]) continue;
      w_sum[f] += w;
      for (size_t l = 0; l < m_sum[f].size(); ++l) m_sum[f][l] += w * em.m[f][l];
    }
  }
  model->m.assign(nf, {});
  diagnostics->untrained_fields.clear();
  for (size_t f = 0; f < nf; ++f) {
    if (w_sum[f] > 0) {
      for (double v : m_sum[f]) model->m[f].push_back(std::max(v / w_sum[f], kMinM));
    } else {
      model->m[f] = PriorM(specs[f].num_levels);
      diagnostics->untrained_fields.push_back(specs[f].config.name);
    }
  }
  TakeRandomPairs(random_model, model);
  for (size_t f = 0; f < nf; ++f) MakeMonotoneU(model->m[f], &model->u[f]);
  model->em_iterations = 0;
  model->converged = true;
  for (const RuleFit& fit : diagnostics->rules) {
    model->em_iterations = std::max(model->em_iterations, fit.em_iterations);
    if (fit.pairs > 0 && !fit.rejected.empty() && fit.em_iterations > 0 && !fit.converged) {
      model->converged = false;
    }
  }
  FinishModel(model);
}

std::vector<std::string> CheckModel(const std::vector<FieldSpec>& specs, const FsModel& model,
                                    double expected_matches, double candidates,
                                    double max_matches) {
  std::vector<std::string> out;
  char buf[240];
  if (max_matches > 0 && expected_matches > 1.5 * max_matches + 10) {
    std::snprintf(buf, sizeof(buf),
                  "lambda implausible: %.0f matching pairs expected, far more than one-to-one sources "
                  "allow at most %.0f",
                  expected_matches, max_matches);
    out.push_back(buf);
  } else if (candidates > 100 && expected_matches > 0.9 * candidates) {
    std::snprintf(buf, sizeof(buf),
                  "lambda implausible: %.0f of %.0f candidate pairs expected to match",
                  expected_matches, candidates);
    out.push_back(buf);
  }
  for (auto& f : NameFindings(specs, model.m, model.u, nullptr)) out.push_back(std::move(f));
  return out;
}

std::string ExplainModel(const std::vector<FieldSpec>& specs, const FsModel& model,
                         const ModelDiagnostics& d) {
  std::string out;
  char buf[512];
  const char* how = d.estimator == "held-out"
                        ? "m trained per blocking rule with that rule's fields held out, u from "
                          "random pairs"
                    : d.estimator == "pooled"
                        ? "m, u and lambda by EM over all candidate pairs"
                        : "safe estimate: m at its prior, u from random pairs";
  out += std::string("Model: ") + how + ".\n";
  if (d.total_pairs > 0) {
    std::snprintf(buf, sizeof(buf),
                  "Prior: lambda %.3g = P(match) for a pair of records; %.0f matching pairs "
                  "expected among %.0f comparable pairs (%.1f bits of prior odds).\n",
                  model.lambda, d.expected_matches, d.total_pairs, PriorLogOdds(model));
  } else {
    std::snprintf(buf, sizeof(buf), "Prior: lambda %.3g = P(match) for a candidate pair.\n",
                  model.lambda);
  }
  out += buf;
  out += "Weights (bits: log2(m/u); positive counts for a match, negative against):\n";
  const size_t nf = specs.size();
  for (size_t f = 0; f < nf; ++f) {
    for (int l = 0; l < specs[f].num_levels; ++l) {
      const double w = model.weight[f][l];
      const std::string level = l == 0                          ? "exact agreement"
                                : l == specs[f].num_levels - 1 ? "disagreement"
                                                               : specs[f].level_names[l];
      std::snprintf(buf, sizeof(buf), "  %s %s: %.1f bits %s (m %.3g, u %.3g)\n",
                    specs[f].config.name.c_str(), level.c_str(), std::fabs(w),
                    w >= 0 ? "for a match" : "against a match", model.m[f][l], model.u[f][l]);
      out += buf;
    }
    if (model.nf == nf && model.dep_weight.size() == nf * nf) {
      for (size_t e = 0; e < nf; ++e) {
        if (e == f || (e > f && !IsName(specs[f])) || model.dep_u[e * nf + f] <= 0) continue;
        std::snprintf(buf, sizeof(buf),
                      "    (when %s agrees exactly too: %.1f bits, since %s depends on it: "
                      "P(agree | %s agrees) %.3g among random pairs)\n",
                      specs[e].config.name.c_str(), model.dep_weight[e * nf + f],
                      specs[f].config.name.c_str(), specs[e].config.name.c_str(),
                      model.dep_u[e * nf + f]);
        out += buf;
      }
    }
  }
  if (!d.rules.empty()) out += "Training, per blocking rule:\n";
  for (const RuleFit& fit : d.rules) {
    std::string held, trained;
    for (size_t f = 0; f < nf && f < fit.held_out.size(); ++f) {
      (fit.held_out[f] ? held : trained) += (fit.held_out[f] ? held : trained).empty() ? "" : ", ";
      (fit.held_out[f] ? held : trained) += specs[f].config.name;
    }
    std::snprintf(buf, sizeof(buf), "  rule \"%s\": %llu pairs", fit.name.c_str(),
                  static_cast<unsigned long long>(fit.pairs));
    out += buf;
    if (fit.used) {
      std::snprintf(buf, sizeof(buf), ", lambda %.3g, trained %s (held out: %s)\n", fit.lambda,
                    trained.c_str(), held.empty() ? "none" : held.c_str());
    } else {
      std::snprintf(buf, sizeof(buf), ", not used: %s\n", fit.rejected.c_str());
    }
    out += buf;
  }
  if (!d.untrained_fields.empty()) {
    out += "Not trained by any rule (m at its prior):";
    for (const auto& n : d.untrained_fields) out += " " + n;
    out += "\n";
  }
  if (d.guards.empty()) {
    out += "Guards: none fired.\n";
  } else {
    out += "Guards fired:\n";
    for (const auto& g : d.guards) out += "  " + g + "\n";
    if (d.fallback) {
      out += d.estimator == "fallback" ? "  -> fell back to the safe estimate\n"
                                       : "  -> fell back to the held-out estimate\n";
    }
  }
  return out;
}

}  // namespace holo::match
