#include "analytics/event_scan.h"

#include "common/coding.h"
#include "profile/profile_builder.h"

namespace holo::analytics {

using storage::Cf;
namespace keys = storage::keys;

Result<OneIdMap> OneIdMap::Load(const storage::Store& store) {
  OneIdMap map;
  auto it = store.NewCursor(Cf::kGraph);
  for (it->Seek("n"); it->Valid() && it->key().starts_with("n"); it->Next()) {
    const std::string_view value = it->value();
    if (value.size() != 8) continue;
    const uint64_t oneid = coding::DecodeFixed64BE(value.data());
    if (oneid == 0) continue;  // erased
    map.node_oneid_.emplace(keys::ToKey16(it->key().substr(1)), oneid);
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan graph"));
  return map;
}

uint64_t OneIdMap::OneIdOf(const storage::EventRecord& event) const {
  const int idx = profile::AttributionIndex(event);
  if (idx < 0) return 0;
  auto found = node_oneid_.find(event.ids[idx].pseudonym);
  return found == node_oneid_.end() ? 0 : found->second;
}

Status ScanEventsByOneId(const storage::Store& store, const OneIdMap& map, const EventCallback& fn,
                         ScanStats* stats) {
  ScanStats local;
  ScanStats* s = stats != nullptr ? stats : &local;
  auto it = store.NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
    s->events++;
    const uint64_t oneid = map.OneIdOf(ev);
    if (oneid == 0) {
      s->unattributed++;
      continue;
    }
    s->attributed++;
    fn(oneid, ev);
  }
  return it->status().WithContext("scan events");
}

Status ScanEventsByOneId(const storage::Store& store, const EventCallback& fn, ScanStats* stats) {
  HOLO_ASSIGN_OR_RETURN(OneIdMap map, OneIdMap::Load(store));
  return ScanEventsByOneId(store, map, fn, stats);
}

}  // namespace holo::analytics
