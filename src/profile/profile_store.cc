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
      HOLO_RETURN_IF_ERROR(w.Put(id, Render(&acc.try_emplace(id, options.computed).first->second, id, m->second,
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
    acc.try_emplace(id, options.computed).first->second.Add(ev, as_of);
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
          w.Put(id, Render(&acc.try_emplace(id, options.computed).first->second, id, m->second, as_of, options),
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

namespace {

// The owner identifier of an event_index row (EventIndexValue: an event record holding
// only its owner), read without decoding the rest. False for a row without a projection
// (written before the index carried one) or a malformed one.
bool IndexRowOwner(std::string_view in, Key16* owner) {
  if (in.size() < 2 || in[0] != 1) return false;
  in.remove_prefix(2);
  int64_t ts;
  std::string_view s;
  uint64_t n;
  if (!coding::GetVarsint64(&in, &ts) || !coding::GetLengthPrefixed(&in, &s) ||  // source
      !coding::GetLengthPrefixed(&in, &s) || !coding::GetLengthPrefixed(&in, &s) ||  // event, message id
      !coding::GetVarint64(&in, &n) || n != 1 || !coding::GetBytes(&in, 16, &s)) {
    return false;
  }
  std::memcpy(owner->data(), s.data(), 16);
  return true;
}

// Returns the quoted JSON form of `name` without its quotes (a member name as it is written).
std::string EscapedName(std::string_view name) {
  std::string quoted;
  JsonWriter(&quoted).String(name);
  return quoted.substr(1, quoted.size() - 2);
}

// The trait_meta entry of a computed value (empty without contributing events).
std::string MetaJson(const ComputedTraitAccumulator& a) {
  std::string meta;
  if (a.events() == 0) return meta;
  JsonWriter mw(&meta);
  mw.BeginObject().Key("sources").BeginArray();
  for (const std::string& src : a.sources()) mw.String(src);
  mw.EndArray().Key("events").Uint(a.events()).Key("confidence").Double(1).EndObject();
  return meta;
}

// Sets `name` in a stored profile: `a`'s value and meta when an event contributed, else
// neither (the default is not stored). `present`: the profile may hold the name already.
Status SetComputed(std::string* json, const std::string& name, const ComputedTraitAccumulator* a, bool present) {
  if (a != nullptr && !present) {
    const std::string escaped = EscapedName(name);
    std::string appended = *json;
    if (AppendMember(&appended, "trait_meta", escaped, a->ValueJson(), true) &&
        AppendMember(&appended, "completeness", escaped, MetaJson(*a), true)) {
      *json = std::move(appended);
      return Status::OK();
    }
  }
  HOLO_RETURN_IF_ERROR(PutMember(json, "traits", name, a != nullptr ? a->ValueJson() : ""));
  return PutMember(json, "trait_meta", name, a != nullptr ? MetaJson(*a) : "");
}

}  // namespace

Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, bool replace,
                        BuildStats* stats, ComputedColumn* column) {
  if (spec.event.empty()) return Status::InvalidArgument("AddComputedTrait needs an event name");
  const auto start = std::chrono::steady_clock::now();
  *stats = BuildStats();
  stats->as_of_ms = as_of_ms;
  *column = ComputedColumn();
  column->name = spec.TraitName();
  column->numeric = ComputedTraitAccumulator(&spec).numeric();
  const auto& builtin = BuiltinTraitNames();
  if (std::find(builtin.begin(), builtin.end(), column->name) != builtin.end()) return Status::OK();  // never written
  const std::string prefix = keys::EventNamePrefix(spec.event);

  // 1. The owners of the named events (one pass over their index rows, reading only the
  //    owner), then their OneIDs: one graph iterator over the owners in key order.
  std::vector<std::pair<Key16, uint64_t>> oneid_of;
  bool old_rows = false;  // rows without a projection: the event is read
  {
    auto idx = store->NewIterator(Cf::kEventIndex);
    Key16 owner;
    for (idx->Seek(prefix); idx->Valid() && View(idx->key()).starts_with(prefix); idx->Next()) {
      if (IndexRowOwner(View(idx->value()), &owner)) {
        oneid_of.emplace_back(owner, 0);
      } else {
        old_rows = true;
      }
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(idx->status(), "scan the event index"));
  }
  std::sort(oneid_of.begin(), oneid_of.end());
  oneid_of.erase(std::unique(oneid_of.begin(), oneid_of.end()), oneid_of.end());
  {
    auto git = store->NewIterator(Cf::kGraph);
    for (auto& [node, oneid] : oneid_of) {
      const std::string key = keys::NodeOneIdKey(node);
      git->Seek(key);
      if (git->Valid() && View(git->key()) == key) oneid = DecodeOneId(View(git->value()));
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(git->status(), "read OneIDs"));
  }
  auto lookup = [&](const Key16& node) -> Result<uint64_t> {
    auto found = std::lower_bound(oneid_of.begin(), oneid_of.end(), std::make_pair(node, uint64_t{0}));
    if (found != oneid_of.end() && found->first == node) return found->second;
    HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kGraph, keys::NodeOneIdKey(node)));  // an old row's owner
    return v.has_value() ? DecodeOneId(*v) : 0;
  };

  // 2. The events, aggregated by OneID.
  std::unordered_map<uint64_t, ComputedTraitAccumulator> acc;
  {
    auto idx = store->NewIterator(Cf::kEventIndex);
    storage::EventRecord ev;
    for (idx->Seek(prefix); idx->Valid() && View(idx->key()).starts_with(prefix); idx->Next()) {
      if (idx->key().size() != prefix.size() + 8) continue;
      if (!ev.DecodeFrom(View(idx->value()))) {
        if (!old_rows) return Status::DataLoss("corrupt event index row of '" + spec.event + "'");
        const uint64_t seq = coding::DecodeFixed64BE(idx->key().data() + prefix.size());
        HOLO_ASSIGN_OR_RETURN(auto raw, store->Get(Cf::kEvents, keys::EventKey(seq)));
        if (!raw.has_value()) continue;  // removed since
        if (!ev.DecodeFrom(*raw)) return Status::DataLoss("corrupt event record " + std::to_string(seq));
      }
      ev.event = spec.event;  // the key holds the name
      stats->events_scanned++;
      const int owner = AttributionIndex(ev);
      if (owner < 0) continue;
      HOLO_ASSIGN_OR_RETURN(uint64_t oneid, lookup(ev.ids[owner].pseudonym));
      if (oneid == 0) continue;  // not resolved yet: its profile is built with the trait
      acc.try_emplace(oneid, &spec).first->second.Add(ev, as_of_ms);
    }
    HOLO_RETURN_IF_ERROR(storage::FromRocks(idx->status(), "scan the event index"));
  }
  std::vector<uint64_t> holders;
  for (const auto& [oneid, a] : acc) {
    if (a.events() > 0) holders.push_back(oneid);
  }
  std::sort(holders.begin(), holders.end());

  // 3. The profiles of the holders (one iterator, in key order), or every profile when an
  //    old value may have to go.
  const std::string& name = column->name;
  std::string quoted;
  JsonWriter(&quoted).String(name);
  quoted.push_back(':');
  Writer w(store);
  auto it = store->NewIterator(Cf::kProfiles);
  auto write = [&](uint64_t oneid, const ComputedTraitAccumulator* a) -> Status {
    std::string json(View(it->value()));
    const bool present = json.find(quoted) != std::string::npos;
    if (a == nullptr && !present) return Status::OK();
    HOLO_RETURN_IF_ERROR(SetComputed(&json, name, a, present));
    HOLO_RETURN_IF_ERROR(w.PutJson(oneid, json));
    stats->written++;
    stats->changed.push_back(oneid);
    if (a != nullptr) {
      column->oneids.push_back(oneid);
      if (column->numeric) {
        column->numbers.push_back(a->NumberValue());
      } else {
        column->texts.push_back(a->TextValue());
      }
    }
    return w.MaybeFlush();
  };
  if (replace) {
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t oneid = coding::DecodeFixed64BE(it->key().data());
      auto found = acc.find(oneid);
      HOLO_RETURN_IF_ERROR(write(oneid, found != acc.end() && found->second.events() > 0 ? &found->second : nullptr));
    }
  } else {
    for (uint64_t oneid : holders) {
      const std::string key = keys::ProfileKey(oneid);
      if (it->Valid() && View(it->key()) < key) it->Next();  // the next profile is often the one wanted
      if (!it->Valid() || View(it->key()) != key) it->Seek(key);
      if (!it->Valid() || View(it->key()) != key) continue;  // no profile yet: built with the trait
      HOLO_RETURN_IF_ERROR(write(oneid, &acc.at(oneid)));
    }
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan profiles"));
  HOLO_RETURN_IF_ERROR(w.MaybeFlush(/*sync=*/true));
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

Status FillComputedDefaults(const std::vector<AggregateSpec>& computed, std::string* json) {
  if (computed.empty()) return Status::OK();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object traits;
  if (parser.parse(*json).at_key("traits").get_object().get(traits) != simdjson::SUCCESS) {
    return Status::DataLoss("profile without traits");
  }
  std::string missing;
  std::vector<std::string_view> seen;  // a name given twice: the first spec has it
  for (const AggregateSpec& spec : computed) {
    const std::string& name = spec.TraitName();
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    simdjson::dom::element v;
    if (traits.at_key(name).get(v) == simdjson::SUCCESS) continue;
    if (!missing.empty()) missing.push_back(',');
    missing += "\"" + EscapedName(name) + "\":";
    missing += DefaultValueJson(spec);
  }
  if (missing.empty()) return Status::OK();
  // Inserted at the end of "traits", which a profile written by ToJson closes before "trait_meta".
  const size_t at = json->find("},\"trait_meta\":");
  if (at == std::string::npos || at == 0) return Status::DataLoss("profile without trait_meta");
  if ((*json)[at - 1] != '{') missing.insert(missing.begin(), ',');
  json->insert(at, missing);
  return Status::OK();
}

Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid,
                                               const std::vector<AggregateSpec>& computed) {
  HOLO_ASSIGN_OR_RETURN(auto json, store.Get(Cf::kProfiles, keys::ProfileKey(oneid)));
  if (json.has_value()) HOLO_RETURN_IF_ERROR(FillComputedDefaults(computed, &*json));
  return json;
}

}  // namespace holo::profile
