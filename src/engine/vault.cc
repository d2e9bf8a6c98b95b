// The PII vault (docs/privacy.md, "PII vault"): raw personal values a use needs, sealed with
// the vault key of the store's key generation (privacy/keyring.h). Written by ingestion
// (ingest_pipeline.cc), opened here for access requests and matching, deleted by erasure,
// re-sealed by rekey.
#include <rocksdb/db.h>

#include "engine/engine_impl.h"

namespace holo::engine {

using storage::Cf;
namespace keys = storage::keys;
using storage::View;

Result<std::vector<std::pair<privacy::Pseudonym, std::string>>> EngineImpl::VaultEntriesOf(
    const std::vector<privacy::Pseudonym>& nodes) const {
  std::vector<std::pair<privacy::Pseudonym, std::string>> out;
  auto it = store_->NewIterator(Cf::kVault);
  for (const auto& node : nodes) {
    const std::string_view k = keys::AsView(node);
    for (it->Seek(rocksdb::Slice(k.data(), k.size())); it->Valid() && View(it->key()).starts_with(k); it->Next()) {
      auto plain = privacy::VaultOpen(vault_key_, View(it->value()));
      if (!plain.ok()) return Status::DataLoss("vault entry of " + privacy::PseudonymToHex(node) + ": " + plain.status().message());
      out.emplace_back(node, std::move(plain).value());
    }
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "read the vault"));
  return out;
}

}  // namespace holo::engine
