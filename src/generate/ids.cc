#include "generate/ids.h"

#include <array>
#include <cctype>

namespace holo::generate {
namespace {

constexpr std::array<std::string_view, kNumSources> kSourceNames = {
    "taobao", "tmall", "alipay",   "eleme", "amap",       "fliggy",
    "youku",  "weibo", "minigame", "web",   "store_wifi", "store_beacon",
};

void AppendPadded(uint64_t value, int width, std::string* out) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < 24);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

void AppendBase(uint64_t value, int width, std::string_view digits, std::string* out) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = digits[value % digits.size()];
    value /= digits.size();
  }
  out->append(buf, width);
}

uint64_t Pow(uint64_t base, int exp) {
  uint64_t r = 1;
  for (int i = 0; i < exp; ++i) r *= base;
  return r;
}

constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

}  // namespace

std::string_view SourceName(Source s) { return kSourceNames[Index(s)]; }

Source AccountNamespace(Source s) {
  switch (s) {
    case Source::kTmall:
    case Source::kStoreBeacon:
      return Source::kTaobao;
    default:
      return s;
  }
}

void AppendTruthType(IdType type, Source ns, std::string* out) {
  switch (type) {
    case IdType::kUserId:
      out->append("user_id@");
      out->append(SourceName(ns));
      return;
    case IdType::kAnonymousId:
      out->append("anonymous_id@");
      out->append(SourceName(ns));
      return;
    case IdType::kDeviceId:
      out->append("device_id");
      return;
    case IdType::kAdId:
      out->append("ad_id");
      return;
    case IdType::kMac:
      out->append("mac");
      return;
    case IdType::kEmail:
      out->append("email");
      return;
    case IdType::kPhone:
      out->append("phone");
      return;
    case IdType::kBssid:
      out->append("bssid");
      return;
    case IdType::kIp:
      out->append("ip");
      return;
    case IdType::kPosTerminal:
      out->append("pos_terminal_id");
      return;
  }
}

void AppendCanonical(IdType type, std::string_view raw, std::string* out) {
  switch (type) {
    case IdType::kPhone: {
      std::string digits;
      for (char c : raw) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      if (digits.size() == 13 && digits.compare(0, 2, "86") == 0) digits.erase(0, 2);
      if (digits.size() == 15 && digits.compare(0, 4, "0086") == 0) digits.erase(0, 4);
      out->append("+86");
      out->append(digits);
      return;
    }
    case IdType::kEmail: {
      size_t b = 0, e = raw.size();
      while (b < e && std::isspace(static_cast<unsigned char>(raw[b]))) ++b;
      while (e > b && std::isspace(static_cast<unsigned char>(raw[e - 1]))) --e;
      for (size_t i = b; i < e; ++i) {
        out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(raw[i]))));
      }
      return;
    }
    case IdType::kMac: {
      int nibbles = 0;
      for (char c : raw) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
        if (nibbles > 0 && nibbles % 2 == 0) out->push_back(':');
        out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        ++nibbles;
      }
      return;
    }
    default:
      out->append(raw);
      return;
  }
}

std::string Uuid(Rng& rng, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  uint64_t hi = rng.Next();
  uint64_t lo = rng.Next();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10xx
  std::string out(36, '-');
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) ++pos;
    const uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out[pos++] = hex[(word >> shift) & 0xF];
  }
  return out;
}

std::string FormatMac(uint64_t mac48, MacFormat format) {
  if (format == MacFormat::kLowerDot || format == MacFormat::kUpperBare) {
    const bool dots = format == MacFormat::kLowerDot;
    const char* hex = dots ? "0123456789abcdef" : "0123456789ABCDEF";
    std::string out;
    out.reserve(14);
    for (int i = 0; i < 12; ++i) {
      if (dots && i > 0 && i % 4 == 0) out.push_back('.');
      out.push_back(hex[(mac48 >> (4 * (11 - i))) & 0xF]);
    }
    return out;
  }
  const bool upper = format == MacFormat::kUpperColon || format == MacFormat::kUpperDash;
  const char sep =
      (format == MacFormat::kLowerColon || format == MacFormat::kUpperColon) ? ':' : '-';
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out(17, sep);
  for (int i = 0; i < 6; ++i) {
    const auto byte = static_cast<unsigned>((mac48 >> (8 * (5 - i))) & 0xFF);
    out[3 * i] = hex[byte >> 4];
    out[3 * i + 1] = hex[byte & 0xF];
  }
  return out;
}

uint64_t RandomizedMac(Rng& rng) {
  uint64_t mac = rng.Next() & 0xFFFFFFFFFFFFULL;
  // First octet: clear multicast (bit 0), set locally administered (bit 1).
  mac = (mac & ~(0x03ULL << 40)) | (0x02ULL << 40);
  return mac;
}

std::string FormatPhone(std::string_view national, PhoneFormat format) {
  std::string out;
  out.reserve(18);
  const std::string_view a = national.substr(0, 3), b = national.substr(3, 4),
                         c = national.substr(7);
  switch (format) {
    case PhoneFormat::kPlain:
      out.append(national);
      break;
    case PhoneFormat::kE164:
      out.append("+86").append(national);
      break;
    case PhoneFormat::kSpacedIntl:
      out.append("+86 ").append(a).append(" ").append(b).append(" ").append(c);
      break;
    case PhoneFormat::kDashed:
      out.append(a).append("-").append(b).append("-").append(c);
      break;
    case PhoneFormat::kSpaced:
      out.append(a).append(" ").append(b).append(" ").append(c);
      break;
  }
  return out;
}

std::string UserIdFor(Source ns, uint64_t person_index, uint64_t world_key) {
  const uint64_t key = Mix(world_key, 0x5553455249440000ULL + static_cast<uint64_t>(Index(ns)));
  std::string out;
  out.reserve(20);
  switch (ns) {
    case Source::kTaobao:
      out.append("2200");
      AppendPadded(Permute(person_index, Pow(10, 9), key), 9, &out);
      break;
    case Source::kAlipay:
      out.append("2088");
      AppendPadded(Permute(person_index, Pow(10, 12), key), 12, &out);
      break;
    case Source::kEleme:
      out.append("E");
      AppendPadded(Permute(person_index, Pow(10, 10), key), 10, &out);
      break;
    case Source::kAmap:
      out.append("gd");
      AppendBase(Permute(person_index, Pow(36, 8), key), 8, kBase36, &out);
      break;
    case Source::kFliggy:
      out.append("fz");
      AppendPadded(Permute(person_index, Pow(10, 10), key), 10, &out);
      break;
    case Source::kYouku:
      out.append("UM");
      AppendBase(Permute(person_index, Pow(62, 8), key), 8, kBase62, &out);
      break;
    case Source::kWeibo:
      AppendPadded(1000000000ULL + Permute(person_index, 6000000000ULL, key), 10, &out);
      break;
    case Source::kMinigame:
      out.append("mg_");
      AppendBase(Permute(person_index, Pow(16, 8), key), 8, "0123456789abcdef", &out);
      break;
    case Source::kWeb:
      out.append("w");
      AppendPadded(Permute(person_index, Pow(10, 9), key), 9, &out);
      break;
    default:
      // Sources without an account system of their own use taobao's.
      return UserIdFor(Source::kTaobao, person_index, world_key);
  }
  return out;
}

}  // namespace holo::generate
