// Matching over the PII vault (docs/privacy.md, "PII vault"): raw personal values a use needs,
// sealed with the vault key of the store's key generation (privacy/keyring.h). Sealed by
// privacy's part of ingestion and opened by the PrivacyStage (privacy_stage.h); opened here
// for the IdentityStage's vault matching (identity_stage.h), deleted by erasure, re-sealed by
// rekey. The engine takes its change lock around it and resolves after it (EngineImpl::MatchVault).
#include <simdjson.h>
#include <sodium.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>

#include "common/file_util.h"
#include "common/time_util.h"
#include "engine/identity_stage.h"
#include "engine/privacy_stage.h"
#include "holo/match.h"
#include "identity/evidence.h"
#include "identity/graph_store.h"
#include "match/config.h"
#include "match/csv_reader.h"

namespace holo::engine {

using storage::Cf;
namespace keys = storage::keys;

namespace {

// The matcher's configuration for vault records (src/match/README.md). Names, phones and
// streets are compared; postcode and house number, and the phone's last 7 digits, block.
constexpr std::string_view kVaultMatchConfig = R"(id_column = "record_id"

[[fields]]
column = "name"
type = "name"

[[fields]]
column = "phone"
type = "phone"

[[fields]]
column = "street"
type = "address"

[[blocking]]
keys = [{ column = "phone", transform = "suffix7" }]

[[blocking]]
keys = [{ column = "postcode" }, { column = "street", transform = "number" }]
)";

constexpr const char* kVaultColumns[] = {"name", "phone", "street", "city", "postcode"};

// A private directory for the matcher's outputs (record ids only), removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string t = (std::filesystem::temp_directory_path() / "holo-vault-match-XXXXXX").string();
    if (::mkdtemp(t.data()) != nullptr) path_ = t;  // mode 0700
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Status IdentityStage::MatchVault(const PrivacyStage& vault, const std::string& config_path, int64_t now_ms,
                                 Engine::VaultMatchReport* match) {
  *match = Engine::VaultMatchReport();
  // The records, in memory: record_id = <node hex>.<n>.
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"record_id", "name", "phone", "street", "city", "postcode"});
  // The plaintexts are wiped from memory on every way out, and as soon as the matcher is done.
  struct Wipe {
    std::vector<std::vector<std::string>>* rows;
    void operator()() {
      for (auto& row : *rows) {
        for (auto& field : row) sodium_memzero(field.data(), field.size());
      }
    }
    ~Wipe() { (*this)(); }
  } wipe{&rows};
  std::map<std::string, std::string> type_of;  // node hex -> identifier type
  {
    simdjson::dom::parser parser;
    auto it = store_->NewCursor(Cf::kVault);
    std::string last;
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 24) continue;
      const keys::Key16 node = keys::ToKey16(it->key().substr(0, 16));
      const std::string hex = keys::ToHex(node);
      if (hex != last) {
        last = hex;
        n = 0;
        HOLO_ASSIGN_OR_RETURN(type_of[hex], identity::NodeType(*store_, node));
      }
      // An entry that does not open is reported and skipped: one damaged entry must not stop
      // the matching of all the others.
      auto plain = vault.OpenVaultValue(it->value());
      if (!plain.ok()) {
        match->unopened.push_back(hex);
        continue;
      }
      simdjson::dom::element doc;
      if (parser.parse(*plain).get(doc) != simdjson::SUCCESS) {
        sodium_memzero(plain->data(), plain->size());
        match->unopened.push_back(hex);
        continue;
      }
      std::vector<std::string> row{hex + "." + std::to_string(n++)};
      for (const char* column : kVaultColumns) {
        std::string_view v;
        row.emplace_back(doc[column].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string());
      }
      sodium_memzero(plain->data(), plain->size());
      rows.push_back(std::move(row));
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("read the vault"));
  }
  match->records = rows.size() - 1;
  if (rows.size() < 3) return Status::OK();  // nothing to compare

  ScratchDir scratch;
  if (scratch.path().empty()) return Status::IOError("vault match: cannot create a private temporary directory");
  MatchOptions mo;
  mo.rows = &rows;
  mo.out_dir = scratch.path() + "/out";
  if (config_path.empty()) {
    mo.config_path = scratch.path() + "/vault.toml";
    HOLO_RETURN_IF_ERROR(file::WriteSynced(mo.config_path, kVaultMatchConfig, 0600));
  } else {
    mo.config_path = config_path;
  }
  MatchReport mr;
  Status s = RunMatch(mo, &mr);
  wipe();
  HOLO_RETURN_IF_ERROR(s);
  match->candidate_pairs = mr.candidate_pairs;
  match->matched_pairs = mr.matched_pairs;

  HOLO_ASSIGN_OR_RETURN(match::CsvTable pairs, match::ReadCsvFile(mo.out_dir + "/pairs.csv"));
  const int ia = pairs.ColumnIndex("id_a"), ib = pairs.ColumnIndex("id_b"), iw = pairs.ColumnIndex("weight");
  if (ia < 0 || ib < 0 || iw < 0) return Status::Internal("vault match: pairs.csv lacks id_a,id_b,weight");
  std::map<std::pair<std::string, std::string>, float> best;  // node pair -> highest weight
  for (const auto& row : pairs.rows) {
    std::string a = row[ia].substr(0, 32), b = row[ib].substr(0, 32);
    if (a == b) continue;  // two addresses of one identifier
    if (b < a) std::swap(a, b);
    const float w = std::strtof(row[iw].c_str(), nullptr);
    auto [it, fresh] = best.try_emplace({a, b}, w);
    if (!fresh) it->second = std::max(it->second, w);
  }
  std::vector<identity::MatchLink> links;
  for (const auto& [pair, weight] : best) {
    auto pa = privacy::PseudonymFromHex(pair.first), pb = privacy::PseudonymFromHex(pair.second);
    if (!pa.ok() || !pb.ok()) continue;
    identity::MatchLink l;
    l.a = *pa;
    l.b = *pb;
    l.type_a = type_of[pair.first];
    l.type_b = type_of[pair.second];
    l.weight = weight;
    links.push_back(std::move(l));
  }
  HOLO_RETURN_IF_ERROR(identity::AddMatches(store_, links, "vault", now_ms));
  match->edges = links.size();
  return Status::OK();
}

}  // namespace holo::engine
