// match_eval: runs the example configs on the shared ER datasets and prints
// pairwise precision / recall / F1 and B-cubed F1.
//
//   match_eval SHARED_DIR EXAMPLES_DIR OUT_DIR [dataset...]
#include <cstdio>
#include <string>
#include <vector>

#include "match/evaluate.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SHARED_DIR EXAMPLES_DIR OUT_DIR [dataset...]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> names(argv + 4, argv + argc);
  if (names.empty()) names = holo::match::BenchmarkNames();
  std::printf("%-10s %7s %9s %8s %7s %9s %9s %9s %9s %8s\n", "dataset", "records", "cand",
              "matched", "thresh", "precision", "recall", "f1", "bcubed_f1", "seconds");
  int rc = 0;
  for (const auto& name : names) {
    auto r = holo::match::RunBenchmark(name, argv[1], argv[2], std::string(argv[3]) + "/" + name);
    if (!r.ok()) {
      std::printf("%-10s error: %s\n", name.c_str(), r.status().ToString().c_str());
      rc = 1;
      continue;
    }
    const auto& s = r->score;
    const auto& rep = r->report;
    std::printf("%-10s %7llu %9llu %8llu %7.2f %9.4f %9.4f %9.4f %9.4f %8.2f\n", name.c_str(),
                static_cast<unsigned long long>(rep.records),
                static_cast<unsigned long long>(rep.candidate_pairs),
                static_cast<unsigned long long>(rep.matched_pairs), rep.threshold_weight,
                s.precision, s.recall, s.f1, s.bcubed_f1, rep.seconds);
    for (const auto& w : rep.warnings) std::printf("  warning: %s\n", w.c_str());
  }
  return rc;
}
