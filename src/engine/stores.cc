// EngineImpl, offline stores: the service is the stores module's (stores/store_service.h);
// the engine lends it the identity graph's pseudonyms and the dead-letter file.
#include "engine/engine_impl.h"

#include "identity/graph_store.h"
#include "privacy/consent.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {

std::unique_ptr<stores::Stores> EngineImpl::MakeStores() {
  stores::Hooks hooks;
  hooks.pseudonymize = [this](std::string_view type, std::string_view value) {
    const privacy::Pseudonym p = pseudonymizer_.Hash(type, value);
    std::array<uint8_t, 16> out{};
    std::copy_n(p.begin(), std::min(out.size(), p.size()), out.begin());
    return out;
  };
  hooks.dead_letter = [this](const std::vector<stores::Hooks::BadRecord>& bad) {
    std::vector<IngestStage::Rejected> records;
    records.reserve(bad.size());
    for (const auto& b : bad) records.push_back({b.origin, b.line, b.reason, b.text});
    return ingest_.DeadLetter("stores", records);
  };
  hooks.oneid_of = [this](const std::array<uint8_t, 16>& pseudonym) { return PersonOfDevice(pseudonym); };
  hooks.store_link_allowed = [this](uint64_t oneid) { return StoreLinkShown(oneid, "store_link"); };
  // Imported visits reach the profiles of the people whose devices they are.
  hooks.visits_added = [this](const std::vector<std::array<uint8_t, 16>>& devices) -> Status {
    MutexLock lock(&change_mu_);
    storage::WriteBatch marks(*store_);
    for (const auto& device : devices) {
      HOLO_ASSIGN_OR_RETURN(const uint64_t oneid, OneIdOfDevice(device));
      if (oneid != 0) marks.Put(storage::Cf::kMeta, storage::keys::DirtyProfile(oneid), "");
    }
    if (marks.Count() == 0) return Status::OK();
    HOLO_RETURN_IF_ERROR(store_->Write(&marks, /*sync=*/true));
    return RebuildMarkedProfiles();
  };
  return std::make_unique<stores::Stores>(store_.get(), std::move(hooks));
}

Result<uint64_t> EngineImpl::OneIdOfDevice(const std::array<uint8_t, 16>& pseudonym) const {
  identity::NodeKey node;
  std::copy(pseudonym.begin(), pseudonym.end(), node.begin());
  return identity::LookupOneId(*store_, node);
}

Result<uint64_t> EngineImpl::PersonOfDevice(const std::array<uint8_t, 16>& pseudonym) const {
  HOLO_ASSIGN_OR_RETURN(const uint64_t oneid, OneIdOfDevice(pseudonym));
  if (oneid == 0) return uint64_t{0};
  HOLO_ASSIGN_OR_RETURN(const std::vector<identity::NodeKey> members, identity::Members(*store_, oneid));
  for (const identity::NodeKey& m : members) {
    HOLO_ASSIGN_OR_RETURN(const std::string type, identity::NodeType(*store_, m));
    if (type != "mac" && !privacy::IsStoreIdentifierType(type)) return oneid;
  }
  return uint64_t{0};  // only the store sensors know it
}

}  // namespace holo::engine
