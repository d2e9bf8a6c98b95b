#include "privacy/pseudonymizer.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/hex.h"

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

}  // namespace

std::string PseudonymToHex(const Pseudonym& p) { return hex::Encode(p.data(), p.size()); }

Result<Pseudonym> PseudonymFromHex(std::string_view text) {
  if (text.size() != kPseudonymSize * 2) {
    return Status::InvalidArgument("pseudonym must be " + std::to_string(kPseudonymSize * 2) +
                                   " hex characters, got " + std::to_string(text.size()));
  }
  Pseudonym p{};
  if (!hex::Decode(text, p.data(), p.size())) return Status::InvalidArgument("pseudonym contains a non-hex character");
  return p;
}

Sha256Digest Sha256Of(std::string_view normalized_value) {
  EnsureSodium();
  Sha256Digest out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(normalized_value.data()),
                     normalized_value.size());
  return out;
}

bool Sha256FromHex(std::string_view text, Sha256Digest* out) {
  return hex::Decode(text, out->data(), out->size());
}

Pseudonymizer::Pseudonymizer(const PseudonymKey& key) : keys_{key} { EnsureSodium(); }

Pseudonymizer::Pseudonymizer(std::vector<PseudonymKey> keys) : keys_(std::move(keys)) {
  EnsureSodium();
  if (keys_.empty()) std::abort();  // a programming error: there is always a root key
}

PseudonymKey Pseudonymizer::NewKey() {
  EnsureSodium();
  PseudonymKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

Pseudonym Pseudonymizer::Hash(std::string_view type, std::string_view normalized_value) const {
  Pseudonym p = RootHash(type, normalized_value);
  for (size_t g = 1; g < keys_.size(); ++g) p = Permute(keys_[g], p);
  return p;
}

Pseudonym Pseudonymizer::Root(const Pseudonym& p) const {
  Pseudonym out = p;
  for (size_t g = keys_.size(); g-- > 1;) out = Unpermute(keys_[g], out);
  return out;
}

namespace {

constexpr int kFeistelRounds = 4;

// Round function: the first 8 bytes of BLAKE2b(key, round || half).
void Round(const PseudonymKey& key, int round, const uint8_t* half, uint8_t* out8) {
  unsigned char in[9];
  in[0] = static_cast<unsigned char>(round);
  std::memcpy(in + 1, half, 8);
  unsigned char h[crypto_generichash_BYTES_MIN];  // 16
  crypto_generichash(h, sizeof(h), in, sizeof(in), key.data(), key.size());
  std::memcpy(out8, h, 8);
}

}  // namespace

Pseudonym Pseudonymizer::Permute(const PseudonymKey& key, const Pseudonym& p) {
  EnsureSodium();
  uint8_t l[8], r[8], f[8];
  std::memcpy(l, p.data(), 8);
  std::memcpy(r, p.data() + 8, 8);
  for (int i = 0; i < kFeistelRounds; ++i) {  // (L, R) -> (R, L ^ F_i(R))
    Round(key, i, r, f);
    for (int b = 0; b < 8; ++b) l[b] ^= f[b];
    std::swap(l, r);
  }
  Pseudonym out;
  std::memcpy(out.data(), l, 8);
  std::memcpy(out.data() + 8, r, 8);
  return out;
}

Pseudonym Pseudonymizer::Unpermute(const PseudonymKey& key, const Pseudonym& p) {
  EnsureSodium();
  uint8_t l[8], r[8], f[8];
  std::memcpy(l, p.data(), 8);
  std::memcpy(r, p.data() + 8, 8);
  for (int i = kFeistelRounds; i-- > 0;) {  // undo (L, R) -> (R, L ^ F_i(R))
    std::swap(l, r);
    Round(key, i, r, f);
    for (int b = 0; b < 8; ++b) l[b] ^= f[b];
  }
  Pseudonym out;
  std::memcpy(out.data(), l, 8);
  std::memcpy(out.data() + 8, r, 8);
  return out;
}

Pseudonym Pseudonymizer::MatchTag(const Sha256Digest& digest) const {
  static constexpr char kPrefix[] = "holo/partner-match";  // with its '\0'
  static constexpr unsigned char kPersonal[crypto_generichash_blake2b_PERSONALBYTES] = {
      'h', 'o', 'l', 'o', '.', 'p', 'a', 'r', 't', 'n', 'e', 'r', 't', 'a', 'g', '1'};
  unsigned char in[sizeof(kPrefix) + kSha256Size];
  std::memcpy(in, kPrefix, sizeof(kPrefix));
  std::memcpy(in + sizeof(kPrefix), digest.data(), digest.size());
  const PseudonymKey& key = keys_.front();
  Pseudonym out;
  crypto_generichash_blake2b_salt_personal(out.data(), out.size(), in, sizeof(in), key.data(), key.size(),
                                           /*salt=*/nullptr, kPersonal);
  return out;
}

Pseudonym Pseudonymizer::RootHash(std::string_view type, std::string_view normalized_value) const {
  const PseudonymKey& key = keys_.front();
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
    crypto_generichash(out.data(), out.size(), buf, n, key.data(), key.size());
  } else {
    crypto_generichash_state state;
    crypto_generichash_init(&state, key.data(), key.size(), out.size());
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
