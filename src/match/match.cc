// RunMatch: config -> read inputs -> prepare fields -> u from random pairs ->
// blocking -> compare -> EM -> score -> threshold -> cluster -> write.
#include "holo/match.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "match/blocking.h"
#include "match/clustering.h"
#include "match/config.h"
#include "match/csv_reader.h"
#include "match/fellegi_sunter.h"
#include "match/fields.h"

namespace holo {
namespace {

using match::CsvTable;
using match::FieldSpec;
using match::Record;
using match::ScoredPair;

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<std::vector<FieldSpec>> ResolveFields(const match::MatchConfig& cfg,
                                             const std::vector<CsvTable>& tables) {
  std::vector<FieldSpec> specs;
  for (const auto& fc : cfg.fields) {
    FieldSpec spec;
    spec.config = fc;
    for (const std::string& col : fc.columns) {
      int idx = tables[0].ColumnIndex(col);
      for (size_t t = 1; t < tables.size(); ++t) {
        if (tables[t].ColumnIndex(col) != idx) {
          return Status::InvalidArgument("column '" + col +
                                         "' must be at the same position in every input");
        }
      }
      if (idx < 0) return Status::InvalidArgument("field column '" + col + "' not in input");
      spec.column_indices.push_back(idx);
    }
    spec.level_names = match::LevelNames(fc.type);
    spec.num_levels = static_cast<int>(spec.level_names.size());
    specs.push_back(std::move(spec));
  }
  for (auto& spec : specs) {
    if (spec.config.swap_with.empty()) continue;
    for (size_t g = 0; g < specs.size(); ++g) {
      if (specs[g].config.name == spec.config.swap_with) spec.swap_field = static_cast<int>(g);
    }
  }
  return specs;
}

Status WriteModel(const std::string& path, const std::vector<FieldSpec>& specs,
                  const match::FsModel& model, double threshold) {
  std::ofstream out(path);
  if (!out) return Status::Unavailable("cannot write " + path);
  char buf[256];
  std::snprintf(buf, sizeof(buf), "lambda %.6g\nem_iterations %d converged %d\nthreshold %.4f\n",
                model.lambda, model.em_iterations, model.converged ? 1 : 0, threshold);
  out << buf;
  for (size_t f = 0; f < specs.size(); ++f) {
    out << "field " << specs[f].config.name << " (" << match::FieldTypeName(specs[f].config.type)
        << ")\n";
    for (int l = 0; l < specs[f].num_levels; ++l) {
      std::snprintf(buf, sizeof(buf), "  %-26s m=%.6f u=%.6f u_random=%.6f weight=%+.3f\n",
                    specs[f].level_names[l].c_str(), model.m[f][l], model.u[f][l],
                    model.random_u[f][l],
                    std::log2(model.m[f][l] / model.u[f][l]));
      out << buf;
    }
  }
  return out ? Status::OK() : Status::Unavailable("write failed: " + path);
}

}  // namespace

Status RunMatch(const MatchOptions& options, MatchReport* report_out) {
  const auto start = std::chrono::steady_clock::now();
  MatchReport report;
  if (options.inputs.empty() || options.inputs.size() > 2) {
    return Status::InvalidArgument("match: need one input (dedupe) or two (link)");
  }
  if (options.out_dir.empty()) return Status::InvalidArgument("match: out_dir is required");
  HOLO_ASSIGN_OR_RETURN(match::MatchConfig cfg, match::LoadMatchConfig(options.config_path));
  const bool link = options.inputs.size() == 2;

  std::vector<CsvTable> tables;
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    std::string enc = cfg.encodings.empty() ? ""
                      : cfg.encodings.size() == 1 ? cfg.encodings[0]
                      : i < cfg.encodings.size() ? cfg.encodings[i] : "";
    HOLO_ASSIGN_OR_RETURN(match::Encoding encoding, match::ParseEncoding(enc));
    HOLO_ASSIGN_OR_RETURN(CsvTable t, match::ReadCsvFile(options.inputs[i], encoding));
    tables.push_back(std::move(t));
  }
  HOLO_ASSIGN_OR_RETURN(std::vector<FieldSpec> specs, ResolveFields(cfg, tables));

  std::vector<Record> records;
  for (size_t s = 0; s < tables.size(); ++s) {
    int id_col = tables[s].ColumnIndex(cfg.id_column);
    if (id_col < 0) {
      return Status::InvalidArgument("id_column '" + cfg.id_column + "' not in " +
                                     options.inputs[s]);
    }
    for (const auto& row : tables[s].rows) {
      Record r;
      r.source = static_cast<int>(s);
      r.id = link ? std::to_string(s + 1) + ":" + row[id_col] : row[id_col];
      for (const FieldSpec& spec : specs) r.values.push_back(match::PrepareValue(spec, row));
      records.push_back(std::move(r));
    }
  }
  match::ComputeTermFrequencies(specs, &records);
  report.records = records.size();
  const size_t num_first = link ? tables[0].rows.size() : 0;
  if (records.size() < 2 || (link && (num_first == 0 || num_first == records.size()))) {
    return Status::InvalidArgument("match: not enough records");
  }

  match::FsModel model;
  match::EstimateU(specs, records, num_first, cfg.u_sample_pairs, options.seed, &model);

  std::vector<const CsvTable*> table_ptrs;
  for (const auto& t : tables) table_ptrs.push_back(&t);
  HOLO_ASSIGN_OR_RETURN(std::vector<match::RecordPair> pairs,
                        match::BuildCandidatePairs(cfg, table_ptrs, &report.warnings));
  report.candidate_pairs = pairs.size();
  const auto compare_start = std::chrono::steady_clock::now();
  match::ComparisonMatrix cmp = match::CompareAll(specs, records, pairs);
  match::RunEm(specs, cmp, cfg.em_max_iterations, cfg.em_estimate_u, &model);
  if (!model.converged) {
    report.warnings.push_back("EM did not converge in " + std::to_string(model.em_iterations) +
                              " iterations");
  }

  std::vector<ScoredPair> scored(pairs.size());
  for (size_t p = 0; p < pairs.size(); ++p) {
    scored[p].pair = pairs[p];
    scored[p].weight = match::MatchWeight(specs, model, cmp.row(p), records[pairs[p].first]);
    scored[p].probability = match::Posterior(model, scored[p].weight);
  }
  const double compare_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - compare_start).count();
  std::stable_sort(scored.begin(), scored.end(),
                   [](const ScoredPair& a, const ScoredPair& b) { return a.weight > b.weight; });

  // Threshold: accept pairs in descending weight while the posterior is at
  // least min_posterior and the estimated precision of everything accepted so
  // far (the mean posterior) stays at least min_precision.
  size_t accepted = 0;
  double threshold = 0;
  if (cfg.threshold) {
    threshold = *cfg.threshold;
    while (accepted < scored.size() && scored[accepted].weight >= threshold) ++accepted;
  } else {
    double sum = 0;
    for (size_t k = 0; k < scored.size(); ++k) {
      if (scored[k].probability < cfg.min_posterior) break;
      sum += scored[k].probability;
      if (sum / static_cast<double>(k + 1) >= cfg.min_precision) accepted = k + 1;
    }
    threshold = accepted > 0 ? scored[accepted - 1].weight
                             : std::log2((1 - model.lambda) / model.lambda) +
                                   std::log2(cfg.min_posterior / (1 - cfg.min_posterior));
  }
  report.threshold_weight = threshold;
  std::vector<ScoredPair> kept(scored.begin(), scored.begin() + accepted);
  if (link && cfg.one_to_one) kept = match::OneToOne(std::move(kept));
  report.matched_pairs = kept.size();
  std::vector<uint32_t> cluster_ids = match::ClusterIds(records.size(), kept);
  report.clusters = cluster_ids.empty() ? 0
                                        : *std::max_element(cluster_ids.begin(), cluster_ids.end()) + 1;

  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status::Unavailable("cannot create " + options.out_dir + ": " + ec.message());
  {
    const std::string path = options.out_dir + "/clusters.csv";
    std::ofstream out(path);
    if (!out) return Status::Unavailable("cannot write " + path);
    out << "record_id,cluster_id\n";
    for (size_t i = 0; i < records.size(); ++i) {
      out << CsvQuote(records[i].id) << ',' << cluster_ids[i] << '\n';
    }
    if (!out) return Status::Unavailable("write failed: " + path);
  }
  {
    const std::string path = options.out_dir + "/pairs.csv";
    std::ofstream out(path);
    if (!out) return Status::Unavailable("cannot write " + path);
    out << "id_a,id_b,weight,probability\n";
    char buf[64];
    for (const ScoredPair& p : kept) {
      std::snprintf(buf, sizeof(buf), ",%.4f,%.6f\n", p.weight, p.probability);
      out << CsvQuote(records[p.pair.first].id) << ',' << CsvQuote(records[p.pair.second].id)
          << buf;
    }
    if (!out) return Status::Unavailable("write failed: " + path);
  }
  HOLO_RETURN_IF_ERROR(WriteModel(options.out_dir + "/model.txt", specs, model, threshold));

  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.pairs_per_second =
      compare_seconds > 0 ? static_cast<double>(pairs.size()) / compare_seconds : 0;
  if (report_out != nullptr) *report_out = std::move(report);
  return Status::OK();
}

}  // namespace holo
