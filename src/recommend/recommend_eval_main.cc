// recommend_eval FILE [--buy] [--weights] [ALGO...]: each model fitted on the file's
// interactions with every user's latest one held out (--buy: their latest purchase, from what
// they did before it), scored by full ranking (evaluate.h): HR@10, NDCG@10 and the fit time,
// side by side in one run (bench/RESULTS.md).
//
//   --validation     score on each user's latest *training* item instead (a hold-out cut from
//                    the training part; the test items are never seen): for choosing settings
//   --factors N --iterations N --alpha X --als-lambda X   the als settings (models.h)
//
// recommend_eval --als-speed N: the time of als's Fit (10 iterations, 64 factors) on a
// synthetic N-interaction data set (50,000 users x 20,000 items, power-law item popularity,
// a fixed seed).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/models.h"

using namespace holo::recommend;

namespace {

// 50,000 users x 20,000 items; item k drawn with probability ∝ 1 / (k + 1)^0.9, users uniformly.
int AlsSpeed(uint64_t n) {
  constexpr uint32_t kUsers = 50000, kItems = 20000;
  std::mt19937_64 rng(19);
  std::vector<double> cdf(kItems);
  double sum = 0;
  for (uint32_t k = 0; k < kItems; ++k) cdf[k] = sum += 1 / std::pow(k + 1.0, 0.9);
  Dataset d;
  d.users.resize(kUsers);
  d.items.resize(kItems);
  d.by_user.resize(kUsers);
  std::uniform_real_distribution<double> uniform(0, sum);
  for (uint64_t k = 0; k < n; ++k) {
    const auto item = static_cast<uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), uniform(rng)) - cdf.begin());
    d.by_user[rng() % kUsers].push_back({std::min(item, kItems - 1), 1, static_cast<int64_t>(k)});
  }
  Options o;
  o.algo = "als";
  auto model = MakeRecommender(o);
  if (!model.ok()) return 1;
  const auto start = std::chrono::steady_clock::now();
  const holo::Status fit = (*model)->Fit(d);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!fit.ok()) {
    std::fprintf(stderr, "recommend_eval: %s\n", fit.ToString().c_str());
    return 1;
  }
  std::printf("als fit: %llu interactions, %u users x %u items, %s: %.2f s on %d threads\n",
              static_cast<unsigned long long>(n), kUsers, kItems, (*model)->Describe().c_str(), seconds,
              omp_get_max_threads());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: recommend_eval FILE [--buy] [--weights] [--validation] [ALGO...] | --als-speed N\n");
    return 2;
  }
  if (std::string(argv[1]) == "--als-speed") return AlsSpeed(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000);
  InteractionLog log;
  auto read = ReadInteractionFile(argv[1], &log, [](uint64_t line, std::string_view why, std::string_view) {
    std::fprintf(stderr, "line %llu: %.*s\n", static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
  });
  if (!read.ok()) {
    std::fprintf(stderr, "recommend_eval: %s\n", read.status().ToString().c_str());
    return 1;
  }
  bool buy = false, weights = false, validation = false;
  Options base;
  std::vector<std::string> algos;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--buy") {
      buy = true;
    } else if (a == "--weights") {
      weights = true;
    } else if (a == "--validation") {
      validation = true;
    } else if (a == "--factors" && has_value) {
      base.factors = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a == "--iterations" && has_value) {
      base.iterations = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a == "--alpha" && has_value) {
      base.alpha = std::strtod(argv[++i], nullptr);
    } else if (a == "--als-lambda" && has_value) {
      base.als_lambda = std::strtod(argv[++i], nullptr);
    } else {
      algos.push_back(a);
    }
  }
  const Dataset all = Dataset::From(log);
  const Split test = buy ? LeaveLastPurchaseOut(all) : LeaveLastOut(all);
  const Split split = !validation ? test : buy ? LeaveLastPurchaseOut(test.train) : LeaveLastOut(test.train);
  uint64_t held = 0;
  for (int64_t h : split.held) held += h >= 0;
  std::printf("%s: %zu users, %zu items, %llu interactions; %llu users with a held-out %s%s%s\n\n", argv[1],
              split.train.num_users(), split.train.num_items(), static_cast<unsigned long long>(log.size()),
              static_cast<unsigned long long>(held), buy ? "purchase" : "item", weights ? "; weights used" : "",
              validation ? "; VALIDATION (cut from the training part)" : "");
  std::printf("| model | HR@10 | NDCG@10 | fit s | chosen |\n|---|---:|---:|---:|---|\n");
  if (algos.empty()) {
    for (auto a : Algorithms()) algos.emplace_back(a);
  }
  for (const std::string& algo : algos) {
    Options o = base;
    o.algo = algo;
    o.use_weights = weights;
    o.next_purchase = buy;
    auto model = MakeRecommender(o);
    if (!model.ok()) {
      std::fprintf(stderr, "recommend_eval: %s\n", model.status().ToString().c_str());
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    const holo::Status fit = (*model)->Fit(split.train);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!fit.ok()) {
      std::printf("| %s | - | - | - | %s |\n", algo.c_str(), fit.message().c_str());
      continue;
    }
    const RankMetrics m = Evaluate(**model, split);
    std::printf("| %s | %.4f | %.4f | %.2f | %s |\n", algo.c_str(), m.hr, m.ndcg, seconds, (*model)->Describe().c_str());
    std::fflush(stdout);
  }
  return 0;
}
