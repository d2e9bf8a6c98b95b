#include "match/comparators.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace holo::match {

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    char32_t cp = 0;
    if (ok) {
      cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
      for (int k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if ((cc >> 6) != 0x2) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (!ok) {
      out.push_back(c);
      ++i;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : s) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

namespace {

char32_t ToLower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
      c != 0x17F) {
    // Latin Extended-A mostly pairs upper/lower as even/odd (with an offset run).
    bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
  }
  return c;
}

bool IsWs(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }

}  // namespace

std::string NormalizeText(std::string_view s) {
  std::u32string cps = DecodeUtf8(s);
  std::u32string out;
  out.reserve(cps.size());
  bool pending_space = false;
  for (char32_t c : cps) {
    if (IsWs(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(ToLower(c));
  }
  return EncodeUtf8(out);
}

double Jaro(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  int window = std::max(la, lb) / 2 - 1;
  if (window < 0) window = 0;
  std::vector<char> ma(la, 0), mb(lb, 0);
  int matches = 0;
  for (int i = 0; i < la; ++i) {
    int lo = std::max(0, i - window), hi = std::min(lb - 1, i + window);
    for (int j = lo; j <= hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = 1;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  int t = 0, k = 0;
  for (int i = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[k]) ++k;
    if (a[i] != b[k]) ++t;
    ++k;
  }
  double m = matches;
  return (m / la + m / lb + (m - t / 2.0) / m) / 3.0;
}

double JaroWinkler(std::u32string_view a, std::u32string_view b) {
  double j = Jaro(a, b);
  int prefix = 0;
  size_t n = std::min<size_t>({a.size(), b.size(), 4});
  while (prefix < static_cast<int>(n) && a[prefix] == b[prefix]) ++prefix;
  return j + prefix * 0.1 * (1.0 - j);
}

double JaroWinkler(std::string_view a, std::string_view b) {
  return JaroWinkler(DecodeUtf8(a), DecodeUtf8(b));
}

std::string Soundex(std::string_view s) {
  static const char kCodes[] = "01230120022455012623010202";  // a..z
  std::string out;
  char last = 0;
  for (char raw : s) {
    char c = raw;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c < 'a' || c > 'z') continue;
    char code = kCodes[c - 'a'];
    if (out.empty()) {
      out.push_back(static_cast<char>(c - 32));
      last = code;
      continue;
    }
    if (c == 'h' || c == 'w') continue;  // do not separate equal codes
    if (code != '0' && code != last) out.push_back(code);
    last = code;
    if (out.size() == 4) break;
  }
  if (!out.empty()) out.resize(4, '0');
  return out;
}

std::string DigitsOf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (a == b) return false;
  if (a.size() == b.size()) {
    std::vector<size_t> diff;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) {
        diff.push_back(i);
        if (diff.size() > 2) return false;
      }
    }
    if (diff.size() == 1) return true;
    return diff.size() == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] &&
           a[diff[1]] == b[diff[0]];
  }
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() != a.size() + 1) return false;
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  return a.substr(i) == b.substr(i + 1);
}

std::vector<std::string> Tokenize(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                u >= 0x80;
    if (word) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::vector<std::string> AddressTokens(std::string_view s) {
  static const std::unordered_map<std::string, std::string> kAbbrev = {
      {"st", "street"},     {"str", "street"},    {"rd", "road"},        {"ave", "avenue"},
      {"av", "avenue"},     {"blvd", "boulevard"}, {"dr", "drive"},      {"ln", "lane"},
      {"ct", "court"},      {"crt", "court"},     {"pl", "place"},       {"pde", "parade"},
      {"cres", "crescent"}, {"cr", "crescent"},   {"cct", "circuit"},    {"cir", "circle"},
      {"hwy", "highway"},   {"tce", "terrace"},   {"ter", "terrace"},    {"pkwy", "parkway"},
      {"sq", "square"},     {"cl", "close"},      {"mt", "mount"},       {"n", "north"},
      {"s", "south"},       {"e", "east"},        {"w", "west"},         {"apt", "apartment"},
      {"ste", "suite"},     {"fl", "floor"},      {"bldg", "building"},  {"gr", "grove"},
  };
  std::vector<std::string> toks = Tokenize(NormalizeText(s));
  for (auto& t : toks) {
    auto it = kAbbrev.find(t);
    if (it != kAbbrev.end()) t = it->second;
  }
  return toks;
}

double TokenJaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() && b.empty()) return 1.0;
  std::unordered_set<std::string_view> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  size_t inter = 0;
  for (auto& t : sa) inter += sb.count(t);
  size_t uni = sa.size() + sb.size() - inter;
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

bool ParseDate(std::string_view s, std::string_view format, Date* out) {
  Date d;
  size_t i = 0;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] == '%' && f + 1 < format.size()) {
      char spec = format[++f];
      // A specifier followed directly by another takes a fixed width.
      bool fixed = f + 1 < format.size() && format[f + 1] == '%';
      size_t max_width = spec == 'Y' ? 4 : 2;
      size_t min_width = spec == 'Y' ? 4 : (fixed ? 2 : 1);
      size_t start = i;
      int v = 0;
      while (i < s.size() && i - start < max_width && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        ++i;
      }
      if (i - start < min_width) return false;
      if (spec == 'Y') {
        d.year = v;
      } else if (spec == 'm') {
        d.month = v;
      } else if (spec == 'd') {
        d.day = v;
      } else {
        return false;
      }
    } else {
      if (i >= s.size() || s[i] != format[f]) return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  *out = d;
  return true;
}

}  // namespace holo::match
