#include "match/comparators.h"

#include <algorithm>
#include <cstdlib>
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

namespace {

// Jaro similarity over any code-unit type; flags live on the stack for strings
// of up to 128 units.
template <typename Char>
double JaroImpl(std::basic_string_view<Char> a, std::basic_string_view<Char> b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  int window = std::max(la, lb) / 2 - 1;
  if (window < 0) window = 0;
  char stack_flags[256];
  std::vector<char> heap_flags;
  char* ma = stack_flags;
  if (la + lb > 256) {
    heap_flags.assign(la + lb, 0);
    ma = heap_flags.data();
  } else {
    std::fill(stack_flags, stack_flags + la + lb, 0);
  }
  char* mb = ma + la;
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

template <typename Char>
double JaroWinklerImpl(std::basic_string_view<Char> a, std::basic_string_view<Char> b) {
  double j = JaroImpl(a, b);
  int prefix = 0;
  size_t n = std::min<size_t>({a.size(), b.size(), 4});
  while (prefix < static_cast<int>(n) && a[prefix] == b[prefix]) ++prefix;
  return j + prefix * 0.1 * (1.0 - j);
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

double Jaro(std::u32string_view a, std::u32string_view b) { return JaroImpl(a, b); }

double JaroWinkler(std::u32string_view a, std::u32string_view b) { return JaroWinklerImpl(a, b); }

double JaroWinkler(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return JaroWinklerImpl(a, b);
  return JaroWinklerImpl<char32_t>(DecodeUtf8(a), DecodeUtf8(b));
}

double JaroWinklerAtLeast(std::string_view a, std::string_view b, double min) {
  // The bound counts bytes; for multi-byte text lengths in bytes and code
  // points differ, so compute the real thing.
  if (a.empty() || b.empty() || !IsAscii(a) || !IsAscii(b)) return JaroWinkler(a, b);
  // m (matching characters) is at most the number of characters the two
  // strings share, counted per byte value modulo 64 (collisions only raise it).
  uint8_t count[64] = {};
  for (char c : a) {
    uint8_t& k = count[static_cast<unsigned char>(c) & 63];
    if (k < 255) ++k;
  }
  size_t shared = 0;
  for (char c : b) {
    uint8_t& k = count[static_cast<unsigned char>(c) & 63];
    if (k > 0) {
      --k;
      ++shared;
    }
  }
  const double m = static_cast<double>(shared);
  const double jaro_max =
      shared == 0
          ? 0.0
          : (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + 1.0) / 3.0;
  size_t prefix = 0;
  const size_t n = std::min<size_t>({a.size(), b.size(), 4});
  while (prefix < n && a[prefix] == b[prefix]) ++prefix;
  const double jw_max = jaro_max + static_cast<double>(prefix) * 0.1 * (1.0 - jaro_max);
  if (jw_max < min) return 0.0;
  return JaroWinkler(a, b);
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

int BoundedEditDistance(std::string_view a, std::string_view b, int max) {
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (std::abs(la - lb) > max) return max + 1;
  if (la == 0 || lb == 0) return std::max(la, lb);
  // Three rows of the DP table, only the band |i - j| <= max is filled.
  const int inf = max + 1;
  thread_local std::vector<int> rows;
  rows.assign(3 * (lb + 1), inf);
  int* prev2 = rows.data();
  int* prev = prev2 + (lb + 1);
  int* cur = prev + (lb + 1);
  for (int j = 0; j <= std::min(lb, max); ++j) prev[j] = j;
  for (int i = 1; i <= la; ++i) {
    std::fill(cur, cur + lb + 1, inf);
    if (i <= max) cur[0] = i;
    const int lo = std::max(1, i - max), hi = std::min(lb, i + max);
    int row_min = cur[0];
    for (int j = lo; j <= hi; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      cur[j] = std::min(v, inf);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > max) return max + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[lb], inf);
}

std::vector<std::string> Tokenize(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
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
      {"st", "street"},     {"str", "street"},     {"rd", "road"},       {"ave", "avenue"},
      {"av", "avenue"},     {"blvd", "boulevard"}, {"dr", "drive"},      {"ln", "lane"},
      {"ct", "court"},      {"crt", "court"},      {"pl", "place"},      {"pde", "parade"},
      {"cres", "crescent"}, {"cr", "crescent"},    {"cct", "circuit"},   {"cir", "circle"},
      {"hwy", "highway"},   {"tce", "terrace"},    {"ter", "terrace"},   {"pkwy", "parkway"},
      {"sq", "square"},     {"cl", "close"},       {"mt", "mount"},      {"n", "north"},
      {"s", "south"},       {"e", "east"},         {"w", "west"},        {"apt", "apartment"},
      {"ste", "suite"},     {"fl", "floor"},       {"bldg", "building"}, {"gr", "grove"},
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

std::string SortedTokenSet(std::vector<std::string> tokens) {
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

double SortedSetJaccard(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  auto next = [](std::string_view& s) {
    size_t sp = s.find(' ');
    std::string_view tok = s.substr(0, sp);
    s = sp == std::string_view::npos ? std::string_view() : s.substr(sp + 1);
    return tok;
  };
  size_t na = 0, nb = 0, inter = 0;
  std::string_view ta = a.empty() ? std::string_view() : next(a);
  std::string_view tb = b.empty() ? std::string_view() : next(b);
  bool ha = !ta.empty(), hb = !tb.empty();
  while (ha && hb) {
    int c = ta.compare(tb);
    if (c == 0) {
      ++inter, ++na, ++nb;
      ha = !a.empty(), hb = !b.empty();
      if (ha) ta = next(a);
      if (hb) tb = next(b);
    } else if (c < 0) {
      ++na;
      ha = !a.empty();
      if (ha) ta = next(a);
    } else {
      ++nb;
      hb = !b.empty();
      if (hb) tb = next(b);
    }
  }
  while (ha) {
    ++na;
    ha = !a.empty();
    if (ha) ta = next(a);
  }
  while (hb) {
    ++nb;
    hb = !b.empty();
    if (hb) tb = next(b);
  }
  size_t uni = na + nb - inter;
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

void SplitHouseNumber(const std::vector<std::string>& tokens, std::string* number,
                      std::vector<std::string>* rest) {
  number->clear();
  rest->clear();
  for (const std::string& t : tokens) {
    size_t digits = 0;
    while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
    const bool house_number =
        digits > 0 &&
        (digits == t.size() || (digits + 1 == t.size() && t.back() >= 'a' && t.back() <= 'z'));
    if (number->empty() && house_number) {
      *number = t;
    } else {
      rest->push_back(t);
    }
  }
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
