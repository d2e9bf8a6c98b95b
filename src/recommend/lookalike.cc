#include "recommend/lookalike.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "holo/status.h"
#include "recommend/wilson.h"

namespace holo::recommend {
namespace {

// Fewer seed members leave nothing to hold out: c and the held-out AUC need a few.
constexpr uint64_t kMinSeed = 10;
// The held-out AUC must beat chance by this many of its standard errors under chance.
constexpr double kSignalZ = 3;
// Rows are cut into at most this many chunks, each summed on its own and then in order, so
// the sums (and the fit) do not depend on the number of threads.
constexpr size_t kMaxChunks = 16;
// Per-chunk gradient buffers hold at most this many doubles together (32 MB).
constexpr size_t kMaxBufferDoubles = size_t{1} << 22;
constexpr int kLbfgsMemory = 10;
constexpr int kMaxHalvings = 40;
constexpr double kArmijo = 1e-4;
// The grid of audience sizes, as shares of the non-members.
constexpr double kCurveShares[] = {0.01, 0.02, 0.05, 0.10, 0.20, 0.50};
// At most this many folds, whatever LookalikeOptions::holdout asks.
constexpr uint64_t kMaxFolds = 20;
// The label frequency's lower bound: regions of at least this many people, and the Wilson
// bound's z (high: the best of many regions is taken).
constexpr double kMinRegion = 20;
constexpr double kRegionZ = 3;
// The 1-D model of the seed's share by margin is fitted over this many bins of rows.
constexpr size_t kBins = 500;

double Sigmoid(double z) {
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

// log(1 + e^z), without overflow.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// A uniform draw from [0, n) (n > 0); mt19937_64 is the same everywhere, so is this.
uint64_t Below(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

// L2-regularised, class-balanced logistic regression over a subset of the rows:
//   f(w, b) = sum_k weight_k * (log(1 + e^{z_k}) - y_k z_k) + l2/2 |w|^2,  z_k = x_{rows[k]} . w + b
// with weight 1/(2 * positives) on the positives and 1/(2 * negatives) on the rest.
// theta holds w (dims entries) and then b.
class LogisticFit {
 public:
  LogisticFit(const FeatureRows& x, size_t dims, std::vector<uint32_t> rows, std::vector<uint8_t> y,
              double l2)
      : x_(x), dims_(dims), rows_(std::move(rows)), y_(std::move(y)), l2_(l2) {
    const size_t positives = static_cast<size_t>(std::count(y_.begin(), y_.end(), 1));
    weight_[1] = 0.5 / static_cast<double>(positives);
    weight_[0] = 0.5 / static_cast<double>(y_.size() - positives);
    size_t chunks = std::min(kMaxChunks, std::max<size_t>(1, rows_.size() / 4096));
    chunks = std::max<size_t>(1, std::min(chunks, kMaxBufferDoubles / (dims_ + 1)));
    for (size_t c = 0; c <= chunks; ++c) bounds_.push_back(rows_.size() * c / chunks);
    buffers_.assign(chunks, std::vector<double>(dims_ + 1));
  }

  // Minimises f by L-BFGS from *theta. Returns the iterations taken. It stops once the
  // gradient's norm is below tolerance * *reference; when *reference is 0 it is set to the norm
  // at the start (a warm start passes the cold start's, or its small gradient would never do).
  uint32_t Minimize(std::vector<double>* theta, uint32_t max_iterations, double tolerance,
                    double* reference) {
    std::vector<double>& t = *theta;
    std::vector<double> z, dz, g, g_new, d(dims_ + 1);
    Product(t, &z);
    double f = Loss(z, dz, 0) + Penalty(t, d, 0);
    Gradient(z, t, &g);
    if (!(*reference > 0)) *reference = std::sqrt(Dot(g, g));
    const double g0 = *reference;
    std::vector<std::vector<double>> s_mem, y_mem;
    std::vector<double> rho_mem;
    uint32_t it = 0;
    for (; it < max_iterations; ++it) {
      const double gnorm = std::sqrt(Dot(g, g));
      if (!(gnorm > tolerance * g0) || gnorm == 0) break;
      // The two-loop recursion: d = -H g.
      for (size_t i = 0; i < d.size(); ++i) d[i] = -g[i];
      std::vector<double> alpha(s_mem.size());
      for (size_t m = s_mem.size(); m-- > 0;) {
        alpha[m] = rho_mem[m] * Dot(s_mem[m], d);
        for (size_t i = 0; i < d.size(); ++i) d[i] -= alpha[m] * y_mem[m][i];
      }
      if (!s_mem.empty()) {
        const double gamma = Dot(s_mem.back(), y_mem.back()) / Dot(y_mem.back(), y_mem.back());
        for (double& v : d) v *= gamma;
      }
      for (size_t m = 0; m < s_mem.size(); ++m) {
        const double beta = rho_mem[m] * Dot(y_mem[m], d);
        for (size_t i = 0; i < d.size(); ++i) d[i] += (alpha[m] - beta) * s_mem[m][i];
      }
      double slope = Dot(g, d);
      if (!(slope < 0)) {  // not a descent direction: start over from steepest descent
        s_mem.clear(), y_mem.clear(), rho_mem.clear();
        for (size_t i = 0; i < d.size(); ++i) d[i] = -g[i];
        slope = -gnorm * gnorm;
      }
      Product(d, &dz);
      double step = s_mem.empty() ? std::min(1.0, 1 / gnorm) : 1.0;
      double f_new = f;
      bool accepted = false;
      for (int h = 0; h < kMaxHalvings; ++h, step /= 2) {
        f_new = Loss(z, dz, step) + Penalty(t, d, step);
        if (f_new <= f + kArmijo * step * slope) {
          accepted = true;
          break;
        }
      }
      if (!accepted) break;  // no decrease left at double precision
      for (size_t i = 0; i < t.size(); ++i) t[i] += step * d[i];
      for (size_t k = 0; k < z.size(); ++k) z[k] += step * dz[k];
      Gradient(z, t, &g_new);
      std::vector<double> s(d.size()), y(d.size());
      for (size_t i = 0; i < d.size(); ++i) s[i] = step * d[i], y[i] = g_new[i] - g[i];
      const double sy = Dot(s, y);
      if (sy > 1e-12 * std::sqrt(Dot(s, s) * Dot(y, y))) {
        if (s_mem.size() == kLbfgsMemory) {
          s_mem.erase(s_mem.begin()), y_mem.erase(y_mem.begin()), rho_mem.erase(rho_mem.begin());
        }
        s_mem.push_back(std::move(s)), y_mem.push_back(std::move(y)), rho_mem.push_back(1 / sy);
      }
      g.swap(g_new);
      const double decrease = f - f_new;
      f = f_new;
      if (decrease <= 1e-12 * std::max(1.0, std::abs(f))) {
        ++it;
        break;
      }
    }
    return it;
  }

  // z_k = x_{rows[k]} . theta_w + theta_b for every row of the fit.
  void Product(const std::vector<double>& theta, std::vector<double>* z) const {
    z->resize(rows_.size());
    const double b = theta[dims_];
    const int chunks = static_cast<int>(bounds_.size() - 1);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; ++c) {
      for (size_t k = bounds_[c]; k < bounds_[c + 1]; ++k) {
        double s = b;
        for (const auto& [j, v] : x_.rows[rows_[k]]) s += theta[j] * v;
        (*z)[k] = s;
      }
    }
  }

  const std::vector<uint32_t>& rows() const { return rows_; }
  const std::vector<uint8_t>& labels() const { return y_; }

 private:
  // The data term of f at z + step * dz (dz unused when step is 0).
  double Loss(const std::vector<double>& z, const std::vector<double>& dz, double step) const {
    const size_t chunks = bounds_.size() - 1;
    std::vector<double> part(chunks);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < static_cast<int>(chunks); ++c) {
      double s = 0;
      for (size_t k = bounds_[c]; k < bounds_[c + 1]; ++k) {
        const double zk = step == 0 ? z[k] : z[k] + step * dz[k];
        s += weight_[y_[k]] * (Softplus(zk) - (y_[k] ? zk : 0));
      }
      part[c] = s;
    }
    return std::accumulate(part.begin(), part.end(), 0.0);
  }

  // l2/2 |w + step * d_w|^2.
  double Penalty(const std::vector<double>& theta, const std::vector<double>& d, double step) const {
    double s = 0;
    for (size_t j = 0; j < dims_; ++j) {
      const double w = theta[j] + step * d[j];
      s += w * w;
    }
    return 0.5 * l2_ * s;
  }

  void Gradient(const std::vector<double>& z, const std::vector<double>& theta, std::vector<double>* g) {
    const int chunks = static_cast<int>(bounds_.size() - 1);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; ++c) {
      std::vector<double>& buf = buffers_[c];
      std::fill(buf.begin(), buf.end(), 0.0);
      for (size_t k = bounds_[c]; k < bounds_[c + 1]; ++k) {
        const double r = weight_[y_[k]] * (Sigmoid(z[k]) - y_[k]);
        for (const auto& [j, v] : x_.rows[rows_[k]]) buf[j] += r * v;
        buf[dims_] += r;
      }
    }
    g->assign(dims_ + 1, 0.0);
    const int n = static_cast<int>(dims_ + 1);
#pragma omp parallel for schedule(static)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int c = 0; c < chunks; ++c) s += buffers_[c][j];
      (*g)[j] = s + (static_cast<size_t>(j) < dims_ ? l2_ * theta[j] : 0.0);
    }
  }

  const FeatureRows& x_;
  const size_t dims_;
  const std::vector<uint32_t> rows_;
  const std::vector<uint8_t> y_;
  const double l2_;
  double weight_[2] = {0, 0};
  std::vector<size_t> bounds_;
  std::vector<std::vector<double>> buffers_;
};

// The balanced fit's intercept is off by the classes' weights. Returns the shift that makes the
// expected number of positives among the fit's rows, sum sigmoid(z + shift), equal `positives`:
// what an unweighted fit's intercept satisfies, so that g is P(in seed | x) in this population.
double InterceptShift(const std::vector<double>& z, double positives) {
  auto excess = [&](double shift, double* slope) {
    double s = 0, ds = 0;
    for (double v : z) {
      const double p = Sigmoid(v + shift);
      s += p;
      ds += p * (1 - p);
    }
    *slope = ds;
    return s - positives;
  };
  // excess() rises with the shift; bracket its root, then Newton steps kept inside the bracket.
  double lo = -1, hi = 1, slope = 0;
  while (excess(lo, &slope) > 0 && lo > -1e3) lo *= 2;
  while (excess(hi, &slope) < 0 && hi < 1e3) hi *= 2;
  double shift = 0;
  for (int i = 0; i < 100; ++i) {
    const double e = excess(shift, &slope);
    if (std::abs(e) <= 1e-9 * positives) break;
    if (e > 0) hi = shift; else lo = shift;
    double next = slope > 0 ? shift - e / slope : (lo + hi) / 2;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    shift = next;
  }
  return shift;
}

// z_i = x_i . theta_w + theta_b for every row (theta holds the weights, then the intercept).
void AllMargins(const FeatureRows& x, const std::vector<double>& theta, std::vector<double>* z) {
  const double b = theta.back();
  const int64_t n = static_cast<int64_t>(x.rows.size());
  z->resize(x.rows.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    double s = b;
    for (const auto& [j, v] : x.rows[i]) s += theta[j] * v;
    (*z)[i] = s;
  }
}

// One bin of rows with about the same margin: its mean margin, its rows and its seed members.
struct Bin {
  double margin = 0, rows = 0, members = 0;
};

// The 1-D PU model of the seed's share by margin: P(in seed | s) = c * sigmoid(a s + b), with c
// the label frequency and sigmoid(a s + b) = P(like the seed | s). Returns the log-likelihood
// of the bins at c, with (a, b) fitted by Fisher scoring from *ab (updated in place).
double ProfileLikelihood(const std::vector<Bin>& bins, double c, double ab[2]) {
  auto loglik = [&](double a, double b) {
    double l = 0;
    for (const Bin& bin : bins) {
      const double p = std::clamp(c * Sigmoid(a * bin.margin + b), 1e-300, 1 - 1e-15);
      l += bin.members * std::log(p) + (bin.rows - bin.members) * std::log1p(-p);
    }
    return l;
  };
  double l = loglik(ab[0], ab[1]);
  for (int it = 0; it < 50; ++it) {
    // Score and expected information in (a, b); t = a s + b, p = c sigmoid(t).
    double g[2] = {0, 0}, h[3] = {0, 0, 0};
    for (const Bin& bin : bins) {
      const double q = Sigmoid(ab[0] * bin.margin + ab[1]);
      const double p = std::clamp(c * q, 1e-300, 1 - 1e-15);
      const double dp = c * q * (1 - q);
      const double dt = dp * (bin.members / p - (bin.rows - bin.members) / (1 - p));
      const double info = bin.rows * dp * dp / (p * (1 - p));
      g[0] += dt * bin.margin, g[1] += dt;
      h[0] += info * bin.margin * bin.margin, h[1] += info * bin.margin, h[2] += info;
    }
    const double det = h[0] * h[2] - h[1] * h[1];
    if (!(det > 0)) break;
    double d[2] = {(h[2] * g[0] - h[1] * g[1]) / det, (h[0] * g[1] - h[1] * g[0]) / det};
    bool improved = false;
    for (int half = 0; half < 30; ++half, d[0] /= 2, d[1] /= 2) {
      const double next = loglik(ab[0] + d[0], ab[1] + d[1]);
      if (next >= l) {
        ab[0] += d[0], ab[1] += d[1];
        improved = next - l > 1e-7;
        l = next;
        break;
      }
    }
    if (!improved) break;
  }
  return l;
}

// The label frequency by profile likelihood over a grid of c (logit-spaced, from `lowest` to
// 1), with the (a, b) that goes with it; *range: the c whose profile log-likelihood is within
// 1.92 of the best (a 95% likelihood interval: chi-square, 1 degree of freedom, over 2).
double FitLabelFrequency(const std::vector<Bin>& bins, double lowest, double ab[2], std::pair<double, double>* range) {
  constexpr int kGrid = 80;
  const double lo = std::log(lowest / (1 - lowest)), hi = 8;  // logit(c) from lowest to ~0.9997
  double best_l = -std::numeric_limits<double>::infinity(), best_c = 1;
  double cur[2] = {1, 0}, best_ab[2] = {ab[0], ab[1]};
  // From c near 1 down, each fit warm-started from the one before.
  std::vector<std::pair<double, double>> profile;  // (c, log-likelihood)
  for (int k = kGrid; k >= 0; --k) {
    const double c = Sigmoid(lo + (hi - lo) * k / kGrid);
    const double l = ProfileLikelihood(bins, c, cur);
    profile.emplace_back(c, l);
    if (l > best_l) best_l = l, best_c = c, best_ab[0] = cur[0], best_ab[1] = cur[1];
  }
  ab[0] = best_ab[0], ab[1] = best_ab[1];
  *range = {best_c, best_c};
  for (const auto& [c, l] : profile) {
    if (l < best_l - 1.92) continue;
    range->first = std::min(range->first, c);
    range->second = std::max(range->second, c);
  }
  return best_c;
}

// The least concave majorant of the points (x, y), x ascending (the ROC convex hull),
// evaluated at `at`.
double ConcaveMajorant(const std::vector<std::pair<double, double>>& hull, double at) {
  auto it = std::lower_bound(hull.begin(), hull.end(), at,
                             [](const std::pair<double, double>& p, double v) { return p.first < v; });
  if (it == hull.end()) return hull.back().second;
  if (it == hull.begin() || it->first == at) return it->second;
  const auto& [x0, y0] = *(it - 1);
  const auto& [x1, y1] = *it;
  return y0 + (y1 - y0) * (at - x0) / (x1 - x0);
}

std::vector<std::pair<double, double>> UpperHull(const std::vector<std::pair<double, double>>& points) {
  std::vector<std::pair<double, double>> hull;
  for (const auto& p : points) {
    while (hull.size() >= 2) {
      const auto& a = hull[hull.size() - 2];
      const auto& b = hull.back();
      // Drop b when it is on or below the line from a to p.
      if ((b.first - a.first) * (p.second - a.second) - (b.second - a.second) * (p.first - a.first) >= 0) {
        hull.pop_back();
      } else {
        break;
      }
    }
    hull.push_back(p);
  }
  return hull;
}


// Higher margin first, then lower row.
struct ByMargin {
  const std::vector<float>& margin;
  bool operator()(uint32_t a, uint32_t b) const {
    return margin[a] != margin[b] ? margin[a] > margin[b] : a < b;
  }
};

}  // namespace

Result<LookalikeResult> Lookalike(const FeatureRows& x, const std::vector<uint8_t>& is_seed,
                                  const LookalikeOptions& options, const std::vector<uint64_t>& sizes) {
  const size_t n = x.rows.size();
  if (is_seed.size() != n) {
    return Status::InvalidArgument("lookalike: " + std::to_string(is_seed.size()) +
                                   " seed flags for " + std::to_string(n) + " rows");
  }
  if (n > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("lookalike: more than 2^32 - 1 rows");
  }
  if (!(options.holdout > 0 && options.holdout < 1)) {
    return Status::InvalidArgument("lookalike: holdout must be in (0, 1), not " +
                                   std::to_string(options.holdout));
  }
  if (!(options.l2 >= 0) || !std::isfinite(options.l2) || !(options.tolerance >= 0)) {
    return Status::InvalidArgument("lookalike: l2 and tolerance must be finite and not negative");
  }
  std::vector<uint32_t> members, others;
  for (size_t i = 0; i < n; ++i) (is_seed[i] ? members : others).push_back(static_cast<uint32_t>(i));
  if (members.empty()) return Status::InvalidArgument("lookalike: the seed is empty");
  if (others.empty()) {
    return Status::InvalidArgument("lookalike: everyone is in the seed; there is nobody to find");
  }
  if (members.size() < kMinSeed) {
    return Status::InvalidArgument(
        "lookalike: the seed has " + std::to_string(members.size()) + " members; at least " +
        std::to_string(kMinSeed) + " are needed to hold some out and measure the fit");
  }
  for (uint64_t size : sizes) {
    if (size == 0 || size > others.size()) {
      return Status::InvalidArgument("lookalike: audience size " + std::to_string(size) +
                                     " is not between 1 and the " + std::to_string(others.size()) +
                                     " people outside the seed");
    }
  }
  size_t dims = x.feature_names.size();
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [j, v] : x.rows[i]) {
      if (!x.feature_names.empty() && j >= x.feature_names.size()) {
        return Status::InvalidArgument("lookalike: row " + std::to_string(i) + " has feature " +
                                       std::to_string(j) + " but only " +
                                       std::to_string(x.feature_names.size()) + " are named");
      }
      if (!std::isfinite(v)) {
        return Status::InvalidArgument("lookalike: row " + std::to_string(i) + " feature " +
                                       std::to_string(j) + " is not finite");
      }
      dims = std::max<size_t>(dims, size_t{j} + 1);
    }
  }

  LookalikeResult out;
  out.seed_size = members.size();
  out.non_members = others.size();
  const uint64_t seed_size = members.size();
  const double s_count = static_cast<double>(seed_size), u_count = static_cast<double>(others.size());

  // The folds: every member is held out of exactly one fold's fit.
  const uint32_t folds = static_cast<uint32_t>(std::clamp<double>(
      std::round(1 / options.holdout), 2, static_cast<double>(std::min<uint64_t>(seed_size, kMaxFolds))));
  {
    std::mt19937_64 rng(options.seed);
    for (uint64_t i = 0; i + 1 < seed_size; ++i) std::swap(members[i], members[i + Below(rng, seed_size - i)]);
  }
  std::vector<uint8_t> fold_of(n, 0);
  for (uint64_t i = 0; i < seed_size; ++i) fold_of[members[i]] = static_cast<uint8_t>(i % folds);
  out.held_out = seed_size;

  // The final fit: the whole seed against the non-members.
  std::vector<double> theta(dims + 1, 0.0);
  double reference = 0;
  {
    std::vector<uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    LogisticFit fit(x, dims, std::move(all), std::vector<uint8_t>(is_seed.begin(), is_seed.end()),
                    options.l2);
    out.iterations += fit.Minimize(&theta, options.max_iterations, options.tolerance, &reference);
    std::vector<double> z;
    fit.Product(theta, &z);
    theta[dims] += InterceptShift(z, s_count);
    fit.Product(theta, &z);
    out.margin.resize(n);
    for (size_t i = 0; i < n; ++i) out.margin[i] = static_cast<float>(z[i]);
  }
  // The non-members best first, and their margins in that order.
  std::sort(others.begin(), others.end(), ByMargin{out.margin});
  std::vector<double> ranked(others.size());
  for (size_t k = 0; k < others.size(); ++k) ranked[k] = out.margin[others[k]];

  // Out of fold: each fold's members scored by a fit without them, as a rank among the
  // non-members under that fit (those above, ties half), and as the final fit's margin at that
  // rank (members above every non-member keep their lead over the best one).
  std::vector<double> member_rank(seed_size), member_margin(seed_size);
  for (uint32_t f = 0; f < folds; ++f) {
    std::vector<uint32_t> rows;
    std::vector<uint8_t> y;
    rows.reserve(n);
    y.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (is_seed[i] && fold_of[i] == f) continue;
      rows.push_back(static_cast<uint32_t>(i));
      y.push_back(is_seed[i] ? 1 : 0);
    }
    std::vector<double> fold_theta = theta;  // warm start from the final fit
    LogisticFit fit(x, dims, std::move(rows), std::move(y), options.l2);
    out.iterations += fit.Minimize(&fold_theta, options.max_iterations, options.tolerance, &reference);
    std::vector<double> z;
    AllMargins(x, fold_theta, &z);
    std::vector<double> sorted(others.size());
    for (size_t k = 0; k < others.size(); ++k) sorted[k] = z[others[k]];
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t m = f; m < seed_size; m += folds) {
      const double v = z[members[m]];
      const auto lo = std::lower_bound(sorted.begin(), sorted.end(), v);
      const auto hi = std::upper_bound(lo, sorted.end(), v);
      const double above = static_cast<double>(sorted.end() - hi);
      const double rank = above + 0.5 * static_cast<double>(hi - lo);
      member_rank[m] = rank;
      if (rank < 0.5) {
        member_margin[m] = ranked.front() + (v - sorted.back());
      } else {
        const double pos = std::min(rank - 0.5, u_count - 1);
        const size_t k0 = static_cast<size_t>(pos);
        const size_t k1 = std::min(k0 + 1, ranked.size() - 1);
        member_margin[m] = ranked[k0] + (ranked[k1] - ranked[k0]) * (pos - static_cast<double>(k0));
      }
    }
  }

  // The held-out AUC: the members' mean share of non-members they beat.
  double rank_sum = 0;
  for (double r : member_rank) rank_sum += r;
  out.holdout_auc = 1 - rank_sum / (s_count * u_count);
  // Under chance, the AUC's variance is (m + u + 1) / (12 m u) for m positives, u negatives.
  const double se = std::sqrt((s_count + u_count + 1) / (12 * s_count * u_count));
  out.seed_separable = out.holdout_auc > 0.5 + kSignalZ * se;

  // The measured recall: the share of members ranked within the best n non-members, on its
  // concave majorant (the ROC hull: recall per non-member taken never rises down the list).
  std::vector<double> sorted_rank = member_rank;
  std::sort(sorted_rank.begin(), sorted_rank.end());
  std::vector<std::pair<double, double>> roc = {{0.0, 0.0}};
  for (uint64_t m = 0; m < seed_size; ++m) roc.emplace_back(sorted_rank[m], static_cast<double>(m + 1) / s_count);
  roc.emplace_back(u_count, 1.0);
  const std::vector<std::pair<double, double>> hull = UpperHull(roc);

  // The label frequency c. A lower bound that needs no model: in any top region, the seed's
  // share of everyone is c times the look-alikes' share, at most c; the best region's Wilson
  // lower bound (TIcE, Bekker & Davis 2018, on the out-of-fold ranks). Then the 1-D model
  // P(in seed | s) = c sigmoid(a s + b) over the margins (members out of fold), by maximum
  // likelihood: it reads c off how the seed's share levels off at the top.
  double c_lower = s_count / (s_count + u_count);
  for (uint64_t m = 0; m < seed_size; ++m) {
    const double k = static_cast<double>(m + 1), total = k + sorted_rank[m];
    if (total < kMinRegion) continue;
    c_lower = std::max(c_lower, WilsonLower(k, total, kRegionZ));
  }
  out.label_frequency_lower = c_lower;
  double ab[2] = {1, 0};
  {
    std::vector<std::pair<double, uint8_t>> all;
    all.reserve(n);
    for (size_t k = 0; k < others.size(); ++k) all.emplace_back(ranked[k], 0);
    for (double v : member_margin) all.emplace_back(v, 1);
    std::sort(all.begin(), all.end());
    std::vector<Bin> bins;
    const size_t per_bin = std::max<size_t>(1, all.size() / kBins);
    for (size_t k = 0; k < all.size(); k += per_bin) {
      Bin bin;
      const size_t end = std::min(all.size(), k + per_bin);
      for (size_t j = k; j < end; ++j) bin.margin += all[j].first, bin.rows += 1, bin.members += all[j].second;
      bin.margin /= bin.rows;
      bins.push_back(bin);
    }
    std::pair<double, double> range;
    const double c_model = FitLabelFrequency(bins, s_count / (s_count + u_count), ab, &range);
    out.label_frequency_model = c_model;
    // A top region holding more of the seed than the model's whole interval allows contradicts
    // the model: then c is known only to be at least c_lower (and at most 1).
    out.label_frequency_range = c_lower > range.second ? std::pair<double, double>{c_lower, 1.0}
                                                       : std::pair<double, double>{std::max(range.first, c_lower), range.second};
    const double c = std::max(c_model, c_lower);
    if (c != c_model) ProfileLikelihood(bins, c, ab);
    out.label_frequency = c;
  }
  const double c_used = out.seed_separable ? out.label_frequency : 1.0;
  out.positives_outside = s_count * (1 - c_used) / c_used;

  out.score.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out.score[i] = static_cast<float>(out.seed_separable ? Sigmoid(ab[0] * out.margin[i] + ab[1])
                                                         : Sigmoid(out.margin[i]));
  }

  // The precision curve: the look-alikes outside the seed times the recall at n, over n.
  std::vector<uint64_t> grid(sizes.begin(), sizes.end());
  for (double share : kCurveShares) {
    grid.push_back(std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(share * u_count))));
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  double sum = 0;
  size_t taken = 0;
  for (uint64_t size : grid) {
    const double recall = ConcaveMajorant(hull, static_cast<double>(size));
    out.recall_curve.emplace_back(size, recall);
    if (out.seed_separable) {
      out.precision_curve.emplace_back(
          size, std::clamp(recall * out.positives_outside / static_cast<double>(size), 0.0, 1.0));
      // The same at the ends of c's likelihood interval: a larger c, fewer look-alikes outside.
      const auto at = [&](double c) {
        return std::clamp(recall * s_count * (1 - c) / c / static_cast<double>(size), 0.0, 1.0);
      };
      out.precision_range.emplace_back(at(out.label_frequency_range.second), at(out.label_frequency_range.first));
    } else {
      // Nothing to go on: the mean of g, a lower bound.
      for (; taken < size; ++taken) sum += out.score[others[taken]];
      out.precision_curve.emplace_back(size, sum / static_cast<double>(size));
    }
  }


  std::vector<uint32_t> positive;
  for (uint32_t j = 0; j < dims; ++j) {
    if (theta[j] > 0) positive.push_back(j);
  }
  const size_t k = std::min<size_t>(options.top_features, positive.size());
  std::partial_sort(positive.begin(), positive.begin() + static_cast<std::ptrdiff_t>(k), positive.end(),
                    [&](uint32_t a, uint32_t b) { return theta[a] != theta[b] ? theta[a] > theta[b] : a < b; });
  for (size_t i = 0; i < k; ++i) {
    const uint32_t j = positive[i];
    out.top_features.emplace_back(
        j < x.feature_names.size() ? x.feature_names[j] : "feature " + std::to_string(j), theta[j]);
  }
  return out;
}

std::vector<uint32_t> BestNonMembers(const LookalikeResult& result,
                                     const std::vector<uint8_t>& is_seed, uint64_t n) {
  std::vector<uint32_t> others;
  const size_t rows = std::min(is_seed.size(), result.margin.size());
  for (size_t i = 0; i < rows; ++i) {
    if (!is_seed[i]) others.push_back(static_cast<uint32_t>(i));
  }
  const size_t k = static_cast<size_t>(std::min<uint64_t>(n, others.size()));
  std::partial_sort(others.begin(), others.begin() + static_cast<std::ptrdiff_t>(k), others.end(),
                    ByMargin{result.margin});
  others.resize(k);
  return others;
}

double Auc(const std::vector<float>& score, const std::vector<uint8_t>& label) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (score.size() != label.size()) return kNaN;
  for (float s : score) {
    if (std::isnan(s)) return kNaN;
  }
  std::vector<uint32_t> order(score.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return score[a] < score[b]; });
  // The Mann-Whitney statistic: the positives' rank sum, tied scores sharing their mean rank.
  double rank_sum = 0, positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    double tied_positives = 0;
    for (; j < order.size() && score[order[j]] == score[order[i]]; ++j) tied_positives += label[order[j]] != 0;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    rank_sum += tied_positives * mean_rank;
    positives += tied_positives;
    i = j;
  }
  const double negatives = static_cast<double>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace holo::recommend
