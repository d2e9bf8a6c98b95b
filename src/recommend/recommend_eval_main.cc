// recommend_eval FILE [--buy] [--weights] [ALGO...]: each model fitted on the file's
// interactions with every user's latest one held out (--buy: their latest purchase, from what
// they did before it), scored by full ranking (evaluate.h): HR@10, NDCG@10 and the fit time,
// side by side in one run (bench/RESULTS.md).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "recommend/evaluate.h"
#include "recommend/interactions.h"
#include "recommend/models.h"

using namespace holo::recommend;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: recommend_eval FILE [ALGO...]\n");
    return 2;
  }
  InteractionLog log;
  auto read = ReadInteractionFile(argv[1], &log, [](uint64_t line, std::string_view why, std::string_view) {
    std::fprintf(stderr, "line %llu: %.*s\n", static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
  });
  if (!read.ok()) {
    std::fprintf(stderr, "recommend_eval: %s\n", read.status().ToString().c_str());
    return 1;
  }
  bool buy = false, weights = false;
  std::vector<std::string> algos;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--buy") {
      buy = true;
    } else if (a == "--weights") {
      weights = true;
    } else {
      algos.push_back(a);
    }
  }
  const Dataset all = Dataset::From(log);
  const Split split = buy ? LeaveLastPurchaseOut(all) : LeaveLastOut(all);
  uint64_t held = 0;
  for (int64_t h : split.held) held += h >= 0;
  std::printf("%s: %zu users, %zu items, %llu interactions; %llu users with a held-out %s%s\n\n", argv[1],
              split.train.num_users(), split.train.num_items(), static_cast<unsigned long long>(log.size()),
              static_cast<unsigned long long>(held), buy ? "purchase" : "item", weights ? "; weights used" : "");
  std::printf("| model | HR@10 | NDCG@10 | fit s | chosen |\n|---|---:|---:|---:|---|\n");
  if (algos.empty()) {
    for (auto a : Algorithms()) algos.emplace_back(a);
  }
  for (const std::string& algo : algos) {
    Options o;
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
