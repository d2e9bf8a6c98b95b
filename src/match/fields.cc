#include "match/fields.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace holo::match {
namespace {

std::string JoinSorted(std::vector<std::string> toks) {
  std::sort(toks.begin(), toks.end());
  std::string out;
  for (auto& t : toks) {
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

std::string Join(const std::vector<std::string>& toks, const char* sep) {
  std::string out;
  for (auto& t : toks) {
    if (!out.empty()) out += sep;
    out += t;
  }
  return out;
}

}  // namespace

std::vector<std::string> LevelNames(FieldType type) {
  switch (type) {
    case FieldType::kName:
      return {"exact", "token_set_or_swap", "jw>=0.94", "jw>=0.88", "else"};
    case FieldType::kString:
      return {"exact", "jw>=0.9", "else"};
    case FieldType::kDate:
      return {"exact", "dm_swap_or_one_digit", "one_component_off", "else"};
    case FieldType::kPhone:
    case FieldType::kPostcode:
      return {"exact", "one_edit", "else"};
    case FieldType::kAddress:
    case FieldType::kText:
      return {"exact", "jaccard>=0.6_or_jw>=0.92", "jaccard>=0.3", "else"};
    case FieldType::kNumeric:
      return {"exact", "rel<=0.05", "rel<=0.2", "else"};
    case FieldType::kExact:
      return {"exact", "else"};
    case FieldType::kEmail:
      return {"exact", "same_local_part", "jw>=0.88", "else"};
  }
  return {"exact", "else"};
}

FieldValue PrepareValue(const FieldSpec& spec, const std::vector<std::string>& row) {
  FieldValue v;
  const FieldConfig& cfg = spec.config;
  std::vector<std::string> parts;
  for (int idx : spec.column_indices) {
    std::string n = NormalizeText(row[idx]);
    if (!n.empty()) parts.push_back(std::move(n));
  }
  if (parts.empty()) return v;
  if (cfg.type == FieldType::kDate && spec.column_indices.size() == 3) {
    if (parts.size() != 3) return v;  // partial dates count as missing
    Date d;
    d.year = std::atoi(parts[0].c_str());
    d.month = std::atoi(parts[1].c_str());
    d.day = std::atoi(parts[2].c_str());
    v.date = d;
    v.date_ok = true;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04d%02d%02d", d.year, d.month, d.day);
    v.norm = buf;
    v.alt = buf;
    v.missing = false;
    return v;
  }
  v.norm = Join(parts, " ");
  v.missing = false;
  switch (cfg.type) {
    case FieldType::kName:
    case FieldType::kString:
      v.cps = DecodeUtf8(v.norm);
      v.alt = JoinSorted(Tokenize(v.norm));
      break;
    case FieldType::kDate: {
      v.date_ok = ParseDate(v.norm, cfg.format, &v.date);
      if (v.date_ok) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%04d%02d%02d", v.date.year, v.date.month, v.date.day);
        v.alt = buf;
      } else {
        v.alt = DigitsOf(v.norm);
      }
      break;
    }
    case FieldType::kPhone:
    case FieldType::kPostcode:
      v.alt = DigitsOf(v.norm);
      if (v.alt.empty()) v.missing = true;
      break;
    case FieldType::kAddress:
      v.tokens = AddressTokens(v.norm);
      v.alt = Join(v.tokens, "");
      v.cps = DecodeUtf8(v.alt);
      break;
    case FieldType::kText:
      v.tokens = Tokenize(v.norm);
      v.alt = Join(v.tokens, "");
      v.cps = DecodeUtf8(v.alt);
      break;
    case FieldType::kNumeric: {
      char* end = nullptr;
      v.number = std::strtod(v.norm.c_str(), &end);
      if (end == v.norm.c_str()) v.missing = true;
      break;
    }
    case FieldType::kExact:
      break;
    case FieldType::kEmail: {
      v.cps = DecodeUtf8(v.norm);
      size_t at = v.norm.find('@');
      v.alt = at == std::string::npos ? v.norm : v.norm.substr(0, at);
      break;
    }
  }
  return v;
}

void ComputeTermFrequencies(const std::vector<FieldSpec>& specs, std::vector<Record>* records) {
  for (size_t f = 0; f < specs.size(); ++f) {
    if (!specs[f].config.term_frequency) continue;
    std::unordered_map<std::string, uint64_t> counts;
    uint64_t total = 0;
    for (const Record& r : *records) {
      if (r.values[f].missing) continue;
      ++counts[r.values[f].norm];
      ++total;
    }
    for (Record& r : *records) {
      FieldValue& v = r.values[f];
      if (!v.missing) v.tf = static_cast<double>(counts[v.norm]) / static_cast<double>(total);
    }
  }
}

int8_t CompareField(const std::vector<FieldSpec>& specs, size_t f, const Record& ra,
                    const Record& rb) {
  const FieldValue& a = ra.values[f];
  const FieldValue& b = rb.values[f];
  const FieldSpec& spec = specs[f];
  if (a.missing || b.missing) {
    return kMissingLevel;
  }
  switch (spec.config.type) {
    case FieldType::kName: {
      if (a.norm == b.norm) return 0;
      if (a.alt == b.alt) return 1;
      if (spec.swap_field >= 0) {
        // Both names swapped: a.this == b.other and a.other == b.this.
        const FieldValue& as = ra.values[spec.swap_field];
        const FieldValue& bs = rb.values[spec.swap_field];
        if (!as.missing && !bs.missing && a.norm == bs.norm && as.norm == b.norm) return 1;
      }
      double jw = JaroWinkler(a.cps, b.cps);
      return jw >= 0.94 ? 2 : jw >= 0.88 ? 3 : 4;
    }
    case FieldType::kString: {
      if (a.norm == b.norm) return 0;
      return JaroWinkler(a.cps, b.cps) >= 0.9 ? 1 : 2;
    }
    case FieldType::kDate: {
      if (a.date_ok && b.date_ok) {
        const Date &x = a.date, &y = b.date;
        if (x.year == y.year && x.month == y.month && x.day == y.day) return 0;
        if (x.year == y.year && x.month == y.day && x.day == y.month) return 1;
        if (WithinOneEdit(a.alt, b.alt) && a.alt.size() == b.alt.size()) return 1;
        int same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day);
        return same == 2 ? 2 : 3;
      }
      if (a.norm == b.norm) return 0;
      if (!a.alt.empty() && WithinOneEdit(a.alt, b.alt)) return 1;
      return 3;
    }
    case FieldType::kPhone:
    case FieldType::kPostcode: {
      const std::string &x = a.alt, &y = b.alt;
      if (x == y) return 0;
      if (spec.config.type == FieldType::kPhone && std::min(x.size(), y.size()) >= 7) {
        const std::string& shorter = x.size() < y.size() ? x : y;
        const std::string& longer = x.size() < y.size() ? y : x;
        if (longer.compare(longer.size() - shorter.size(), shorter.size(), shorter) == 0) return 0;
      }
      return WithinOneEdit(x, y) ? 1 : 2;
    }
    case FieldType::kAddress:
    case FieldType::kText: {
      if (a.alt == b.alt) return 0;
      double j = TokenJaccard(a.tokens, b.tokens);
      if (j >= 0.999) return 0;
      if (j >= 0.6) return 1;
      if (JaroWinkler(a.cps, b.cps) >= 0.92) return 1;
      return j >= 0.3 ? 2 : 3;
    }
    case FieldType::kNumeric: {
      if (a.number == b.number) return 0;
      double denom = std::max(std::fabs(a.number), std::fabs(b.number));
      double rel = denom == 0 ? 0 : std::fabs(a.number - b.number) / denom;
      return rel <= 0.05 ? 1 : rel <= 0.2 ? 2 : 3;
    }
    case FieldType::kExact:
      return a.norm == b.norm ? 0 : 1;
    case FieldType::kEmail: {
      if (a.norm == b.norm) return 0;
      if (!a.alt.empty() && a.alt == b.alt) return 1;
      return JaroWinkler(a.cps, b.cps) >= 0.88 ? 2 : 3;
    }
  }
  return kMissingLevel;
}

}  // namespace holo::match
