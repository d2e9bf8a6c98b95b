#include "match/fellegi_sunter.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace holo::match {
namespace {
constexpr double kMinProb = 1e-9;
constexpr double kMinM = 1e-5;
constexpr double kMinURatio = 0.1;
}  // namespace

ComparisonMatrix CompareAll(const std::vector<FieldSpec>& specs, const std::vector<Record>& records,
                            const std::vector<RecordPair>& pairs) {
  ComparisonMatrix cmp;
  cmp.num_fields = specs.size();
  cmp.levels.resize(pairs.size() * specs.size());
  for (size_t p = 0; p < pairs.size(); ++p) {
    const Record& a = records[pairs[p].first];
    const Record& b = records[pairs[p].second];
    for (size_t f = 0; f < specs.size(); ++f) {
      cmp.levels[p * specs.size() + f] = CompareField(specs, f, a, b);
    }
  }
  return cmp;
}

void EstimateU(const std::vector<FieldSpec>& specs, const std::vector<Record>& records,
               size_t num_first, uint64_t max_pairs, uint64_t seed, FsModel* model) {
  const size_t n = records.size();
  const size_t nf = specs.size();
  std::vector<std::vector<double>> counts(nf);
  for (size_t f = 0; f < nf; ++f) counts[f].assign(specs[f].num_levels, 0.0);
  auto count_pair = [&](size_t i, size_t j) {
    for (size_t f = 0; f < nf; ++f) {
      int8_t l = CompareField(specs, f, records[i], records[j]);
      if (l >= 0) counts[f][l] += 1;
    }
  };
  const bool link = num_first > 0;
  const uint64_t total = link ? static_cast<uint64_t>(num_first) * (n - num_first)
                              : static_cast<uint64_t>(n) * (n - 1) / 2;
  if (total <= max_pairs) {
    if (link) {
      for (size_t i = 0; i < num_first; ++i) {
        for (size_t j = num_first; j < n; ++j) count_pair(i, j);
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) count_pair(i, j);
      }
    }
  } else {
    std::mt19937_64 rng(seed);
    for (uint64_t k = 0; k < max_pairs; ++k) {
      size_t i, j;
      if (link) {
        i = std::uniform_int_distribution<size_t>(0, num_first - 1)(rng);
        j = std::uniform_int_distribution<size_t>(num_first, n - 1)(rng);
      } else {
        i = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
        do {
          j = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
        } while (j == i);
      }
      count_pair(i, j);
    }
  }
  model->u.assign(nf, {});
  for (size_t f = 0; f < nf; ++f) {
    double sum = 0;
    for (double c : counts[f]) sum += c;
    const double k = static_cast<double>(counts[f].size());
    for (double c : counts[f]) {
      // Light smoothing so unseen agreement levels keep a finite weight.
      model->u[f].push_back((c + 0.1) / (sum + 0.1 * k));
    }
  }
}

void RunEm(const std::vector<FieldSpec>& specs, const ComparisonMatrix& cmp, int max_iterations,
           bool estimate_u, FsModel* model) {
  const size_t nf = specs.size();
  model->random_u = model->u;
  const std::vector<std::vector<double>> random_u = model->u;
  // Collapse identical comparison vectors into patterns with counts.
  std::map<std::string, double> pattern_counts;
  for (size_t p = 0; p < cmp.size(); ++p) {
    const int8_t* r = cmp.row(p);
    pattern_counts[std::string(reinterpret_cast<const char*>(r), nf)] += 1;
  }
  std::vector<std::string> patterns;
  std::vector<double> weights;
  for (auto& [k, c] : pattern_counts) {
    patterns.push_back(k);
    weights.push_back(c);
  }
  // Initial m: most mass on the top agreement level, a little on disagreement.
  model->m.assign(nf, {});
  for (size_t f = 0; f < nf; ++f) {
    int k = specs[f].num_levels;
    std::vector<double>& m = model->m[f];
    m.assign(k, 0.0);
    if (k == 2) {
      m = {0.9, 0.1};
    } else {
      m[0] = 0.8;
      m[k - 1] = 0.05;
      for (int l = 1; l < k - 1; ++l) m[l] = 0.15 / (k - 2);
    }
  }
  model->lambda = 0.1;
  model->converged = false;
  std::vector<double> post(patterns.size());
  int it = 0;
  for (; it < max_iterations; ++it) {
    // E step.
    for (size_t p = 0; p < patterns.size(); ++p) {
      double lm = std::log(model->lambda), lu = std::log(1 - model->lambda);
      for (size_t f = 0; f < nf; ++f) {
        int8_t l = static_cast<int8_t>(patterns[p][f]);
        if (l < 0) continue;
        lm += std::log(model->m[f][l]);
        lu += std::log(model->u[f][l]);
      }
      double d = lu - lm;
      post[p] = d > 700 ? 0.0 : 1.0 / (1.0 + std::exp(d));
    }
    // M step.
    double total = 0, matched = 0;
    std::vector<std::vector<double>> mc(nf), uc(nf);
    for (size_t f = 0; f < nf; ++f) {
      mc[f].assign(specs[f].num_levels, 0.0);
      uc[f].assign(specs[f].num_levels, 0.0);
    }
    for (size_t p = 0; p < patterns.size(); ++p) {
      total += weights[p];
      matched += weights[p] * post[p];
      for (size_t f = 0; f < nf; ++f) {
        int8_t l = static_cast<int8_t>(patterns[p][f]);
        if (l < 0) continue;
        mc[f][l] += weights[p] * post[p];
        uc[f][l] += weights[p] * (1 - post[p]);
      }
    }
    if (estimate_u) {
      for (size_t f = 0; f < nf; ++f) {
        double s = 0;
        for (double c : uc[f]) s += c;
        if (s <= 0) continue;
        const double k = static_cast<double>(uc[f].size());
        for (size_t l = 0; l < uc[f].size(); ++l) {
          // A pseudo-count prior towards the random-pair u keeps rare levels sane.
          double v = (uc[f][l] + 1.0 * k * random_u[f][l]) / (s + 1.0 * k);
          // Never let u fall far below the random-pair u: EM would otherwise
          // push agreement levels that only matches reach to u ~ 0 (huge weights).
          model->u[f][l] = std::max({v, random_u[f][l] * kMinURatio, kMinProb});
        }
      }
    }
    double delta = 0;
    double new_lambda = std::clamp(matched / std::max(total, 1.0), 1e-6, 1 - 1e-6);
    delta = std::max(delta, std::fabs(new_lambda - model->lambda));
    model->lambda = new_lambda;
    for (size_t f = 0; f < nf; ++f) {
      double s = 0;
      for (double c : mc[f]) s += c;
      if (s <= 0) continue;  // field always missing among matches: keep m
      for (size_t l = 0; l < mc[f].size(); ++l) {
        double v = std::max(mc[f][l] / s, kMinM);
        delta = std::max(delta, std::fabs(v - model->m[f][l]));
        model->m[f][l] = v;
      }
    }
    if (delta < 1e-6) {
      model->converged = true;
      ++it;
      break;
    }
  }
  model->em_iterations = it;
}

double MatchWeight(const std::vector<FieldSpec>& specs, const FsModel& model, const int8_t* levels,
                   const Record& a) {
  double w = 0;
  for (size_t f = 0; f < specs.size(); ++f) {
    int8_t l = levels[f];
    if (l < 0) continue;
    double u = model.u[f][l];
    if (l == 0 && specs[f].config.term_frequency && a.values[f].tf > 0) {
      // Exact agreement on a value: the chance that a random pair agrees on
      // *this* value is its frequency, so rare values weigh more. Bounded so
      // one field cannot dominate.
      double u_random = model.random_u.empty() ? u : model.random_u[f][0];
      u *= std::clamp(a.values[f].tf / u_random, 1.0 / 20.0, 20.0);
    }
    w += std::log2(std::max(model.m[f][l], kMinProb) / std::max(u, kMinProb));
  }
  return w;
}

double Posterior(const FsModel& model, double w) {
  double prior = std::log2(model.lambda / (1 - model.lambda));
  double x = w + prior;
  if (x < -1000) return 0;
  return 1.0 / (1.0 + std::exp2(-x));
}

}  // namespace holo::match
