#include "profile/profile_store.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "profile/computed_trait.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "profile/accounts.h"
#include "profile/people_graph.h"
#include "profile/profile_builder.h"
#include "storage/event_record.h"
#include "storage/keys.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;
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

// The stored form of a computed value: its JSON (length-prefixed), then its trait_meta JSON.
// Into `out` (cleared first); `scratch` holds the value JSON on the way.
void EncodeComputedInto(const ComputedTraitAccumulator& a, std::string* scratch, std::string* out) {
  scratch->clear();
  JsonWriter vw(scratch);
  a.WriteValue(&vw);
  out->clear();
  coding::PutLengthPrefixed(out, *scratch);
  JsonWriter mw(out);
  mw.BeginObject().Key("sources").BeginArray();
  for (const std::string& src : a.sources()) mw.String(src);
  mw.EndArray().Key("events").Uint(a.events()).Key("confidence").Double(1).EndObject();
}

std::string EncodeComputed(const ComputedTraitAccumulator& a) {
  std::string out, scratch;
  EncodeComputedInto(a, &scratch, &out);
  return out;
}

// Splits a stored computed value into its value JSON and trait_meta JSON.
bool DecodeComputed(std::string_view in, std::string_view* value, std::string_view* meta) {
  if (!coding::GetLengthPrefixed(&in, value)) return false;
  *meta = in;
  return true;
}

// What a OneID's event index rows are (keys::EventNamesKey): the names it has rows under,
// and a fingerprint of the rows (RowFingerprint, summed over them) with their count, so that
// a full rebuild rewrites only the OneIDs whose rows changed.
struct IndexSummary {
  std::vector<std::string> names;  // sorted
  uint64_t fingerprint = 0;
  uint64_t rows = 0;
  bool has_fingerprint = false;  // false: written before fingerprints (always rewritten)
  // The summary of rows just summed up (AddIndexRow): names in order, fingerprinted.
  void Seal() {
    std::sort(names.begin(), names.end());
    has_fingerprint = true;
  }
  bool SameRows(const IndexSummary& o) const {
    return has_fingerprint && o.has_fingerprint && fingerprint == o.fingerprint && rows == o.rows && names == o.names;
  }
};

// Stored as a 0 byte (not an event record's version, so the retention filter keeps it), a
// second 0 byte (an empty name before fingerprints: no event has one), the fingerprint and
// the row count (u64 BE each), then each name length-prefixed.
std::string EncodeIndexSummary(const IndexSummary& s) {
  std::string out(2, '\0');
  coding::PutFixed64BE(&out, s.fingerprint);
  coding::PutFixed64BE(&out, s.rows);
  for (const std::string& name : s.names) coding::PutLengthPrefixed(&out, name);
  return out;
}

bool DecodeIndexSummary(std::string_view in, IndexSummary* s) {
  *s = IndexSummary();
  if (in.empty() || in[0] != 0) return false;
  in.remove_prefix(1);
  if (!in.empty() && in[0] == 0) {
    if (in.size() < 17) return false;
    s->fingerprint = coding::DecodeFixed64BE(in.data() + 1);
    s->rows = coding::DecodeFixed64BE(in.data() + 9);
    s->has_fingerprint = true;
    in.remove_prefix(17);
  }
  std::string_view name;
  while (!in.empty()) {
    if (!coding::GetLengthPrefixed(&in, &name)) return false;
    s->names.emplace_back(name);
  }
  return true;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// One event index row's fingerprint: its key (name, sequence; the OneID is the summary's own)
// and what its value holds (EventIndexValue). std::hash is the string hash: should another
// standard library hash differently, every OneID's rows are rewritten once, nothing worse.
uint64_t RowFingerprint(uint64_t seq, const storage::EventRecord& ev) {
  const std::hash<std::string_view> h;
  uint64_t x = Mix64(seq);
  x = Mix64(x ^ h(ev.event));
  x = Mix64(x ^ static_cast<uint64_t>(ev.timestamp_ms));
  x = Mix64(x ^ ev.msg_type);
  x = Mix64(x ^ h(ev.source));
  return Mix64(x ^ h(ev.properties_json));
}

// The projections of the event index (keys::EventProjectionMetaKey): event name -> the
// top-level properties its projection keeps (sorted).
using Projections = std::map<std::string, std::vector<std::string>>;

std::string EncodeProjectedKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) coding::PutLengthPrefixed(&out, k);
  return out;
}

Status LoadProjections(const storage::Store& store, Projections* out) {
  out->clear();
  auto it = store.NewCursor(Cf::kMeta);
  const std::string_view prefix = keys::kEventProjectionPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::vector<std::string>& keys = (*out)[std::string(it->key().substr(prefix.size()))];
    std::string_view in = it->value(), name;
    while (!in.empty()) {
      if (!coding::GetLengthPrefixed(&in, &name)) return Status::DataLoss("corrupt event index projection record");
      keys.emplace_back(name);
    }
  }
  return it->status().WithContext("read the event index projections");
}

// The key bounding the rows under `prefix` (a name's rows or projection) of OneIDs below `oneid`.
std::string OneIdBound(const std::string& prefix, uint64_t oneid) {
  std::string k = prefix;
  coding::PutFixed64BE(&k, oneid);
  return k;
}

// One accumulator per computed trait of `computed` (may be null), for ProfileAccumulator to
// make each profile's from (what is derived from a spec is shared by all of them).
std::vector<ComputedTraitAccumulator> Prototypes(const std::vector<AggregateSpec>* computed) {
  std::vector<ComputedTraitAccumulator> out;
  if (computed != nullptr) {
    out.reserve(computed->size());
    for (const AggregateSpec& spec : *computed) out.emplace_back(&spec);
  }
  return out;
}

// A OneID's event index rows summed up (a full rebuild over an index already written): the
// names follow from the rows, so equal fingerprints and counts mean equal names (the
// fingerprint's own assumption), and the rebuild holds 16 bytes per OneID, not its names.
struct RowSum {
  uint64_t fingerprint = 0;
  uint64_t rows = 0;
  void Add(uint64_t seq, const storage::EventRecord& ev) {
    if (!IndexedForTraits(ev)) return;
    fingerprint += RowFingerprint(seq, ev);
    rows++;
  }
};

class Writer {
 public:
  // `computed`: the computed traits rebuilt profiles are evaluated with (may be null).
  explicit Writer(storage::Store* store, const std::vector<AggregateSpec>* computed = nullptr)
      : store_(store), batch_(*store) {
    if (computed != nullptr) {
      for (const AggregateSpec* spec : StoredComputedTraits(*computed)) {
        stored_.emplace_back(static_cast<size_t>(spec - computed->data()), spec->TraitName());
      }
    }
  }
  // A rebuilt profile and its computed values. `had` (may be null): per stored computed trait,
  // the OneIDs holding a value before; null: looked up.
  Status Put(uint64_t oneid, const std::string& json, const TraitRow& row, const LinkSet& links,
             const AccountSet& accounts, const ProfileAccumulator& acc,
             const std::vector<std::unordered_set<uint64_t>>* had) {
    MarkEpoch();
    batch_.Put(Cf::kProfiles, keys::ProfileKey(oneid), json);
    batch_.Put(Cf::kSegments, keys::TraitRowKey(oneid), EncodeTraitRow(row));
    for (size_t j = 0; j < stored_.size(); ++j) {
      const ComputedTraitAccumulator* a = acc.computed(stored_[j].first);
      if (a != nullptr && a->events() > 0) {
        batch_.Put(Cf::kSegments, keys::ComputedValueKey(stored_[j].second, oneid), EncodeComputed(*a));
      } else {
        HOLO_RETURN_IF_ERROR(DeleteComputed(j, oneid, had));
      }
    }
    if (!index_deferred_) HOLO_RETURN_IF_ERROR(FinishIndex(oneid));
    HOLO_RETURN_IF_ERROR(UpdateAccounts(*store_, oneid, accounts, &batch_));
    return UpdateLinks(*store_, oneid, links, &batch_);
  }
  Status Delete(uint64_t oneid, const std::vector<std::unordered_set<uint64_t>>* had) {
    MarkEpoch();
    batch_.Delete(Cf::kProfiles, keys::ProfileKey(oneid));
    batch_.Delete(Cf::kSegments, keys::TraitRowKey(oneid));
    for (size_t j = 0; j < stored_.size(); ++j) HOLO_RETURN_IF_ERROR(DeleteComputed(j, oneid, had));
    if (!index_deferred_) HOLO_RETURN_IF_ERROR(FinishIndex(oneid));
    HOLO_RETURN_IF_ERROR(UpdateAccounts(*store_, oneid, AccountSet(), &batch_));
    return UpdateLinks(*store_, oneid, LinkSet(), &batch_);
  }
  // The event index of a OneID whose events were all given to AddIndexRow (none for a
  // deleted profile): removes its rows of events it no longer has (moved to another OneID by
  // resolution, deleted, erased, expired) and records the names it has rows under.
  Status FinishIndex(uint64_t oneid) {
    Indexed now;
    if (auto found = indexed_.find(oneid); found != indexed_.end()) {
      now = std::move(found->second);
      indexed_.erase(found);
    }
    std::sort(now.seqs.begin(), now.seqs.end());
    now.summary.Seal();
    const std::string names_key = keys::EventNamesKey(oneid);
    IndexSummary old;
    bool had = false;
    if (!index_empty_) {
      HOLO_ASSIGN_OR_RETURN(had, ReadSummary(oneid, &old));
      // The names it had, and those it has now (rows may outlive a names record that a
      // crash kept from being written).
      std::vector<std::string> scan = old.names;
      scan.insert(scan.end(), now.summary.names.begin(), now.summary.names.end());
      std::sort(scan.begin(), scan.end());
      scan.erase(std::unique(scan.begin(), scan.end()), scan.end());
      auto it = store_->NewCursor(Cf::kEventIndex);
      for (const std::string& name : scan) {
        const std::string prefix = keys::EventNameOneIdPrefix(name, oneid);
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
          if (it->key().size() != prefix.size() + 8) continue;
          const uint64_t seq = coding::DecodeFixed64BE(it->key().data() + prefix.size());
          if (!std::binary_search(now.seqs.begin(), now.seqs.end(), seq)) {
            batch_.Delete(Cf::kEventIndex, it->key());
          }
        }
        HOLO_RETURN_IF_ERROR(it->status().WithContext("scan the event index"));
      }
    }
    // The projection blocks of its projected names: written whole; gone with the name.
    HOLO_ASSIGN_OR_RETURN(const Projections* projections, projections_or_load());
    if (!projections->empty()) {
      for (const auto& [name, block] : now.blocks) {
        batch_.Put(Cf::kEventIndex, keys::EventProjectionKey(name, oneid), block);
      }
      for (const std::string& name : old.names) {
        if (projections->count(name) && !now.blocks.count(name)) {
          batch_.Delete(Cf::kEventIndex, keys::EventProjectionKey(name, oneid));
        }
      }
    }
    if (now.summary.names.empty()) {
      if (had) batch_.Delete(Cf::kEventIndex, names_key);
    } else if (!had || !now.summary.SameRows(old)) {
      batch_.Put(Cf::kEventIndex, names_key, EncodeIndexSummary(now.summary));
    }
    return Status::OK();
  }
  // For a full build over an index already written: the caller sums up each OneID's rows
  // (RowSum) instead of calling AddIndexRow, Put and Delete leave the index alone, and
  // StaleIndexes says afterwards which OneIDs' rows differ from what is stored;
  // ReindexOneIds rewrites those.
  void DeferIndex() { index_deferred_ = true; }
  // Of `ids` (sorted), those whose rows (`sum_of` each) differ from their stored summary.
  template <typename SumOf>
  Result<std::vector<uint64_t>> StaleIndexes(const std::vector<uint64_t>& ids, SumOf sum_of) {
    std::vector<uint64_t> stale;
    for (uint64_t oneid : ids) {
      const RowSum now = sum_of(oneid);
      IndexSummary old;
      HOLO_ASSIGN_OR_RETURN(bool had, ReadSummary(oneid, &old));
      const bool same = had ? old.has_fingerprint && old.fingerprint == now.fingerprint && old.rows == now.rows
                            : now.rows == 0;
      if (!same) stale.push_back(oneid);
    }
    return stale;
  }
  // A profile's JSON alone (its links and computed values unchanged).
  void PutProfile(uint64_t oneid, const std::string& json) {
    MarkEpoch();
    batch_.Put(Cf::kProfiles, keys::ProfileKey(oneid), json);
  }
  // A profile's typed trait row alone, for a store written before them (same values as its JSON).
  void PutTraitRow(uint64_t oneid, const TraitRow& row) {
    batch_.Put(Cf::kSegments, keys::TraitRowKey(oneid), EncodeTraitRow(row));
  }
  // One computed value, written by AddComputedTrait.
  void PutComputed(const std::string& name, uint64_t oneid, const std::string& value) {
    MarkEpoch();
    batch_.Put(Cf::kSegments, keys::ComputedValueKey(name, oneid), value);
  }
  // Drops every stored value of a computed trait.
  void DropColumn(const std::string& name) {
    MarkEpoch();
    DropComputedValues(name, &batch_);
  }
  void Clear(uint64_t oneid) { batch_.Delete(Cf::kMeta, keys::DirtyProfile(oneid)); }
  // A change of profiles as readers see them (a computed column written apart): a new epoch.
  void MarkChanged() { MarkEpoch(); }
  // Writes what is batched, however little.
  Status Flush(bool sync) { return batch_.Count() == 0 ? Status::OK() : WriteNow(sync); }
  // The event index row of an event now attributed to `oneid`, for each such event of a
  // rebuilt OneID (Put and Delete then remove the rows it no longer has). Written as the
  // events are read, so a rebuild of every profile holds no copy of them.
  Status AddIndexRow(uint64_t oneid, uint64_t seq, const storage::EventRecord& ev) {
    if (!IndexedForTraits(ev)) return Status::OK();
    if (index_deferred_) return Status::Internal("AddIndexRow while the index is deferred (RowSum)");
    Indexed& x = indexed_[oneid];
    x.summary.fingerprint += RowFingerprint(seq, ev);
    x.summary.rows++;
    std::vector<std::string>& names = x.summary.names;
    if (std::find(names.begin(), names.end(), ev.event) == names.end()) names.push_back(ev.event);
    batch_.Put(Cf::kEventIndex, keys::EventNameKey(ev.event, oneid, seq), EventIndexValue(ev));
    HOLO_ASSIGN_OR_RETURN(const Projections* projections, projections_or_load());
    if (auto p = projections->find(ev.event); p != projections->end()) {
      storage::AppendToEventBlock(&x.blocks[ev.event], EventProjectionValue(ev, p->second));
    }
    x.seqs.push_back(seq);
    return MaybeFlush();
  }
  // For a first build of the index (every row is new): Put and Delete look for no old rows.
  void SetIndexEmpty() { index_empty_ = true; }
  bool index_empty() const { return index_empty_; }
  Status MaybeFlush(bool sync = false) {
    if (!sync && batch_.Count() < 10000) return Status::OK();
    return WriteNow(sync);
  }
  // (index into `computed`, name) of each stored computed trait.
  const std::vector<std::pair<size_t, std::string>>& stored() const { return stored_; }

 private:
  // Removes a stored value that no event backs any more (a default is not stored).
  Status DeleteComputed(size_t j, uint64_t oneid, const std::vector<std::unordered_set<uint64_t>>* had) {
    const std::string key = keys::ComputedValueKey(stored_[j].second, oneid);
    bool present;
    if (had != nullptr) {
      present = (*had)[j].count(oneid) > 0;
    } else {
      HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kSegments, key));  // a bloom filter answers most
      present = v.has_value();
    }
    if (present) batch_.Delete(Cf::kSegments, key);
    return Status::OK();
  }
  Status WriteNow(bool sync) {
    HOLO_RETURN_IF_ERROR(store_->Write(&batch_, sync));
    batch_.Clear();
    epoch_marked_ = false;
    return Status::OK();
  }
  // Every batch that changes a profile also changes the profiles' epoch (once per batch).
  void MarkEpoch() {
    if (epoch_marked_) return;
    batch_.Put(Cf::kMeta, keys::kProfilesEpoch, NewEpoch());
    epoch_marked_ = true;
  }
  // The projections in force, read on first use (one change of derived state at a time:
  // none is added while a rebuild writes).
  Result<const Projections*> projections_or_load() {
    if (!projections_loaded_) {
      HOLO_RETURN_IF_ERROR(LoadProjections(*store_, &projections_));
      projections_loaded_ = true;
    }
    return &projections_;
  }
  // The stored summary of `oneid`'s rows; false when there is none.
  Result<bool> ReadSummary(uint64_t oneid, IndexSummary* out) {
    HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kEventIndex, keys::EventNamesKey(oneid)));
    if (!v.has_value()) return false;
    if (!DecodeIndexSummary(*v, out)) {
      return Status::DataLoss("corrupt event index names of OneID " + std::to_string(oneid));
    }
    return true;
  }
  // The event index rows added for one OneID since its last FinishIndex.
  struct Indexed {
    std::vector<uint64_t> seqs;  // not kept while deferred
    IndexSummary summary;
    std::map<std::string, std::string> blocks;  // projected name -> its projection block
  };
  storage::Store* store_;
  std::vector<std::pair<size_t, std::string>> stored_;
  storage::WriteBatch batch_;
  bool epoch_marked_ = false;
  std::unordered_map<uint64_t, Indexed> indexed_;
  bool index_empty_ = false;
  bool index_deferred_ = false;
  Projections projections_;
  bool projections_loaded_ = false;
};

// Per stored computed trait of `w`, the OneIDs of `ids` that hold a value now (one scan of
// each column: a column holds only the OneIDs with a value).
Status StoredHolders(const storage::Store& store, const Writer& w, const std::unordered_set<uint64_t>& ids,
                     std::vector<std::unordered_set<uint64_t>>* had) {
  had->assign(w.stored().size(), {});
  auto it = store.NewCursor(Cf::kSegments);
  for (size_t j = 0; j < w.stored().size(); ++j) {
    const std::string prefix = keys::ComputedValuePrefix(w.stored()[j].second);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (it->key().size() != prefix.size() + 8) continue;
      const uint64_t oneid = coding::DecodeFixed64BE(it->key().data() + prefix.size());
      if (ids.count(oneid)) (*had)[j].insert(oneid);
    }
  }
  return it->status().WithContext("scan computed trait values");
}

// The profile JSON of `acc` and its typed trait row, its consent traits from options.consent
// when given.
std::string Render(ProfileAccumulator* acc, uint64_t oneid, const std::vector<ProfileAccumulator::Identifier>& members,
                   int64_t as_of, const BuildOptions& options, TraitRow* row) {
  if (options.consent) {
    for (std::string_view purpose : ProfileAccumulator::ConsentPurposes()) {
      acc->SetConsent(purpose, options.consent(oneid, purpose));
    }
  }
  return acc->ToJson(oneid, members, as_of, row);
}

// Calls fn(node, OneID) for every identifier the graph has placed.
template <typename Fn>
Status ForEachNodeOneId(const storage::Store& store, Fn fn) {
  auto it = store.NewCursor(Cf::kGraph);
  for (it->Seek(keys::kGraphNodePrefix); it->Valid() && it->key().starts_with(keys::kGraphNodePrefix); it->Next()) {
    fn(keys::ToKey16(it->key().substr(1)), DecodeOneId(it->value()));
  }
  return it->status().WithContext("scan graph");
}

// What a rebuild builds per OneID, in one map entry: one look-up per event.
struct Building {
  explicit Building(const std::vector<ComputedTraitAccumulator>& prototypes) : acc(prototypes) {}
  ProfileAccumulator acc;
  LinkAccumulator links;
  AccountAccumulator accounts;
  RowSum rows;  // a full rebuild over an index already written (Writer::DeferIndex)
};

// Rewrites the event index rows of `ids` (sorted) from their events (ReindexFromEvents).
Status ReindexOneIds(storage::Store* store, const std::vector<uint64_t>& ids);

// One pass over every event; used on a first load or when most OneIDs changed.
// The OneID's imported store visits (BuildOptions::store_visits) into its accumulator.
Status AddStoreVisits(const BuildOptions& options, const std::vector<ProfileAccumulator::Identifier>& members,
                      int64_t as_of, ProfileAccumulator* acc) {
  if (!options.store_visits) return Status::OK();
  std::vector<std::pair<std::string, int64_t>> visits;
  HOLO_RETURN_IF_ERROR(options.store_visits(members, &visits));
  for (const auto& [store, ts] : visits) acc->AddStoreVisit(store, ts, as_of);
  return Status::OK();
}

// Every placed identifier's OneID (and, when asked, its type), in flat arrays sorted by key
// (24 bytes and a type id per identifier: a first build at 1M persons places 15M), found
// through a table of the keys' first 20 bits (pseudonyms are keyed hashes: a few keys per slot).
class PlacedNodes {
 public:
  Status Load(const storage::Store& store, bool with_types) {
    const size_t estimate = store.EstimateKeys(Cf::kNodes) * 9 / 8 + 1024;
    keys_.reserve(estimate);
    oneids_.reserve(estimate);
    HOLO_RETURN_IF_ERROR(ForEachNodeOneId(store, [&](const Key16& k, uint64_t id) {
      keys_.push_back(k);
      oneids_.push_back(id);
    }));
    slot_.assign((size_t{1} << kSlotBits) + 1, 0);
    for (const Key16& k : keys_) ++slot_[SlotOf(k) + 1];
    for (size_t s = 1; s < slot_.size(); ++s) slot_[s] += slot_[s - 1];
    type_.assign(keys_.size(), 0);
    type_names_.assign(1, "");  // 0: no node record (or types not asked for)
    if (!with_types) return Status::OK();
    // Node records (key order, as keys_): each placed identifier's type, by a merge.
    auto it = store.NewCursor(Cf::kNodes);
    size_t i = 0;
    for (it->SeekToFirst(); it->Valid() && i < keys_.size(); it->Next()) {
      const Key16 k = keys::ToKey16(it->key());
      while (i < keys_.size() && keys_[i] < k) ++i;
      if (i == keys_.size() || keys_[i] != k) continue;
      storage::StatsRecord rec;
      if (!storage::StatsRecord::Decode(it->value(), &rec)) continue;
      auto t = std::find(type_names_.begin(), type_names_.end(), rec.tail);  // a few dozen types
      if (t == type_names_.end()) t = type_names_.insert(t, std::move(rec.tail));
      type_[i] = static_cast<uint16_t>(t - type_names_.begin());
    }
    return it->status().WithContext("scan nodes");
  }
  size_t size() const { return keys_.size(); }
  const Key16& key(size_t i) const { return keys_[i]; }
  uint64_t oneid(size_t i) const { return oneids_[i]; }
  const std::string& type(size_t i) const { return type_names_[type_[i]]; }
  // The OneID of `k`, or 0 when it is not placed.
  uint64_t OneIdOf(const Key16& k) const {
    const size_t s = SlotOf(k);
    auto first = keys_.begin() + slot_[s], last = keys_.begin() + slot_[s + 1];
    auto found = std::lower_bound(first, last, k);
    return found != last && *found == k ? oneids_[static_cast<size_t>(found - keys_.begin())] : 0;
  }

 private:
  static constexpr int kSlotBits = 20;
  static size_t SlotOf(const Key16& k) { return (size_t{k[0]} << 12) | (size_t{k[1]} << 4) | (k[2] >> 4); }
  std::vector<Key16> keys_;
  std::vector<uint64_t> oneids_;
  std::vector<uint16_t> type_;
  std::vector<std::string> type_names_;
  std::vector<uint32_t> slot_;
};

Result<uint64_t> EventCount(const storage::Store& store);

Status BuildFull(storage::Store* store, const std::unordered_set<uint64_t>& dirty, int64_t as_of,
                 const BuildOptions& options, BuildStats* stats) {
  PlacedNodes placed;
  HOLO_RETURN_IF_ERROR(placed.Load(*store, /*with_types=*/true));
  // The dirty OneIDs' members as (OneID, identifier) in key order within each OneID; their
  // descriptions are made one OneID at a time, as it is written.
  std::vector<std::pair<uint64_t, uint32_t>> members;
  for (size_t i = 0; i < placed.size(); ++i) {
    if (dirty.count(placed.oneid(i))) members.emplace_back(placed.oneid(i), static_cast<uint32_t>(i));
  }
  std::sort(members.begin(), members.end());
  std::vector<ProfileAccumulator::Identifier> described;
  auto members_of = [&](uint64_t id) -> const std::vector<ProfileAccumulator::Identifier>* {
    auto first = std::lower_bound(members.begin(), members.end(), std::make_pair(id, uint32_t{0}));
    described.clear();
    for (auto m = first; m != members.end() && m->first == id; ++m) {
      described.push_back({placed.type(m->second), keys::ToHex(placed.key(m->second))});
    }
    return described.empty() ? nullptr : &described;
  };
  const std::vector<ComputedTraitAccumulator> prototypes = Prototypes(options.computed.get());
  Writer w(store, options.computed.get());
  {
    // The first build of a store (its first load) finds no index rows to replace.
    auto idx = store->NewCursor(Cf::kEventIndex);
    idx->SeekToFirst();
    HOLO_RETURN_IF_ERROR(idx->status().WithContext("scan the event index"));
    if (!idx->Valid()) w.SetIndexEmpty();
  }
  // Over an index already written, most rows of a full build are the rows stored (a
  // `resolve --full` after a change of the clock or of the trait definitions): they are
  // compared by fingerprint, and only the OneIDs whose rows differ are rewritten.
  const bool deferred = !w.index_empty();
  if (deferred) w.DeferIndex();
  // The OneID an event belongs to, when it is one being built.
  storage::EventRecord ev;
  auto owner = [&](std::string_view record, uint64_t* oneid) -> Status {
    if (!ev.DecodeFrom(record)) return Status::DataLoss("corrupt event record");
    *oneid = 0;
    const int idx = AttributionIndex(ev);
    if (idx < 0) return Status::OK();
    const uint64_t id = placed.OneIdOf(ev.ids[idx].pseudonym);
    if (id != 0 && dirty.count(id)) *oneid = id;
    return Status::OK();
  };

  // The OneIDs are built in parts of at most full_build_chunk (a profile being built holds its
  // accumulators and its event index rows: a few KB): one part reads every event in one scan;
  // several first note which part each event belongs to (a byte per event), then read each
  // part's events in order.
  std::vector<uint64_t> ids(dirty.begin(), dirty.end());
  std::sort(ids.begin(), ids.end());
  const size_t per_part = std::max<size_t>(options.full_build_chunk, 1);
  const size_t parts = (ids.size() + per_part - 1) / per_part;
  if (parts > 254) {
    return Status::InvalidArgument("profiles: more than 254 parts of " + std::to_string(per_part) +
                                   " OneIDs; raise BuildOptions::full_build_chunk");
  }
  uint64_t first_seq = 0;
  std::vector<uint8_t> part_of;  // by seq - first_seq; 255: no part
  if (parts > 1) {
    auto it = store->NewCursor(Cf::kEvents);
    it->SeekToFirst();
    if (it->Valid()) first_seq = coding::DecodeFixed64BE(it->key().data());
    HOLO_ASSIGN_OR_RETURN(const uint64_t last_seq, EventCount(*store));
    part_of.assign(last_seq >= first_seq ? last_seq - first_seq + 1 : 0, 255);
    for (; it->Valid(); it->Next()) {
      uint64_t oneid;
      HOLO_RETURN_IF_ERROR(owner(it->value(), &oneid));
      stats->events_scanned++;
      if (oneid == 0) continue;
      const uint64_t at = coding::DecodeFixed64BE(it->key().data()) - first_seq;
      if (at >= part_of.size()) part_of.resize(at + 1, 255);
      part_of[at] = static_cast<uint8_t>((std::lower_bound(ids.begin(), ids.end(), oneid) - ids.begin()) / per_part);
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events"));
  }
  for (size_t part = 0; part < parts; ++part) {
    const std::span<const uint64_t> part_ids(ids.data() + part * per_part, std::min(per_part, ids.size() - part * per_part));
    std::unordered_map<uint64_t, Building> building;
    building.reserve(part_ids.size());
    auto add = [&](uint64_t seq, uint64_t oneid) -> Status {
      Building& b = building.try_emplace(oneid, prototypes).first->second;
      b.acc.Add(ev, as_of);
      b.links.Add(ev);
      b.accounts.Add(ev);
      if (deferred) {
        b.rows.Add(seq, ev);
        return Status::OK();
      }
      return w.AddIndexRow(oneid, seq, ev);
    };
    auto it = store->NewCursor(Cf::kEvents);
    if (parts == 1) {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        uint64_t oneid;
        HOLO_RETURN_IF_ERROR(owner(it->value(), &oneid));
        stats->events_scanned++;
        if (oneid != 0) HOLO_RETURN_IF_ERROR(add(coding::DecodeFixed64BE(it->key().data()), oneid));
      }
    } else {
      // This part's events in order: mostly the next record, else a seek.
      for (size_t at = 0; at < part_of.size(); ++at) {
        if (part_of[at] != part) continue;
        const std::string key = keys::EventKey(first_seq + at);
        if (it->Valid() && it->key() < key) it->Next();
        if (!it->Valid() || it->key() != key) it->Seek(key);
        if (!it->Valid() || it->key() != key) {
          HOLO_RETURN_IF_ERROR(it->status().WithContext("read events"));
          continue;
        }
        uint64_t oneid;
        HOLO_RETURN_IF_ERROR(owner(it->value(), &oneid));
        if (oneid != 0) HOLO_RETURN_IF_ERROR(add(first_seq + at, oneid));
      }
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events"));
    const std::vector<uint64_t> sorted(part_ids.begin(), part_ids.end());
    if (deferred) {
      // Rows first, then the profiles and their cleared marks: a crash in between leaves
      // the marks, and the next build compares the rows again.
      HOLO_ASSIGN_OR_RETURN(std::vector<uint64_t> stale, w.StaleIndexes(sorted, [&](uint64_t id) {
        auto b = building.find(id);
        return b == building.end() ? RowSum() : b->second.rows;
      }));
      stats->index_rewritten += stale.size();
      HOLO_RETURN_IF_ERROR(ReindexOneIds(store, stale));
    }
    std::vector<std::unordered_set<uint64_t>> had;
    HOLO_RETURN_IF_ERROR(StoredHolders(*store, w, std::unordered_set<uint64_t>(sorted.begin(), sorted.end()), &had));
    TraitRow row;
    for (uint64_t id : sorted) {
      const std::vector<ProfileAccumulator::Identifier>* m = members_of(id);
      if (m == nullptr) {
        HOLO_RETURN_IF_ERROR(w.Delete(id, &had));
        stats->deleted++;
      } else {
        Building& b = building.try_emplace(id, prototypes).first->second;
        HOLO_RETURN_IF_ERROR(AddStoreVisits(options, *m, as_of, &b.acc));
        const std::string json = Render(&b.acc, id, *m, as_of, options, &row);
        HOLO_RETURN_IF_ERROR(w.Put(id, json, row, b.links.links(), b.accounts.accounts(), b.acc, &had));
        stats->written++;
      }
      stats->changed.push_back(id);
      w.Clear(id);
      HOLO_RETURN_IF_ERROR(w.MaybeFlush());
    }
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
// when one scan of all events is the cheaper way. Without `with_members`, only work->refs
// (the node types are not read).
Result<bool> CollectFromIndex(const storage::Store& store, std::span<const uint64_t> ids, uint64_t max_refs,
                              IndexedWork* work, bool with_members = true) {
  auto git = store.NewCursor(Cf::kGraph);
  auto nit = store.NewCursor(Cf::kNodes);
  auto eit = store.NewCursor(Cf::kNodeEvents);
  for (uint64_t id : ids) {
    std::string prefix = keys::MemberPrefix(id);
    for (git->Seek(prefix); git->Valid() && git->key().starts_with(prefix); git->Next()) {
      Key16 k = keys::ToKey16(git->key().substr(prefix.size()));
      std::string_view node = keys::AsView(k);
      if (with_members) {
        nit->Seek(node);
        storage::StatsRecord rec;
        if (nit->Valid() && nit->key() == node && storage::StatsRecord::Decode(nit->value(), &rec)) {
          work->members[id].push_back({std::move(rec.tail), keys::ToHex(k)});
        } else {
          work->members[id].push_back({std::string(), keys::ToHex(k)});
        }
      }
      for (eit->Seek(node); eit->Valid() && eit->key().starts_with(node); eit->Next()) {
        work->refs.emplace_back(coding::DecodeFixed64BE(eit->key().data() + 16), id);
      }
      if (work->refs.size() > max_refs) return false;
    }
    HOLO_RETURN_IF_ERROR(git->status().WithContext("scan members"));
    HOLO_RETURN_IF_ERROR(nit->status().WithContext("read nodes"));
    HOLO_RETURN_IF_ERROR(eit->status().WithContext("scan node events"));
  }
  std::sort(work->refs.begin(), work->refs.end());
  work->refs.erase(std::unique(work->refs.begin(), work->refs.end()), work->refs.end());
  return true;
}

// Calls `fn(seq, oneid, event)` for each (event seq, OneID) of `refs` (ascending) whose event
// is stored, reading in sequence order with one iterator: new events sit together at the
// end of the events, so the reads are mostly Next(). *decoded: events read.
template <typename Fn>
Status ForEachRefEvent(const storage::Store& store, const std::vector<std::pair<uint64_t, uint64_t>>& refs,
                       uint64_t* decoded_events, Fn fn) {
  auto it = store.NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  uint64_t decoded = UINT64_MAX;
  for (auto [seq, id] : refs) {
    if (seq != decoded) {
      std::string key = keys::EventKey(seq);
      if (it->Valid() && it->key() < key) it->Next();  // the next event is often the one wanted
      if (!it->Valid() || it->key() != key) it->Seek(key);
      if (!it->Valid() || it->key() != key) {
        HOLO_RETURN_IF_ERROR(it->status().WithContext("read events"));
        continue;  // expired or erased since it was indexed
      }
      if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
      decoded = seq;
      ++*decoded_events;
    }
    HOLO_RETURN_IF_ERROR(fn(seq, id, ev));
  }
  return Status::OK();
}

Status ReindexOneIds(storage::Store* store, const std::vector<uint64_t>& ids) {
  // In chunks of OneIDs, so that a store whose every OneID is rewritten (the first full
  // rebuild of a store written before fingerprints) holds one chunk's references at a time.
  constexpr size_t kChunk = 65536;
  Writer w(store);
  for (size_t begin = 0; begin < ids.size(); begin += kChunk) {
    const std::span<const uint64_t> chunk(ids.data() + begin, std::min(kChunk, ids.size() - begin));
    IndexedWork work;
    HOLO_RETURN_IF_ERROR(CollectFromIndex(*store, chunk, UINT64_MAX, &work, /*with_members=*/false).status());
    uint64_t decoded = 0;
    HOLO_RETURN_IF_ERROR(ForEachRefEvent(*store, work.refs, &decoded, [&](uint64_t seq, uint64_t id,
                                                                     const storage::EventRecord& ev) {
      return w.AddIndexRow(id, seq, ev);
    }));
    for (uint64_t id : chunk) {
      HOLO_RETURN_IF_ERROR(w.FinishIndex(id));
      HOLO_RETURN_IF_ERROR(w.MaybeFlush());
    }
  }
  return w.MaybeFlush(/*sync=*/true);  // the last rows (and the WAL before the marks go)
}

// Reads only the events of the dirty OneIDs (ForEachRefEvent): the cost follows the changed
// profiles' events rather than the size of the store.
Status BuildFromIndex(storage::Store* store, const std::vector<uint64_t>& ids, const IndexedWork& work,
                      int64_t as_of, const BuildOptions& options, BuildStats* stats) {
  const std::vector<ComputedTraitAccumulator> prototypes = Prototypes(options.computed.get());
  std::unordered_map<uint64_t, Building> building;
  Writer w(store, options.computed.get());
  HOLO_RETURN_IF_ERROR(ForEachRefEvent(*store, work.refs, &stats->events_scanned, [&](uint64_t seq, uint64_t id,
                                                                                     const storage::EventRecord& ev) {
    Building& b = building.try_emplace(id, prototypes).first->second;
    b.acc.Add(ev, as_of);
    b.links.Add(ev);
    b.accounts.Add(ev);
    return w.AddIndexRow(id, seq, ev);
  }));
  TraitRow row;
  for (uint64_t id : ids) {
    stats->changed.push_back(id);
    auto m = work.members.find(id);
    if (m == work.members.end()) {
      HOLO_RETURN_IF_ERROR(w.Delete(id, nullptr));
      stats->deleted++;
    } else {
      Building& b = building.try_emplace(id, prototypes).first->second;
      HOLO_RETURN_IF_ERROR(AddStoreVisits(options, m->second, as_of, &b.acc));
      const std::string json = Render(&b.acc, id, m->second, as_of, options, &row);
      HOLO_RETURN_IF_ERROR(w.Put(id, json, row, b.links.links(), b.accounts.accounts(), b.acc, nullptr));
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
    auto it = store->NewCursor(Cf::kMeta);
    const std::string_view prefix = keys::kDirtyProfilePrefix;
    for (it->Seek(prefix);
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      dirty.insert(DecodeOneId(it->key().substr(prefix.size())));
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan dirty profiles"));
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
    if (options.profiles_bound != 0) profiles = std::min(profiles, options.profiles_bound);
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
  if (s.ok() && stats->full && options.log) {
    options.log("profiles: event index rows rewritten for " + std::to_string(stats->index_rewritten) + " of " +
                std::to_string(dirty.size()) + " OneIDs (the others' rows were unchanged)");
  }
  return s;
}

namespace {

// Returns the JSON text of `name` as a member name, quotes included.
std::string QuotedName(std::string_view name) {
  std::string quoted;
  JsonWriter(&quoted).String(name);
  return quoted;
}

}  // namespace

std::vector<const AggregateSpec*> StoredComputedTraits(const std::vector<AggregateSpec>& computed) {
  const auto& builtin = BuiltinTraitNames();
  std::vector<const AggregateSpec*> out;
  for (const AggregateSpec& spec : computed) {
    const std::string& name = spec.TraitName();
    if (std::find(builtin.begin(), builtin.end(), name) != builtin.end()) continue;  // the built-in keeps it
    if (std::any_of(out.begin(), out.end(), [&](const AggregateSpec* s) { return s->TraitName() == name; })) continue;
    out.push_back(&spec);
  }
  return out;
}

namespace {

// One OneID range of an event name's index rows and what its scan found.
struct ScanPart {
  uint64_t first = 0;  // OneIDs in [first, end); end 0: to the last
  uint64_t end = 0;
  std::vector<uint64_t> oneids;  // with a value, ascending
  std::vector<ComputedTraitAccumulator> values;  // by oneids, until written
  std::vector<double> numbers;                   // by oneids once written, for a numeric trait
  std::vector<std::string> texts;                // otherwise
  std::optional<storage::WriteBatch> batch;      // the values encoded, written by the caller
  uint64_t scanned = 0;
  double scan_seconds = 0;
  Status status;
};

// Encodes the values of `part` as the rows of the column `name` into part->batch (the caller
// writes the parts' batches in order) and keeps them as numbers or texts.
void EncodeColumnPart(const storage::Store& store, const std::string& name, bool numeric, ScanPart* part) {
  storage::WriteBatch& batch = part->batch.emplace(store);
  std::string key = keys::ComputedValuePrefix(name), value, scratch;
  const size_t prefix = key.size();
  for (size_t i = 0; i < part->oneids.size(); ++i) {
    const ComputedTraitAccumulator& a = part->values[i];
    key.resize(prefix);
    coding::PutFixed64BE(&key, part->oneids[i]);
    EncodeComputedInto(a, &scratch, &value);
    batch.Put(Cf::kSegments, key, value);
    if (numeric) {
      part->numbers.push_back(a.NumberValue());
    } else {
      part->texts.push_back(a.TextValue());
    }
  }
  part->values.clear();
}

// The threads that scan an event name's rows: one per core, at most 4.
unsigned ScanThreads() { return std::min(4u, std::max(1u, std::thread::hardware_concurrency())); }

// Splits the index rows under `prefix` (an event name's) into OneID ranges of about equal
// span, four per scan thread, when there are enough OneIDs to be worth a thread: the threads
// take the ranges one after another, so a range denser in events than the others does not
// leave a thread idle. `tail`: the key bytes after `prefix` (kEventNameKeyTail for rows,
// kEventProjectionKeyTail for projection blocks).
std::vector<ScanPart> SplitByOneId(const storage::Store& store, const std::string& prefix, size_t tail) {
  std::vector<ScanPart> parts(1);
  const unsigned threads = ScanThreads();
  if (threads < 2) return parts;
  auto it = store.NewCursor(Cf::kEventIndex);
  it->Seek(prefix);
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + tail) {
    return parts;
  }
  const uint64_t lo = coding::DecodeFixed64BE(it->key().data() + prefix.size());
  it->SeekForPrev(keys::PrefixSuccessor(prefix));
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + tail) {
    return parts;
  }
  const uint64_t hi = coding::DecodeFixed64BE(it->key().data() + prefix.size());
  constexpr uint64_t kMinOneIdsPerPart = 2048;
  if (hi < lo || hi - lo < kMinOneIdsPerPart * 4) return parts;
  const uint64_t n = std::min<uint64_t>(threads * 4, (hi - lo) / kMinOneIdsPerPart);
  const uint64_t step = (hi - lo) / n + 1;
  parts = std::vector<ScanPart>(n);
  for (uint64_t i = 0; i < n; ++i) {
    parts[i].first = i == 0 ? 0 : lo + i * step;
    parts[i].end = i + 1 == n ? 0 : lo + (i + 1) * step;
  }
  return parts;
}

// A cursor over the keys under `prefix` of the OneIDs in part's range, at the first of them.
std::unique_ptr<storage::Cursor> OpenPart(const storage::Store& store, const std::string& prefix, const ScanPart& part) {
  storage::ScanOptions scan;
  scan.upper_bound = part.end == 0 ? keys::PrefixSuccessor(prefix) : OneIdBound(prefix, part.end);
  auto idx = store.NewCursor(Cf::kEventIndex, scan);
  idx->Seek(part.first == 0 ? prefix : OneIdBound(prefix, part.first));
  return idx;
}

// Whether an event is past its source's retention window (storage::Retention), judged at one
// clock reading for a whole scan; no lock is taken while no window is set.
class RetentionCheck {
 public:
  explicit RetentionCheck(const storage::Retention& retention)
      : retention_(retention), any_(!retention.empty()), now_ms_(retention.Now()) {}
  bool operator()(std::string_view source, int64_t timestamp_ms) const {
    return any_ && retention_.Expired(source, timestamp_ms, now_ms_);
  }

 private:
  const storage::Retention& retention_;
  const bool any_;
  const int64_t now_ms_;
};

// Aggregates `spec` over the projection blocks under `prefix` (keys::EventProjectionKey) of
// the OneIDs in part's range: one entry per OneID. An event outside the window is skipped on
// its head; so is one past its source's retention window (the compaction filter drops such
// rows, but not out of a block: a block follows when its OneID is rebuilt).
Status ScanProjectionBlocks(const storage::Store& store, const AggregateSpec& spec, const std::string& prefix,
                            int64_t as_of_ms, ScanPart* part) {
  auto idx = OpenPart(store, prefix, *part);
  storage::EventRecord ev;
  const RetentionCheck expired(store.retention());
  const ComputedTraitAccumulator prototype(&spec);  // what each OneID's accumulator shares
  // A count of events reads no property: each record is taken from its view, not decoded.
  const bool heads = prototype.CountsWithoutProperties();
  for (; idx->Valid() && idx->key().starts_with(prefix); idx->Next()) {
    if (idx->key().size() != prefix.size() + keys::kEventProjectionKeyTail) continue;
    std::string_view block = idx->value();
    if (!storage::OpenEventBlock(&block)) return Status::DataLoss("corrupt projection block of '" + spec.event + "'");
    ComputedTraitAccumulator acc = prototype.Fresh();
    std::string_view record;
    while (!block.empty()) {
      if (!storage::NextInEventBlock(&block, &record)) {
        return Status::DataLoss("corrupt projection block of '" + spec.event + "'");
      }
      part->scanned++;
      int64_t ts;
      std::string_view source, properties;
      uint8_t msg_type;
      const bool decoded = heads ? storage::DecodeEventView(record, &msg_type, &ts, &source, &properties)
                                 : storage::DecodeEventHead(record, &ts, &source);
      if (!decoded) return Status::DataLoss("corrupt projection block of '" + spec.event + "'");
      if (!acc.InWindow(ts, as_of_ms) || expired(source, ts)) continue;
      if (heads) {
        acc.CountEvent(msg_type, source, properties);  // of spec.event: the key holds the name
        continue;
      }
      if (!ev.DecodeFrom(record)) return Status::DataLoss("corrupt projection block of '" + spec.event + "'");
      ev.event = spec.event;  // the key holds the name
      acc.Add(ev, as_of_ms);
    }
    if (acc.events() > 0) {
      part->oneids.push_back(coding::DecodeFixed64BE(idx->key().data() + prefix.size()));
      part->values.push_back(std::move(acc));
    }
  }
  return idx->status().WithContext("scan the event index projection");
}

// Aggregates `spec` over the index rows under `prefix` of the OneIDs in part's range: each
// OneID's value is complete when the next OneID starts; an event outside the window is
// skipped on its head, before anything else of it is decoded; so is one past its source's
// retention window.
Status ScanNamedEvents(const storage::Store& store, const AggregateSpec& spec, const std::string& prefix,
                       int64_t as_of_ms, ScanPart* part) {
  auto idx = OpenPart(store, prefix, *part);
  storage::EventRecord ev;
  const RetentionCheck expired(store.retention());  // rows the compaction has not dropped yet
  const ComputedTraitAccumulator prototype(&spec);  // what each OneID's accumulator shares
  std::optional<ComputedTraitAccumulator> current;
  uint64_t current_oneid = 0;
  auto close = [&] {
    if (current.has_value() && current->events() > 0) {
      part->oneids.push_back(current_oneid);
      part->values.push_back(std::move(*current));
    }
    current.reset();
  };
  for (; idx->Valid() && idx->key().starts_with(prefix); idx->Next()) {
    if (idx->key().size() != prefix.size() + keys::kEventNameKeyTail) continue;
    const uint64_t oneid = coding::DecodeFixed64BE(idx->key().data() + prefix.size());
    if (!current.has_value() || oneid != current_oneid) {
      close();
      current.emplace(prototype.Fresh());
      current_oneid = oneid;
    }
    part->scanned++;
    int64_t ts;
    std::string_view source;
    if (!storage::DecodeEventHead(idx->value(), &ts, &source)) {
      return Status::DataLoss("corrupt event index row of '" + spec.event + "'");
    }
    if (!current->InWindow(ts, as_of_ms) || expired(source, ts)) continue;
    if (!ev.DecodeFrom(idx->value())) return Status::DataLoss("corrupt event index row of '" + spec.event + "'");
    ev.event = spec.event;  // the key holds the name
    current->Add(ev, as_of_ms);
  }
  HOLO_RETURN_IF_ERROR(idx->status().WithContext("scan the event index"));
  close();
  return Status::OK();
}

// Makes sure the projection of `spec`'s event keeps every property `spec` reads: when it
// does not (or there is none), builds it anew from the name's rows, keeping those it kept and
// these. The record naming the kept properties goes first (so a crash leaves no projection,
// not a partial one) and comes back last. *rows: projection rows written. False when the
// name has no rows (nothing to project).
Result<bool> EnsureProjection(storage::Store* store, const AggregateSpec& spec, uint64_t* rows) {
  *rows = 0;
  Projections projections;
  HOLO_RETURN_IF_ERROR(LoadProjections(*store, &projections));
  const std::vector<std::string> needed = PropertiesRead(spec);
  std::vector<std::string> kept;
  if (auto p = projections.find(spec.event); p != projections.end()) {
    if (std::includes(p->second.begin(), p->second.end(), needed.begin(), needed.end())) return true;
    kept = p->second;
  }
  kept.insert(kept.end(), needed.begin(), needed.end());
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  const std::string rows_prefix = keys::EventNamePrefix(spec.event);
  const std::string projection_prefix = keys::EventProjectionPrefix(spec.event);
  {
    storage::WriteBatch clear(*store);
    clear.Delete(Cf::kMeta, keys::EventProjectionMetaKey(spec.event));
    clear.DeleteRange(Cf::kEventIndex, projection_prefix, keys::PrefixSuccessor(projection_prefix));
    HOLO_RETURN_IF_ERROR(store->Write(&clear, /*sync=*/true));
  }
  storage::WriteBatch batch(*store);
  auto it = store->NewCursor(Cf::kEventIndex);
  storage::EventRecord ev;
  uint64_t oneid = 0;
  std::string block;
  auto put_block = [&]() -> Status {
    if (block.empty()) return Status::OK();
    batch.Put(Cf::kEventIndex, keys::EventProjectionKey(spec.event, oneid), block);
    block.clear();
    if (batch.Count() < 10000) return Status::OK();
    HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/false));
    batch.Clear();
    return Status::OK();
  };
  for (it->Seek(rows_prefix); it->Valid() && it->key().starts_with(rows_prefix); it->Next()) {
    if (it->key().size() != rows_prefix.size() + keys::kEventNameKeyTail) continue;
    if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event index row of '" + spec.event + "'");
    const uint64_t row_oneid = coding::DecodeFixed64BE(it->key().data() + rows_prefix.size());
    if (row_oneid != oneid) {
      HOLO_RETURN_IF_ERROR(put_block());
      oneid = row_oneid;
    }
    storage::AppendToEventBlock(&block, EventProjectionValue(ev, kept));
    ++*rows;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan the event index"));
  HOLO_RETURN_IF_ERROR(put_block());
  if (*rows == 0) return false;
  batch.Put(Cf::kMeta, keys::EventProjectionMetaKey(spec.event), EncodeProjectedKeys(kept));
  HOLO_RETURN_IF_ERROR(store->Write(&batch, /*sync=*/true));
  return true;
}

}  // namespace

void DropComputedValues(const std::string& name, storage::WriteBatch* batch) {
  const std::string begin = keys::ComputedValuePrefix(name);
  std::string end = begin;
  end.back() = '\1';
  batch->DeleteRange(Cf::kSegments, begin, end);
}

Status AddComputedTrait(storage::Store* store, const AggregateSpec& spec, int64_t as_of_ms, bool replace,
                        BuildStats* stats, ComputedColumn* column, bool use_projection) {
  if (spec.event.empty()) return Status::InvalidArgument("AddComputedTrait needs an event name");
  const auto start = std::chrono::steady_clock::now();
  *stats = BuildStats();
  stats->as_of_ms = as_of_ms;
  *column = ComputedColumn();
  column->name = spec.TraitName();
  column->numeric = ComputedTraitAccumulator(&spec).numeric();
  if (StoredComputedTraits({spec}).empty()) return Status::OK();  // a built-in name: never stored
  // 1. The rows to read: the name's projection when it keeps every property the trait reads
  //    (built now, with those added, when it does not), else the full rows.
  std::string prefix = keys::EventNamePrefix(spec.event);
  bool projected = false;
  if (use_projection) {
    HOLO_ASSIGN_OR_RETURN(projected, EnsureProjection(store, spec, &stats->projection_rows));
    if (projected) prefix = keys::EventProjectionPrefix(spec.event);
  }
  // 2. The column's old values go first (a redefinition), with a new profiles' epoch.
  {
    Writer w(store);
    w.MarkChanged();
    if (replace) w.DropColumn(column->name);
    HOLO_RETURN_IF_ERROR(w.Flush(/*sync=*/false));
  }

  // 3. The rows of the named events, one OneID after another (the key holds it), read in
  //    OneID ranges by parallel threads, each taking the next range when done with one and
  //    encoding its part of the column (the OneIDs with a value; no profile is read or
  //    written) as soon as it is read; the ranges are in order, so the column is too. The
  //    parts are written after, in order, and the WAL is synced once.
  {
    std::vector<ScanPart> parts = SplitByOneId(*store, prefix, projected ? keys::kEventProjectionKeyTail : keys::kEventNameKeyTail);
    auto scan = [&](ScanPart* part) {
      const auto scan_start = std::chrono::steady_clock::now();
      part->status = projected ? ScanProjectionBlocks(*store, spec, prefix, as_of_ms, part)
                               : ScanNamedEvents(*store, spec, prefix, as_of_ms, part);
      part->scan_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count();
      if (part->status.ok()) EncodeColumnPart(*store, column->name, column->numeric, part);
    };
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next.fetch_add(1); i < parts.size(); i = next.fetch_add(1)) scan(&parts[i]);
    };
    const size_t workers = std::min<size_t>(ScanThreads(), parts.size());
    stats->scan_threads = static_cast<unsigned>(workers);
    std::vector<std::thread> threads;
    for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    for (ScanPart& part : parts) {
      HOLO_RETURN_IF_ERROR(part.status);
      stats->events_scanned += part.scanned;
      stats->scan_seconds += part.scan_seconds / static_cast<double>(workers);  // per thread, on average
      column->oneids.insert(column->oneids.end(), part.oneids.begin(), part.oneids.end());
      column->numbers.insert(column->numbers.end(), part.numbers.begin(), part.numbers.end());
      for (std::string& t : part.texts) column->texts.push_back(std::move(t));
    }
    // Written in OneID order from one thread: RocksDB's memtable inserts ascending keys
    // fastest from one writer (concurrent writers each search the skip list afresh).
    for (ScanPart& part : parts) {
      if (part.batch.has_value()) HOLO_RETURN_IF_ERROR(store->Write(&*part.batch, /*sync=*/false));
    }
  }
  HOLO_RETURN_IF_ERROR(store->SyncWal());
  stats->written = column->oneids.size();
  stats->changed = column->oneids;
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status::OK();
}

Status RebuildEventIndex(storage::Store* store, uint64_t* rows) {
  *rows = 0;
  {
    // Every row goes, old layouts included (a range tombstone; the compaction reclaims them).
    storage::WriteBatch clear(*store);
    clear.DeleteRange(Cf::kEventIndex, "", std::string(keys::kEventNamesKeySize + 1, '\xff'));
    // Projections too (the next definition over a name builds its own again).
    Projections projections;
    HOLO_RETURN_IF_ERROR(LoadProjections(*store, &projections));
    for (const auto& [name, kept] : projections) clear.Delete(Cf::kMeta, keys::EventProjectionMetaKey(name));
    HOLO_RETURN_IF_ERROR(store->Write(&clear, /*sync=*/false));
  }
  PlacedNodes placed;
  HOLO_RETURN_IF_ERROR(placed.Load(*store, /*with_types=*/false));
  Writer w(store);
  w.SetIndexEmpty();
  std::unordered_set<uint64_t> oneids;
  auto it = store->NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!ev.DecodeFrom(it->value())) return Status::DataLoss("corrupt event record");
    const int owner = AttributionIndex(ev);
    if (owner < 0 || !IndexedForTraits(ev)) continue;
    const uint64_t oneid = placed.OneIdOf(ev.ids[owner].pseudonym);
    if (oneid == 0) continue;  // not resolved yet: its rebuild writes it
    HOLO_RETURN_IF_ERROR(w.AddIndexRow(oneid, coding::DecodeFixed64BE(it->key().data()), ev));
    oneids.insert(oneid);
    ++*rows;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan events for the event index"));
  for (uint64_t oneid : oneids) {
    HOLO_RETURN_IF_ERROR(w.FinishIndex(oneid));
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  return w.MaybeFlush(/*sync=*/true);
}

namespace {

// A stored computed value (its JSON: a number, a string or null) as a trait value.
Result<TraitValue> ComputedTraitValue(std::string_view json, const std::string& name) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element v;
  if (parser.parse(json.data(), json.size()).get(v) != simdjson::SUCCESS) {
    return Status::DataLoss("corrupt value of computed trait " + name);
  }
  double d;
  std::string_view text;
  if (v.get_double().get(d) == simdjson::SUCCESS) return TraitValue(d);
  if (v.get_string().get(text) == simdjson::SUCCESS) return TraitValue(std::string(text));
  return TraitValue();
}


}  // namespace

Status ReadComputedColumn(const storage::Store& store, const AggregateSpec& spec, ComputedColumn* column) {
  *column = ComputedColumn();
  column->name = spec.TraitName();
  column->numeric = ComputedTraitAccumulator(&spec).numeric();
  const std::string prefix = keys::ComputedValuePrefix(column->name);
  auto it = store.NewCursor(Cf::kSegments);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view value, meta;
    if (it->key().size() != prefix.size() + 8 || !DecodeComputed(it->value(), &value, &meta)) {
      return Status::DataLoss("corrupt value of computed trait " + column->name);
    }
    HOLO_ASSIGN_OR_RETURN(TraitValue v, ComputedTraitValue(value, column->name));
    if (const double* d = std::get_if<double>(&v); column->numeric && d != nullptr) {
      column->numbers.push_back(*d);
    } else if (std::string* text = std::get_if<std::string>(&v); !column->numeric && text != nullptr) {
      column->texts.push_back(std::move(*text));
    } else {
      continue;  // null: not stored by the writers
    }
    column->oneids.push_back(coding::DecodeFixed64BE(it->key().data() + prefix.size()));
  }
  return it->status().WithContext("scan computed trait " + column->name);
}

struct ComputedTraitReader::Column {
  const AggregateSpec* spec;
  std::string quoted;  // the name as a JSON member name
  std::string prefix;  // keys::ComputedValuePrefix
  std::unique_ptr<storage::Cursor> it;
  std::string last;         // the key of the last Join: the iterator is at or after it
  bool positioned = false;
};

ComputedTraitReader::ComputedTraitReader(const storage::Store& store, const std::vector<AggregateSpec>& computed) {
  for (const AggregateSpec* spec : StoredComputedTraits(computed)) {
    columns_.push_back(Column{spec, QuotedName(spec->TraitName()), keys::ComputedValuePrefix(spec->TraitName()),
                              store.NewCursor(Cf::kSegments), std::string(), false});
  }
}

ComputedTraitReader::~ComputedTraitReader() = default;

Status ComputedTraitReader::Join(uint64_t oneid, std::string* json) {
  if (columns_.empty()) return Status::OK();
  std::string traits, metas;
  for (Column& c : columns_) {
    // A profile written before computed traits were stored apart holds its own value.
    if (json->find(c.quoted + ":") != std::string::npos) {
      simdjson::dom::parser parser;
      simdjson::dom::element old;
      if (parser.parse(*json)["traits"][c.spec->TraitName()].get(old) == simdjson::SUCCESS) continue;
    }
    std::string key = c.prefix;
    coding::PutFixed64BE(&key, oneid);
    if (!c.positioned || key < c.last) {
      c.it->Seek(key);
      c.positioned = true;
    } else {
      // Profiles are usually read in OneID order: a few Next() reach the next stored value.
      for (int step = 0; step < 8 && c.it->Valid() && c.it->key() < key; ++step) c.it->Next();
      if (c.it->Valid() && c.it->key() < key) c.it->Seek(key);
    }
    c.last = key;
    HOLO_RETURN_IF_ERROR(c.it->status().WithContext("read computed traits"));
    std::string_view value = DefaultValueJson(*c.spec), meta;
    if (c.it->Valid() && c.it->key() == key && !DecodeComputed(c.it->value(), &value, &meta)) {
      return Status::DataLoss("corrupt value of computed trait " + c.spec->TraitName());
    }
    traits += "," + c.quoted + ":";
    traits += value;
    if (!meta.empty()) {
      metas += "," + c.quoted + ":";
      metas += meta;
    }
  }
  // "traits" then "trait_meta" then "completeness", as ToJson writes them; a profile never
  // has an empty "traits", and the markers cannot occur inside a JSON string.
  const size_t traits_end = json->find("},\"trait_meta\":");
  const size_t meta_end = json->find("},\"completeness\":", traits_end);
  if (traits_end == std::string::npos || meta_end == std::string::npos) return Status::DataLoss("profile without trait_meta");
  if (!metas.empty()) {
    if ((*json)[meta_end - 1] == '{') metas.erase(0, 1);
    json->insert(meta_end, metas);
  }
  if ((*json)[traits_end - 1] == '{') traits.erase(0, 1);
  json->insert(traits_end, traits);
  return Status::OK();
}

Status MoveComputedTraitsToColumns(storage::Store* store, const std::vector<std::string>& names, uint64_t* moved) {
  *moved = 0;
  if (names.empty()) return Status::OK();
  simdjson::dom::parser parser;
  Writer w(store);
  auto it = store->NewCursor(Cf::kProfiles);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t oneid = coding::DecodeFixed64BE(it->key().data());
    simdjson::dom::object root;
    if (parser.parse(it->value().data(), it->value().size()).get_object().get(root) != simdjson::SUCCESS) {
      return Status::DataLoss("profile of OneID " + std::to_string(oneid) + " is not valid JSON");
    }
    std::map<std::string, std::pair<std::string, std::string>> found;  // name -> (value, meta)
    std::string out;
    JsonWriter jw(&out);
    jw.BeginObject();
    for (auto [key, value] : root) {
      jw.Key(key);
      simdjson::dom::object inner;
      if ((key != "traits" && key != "trait_meta") || value.get_object().get(inner) != simdjson::SUCCESS) {
        jw.RawValue(simdjson::minify(value));
        continue;
      }
      jw.BeginObject();
      for (auto [k, v] : inner) {
        if (std::find(names.begin(), names.end(), k) == names.end()) {
          jw.Key(k).RawValue(simdjson::minify(v));
        } else {
          (key == "traits" ? found[std::string(k)].first : found[std::string(k)].second) = simdjson::minify(v);
        }
      }
      jw.EndObject();
    }
    jw.EndObject();
    if (found.empty()) continue;
    for (const auto& [name, vm] : found) {
      if (vm.second.empty()) continue;  // no meta: the default, which is not stored
      std::string value;
      coding::PutLengthPrefixed(&value, vm.first);
      value += vm.second;
      w.PutComputed(name, oneid, value);
    }
    w.PutProfile(oneid, out);
    ++*moved;
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan profiles"));
  return w.MaybeFlush(/*sync=*/true);
}

Status ScanTraitRows(const storage::Store& store, const std::function<Status(uint64_t, TraitRow*)>& fn) {
  const std::string prefix(1, keys::kTraitRowTag);
  auto it = store.NewCursor(Cf::kSegments);
  TraitRow row;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const uint64_t oneid = it->key().size() == 9 ? coding::DecodeFixed64BE(it->key().data() + 1) : 0;
    if (oneid == 0 || !DecodeTraitRow(it->value(), &row)) {
      return Status::DataLoss("corrupt typed trait row in the segments column family");
    }
    HOLO_RETURN_IF_ERROR(fn(oneid, &row));
  }
  return it->status().WithContext("scan trait rows");
}

Result<std::optional<TraitRow>> ReadTraitRow(const storage::Store& store, uint64_t oneid,
                                             const std::vector<AggregateSpec>& computed) {
  HOLO_ASSIGN_OR_RETURN(auto stored, store.Get(Cf::kSegments, keys::TraitRowKey(oneid)));
  if (!stored.has_value()) return std::optional<TraitRow>();
  TraitRow row;
  if (!DecodeTraitRow(*stored, &row)) {
    return Status::DataLoss("corrupt typed trait row of OneID " + std::to_string(oneid));
  }
  for (const AggregateSpec* spec : StoredComputedTraits(computed)) {
    const std::string& name = spec->TraitName();
    HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kSegments, keys::ComputedValueKey(name, oneid)));
    std::string_view value = DefaultValueJson(*spec), meta;
    if (v.has_value() && !DecodeComputed(*v, &value, &meta)) return Status::DataLoss("corrupt value of computed trait " + name);
    HOLO_ASSIGN_OR_RETURN(TraitValue typed, ComputedTraitValue(value, name));
    row.emplace_back(name, std::move(typed));
  }
  return std::optional<TraitRow>(std::move(row));
}

Status BackfillTraitRows(storage::Store* store, uint64_t* rows) {
  *rows = 0;
  Writer w(store);
  auto it = store->NewCursor(Cf::kProfiles);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    HOLO_ASSIGN_OR_RETURN(TraitRow row, TraitRowFromProfileJson(it->value()));
    w.PutTraitRow(coding::DecodeFixed64BE(it->key().data()), row);
    ++*rows;
    HOLO_RETURN_IF_ERROR(w.MaybeFlush());
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan profiles"));
  return w.MaybeFlush(/*sync=*/true);
}

Result<std::optional<std::string>> ReadProfile(const storage::Store& store, uint64_t oneid,
                                               const std::vector<AggregateSpec>& computed) {
  HOLO_ASSIGN_OR_RETURN(auto json, store.Get(Cf::kProfiles, keys::ProfileKey(oneid)));
  if (json.has_value()) {
    ComputedTraitReader reader(store, computed);
    HOLO_RETURN_IF_ERROR(reader.Join(oneid, &*json));
  }
  return json;
}

}  // namespace holo::profile
