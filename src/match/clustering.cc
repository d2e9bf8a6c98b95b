#include "match/clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace holo::match {

UnionFind::UnionFind(size_t n) : parent_(n), rank_(n, 0) {
  std::iota(parent_.begin(), parent_.end(), 0u);
}

uint32_t UnionFind::Find(uint32_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

bool UnionFind::Union(uint32_t a, uint32_t b) {
  a = Find(a);
  b = Find(b);
  if (a == b) return false;
  if (rank_[a] < rank_[b]) std::swap(a, b);
  parent_[b] = a;
  if (rank_[a] == rank_[b]) ++rank_[a];
  return true;
}

std::vector<ScoredPair> OneToOne(std::vector<ScoredPair> pairs,
                                 const std::vector<uint8_t>* sources) {
  std::stable_sort(pairs.begin(), pairs.end(), [](const ScoredPair& x, const ScoredPair& y) {
    return x.log_odds > y.log_odds;
  });
  std::vector<ScoredPair> kept;
  if (sources != nullptr) {
    // (record, other source) pairs already taken.
    std::unordered_map<uint64_t, char> taken;
    auto key = [&](uint32_t r, uint32_t other) {
      return (static_cast<uint64_t>(r) << 8) | (*sources)[other];
    };
    for (const ScoredPair& p : pairs) {
      const uint64_t ka = key(p.pair.first, p.pair.second), kb = key(p.pair.second, p.pair.first);
      if (taken.count(ka) || taken.count(kb)) continue;
      taken[ka] = taken[kb] = 1;
      kept.push_back(p);
    }
    return kept;
  }
  std::vector<char> used;
  for (const ScoredPair& p : pairs) {
    size_t need = std::max(p.pair.first, p.pair.second) + 1;
    if (used.size() < need) used.resize(need, 0);
    if (used[p.pair.first] || used[p.pair.second]) continue;
    used[p.pair.first] = used[p.pair.second] = 1;
    kept.push_back(p);
  }
  return kept;
}

namespace {

// Renumbers arbitrary labels to 0.. in order of first record.
std::vector<uint32_t> Renumber(const std::vector<uint32_t>& labels) {
  std::unordered_map<uint32_t, uint32_t> ids;
  std::vector<uint32_t> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    auto [it, inserted] = ids.try_emplace(labels[i], static_cast<uint32_t>(ids.size()));
    out[i] = it->second;
  }
  return out;
}

class Refiner {
 public:
  Refiner(size_t num_records, const PairScorer& scorer, const ClusterOptions& options,
          ClusterStats* stats)
      : scorer_(scorer), options_(options), stats_(stats), labels_(num_records) {
    std::iota(labels_.begin(), labels_.end(), 0u);
  }

  // Clusters the records of one connected component; `edges` are its accepted pairs.
  void Component(const std::vector<uint32_t>& members, std::vector<ScoredPair> edges) {
    if (members.size() <= 2) {
      // A lone accepted pair: nothing can chain through it, so its posterior
      // (>= min_posterior) decides, as for any pair.
      for (uint32_t r : members) labels_[r] = members[0];
      return;
    }
    if (members.size() > options_.max_component) {
      Cut(members, std::move(edges));
      return;
    }
    ++stats_->components_refined;
    const size_t n = members.size();
    std::unordered_map<uint32_t, uint32_t> local;
    for (size_t i = 0; i < n; ++i) local[members[i]] = static_cast<uint32_t>(i);
    // Posterior log2 odds of every pair of the component.
    std::vector<float> odds(n * n, std::numeric_limits<float>::quiet_NaN());
    for (const ScoredPair& e : edges) {
      uint32_t a = local[e.pair.first], b = local[e.pair.second];
      odds[a * n + b] = odds[b * n + a] = static_cast<float>(e.log_odds);
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        if (!std::isnan(odds[i * n + j])) continue;
        ++stats_->pairs_scored;
        odds[i * n + j] = odds[j * n + i] = static_cast<float>(scorer_(members[i], members[j]));
      }
    }
    for (float& x : odds) x = std::clamp(x, -1000.0f, 1000.0f);  // finite sums
    std::vector<uint64_t> masks;
    if (options_.one_per_source != nullptr) {
      for (uint32_t r : members) masks.push_back(uint64_t{1} << ((*options_.one_per_source)[r] & 63));
    }
    std::vector<uint32_t> l =
        AverageLinkage(n, odds, options_.min_link_log_odds > -1e30 ? &odds : nullptr,
                       static_cast<float>(options_.min_link_log_odds),
                       masks.empty() ? nullptr : &masks);
    std::vector<uint32_t> first(n, UINT32_MAX);
    for (size_t i = 0; i < n; ++i) {
      if (first[l[i]] == UINT32_MAX) first[l[i]] = members[i];
      labels_[members[i]] = first[l[i]];
    }
  }

  const std::vector<uint32_t>& labels() const { return labels_; }

 private:
  // A component too large to score densely: drop its weakest accepted pairs,
  // as few as needed for every piece to have at most max_component records
  // (binary search over the pairs sorted by posterior), and cluster the pieces.
  // When even the strongest pair alone joins too many records (every pair
  // equally strong) nothing can be told apart and the component stays whole.
  void Cut(const std::vector<uint32_t>& members, std::vector<ScoredPair> edges) {
    ++stats_->components_cut;
    std::sort(edges.begin(), edges.end(),
              [](const ScoredPair& x, const ScoredPair& y) { return x.log_odds < y.log_odds; });
    std::unordered_map<uint32_t, uint32_t> local;
    for (size_t i = 0; i < members.size(); ++i) local[members[i]] = static_cast<uint32_t>(i);
    // Largest component when only edges[k..] are kept.
    auto largest = [&](size_t k) {
      UnionFind uf(members.size());
      std::vector<uint32_t> size(members.size(), 1);
      uint32_t top = 1;
      for (size_t e = k; e < edges.size(); ++e) {
        uint32_t a = uf.Find(local[edges[e].pair.first]);
        uint32_t b = uf.Find(local[edges[e].pair.second]);
        if (a == b) continue;
        uf.Union(a, b);
        const uint32_t root = uf.Find(a);
        size[root] = size[a] + size[b];
        top = std::max(top, size[root]);
      }
      return top;
    };
    size_t lo = 1, hi = edges.size();  // answer in [lo, hi]; hi = keep nothing
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (largest(mid) <= options_.max_component) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    // Ties: never keep only part of a run of equally strong pairs.
    size_t k = lo;
    while (k > 0 && k < edges.size() && edges[k - 1].log_odds == edges[k].log_odds) ++k;
    if (k >= edges.size()) {
      for (uint32_t r : members) labels_[r] = members[0];
      return;
    }
    std::vector<ScoredPair> kept(edges.begin() + static_cast<std::ptrdiff_t>(k), edges.end());
    Split(members, kept);
  }

 public:
  // Runs Component on each connected component of `members` under `edges`.
  void Split(const std::vector<uint32_t>& members, const std::vector<ScoredPair>& edges) {
    std::unordered_map<uint32_t, uint32_t> local;
    for (size_t i = 0; i < members.size(); ++i) local[members[i]] = static_cast<uint32_t>(i);
    UnionFind uf(members.size());
    for (const ScoredPair& e : edges) uf.Union(local[e.pair.first], local[e.pair.second]);
    std::unordered_map<uint32_t, uint32_t> comp_of_root;
    std::vector<std::vector<uint32_t>> comps;
    std::vector<uint32_t> comp(members.size());
    for (size_t i = 0; i < members.size(); ++i) {
      uint32_t root = uf.Find(static_cast<uint32_t>(i));
      auto [it, inserted] = comp_of_root.try_emplace(root, static_cast<uint32_t>(comps.size()));
      if (inserted) comps.emplace_back();
      comps[it->second].push_back(members[i]);
      comp[i] = it->second;
    }
    std::vector<std::vector<ScoredPair>> comp_edges(comps.size());
    for (const ScoredPair& e : edges) comp_edges[comp[local[e.pair.first]]].push_back(e);
    for (size_t c = 0; c < comps.size(); ++c) {
      stats_->largest_component = std::max<uint64_t>(stats_->largest_component, comps[c].size());
      Component(comps[c], std::move(comp_edges[c]));
    }
  }

 private:
  const PairScorer& scorer_;
  const ClusterOptions& options_;
  ClusterStats* stats_;
  std::vector<uint32_t> labels_;
};

}  // namespace

std::vector<uint32_t> ClusterIds(size_t num_records, const std::vector<ScoredPair>& pairs) {
  UnionFind uf(num_records);
  for (const ScoredPair& p : pairs) uf.Union(p.pair.first, p.pair.second);
  std::vector<uint32_t> roots(num_records);
  for (uint32_t i = 0; i < num_records; ++i) roots[i] = uf.Find(i);
  return Renumber(roots);
}

std::vector<uint32_t> ClusterRecords(size_t num_records, const std::vector<ScoredPair>& pairs,
                                     const PairScorer& scorer, const ClusterOptions& options,
                                     ClusterStats* stats) {
  ClusterStats local_stats;
  if (stats == nullptr) stats = &local_stats;
  if (options.linkage == Linkage::kSingle || !scorer) return ClusterIds(num_records, pairs);
  // Components of the accepted pairs; records without any pair stay alone.
  UnionFind uf(num_records);
  for (const ScoredPair& p : pairs) uf.Union(p.pair.first, p.pair.second);
  std::unordered_map<uint32_t, uint32_t> comp_of_root;
  std::vector<std::vector<uint32_t>> comps;
  std::vector<uint32_t> comp(num_records, UINT32_MAX);
  for (const ScoredPair& p : pairs) {
    for (uint32_t r : {p.pair.first, p.pair.second}) {
      if (comp[r] != UINT32_MAX) continue;
      auto [it, inserted] =
          comp_of_root.try_emplace(uf.Find(r), static_cast<uint32_t>(comps.size()));
      if (inserted) comps.emplace_back();
      comps[it->second].push_back(r);
      comp[r] = it->second;
    }
  }
  std::vector<std::vector<ScoredPair>> comp_edges(comps.size());
  for (const ScoredPair& p : pairs) comp_edges[comp[p.pair.first]].push_back(p);
  Refiner refiner(num_records, scorer, options, stats);
  for (size_t c = 0; c < comps.size(); ++c) {
    std::sort(comps[c].begin(), comps[c].end());
    stats->largest_component = std::max<uint64_t>(stats->largest_component, comps[c].size());
    refiner.Component(comps[c], std::move(comp_edges[c]));
  }
  return Renumber(refiner.labels());
}

std::vector<uint32_t> AverageLinkage(size_t n, const std::vector<float>& sim,
                                     const std::vector<float>* strength, float min_strength,
                                     const std::vector<uint64_t>* source_masks) {
  std::vector<uint64_t> mask;
  if (source_masks != nullptr) mask = *source_masks;
  // sum[i*n+j]: total similarity between active clusters i and j (represented
  // by their first item); top[i*n+j]: their strongest pair; size[i]: items in
  // cluster i.
  std::vector<double> sum(sim.begin(), sim.end());
  std::vector<float> top;
  if (strength != nullptr) top = *strength;
  std::vector<double> size(n, 1.0);
  std::vector<char> active(n, 1);
  std::vector<uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  std::vector<uint32_t> best(n, UINT32_MAX);
  std::vector<double> best_val(n, -std::numeric_limits<double>::infinity());
  auto mean = [&](size_t i, size_t j) { return sum[i * n + j] / (size[i] * size[j]); };
  auto eligible = [&](size_t i, size_t j) {
    return (top.empty() || top[i * n + j] >= min_strength) &&
           (mask.empty() || (mask[i] & mask[j]) == 0);
  };
  auto refresh = [&](size_t i) {
    best[i] = UINT32_MAX;
    best_val[i] = -std::numeric_limits<double>::infinity();
    for (size_t j = 0; j < n; ++j) {
      if (j == i || !active[j] || !eligible(i, j)) continue;
      double v = mean(i, j);
      if (v > best_val[i]) {
        best_val[i] = v;
        best[i] = static_cast<uint32_t>(j);
      }
    }
  };
  for (size_t i = 0; i < n; ++i) refresh(i);
  for (;;) {
    size_t a = n;
    double best_mean = 0;
    for (size_t i = 0; i < n; ++i) {
      if (active[i] && best[i] != UINT32_MAX && best_val[i] > best_mean) {
        best_mean = best_val[i];
        a = i;
      }
    }
    if (a == n) break;  // no eligible pair of clusters with a positive mean similarity
    size_t b = best[a];
    if (b < a) std::swap(a, b);
    // Merge b into a.
    for (size_t k = 0; k < n; ++k) {
      if (!active[k] || k == a || k == b) continue;
      sum[a * n + k] += sum[b * n + k];
      sum[k * n + a] = sum[a * n + k];
      if (!top.empty()) {
        top[a * n + k] = std::max(top[a * n + k], top[b * n + k]);
        top[k * n + a] = top[a * n + k];
      }
    }
    size[a] += size[b];
    if (!mask.empty()) mask[a] |= mask[b];
    active[b] = 0;
    parent[b] = static_cast<uint32_t>(a);
    refresh(a);
    for (size_t k = 0; k < n; ++k) {
      if (!active[k] || k == a) continue;
      if (best[k] == a || best[k] == b) {
        refresh(k);
      } else if (eligible(k, a)) {
        double v = mean(k, a);
        if (v > best_val[k]) {
          best_val[k] = v;
          best[k] = static_cast<uint32_t>(a);
        }
      }
    }
  }
  std::vector<uint32_t> root(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t r = static_cast<uint32_t>(i);
    while (parent[r] != r) r = parent[r];
    root[i] = r;
  }
  return Renumber(root);
}

}  // namespace holo::match
