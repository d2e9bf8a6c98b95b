#include "privacy/normalize.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

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

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// A phone number as written, before it is checked: `digits` with separators removed, and
// `intl` set when it was written in international form ("+..." or "00...", the '+' or the
// "00" removed from `digits`).
struct CleanPhone {
  std::string digits;
  bool intl = false;
};

Result<CleanPhone> Clean(std::string_view raw) {
  // Keep digits and a leading '+'; drop separators; "(0)" is the optional trunk prefix
  // written inside international numbers ("+44 (0)20 ...") and is dropped whole. Letters
  // (extensions, "call me") and anything else are refused before libphonenumber sees the
  // text, which would otherwise accept full-width digits, vanity letters and "ext. 9".
  CleanPhone out;
  out.digits.reserve(raw.size());
  bool plus = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (IsDigit(c)) {
      out.digits.push_back(c);
    } else if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == ')') {
      // separator
    } else if (c == '(') {
      if (raw.substr(i, 3) == "(0)") i += 2;
    } else if (c == '+') {
      if (plus || !out.digits.empty()) return Status::InvalidArgument("'+' is only allowed first");
      plus = true;
    } else if (IsAsciiLetter(c)) {
      return Status::InvalidArgument("contains letters");
    } else {
      return Status::InvalidArgument("contains an invalid character");
    }
  }
  if (out.digits.empty()) return Status::InvalidArgument("no digits");
  if (plus) {
    out.intl = true;
  } else if (out.digits.size() > 2 && out.digits[0] == '0' && out.digits[1] == '0') {
    out.digits.erase(0, 2);  // the international call prefix 00
    out.intl = true;
  }
  if (out.intl) {
    if (out.digits.size() < kE164MinDigits)
      return Status::InvalidArgument("too short for E.164 (fewer than 8 digits)");
    if (out.digits.size() > kE164MaxDigits)
      return Status::InvalidArgument("too long for E.164 (more than 15 digits)");
    if (out.digits[0] == '0') return Status::InvalidArgument("country code must not start with 0");
  }
  return out;
}

// The text of a number that libphonenumber found not valid: the form the hand-written rule of
// Holo <= 0.1 gave it (E.164 as written, or the region's country code prefixed with one trunk
// '0' dropped). Used only to recognize form fillers ("111 1111 1111") as placeholders.
std::string LegacyForm(const CleanPhone& p, int country_code) {
  if (p.intl) return "+" + p.digits;
  return "+" + std::to_string(country_code) + p.digits.substr(p.digits[0] == '0' ? 1 : 0);
}

bool IsFormFiller(std::string_view e164) {
  return e164.size() > 10 && IsPlaceholderId(e164.substr(e164.size() - 8)) &&
         IsPlaceholderId(e164.substr(e164.size() - 10));
}

// Parses and checks a cleaned number; on success sets *e164.
Status ParseValid(const CleanPhone& p, const std::string& region, int region_cc, std::string* e164) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (p.intl) {
    const std::string text = "+" + p.digits;
    if (util.Parse(text, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return Status::InvalidArgument("not a phone number (unknown country code or length)");
    }
    if (!util.IsValidNumber(number)) {
      return Status::InvalidArgument("not a valid number for its country code");
    }
    // The digits as written, which is what earlier versions pseudonymized; for a valid number
    // it is libphonenumber's E.164 too.
    *e164 = text;
    return Status::OK();
  }
  if (util.ParseAndKeepRawInput(p.digits, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return Status::InvalidArgument("not a phone number of region " + region);
  }
  // Written with the region's own international call prefix (011 in the US): the number
  // names its country itself.
  const bool dialled_abroad =
      number.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_IDD;
  if (!dialled_abroad && static_cast<int>(number.country_code()) != region_cc) {
    return Status::InvalidArgument("not a number of region " + region);
  }
  if (!util.IsValidNumber(number)) {
    return Status::InvalidArgument(dialled_abroad ? std::string("not a valid number for its country code")
                                                  : "not a valid number in region " + region);
  }
  util.Format(number, PhoneNumberUtil::E164, e164);
  return Status::OK();
}

Result<std::string> NormalizePhoneImpl(std::string_view raw, std::string_view default_region,
                                       bool* form_filler) {
  HOLO_ASSIGN_OR_RETURN(std::string region, CanonicalPhoneRegion(default_region));
  const int region_cc = PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(region);
  HOLO_ASSIGN_OR_RETURN(CleanPhone p, Clean(raw));
  std::string e164;
  Status valid = ParseValid(p, region, region_cc, &e164);
  if (valid.ok()) return e164;
  if (form_filler != nullptr) {
    std::string legacy = LegacyForm(p, region_cc);
    if (legacy.size() - 1 >= kE164MinDigits && legacy.size() - 1 <= kE164MaxDigits && IsFormFiller(legacy)) {
      *form_filler = true;
      return legacy;
    }
  }
  return valid;
}

}  // namespace

Result<std::string> CanonicalPhoneRegion(std::string_view region) {
  if (region.size() != 2 || !IsAsciiLetter(region[0]) || !IsAsciiLetter(region[1])) {
    return Status::InvalidArgument("phone region must be a two-letter ISO 3166 code such as CN or US");
  }
  std::string out(region);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(out) == 0) {
    return Status::InvalidArgument("phone region " + out + " is not a region libphonenumber knows");
  }
  return out;
}

Result<std::string> NormalizePhone(std::string_view raw, std::string_view default_region) {
  return NormalizePhoneImpl(raw, default_region, nullptr);
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
                                             std::string_view default_region) {
  if (type == "mac") {
    bool randomized = false;
    Result<std::string> mac = NormalizeMac(raw, &randomized);
    if (mac.ok() && placeholder != nullptr) *placeholder = randomized || IsPlaceholderId(*mac);
    return mac;
  }
  bool form_filler = false;
  Result<std::string> value = type == "email"   ? NormalizeEmail(raw)
                              : type == "phone" ? NormalizePhoneImpl(raw, default_region, &form_filler)
                                                : Result<std::string>(std::string(raw));
  if (value.ok() && placeholder != nullptr) {
    *placeholder = IsPlaceholderId(*value);
    // A phone whose national number is one repeated digit (+86 11111111111) is a form filler:
    // not a valid number, kept as a placeholder (it links no one) as before libphonenumber.
    if (type == "phone" && (form_filler || IsFormFiller(*value))) *placeholder = true;
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
