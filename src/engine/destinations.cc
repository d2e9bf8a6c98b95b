// EngineImpl, activation destinations: the service is the activation module's
// (activation/activation.h); the engine lends it the members a destination may receive.
#include "engine/engine_impl.h"

namespace holo::engine {

std::unique_ptr<activation::Activation> EngineImpl::MakeDestinations() {
  activation::Hooks hooks;
  // The rule of ExportSegment: consent for the destination's use (and store_link for a
  // segment on store visits). Segments read under the audience's own lock.
  hooks.allowed_members = [this](std::string_view segment, std::string_view use) {
    return ExportableMembers(segment, use);
  };
  hooks.now_ms = [this] { return Now(); };
  return std::make_unique<activation::Activation>(store_.get(), options_.data_dir, std::move(hooks));
}

}  // namespace holo::engine
