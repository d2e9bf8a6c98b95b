#include "privacy/pseudonymizer.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace holo::privacy {
namespace {

// sodium_init() must run before any other libsodium call. A function-local static is
// initialized exactly once even under concurrent first calls (C++11 magic statics).
void EnsureSodium() {
  static const bool initialized = [] {
    if (sodium_init() < 0) std::abort();  // no usable RNG: nothing sensible can continue
    return true;
  }();
  (void)initialized;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PseudonymToHex(const Pseudonym& p) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPseudonymSize * 2, '0');
  for (size_t i = 0; i < kPseudonymSize; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 0x0f];
  }
  return out;
}

Result<Pseudonym> PseudonymFromHex(std::string_view hex) {
  if (hex.size() != kPseudonymSize * 2) {
    return Status::InvalidArgument("pseudonym must be " + std::to_string(kPseudonymSize * 2) +
                                   " hex characters, got " + std::to_string(hex.size()));
  }
  Pseudonym p{};
  for (size_t i = 0; i < kPseudonymSize; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("pseudonym contains a non-hex character");
    p[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return p;
}

Pseudonymizer::Pseudonymizer(const PseudonymKey& key) : key_(key) { EnsureSodium(); }

PseudonymKey Pseudonymizer::NewKey() {
  EnsureSodium();
  PseudonymKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

Pseudonym Pseudonymizer::Hash(std::string_view type, std::string_view normalized_value) const {
  static_assert(kPseudonymSize >= crypto_generichash_BYTES_MIN &&
                kPseudonymSize <= crypto_generichash_BYTES_MAX);
  static_assert(kKeySize >= crypto_generichash_KEYBYTES_MIN &&
                kKeySize <= crypto_generichash_KEYBYTES_MAX);
  Pseudonym out;
  const size_t n = type.size() + 1 + normalized_value.size();
  // Identifiers are short: hash them in one call from a stack buffer (one BLAKE2b pass over
  // key block + message); fall back to the streaming API for long values.
  unsigned char buf[256];
  if (n <= sizeof(buf)) {
    std::memcpy(buf, type.data(), type.size());
    buf[type.size()] = '\0';
    std::memcpy(buf + type.size() + 1, normalized_value.data(), normalized_value.size());
    crypto_generichash(out.data(), out.size(), buf, n, key_.data(), key_.size());
  } else {
    crypto_generichash_state state;
    crypto_generichash_init(&state, key_.data(), key_.size(), out.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(type.data()),
                              type.size());
    const unsigned char zero = 0;
    crypto_generichash_update(&state, &zero, 1);
    crypto_generichash_update(&state,
                              reinterpret_cast<const unsigned char*>(normalized_value.data()),
                              normalized_value.size());
    crypto_generichash_final(&state, out.data(), out.size());
  }
  return out;
}

}  // namespace holo::privacy
