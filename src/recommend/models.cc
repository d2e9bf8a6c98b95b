#include "recommend/models.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/coding.h"
#include "recommend/als.h"
#include "recommend/evaluate.h"

namespace holo::recommend {

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

float ValueOf(const Dataset::Event& e, bool use_weights) { return use_weights ? e.weight : 1.0f; }

// A history as item values: 1 for an item the user has, or with weights its heaviest
// interaction (a viewed-then-bought item counts as bought, not as the sum).
std::unordered_map<uint32_t, float> ItemValues(const std::vector<Dataset::Event>& history, bool use_weights) {
  std::unordered_map<uint32_t, float> x;
  for (const auto& e : history) {
    float& v = x[e.item];
    v = std::max(v, ValueOf(e, use_weights));
  }
  return x;
}

// ---- (de)serialization of the fitted state ----

void PutFloats(std::string* out, const float* p, size_t n) {
  coding::PutVarint64(out, n);
  out->append(reinterpret_cast<const char*>(p), n * sizeof(float));
}
bool GetFloats(std::string_view* in, std::vector<float>* v) {
  uint64_t n = 0;
  if (!coding::GetVarint64(in, &n) || in->size() < n * sizeof(float)) return false;
  v->resize(n);
  std::memcpy(v->data(), in->data(), n * sizeof(float));
  in->remove_prefix(n * sizeof(float));
  return true;
}
void PutMatrix(std::string* out, const Matrix& m) {
  coding::PutVarint64(out, static_cast<uint64_t>(m.rows()));
  PutFloats(out, m.data(), static_cast<size_t>(m.size()));
}
bool GetMatrix(std::string_view* in, Matrix* m) {
  uint64_t rows = 0;
  std::vector<float> v;
  if (!coding::GetVarint64(in, &rows) || !GetFloats(in, &v) || rows == 0 || v.size() % rows != 0) return false;
  *m = Eigen::Map<Matrix>(v.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(v.size() / rows));
  return true;
}
Status Damaged(std::string_view what) { return Status::DataLoss(std::string(what) + ": the model file is damaged"); }

// The index of the history event with the largest positive contribution(item of the event,
// its value); -1 when none is positive. An item seen several times counts at its latest place.
template <typename Contribution>
int Strongest(const std::vector<Dataset::Event>& history, const Contribution& contribution) {
  int best = -1;
  float top = 0;
  for (size_t p = history.size(); p-- > 0;) {
    const float c = contribution(p);
    if (c > top) top = c, best = static_cast<int>(p);
  }
  return best;
}

// ---- popularity ----

class Popularity final : public Recommender {
 public:
  std::string_view name() const override { return "popularity"; }
  Status Fit(const Dataset& train) override {
    users_.assign(train.num_items(), 0);
    for (const auto& events : train.by_user) {
      std::vector<uint32_t> items;
      for (const auto& e : events) items.push_back(e.item);
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
      for (uint32_t i : items) users_[i] += 1;
    }
    return Status::OK();
  }
  void Score(const std::vector<Dataset::Event>&, std::span<float> scores) const override {
    std::copy(users_.begin(), users_.end(), scores.begin());
  }
  std::string Describe() const override { return "items by their users"; }
  void Save(std::string* out) const override { PutFloats(out, users_.data(), users_.size()); }
  Status Load(std::string_view in) override { return GetFloats(&in, &users_) ? Status::OK() : Damaged("popularity"); }

 private:
  std::vector<float> users_;
};

// ---- item-kNN (cosine over users) ----

class ItemKnn final : public Recommender {
 public:
  explicit ItemKnn(const Options& o) : o_(o) {}
  std::string_view name() const override { return "itemknn"; }
  Status Fit(const Dataset& train) override {
    const size_t n = train.num_items();
    std::vector<std::unordered_map<uint32_t, float>> co(n);
    std::vector<double> norm(n, 0);
    for (const auto& events : train.by_user) {
      const auto x = ItemValues(events, o_.use_weights);
      for (const auto& [i, vi] : x) {
        norm[i] += static_cast<double>(vi) * vi;
        for (const auto& [j, vj] : x) {
          if (i != j) co[i][j] += vi * vj;
        }
      }
    }
    neighbours_.assign(n, {});
    for (uint32_t i = 0; i < n; ++i) {
      auto& row = neighbours_[i];
      for (const auto& [j, c] : co[i]) {
        row.emplace_back(j, static_cast<float>(c / std::sqrt(norm[i] * norm[j])));
      }
      const size_t keep = std::min<size_t>(row.size(), o_.neighbours);
      std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(keep), row.end(),
                        [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
      row.resize(keep);
      co[i].clear();
    }
    return Status::OK();
  }
  void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const override {
    std::fill(scores.begin(), scores.end(), 0.0f);
    for (const auto& [i, v] : ItemValues(history, o_.use_weights)) {
      if (i >= neighbours_.size()) continue;
      for (const auto& [j, s] : neighbours_[i]) scores[j] += s * v;
    }
  }
  bool CutRows(uint32_t) override { return cut_ = true; }  // its rows are its neighbours already
  bool ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const override {
    if (!cut_) return false;
    scores->Reset(neighbours_.size());
    for (const auto& [i, v] : ItemValues(history, o_.use_weights)) {
      if (i >= neighbours_.size()) continue;
      for (const auto& [j, s] : neighbours_[i]) scores->Add(j, s * v);
    }
    return true;
  }
  using Recommender::Because;
  int Because(const std::vector<Dataset::Event>& history, uint32_t item) const override {
    return Strongest(history, [&](size_t p) {
      const uint32_t i = history[p].item;
      if (i >= neighbours_.size()) return 0.0f;
      for (const auto& [j, s] : neighbours_[i]) {
        if (j == item) return s * ValueOf(history[p], o_.use_weights);
      }
      return 0.0f;
    });
  }
  std::string Describe() const override { return fmt::format("cosine, {} neighbours per item", o_.neighbours); }
  void Save(std::string* out) const override {
    coding::PutVarint64(out, neighbours_.size());
    for (const auto& row : neighbours_) {
      coding::PutVarint64(out, row.size());
      for (const auto& [j, s] : row) {
        coding::PutVarint64(out, j);
        out->append(reinterpret_cast<const char*>(&s), sizeof(s));
      }
    }
  }
  Status Load(std::string_view in) override {
    uint64_t n = 0;
    if (!coding::GetVarint64(&in, &n)) return Damaged("itemknn");
    neighbours_.assign(n, {});
    for (auto& row : neighbours_) {
      uint64_t m = 0;
      if (!coding::GetVarint64(&in, &m)) return Damaged("itemknn");
      for (uint64_t k = 0; k < m; ++k) {
        uint64_t j = 0;
        float s = 0;
        if (!coding::GetVarint64(&in, &j) || in.size() < sizeof(s) || j >= n) return Damaged("itemknn");
        std::memcpy(&s, in.data(), sizeof(s));
        in.remove_prefix(sizeof(s));
        row.emplace_back(static_cast<uint32_t>(j), s);
      }
    }
    return Status::OK();
  }

 private:
  Options o_;
  std::vector<std::vector<std::pair<uint32_t, float>>> neighbours_;
  bool cut_ = false;
};

// ---- EASE ----

Status CheckDense(const Dataset& train, const Options& o, std::string_view algo) {
  if (train.num_items() > o.max_dense_items) {
    return Status::InvalidArgument(fmt::format(
        "{} holds items x items numbers and {} items are more than {} (about {} MB): use --algo itemknn or popularity",
        algo, train.num_items(), o.max_dense_items,
        static_cast<uint64_t>(train.num_items()) * train.num_items() * 8 / 1000000));
  }
  return Status::OK();
}

// B = I - P / diag(P) with P = (X'X + lambda I)^-1, diag(B) = 0. In single precision: half
// the time of double, and the rankings on MovieLens are the same as numpy's in double
// (bench/recs_reference.py).
Matrix FitEase(const Dataset& train, const Options& o) {
  const auto n = static_cast<Eigen::Index>(train.num_items());
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(n, n);
  for (const auto& events : train.by_user) {
    const auto x = ItemValues(events, o.use_weights);
    for (const auto& [i, vi] : x) {
      for (const auto& [j, vj] : x) g(i, j) += vi * vj;
    }
  }
  g.diagonal().array() += static_cast<float>(o.lambda);
  // P = G^-1 from the Cholesky factor: G = L L', so P = L'^-1 L^-1 (about n^3 flops, a third
  // of solving against the identity).
  Eigen::LLT<Eigen::MatrixXf> llt(g);
  Eigen::MatrixXf linv = Eigen::MatrixXf::Identity(n, n);
  llt.matrixL().solveInPlace(linv);
  Eigen::MatrixXf p = Eigen::MatrixXf::Zero(n, n);
  p.selfadjointView<Eigen::Lower>().rankUpdate(linv.transpose());  // the lower half of L'^-1 L^-1
  Eigen::VectorXf d = p.diagonal();
  Matrix b(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) b(i, j) = i == j ? 0.0f : -(i >= j ? p(i, j) : p(j, i)) / d(j);
  }
  return b;
}

// Σ w_p B.row(item_p) into scores.
void AddRows(const Matrix& b, const std::vector<std::pair<uint32_t, float>>& x, std::span<float> scores) {
  Eigen::Map<Eigen::RowVectorXf> s(scores.data(), static_cast<Eigen::Index>(scores.size()));
  s.setZero();
  for (const auto& [i, w] : x) {
    if (static_cast<Eigen::Index>(i) < b.rows()) s += w * b.row(i);
  }
}

// Each row of a matrix cut to its `keep` largest entries (ScoreSparse).
struct SparseRows {
  std::vector<uint32_t> start;  // row i: [start[i], start[i + 1])
  std::vector<uint32_t> col;
  std::vector<float> val;

  static SparseRows Of(const Matrix& m, uint32_t keep) {
    SparseRows r;
    const auto n = static_cast<uint32_t>(m.cols());
    r.start.reserve(static_cast<size_t>(m.rows()) + 1);
    r.start.push_back(0);
    std::vector<uint32_t> order(n);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (uint32_t j = 0; j < n; ++j) order[j] = j;
      const uint32_t k = std::min(keep, n);
      std::nth_element(order.begin(), order.begin() + k, order.end(),
                       [&](uint32_t a, uint32_t b) {
                         const float x = std::fabs(m(i, a)), y = std::fabs(m(i, b));
                         return x > y || (x == y && a < b);
                       });
      for (uint32_t q = 0; q < k; ++q) {
        if (m(i, order[q]) == 0) continue;
        r.col.push_back(order[q]);
        r.val.push_back(m(i, order[q]));
      }
      r.start.push_back(static_cast<uint32_t>(r.col.size()));
    }
    return r;
  }
  // Σ w_p row(item_p) into scores (Reset first to n items).
  void AddRows(const std::vector<std::pair<uint32_t, float>>& x, size_t n, SparseScores* scores) const {
    scores->Reset(n);
    for (const auto& [i, w] : x) {
      if (i + 1 >= start.size()) continue;
      for (uint32_t q = start[i]; q < start[i + 1]; ++q) scores->Add(col[q], w * val[q]);
    }
  }
};

std::vector<std::pair<uint32_t, float>> Presence(const std::vector<Dataset::Event>& history, bool use_weights) {
  const auto x = ItemValues(history, use_weights);
  return {x.begin(), x.end()};
}

class Ease final : public Recommender {
 public:
  explicit Ease(const Options& o) : o_(o) {}
  std::string_view name() const override { return "ease"; }
  Status Fit(const Dataset& train) override {
    HOLO_RETURN_IF_ERROR(CheckDense(train, o_, "ease"));
    b_ = FitEase(train, o_);
    sparse_ = {};
    return Status::OK();
  }
  void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const override {
    AddRows(b_, Presence(history, o_.use_weights), scores);
  }
  bool CutRows(uint32_t keep) override {
    sparse_ = SparseRows::Of(b_, keep);
    return true;
  }
  bool ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const override {
    if (sparse_.start.empty()) return false;
    sparse_.AddRows(Presence(history, o_.use_weights), static_cast<size_t>(b_.cols()), scores);
    return true;
  }
  using Recommender::Because;
  int Because(const std::vector<Dataset::Event>& history, uint32_t item) const override {
    if (static_cast<Eigen::Index>(item) >= b_.cols()) return -1;
    return Strongest(history, [&](size_t p) {
      const uint32_t i = history[p].item;
      return static_cast<Eigen::Index>(i) < b_.rows() ? b_(i, item) * ValueOf(history[p], o_.use_weights) : 0.0f;
    });
  }
  std::string Describe() const override { return fmt::format("lambda {:g}", o_.lambda); }
  void Save(std::string* out) const override { PutMatrix(out, b_); }
  Status Load(std::string_view in) override {
    if (!GetMatrix(&in, &b_)) return Damaged("ease");
    sparse_ = {};
    return Status::OK();
  }

 private:
  Options o_;
  Matrix b_;
  SparseRows sparse_;
};

// ---- sequential: EASE over a recency-weighted history, plus transitions ----

// Row-normalized transitions: t(i, j) += 1 / d for j following i d = 1..kWindow places later.
constexpr int kWindow = 5;
Matrix FitTransitions(const Dataset& train) {
  const auto n = static_cast<Eigen::Index>(train.num_items());
  Matrix t = Matrix::Zero(n, n);
  for (const auto& events : train.by_user) {
    for (size_t p = 0; p < events.size(); ++p) {
      for (size_t q = p + 1; q < events.size() && q <= p + kWindow; ++q) {
        if (events[q].item != events[p].item) t(events[p].item, events[q].item) += 1.0f / static_cast<float>(q - p);
      }
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const float sum = t.row(i).sum();
    if (sum > 0) t.row(i) /= sum;
  }
  return t;
}

// Recency weights: 2^(-(age / half_life)) by place from the end (half_life 0: all 1); an item
// seen several times takes its most recent (heaviest) weight.
std::vector<std::pair<uint32_t, float>> Recent(const std::vector<Dataset::Event>& history, double half_life,
                                               bool use_weights) {
  std::vector<std::pair<uint32_t, float>> x;
  x.reserve(history.size());
  const size_t n = history.size();
  for (size_t p = 0; p < n; ++p) {
    const double age = static_cast<double>(n - 1 - p);
    const double w = half_life > 0 ? std::exp2(-age / half_life) : 1.0;
    x.emplace_back(history[p].item, static_cast<float>(w) * ValueOf(history[p], use_weights));
  }
  // One per item, ascending: its largest weight.
  std::sort(x.begin(), x.end());
  size_t out = 0;
  for (size_t p = 0; p < x.size(); ++p) {
    if (out > 0 && x[out - 1].first == x[p].first) {
      x[out - 1].second = std::max(x[out - 1].second, x[p].second);
    } else {
      x[out++] = x[p];
    }
  }
  x.resize(out);
  return x;
}

// The user's own items, by their recency weight.
void Own(const std::vector<std::pair<uint32_t, float>>& x, std::span<float> own) {
  std::fill(own.begin(), own.end(), 0.0f);
  for (const auto& [i, w] : x) {
    if (i < own.size()) own[i] = w;
  }
}

float MaxAbs(std::span<const float> v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// The three parts of a user's score and their largest magnitudes (the scale of each part).
struct Parts {
  std::vector<float> ease, trans, own;
  float me = 0, mt = 0, mo = 0;
  explicit Parts(size_t n) : ease(n), trans(n), own(n) {}
  void Measure() { me = MaxAbs(ease), mt = MaxAbs(trans), mo = MaxAbs(own); }
};

// ease / max|ease| + alpha trans / max|trans| + beta own / max|own|, into `out`.
void Blend(const Parts& p, double alpha, double beta, std::span<float> out) {
  const float a = p.me > 0 ? 1.0f / p.me : 0.0f;
  const float b = p.mt > 0 ? static_cast<float>(alpha) / p.mt : 0.0f;
  const float c = p.mo > 0 ? static_cast<float>(beta) / p.mo : 0.0f;
  for (size_t j = 0; j < out.size(); ++j) out[j] = a * p.ease[j] + b * p.trans[j] + c * p.own[j];
}

// The scales of the last history a thread scored with a sequential model (its identity: the
// model, the history's length and its last event), so that explaining its top items does not
// score it again.
struct ScaleMemo {
  const void* model = nullptr;
  size_t size = 0;
  uint64_t hash = 0;  // of every event's item, weight and time
  float me = 0, mt = 0;
  static ScaleMemo Of(const void* model, const std::vector<Dataset::Event>& history) {
    ScaleMemo m;
    m.model = model;
    m.size = history.size();
    uint64_t h = 1469598103934665603ULL;
    for (const auto& e : history) {
      uint32_t w = 0;
      std::memcpy(&w, &e.weight, sizeof(w));
      for (uint64_t v : {static_cast<uint64_t>(e.item), static_cast<uint64_t>(w), static_cast<uint64_t>(e.ts)}) h = (h ^ v) * 1099511628211ULL;
    }
    m.hash = h;
    return m;
  }
  bool Same(const ScaleMemo& o) const { return model == o.model && size == o.size && hash == o.hash; }
};
thread_local ScaleMemo last_scales_;

class Sequential final : public Recommender {
 public:
  explicit Sequential(const Options& o) : o_(o) {}
  std::string_view name() const override { return "sequential"; }
  Status Fit(const Dataset& train) override {
    HOLO_RETURN_IF_ERROR(CheckDense(train, o_, "sequential"));
    // Choose the half-life and the weights on each user's latest training target, held out
    // from a fit on the rest: the test data is never looked at.
    const Split v = o_.next_purchase ? LeaveLastPurchaseOut(train) : LeaveLastOut(train);
    b_ = FitEase(v.train, o_);
    t_ = FitTransitions(v.train);
    const std::vector<double> half_lives = {0, 1, 2, 4, 8, 16, 32, 64};
    const std::vector<double> alphas = {0, 0.1, 0.25, 0.5, 1, 2, 4};
    const std::vector<double> betas = {0, 0.5, 1, 2, 4};
    const size_t per_h = alphas.size() * betas.size();
    std::vector<double> ndcg(half_lives.size() * per_h, 0);
    const size_t n = train.num_items();
    Parts parts(n);
    std::vector<float> blend(n);
    std::vector<uint32_t> exclude;
    for (size_t h = 0; h < half_lives.size(); ++h) {
      for (uint32_t u = 0; u < v.train.num_users(); ++u) {
        if (v.held[u] < 0) continue;
        Score(v.train.by_user[u], half_lives[h], &parts);
        exclude.clear();
        if (v.exclude.empty()) {
          for (const auto& e : v.train.by_user[u]) exclude.push_back(e.item);
        } else {
          exclude = v.exclude[u];
        }
        const uint32_t held = static_cast<uint32_t>(v.held[u]);
        for (size_t a = 0; a < alphas.size(); ++a) {
          for (size_t c = 0; c < betas.size(); ++c) {
            Blend(parts, alphas[a], betas[c], blend);
            const size_t rank = RankOf(blend, exclude, held);
            if (rank <= 10) ndcg[h * per_h + a * betas.size() + c] += 1 / std::log2(static_cast<double>(rank) + 1);
          }
        }
      }
    }
    // The best; among equals, the simplest (the first in the grid: no recency, no extras).
    const size_t best = static_cast<size_t>(std::max_element(ndcg.begin(), ndcg.end()) - ndcg.begin());
    half_life_ = half_lives[best / per_h];
    alpha_ = alphas[(best % per_h) / betas.size()];
    beta_ = betas[best % betas.size()];
    b_ = FitEase(train, o_);
    t_ = FitTransitions(train);
    b_cut_ = t_cut_ = {};
    return Status::OK();
  }
  void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const override {
    thread_local Parts parts(0);
    if (parts.ease.size() != scores.size()) parts = Parts(scores.size());
    Score(history, half_life_, &parts);
    Blend(parts, alpha_, beta_, scores);
    last_scales_ = ScaleMemo::Of(this, history);
    last_scales_.me = parts.me, last_scales_.mt = parts.mt;
  }
  // The event whose item adds most to each item through EASE and the transitions, each part at
  // its scale in the user's blend, the event at its recency weight.
  int Because(const std::vector<Dataset::Event>& history, uint32_t item) const override {
    return Because(history, std::vector<uint32_t>{item})[0];
  }
  std::vector<int> Because(const std::vector<Dataset::Event>& history, const std::vector<uint32_t>& items) const override {
    // The parts' scales: from the Score of this history on this thread when that was the last
    // one (a recommendation scores, then explains its top items), else computed again.
    float me = 0, mt = 0;
    const ScaleMemo key = ScaleMemo::Of(this, history);
    if (key.Same(last_scales_)) {
      me = last_scales_.me, mt = last_scales_.mt;
    } else {
      Parts parts(static_cast<size_t>(b_.cols()));
      Score(history, half_life_, &parts);
      me = parts.me, mt = parts.mt;
    }
    const float a = me > 0 ? 1.0f / me : 0.0f;
    const float b = mt > 0 ? static_cast<float>(alpha_) / mt : 0.0f;
    const size_t n = history.size();
    std::vector<int> out;
    for (uint32_t item : items) {
      if (static_cast<Eigen::Index>(item) >= b_.cols()) {
        out.push_back(-1);
        continue;
      }
      out.push_back(Strongest(history, [&](size_t p) {
        const uint32_t i = history[p].item;
        if (static_cast<Eigen::Index>(i) >= b_.rows()) return 0.0f;
        const double age = static_cast<double>(n - 1 - p);
        const float w = static_cast<float>(half_life_ > 0 ? std::exp2(-age / half_life_) : 1.0) *
                        ValueOf(history[p], o_.use_weights);
        return w * (a * b_(i, item) + b * t_(i, item));
      }));
    }
    return out;
  }
  // Blend's parts, each over the items it touches.
  bool CutRows(uint32_t keep) override {
    b_cut_ = SparseRows::Of(b_, keep);
    t_cut_ = SparseRows::Of(t_, keep);
    return true;
  }
  bool ScoreSparse(const std::vector<Dataset::Event>& history, SparseScores* scores) const override {
    if (b_cut_.start.empty()) return false;
    thread_local SparseScores ease, trans;
    const auto n = static_cast<size_t>(b_.cols());
    const auto x = Recent(history, half_life_, o_.use_weights);
    b_cut_.AddRows(x, n, &ease);
    t_cut_.AddRows(x, n, &trans);
    float mo = 0;
    for (const auto& [i, w] : x) {
      if (i < n) mo = std::max(mo, std::fabs(w));
    }
    const float me = ease.MaxAbs(), mt = trans.MaxAbs();
    const float a = me > 0 ? 1.0f / me : 0.0f;
    const float b = mt > 0 ? static_cast<float>(alpha_) / mt : 0.0f;
    const float c = mo > 0 ? static_cast<float>(beta_) / mo : 0.0f;
    scores->Reset(n);
    for (uint32_t j : ease.items()) scores->Add(j, a * ease[j]);
    for (uint32_t j : trans.items()) scores->Add(j, b * trans[j]);
    for (const auto& [i, w] : x) {
      if (i < n) scores->Add(i, c * w);
    }
    last_scales_ = ScaleMemo::Of(this, history);  // for Because, as after Score
    last_scales_.me = me, last_scales_.mt = mt;
    return true;
  }
  // The parts of a history's score at `half_life` (the fitted matrices).
  void Score(const std::vector<Dataset::Event>& history, double half_life, Parts* parts) const {
    const auto x = Recent(history, half_life, o_.use_weights);
    AddRows(b_, x, parts->ease);
    AddRows(t_, x, parts->trans);
    Own(x, parts->own);
    parts->Measure();
  }
  std::string Describe() const override {
    return fmt::format(
        "lambda {:g}, half-life {:g} interactions{}, transitions weight {:g}, own items weight {:g} (chosen on a "
        "validation hold-out)",
        o_.lambda, half_life_, half_life_ == 0 ? " (none)" : "", alpha_, beta_);
  }
  void Save(std::string* out) const override {
    const float hp[3] = {static_cast<float>(half_life_), static_cast<float>(alpha_), static_cast<float>(beta_)};
    PutFloats(out, hp, 3);
    PutMatrix(out, b_);
    PutMatrix(out, t_);
  }
  Status Load(std::string_view in) override {
    std::vector<float> hp;
    if (!GetFloats(&in, &hp) || hp.size() != 3 || !GetMatrix(&in, &b_) || !GetMatrix(&in, &t_)) return Damaged("sequential");
    half_life_ = hp[0];
    alpha_ = hp[1];
    beta_ = hp[2];
    b_cut_ = t_cut_ = {};
    return Status::OK();
  }

 private:
  Options o_;
  Matrix b_, t_;
  SparseRows b_cut_, t_cut_;
  double half_life_ = 0, alpha_ = 0, beta_ = 0;
};

}  // namespace

const std::vector<std::string_view>& Algorithms() {
  static const std::vector<std::string_view> kAlgos = {"popularity", "itemknn", "ease", "sequential", "als"};
  return kAlgos;
}

Result<std::unique_ptr<Recommender>> MakeRecommender(const Options& o) {
  if (o.algo == "popularity") return std::unique_ptr<Recommender>(std::make_unique<Popularity>());
  if (o.algo == "itemknn") return std::unique_ptr<Recommender>(std::make_unique<ItemKnn>(o));
  if (o.algo == "ease") return std::unique_ptr<Recommender>(std::make_unique<Ease>(o));
  if (o.algo == "sequential") return std::unique_ptr<Recommender>(std::make_unique<Sequential>(o));
  if (o.algo == "als") return NewAls(o);
  std::string known;
  for (auto a : Algorithms()) known += (known.empty() ? "" : ", ") + std::string(a);
  return Status::InvalidArgument("unknown algorithm '" + o.algo + "' (known: " + known + ")");
}

RankMetrics EvaluateSparse(const Recommender& model, const Split& split, bool* ok) {
  // The model as ScoreSparse scores it.
  class Cut final : public Recommender {
   public:
    explicit Cut(const Recommender& m) : m_(m) {}
    std::string_view name() const override { return m_.name(); }
    Status Fit(const Dataset&) override { return Status::OK(); }
    void Score(const std::vector<Dataset::Event>& history, std::span<float> scores) const override {
      thread_local SparseScores cut;
      m_.ScoreSparse(history, &cut);
      std::fill(scores.begin(), scores.end(), 0.0f);
      for (uint32_t j : cut.items()) scores[j] = cut[j];
    }
    std::string Describe() const override { return m_.Describe(); }
    void Save(std::string*) const override {}
    Status Load(std::string_view) override { return Status::OK(); }

   private:
    const Recommender& m_;
  };
  SparseScores probe;
  *ok = model.ScoreSparse({}, &probe);
  if (!*ok) return {};
  return Evaluate(Cut(model), split);
}

std::vector<std::pair<uint32_t, float>> TopK(const Recommender& model, const std::vector<Dataset::Event>& history,
                                             size_t num_items, size_t k) {
  std::vector<float> scores(num_items);
  model.Score(history, scores);
  std::vector<char> seen(num_items, 0);
  for (const auto& e : history) {
    if (e.item < num_items) seen[e.item] = 1;
  }
  std::vector<std::pair<uint32_t, float>> all;
  for (uint32_t j = 0; j < num_items; ++j) {
    if (!seen[j]) all.emplace_back(j, scores[j]);
  }
  const size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
  all.resize(keep);
  return all;
}

}  // namespace holo::recommend
