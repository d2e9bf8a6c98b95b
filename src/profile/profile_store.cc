#include "profile/profile_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "profile/people_graph.h"
#include "profile/profile_builder.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using storage::View;
using Key16 = keys::Key16;


Result<int64_t> MaxTimestamp(const storage::Store& store) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, keys::kMaxTimestamp));
  if (!v.has_value() || v->size() != 8) return int64_t{0};
  return static_cast<int64_t>(coding::DecodeFixed64BE(v->data()));
}

uint64_t DecodeOneId(std::string_view v) { return v.size() == 8 ? coding::DecodeFixed64BE(v.data()) : 0; }

class Writer {
 public:
  explicit Writer(storage::Store* store) : store_(store) {}
  Status Put(uint64_t oneid, const std::string& json, const LinkSet& links) {
    batch_.Put(store_->cf(Cf::kProfiles), keys::ProfileKey(oneid), json);
    return UpdateLinks(*store_, oneid, links, &batch_);
  }
  Status Delete(uint64_t oneid) {
    batch_.Delete(store_->cf(Cf::kProfiles), keys::ProfileKey(oneid));
    return UpdateLinks(*store_, oneid, LinkSet(), &batch_);
  }
  void Clear(uint64_t oneid) { batch_.Delete(store_->cf(Cf::kMeta), keys::DirtyProfile(oneid)); }
  Status MaybeFlush(bool sync = false) {
    if (!sync && batch_.Count() < 10000) return Status::OK();
    HOLO_RETURN_IF_ERROR(store_->Write(&batch_, sync));
    batch_.Clear();
    return Status::OK();
  }

 private:
  storage::Store* store_;
  rocksdb::WriteBatch batch_;
};

// One pass over every event; used on a first load or when most OneIDs changed.
Status BuildFull(storage::Store* store, const std::unordered_set<uint64_t>& dirty, int64_t as_of,
                 const BuildOptions& options, BuildStats* stats) {
  std::unordered_map<Key16, uint64_t, keys::Key16Hash> node_oneid;
  std::unordered_map<uint64_t, std::vector<ProfileAccumulator::Identifier>> members;
  std::unordered_map<Key16, std::string, keys::Key16Hash> node_type;
  {
    auto it = store->NewIterator(Cf::kNodes);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::StatsRecord rec;
      if (storage::StatsRecord::Decode(View(it->value()), &rec)) {
        node_type.emplace(keys::ToKey16(View(it->key())), std::move(rec.tail));
      }
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan nodes"));
  }
  {
    auto it = store->NewIterator(Cf::kGraph);
    for (it->Seek("n"); it->Valid() && it->key().starts_with("n"); it->Next()) {
      Key16 k = keys::ToKey16(View(it->key()).substr(1));
      uint64_t id = DecodeOneId(View(it->value()));
      node_oneid.emplace(k, id);
      if (dirty.count(id)) members[id].push_back({node_type[k], keys::ToHex(k)});
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan graph"));
  }
  std::unordered_map<Key16, std::string, keys::Key16Hash>().swap(node_type);
  std::unordered_map<uint64_t, ProfileAccumulator> acc;
  std::unordered_map<uint64_t, LinkAccumulator> links;
  auto it = store->NewIterator(Cf::kEvents);
  storage::EventRecord ev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ev.DecodeFrom(View(it->value()))) return Status::DataLoss("corrupt event record");
    stats->events_scanned++;
    int idx = AttributionIndex(ev);
    if (idx < 0) continue;
    auto found = node_oneid.find(ev.ids[idx].pseudonym);
    if (found == node_oneid.end() || !dirty.count(found->second)) continue;
    acc.try_emplace(found->second, options.computed).first->second.Add(ev, as_of);
    links[found->second].Add(ev);
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan events"));
  Writer w(store);
  for (uint64_t id : dirty) {
    auto m = members.find(id);
    if (m == members.end()) {
      HOLO_RETURN_IF_ERROR(w.Delete(id));
      stats->deleted++;
    } else {
      HOLO_RETURN_IF_ERROR(w.Put(id, acc.try_emplace(id, options.computed).first->second.ToJson(id, m->second, as_of),
                                 links[id].links()));
      stats->written++;
    }
    stats->changed.push_back(id);
    w.Clear(id);
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  return w.MaybeFlush(/*sync=*/true);
}

// Per-OneID reads through the node_events index (events by the identifier they are
// attributed to); used for small changes.
Status BuildIncremental(storage::Store* store, const std::unordered_set<uint64_t>& dirty,
                        int64_t as_of, const BuildOptions& options, BuildStats* stats) {
  Writer w(store);
  for (uint64_t id : dirty) {
    std::vector<ProfileAccumulator::Identifier> ids;
    std::vector<Key16> nodes;
    std::string prefix = keys::MemberPrefix(id);
    auto git = store->NewIterator(Cf::kGraph);
    for (git->Seek(prefix); git->Valid() && View(git->key()).starts_with(prefix); git->Next()) {
      nodes.push_back(keys::ToKey16(View(git->key()).substr(prefix.size())));
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(git->status(), "scan members"));
    stats->changed.push_back(id);
    if (nodes.empty()) {
      HOLO_RETURN_IF_ERROR(w.Delete(id));
      w.Clear(id);
      stats->deleted++;
      HOLO_RETURN_IF_ERROR(w.MaybeFlush());
      continue;
    }
    std::vector<uint64_t> seqs;
    for (const Key16& k : nodes) {
      HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kNodes, keys::AsView(k)));
      storage::StatsRecord rec;
      if (v.has_value() && storage::StatsRecord::Decode(*v, &rec)) ids.push_back({rec.tail, keys::ToHex(k)});
      auto eit = store->NewIterator(Cf::kNodeEvents);
      std::string_view p = keys::AsView(k);
      for (eit->Seek(rocksdb::Slice(p.data(), p.size()));
           eit->Valid() && View(eit->key()).starts_with(p); eit->Next()) {
        seqs.push_back(coding::DecodeFixed64BE(eit->key().data() + 16));
      }
      HOLO_RETURN_IF_ERROR(storage::FromRocks(eit->status(), "scan node events"));
    }
    std::sort(seqs.begin(), seqs.end());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    ProfileAccumulator acc(options.computed);
    LinkAccumulator links;
    storage::EventRecord ev;
    for (uint64_t seq : seqs) {
      HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kEvents, keys::EventKey(seq)));
      if (!v.has_value()) continue;
      if (!ev.DecodeFrom(*v)) return Status::DataLoss("corrupt event record");
      stats->events_scanned++;
      acc.Add(ev, as_of);
      links.Add(ev);
    }
    HOLO_RETURN_IF_ERROR(w.Put(id, acc.ToJson(id, ids, as_of), links.links()));
    w.Clear(id);
    stats->written++;
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  return w.MaybeFlush(/*sync=*/true);
}

}  // namespace

Status BuildPendingProfiles(storage::Store* store, const BuildOptions& options, BuildStats* stats) {
  auto start = std::chrono::steady_clock::now();
  *stats = BuildStats();
  std::unordered_set<uint64_t> dirty;
  {
    auto it = store->NewIterator(Cf::kMeta);
    const std::string_view prefix = keys::kDirtyProfilePrefix;
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
      dirty.insert(DecodeOneId(View(it->key()).substr(prefix.size())));
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan dirty profiles"));
  }
  stats->dirty = dirty.size();
  if (dirty.empty()) return Status::OK();
  HOLO_ASSIGN_OR_RETURN(stats->as_of_ms, MaxTimestamp(*store));
  uint64_t profiles = store->EstimateKeys(Cf::kProfiles);
  stats->full = options.force_full || static_cast<double>(dirty.size()) > options.full_threshold * profiles;
  if (options.log) {
    options.log("profiles: rebuilding " + std::to_string(dirty.size()) + " profiles" +
                (stats->full ? " with one scan of all events" : " from their events"));
  }
  Status s = stats->full ? BuildFull(store, dirty, stats->as_of_ms, options, stats)
                         : BuildIncremental(store, dirty, stats->as_of_ms, options, stats);
  std::sort(stats->changed.begin(), stats->changed.end());
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid) {
  return store.Get(Cf::kProfiles, keys::ProfileKey(oneid));
}

}  // namespace holo::profile
