// EvaluateIdentity: pairwise and B-cubed quality of the store's OneIDs against
// a generated world's truth.csv (precision) and truth_linkable.csv (recall).
#include <fstream>
#include <map>
#include <unordered_map>

#include "holo/engine.h"

namespace holo {
namespace {

struct TruthRow {
  std::string type;
  std::string value;
  std::string person;
};

// Splits one CSV line (RFC 4180 quoting) into fields.
std::vector<std::string> SplitCsv(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

Result<std::vector<TruthRow>> ReadTruth(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open " + path);
  std::string line;
  std::vector<TruthRow> rows;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line.rfind("source,identifier_type,identifier_value,person_id", 0) != 0) {
        return Status::InvalidArgument(path + ":1: expected header source,identifier_type,identifier_value,person_id");
      }
      continue;
    }
    if (line.empty()) continue;
    auto f = SplitCsv(line);
    if (f.size() != 4) return Status::InvalidArgument(path + ":" + std::to_string(n) + ": expected 4 fields");
    rows.push_back({std::move(f[1]), std::move(f[2]), std::move(f[3])});
  }
  return rows;
}

uint64_t Pairs(uint64_t n) { return n * (n - 1) / 2; }

struct CellHash {
  size_t operator()(const std::pair<uint64_t, uint32_t>& c) const {
    return std::hash<uint64_t>()(c.first * 0x9E3779B97F4A7C15ull ^ c.second);
  }
};
using CellCounts = std::unordered_map<std::pair<uint64_t, uint32_t>, uint64_t, CellHash>;

template <typename Map>
uint64_t SumPairs(const Map& sizes) {
  uint64_t s = 0;
  for (const auto& [k, n] : sizes) s += Pairs(n);
  return s;
}

double Ratio(double a, double b) { return b == 0 ? 1.0 : a / b; }

}  // namespace

Result<IdentityQuality> EvaluateIdentity(Engine& engine, const std::string& truth_csv,
                                         const std::string& linkable_csv) {
  HOLO_ASSIGN_OR_RETURN(auto truth, ReadTruth(truth_csv));
  HOLO_ASSIGN_OR_RETURN(auto linkable, ReadTruth(linkable_csv));
  if (truth.size() != linkable.size()) {
    return Status::InvalidArgument("truth.csv and truth_linkable.csv have different row counts");
  }
  IdentityQuality q;
  q.identifiers = truth.size();
  // Predicted cluster per row; unknown identifiers are singletons with ids above 2^63.
  std::vector<uint64_t> pred(truth.size());
  uint64_t next_unknown = uint64_t{1} << 63;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i].type != linkable[i].type || truth[i].value != linkable[i].value) {
      return Status::InvalidArgument("truth_linkable.csv row " + std::to_string(i + 2) +
                                     " does not match truth.csv");
    }
    auto id = engine.LookupOneId(truth[i].type, truth[i].value);
    if (!id.ok() || *id == 0) {
      q.unknown++;
      pred[i] = next_unknown++;
    } else {
      pred[i] = *id;
    }
  }
  std::unordered_map<std::string, uint32_t> person_ids, comp_ids;
  std::vector<uint32_t> person(truth.size()), comp(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    person[i] = person_ids.try_emplace(truth[i].person, person_ids.size()).first->second;
    comp[i] = comp_ids.try_emplace(linkable[i].person, comp_ids.size()).first->second;
  }
  std::unordered_map<uint64_t, uint64_t> pred_size, person_size, comp_size;
  CellCounts pred_person, pred_comp;
  for (size_t i = 0; i < truth.size(); ++i) {
    pred_size[pred[i]]++;
    person_size[person[i]]++;
    comp_size[comp[i]]++;
    pred_person[{pred[i], person[i]}]++;
    pred_comp[{pred[i], comp[i]}]++;
  }
  q.persons = person_ids.size();
  q.oneids = pred_size.size();
  q.predicted_pairs = SumPairs(pred_size);
  q.true_pairs = SumPairs(person_size);
  q.linkable_pairs = SumPairs(comp_size);
  q.correct_pairs = SumPairs(pred_person);
  q.correct_linkable_pairs = SumPairs(pred_comp);
  q.precision = Ratio(q.correct_pairs, q.predicted_pairs);
  q.recall = Ratio(q.correct_linkable_pairs, q.linkable_pairs);
  q.recall_vs_truth = Ratio(q.correct_pairs, q.true_pairs);
  q.f1 = q.precision + q.recall == 0 ? 0 : 2 * q.precision * q.recall / (q.precision + q.recall);
  q.linkable_share = Ratio(q.linkable_pairs, q.true_pairs);
  double bp = 0, br = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    bp += static_cast<double>(pred_person[{pred[i], person[i]}]) / pred_size[pred[i]];
    br += static_cast<double>(pred_comp[{pred[i], comp[i]}]) / comp_size[comp[i]];
  }
  q.bcubed_precision = truth.empty() ? 1 : bp / truth.size();
  q.bcubed_recall = truth.empty() ? 1 : br / truth.size();
  return q;
}

}  // namespace holo
