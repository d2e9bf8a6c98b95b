#include "recommend/als.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/coding.h"

namespace holo::recommend {

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Conjugate-gradient steps per vector and half-iteration (Takács et al. found 2-4 enough when
// warm-started; a fixed count keeps the work per row known).
constexpr int kCgSteps = 3;

// One side of the interactions, compressed: row r's entries are [start[r], start[r + 1]) of
// `index` (the other side's rows, ascending) and `extra` (c - 1 = alpha * w).
struct Sparse {
  std::vector<uint64_t> start;
  std::vector<uint32_t> index;
  std::vector<float> extra;
  size_t rows() const { return start.size() - 1; }
};

// A history as (item, w): w counts the item's interactions, or sums their weights.
std::vector<std::pair<uint32_t, float>> Summed(const std::vector<Dataset::Event>& history, bool use_weights) {
  std::vector<std::pair<uint32_t, float>> x;
  x.reserve(history.size());
  for (const auto& e : history) x.emplace_back(e.item, use_weights ? e.weight : 1.0f);
  std::sort(x.begin(), x.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t out = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    if (out > 0 && x[out - 1].first == x[k].first) {
      x[out - 1].second += x[k].second;
    } else {
      x[out++] = x[k];
    }
  }
  x.resize(out);
  return x;
}

// The user side and its transpose, the item side.
std::pair<Sparse, Sparse> Build(const Dataset& train, bool use_weights, float alpha) {
  Sparse users, items;
  users.start.push_back(0);
  std::vector<uint64_t> per_item(train.num_items(), 0);
  for (const auto& events : train.by_user) {
    for (const auto& [i, w] : Summed(events, use_weights)) {
      if (i >= train.num_items()) continue;
      users.index.push_back(i);
      users.extra.push_back(alpha * w);
      per_item[i] += 1;
    }
    users.start.push_back(users.index.size());
  }
  items.start.assign(train.num_items() + 1, 0);
  for (size_t i = 0; i < per_item.size(); ++i) items.start[i + 1] = items.start[i] + per_item[i];
  items.index.resize(users.index.size());
  items.extra.resize(users.index.size());
  std::vector<uint64_t> next(items.start.begin(), items.start.end() - 1);
  for (size_t u = 0; u < users.rows(); ++u) {  // users ascending, so each item's users are too
    for (uint64_t k = users.start[u]; k < users.start[u + 1]; ++k) {
      const uint64_t at = next[users.index[k]]++;
      items.index[at] = static_cast<uint32_t>(u);
      items.extra[at] = users.extra[k];
    }
  }
  return {std::move(users), std::move(items)};
}

// MᵀM summed over fixed blocks of rows in a fixed order: the same bits whatever the threads.
Eigen::MatrixXf Gram(const Matrix& m) {
  constexpr Eigen::Index kBlock = 4096;
  const Eigen::Index blocks = (m.rows() + kBlock - 1) / kBlock;
  std::vector<Eigen::MatrixXf> part(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static)
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index rows = std::min(kBlock, m.rows() - b * kBlock);
    const auto block = m.middleRows(b * kBlock, rows);
    part[static_cast<size_t>(b)].noalias() = block.transpose() * block;
  }
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(m.cols(), m.cols());
  for (const auto& p : part) g += p;
  return g;
}

// Every row of `solve` from the `fixed` side: a few CG steps on
// (FᵀF + λI + Σ_k extra_k f_k f_kᵀ) x = Σ_k (1 + extra_k) f_k, from x's current value.
void SolveRows(const Sparse& s, const Matrix& fixed, float lambda, Matrix* solve) {
  Eigen::MatrixXf a = Gram(fixed);
  a.diagonal().array() += lambda;
  const auto n = static_cast<int64_t>(s.rows());
  const Eigen::Index f = fixed.cols();
#pragma omp parallel
  {
    Eigen::VectorXf x(f), r(f), p(f), ap(f);
#pragma omp for schedule(dynamic, 256)
    for (int64_t row = 0; row < n; ++row) {
      const uint64_t begin = s.start[static_cast<size_t>(row)], end = s.start[static_cast<size_t>(row) + 1];
      x = solve->row(row).transpose();
      r.noalias() = -(a * x);
      for (uint64_t k = begin; k < end; ++k) {
        const auto y = fixed.row(s.index[k]);
        const float e = s.extra[k];
        r += (1.0f + e - e * y.dot(x.transpose())) * y.transpose();
      }
      p = r;
      float rs = r.squaredNorm();
      for (int step = 0; step < kCgSteps && rs > 1e-12f; ++step) {
        ap.noalias() = a * p;
        for (uint64_t k = begin; k < end; ++k) {
          const auto y = fixed.row(s.index[k]);
          ap += (s.extra[k] * y.dot(p.transpose())) * y.transpose();
        }
        const float pap = p.dot(ap);
        if (!(pap > 0)) break;
        const float step_size = rs / pap;
        x += step_size * p;
        r -= step_size * ap;
        const float next = r.squaredNorm();
        p = r + (next / rs) * p;
        rs = next;
      }
      solve->row(row) = x.transpose();
    }
  }
}

// Small random starting vectors, from the seed alone (not std::normal_distribution, whose
// numbers differ between standard libraries).
void Init(std::mt19937_64* rng, Matrix* m) {
  const float scale = 0.1f / std::sqrt(static_cast<float>(std::max<Eigen::Index>(1, m->cols())));
  for (Eigen::Index i = 0; i < m->size(); ++i) {
    const double u = static_cast<double>((*rng)() >> 11) * 0x1.0p-53;  // [0, 1)
    m->data()[i] = scale * static_cast<float>(2 * u - 1);
  }
}

class Als final : public Recommender {
 public:
  explicit Als(const Options& o)
      : o_(o),
        alpha_(static_cast<float>(o.alpha)),
        lambda_(static_cast<float>(o.als_lambda)),
        iterations_(o.iterations) {}
  std::string_view name() const override { return "als"; }

  Status Fit(const Dataset& train) override {
    if (o_.factors == 0) return Status::InvalidArgument("als: factors must be at least 1");
    if (!(o_.alpha >= 0) || !(o_.als_lambda > 0)) return Status::InvalidArgument("als: alpha >= 0 and lambda > 0");
    const auto [users, items] = Build(train, o_.use_weights, alpha_);
    const auto f = static_cast<Eigen::Index>(o_.factors);
    std::mt19937_64 rng(o_.seed);
    Matrix x(static_cast<Eigen::Index>(train.num_users()), f);
    y_.resize(static_cast<Eigen::Index>(train.num_items()), f);
    Init(&rng, &x);
    Init(&rng, &y_);
    for (uint32_t it = 0; it < o_.iterations; ++it) {
      SolveRows(users, y_, lambda_, &x);
      SolveRows(items, x, lambda_, &y_);
    }
    Prepare();
    return Status::OK();
  }

  void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const override {
    const Eigen::Index f = y_.cols();
    Eigen::MatrixXf a = a_;
    Eigen::VectorXf b = Eigen::VectorXf::Zero(f);
    for (const auto& [i, w] : Summed(history, o_.use_weights)) {
      if (static_cast<Eigen::Index>(i) >= y_.rows()) continue;
      const auto y = y_.row(i).transpose();
      const float e = alpha_ * w;
      a.selfadjointView<Eigen::Lower>().rankUpdate(y, e);
      b += (1.0f + e) * y;
    }
    const Eigen::VectorXf xu = a.selfadjointView<Eigen::Lower>().llt().solve(b);
    Eigen::Map<Eigen::VectorXf> s(scores.data(), static_cast<Eigen::Index>(scores.size()));
    const Eigen::Index n = std::min<Eigen::Index>(y_.rows(), s.size());
    s.setZero();
    s.head(n).noalias() = y_.topRows(n) * xu;
  }

  // The fold-in is linear in its right-hand side b = Σ_j (1 + e_j) y_j, so an item's score
  // y_i·A⁻¹b splits exactly into the history items' parts (1 + e_j) (A⁻¹y_i)·y_j.
  int Because(const std::vector<Dataset::Event>& history, uint32_t item) const override {
    return Because(history, std::vector<uint32_t>{item})[0];
  }
  std::vector<int> Because(const std::vector<Dataset::Event>& history, const std::vector<uint32_t>& items) const override {
    Eigen::MatrixXf a = a_;
    const auto summed = Summed(history, o_.use_weights);
    for (const auto& [i, w] : summed) {
      if (static_cast<Eigen::Index>(i) < y_.rows()) a.selfadjointView<Eigen::Lower>().rankUpdate(y_.row(i).transpose(), alpha_ * w);
    }
    const auto llt = a.selfadjointView<Eigen::Lower>().llt();
    std::vector<int> out;
    for (uint32_t item : items) {
      if (static_cast<Eigen::Index>(item) >= y_.rows()) {
        out.push_back(-1);
        continue;
      }
      const Eigen::VectorXf z = llt.solve(Eigen::VectorXf(y_.row(item).transpose()));
      // The best history item, then its latest event.
      uint32_t best_item = 0;
      float top = 0;
      bool any = false;
      for (const auto& [i, w] : summed) {
        if (static_cast<Eigen::Index>(i) >= y_.rows()) continue;
        const float part = (1.0f + alpha_ * w) * z.dot(y_.row(i).transpose());
        if (part > top) top = part, best_item = i, any = true;
      }
      int at = -1;
      for (size_t p = 0; any && p < history.size(); ++p) {
        if (history[p].item == best_item) at = static_cast<int>(p);
      }
      out.push_back(at);
    }
    return out;
  }

  std::string Describe() const override {
    return fmt::format("factors {}, lambda {:g}, alpha {:g}, iterations {}", y_.cols(), lambda_, alpha_, iterations_);
  }

  // alpha, lambda, iterations (floats), then the item vectors: rows, then the floats.
  void Save(std::string* out) const override {
    const float hp[3] = {alpha_, lambda_, static_cast<float>(iterations_)};
    coding::PutVarint64(out, 3);
    out->append(reinterpret_cast<const char*>(hp), sizeof(hp));
    coding::PutVarint64(out, static_cast<uint64_t>(y_.rows()));
    coding::PutVarint64(out, static_cast<uint64_t>(y_.size()));
    out->append(reinterpret_cast<const char*>(y_.data()), static_cast<size_t>(y_.size()) * sizeof(float));
  }

  Status Load(std::string_view in) override {
    const Status damaged = Status::DataLoss("als: the model file is damaged");
    uint64_t n = 0, rows = 0, size = 0;
    float hp[3];
    if (!coding::GetVarint64(&in, &n) || n != 3 || in.size() < sizeof(hp)) return damaged;
    std::memcpy(hp, in.data(), sizeof(hp));
    in.remove_prefix(sizeof(hp));
    if (!coding::GetVarint64(&in, &rows) || !coding::GetVarint64(&in, &size)) return damaged;
    if (rows == 0 || size == 0 || size % rows != 0 || in.size() != size * sizeof(float)) return damaged;
    if (!(hp[0] >= 0) || !(hp[1] > 0) || !(hp[2] >= 0)) return damaged;
    alpha_ = hp[0];
    lambda_ = hp[1];
    iterations_ = static_cast<uint32_t>(hp[2]);
    y_.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(size / rows));
    std::memcpy(y_.data(), in.data(), size * sizeof(float));
    Prepare();
    return Status::OK();
  }

 private:
  // YᵀY + λI, the start of every fold-in.
  void Prepare() {
    a_ = Gram(y_);
    a_.diagonal().array() += lambda_;
  }

  Options o_;
  float alpha_, lambda_;
  uint32_t iterations_;
  Matrix y_;            // items x factors
  Eigen::MatrixXf a_;  // factors x factors
};

}  // namespace

std::unique_ptr<Recommender> NewAls(const Options& options) { return std::make_unique<Als>(options); }

}  // namespace holo::recommend
