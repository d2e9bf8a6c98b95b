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

constexpr std::string_view kMagic = "holo-keyring 1";

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
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read keyring " + path);
  Keyring k;
  std::string line;
  size_t lineno = 0;
  bool magic = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(lineno) + ": ";
    if (!magic) {
      if (line != kMagic) return Status::DataLoss(where + "not a Holo keyring (expected '" + std::string(kMagic) + "')");
      magic = true;
      continue;
    }
    std::istringstream fields(line);
    std::string kind, digits;
    size_t gen = 0;
    if (!(fields >> kind >> gen >> digits)) return Status::DataLoss(where + "expected '<kind> <generation> <hex key>'");
    if (kind == "pseudonym") {
      PseudonymKey key;
      if (gen != k.pseudonym.size() || !hex::Decode(digits, key.data(), key.size())) {
        return Status::DataLoss(where + "pseudonym key " + std::to_string(gen) + " is out of order or not 64 hex digits");
      }
      k.pseudonym.push_back(key);
    } else if (kind == "vault") {
      VaultKey key;
      if (gen != k.vault.size() || !hex::Decode(digits, key.data(), key.size())) {
        return Status::DataLoss(where + "vault key " + std::to_string(gen) + " is out of order or not 64 hex digits");
      }
      k.vault.push_back(key);
    } else {
      return Status::DataLoss(where + "unknown key kind '" + kind + "'");
    }
  }
  if (!magic || k.pseudonym.empty() || k.pseudonym.size() != k.vault.size()) {
    return Status::DataLoss("keyring " + path + " is incomplete (every generation needs a pseudonym and a vault key)");
  }
  return std::optional<Keyring>(std::move(k));
}

Status WriteKeyring(const std::string& path, const Keyring& keyring) {
  std::string text;
  text += "# Holo keyring. Keep it outside the data directory, readable by the service user only.\n";
  text += "# Without it the store's pseudonyms cannot be recomputed and the PII vault cannot be read.\n";
  text += kMagic;
  text += '\n';
  for (size_t g = 0; g < keyring.pseudonym.size(); ++g) {
    text += "pseudonym " + std::to_string(g) + " " + hex::Encode(keyring.pseudonym[g].data(), kKeySize) + "\n";
  }
  for (size_t g = 0; g < keyring.vault.size(); ++g) {
    text += "vault " + std::to_string(g) + " " + hex::Encode(keyring.vault[g].data(), kVaultKeySize) + "\n";
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
