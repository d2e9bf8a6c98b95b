#include "identity/evidence_batch.h"

#include <algorithm>

#include "identity/resolver.h"

namespace holo::identity {

using storage::Cf;
namespace keys = storage::keys;

void EvidenceBatch::Add(const std::vector<Sighting>& ids, int64_t timestamp_ms, std::string_view source) {
  for (const Sighting& id : ids) {
    auto [it, fresh] = nodes_.try_emplace(id.node);
    storage::StatsRecord& n = it->second;
    if (fresh || timestamp_ms < n.first_ts) {
      n.first_ts = timestamp_ms;
      n.tail = std::string(id.type);
    }
    if (fresh || timestamp_ms > n.last_ts) n.last_ts = timestamp_ms;
    n.count++;
  }
  for (size_t x = 0; x < ids.size(); ++x) {
    for (size_t y = 0; y < ids.size(); ++y) {
      if (x == y) continue;
      const bool link = (ids[x].link_groups & ids[y].link_groups) != 0;
      auto [it, fresh] = edges_.try_emplace({ids[x].node, ids[y].node});
      storage::StatsRecord& e = it->second;
      const uint8_t kind = static_cast<uint8_t>(link ? EdgeKind::kExplicitLink : EdgeKind::kCooccurrence);
      e.kind = std::max(e.kind, kind);
      if (fresh || timestamp_ms < e.first_ts) {
        e.first_ts = timestamp_ms;
        e.tail = std::string(source);
      }
      if (fresh || timestamp_ms > e.last_ts) e.last_ts = timestamp_ms;
      e.count++;
    }
  }
}

void EvidenceBatch::AppendTo(storage::WriteBatch* batch, uint64_t last_seq,
                             std::unordered_set<keys::Key16, keys::Key16Hash>* already_marked) const {
  for (const auto& [key, rec] : nodes_) batch->Merge(Cf::kNodes, keys::AsView(key), rec.Encode());
  for (const auto& [tag, node] : match_tags_) {
    if (!already_marked->contains(node)) batch->Put(Cf::kGraph, keys::MatchTagKey(tag), keys::AsView(node));
  }
  std::string dirty_list;
  for (const auto& [key, rec] : nodes_) {
    if (already_marked->insert(key).second) dirty_list.append(keys::AsView(key));
  }
  if (!dirty_list.empty()) batch->Put(Cf::kMeta, keys::DirtyList(last_seq), dirty_list);
  for (const auto& [pair, rec] : edges_) {
    batch->Merge(Cf::kEdges, keys::EdgeKey(pair.first, pair.second), rec.Encode());
  }
}

std::vector<keys::Key16> EvidenceBatch::nodes() const {
  std::vector<keys::Key16> out;
  out.reserve(nodes_.size());
  for (const auto& [key, rec] : nodes_) out.push_back(key);
  return out;
}

}  // namespace holo::identity
