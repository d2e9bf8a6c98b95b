#include "privacy/normalize.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace holo::privacy {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr size_t kE164MinDigits = 8;
constexpr size_t kE164MaxDigits = 15;

}  // namespace

Result<std::string> NormalizePhone(std::string_view raw, std::string_view default_country_code) {
  if (default_country_code.empty() || default_country_code.size() > 3) {
    return Status::InvalidArgument("default country code must be 1 to 3 digits");
  }
  for (char c : default_country_code) {
    if (!IsDigit(c)) return Status::InvalidArgument("default country code must be 1 to 3 digits");
  }
  if (default_country_code[0] == '0') {
    return Status::InvalidArgument("default country code must not start with 0");
  }

  // Clean: keep digits and a leading '+'; drop separators; "(0)" is the optional trunk prefix
  // written inside international numbers ("+44 (0)20 ...") and is dropped whole.
  std::string digits;
  digits.reserve(raw.size());
  bool plus = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (IsDigit(c)) {
      digits.push_back(c);
    } else if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == ')') {
      // separator
    } else if (c == '(') {
      if (raw.substr(i, 3) == "(0)") i += 2;
    } else if (c == '+') {
      if (plus || !digits.empty()) return Status::InvalidArgument("'+' is only allowed first");
      plus = true;
    } else if (IsAsciiLetter(c)) {
      return Status::InvalidArgument("contains letters");
    } else {
      return Status::InvalidArgument("contains an invalid character");
    }
  }
  if (digits.empty()) return Status::InvalidArgument("no digits");

  std::string out;
  out.reserve(kE164MaxDigits + 4);
  out.push_back('+');
  if (plus) {
    out += digits;
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == '0') {
    out.append(digits, 2, std::string::npos);  // international call prefix 00
  } else if (default_country_code == "86" && digits.size() == 13 &&
             digits.compare(0, 3, "861") == 0) {
    out += digits;  // a CN mobile number written with its country code but without '+'
  } else {
    out += default_country_code;
    out.append(digits, digits[0] == '0' ? 1 : 0, std::string::npos);  // drop a trunk 0
  }

  const size_t n = out.size() - 1;
  if (n < kE164MinDigits)
    return Status::InvalidArgument("too short for E.164 (fewer than 8 digits)");
  if (n > kE164MaxDigits)
    return Status::InvalidArgument("too long for E.164 (more than 15 digits)");
  if (out[1] == '0') return Status::InvalidArgument("country code must not start with 0");
  return out;
}

Result<std::string> NormalizeEmail(std::string_view raw) {
  std::string_view s = TrimAscii(raw);
  if (s.empty()) return Status::InvalidArgument("empty email");
  const size_t at = s.find('@');
  if (at == std::string_view::npos) return Status::InvalidArgument("missing '@'");
  if (s.find('@', at + 1) != std::string_view::npos) {
    return Status::InvalidArgument("more than one '@'");
  }
  if (at == 0) return Status::InvalidArgument("empty local part");
  for (char c : s) {
    if (IsAsciiSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("contains whitespace or control characters");
    }
  }
  const std::string_view domain = s.substr(at + 1);
  if (domain.empty()) return Status::InvalidArgument("empty domain");
  if (domain.find('.') == std::string_view::npos) {
    return Status::InvalidArgument("domain has no dot");
  }
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return Status::InvalidArgument("domain has an empty label");
  }
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

Result<std::string> NormalizeMac(std::string_view raw, bool* randomized) {
  const std::string_view s = TrimAscii(raw);
  // Positions of the 12 hex digits for each accepted layout.
  int digit_pos[12];
  char sep = 0;
  if (s.size() == 17 && (s[2] == ':' || s[2] == '-')) {
    sep = s[2];
    for (int i = 0; i < 6; ++i) {
      digit_pos[2 * i] = 3 * i;
      digit_pos[2 * i + 1] = 3 * i + 1;
      if (i > 0 && s[3 * i - 1] != sep) {
        return Status::InvalidArgument("inconsistent MAC separators");
      }
    }
  } else if (s.size() == 14 && s[4] == '.' && s[9] == '.') {
    for (int i = 0; i < 12; ++i) digit_pos[i] = i + i / 4;
  } else if (s.size() == 12) {
    for (int i = 0; i < 12; ++i) digit_pos[i] = i;
  } else {
    return Status::InvalidArgument(
        "not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-..., aabb.ccdd.eeff or 12 hex "
        "digits)");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(17, ':');
  int first_octet = 0;
  for (int i = 0; i < 12; ++i) {
    const int v = HexValue(s[digit_pos[i]]);
    if (v < 0) return Status::InvalidArgument("MAC contains a non-hex digit");
    out[i / 2 * 3 + i % 2] = kHex[v];
    if (i < 2) first_octet = first_octet << 4 | v;
  }
  if (randomized != nullptr) *randomized = (first_octet & 0x02) != 0;
  return out;
}

bool IsPlaceholderId(std::string_view normalized) {
  const std::string_view s = TrimAscii(normalized);
  if (s.empty()) return true;
  bool zeros_only = true;
  bool any_zero = false;
  for (char c : s) {
    if (c == '0') {
      any_zero = true;
    } else if (c != '-' && c != ':' && c != '.') {
      zeros_only = false;
      break;
    }
  }
  if (zeros_only && any_zero) return true;
  // One character repeated (separators aside): "11111111", "ffff-ffff-ffff", "aaaaaa".
  {
    char first = 0;
    size_t n = 0;
    bool same = true;
    for (char c : s) {
      if (c == '-' || c == ':' || c == '.' || c == ' ' || c == '_') continue;
      if (n++ == 0) first = c;
      same = same && std::tolower(static_cast<unsigned char>(c)) == std::tolower(static_cast<unsigned char>(first));
    }
    if (same && n >= 6) return true;
  }
  static constexpr std::string_view kWords[] = {"unknown", "null",      "undefined", "none",  "nil",
                                                "(null)",  "n/a",       "anonymous", "guest", "default",
                                                "test",    "nobody",    "noreply@example.com"};
  for (std::string_view w : kWords) {
    if (EqualsIgnoreCase(s, w)) return true;
  }
  return false;
}

namespace {

// True for "aa:bb:cc:dd:ee:ff" / "AA-BB-CC-DD-EE-FF": a MAC written as one, whatever field it is in.
bool LooksLikeSeparatedMac(std::string_view raw) {
  if (raw.size() != 17) return false;
  char sep = raw[2];
  if (sep != ':' && sep != '-') return false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i % 3 == 2) {
      if (raw[i] != sep) return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(raw[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::string> NormalizeIdentifierValue(std::string_view type, std::string_view raw,
                                             bool* placeholder,
                                             std::string_view default_country_code) {
  if (type == "mac") {
    bool randomized = false;
    Result<std::string> mac = NormalizeMac(raw, &randomized);
    if (mac.ok() && placeholder != nullptr) *placeholder = randomized || IsPlaceholderId(*mac);
    return mac;
  }
  Result<std::string> value = type == "email"   ? NormalizeEmail(raw)
                              : type == "phone" ? NormalizePhone(raw, default_country_code)
                                                : Result<std::string>(std::string(raw));
  if (value.ok() && placeholder != nullptr) {
    *placeholder = IsPlaceholderId(*value);
    // A phone whose national number is one repeated digit (+86 11111111111) is a form filler.
    if (type == "phone" && value->size() > 8 && IsPlaceholderId(std::string_view(*value).substr(value->size() - 8)) &&
        IsPlaceholderId(std::string_view(*value).substr(value->size() - 10))) {
      *placeholder = true;
    }
    // A randomized MAC identifies no one, even as another field's value (a wifi sensor's
    // anonymousId is the probed MAC).
    bool randomized = false;
    if (LooksLikeSeparatedMac(raw) && NormalizeMac(raw, &randomized).ok() && randomized) {
      *placeholder = true;
    }
  }
  return value;
}

std::string AddressKeyText(std::string_view street, std::string_view postcode) {
  std::string_view pc = postcode;
  while (!pc.empty() && pc.front() == ' ') pc.remove_prefix(1);
  while (!pc.empty() && pc.back() == ' ') pc.remove_suffix(1);
  if (pc.size() != 6 || pc.find_first_not_of("0123456789") != std::string_view::npos) return "";
  std::string lower;
  lower.reserve(street.size());
  for (char c : street) lower.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  auto has_word = [&](std::string_view w) {
    for (size_t pos = lower.find(w); pos != std::string::npos; pos = lower.find(w, pos + 1)) {
      bool left = pos == 0 || !std::isalpha(static_cast<unsigned char>(lower[pos - 1]));
      size_t end = pos + w.size();
      bool right = end >= lower.size() || !std::isalpha(static_cast<unsigned char>(lower[end]));
      if (left && right) return true;
    }
    return false;
  };
  const bool has_room = has_word("room") || has_word("rm") || lower.find("室") != std::string::npos ||
                        lower.find("房") != std::string::npos;
  if (!has_room) return "";
  std::vector<uint64_t> groups;
  uint64_t cur = 0;
  bool in = false;
  for (char c : lower) {
    if (c >= '0' && c <= '9') {
      if (cur < (uint64_t{1} << 40)) cur = cur * 10 + static_cast<uint64_t>(c - '0');
      in = true;
    } else if (in) {
      groups.push_back(cur);
      cur = 0;
      in = false;
    }
  }
  if (in) groups.push_back(cur);
  if (groups.size() < 2) return "";
  std::sort(groups.begin(), groups.end());
  std::string out(pc);
  for (uint64_t g : groups) {
    out.push_back('|');
    out += std::to_string(g);
  }
  return out;
}

}  // namespace holo::privacy
