#include "privacy/keyring.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/file_util.h"
#include "common/hex.h"

namespace holo::privacy {
namespace {

// Version 1 files carry bare keys; version 2 (written since) a check value after each key,
// mandatory there, so a line cut before its check is refused rather than read as version 1.
constexpr std::string_view kMagicV1 = "holo-keyring 1";
constexpr std::string_view kMagicV2 = "holo-keyring 2";

// The check value of a key: the first 8 bytes of BLAKE2b keyed with the key, of a fixed
// string naming its kind and generation (so a key moved to another line fails too).
std::string KeyCheckHex(std::string_view kind, size_t generation, const uint8_t* key, size_t size) {
  const std::string label = "holo keyring check " + std::string(kind) + " " + std::to_string(generation);
  unsigned char h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof(h), reinterpret_cast<const unsigned char*>(label.data()), label.size(), key, size);
  return hex::Encode(h, 8);
}

}  // namespace

size_t Keyring::AddGeneration() {
  if (sodium_init() < 0) std::abort();
  pseudonym.push_back(Pseudonymizer::NewKey());
  VaultKey v;
  crypto_secretbox_keygen(v.data());
  vault.push_back(v);
  return pseudonym.size() - 1;
}

std::vector<PseudonymKey> Keyring::PseudonymChain(size_t generation) const {
  return std::vector<PseudonymKey>(pseudonym.begin(), pseudonym.begin() + static_cast<long>(generation + 1));
}

std::string DefaultKeyringPath(std::string_view data_dir) {
  std::string dir(data_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".keyring";
}

Result<std::optional<Keyring>> ReadKeyring(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<Keyring>();
    return Status::IOError("cannot stat keyring " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("keyring " + path + " may be read by other users (mode " + mode +
                                      "); run: chmod 600 " + path);
  }
  if (sodium_init() < 0) std::abort();
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read keyring " + path);
  Keyring k;
  std::string line;
  size_t lineno = 0;
  int version = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    const std::string where = "keyring " + path + ":" + std::to_string(lineno) + ": ";
    if (version == 0) {
      if (line == kMagicV1) {
        version = 1;
      } else if (line == kMagicV2) {
        version = 2;
      } else {
        return Status::DataLoss(where + "not a Holo keyring (expected '" + std::string(kMagicV2) + "')");
      }
      continue;
    }
    std::istringstream fields(line);
    std::string kind, digits, check, extra;
    size_t gen = 0;
    if (!(fields >> kind >> gen >> digits)) {
      return Status::DataLoss(where + "expected '<kind> <generation> <hex key> <check>' (damaged or truncated line)");
    }
    fields >> check >> extra;
    if (kind != "pseudonym" && kind != "vault") return Status::DataLoss(where + "unknown key kind '" + kind + "'");
    const std::string which = kind + " key of generation " + std::to_string(gen);
    uint8_t key[kKeySize > kVaultKeySize ? kKeySize : kVaultKeySize];
    const size_t size = kind == "pseudonym" ? kKeySize : kVaultKeySize;
    const size_t expected_gen = kind == "pseudonym" ? k.pseudonym.size() : k.vault.size();
    if (gen != expected_gen) {
      return Status::DataLoss(where + which + " is out of order (expected generation " + std::to_string(expected_gen) + ")");
    }
    if (!hex::Decode(digits, key, size)) {
      return Status::DataLoss(where + which + " is damaged: not " + std::to_string(2 * size) + " hex digits");
    }
    if (!extra.empty()) return Status::DataLoss(where + which + ": unexpected text after the check value");
    if (version >= 2 && check.empty()) {
      return Status::DataLoss(where + which + " has no check value (damaged or truncated line)");
    }
    // A version-1 line may carry no check; it gets one at the next WriteKeyring.
    if (!check.empty() && check != KeyCheckHex(kind, gen, key, size)) {
      sodium_memzero(key, sizeof(key));
      return Status::DataLoss(where + which + " fails its check value (the key or its check is damaged)");
    }
    if (kind == "pseudonym") {
      PseudonymKey p;
      std::copy(key, key + kKeySize, p.begin());
      k.pseudonym.push_back(p);
    } else {
      VaultKey v;
      std::copy(key, key + kVaultKeySize, v.begin());
      k.vault.push_back(v);
    }
    sodium_memzero(key, sizeof(key));
    if (check.empty()) k.unchecked = true;
  }
  if (version == 0 || k.pseudonym.empty() || k.pseudonym.size() != k.vault.size()) {
    return Status::DataLoss("keyring " + path + " is incomplete (every generation needs a pseudonym and a vault key)");
  }
  return std::optional<Keyring>(std::move(k));
}

Status WriteKeyring(const std::string& path, const Keyring& keyring) {
  std::string text;
  text += "# Holo keyring. Keep it outside the data directory, readable by the service user only.\n";
  text += "# Without it the store's pseudonyms cannot be recomputed and the PII vault cannot be read.\n";
  text += "# Each line: <kind> <generation> <key> <check>, the check a keyed BLAKE2b of the key.\n";
  text += kMagicV2;
  text += '\n';
  if (sodium_init() < 0) std::abort();
  for (size_t g = 0; g < keyring.pseudonym.size(); ++g) {
    text += "pseudonym " + std::to_string(g) + " " + hex::Encode(keyring.pseudonym[g].data(), kKeySize) + " " +
            KeyCheckHex("pseudonym", g, keyring.pseudonym[g].data(), kKeySize) + "\n";
  }
  for (size_t g = 0; g < keyring.vault.size(); ++g) {
    text += "vault " + std::to_string(g) + " " + hex::Encode(keyring.vault[g].data(), kVaultKeySize) + " " +
            KeyCheckHex("vault", g, keyring.vault[g].data(), kVaultKeySize) + "\n";
  }
  const std::string tmp = path + ".tmp";
  Status written = file::WriteSynced(tmp, text, 0600);
  sodium_memzero(text.data(), text.size());
  HOLO_RETURN_IF_ERROR(written);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

std::string VaultSeal(const VaultKey& key, std::string_view plaintext) {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(p, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), p, key.data());
  return out;
}

std::array<uint8_t, 8> VaultTag(const VaultKey& key, std::string_view plaintext) {
  unsigned char h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof(h), reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                     key.data(), key.size());
  std::array<uint8_t, 8> tag;
  std::memcpy(tag.data(), h, tag.size());
  return tag;
}

Result<std::string> VaultOpen(const VaultKey& key, std::string_view sealed) {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status::DataLoss("vault entry is too short (" + std::to_string(sealed.size()) + " bytes)");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), p + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, p, key.data()) != 0) {
    return Status::DataLoss("vault entry fails authentication (wrong vault key, or the entry was altered)");
  }
  return out;
}

}  // namespace holo::privacy
