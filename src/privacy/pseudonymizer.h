// Pseudonymizer: keyed BLAKE2b (libsodium crypto_generichash) of identifiers, with key
// generations for rotation (docs/privacy.md, "Keys").
//
// Generation 0 hashes: p0 = BLAKE2b-128(k0, type '\0' value). Each rotation g = 1, 2, ...
// maps every stored pseudonym through a keyed permutation of 16-byte blocks:
// p_g = Permute(k_g, p_{g-1}). A permutation rather than a second hash, so that a holder of
// the keyring can go back to the root pseudonym p0 (Root): the suppression list of erased
// identifiers is keyed by the root and so survives a rotation without being rewritten (it
// cannot be: it holds no pseudonyms). Permute is a 4-round Feistel network over two 8-byte
// halves whose round function is keyed BLAKE2b (Luby-Rackoff: a strong pseudorandom
// permutation when the round function is a pseudorandom function).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

namespace holo::privacy {

inline constexpr size_t kPseudonymSize = 16;
inline constexpr size_t kKeySize = 32;
using Pseudonym = std::array<uint8_t, kPseudonymSize>;
using PseudonymKey = std::array<uint8_t, kKeySize>;

// Returns lower-case hex of `p` (32 chars).
std::string PseudonymToHex(const Pseudonym& p);
// Parses 32 hex chars; kInvalidArgument otherwise.
Result<Pseudonym> PseudonymFromHex(std::string_view hex);

// The unkeyed SHA-256 of a normalized e-mail or phone: what ad platforms take from an
// advertiser (Google Customer Match, Meta custom audiences: lowercase hex of the SHA-256 of
// the trimmed, lower-cased e-mail, and of the phone in E.164 with its '+'). Computed at
// ingestion only to derive a MatchTag; never stored (a dictionary would reverse it).
inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;
Sha256Digest Sha256Of(std::string_view normalized_value);
// Parses 64 hex digits (either case) into *out; false otherwise.
bool Sha256FromHex(std::string_view hex, Sha256Digest* out);

// Thread-safe (immutable after construction). Keys are never logged or printed.
class Pseudonymizer {
 public:
  // One generation (no rotation yet).
  explicit Pseudonymizer(const PseudonymKey& key);
  // Generations 0..n, in order. REQUIRES: !keys.empty().
  explicit Pseudonymizer(std::vector<PseudonymKey> keys);
  // Returns a fresh random key from libsodium's CSPRNG.
  static PseudonymKey NewKey();
  // Returns the pseudonym of type + '\0' + normalized_value at the newest generation.
  Pseudonym Hash(std::string_view type, std::string_view normalized_value) const;
  // Returns the generation-0 keyed hash of type + '\0' + value (the root key only).
  Pseudonym RootHash(std::string_view type, std::string_view value) const;
  // Returns the generation-0 pseudonym of the newest-generation pseudonym `p`.
  Pseudonym Root(const Pseudonym& p) const;
  // Returns the partner-match tag of a SHA-256 digest (Sha256Of): BLAKE2b-128 under the
  // generation-0 key of "holo/partner-match\0" + digest, with BLAKE2b personalization
  // "holo.partnertag1" as well, so that no identifier's pseudonym (type '\0' value, default
  // personalization) can ever equal a tag. Under the root key, like the suppression list, so
  // that a key rotation leaves tags unchanged (no raw value is kept to recompute them from).
  // One per e-mail and phone identifier is stored (identity/match_tags.h); a partner's
  // uploaded hash is looked up by its tag.
  Pseudonym MatchTag(const Sha256Digest& digest) const;
  // The newest generation (0 before any rotation).
  size_t generation() const { return keys_.size() - 1; }

  // One rotation step: the keyed permutation and its inverse.
  static Pseudonym Permute(const PseudonymKey& key, const Pseudonym& p);
  static Pseudonym Unpermute(const PseudonymKey& key, const Pseudonym& p);

 private:
  std::vector<PseudonymKey> keys_;
};

}  // namespace holo::privacy
