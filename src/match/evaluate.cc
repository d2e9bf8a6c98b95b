#include "match/evaluate.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "match/clustering.h"
#include "match/comparators.h"
#include "match/csv_reader.h"

namespace holo::match {
namespace {

struct Dataset {
  const char* name;
  const char* config;
  std::vector<const char*> inputs;  // relative to shared_dir/datasets/er
  enum class Truth { kFebrlId, kColumn, kMapping } truth;
  const char* label_column = nullptr;  // kColumn
  const char* id_column = nullptr;     // kColumn
  const char* mapping = nullptr;       // kMapping
};

const std::vector<Dataset>& Datasets() {
  static const std::vector<Dataset> kDatasets = {
      {"febrl1", "febrl.toml", {"febrl/febrl_dataset1.csv"}, Dataset::Truth::kFebrlId},
      {"febrl2", "febrl.toml", {"febrl/febrl_dataset2.csv"}, Dataset::Truth::kFebrlId},
      {"febrl3", "febrl.toml", {"febrl/febrl_dataset3.csv"}, Dataset::Truth::kFebrlId},
      {"febrl4",
       "febrl.toml",
       {"febrl/febrl_dataset4a.csv", "febrl/febrl_dataset4b.csv"},
       Dataset::Truth::kFebrlId},
      {"rldata500",
       "rldata500.toml",
       {"rldata500/RLdata500.csv"},
       Dataset::Truth::kColumn,
       "label_true",
       "record_id"},
      {"fake_1000",
       "fake_1000.toml",
       {"splink_fake_1000/fake_1000.csv"},
       Dataset::Truth::kColumn,
       "cluster",
       "unique_id"},
      {"chicago",
       "chicago_childcare.toml",
       {"dedupe_chicago_childcare/csv_example_input_with_true_ids.csv"},
       Dataset::Truth::kColumn,
       "True Id",
       "Id"},
      {"dblp_acm",
       "dblp_acm.toml",
       {"dblp_acm/DBLP2.csv", "dblp_acm/ACM.csv"},
       Dataset::Truth::kMapping,
       nullptr,
       nullptr,
       "dblp_acm/DBLP-ACM_perfectMapping.csv"},
  };
  return kDatasets;
}

const Dataset* FindDataset(const std::string& name) {
  for (const Dataset& d : Datasets()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

std::string StripSource(const std::string& id) {
  if (id.size() > 2 && (id[0] == '1' || id[0] == '2') && id[1] == ':') return id.substr(2);
  return id;
}

}  // namespace

Result<Clustering> ReadClusters(const std::string& path) {
  HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(path));
  if (t.header.size() != 2) return Status::InvalidArgument(path + ": expected 2 columns");
  Clustering c;
  for (const auto& row : t.rows) c[row[0]] = row[1];
  return c;
}

PairScore ScoreClustering(const Clustering& predicted, const Clustering& truth,
                          bool cross_source_only) {
  // The source prefix of a linkage id ("3:" of "3:1042").
  auto source = [](const std::string& id) {
    const size_t colon = id.find(':');
    return colon == std::string::npos ? std::string() : id.substr(0, colon);
  };
  std::map<std::string, std::vector<std::string>> pred_groups, true_groups;
  for (const auto& [id, c] : predicted) {
    pred_groups[c].push_back(id);
    auto it = truth.find(id);
    true_groups[it == truth.end() ? "\x01" + id : it->second].push_back(id);
  }
  auto label_of = [&](const std::string& id) {
    auto it = truth.find(id);
    return it == truth.end() ? "\x01" + id : it->second;
  };
  auto count_pairs = [&](const std::vector<std::string>& g) {
    const uint64_t all = static_cast<uint64_t>(g.size()) * (g.size() - 1) / 2;
    if (!cross_source_only) return all;
    // All pairs minus those within one source.
    std::map<std::string, uint64_t> per_source;
    for (const auto& id : g) ++per_source[source(id)];
    uint64_t same = 0;
    for (const auto& [src, n] : per_source) same += n * (n - 1) / 2;
    return all - same;
  };
  PairScore s;
  uint64_t predicted_pairs = 0, true_pairs = 0;
  for (const auto& [c, g] : pred_groups) {
    predicted_pairs += count_pairs(g);
    // Split the predicted cluster by truth label: pairs inside a split are true positives.
    std::map<std::string, std::vector<std::string>> split;
    for (const auto& id : g) split[label_of(id)].push_back(id);
    for (const auto& [l, sub] : split) s.true_positives += count_pairs(sub);
  }
  for (const auto& [l, g] : true_groups) true_pairs += count_pairs(g);
  s.false_positives = predicted_pairs - s.true_positives;
  s.false_negatives = true_pairs - s.true_positives;
  s.precision = predicted_pairs ? static_cast<double>(s.true_positives) / predicted_pairs : 1.0;
  s.recall = true_pairs ? static_cast<double>(s.true_positives) / true_pairs : 1.0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  // B-cubed over all records.
  double bp = 0, br = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> overlap;
  for (const auto& [id, c] : predicted) ++overlap[{c, label_of(id)}];
  for (const auto& [id, c] : predicted) {
    double inter = static_cast<double>(overlap[{c, label_of(id)}]);
    bp += inter / static_cast<double>(pred_groups[c].size());
    br += inter / static_cast<double>(true_groups[label_of(id)].size());
  }
  if (!predicted.empty()) {
    s.bcubed_precision = bp / predicted.size();
    s.bcubed_recall = br / predicted.size();
    double d = s.bcubed_precision + s.bcubed_recall;
    s.bcubed_f1 = d > 0 ? 2 * s.bcubed_precision * s.bcubed_recall / d : 0;
  }
  return s;
}

std::vector<std::string> BenchmarkNames() {
  std::vector<std::string> names;
  for (const Dataset& d : Datasets()) names.push_back(d.name);
  return names;
}

bool BenchmarkAvailable(const std::string& name, const std::string& shared_dir) {
  const Dataset* d = FindDataset(name);
  if (d == nullptr) return false;
  for (const char* in : d->inputs) {
    if (!std::filesystem::exists(shared_dir + "/datasets/er/" + in)) return false;
  }
  return true;
}

Result<BenchmarkResult> RunBenchmark(const std::string& name, const std::string& shared_dir,
                                     const std::string& examples_dir, const std::string& out_dir) {
  const Dataset* d = FindDataset(name);
  if (d == nullptr) return Status::NotFound("unknown benchmark " + name);
  const std::string er = shared_dir + "/datasets/er/";
  MatchOptions opts;
  opts.config_path = examples_dir + "/" + d->config;
  opts.out_dir = out_dir;
  for (const char* in : d->inputs) opts.inputs.push_back(er + in);
  BenchmarkResult result;
  result.name = name;
  HOLO_RETURN_IF_ERROR(RunMatch(opts, &result.report));
  HOLO_ASSIGN_OR_RETURN(Clustering predicted, ReadClusters(out_dir + "/clusters.csv"));

  Clustering truth;
  const bool link = d->inputs.size() == 2;
  switch (d->truth) {
    case Dataset::Truth::kFebrlId:
      for (const auto& [id, c] : predicted) {
        std::string raw = StripSource(id);  // rec-<N>-org / rec-<N>-dup-<k>
        size_t a = raw.find('-'), b = raw.find('-', a + 1);
        truth[id] = raw.substr(a + 1, b - a - 1);
      }
      break;
    case Dataset::Truth::kColumn: {
      HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(opts.inputs[0]));
      int id_col = t.ColumnIndex(d->id_column), label_col = t.ColumnIndex(d->label_column);
      if (id_col < 0 || label_col < 0) return Status::InvalidArgument(name + ": truth columns");
      for (const auto& row : t.rows) truth[row[id_col]] = row[label_col];
      break;
    }
    case Dataset::Truth::kMapping: {
      HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(er + d->mapping));
      std::vector<std::string> ids;
      std::unordered_map<std::string, uint32_t> index;
      for (const auto& [id, c] : predicted) {
        index[id] = static_cast<uint32_t>(ids.size());
        ids.push_back(id);
      }
      std::vector<ScoredPair> links;
      for (const auto& row : t.rows) {
        auto a = index.find("1:" + row[0]), b = index.find("2:" + row[1]);
        if (a == index.end() || b == index.end()) continue;
        links.push_back({{a->second, b->second}, 0, 0});
      }
      std::vector<uint32_t> cid = ClusterIds(ids.size(), links);
      for (size_t i = 0; i < ids.size(); ++i) truth[ids[i]] = std::to_string(cid[i]);
      break;
    }
  }
  result.score = ScoreClustering(predicted, truth, link);
  return result;
}

namespace {

std::string IdentifyingValue(const std::vector<std::string>& row, const std::vector<int>& cols,
                             ColumnTruthBenchmark::Identifying::Kind kind) {
  std::vector<std::string> parts;
  for (int c : cols) {
    std::string v;
    if (kind == ColumnTruthBenchmark::Identifying::Kind::kDigits) {
      v = DigitsOf(row[c]);
      if (v.size() > 10) v = v.substr(v.size() - 10);
    } else {
      for (const std::string& t : AddressTokens(row[c])) {
        if (!v.empty()) v.push_back(' ');
        v += t;
      }
    }
    if (v.empty()) return "";  // every column of the value must be present
    parts.push_back(std::move(v));
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p + '\x1f';
  return out;
}

}  // namespace

Result<Clustering> SupportLabels(const ColumnTruthBenchmark& b) {
  HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(b.input));
  const int id_col = t.ColumnIndex(b.id_column), truth_col = t.ColumnIndex(b.truth_column);
  if (id_col < 0 || truth_col < 0) return Status::InvalidArgument(b.name + ": id/truth column");
  std::vector<std::vector<int>> cols;
  for (const auto& ident : b.identifying) {
    cols.emplace_back();
    for (const auto& c : ident.columns) {
      const int i = t.ColumnIndex(c);
      if (i < 0) return Status::InvalidArgument(b.name + ": no column " + c);
      cols.back().push_back(i);
    }
  }
  std::map<std::string, std::vector<size_t>> by_truth;
  for (size_t r = 0; r < t.rows.size(); ++r) by_truth[t.rows[r][truth_col]].push_back(r);
  Clustering labels;
  for (const auto& [label, rows] : by_truth) {
    std::vector<std::vector<std::string>> values(rows.size());
    for (size_t k = 0; k < rows.size(); ++k) {
      for (size_t g = 0; g < cols.size(); ++g) {
        values[k].push_back(IdentifyingValue(t.rows[rows[k]], cols[g], b.identifying[g].kind));
      }
    }
    UnionFind uf(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t j = i + 1; j < rows.size(); ++j) {
        int shared = 0;
        for (size_t g = 0; g < cols.size(); ++g) {
          shared += !values[i][g].empty() && values[i][g] == values[j][g];
        }
        if (shared >= b.min_shared) uf.Union(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
      }
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      labels[t.rows[rows[k]][id_col]] =
          label + "\x1f" + std::to_string(uf.Find(static_cast<uint32_t>(k)));
    }
  }
  return labels;
}

Result<BenchmarkResult> RunColumnTruthBenchmark(const ColumnTruthBenchmark& b,
                                                const std::string& out_dir) {
  MatchOptions opts;
  opts.config_path = b.config_path;
  opts.out_dir = out_dir;
  opts.inputs = {b.input};
  BenchmarkResult result;
  result.name = b.name;
  HOLO_RETURN_IF_ERROR(RunMatch(opts, &result.report));
  HOLO_ASSIGN_OR_RETURN(Clustering predicted, ReadClusters(out_dir + "/clusters.csv"));
  HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(b.input));
  const int id_col = t.ColumnIndex(b.id_column), truth_col = t.ColumnIndex(b.truth_column);
  if (id_col < 0 || truth_col < 0) return Status::InvalidArgument(b.name + ": id/truth column");
  Clustering truth;
  for (const auto& row : t.rows) truth[row[id_col]] = row[truth_col];
  result.score = ScoreClustering(predicted, truth, false);
  result.true_pairs = result.score.true_positives + result.score.false_negatives;
  if (!b.identifying.empty()) {
    HOLO_ASSIGN_OR_RETURN(Clustering support, SupportLabels(b));
    const PairScore s = ScoreClustering(predicted, support, false);
    result.has_supported = true;
    result.supported_pairs = s.true_positives + s.false_negatives;
    result.supported_recall = s.recall;
  }
  return result;
}

Result<BenchmarkResult> RunMultiSourceBenchmark(const std::string& name,
                                                const std::string& config_path,
                                                const std::vector<std::string>& inputs,
                                                const std::string& id_column,
                                                const std::string& truth_column,
                                                const std::string& out_dir) {
  Clustering truth;
  for (size_t k = 0; k < inputs.size(); ++k) {
    HOLO_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(inputs[k]));
    int id_col = -1, truth_col = -1;
    for (size_t i = 0; i < t.header.size(); ++i) {
      if (t.header[i] == id_column) id_col = static_cast<int>(i);
      if (t.header[i] == truth_column) truth_col = static_cast<int>(i);
    }
    if (id_col < 0 || truth_col < 0) {
      return Status::InvalidArgument(inputs[k] + ": missing id or truth column");
    }
    const std::string prefix = std::to_string(k + 1) + ":";
    for (const auto& row : t.rows) truth[prefix + row[id_col]] = row[truth_col];
  }
  MatchOptions opts;
  opts.config_path = config_path;
  opts.out_dir = out_dir;
  opts.inputs = inputs;
  BenchmarkResult result;
  result.name = name;
  HOLO_RETURN_IF_ERROR(RunMatch(opts, &result.report));
  HOLO_ASSIGN_OR_RETURN(Clustering predicted, ReadClusters(out_dir + "/clusters.csv"));
  result.score = ScoreClustering(predicted, truth, /*cross_source_only=*/true);
  return result;
}

}  // namespace holo::match
