// Keyring: the secret keys of one store, kept in a file outside its data directory
// (docs/privacy.md, "Keys"), and the PII vault's sealing (libsodium secretbox).
//
// File format (text, mode 0600, replaced atomically):
//   holo-keyring 2
//   pseudonym <generation> <64 hex digits> <check: 16 hex digits>
//   vault <generation> <64 hex digits> <check>
// The check is the first 8 bytes of BLAKE2b keyed with the key of
// "holo keyring check <kind> <generation>"; ReadKeyring refuses a key that does not match it
// (a flipped digit, a cut line), naming the file, line, kind and generation. Version-1 files
// (written before check values) have no checks and are read as they are (`unchecked`);
// WriteKeyring always writes version 2, and the engine rewrites an unchecked keyring when it
// opens the store read-write.
// Generation g holds one pseudonymization key and one vault key. A store records the
// generation it is keyed with; rotation (holo rekey) appends generation g+1 and re-keys the
// store to it. Every earlier pseudonymization key stays: pseudonyms are computed through
// the whole chain (privacy/pseudonymizer.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "privacy/pseudonymizer.h"

namespace holo::privacy {

inline constexpr size_t kVaultKeySize = 32;  // crypto_secretbox_KEYBYTES
using VaultKey = std::array<uint8_t, kVaultKeySize>;

struct Keyring {
  std::vector<PseudonymKey> pseudonym;  // index = generation
  std::vector<VaultKey> vault;          // index = generation
  bool unchecked = false;               // read from a file with lines lacking check values

  size_t generations() const { return pseudonym.size(); }
  // Appends a generation of fresh random keys; returns its number.
  size_t AddGeneration();
  // The pseudonymization keys of generations 0..generation.
  std::vector<PseudonymKey> PseudonymChain(size_t generation) const;
};

// Where a data directory's keyring lives unless told: beside it, "<data_dir>.keyring"
// (outside the directory, so a copy of the data directory alone carries no key).
std::string DefaultKeyringPath(std::string_view data_dir);

// Reads a keyring; std::nullopt when the file does not exist. kFailedPrecondition when
// other users may read it (mode & 077); kDataLoss when it is malformed or a key fails its
// check value (the message names the file, line, key kind and generation).
Result<std::optional<Keyring>> ReadKeyring(const std::string& path);
// Writes `keyring` to `path` (mode 0600) through a synced temporary file and a rename.
Status WriteKeyring(const std::string& path, const Keyring& keyring);

// Vault sealing: a random 24-byte nonce followed by XSalsa20-Poly1305 ciphertext and tag.
std::string VaultSeal(const VaultKey& key, std::string_view plaintext);
// The tag of a vault entry: the first 8 bytes of BLAKE2b keyed with `key` of `plaintext`
// (equal plaintexts share a tag, so an address given with every order is kept once).
std::array<uint8_t, 8> VaultTag(const VaultKey& key, std::string_view plaintext);
// kDataLoss when `sealed` is too short or fails authentication (wrong key or tampering).
Result<std::string> VaultOpen(const VaultKey& key, std::string_view sealed);

}  // namespace holo::privacy
