// RunMatch: config -> stream inputs (prepare fields, blocking keys) -> u from
// random pairs -> enumerate and compare candidate pairs in parallel -> EM over
// pattern counts -> score -> threshold -> cluster -> write.
#include "holo/match.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "match/blocking.h"
#include "match/clustering.h"
#include "match/config.h"
#include "match/csv_reader.h"
#include "match/fellegi_sunter.h"
#include "match/fields.h"
#include "common/csv.h"

namespace holo {
namespace {

using match::ComparedPair;
using match::FieldSpec;
using match::Pattern;
using match::RecordStore;
using match::ScoredPair;
using Clock = std::chrono::steady_clock;

// Inputs (or values of source_column) at most: sources are stored in a byte.
constexpr size_t kMaxSources = 255;

// A comparison pattern and the rules whose blocks hold the pair (bit r).
struct PatternRules {
  Pattern pattern = 0;
  uint32_t rules = 0;
  bool operator==(const PatternRules& o) const { return pattern == o.pattern && rules == o.rules; }
};
struct PatternRulesHash {
  size_t operator()(const PatternRules& k) const {
    return std::hash<uint64_t>()(k.pattern ^ (static_cast<uint64_t>(k.rules) * 0x9e3779b97f4a7c15ULL));
  }
};

// Candidate pairs per unit of parallel work.
constexpr uint64_t kTaskPairs = 1 << 18;
// Input rows prepared per batch.
constexpr size_t kReadBatch = 1 << 15;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}


// Resolves the configured fields against the header of input `input`; every
// input must have the field columns at the same positions.
Status ResolveFields(const match::MatchConfig& cfg, const std::vector<std::string>& header,
                     size_t input, std::vector<FieldSpec>* specs) {
  auto index_of = [&](const std::string& col) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == col) return static_cast<int>(i);
    }
    return -1;
  };
  if (input > 0) {
    for (const FieldSpec& spec : *specs) {
      for (size_t c = 0; c < spec.config.columns.size(); ++c) {
        if (index_of(spec.config.columns[c]) != spec.column_indices[c]) {
          return Status::InvalidArgument("column '" + spec.config.columns[c] +
                                         "' must be at the same position in every input");
        }
      }
    }
    return Status::OK();
  }
  if (cfg.fields.size() > match::kMaxFields) {
    return Status::InvalidArgument("match: at most " + std::to_string(match::kMaxFields) +
                                   " fields");
  }
  for (const auto& fc : cfg.fields) {
    FieldSpec spec;
    spec.config = fc;
    for (const std::string& col : fc.columns) {
      int idx = index_of(col);
      if (idx < 0) return Status::InvalidArgument("field column '" + col + "' not in input");
      spec.column_indices.push_back(idx);
    }
    spec.level_names = match::LevelNames(fc.type);
    spec.num_levels = static_cast<int>(spec.level_names.size());
    specs->push_back(std::move(spec));
  }
  for (auto& spec : *specs) {
    if (spec.config.swap_with.empty()) continue;
    for (size_t g = 0; g < specs->size(); ++g) {
      if ((*specs)[g].config.name == spec.config.swap_with) spec.swap_field = static_cast<int>(g);
    }
  }
  return Status::OK();
}

void WriteFsModel(std::ofstream& out, const std::vector<FieldSpec>& specs,
                  const match::FsModel& model) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "lambda %.6g\nem_iterations %d converged %d\n", model.lambda,
                model.em_iterations, model.converged ? 1 : 0);
  out << buf;
  for (size_t f = 0; f < specs.size(); ++f) {
    out << "field " << specs[f].config.name << " (" << match::FieldTypeName(specs[f].config.type)
        << ")\n";
    for (int l = 0; l < specs[f].num_levels; ++l) {
      std::snprintf(buf, sizeof(buf), "  %-28s m=%.6f u=%.6f u_random=%.6f weight=%+.3f\n",
                    specs[f].level_names[l].c_str(), model.m[f][l], model.u[f][l],
                    model.random_u[f][l], model.weight[f][l]);
      out << buf;
    }
  }
}

Status WriteModel(const std::string& path, const std::vector<FieldSpec>& specs,
                  const match::MatchModel& model, const match::MatchConfig& cfg, double threshold,
                  const match::ModelDiagnostics& diag) {
  std::ofstream out(path);
  if (!out) return Status::Unavailable("cannot write " + path);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "threshold_log_odds %.4f\n", threshold);
  out << buf << "estimator " << diag.estimator << (diag.fallback ? " (fallback)" : "") << "\n";
  for (const auto& g : diag.guards) out << "guard " << g << "\n";
  out << "# model for all pairs (pooled: over all candidate pairs; also for pairs no rule "
         "produced)\n";
  WriteFsModel(out, specs, model.pooled);
  for (size_t r = 0; r < model.rules.size(); ++r) {
    out << "# rule " << r << ":";
    for (const auto& k : cfg.blocking[r]) {
      out << " " << k.column << (k.transform.empty() ? "" : "/" + k.transform);
    }
    out << "\n";
    WriteFsModel(out, specs, model.rules[r]);
  }
  // The same in plain words (holo match --explain-model).
  std::string line;
  std::istringstream words(match::ExplainModel(specs, model.pooled, diag));
  while (std::getline(words, line)) out << "# " << line << "\n";
  return out ? Status::OK() : Status::Unavailable("write failed: " + path);
}

// Returns the process's peak resident set size (VmHWM), 0 if unknown.
uint64_t PeakRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Status WriteReport(const std::string& path, const MatchReport& r) {
  std::ofstream out(path);
  if (!out) return Status::Unavailable("cannot write " + path);
  char buf[1024];
  std::snprintf(
      buf, sizeof(buf),
      "{\"records\":%llu,\"sources\":%llu,\"candidate_pairs\":%llu,\"patterns\":%llu,"
      "\"matched_pairs\":%llu,"
      "\"clusters\":%llu,\"largest_component\":%llu,\"cluster_pairs_scored\":%llu,"
      "\"threshold_log_odds\":%.4f,\"lambda\":%.6g,\"expected_matches\":%.1f,"
      "\"seconds\":%.3f,\"read_seconds\":%.3f,\"u_seconds\":%.3f,"
      "\"compare_seconds\":%.3f,\"em_seconds\":%.3f,\"cluster_seconds\":%.3f,"
      "\"pairs_per_second\":%.0f,\"peak_rss_bytes\":%llu,",
      static_cast<unsigned long long>(r.records), static_cast<unsigned long long>(r.sources),
      static_cast<unsigned long long>(r.candidate_pairs),
      static_cast<unsigned long long>(r.patterns), static_cast<unsigned long long>(r.matched_pairs),
      static_cast<unsigned long long>(r.clusters),
      static_cast<unsigned long long>(r.largest_component),
      static_cast<unsigned long long>(r.cluster_pairs_scored), r.threshold_weight, r.lambda,
      r.expected_matches, r.seconds, r.read_seconds, r.u_seconds, r.compare_seconds, r.em_seconds,
      r.cluster_seconds, r.pairs_per_second, static_cast<unsigned long long>(r.peak_rss_bytes));
  out << buf << "\"estimator\":" << JsonString(r.estimator)
      << ",\"fallback\":" << (r.fallback ? "true" : "false") << ",\"guards\":[";
  for (size_t i = 0; i < r.guards.size(); ++i) out << (i ? "," : "") << JsonString(r.guards[i]);
  out << "],\"warnings\":" << r.warnings.size() << ",\"warning_messages\":[";
  for (size_t i = 0; i < r.warnings.size(); ++i) out << (i ? "," : "") << JsonString(r.warnings[i]);
  out << "]}\n";
  return out ? Status::OK() : Status::Unavailable("write failed: " + path);
}

// Runs fn(task) for task in [0, num_tasks) on `threads` threads, handing out
// tasks in order.
template <typename Fn>
void ParallelFor(size_t num_tasks, int threads, Fn&& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t t = next++; t < num_tasks; t = next++) fn(t);
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

}  // namespace

Status RunMatch(const MatchOptions& options, MatchReport* report_out) {
  const auto start = Clock::now();
  MatchReport report;
  const size_t num_inputs = options.rows != nullptr ? 1 : options.inputs.size();
  if (num_inputs == 0 || num_inputs > kMaxSources ||
      (options.rows != nullptr && !options.inputs.empty())) {
    return Status::InvalidArgument("match: need one input (dedupe) or up to " +
                                   std::to_string(kMaxSources) + " (linkage)");
  }
  if (options.out_dir.empty()) return Status::InvalidArgument("match: out_dir is required");
  HOLO_ASSIGN_OR_RETURN(match::MatchConfig cfg, match::LoadMatchConfig(options.config_path));
  const bool by_column = !cfg.source_column.empty();
  if (by_column && num_inputs > 1) {
    return Status::InvalidArgument("match: source_column takes one input, not " +
                                   std::to_string(num_inputs));
  }
  // Sources: one per input, or one per distinct value of source_column.
  std::vector<std::string> source_names;
  std::unordered_map<std::string, uint8_t> source_of_value;
  const int threads =
      options.threads > 0
          ? options.threads
          : static_cast<int>(std::max(1u, std::min(8u, std::thread::hardware_concurrency())));

  // Stream the inputs: prepared field values and blocking keys; rows are not kept.
  std::vector<FieldSpec> specs;
  RecordStore store;
  match::BlockingIndex blocking(cfg);
  // Rows are prepared in batches: field values and blocking keys in parallel,
  // then appended in input order.
  std::vector<std::vector<std::string>> batch;
  std::vector<std::vector<match::PreparedValue>> prepared;
  std::vector<match::BlockingIndex::RecordKeys> keys;
  int source_col = -1;
  Status source_status;
  auto flush = [&](size_t s, int id_col) {
    prepared.resize(batch.size());
    keys.resize(batch.size());
    const size_t per_task = 1024;
    ParallelFor((batch.size() + per_task - 1) / per_task, threads, [&](size_t t) {
      for (size_t i = t * per_task; i < std::min(batch.size(), (t + 1) * per_task); ++i) {
        prepared[i].clear();
        for (const FieldSpec& spec : specs)
          prepared[i].push_back(match::PrepareValue(spec, batch[i]));
        blocking.KeysOf(batch[i], &keys[i]);
      }
    });
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string& id = batch[i][id_col];
      uint8_t source = static_cast<uint8_t>(s);
      if (by_column) {
        const std::string& value =
            source_col < static_cast<int>(batch[i].size()) ? batch[i][source_col] : "";
        auto [it, inserted] =
            source_of_value.try_emplace(value, static_cast<uint8_t>(source_names.size()));
        if (inserted) {
          if (source_names.size() == kMaxSources) {
            source_status = Status::InvalidArgument("match: more than " +
                                                    std::to_string(kMaxSources) + " sources in " +
                                                    cfg.source_column);
            break;
          }
          source_names.push_back(value);
        }
        source = it->second;
        store.ids.push_back(value + ":" + id);
      } else {
        store.ids.push_back(num_inputs > 1 ? std::to_string(s + 1) + ":" + id : id);
      }
      store.sources.push_back(source);
      for (size_t f = 0; f < specs.size(); ++f) store.fields[f].Append(prepared[i][f]);
      blocking.AddKeys(source, keys[i]);
    }
    batch.clear();
  };
  for (size_t s = 0; s < num_inputs; ++s) {
    const std::string input_name = options.rows != nullptr ? "the records given" : options.inputs[s];
    std::string enc = cfg.encodings.empty()       ? ""
                      : cfg.encodings.size() == 1 ? cfg.encodings[0]
                      : s < cfg.encodings.size()  ? cfg.encodings[s]
                                                  : "";
    HOLO_ASSIGN_OR_RETURN(match::Encoding encoding, match::ParseEncoding(enc));
    int id_col = -1;
    auto on_row = [&](size_t index, std::vector<std::string>& row) -> Status {
          if (index == 0) {
            for (size_t i = 0; i < row.size(); ++i) {
              if (row[i] == cfg.id_column) id_col = static_cast<int>(i);
            }
            if (id_col < 0) {
              return Status::InvalidArgument("id_column '" + cfg.id_column + "' not in " + input_name);
            }
            if (by_column) {
              for (size_t i = 0; i < row.size(); ++i) {
                if (row[i] == cfg.source_column) source_col = static_cast<int>(i);
              }
              if (source_col < 0) {
                return Status::InvalidArgument("source_column '" + cfg.source_column +
                                               "' not in " + input_name);
              }
            }
            HOLO_RETURN_IF_ERROR(ResolveFields(cfg, row, s, &specs));
            if (store.fields.empty()) store.fields.resize(specs.size());
            return blocking.SetHeader(row);
          }
          batch.push_back(std::move(row));
          row = {};
          if (batch.size() == kReadBatch) flush(s, id_col);
          return source_status;
        };
    if (options.rows != nullptr) {
      for (size_t i = 0; i < options.rows->size(); ++i) {
        std::vector<std::string> row = (*options.rows)[i];
        HOLO_RETURN_IF_ERROR(on_row(i, row));
      }
    } else {
      HOLO_RETURN_IF_ERROR(match::ReadCsvRows(options.inputs[s], encoding, on_row));
    }
    flush(s, id_col);
    HOLO_RETURN_IF_ERROR(source_status);
    if (!by_column) source_names.push_back(std::to_string(s + 1));
  }
  const size_t num_sources = source_names.size();
  const bool link = num_sources > 1;
  match::ComputeTermFrequencies(specs, &store);
  report.records = store.size();
  report.sources = link ? num_sources : 1;
  // Records per source, and the pairs that can be compared at all.
  std::vector<double> per_source(std::max<size_t>(num_sources, 1), 0.0);
  for (uint8_t src : store.sources) per_source[src] += 1;
  const double n_records = static_cast<double>(store.size());
  double total_pairs = n_records * (n_records - 1) / 2;
  if (link) {
    for (double c : per_source) total_pairs -= c * (c - 1) / 2;
  }
  size_t nonempty_sources = 0;
  for (double c : per_source) nonempty_sources += c > 0;
  if (store.size() < 2 || (link && nonempty_sources < 2)) {
    return Status::InvalidArgument("match: not enough records");
  }
  // The most matching pairs duplicate-free sources allow: per pair of
  // sources, the smaller one.
  double max_matches = 0;
  if (link && cfg.one_to_one) {
    for (size_t a = 0; a < num_sources; ++a) {
      for (size_t b = a + 1; b < num_sources; ++b) max_matches += std::min(per_source[a], per_source[b]);
    }
  }
  report.read_seconds = SecondsSince(start);

  const auto u_start = Clock::now();
  match::FsModel random_model;
  match::EstimateU(specs, store, link ? &store.sources : nullptr, cfg.u_sample_pairs, options.seed,
                   threads, &random_model);
  report.u_seconds = SecondsSince(u_start);

  // Candidate pairs: enumerate and compare in parallel, in tasks of about
  // kTaskPairs pairs; each task keeps its pairs and its pattern counts.
  const auto compare_start = Clock::now();
  blocking.Finish(link, kTaskPairs, &report.warnings);
  const auto& chunks = blocking.chunks();
  std::vector<size_t> task_starts = {0};
  {
    uint64_t acc = 0;
    for (size_t c = 0; c < chunks.size(); ++c) {
      acc += blocking.Work(chunks[c]);
      if (acc >= kTaskPairs) {
        task_starts.push_back(c + 1);
        acc = 0;
      }
    }
    if (task_starts.back() != chunks.size()) task_starts.push_back(chunks.size());
  }
  const size_t num_tasks = task_starts.size() - 1;
  std::vector<std::vector<ComparedPair>> task_pairs(num_tasks);
  std::vector<std::unordered_map<Pattern, uint64_t>> task_patterns(num_tasks);
  // For training: pattern counts by the set of rules whose blocks hold the
  // pair (a pair is a candidate once, but is in the sample of every such rule).
  const bool held_out_estimator = cfg.estimator == "held-out";
  std::vector<std::unordered_map<PatternRules, uint64_t, PatternRulesHash>> task_training(
      num_tasks);
  ParallelFor(num_tasks, threads, [&](size_t t) {
    auto& out = task_pairs[t];
    auto& patterns = task_patterns[t];
    for (size_t c = task_starts[t]; c < task_starts[t + 1]; ++c) {
      const uint32_t rule = chunks[c].rule;
      blocking.ForEachPair(chunks[c], [&](uint32_t a, uint32_t b) {
        const Pattern raw = match::ComparePair(specs, store, a, b);
        const Pattern p = match::WithRule(raw, rule);
        out.push_back({a, b, p});
        ++patterns[p];
        uint32_t rules = blocking.RulesHolding(a, b);
        if (rule < 32) rules |= uint32_t{1} << rule;
        ++task_training[t][{raw, rules}];
      });
    }
    out.shrink_to_fit();
  });
  std::unordered_map<Pattern, uint64_t> pattern_map;
  for (auto& tp : task_patterns) {
    for (const auto& [p, c] : tp) pattern_map[p] += c;
    tp = {};
  }
  std::unordered_map<PatternRules, uint64_t, PatternRulesHash> training_map;
  for (auto& tt : task_training) {
    for (const auto& [k, c] : tt) training_map[k] += c;
    tt = {};
  }
  for (const auto& tp : task_pairs) report.candidate_pairs += tp.size();
  std::vector<std::pair<Pattern, uint64_t>> pattern_counts(pattern_map.begin(), pattern_map.end());
  std::sort(pattern_counts.begin(), pattern_counts.end());
  report.patterns = pattern_counts.size();
  report.compare_seconds = SecondsSince(compare_start);

  const auto em_start = Clock::now();
  match::MatchModel model;
  match::ModelDiagnostics diag;
  diag.total_pairs = total_pairs;
  diag.max_matches = max_matches;
  const double candidates = static_cast<double>(report.candidate_pairs);
  // All candidates once, rule bits cleared: the data the prior is fitted on.
  std::vector<std::pair<Pattern, uint64_t>> all_patterns;
  {
    std::unordered_map<Pattern, uint64_t> all;
    for (const auto& [p, c] : pattern_counts) all[match::WithoutRule(p)] += c;
    all_patterns.assign(all.begin(), all.end());
    std::sort(all_patterns.begin(), all_patterns.end());
  }
  // The estimate that holds when EM finds the wrong classes: m per rule with
  // its fields held out, u from random pairs, prior over all comparable pairs.
  auto held_out_estimate = [&](match::FsModel* out) {
    const size_t nr = cfg.blocking.size();
    std::vector<std::vector<std::pair<Pattern, uint64_t>>> rule_patterns(nr);
    std::vector<std::vector<bool>> held(nr, std::vector<bool>(specs.size(), false));
    std::vector<std::string> names(nr);
    for (size_t r = 0; r < nr; ++r) {
      for (const auto& k : cfg.blocking[r]) {
        names[r] += (names[r].empty() ? "" : " + ") + k.column +
                    (k.transform.empty() ? "" : "/" + k.transform);
        for (size_t f = 0; f < specs.size(); ++f) {
          const auto& cols = specs[f].config.columns;
          if (std::find(cols.begin(), cols.end(), k.column) != cols.end()) held[r][f] = true;
        }
      }
      if (names[r].empty()) names[r] = "all pairs";
    }
    if (!training_map.empty()) {
      for (const auto& [k, c] : training_map) {
        for (size_t r = 0; r < nr && r < 32; ++r) {
          if (k.rules & (uint32_t{1} << r)) rule_patterns[r].emplace_back(k.pattern, c);
        }
      }
    } else {
      for (const auto& [p, c] : pattern_counts) {
        rule_patterns[match::PatternRule(p)].emplace_back(match::WithoutRule(p), c);
      }
    }
    match::EstimateHeldOut(specs, rule_patterns, held, names, random_model, total_pairs,
                           cfg.em_max_iterations, out, &diag);
    match::FitPriorAndU(specs, all_patterns, total_pairs, out);
    diag.expected_matches = out->lambda * total_pairs;
  };
  auto fallback = [&](const std::vector<std::string>& findings) {
    for (const auto& g : findings) diag.guards.push_back(g);
    diag.fallback = true;
    diag.estimator = "fallback";
    model.rules.clear();
    match::EstimateFallback(specs, all_patterns, random_model, total_pairs, &model.pooled);
    diag.expected_matches = model.pooled.lambda * total_pairs;
  };
  if (held_out_estimator) {
    diag.estimator = "held-out";
    held_out_estimate(&model.pooled);
    std::vector<std::string> findings = match::CheckModel(
        specs, model.pooled, diag.expected_matches, candidates, max_matches);
    if (!findings.empty()) fallback(findings);
  } else {
    diag.estimator = "pooled";
    // Pattern counts per blocking rule (rule_models) or all in one group.
    const size_t num_groups = cfg.rule_models ? cfg.blocking.size() : 1;
    std::vector<std::vector<std::pair<Pattern, uint64_t>>> groups(num_groups);
    for (const auto& [p, c] : pattern_counts) {
      groups[cfg.rule_models ? match::PatternRule(p) : 0].emplace_back(match::WithoutRule(p), c);
    }
    std::vector<match::FsModel> group_models;
    match::RunEm(specs, groups, cfg.em_max_iterations, cfg.em_estimate_u, random_model.random_u,
                 &group_models, &model.pooled);
    if (cfg.rule_models) model.rules = std::move(group_models);
    if (!model.pooled.converged) {
      report.warnings.push_back("EM did not converge in " +
                                std::to_string(model.pooled.em_iterations) + " iterations");
    }
    diag.total_pairs = 0;  // lambda is per candidate pair
    diag.expected_matches = model.pooled.lambda * candidates;
    std::vector<std::string> findings = match::CheckModel(
        specs, model.pooled, diag.expected_matches, candidates, max_matches);
    if (!findings.empty() && cfg.estimator == "pooled") {
      for (const auto& g : findings) report.warnings.push_back("model guard (not acted on): " + g);
    } else if (!findings.empty()) {
      // The pooled EM found the wrong classes: use the held-out estimate,
      // and the safe one if that is degenerate too.
      diag.guards = findings;
      diag.fallback = true;
      diag.total_pairs = total_pairs;
      model.rules.clear();
      held_out_estimate(&model.pooled);
      diag.estimator = "held-out";
      std::vector<std::string> again = match::CheckModel(
          specs, model.pooled, diag.expected_matches, candidates, max_matches);
      if (!again.empty()) fallback(again);
    }
  }
  for (const auto& g : diag.guards) {
    report.warnings.push_back("model guard: " + g);
  }
  if (diag.fallback) {
    report.warnings.push_back(diag.estimator == "fallback"
                                  ? "model guard: fell back to the safe estimate (m at its prior, "
                                    "u from random pairs)"
                                  : "model guard: fell back to the held-out estimate");
  }
  report.estimator = diag.estimator;
  report.fallback = diag.fallback;
  report.guards = diag.guards;
  report.lambda = model.pooled.lambda;
  report.expected_matches = diag.expected_matches;
  report.model_explanation = match::ExplainModel(specs, model.pooled, diag);
  if (cfg.write_candidates) {
    std::error_code ec;
    std::filesystem::create_directories(options.out_dir, ec);
    const std::string path = options.out_dir + "/candidates.csv";
    std::ofstream out(path);
    if (!out) return Status::Unavailable("cannot write " + path);
    out << "id_a,id_b,weight,probability,rule\n";
    char buf[80];
    for (const auto& tp : task_pairs) {
      for (const ComparedPair& cp : tp) {
        const match::FsModel& m = model.For(cp.pattern);
        const double w = match::MatchWeight(specs, m, cp.pattern, store, cp.a);
        std::snprintf(buf, sizeof(buf), ",%.4f,%.6f,%u\n", w, match::Posterior(m, w),
                      match::PatternRule(cp.pattern));
        out << holo::CsvQuote(store.ids[cp.a]) << ',' << holo::CsvQuote(store.ids[cp.b]) << buf;
      }
    }
    if (!out) return Status::Unavailable("write failed: " + path);
  }
  // Score every candidate with its rule's model; keep the pairs that can be
  // accepted: posterior >= min_posterior (automatic threshold) or weight >=
  // threshold (fixed).
  const double min_log_odds = std::log2(cfg.min_posterior / (1 - cfg.min_posterior));
  std::vector<std::vector<ScoredPair>> task_kept(num_tasks);
  ParallelFor(num_tasks, threads, [&](size_t t) {
    for (const ComparedPair& cp : task_pairs[t]) {
      const match::FsModel& m = model.For(cp.pattern);
      const double w = match::MatchWeight(specs, m, cp.pattern, store, cp.a);
      const double x = w + match::PriorLogOdds(m);
      if (cfg.threshold ? w < *cfg.threshold : x < min_log_odds) continue;
      task_kept[t].push_back({{cp.a, cp.b}, w, x, match::ProbabilityOfLogOdds(x)});
    }
    task_pairs[t] = {};
  });
  std::vector<ScoredPair> scored;
  for (auto& tk : task_kept) {
    scored.insert(scored.end(), tk.begin(), tk.end());
    tk = {};
  }
  std::sort(scored.begin(), scored.end(), [](const ScoredPair& a, const ScoredPair& b) {
    if (a.log_odds != b.log_odds) return a.log_odds > b.log_odds;
    return a.pair < b.pair;
  });
  report.em_seconds = SecondsSince(em_start);

  // Threshold: accept pairs in descending posterior while the posterior is at
  // least min_posterior and the estimated precision of everything accepted so
  // far (the mean posterior) stays at least min_precision.
  size_t accepted = 0;
  double threshold = 0;
  if (cfg.threshold) {
    threshold = *cfg.threshold;
    accepted = scored.size();
  } else {
    double sum = 0;
    for (size_t k = 0; k < scored.size(); ++k) {
      sum += scored[k].probability;
      if (sum / static_cast<double>(k + 1) >= cfg.min_precision) accepted = k + 1;
    }
    threshold = accepted > 0 ? scored[accepted - 1].log_odds : min_log_odds;
  }
  report.threshold_weight = threshold;
  scored.resize(accepted);
  std::vector<ScoredPair> kept = std::move(scored);
  if (link && cfg.one_to_one) {
    kept = match::OneToOne(std::move(kept), num_sources > 2 ? &store.sources : nullptr);
  }
  report.matched_pairs = kept.size();

  const auto cluster_start = Clock::now();
  match::ClusterOptions cluster_options;
  cluster_options.linkage = cfg.linkage;
  cluster_options.max_component = cfg.max_component;
  if (link && cfg.one_to_one && num_sources <= 64) cluster_options.one_per_source = &store.sources;
  // Clusters merge through a pair at least as confident as the precision the
  // accepted pairs must reach, and only when their pairs agree on average.
  cluster_options.min_link_log_odds =
      std::log2(cfg.min_precision / std::max(1e-12, 1 - cfg.min_precision));
  if (link) {
    // Linkage: every pair crosses sources, and with duplicate-free sources a
    // cluster takes at most one record per source, which bounds chaining by
    // itself. A link accepted as a pair (posterior >= min_posterior) may join
    // clusters, as it joins a lone pair. Otherwise a person seen in three
    // sources, one record with a typo, would lose that record while the same
    // person seen in two sources keeps it (voters_20 recall 0.81 -> 0.88; without
    // one_to_one 0.76 -> 0.87).
    cluster_options.min_link_log_odds = min_log_odds;
  }
  // Pairs that no rule produced are scored by the pooled model.
  match::PairScorer scorer = [&](uint32_t a, uint32_t b) {
    return match::MatchWeight(specs, model.pooled, match::ComparePair(specs, store, a, b), store,
                              a) +
           match::PriorLogOdds(model.pooled);
  };
  match::ClusterStats cluster_stats;
  std::vector<uint32_t> cluster_ids =
      match::ClusterRecords(store.size(), kept, scorer, cluster_options, &cluster_stats);
  report.clusters =
      cluster_ids.empty() ? 0 : *std::max_element(cluster_ids.begin(), cluster_ids.end()) + 1;
  report.cluster_pairs_scored = cluster_stats.pairs_scored;
  report.largest_component = cluster_stats.largest_component;
  if (cluster_stats.components_cut > 0) {
    report.warnings.push_back(
        "clustering: " + std::to_string(cluster_stats.components_cut) +
        " components above max_component=" + std::to_string(cfg.max_component) +
        " were cut at their weakest pairs first");
  }
  report.cluster_seconds = SecondsSince(cluster_start);
  // pairs.csv lists the accepted pairs that clustering kept together.
  kept.erase(std::remove_if(kept.begin(), kept.end(),
                            [&](const ScoredPair& p) {
                              return cluster_ids[p.pair.first] != cluster_ids[p.pair.second];
                            }),
             kept.end());
  report.matched_pairs = kept.size();

  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status::Unavailable("cannot create " + options.out_dir + ": " + ec.message());
  {
    const std::string path = options.out_dir + "/clusters.csv";
    std::ofstream out(path);
    if (!out) return Status::Unavailable("cannot write " + path);
    out << "record_id,cluster_id\n";
    for (size_t i = 0; i < store.size(); ++i) {
      out << holo::CsvQuote(store.ids[i]) << ',' << cluster_ids[i] << '\n';
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
      out << holo::CsvQuote(store.ids[p.pair.first]) << ',' << holo::CsvQuote(store.ids[p.pair.second]) << buf;
    }
    if (!out) return Status::Unavailable("write failed: " + path);
  }
  HOLO_RETURN_IF_ERROR(
      WriteModel(options.out_dir + "/model.txt", specs, model, cfg, threshold, diag));

  report.seconds = SecondsSince(start);
  report.pairs_per_second =
      report.compare_seconds > 0
          ? static_cast<double>(report.candidate_pairs) / report.compare_seconds
          : 0;
  report.peak_rss_bytes = PeakRssBytes();
  HOLO_RETURN_IF_ERROR(WriteReport(options.out_dir + "/report.json", report));
  if (report_out != nullptr) *report_out = std::move(report);
  return Status::OK();
}

}  // namespace holo
