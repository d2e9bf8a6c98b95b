#include "profile/attribution_batch.h"

#include <algorithm>

#include "profile/profile_builder.h"
#include "storage/keys.h"

namespace holo::profile {

using storage::Cf;
namespace keys = storage::keys;

int AttributionBatch::Add(const storage::EventRecord& event, uint64_t seq) {
  const int owner = AttributionIndex(event);
  if (owner < 0) return owner;
  node_events_.push_back(keys::NodeEventKey(event.ids[owner].pseudonym, seq));
  return owner;
}

void AttributionBatch::AppendTo(storage::WriteBatch* batch) {
  std::sort(node_events_.begin(), node_events_.end());
  for (const std::string& key : node_events_) batch->Put(Cf::kNodeEvents, key, "");
}

}  // namespace holo::profile
