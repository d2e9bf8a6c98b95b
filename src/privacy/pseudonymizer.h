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
  // The newest generation (0 before any rotation).
  size_t generation() const { return keys_.size() - 1; }

  // One rotation step: the keyed permutation and its inverse.
  static Pseudonym Permute(const PseudonymKey& key, const Pseudonym& p);
  static Pseudonym Unpermute(const PseudonymKey& key, const Pseudonym& p);

 private:
  std::vector<PseudonymKey> keys_;
};

}  // namespace holo::privacy
