#include "match/fellegi_sunter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

namespace holo::match {
namespace {
constexpr double kMinProb = 1e-9;
constexpr double kMinM = 1e-5;
constexpr double kMinURatio = 0.1;
// The random-pair sample is split into this many independent streams so that
// the estimate does not depend on the number of threads.
constexpr int kUStreams = 8;

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

void EstimateU(const std::vector<FieldSpec>& specs, const RecordStore& store, size_t num_first,
               uint64_t max_pairs, uint64_t seed, int threads, FsModel* model) {
  const size_t n = store.size();
  const size_t nf = specs.size();
  const bool link = num_first > 0;
  const uint64_t total = link ? static_cast<uint64_t>(num_first) * (n - num_first)
                              : static_cast<uint64_t>(n) * (n - 1) / 2;
  // counts[stream][field][level]
  std::vector<std::vector<std::vector<double>>> counts(kUStreams);
  for (auto& c : counts) {
    c.resize(nf);
    for (size_t f = 0; f < nf; ++f) c[f].assign(specs[f].num_levels, 0.0);
  }
  auto count_pair = [&](std::vector<std::vector<double>>& c, size_t i, size_t j) {
    for (size_t f = 0; f < nf; ++f) {
      int8_t l = CompareField(specs, f, store, static_cast<uint32_t>(i), static_cast<uint32_t>(j));
      if (l >= 0) c[f][l] += 1;
    }
  };
  auto run_stream = [&](int s) {
    auto& c = counts[s];
    if (total <= max_pairs) {
      // All pairs: stream s takes the first records i with i % kUStreams == s.
      if (link) {
        for (size_t i = s; i < num_first; i += kUStreams) {
          for (size_t j = num_first; j < n; ++j) count_pair(c, i, j);
        }
      } else {
        for (size_t i = s; i < n; i += kUStreams) {
          for (size_t j = i + 1; j < n; ++j) count_pair(c, i, j);
        }
      }
      return;
    }
    uint64_t state = seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(s) + 1;
    const uint64_t k_pairs =
        max_pairs / kUStreams + (static_cast<uint64_t>(s) < max_pairs % kUStreams);
    for (uint64_t k = 0; k < k_pairs; ++k) {
      size_t i, j;
      if (link) {
        i = Below(state, num_first);
        j = num_first + Below(state, n - num_first);
      } else {
        i = Below(state, n);
        do {
          j = Below(state, n);
        } while (j == i);
      }
      count_pair(c, i, j);
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
                   const RecordStore& store, uint32_t a) {
  double w = 0;
  for (size_t f = 0; f < specs.size(); ++f) {
    const int8_t l = PatternLevel(pattern, f);
    if (l < 0) continue;
    w += model.weight[f][l];
    if (l == 0 && specs[f].config.term_frequency) {
      const float tf = store.fields[f].cell(a).tf;
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
