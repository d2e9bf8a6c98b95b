#include "identity/match_tags.h"

#include <string>

#include "common/coding.h"

namespace holo::identity {

using storage::Cf;
namespace keys = storage::keys;

Result<std::vector<uint64_t>> OneIdsOfMatchTags(const storage::Store& store, std::span<const keys::Key16> tags) {
  std::vector<std::string> lookup;
  lookup.reserve(tags.size());
  for (const keys::Key16& tag : tags) lookup.push_back(keys::MatchTagKey(tag));
  std::vector<std::string_view> views(lookup.begin(), lookup.end());
  HOLO_ASSIGN_OR_RETURN(const std::vector<std::optional<std::string>> nodes, store.MultiGet(Cf::kGraph, views));
  lookup.clear();
  for (const auto& node : nodes) {
    if (node.has_value() && node->size() == 16) lookup.push_back(keys::NodeOneIdKey(keys::ToKey16(*node)));
  }
  views.assign(lookup.begin(), lookup.end());
  HOLO_ASSIGN_OR_RETURN(const std::vector<std::optional<std::string>> ids, store.MultiGet(Cf::kGraph, views));
  std::vector<uint64_t> out;
  for (const auto& id : ids) {
    if (!id.has_value() || id->size() != 8) continue;
    const uint64_t oneid = coding::DecodeFixed64BE(id->data());
    if (oneid != 0) out.push_back(oneid);  // 0: erased
  }
  return out;
}

Result<uint64_t> EraseMatchTags(const storage::Store& store,
                                const std::unordered_set<NodeKey, keys::Key16Hash>& nodes,
                                storage::WriteBatch* batch) {
  uint64_t erased = 0;
  auto it = store.NewCursor(Cf::kGraph);
  for (it->Seek(keys::kMatchTagPrefix); it->Valid() && it->key().starts_with(keys::kMatchTagPrefix); it->Next()) {
    if (it->value().size() != 16 || nodes.count(keys::ToKey16(it->value())) == 0) continue;
    batch->Delete(Cf::kGraph, it->key());
    ++erased;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan match tags"));
  return erased;
}

Result<bool> HasMatchTags(const storage::Store& store) {
  auto it = store.NewCursor(Cf::kGraph);
  it->Seek(keys::kMatchTagPrefix);
  const bool any = it->Valid() && it->key().starts_with(keys::kMatchTagPrefix);
  HOLO_RETURN_IF_ERROR(it->status().WithContext("read match tags"));
  return any;
}

}  // namespace holo::identity
