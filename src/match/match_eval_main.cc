// match_eval: runs the example configs on the shared ER datasets and on
// generated PII records, and prints pairwise precision / recall / F1 and
// B-cubed F1 (plus, for generated data, the recall of evidence-supported pairs).
//
//   match_eval SHARED_DIR EXAMPLES_DIR OUT_DIR [dataset...]
//
// Datasets: the shared ones (febrl1 ... dblp_acm, see evaluate.h) and
// pii_low, pii_medium, pii_high: 20,000 records from `holo generate-pii`
// (seed 1) at each noise level, written to OUT_DIR/<name>/input.csv and
// matched with EXAMPLES_DIR/generated_pii.toml. pii_<level>_<N> (e.g.
// pii_medium_1000000) uses N records instead; it is not in the default list.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "generate/pii_records.h"
#include "generate/pii_sources.h"
#include "match/evaluate.h"

namespace {

constexpr uint64_t kGeneratedRecords = 20000;
constexpr uint64_t kGeneratedSeed = 1;

holo::Result<holo::match::BenchmarkResult> RunGenerated(const std::string& name,
                                                        holo::generate::PiiNoise noise,
                                                        uint64_t records,
                                                        const std::string& examples_dir,
                                                        const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  holo::generate::PiiOptions options;
  options.records = records;
  options.noise = noise;
  options.seed = kGeneratedSeed;
  const std::string input = out_dir + "/input.csv";
  HOLO_RETURN_IF_ERROR(holo::generate::WritePiiCsv(options, input, nullptr));
  using Identifying = holo::match::ColumnTruthBenchmark::Identifying;
  holo::match::ColumnTruthBenchmark b;
  b.name = name;
  b.config_path = examples_dir + "/generated_pii.toml";
  b.input = input;
  b.id_column = "record_id";
  b.truth_column = "person_id";
  // Supported: a chain of records of the person, each sharing two of these.
  b.identifying = {{{"first_name", "last_name"}, Identifying::Kind::kText},
                   {{"birth_date"}, Identifying::Kind::kDigits},
                   {{"phone"}, Identifying::Kind::kDigits},
                   {{"email"}, Identifying::Kind::kText},
                   {{"street_address"}, Identifying::Kind::kText}};
  b.min_shared = 2;
  return holo::match::RunColumnTruthBenchmark(b, out_dir + "/match");
}

// voters_<P>[_<N>]: N persons (default 20,000) in 5 voter-roll sources, P%
// of the overlapping records corrupted; examples/match/voters_5_sources.toml.
holo::Result<holo::match::BenchmarkResult> RunVoters(const std::string& name,
                                                     const std::string& examples_dir,
                                                     const std::string& out_dir) {
  const std::string rest = name.substr(std::string("voters_").size());
  holo::generate::MultiSourceOptions options;
  options.corrupted = std::strtod(rest.c_str(), nullptr) / 100.0;
  const size_t underscore = rest.find('_');
  if (underscore != std::string::npos) {
    options.persons = std::strtoull(rest.c_str() + underscore + 1, nullptr, 10);
  }
  options.seed = kGeneratedSeed;
  HOLO_RETURN_IF_ERROR(holo::generate::WriteMultiSourceCsv(options, out_dir + "/input", nullptr));
  std::vector<std::string> inputs;
  for (int s = 1; s <= options.sources; ++s) {
    inputs.push_back(out_dir + "/input/source_" + std::to_string(s) + ".csv");
  }
  return holo::match::RunMultiSourceBenchmark(name, examples_dir + "/voters_5_sources.toml",
                                              inputs, "id", "person_id", out_dir + "/match");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SHARED_DIR EXAMPLES_DIR OUT_DIR [dataset...]\n", argv[0]);
    return 2;
  }
  const std::vector<std::pair<std::string, holo::generate::PiiNoise>> generated = {
      {"pii_low", holo::generate::PiiNoise::kLow},
      {"pii_medium", holo::generate::PiiNoise::kMedium},
      {"pii_high", holo::generate::PiiNoise::kHigh}};
  std::vector<std::string> names(argv + 4, argv + argc);
  if (names.empty()) {
    names = holo::match::BenchmarkNames();
    for (const auto& [n, level] : generated) names.push_back(n);
    for (const char* n : {"voters_0", "voters_20", "voters_40"}) names.push_back(n);
  }
  std::printf("%-10s %7s %9s %8s %7s %9s %9s %9s %9s %9s %8s\n", "dataset", "records", "cand",
              "matched", "thresh", "precision", "recall", "f1", "bcubed_f1", "sup_recall",
              "seconds");
  int rc = 0;
  for (const auto& name : names) {
    const std::string out = std::string(argv[3]) + "/" + name;
    holo::Result<holo::match::BenchmarkResult> r = holo::Status::NotFound("unknown dataset");
    bool is_generated = false;
    for (const auto& [n, level] : generated) {
      uint64_t records = 0;
      if (n == name) {
        records = kGeneratedRecords;
      } else if (name.rfind(n + "_", 0) == 0) {
        records = std::strtoull(name.c_str() + n.size() + 1, nullptr, 10);
      }
      if (records > 0) {
        is_generated = true;
        r = RunGenerated(name, level, records, argv[2], out);
      }
    }
    if (name.rfind("voters_", 0) == 0) {
      r = RunVoters(name, argv[2], out);
    } else if (!is_generated) {
      r = holo::match::RunBenchmark(name, argv[1], argv[2], out);
    }
    if (!r.ok()) {
      std::printf("%-10s error: %s\n", name.c_str(), r.status().ToString().c_str());
      rc = 1;
      continue;
    }
    const auto& s = r->score;
    const auto& rep = r->report;
    char sup[32] = "-";
    if (r->has_supported) std::snprintf(sup, sizeof(sup), "%.4f", r->supported_recall);
    std::printf("%-10s %7llu %9llu %8llu %7.2f %9.4f %9.4f %9.4f %9.4f %9s %8.2f\n", name.c_str(),
                static_cast<unsigned long long>(rep.records),
                static_cast<unsigned long long>(rep.candidate_pairs),
                static_cast<unsigned long long>(rep.matched_pairs), rep.threshold_weight,
                s.precision, s.recall, s.f1, s.bcubed_f1, sup, rep.seconds);
    if (r->has_supported) {
      std::printf("  true pairs %llu, supported %llu (%.1f%%)\n",
                  static_cast<unsigned long long>(r->true_pairs),
                  static_cast<unsigned long long>(r->supported_pairs),
                  100.0 * static_cast<double>(r->supported_pairs) /
                      static_cast<double>(std::max<uint64_t>(1, r->true_pairs)));
    }
    std::printf(
        "  time: read %.2f s, u %.2f s, compare %.2f s (%.0f pairs/s), em+score %.2f s,"
        " cluster %.2f s (%llu pairs scored, largest component %llu)\n",
        rep.read_seconds, rep.u_seconds, rep.compare_seconds, rep.pairs_per_second, rep.em_seconds,
        rep.cluster_seconds, static_cast<unsigned long long>(rep.cluster_pairs_scored),
        static_cast<unsigned long long>(rep.largest_component));
    for (const auto& w : rep.warnings) std::printf("  warning: %s\n", w.c_str());
  }
  return rc;
}
