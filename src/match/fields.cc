#include "match/fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

namespace holo::match {
namespace {

std::string Join(const std::vector<std::string>& toks, const char* sep) {
  std::string out;
  for (const auto& t : toks) {
    if (!out.empty()) out += sep;
    out += t;
  }
  return out;
}

std::string JoinSorted(std::vector<std::string> toks) {
  std::sort(toks.begin(), toks.end());
  return Join(toks, " ");
}

// Words of an address that say what kind of street or unit it is, or where it
// lies, rather than which street it is (after AddressTokens' expansion).
bool IsGenericAddressWord(std::string_view t) {
  static const std::unordered_set<std::string_view> kWords = {
      "north",     "south",    "east",   "west",     "northeast", "northwest", "southeast",
      "southwest", "street",   "road",   "avenue",   "boulevard", "drive",     "lane",
      "court",     "place",    "parade", "crescent", "circuit",   "circle",    "highway",
      "terrace",   "parkway",  "square", "close",    "way",       "apartment", "suite",
      "floor",     "building", "unit",   "room",     "rm",        "flat",      "the"};
  return kWords.count(t) > 0;
}

constexpr char kNumberSep = '\x1f';

// A prepared address's alt value is four parts separated by kNumberSep: the
// house number, the sorted set of all street tokens, the sorted set of the
// street *name* tokens (generic words dropped unless nothing else is left) and
// those name tokens in original order concatenated ("van buren" -> "vanburen").
struct AddressParts {
  std::string_view number, street, names, joined;
};

AddressParts SplitAddress(std::string_view alt) {
  AddressParts p;
  std::string_view* out[] = {&p.number, &p.street, &p.names, &p.joined};
  for (int i = 0; i < 4; ++i) {
    size_t sep = i < 3 ? alt.find(kNumberSep) : std::string_view::npos;
    *out[i] = alt.substr(0, sep);
    alt = sep == std::string_view::npos ? std::string_view() : alt.substr(sep + 1);
  }
  return p;
}

std::string PrepareAddressAlt(const std::vector<std::string>& tokens) {
  std::string number;
  std::vector<std::string> street;
  SplitHouseNumber(tokens, &number, &street);
  std::vector<std::string> names;
  for (const std::string& t : street) {
    if (!IsGenericAddressWord(t)) names.push_back(t);
  }
  if (names.empty()) names = street;
  std::string out = number;
  out += kNumberSep;
  out += SortedTokenSet(street);
  out += kNumberSep;
  out += SortedTokenSet(names);
  out += kNumberSep;
  out += Join(names, "");
  return out;
}

// Same street: the name tokens overlap (Jaccard >= 0.5) or their
// concatenations are close (JW >= 0.92).
bool SimilarStreet(const AddressParts& a, const AddressParts& b) {
  if (a.names.empty() || b.names.empty()) return false;
  if (SortedSetJaccard(a.names, b.names) >= 0.5) return true;
  return JaroWinklerAtLeast(a.joined, b.joined, 0.92) >= 0.92;
}

// The number at the start of `s` (numeric fields are stored as text).
double ParseNumber(std::string_view s) {
  char buf[64];
  const size_t n = std::min(s.size(), sizeof(buf) - 1);
  std::copy(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n), buf);
  buf[n] = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace

std::vector<std::string> LevelNames(FieldType type) {
  switch (type) {
    case FieldType::kName:
      return {"exact", "token_set_or_swap", "jw>=0.94", "jw>=0.88", "within_2_edits", "initial_or_prefix", "else"};
    case FieldType::kString:
      return {"exact", "jw>=0.9", "else"};
    case FieldType::kDate:
      return {"exact", "dm_swap_or_one_digit", "one_component_off", "else"};
    case FieldType::kPhone:
    case FieldType::kPostcode:
      return {"exact", "one_edit", "else"};
    case FieldType::kAddress:
      return {"exact", "same_number_similar_street", "number_one_edit_or_missing",
              "other_number_similar_street", "else"};
    case FieldType::kText:
      return {"exact", "jaccard>=0.6_or_jw>=0.92", "jaccard>=0.3", "else"};
    case FieldType::kNumeric:
      return {"exact", "rel<=0.05", "rel<=0.2", "else"};
    case FieldType::kExact:
      return {"exact", "else"};
    case FieldType::kEmail:
      return {"exact", "same_local_part", "within_2_edits", "jw>=0.88", "else"};
  }
  return {"exact", "else"};
}

PreparedValue PrepareValue(const FieldSpec& spec, const std::vector<std::string>& row) {
  PreparedValue v;
  const FieldConfig& cfg = spec.config;
  std::vector<std::string> parts;
  for (int idx : spec.column_indices) {
    std::string n = NormalizeText(row[idx]);
    if (!n.empty()) parts.push_back(std::move(n));
  }
  if (parts.empty()) return v;
  auto set_date_alt = [&v] {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%04d%02d%02d", v.date.year, v.date.month, v.date.day);
    v.alt = buf;
  };
  if (cfg.type == FieldType::kDate && spec.column_indices.size() == 3) {
    if (parts.size() != 3) return v;  // partial dates count as missing
    v.date.year = std::atoi(parts[0].c_str());
    v.date.month = std::atoi(parts[1].c_str());
    v.date.day = std::atoi(parts[2].c_str());
    v.date_ok = true;
    set_date_alt();
    v.norm = v.alt;
    v.missing = false;
    return v;
  }
  v.norm = Join(parts, " ");
  v.missing = false;
  switch (cfg.type) {
    case FieldType::kName:
      v.alt = JoinSorted(Tokenize(v.norm));
      break;
    case FieldType::kString:
    case FieldType::kExact:
      break;
    case FieldType::kDate:
      v.date_ok = ParseDate(v.norm, cfg.format, &v.date);
      if (v.date_ok) {
        set_date_alt();
      } else {
        v.alt = DigitsOf(v.norm);
      }
      break;
    case FieldType::kPhone: {
      // Digits without leading zeros: a trunk prefix ("0...") or an
      // international "00" must not hide a suffix match with "+44 ...".
      std::string d = DigitsOf(v.norm);
      size_t z = d.find_first_not_of('0');
      v.alt = z == std::string::npos ? "" : d.substr(z);
      if (v.alt.empty()) v.missing = true;
      break;
    }
    case FieldType::kPostcode:
      v.alt = DigitsOf(v.norm);
      if (v.alt.empty()) v.missing = true;
      break;
    case FieldType::kAddress: {
      std::vector<std::string> tokens = AddressTokens(v.norm);
      if (tokens.empty()) {
        v.missing = true;
        break;
      }
      v.norm = Join(tokens, "");
      v.alt = PrepareAddressAlt(tokens);
      break;
    }
    case FieldType::kText: {
      std::vector<std::string> tokens = Tokenize(v.norm);
      if (tokens.empty()) {
        v.missing = true;
        break;
      }
      v.norm = Join(tokens, "");
      v.alt = SortedTokenSet(std::move(tokens));
      break;
    }
    case FieldType::kNumeric: {
      char* end = nullptr;
      v.number = std::strtod(v.norm.c_str(), &end);
      if (end == v.norm.c_str()) v.missing = true;
      break;
    }
    case FieldType::kEmail: {
      size_t at = v.norm.find('@');
      v.alt = at == std::string::npos ? v.norm : v.norm.substr(0, at);
      break;
    }
  }
  return v;
}

void FieldColumn::Append(const PreparedValue& v) {
  Cell c;
  if (!v.missing && !v.norm.empty()) {
    const size_t norm_len = std::min<size_t>(v.norm.size(), UINT16_MAX);
    const size_t alt_len = std::min<size_t>(v.alt.size(), UINT16_MAX);
    c.norm_off = Store(std::string_view(v.norm).substr(0, norm_len));
    c.norm_len = static_cast<uint16_t>(norm_len);
    c.alt_off = Store(std::string_view(v.alt).substr(0, alt_len));
    c.alt_len = static_cast<uint16_t>(alt_len);
    if (v.date_ok) {
      c.date = std::clamp(v.date.year, 0, 9999) * 10000 + std::clamp(v.date.month, 0, 99) * 100 +
               std::clamp(v.date.day, 0, 99);
    }
  }
  cells_.push_back(c);
}

uint32_t FieldColumn::Store(std::string_view text) {
  if (used_ + text.size() > kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    used_ = 0;
  }
  const uint32_t off = static_cast<uint32_t>(((blocks_.size() - 1) << kBlockBits) | used_);
  std::copy(text.begin(), text.end(), blocks_.back().get() + used_);
  used_ += text.size();
  return off;
}

void ComputeTermFrequencies(const std::vector<FieldSpec>& specs, RecordStore* store) {
  for (size_t f = 0; f < specs.size(); ++f) {
    if (!specs[f].config.term_frequency) continue;
    FieldColumn& col = store->fields[f];
    std::unordered_map<std::string_view, uint32_t> counts;
    uint64_t total = 0;
    for (uint32_t r = 0; r < col.size(); ++r) {
      if (col.missing(r)) continue;
      ++counts[col.norm(r)];
      ++total;
    }
    for (uint32_t r = 0; r < col.size(); ++r) {
      if (col.missing(r)) continue;
      col.mutable_cell(r).tf =
          static_cast<float>(static_cast<double>(counts[col.norm(r)]) / static_cast<double>(total));
    }
  }
}

int8_t CompareField(const std::vector<FieldSpec>& specs, size_t f, const RecordStore& store,
                    uint32_t ra, uint32_t rb) {
  const FieldColumn& col = store.fields[f];
  if (col.missing(ra) || col.missing(rb)) return kMissingLevel;
  const FieldSpec& spec = specs[f];
  const std::string_view an = col.norm(ra), bn = col.norm(rb);
  switch (spec.config.type) {
    case FieldType::kName: {
      if (an == bn) return 0;
      if (col.alt(ra) == col.alt(rb)) return 1;
      if (spec.swap_field >= 0) {
        // Both names swapped: a.this == b.other and a.other == b.this.
        const FieldColumn& other = store.fields[spec.swap_field];
        if (!other.missing(ra) && !other.missing(rb) && an == other.norm(rb) &&
            other.norm(ra) == bn) {
          return 1;
        }
        // Swapped with a typo in one of them ("johnnie roberts" / "robertts
        // john"): one cross pair equal, the other close.
        if (!other.missing(ra) && !other.missing(rb) && an != other.norm(ra)) {
          const std::string_view ao = other.norm(ra), bo = other.norm(rb);
          if ((an == bo && JaroWinklerAtLeast(ao, bn, 0.88) >= 0.88) ||
              (ao == bn && JaroWinklerAtLeast(an, bo, 0.88) >= 0.88)) {
            return 1;
          }
        }
      }
      const double jw = JaroWinklerAtLeast(an, bn, 0.88);
      if (jw >= 0.88) return jw >= 0.94 ? 2 : 3;
      // Typos JW does not forgive in short names ("john" / "j0hn" is 0.85,
      // "emma" / "ernma" an OCR "rn"): at most two edits, names of >= 4 bytes.
      if (std::min(an.size(), bn.size()) >= 4 && BoundedEditDistance(an, bn, 2) <= 2) return 4;
      // An initial ("k" or "k.") or a short form that starts the other name
      // ("kim" / "kimberly", "k" / "katherine"): rolls and forms abbreviate
      // given names; household members have other names, not their prefix.
      auto stem = [](std::string_view s) {
        if (s.size() >= 2 && s.back() == '.') s.remove_suffix(1);
        return s;
      };
      const std::string_view sa = stem(an), sb = stem(bn);
      const std::string_view shorter = sa.size() < sb.size() ? sa : sb;
      const std::string_view longer = sa.size() < sb.size() ? sb : sa;
      if (!shorter.empty() && shorter.size() < longer.size() &&
          static_cast<unsigned char>(shorter[0]) < 0x80 &&
          longer.substr(0, shorter.size()) == shorter) {
        return 5;
      }
      return 6;
    }
    case FieldType::kString: {
      if (an == bn) return 0;
      return JaroWinklerAtLeast(an, bn, 0.9) >= 0.9 ? 1 : 2;
    }
    case FieldType::kDate: {
      if (col.date_ok(ra) && col.date_ok(rb)) {
        const Date x = col.date(ra), y = col.date(rb);
        if (x.year == y.year && x.month == y.month && x.day == y.day) return 0;
        if (x.year == y.year && x.month == y.day && x.day == y.month) return 1;
        const std::string_view xa = col.alt(ra), ya = col.alt(rb);
        if (xa.size() == ya.size() && WithinOneEdit(xa, ya)) return 1;
        int same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day);
        return same == 2 ? 2 : 3;
      }
      if (an == bn) return 0;
      if (!col.alt(ra).empty() && WithinOneEdit(col.alt(ra), col.alt(rb))) return 1;
      return 3;
    }
    case FieldType::kPhone:
    case FieldType::kPostcode: {
      const std::string_view x = col.alt(ra), y = col.alt(rb);
      if (x == y) return 0;
      if (spec.config.type == FieldType::kPhone && std::min(x.size(), y.size()) >= 7) {
        const std::string_view shorter = x.size() < y.size() ? x : y;
        const std::string_view longer = x.size() < y.size() ? y : x;
        if (longer.substr(longer.size() - shorter.size()) == shorter) return 0;
      }
      return WithinOneEdit(x, y) ? 1 : 2;
    }
    case FieldType::kAddress: {
      const AddressParts x = SplitAddress(col.alt(ra)), y = SplitAddress(col.alt(rb));
      if (an == bn || (x.number == y.number && x.street == y.street)) return 0;
      if (!SimilarStreet(x, y)) return 4;
      if (x.number == y.number) return 1;
      if (x.number.empty() || y.number.empty() || WithinOneEdit(x.number, y.number)) return 2;
      return 3;
    }
    case FieldType::kText: {
      if (an == bn) return 0;
      double j = SortedSetJaccard(col.alt(ra), col.alt(rb));
      if (j >= 0.999) return 0;
      if (j >= 0.6) return 1;
      if (JaroWinklerAtLeast(an, bn, 0.92) >= 0.92) return 1;
      return j >= 0.3 ? 2 : 3;
    }
    case FieldType::kNumeric: {
      const double x = ParseNumber(an), y = ParseNumber(bn);
      if (x == y) return 0;
      double denom = std::max(std::fabs(x), std::fabs(y));
      double rel = denom == 0 ? 0 : std::fabs(x - y) / denom;
      return rel <= 0.05 ? 1 : rel <= 0.2 ? 2 : 3;
    }
    case FieldType::kExact:
      return an == bn ? 0 : 1;
    case FieldType::kEmail: {
      if (an == bn) return 0;
      const std::string_view xl = col.alt(ra), yl = col.alt(rb);
      if (!xl.empty() && xl == yl) return 1;
      // Typing mistakes, not similar-looking addresses: "j.harris45@gmail.com"
      // and "a.harris@gmail.com" belong to two people of one household.
      if (BoundedEditDistance(an, bn, 2) <= 2) return 2;
      return JaroWinklerAtLeast(an, bn, 0.88) >= 0.88 ? 3 : 4;
    }
  }
  return kMissingLevel;
}

}  // namespace holo::match
