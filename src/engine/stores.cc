// EngineImpl, offline stores: the service is the stores module's (stores/store_service.h);
// the engine lends it the identity graph's pseudonyms and the dead-letter file.
#include "engine/engine_impl.h"

#include "identity/graph_store.h"

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
  hooks.oneid_of = [this](const std::array<uint8_t, 16>& pseudonym) -> Result<uint64_t> {
    identity::NodeKey node;
    std::copy(pseudonym.begin(), pseudonym.end(), node.begin());
    return identity::LookupOneId(*store_, node);
  };
  hooks.store_link_allowed = [this](uint64_t oneid) { return StoreLinkShown(oneid, "store_link"); };
  return std::make_unique<stores::Stores>(store_.get(), std::move(hooks));
}

}  // namespace holo::engine
