// The engine's side of recommendations and look-alikes (holo/recommend.h): the hooks through
// which recommend::Service reads the store — events with their OneIDs, a person's newest
// events, consent, segment members, profiles — and saves look-alike segments.
#include <sstream>

#include <fmt/format.h>

#include "analytics/event_scan.h"
#include "engine/engine_impl.h"

namespace holo::engine {

std::unique_ptr<recommend::Service> EngineImpl::MakeRecommend() {
  recommend::ServiceHooks hooks;
  hooks.scan_events = [this](const recommend::ServiceHooks::EventFn& fn) {
    const int64_t now = Now();
    return analytics::ScanEventsByOneId(*store_, [&](uint64_t oneid, const storage::EventRecord& ev) {
      // Past its retention window: gone at the next compaction, never learned from meanwhile.
      if (!store_->retention().Expired(ev.source, ev.timestamp_ms, now)) {
        fn(oneid, ev.timestamp_ms, ev.source, ev.event, ev.properties_json);
      }
    });
  };
  hooks.recent_events = [this](uint64_t oneid, size_t most, const recommend::ServiceHooks::EventFn& fn) {
    return RecentEvents(oneid, most, fn);
  };
  hooks.now_ms = [this] { return Now(); };
  hooks.allowed = [this](uint64_t oneid) { return ConsentAllows(oneid, "recommendation"); };
  hooks.members = [this](std::string_view seed) -> Result<std::vector<uint32_t>> {
    HOLO_ASSIGN_OR_RETURN(Roaring group, GroupOf(seed, /*unknown_trait_is_error=*/true));
    std::vector<uint32_t> out(group.cardinality());
    group.toUint32Array(out.data());
    return out;
  };
  hooks.scan_profiles = [this](const std::function<void(uint64_t, std::string_view)>& fn) {
    return ForEachProfile(fn);
  };
  // A look-alike audience is a fixed list of OneIDs; its segment reads the list as a trait
  // (Audiences::SaveList), so exports, overlaps and group reports treat it as any segment.
  hooks.save_segment = [this](std::string_view name, const std::vector<uint32_t>& members) -> Status {
    const std::string expression = fmt::format("{} contains \"{}\"", Audiences::kListTrait, name);
    auto existing = audiences_.GetSegment(name);
    if (existing.ok() && existing->first.definition != expression) {
      return Status::AlreadyExists(fmt::format("lookalike: a segment '{}' exists and is not a look-alike: choose another name", name));
    }
    Roaring list;
    list.addMany(members.size(), members.data());
    {
      MutexLock changing(&change_mu_);
      HOLO_RETURN_IF_ERROR(audiences_.SaveList(name, list));
    }
    return DefineSegment(name, expression).status();
  };
  return std::make_unique<recommend::Service>(options_.data_dir + "/recommend", std::move(hooks));
}

}  // namespace holo::engine
