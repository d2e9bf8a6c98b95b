#include "profile/profile_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "profile/computed_trait.h"
#include "common/json_writer.h"
#include "common/time_util.h"
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



uint64_t DecodeOneId(std::string_view v) { return v.size() == 8 ? coding::DecodeFixed64BE(v.data()) : 0; }

// A value no earlier profile write used (keys::kProfilesEpoch).
std::string NewEpoch() {
  static std::atomic<uint64_t> counter{std::random_device{}() * 0x9E3779B97F4A7C15ull};
  uint64_t v = counter.fetch_add(1) ^ static_cast<uint64_t>(
                                          std::chrono::system_clock::now().time_since_epoch().count());
  std::string out;
  coding::PutFixed64BE(&out, v);
  return out;
}

class Writer {
 public:
  explicit Writer(storage::Store* store) : store_(store) {}
  Status Put(uint64_t oneid, const std::string& json, const LinkSet& links) {
    MarkEpoch();
    batch_.Put(store_->cf(Cf::kProfiles), keys::ProfileKey(oneid), json);
    return UpdateLinks(*store_, oneid, links, &batch_);
  }
  // A profile whose household links are unchanged.
  Status PutJson(uint64_t oneid, const std::string& json) {
    MarkEpoch();
    batch_.Put(store_->cf(Cf::kProfiles), keys::ProfileKey(oneid), json);
    return Status::OK();
  }
  Status Delete(uint64_t oneid) {
    MarkEpoch();
    batch_.Delete(store_->cf(Cf::kProfiles), keys::ProfileKey(oneid));
    return UpdateLinks(*store_, oneid, LinkSet(), &batch_);
  }
  void Clear(uint64_t oneid) { batch_.Delete(store_->cf(Cf::kMeta), keys::DirtyProfile(oneid)); }
  Status MaybeFlush(bool sync = false) {
    if (!sync && batch_.Count() < 10000) return Status::OK();
    HOLO_RETURN_IF_ERROR(store_->Write(&batch_, sync));
    batch_.Clear();
    epoch_marked_ = false;
    return Status::OK();
  }

 private:
  // Every batch that changes a profile also changes the profiles' epoch (once per batch).
  void MarkEpoch() {
    if (epoch_marked_) return;
    batch_.Put(store_->cf(Cf::kMeta), keys::kProfilesEpoch, NewEpoch());
    epoch_marked_ = true;
  }
  storage::Store* store_;
  rocksdb::WriteBatch batch_;
  bool epoch_marked_ = false;
};

// The profile JSON of `acc`, its consent traits from options.consent when given.
std::string Render(ProfileAccumulator* acc, uint64_t oneid, const std::vector<ProfileAccumulator::Identifier>& members,
                   int64_t as_of, const BuildOptions& options) {
  if (options.consent) {
    for (std::string_view purpose : ProfileAccumulator::ConsentPurposes()) {
      acc->SetConsent(purpose, options.consent(oneid, purpose));
    }
  }
  return acc->ToJson(oneid, members, as_of);
}

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
    for (it->Seek(keys::kGraphNodePrefix); it->Valid() && View(it->key()).starts_with(keys::kGraphNodePrefix); it->Next()) {
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
    acc.try_emplace(found->second, options.computed.get()).first->second.Add(ev, as_of);
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
      HOLO_RETURN_IF_ERROR(w.Put(id, Render(&acc.try_emplace(id, options.computed.get()).first->second, id, m->second,
                                            as_of, options),
                                 links[id].links()));
      stats->written++;
    }
    stats->changed.push_back(id);
    w.Clear(id);
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  return w.MaybeFlush(/*sync=*/true);
}

// The dirty OneIDs' members and the events attributed to them, found through the
// node_events index (events by the identifier they are attributed to).
struct IndexedWork {
  std::unordered_map<uint64_t, std::vector<ProfileAccumulator::Identifier>> members;
  std::vector<std::pair<uint64_t, uint64_t>> refs;  // (event seq, OneID), ascending
};

// Fills `work`; false (work incomplete) once more than `max_refs` events are referenced,
// when one scan of all events is the cheaper way.
Result<bool> CollectFromIndex(const storage::Store& store, const std::vector<uint64_t>& ids, uint64_t max_refs,
                              IndexedWork* work) {
  auto git = store.NewIterator(Cf::kGraph);
  auto nit = store.NewIterator(Cf::kNodes);
  auto eit = store.NewIterator(Cf::kNodeEvents);
  for (uint64_t id : ids) {
    std::string prefix = keys::MemberPrefix(id);
    for (git->Seek(prefix); git->Valid() && View(git->key()).starts_with(prefix); git->Next()) {
      Key16 k = keys::ToKey16(View(git->key()).substr(prefix.size()));
      std::string_view node = keys::AsView(k);
      rocksdb::Slice node_slice(node.data(), node.size());
      nit->Seek(node_slice);
      storage::StatsRecord rec;
      if (nit->Valid() && View(nit->key()) == node && storage::StatsRecord::Decode(View(nit->value()), &rec)) {
        work->members[id].push_back({std::move(rec.tail), keys::ToHex(k)});
      } else {
        work->members[id].push_back({std::string(), keys::ToHex(k)});
      }
      for (eit->Seek(node_slice); eit->Valid() && View(eit->key()).starts_with(node); eit->Next()) {
        work->refs.emplace_back(coding::DecodeFixed64BE(eit->key().data() + 16), id);
      }
      if (work->refs.size() > max_refs) return false;
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(git->status(), "scan members"));
    HOLO_RETURN_IF_ERROR(storage::FromRocks(nit->status(), "read nodes"));
    HOLO_RETURN_IF_ERROR(storage::FromRocks(eit->status(), "scan node events"));
  }
  std::sort(work->refs.begin(), work->refs.end());
  work->refs.erase(std::unique(work->refs.begin(), work->refs.end()), work->refs.end());
  return true;
}

// Reads only the events of the dirty OneIDs, in sequence order with one iterator: new
// events sit together at the end of the events, so the reads are mostly Next() and the cost
// follows the changed profiles' events rather than the size of the store.
Status BuildFromIndex(storage::Store* store, const std::vector<uint64_t>& ids, const IndexedWork& work,
                      int64_t as_of, const BuildOptions& options, BuildStats* stats) {
  std::unordered_map<uint64_t, ProfileAccumulator> acc;
  std::unordered_map<uint64_t, LinkAccumulator> links;
  auto it = store->NewIterator(Cf::kEvents);
  storage::EventRecord ev;
  uint64_t decoded = UINT64_MAX;
  for (size_t i = 0; i < work.refs.size(); ++i) {
    auto [seq, id] = work.refs[i];
    if (seq != decoded) {
      std::string key = keys::EventKey(seq);
      if (it->Valid() && View(it->key()) < key) it->Next();  // the next event is often the one wanted
      if (!it->Valid() || View(it->key()) != key) it->Seek(key);
      if (!it->Valid() || View(it->key()) != key) {
        HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "read events"));
        continue;  // expired or erased since it was indexed
      }
      if (!ev.DecodeFrom(View(it->value()))) return Status::DataLoss("corrupt event record");
      decoded = seq;
      stats->events_scanned++;
    }
    acc.try_emplace(id, options.computed.get()).first->second.Add(ev, as_of);
    links[id].Add(ev);
  }
  Writer w(store);
  for (uint64_t id : ids) {
    stats->changed.push_back(id);
    auto m = work.members.find(id);
    if (m == work.members.end()) {
      HOLO_RETURN_IF_ERROR(w.Delete(id));
      stats->deleted++;
    } else {
      HOLO_RETURN_IF_ERROR(
          w.Put(id, Render(&acc.try_emplace(id, options.computed.get()).first->second, id, m->second, as_of, options),
                links[id].links()));
      stats->written++;
    }
    w.Clear(id);
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  return w.MaybeFlush(/*sync=*/true);
}

Result<uint64_t> EventCount(const storage::Store& store) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kMeta, keys::kEventSeq));
  return v.has_value() && v->size() == 8 ? coding::DecodeFixed64BE(v->data()) : uint64_t{0};
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
  stats->as_of_ms = options.as_of_ms != 0 ? options.as_of_ms : NowMs();
  // The index is read unless a full scan is asked for or plainly cheaper (most profiles
  // dirty); even then it is tried first, up to full_threshold of all events, because many
  // new people with few events each (a burst of new visitors) are cheaper to read by index.
  std::vector<uint64_t> ids(dirty.begin(), dirty.end());
  std::sort(ids.begin(), ids.end());
  if (options.before_build) HOLO_RETURN_IF_ERROR(options.before_build(ids));
  IndexedWork work;
  bool indexed = false;
  if (!options.force_full) {
    uint64_t profiles = store->EstimateKeys(Cf::kProfiles);
    bool most = static_cast<double>(dirty.size()) > options.full_threshold * profiles;
    uint64_t max_refs = UINT64_MAX;
    if (most) {
      HOLO_ASSIGN_OR_RETURN(uint64_t events, EventCount(*store));
      max_refs = static_cast<uint64_t>(options.full_threshold * static_cast<double>(events));
    }
    HOLO_ASSIGN_OR_RETURN(indexed, CollectFromIndex(*store, ids, max_refs, &work));
  }
  stats->full = !indexed;
  if (options.log) {
    options.log("profiles: rebuilding " + std::to_string(dirty.size()) + " profiles" +
                (stats->full ? " with one scan of all events"
                             : " from their " + std::to_string(work.refs.size()) + " events"));
  }
  Status s = stats->full ? BuildFull(store, dirty, stats->as_of_ms, options, stats)
                         : BuildFromIndex(store, ids, work, stats->as_of_ms, options, stats);
  std::sort(stats->changed.begin(), stats->changed.end());
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

namespace {

// Writes `name`: value into the object of `object_key` ("traits", "trait_meta") of a stored
// profile, replacing an earlier value of that name. `json` is a profile written by ToJson.
Status PutMember(std::string* json, std::string_view object_key, std::string_view name, std::string_view value) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(*json).get_object().get(root) != simdjson::SUCCESS) return Status::DataLoss("corrupt profile");
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  bool done = false;
  for (auto [key, v] : root) {
    w.Key(key);
    simdjson::dom::object inner;
    if (key != object_key || v.get_object().get(inner) != simdjson::SUCCESS) {
      w.RawValue(simdjson::minify(v));
      continue;
    }
    w.BeginObject();
    for (auto [k, iv] : inner) {
      if (k == name) continue;
      w.Key(k).RawValue(simdjson::minify(iv));
    }
    if (!value.empty()) w.Key(name).RawValue(value);
    w.EndObject();
    done = true;
  }
  w.EndObject();
  if (!done) return Status::DataLoss("profile without \"" + std::string(object_key) + "\"");
  *json = std::move(out);
  return Status::OK();
}

// Adds `"name":value` at the end of the object of `object_key`, which is followed in a
// profile written by ToJson by `next_key` — when the profile does not hold `name` yet:
// one string insertion, no parse. The marker `},"<next_key>":` cannot occur inside a JSON
// string (its quote would be escaped). Returns false to fall back to PutMember.
bool AppendMember(std::string* json, std::string_view next_key, std::string_view name, std::string_view value,
                  bool first_member_possible) {
  const std::string marker = "},\"" + std::string(next_key) + "\":";
  const size_t at = json->find(marker);
  if (at == std::string::npos || at == 0) return false;
  std::string member;
  const bool empty_object = (*json)[at - 1] == '{';
  if (empty_object && !first_member_possible) return false;
  if (!empty_object) member.push_back(',');
  member.push_back('"');
  member.append(name);
  member.append("\":");
  member.append(value);
  json->insert(at, member);
  return true;
}

}  // namespace

Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, BuildStats* stats) {
  if (spec.event.empty()) return Status::InvalidArgument("AddComputedTrait needs an event name");
  const auto start = std::chrono::steady_clock::now();
  *stats = BuildStats();
  stats->as_of_ms = as_of_ms;
  // 1. The named events, through the index, aggregated by the OneID they are attributed to.
  std::unordered_map<uint64_t, ComputedTraitAccumulator> acc;
  std::unordered_map<Key16, uint64_t, keys::Key16Hash> oneid_of;
  const std::string prefix = keys::EventNamePrefix(spec.event);
  auto idx = store->NewIterator(Cf::kEventIndex);
  storage::EventRecord ev;
  for (idx->Seek(prefix); idx->Valid() && View(idx->key()).starts_with(prefix); idx->Next()) {
    if (idx->key().size() != prefix.size() + 8) continue;
    const uint64_t seq = coding::DecodeFixed64BE(idx->key().data() + prefix.size());
    HOLO_ASSIGN_OR_RETURN(auto raw, store->Get(Cf::kEvents, keys::EventKey(seq)));
    if (!raw.has_value()) continue;  // removed since (retention drops events in compactions)
    if (!ev.DecodeFrom(*raw)) return Status::DataLoss("corrupt event record " + std::to_string(seq));
    stats->events_scanned++;
    const int owner = AttributionIndex(ev);
    if (owner < 0) continue;
    auto [it, fresh] = oneid_of.try_emplace(ev.ids[owner].pseudonym, 0);
    if (fresh) {
      HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kGraph, keys::NodeOneIdKey(ev.ids[owner].pseudonym)));
      it->second = v.has_value() ? DecodeOneId(*v) : 0;
    }
    if (it->second == 0) continue;  // not resolved yet: its profile is built with the trait
    acc.try_emplace(it->second, &spec).first->second.Add(ev, as_of_ms);
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(idx->status(), "scan the event index"));
  // 2. The trait into every profile (the value of no events for those without any).
  const ComputedTraitAccumulator none(&spec);
  const std::string& name = spec.TraitName();
  Writer w(store);
  auto it = store->NewIterator(Cf::kProfiles);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t oneid = coding::DecodeFixed64BE(it->key().data());
    auto found = acc.find(oneid);
    const ComputedTraitAccumulator& a = found == acc.end() ? none : found->second;
    std::string json(View(it->value()));
    std::string meta;
    if (a.has_value() && a.events() > 0) {
      JsonWriter mw(&meta);
      mw.BeginObject().Key("sources").BeginArray();
      for (const std::string& src : a.sources()) mw.String(src);
      mw.EndArray().Key("events").Uint(a.events()).Key("confidence").Double(1).EndObject();
    }
    // A new name is appended in place; a redefined one (already there) is replaced by a parse.
    std::string quoted_name;
    JsonWriter(&quoted_name).String(name);
    const bool present = json.find(quoted_name + ":") != std::string::npos;
    std::string escaped_name = quoted_name.substr(1, quoted_name.size() - 2);
    if (present || !AppendMember(&json, "trait_meta", escaped_name, a.ValueJson(), false) ||
        (!meta.empty() && !AppendMember(&json, "completeness", escaped_name, meta, true))) {
      json.assign(View(it->value()));
      HOLO_RETURN_IF_ERROR(PutMember(&json, "traits", name, a.ValueJson()));
      HOLO_RETURN_IF_ERROR(PutMember(&json, "trait_meta", name, meta));
    }
    HOLO_RETURN_IF_ERROR(w.PutJson(oneid, json));
    stats->written++;
    stats->changed.push_back(oneid);
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan profiles"));
  HOLO_RETURN_IF_ERROR(w.MaybeFlush(/*sync=*/true));
  std::sort(stats->changed.begin(), stats->changed.end());
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid) {
  return store.Get(Cf::kProfiles, keys::ProfileKey(oneid));
}

}  // namespace holo::profile
