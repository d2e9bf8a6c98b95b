// Pseudonymizer: keyed BLAKE2b (libsodium crypto_generichash) of identifiers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

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

// Thread-safe (immutable after construction). The key is never logged or printed.
class Pseudonymizer {
 public:
  explicit Pseudonymizer(const PseudonymKey& key);
  // Returns a fresh random key from libsodium's CSPRNG.
  static PseudonymKey NewKey();
  // Returns the keyed hash of type + '\0' + normalized_value.
  Pseudonym Hash(std::string_view type, std::string_view normalized_value) const;

 private:
  PseudonymKey key_;
};

}  // namespace holo::privacy
