#include "common/coding.h"
#include "identity/evidence.h"

#include <algorithm>
#include <set>

#include "identity/graph_loader.h"
#include "identity/graph_store.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;

Result<bool> NodeExists(const storage::Store& store, const NodeKey& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kNodes, keys::AsView(node)));
  return v.has_value();
}

// Every key of `cf` starting with `prefix`.
Result<std::vector<std::string>> KeysWithPrefix(const storage::Store& store, Cf cf, std::string_view prefix) {
  std::vector<std::string> out;
  auto it = store.NewCursor(cf);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    out.emplace_back(it->key());
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan"));
  return out;
}

void MarkDirty(storage::WriteBatch* batch, const NodeKey& node) {
  batch->Put(Cf::kMeta, keys::DirtyNode(node), "");
}

}  // namespace

Status EraseNode(storage::Store* store, const NodeKey& node, bool sync) {
  HOLO_ASSIGN_OR_RETURN(bool exists, NodeExists(*store, node));
  if (!exists) return Status::NotFound("identifier is not in the graph");
  storage::WriteBatch batch(*store);
  const std::string_view self = keys::AsView(node);
  HOLO_ASSIGN_OR_RETURN(auto edge_keys, KeysWithPrefix(*store, Cf::kEdges, self));
  std::set<NodeKey> neighbours;
  for (const std::string& k : edge_keys) {
    if (k.size() < 32) continue;
    NodeKey other = keys::ToKey16(std::string_view(k).substr(16, 16));
    neighbours.insert(other);
    std::string reverse = keys::EdgeKey(other, node) + k.substr(32);
    batch.Delete(Cf::kEdges, k);
    batch.Delete(Cf::kEdges, reverse);
  }
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, LookupOneId(*store, node));
  if (oneid != 0) {
    batch.Delete(Cf::kGraph, keys::MemberKey(oneid, node));
    batch.Put(Cf::kMeta, keys::DirtyProfile(oneid), "");
    // The rest of its OneID is re-resolved (it may fall apart without this node).
    HOLO_ASSIGN_OR_RETURN(auto members, Members(*store, oneid));
    for (const NodeKey& m : members) {
      if (m != node) neighbours.insert(m);
    }
  }
  batch.Delete(Cf::kGraph, keys::NodeOneIdKey(node));
  HOLO_ASSIGN_OR_RETURN(auto history, KeysWithPrefix(*store, Cf::kGraph, keys::HistoryPrefix(node)));
  for (const std::string& k : history) batch.Delete(Cf::kGraph, k);
  HOLO_ASSIGN_OR_RETURN(auto indexed, KeysWithPrefix(*store, Cf::kNodeEvents, self));
  for (const std::string& k : indexed) batch.Delete(Cf::kNodeEvents, k);
  batch.Delete(Cf::kNodes, self);
  batch.Delete(Cf::kMeta, keys::DirtyNode(node));
  for (const NodeKey& n : neighbours) {
    if (n != node) MarkDirty(&batch, n);
  }
  return store->Write(&batch, sync);
}

Status WithdrawPair(storage::Store* store, const NodeKey& a, const NodeKey& b, std::string_view reason,
                    int64_t now_ms) {
  if (a == b) return Status::InvalidArgument("cannot withdraw a link between an identifier and itself");
  for (const NodeKey* n : {&a, &b}) {
    HOLO_ASSIGN_OR_RETURN(bool exists, NodeExists(*store, *n));
    if (!exists) return Status::NotFound("identifier is not in the graph");
  }
  storage::StatsRecord rec;
  rec.first_ts = rec.last_ts = now_ms;
  rec.count = 1;
  rec.tail.assign(reason);
  std::string value = rec.Encode();
  storage::WriteBatch batch(*store);
  batch.Put(Cf::kEdges, keys::EdgeVariantKey(a, b, keys::kWithdrawnVariant), value);
  batch.Put(Cf::kEdges, keys::EdgeVariantKey(b, a, keys::kWithdrawnVariant), value);
  MarkDirty(&batch, a);
  MarkDirty(&batch, b);
  return store->Write(&batch, /*sync=*/true);
}

Status RemoveEvent(storage::Store* store, std::string_view source, std::string_view message_id,
                   RemovedEvent* removed, bool sync) {
  *removed = RemovedEvent();
  const std::string dedupe_key = keys::DedupeKey(source, message_id);
  HOLO_ASSIGN_OR_RETURN(auto seq_key, store->Get(Cf::kDedupe, dedupe_key));
  if (!seq_key.has_value() || seq_key->size() != 8) {
    return Status::NotFound("no stored event with source '" + std::string(source) + "' and messageId '" +
                            std::string(message_id) + "'");
  }
  HOLO_ASSIGN_OR_RETURN(auto raw, store->Get(Cf::kEvents, *seq_key));
  storage::EventRecord event;
  if (!raw.has_value() || !event.DecodeFrom(*raw)) return Status::DataLoss("event record missing or corrupt");
  const uint64_t seq = coding::DecodeFixed64BE(seq_key->data());

  std::vector<NodeKey> graph_ids;
  for (const storage::EventId& id : event.ids) {
    if (!id.placeholder()) graph_ids.push_back(id.pseudonym);
  }
  std::sort(graph_ids.begin(), graph_ids.end());
  graph_ids.erase(std::unique(graph_ids.begin(), graph_ids.end()), graph_ids.end());

  storage::WriteBatch batch(*store);
  // Edge counts: one message less for every ordered pair of the event's identifiers.
  for (const NodeKey& x : graph_ids) {
    for (const NodeKey& y : graph_ids) {
      if (x == y) continue;
      std::string k = keys::EdgeKey(x, y);
      HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kEdges, k));
      storage::StatsRecord rec;
      if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) continue;
      if (rec.count <= 1) {
        batch.Delete(Cf::kEdges, k);
        removed->edges_removed += x < y;
      } else {
        rec.count--;
        batch.Put(Cf::kEdges, k, rec.Encode());
        removed->edges_decremented += x < y;
      }
    }
  }
  // Node counts; a node no other message mentions goes away entirely.
  std::vector<NodeKey> orphans;
  for (const NodeKey& x : graph_ids) {
    HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kNodes, keys::AsView(x)));
    storage::StatsRecord rec;
    if (!v.has_value() || !storage::StatsRecord::Decode(*v, &rec)) continue;
    if (rec.count <= 1) {
      orphans.push_back(x);
    } else {
      rec.count--;
      batch.Put(Cf::kNodes, keys::AsView(x), rec.Encode());
    }
    MarkDirty(&batch, x);
  }
  for (const storage::EventId& id : event.ids) {
    batch.Delete(Cf::kNodeEvents, keys::NodeEventKey(id.pseudonym, seq));
  }
  batch.Delete(Cf::kEvents, *seq_key);
  batch.Delete(Cf::kDedupe, dedupe_key);
  // One event fewer in the store's count (removals run one at a time).
  HOLO_ASSIGN_OR_RETURN(auto removed_count, store->Get(Cf::kMeta, keys::kEventsRemoved));
  std::string count;
  coding::PutFixed64BE(&count, (removed_count.has_value() && removed_count->size() == 8
                                    ? coding::DecodeFixed64BE(removed_count->data())
                                    : 0) + 1);
  batch.Put(Cf::kMeta, keys::kEventsRemoved, count);
  HOLO_RETURN_IF_ERROR(store->Write(&batch, sync));
  for (const NodeKey& x : orphans) {
    HOLO_RETURN_IF_ERROR(EraseNode(store, x, sync));
    removed->nodes_removed++;
  }
  return Status::OK();
}

Status AddMatches(storage::Store* store, const std::vector<MatchLink>& links, std::string_view source,
                  int64_t now_ms) {
  storage::WriteBatch batch(*store);
  std::set<NodeKey> seen_nodes;
  for (const MatchLink& l : links) {
    if (l.a == l.b) continue;
    for (const auto& [node, type] : {std::pair{&l.a, &l.type_a}, std::pair{&l.b, &l.type_b}}) {
      if (!seen_nodes.insert(*node).second) continue;
      HOLO_ASSIGN_OR_RETURN(bool exists, NodeExists(*store, *node));
      if (!exists) {
        storage::StatsRecord rec;
        rec.first_ts = rec.last_ts = now_ms;
        rec.count = 0;
        rec.tail = *type;
        batch.Merge(Cf::kNodes, keys::AsView(*node), rec.Encode());
      }
      MarkDirty(&batch, *node);
    }
    storage::StatsRecord rec;
    rec.kind = static_cast<uint8_t>(EdgeKind::kMatch);
    rec.first_ts = rec.last_ts = now_ms;
    rec.count = 1;
    rec.tail = EncodeMatchTail(l.weight, source);
    std::string value = rec.Encode();
    batch.Put(Cf::kEdges, keys::EdgeVariantKey(l.a, l.b, keys::kMatchVariant), value);
    batch.Put(Cf::kEdges, keys::EdgeVariantKey(l.b, l.a, keys::kMatchVariant), value);
  }
  return store->Write(&batch, /*sync=*/true);
}

Result<uint64_t> MarkMatchThresholdChange(storage::Store* store, double old_weight, double new_weight) {
  uint64_t changed = 0;
  storage::WriteBatch batch(*store);
  auto it = store->NewCursor(Cf::kEdges);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key();
    if (k.size() != 33 || k[32] != keys::kMatchVariant || k.substr(0, 16) >= k.substr(16, 16)) continue;
    storage::StatsRecord rec;
    if (!storage::StatsRecord::Decode(it->value(), &rec)) return Status::DataLoss("corrupt match edge");
    float w = 0;
    std::string src;
    DecodeMatchTail(rec.tail, &w, &src);
    if ((w >= old_weight) == (w >= new_weight)) continue;
    changed++;
    MarkDirty(&batch, keys::ToKey16(k.substr(0, 16)));
    MarkDirty(&batch, keys::ToKey16(k.substr(16, 16)));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan match edges"));
  HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
  return changed;
}

}  // namespace holo::identity
