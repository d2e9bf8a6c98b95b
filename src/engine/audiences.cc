#include "engine/audiences.h"

#include <simdjson.h>

#include <algorithm>

#include "common/coding.h"
#include "profile/people_graph.h"
#include "profile/profile_store.h"
#include "segment/evaluator.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using keys::SegmentsKey;

Status CheckRow(uint64_t oneid) {
  if (oneid > UINT32_MAX) return Status::OutOfRange("OneID " + std::to_string(oneid) + " does not fit a segment bitmap");
  return Status::OK();
}

// The value of a computed trait for people whose profile does not store one.
segment::TraitValue DefaultOf(const profile::AggregateSpec& spec) {
  if (profile::DefaultValueJson(spec) == "0") return 0.0;
  return std::monostate();
}

// A computed trait's stored values as trait-table rows (profile::ReadComputedColumn).
Result<std::vector<std::pair<uint32_t, segment::TraitValue>>> ColumnRows(const profile::ComputedColumn& column) {
  std::vector<std::pair<uint32_t, segment::TraitValue>> values;
  values.reserve(column.oneids.size());
  for (size_t r = 0; r < column.oneids.size(); ++r) {
    HOLO_RETURN_IF_ERROR(CheckRow(column.oneids[r]));
    values.emplace_back(static_cast<uint32_t>(column.oneids[r]),
                        column.numeric ? segment::TraitValue(column.numbers[r]) : segment::TraitValue(column.texts[r]));
  }
  return values;
}

// Whether any segment is saved in the store.
Result<bool> AnySavedSegment(const storage::Store& store) {
  auto it = store.NewCursor(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kSegmentTag, "");
  it->Seek(prefix);
  const bool any = it->Valid() && it->key().starts_with(prefix);
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan segments"));
  return any;
}

}  // namespace

struct Audiences::Loaded {
  std::unique_ptr<segment::TraitTable> table;
  std::unique_ptr<segment::SegmentSet> segments;
  std::string epoch;
  std::vector<std::string> reconciled;  // saved segments whose members changed on load
};

Audiences::Audiences(storage::Store* store, Log log) : store_(store), log_(std::move(log)) {
  computed_ = std::make_shared<const std::vector<profile::AggregateSpec>>();
}

Audiences::~Audiences() = default;

void Audiences::SetLog(Log log) {
  MutexLock lock(&update_mu_);
  log_ = std::move(log);
}

// ---- computed traits ----

Status Audiences::LoadComputedTraits() {
  MutexLock update(&update_mu_);
  return LoadComputedTraitsLocked();
}

Status Audiences::LoadComputedTraitsLocked() {
  auto list = std::make_shared<std::vector<profile::AggregateSpec>>();
  HOLO_ASSIGN_OR_RETURN(auto stored, ListComputedTraits());
  for (auto& [name, definition] : stored) {
    auto expr = segment::Parse(definition);
    if (!expr.ok()) return Status::DataLoss("stored computed trait " + name + ": " + expr.status().message());
    auto aggs = segment::Aggregates(*expr);
    if (aggs.size() != 1) return Status::DataLoss("stored computed trait " + name + " is not one aggregate");
    aggs[0].name = name;
    list->push_back(std::move(aggs[0]));
  }
  WriterLock lock(&mu_);
  computed_ = std::move(list);
  return Status::OK();
}

Audiences::ComputedList Audiences::ComputedTraits() const {
  ReaderLock lock(&mu_);
  return computed_;
}

bool Audiences::IsComputedTrait(const std::string& name) const {
  ComputedList list = ComputedTraits();
  return std::any_of(list->begin(), list->end(), [&](const profile::AggregateSpec& c) { return c.TraitName() == name; });
}

Status Audiences::RegisterComputedTraits(const std::vector<profile::AggregateSpec>& specs,
                                         const std::vector<std::string>& definitions) {
  {
    MutexLock update(&update_mu_);
    storage::WriteBatch batch(*store_);
    for (size_t i = 0; i < specs.size(); ++i) {
      batch.Put(Cf::kSegments, SegmentsKey(keys::kComputedTraitTag, specs[i].TraitName()), definitions[i]);
    }
    HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  }
  return LoadComputedTraits();
}

Status Audiences::DropComputedTrait(std::string_view name) {
  MutexLock update(&update_mu_);
  if (!IsComputedTrait(std::string(name))) {
    return Status::NotFound("no computed trait '" + std::string(name) + "' (holo trait list)");
  }
  // The saved segments that read it (loaded now if there are any).
  HOLO_RETURN_IF_ERROR(LoadIfAnySegmentLocked());
  std::vector<std::string> users;
  {
    ReaderLock lock(&mu_);
    if (segments_ != nullptr) {
      for (const segment::SegmentInfo& info : segments_->List()) {
        auto expr = segment::Parse(info.definition);
        if (!expr.ok()) return Status::DataLoss("saved segment " + info.name + ": " + expr.status().message());
        const std::vector<std::string> reads = segment::ReferencedTraits(*expr);
        if (std::binary_search(reads.begin(), reads.end(), std::string(name))) users.push_back(info.name);
      }
    }
  }
  if (!users.empty()) {
    std::string list;
    for (const std::string& u : users) list += (list.empty() ? "'" : ", '") + u + "'";
    return Status::FailedPrecondition("computed trait '" + std::string(name) + "' is read by saved segment" +
                                      (users.size() > 1 ? "s " : " ") + list + ": drop or redefine them first");
  }
  storage::WriteBatch batch(*store_);
  batch.Delete(Cf::kSegments, SegmentsKey(keys::kComputedTraitTag, name));
  profile::DropComputedValues(std::string(name), &batch);
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  HOLO_RETURN_IF_ERROR(LoadComputedTraitsLocked());
  if (!loaded()) return Status::OK();
  // The table read again without the column (a rare change: no column removal in place);
  // no saved segment reads it, so the memberships stand.
  HOLO_ASSIGN_OR_RETURN(std::string epoch, ProfilesEpoch());
  return ReloadTableLocked(epoch);
}

Result<std::vector<std::pair<std::string, std::string>>> Audiences::ListComputedTraits() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = store_->NewCursor(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kComputedTraitTag, "");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(std::string(it->key().substr(1)), std::string(it->value()));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan computed traits"));
  return out;
}

// ---- loading ----

Result<std::string> Audiences::ProfilesEpoch() const {
  HOLO_ASSIGN_OR_RETURN(auto epoch, store_->Get(Cf::kMeta, keys::kProfilesEpoch));
  return epoch.value_or("");
}

Result<std::vector<std::pair<std::string, Roaring>>> Audiences::ReadLists() const {
  std::vector<std::pair<std::string, Roaring>> lists;
  auto it = store_->NewCursor(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kMemberListTag, "");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string_view v = it->value();
    Roaring members = Roaring::readSafe(v.data(), v.size());
    lists.emplace_back(std::string(it->key().substr(1)), std::move(members));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan member lists"));
  return lists;
}

namespace {
// Appends the names of the lists `oneid` is on (the set trait Audiences::kListTrait).
void AddLists(const std::vector<std::pair<std::string, Roaring>>& lists, uint64_t oneid, segment::TraitRow* row) {
  std::vector<std::string> on;
  for (const auto& [name, members] : lists) {
    if (members.contains(static_cast<uint32_t>(oneid))) on.push_back(name);
  }
  if (!on.empty()) row->emplace_back(std::string(Audiences::kListTrait), std::move(on));
}
}  // namespace

Status Audiences::SaveList(std::string_view name, const Roaring& members) {
  HOLO_RETURN_IF_ERROR(segment::SegmentSet::ValidateName(name));
  std::vector<uint64_t> changed;
  {
    MutexLock lock(&update_mu_);
    HOLO_ASSIGN_OR_RETURN(auto old, store_->Get(Cf::kSegments, SegmentsKey(keys::kMemberListTag, name)));
    Roaring touched = members;
    if (old.has_value()) touched |= Roaring::readSafe(old->data(), old->size());
    std::string bytes(members.getSizeInBytes(/*portable=*/true), '\0');
    members.write(bytes.data(), /*portable=*/true);
    storage::WriteBatch batch(*store_);
    batch.Put(Cf::kSegments, SegmentsKey(keys::kMemberListTag, name), bytes);
    HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
    for (uint32_t id : touched) changed.push_back(id);
  }
  return Refresh(changed, /*full=*/false);
}

Result<std::unique_ptr<segment::TraitTable>> Audiences::ReadTable() const {
  auto table = std::make_unique<segment::TraitTable>();
  HOLO_ASSIGN_OR_RETURN(const auto lists, ReadLists());
  HOLO_ASSIGN_OR_RETURN(auto households, profile::AllHouseholdSizes(*store_));
  // Profiles hand the table typed rows (profile/trait_row.h), no JSON.
  HOLO_RETURN_IF_ERROR(profile::ScanTraitRows(*store_, [&](uint64_t oneid, profile::TraitRow* row) -> Status {
    HOLO_RETURN_IF_ERROR(CheckRow(oneid));
    auto household = households.find(oneid);
    row->emplace_back("household_size", static_cast<double>(household == households.end() ? 1 : household->second));
    AddLists(lists, oneid, row);
    table->Upsert(static_cast<uint32_t>(oneid), *row);
    return Status::OK();
  }));
  // Computed traits are stored apart from the profiles, one column each: typed values.
  ComputedList computed = ComputedTraits();
  for (const profile::AggregateSpec* spec : profile::StoredComputedTraits(*computed)) {
    profile::ComputedColumn column;
    HOLO_RETURN_IF_ERROR(profile::ReadComputedColumn(*store_, *spec, &column));
    HOLO_ASSIGN_OR_RETURN(auto values, ColumnRows(column));
    table->SetColumn(column.name, values, DefaultOf(*spec));
  }
  table->Optimize();
  return table;
}

Result<std::vector<std::pair<uint32_t, std::optional<segment::TraitRow>>>> Audiences::ReadRows(
    const std::vector<uint64_t>& ids) const {
  // The changed OneIDs and their household ties (whose household size may change).
  std::vector<uint64_t> touched(ids);
  for (uint64_t id : ids) {
    HOLO_ASSIGN_OR_RETURN(auto ties, profile::PeopleOf(*store_, id));
    for (const auto& t : ties) {
      if (t.kind == profile::Tie::Kind::kHousehold) touched.push_back(t.other);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  std::vector<std::pair<uint32_t, std::optional<segment::TraitRow>>> rows;
  rows.reserve(touched.size());
  ComputedList computed = ComputedTraits();
  HOLO_ASSIGN_OR_RETURN(const auto lists, ReadLists());
  for (uint64_t id : touched) {
    HOLO_RETURN_IF_ERROR(CheckRow(id));
    HOLO_ASSIGN_OR_RETURN(std::optional<segment::TraitRow> row,
                          profile::ReadTraitRow(*store_, id, *computed));  // computed traits joined
    if (row.has_value()) {
      HOLO_ASSIGN_OR_RETURN(uint32_t household, profile::HouseholdSize(*store_, id));
      row->emplace_back("household_size", static_cast<double>(household));
      AddLists(lists, id, &*row);
    }
    rows.emplace_back(static_cast<uint32_t>(id), std::move(row));
  }
  return rows;
}

Result<std::unique_ptr<Audiences::Loaded>> Audiences::Load() {
  auto loaded = std::make_unique<Loaded>();
  HOLO_ASSIGN_OR_RETURN(loaded->epoch, ProfilesEpoch());  // before the rows are read
  HOLO_ASSIGN_OR_RETURN(loaded->table, ReadTable());
  loaded->segments = std::make_unique<segment::SegmentSet>(loaded->table.get());
  auto it = store_->NewCursor(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kSegmentTag, "");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string name(it->key().substr(1));
    std::string_view rec = it->value();
    uint64_t version, created, updated;
    if (!coding::GetFixed64BE(&rec, &version) || !coding::GetFixed64BE(&rec, &created) ||
        !coding::GetFixed64BE(&rec, &updated)) {
      return Status::DataLoss("corrupt segment record " + name);
    }
    HOLO_ASSIGN_OR_RETURN(auto members, store_->Get(Cf::kSegments, SegmentsKey(keys::kSegmentMembersTag, name)));
    HOLO_RETURN_IF_ERROR(loaded->segments->Load(name, rec, static_cast<int64_t>(version),
                                                static_cast<int64_t>(created), static_cast<int64_t>(updated),
                                                members.value_or("")));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan segments"));
  if (loaded->segments->size() == 0) return loaded;
  // The saved memberships are exact only if no profile changed since they were saved
  // (a process that wrote profiles stopped before it saved them, a restored backup, a
  // store written by an older version): otherwise every segment is evaluated afresh.
  HOLO_ASSIGN_OR_RETURN(auto saved, store_->Get(Cf::kMeta, keys::kAudienceEpoch));
  if (saved.has_value() && *saved == loaded->epoch) return loaded;
  for (auto& change : loaded->segments->Reconcile().changes) loaded->reconciled.push_back(std::move(change.name));
  return loaded;
}

bool Audiences::loaded() const {
  ReaderLock lock(&mu_);
  return table_ != nullptr;
}

Status Audiences::EnsureLoaded() {
  if (loaded()) return Status::OK();
  MutexLock update(&update_mu_);
  return EnsureLoadedLocked();
}

Status Audiences::EnsureLoadedLocked() {
  {
    ReaderLock lock(&mu_);
    if (table_ != nullptr) return Status::OK();
  }
  HOLO_ASSIGN_OR_RETURN(std::unique_ptr<Loaded> loaded, Load());
  std::vector<SavedSegment> save;
  {
    WriterLock lock(&mu_);
    table_ = std::move(loaded->table);
    segments_ = std::move(loaded->segments);
    table_epoch_ = loaded->epoch;
    segments_->FoldAll();
    for (const std::string& name : loaded->reconciled) save.push_back(Snapshot(name));
  }
  if (loaded->reconciled.empty()) return Status::OK();
  if (log_) {
    log_("segments: " + std::to_string(loaded->reconciled.size()) +
         " saved segment(s) brought up to date with the current profiles");
  }
  return Save(save, loaded->epoch);
}

// ---- changes ----

Audiences::SavedSegment Audiences::Snapshot(const std::string& name) const {
  SavedSegment s;
  s.name = name;
  auto info = segments_->Get(name);
  if (!info.ok()) return s;  // dropped meanwhile: nothing to save
  s.version = static_cast<uint64_t>(info->version);
  coding::PutFixed64BE(&s.record, s.version);
  coding::PutFixed64BE(&s.record, static_cast<uint64_t>(info->created_ms));
  coding::PutFixed64BE(&s.record, static_cast<uint64_t>(info->updated_ms));
  s.record += info->definition;
  s.definition = info->definition;
  s.members = segments_->Serialize(name);
  return s;
}

Status Audiences::Save(const std::vector<SavedSegment>& segments, const std::string& epoch) {
  storage::WriteBatch batch(*store_);
  for (const SavedSegment& s : segments) {
    if (s.record.empty()) continue;
    batch.Put(Cf::kSegments, SegmentsKey(keys::kSegmentTag, s.name), s.record);
    batch.Put(Cf::kSegments, keys::SegmentVersionKey(s.name, s.version), s.definition);
    batch.Put(Cf::kSegments, SegmentsKey(keys::kSegmentMembersTag, s.name), s.members);
  }
  if (!segments.empty()) {
    // Every saved segment is exact as of the table's epoch; synced with them.
    batch.Put(Cf::kMeta, keys::kAudienceEpoch, epoch);
    return store_->Write(&batch, /*sync=*/true);
  }
  // Unsynced: the memberships it vouches for were synced before it, and a lost marker
  // only makes the next process re-evaluate the segments.
  return store_->Put(Cf::kMeta, keys::kAudienceEpoch, epoch, /*sync=*/false);
}

Status Audiences::Refresh(const std::vector<uint64_t>& changed, bool full, std::string epoch) {
  if (changed.empty()) return Status::OK();
  MutexLock update(&update_mu_);
  return RefreshLocked(changed, full, std::move(epoch));
}

Status Audiences::EnsureLoadedIfAnySegment() {
  if (loaded()) return Status::OK();
  MutexLock update(&update_mu_);
  return LoadIfAnySegmentLocked();
}

Status Audiences::LoadIfAnySegmentLocked() {
  HOLO_ASSIGN_OR_RETURN(bool any, AnySavedSegment(*store_));
  return any ? EnsureLoadedLocked() : Status::OK();  // loads current profiles, refreshes every segment
}

std::vector<Audiences::SavedSegment> Audiences::Settle(const segment::SegmentDelta& delta, const std::string& epoch) {
  table_epoch_ = epoch;
  segments_->FoldAll();
  std::vector<SavedSegment> save;
  for (const auto& change : delta.changes) save.push_back(Snapshot(change.name));
  return save;
}

Status Audiences::AddComputedColumns(const std::vector<NewColumn>& columns, const std::vector<uint64_t>& changed,
                                     const std::string& epoch_before) {
  MutexLock update(&update_mu_);
  if (!loaded()) return Status::OK();  // no segment to keep current
  HOLO_ASSIGN_OR_RETURN(std::string epoch, ProfilesEpoch());
  bool current;
  {
    ReaderLock lock(&mu_);
    current = table_epoch_ == epoch_before;
  }
  // Another change of profiles came between: read everything again.
  if (!current) return RefreshLocked(changed, /*full=*/true, epoch);
  std::vector<std::pair<std::vector<std::pair<uint32_t, segment::TraitValue>>, segment::TraitValue>> prepared;
  for (const NewColumn& c : columns) {
    HOLO_ASSIGN_OR_RETURN(auto values, ColumnRows(c.values));
    prepared.emplace_back(std::move(values), DefaultOf(c.spec));
  }
  std::vector<SavedSegment> save;
  {
    WriterLock lock(&mu_);
    Roaring rows;
    for (size_t i = 0; i < columns.size(); ++i) {
      rows |= table_->SetColumn(columns[i].values.name, prepared[i].first, prepared[i].second);
    }
    segment::SegmentDelta delta = segments_->Refresh(rows);
    save = Settle(delta, epoch);
  }
  return Save(save, epoch);
}

Status Audiences::RefreshLocked(const std::vector<uint64_t>& changed, bool full, std::string epoch) {
  if (changed.empty()) return Status::OK();
  if (!loaded()) return LoadIfAnySegmentLocked();  // nothing loaded: only saved segments need it
  if (epoch.empty()) {
    HOLO_ASSIGN_OR_RETURN(epoch, ProfilesEpoch());  // before the rows are read
  }
  size_t table_size;
  {
    ReaderLock lock(&mu_);
    table_size = table_->size();
  }
  if (full || changed.size() * 5 > table_size) return ReloadTableLocked(epoch);
  segment::SegmentDelta delta;
  std::vector<SavedSegment> save;
  {
    HOLO_ASSIGN_OR_RETURN(auto rows, ReadRows(changed));  // beside the readers
    Roaring touched;
    WriterLock lock(&mu_);
    for (auto& [row, values] : rows) {
      if (values.has_value()) {
        table_->Upsert(row, *values);
      } else {
        table_->Erase(row);
      }
      touched.add(row);
    }
    for (uint64_t id : changed) touched.add(static_cast<uint32_t>(id));
    delta = segments_->Refresh(touched);
    save = Settle(delta, epoch);
  }
  return Save(save, epoch);
}

Status Audiences::ReloadTableLocked(const std::string& epoch) {
  HOLO_ASSIGN_OR_RETURN(std::unique_ptr<segment::TraitTable> table, ReadTable());  // beside the readers
  std::vector<SavedSegment> save;
  {
    WriterLock lock(&mu_);
    std::unique_ptr<segment::TraitTable> old = std::move(table_);
    table_ = std::move(table);
    segments_->Rebind(table_.get());
    save = Settle(segments_->Reconcile(), epoch);
  }
  return Save(save, epoch);
}

Result<segment::SegmentInfo> Audiences::DefineSegment(std::string_view name, std::string_view expression,
                                                      int64_t now_ms) {
  MutexLock update(&update_mu_);
  HOLO_RETURN_IF_ERROR(EnsureLoadedLocked());
  std::vector<SavedSegment> save;
  std::string epoch;
  segment::SegmentInfo info;
  {
    WriterLock lock(&mu_);
    HOLO_ASSIGN_OR_RETURN(info, segments_->Define(name, expression, now_ms));
    segments_->FoldAll();
    save.push_back(Snapshot(info.name));
    epoch = table_epoch_;
  }
  HOLO_RETURN_IF_ERROR(Save(save, epoch));
  return info;
}

Status Audiences::DropSegment(std::string_view name) {
  MutexLock update(&update_mu_);
  HOLO_RETURN_IF_ERROR(EnsureLoadedLocked());
  {
    WriterLock lock(&mu_);
    HOLO_RETURN_IF_ERROR(segments_->Remove(name));
  }
  storage::WriteBatch batch(*store_);
  batch.Delete(Cf::kSegments, SegmentsKey(keys::kSegmentTag, name));
  batch.Delete(Cf::kSegments, SegmentsKey(keys::kSegmentMembersTag, name));
  std::string vprefix = SegmentsKey(keys::kSegmentVersionTag, name);
  vprefix.push_back('\0');
  std::string vend = vprefix;
  vend.back() = '\1';
  batch.DeleteRange(Cf::kSegments, vprefix, vend);
  return store_->Write(&batch, /*sync=*/true);
}

// ---- readers ----

Result<std::vector<segment::SegmentInfo>> Audiences::ListSegments() {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  return segments_->List();
}

Result<std::pair<segment::SegmentInfo, std::vector<std::pair<uint32_t, std::string>>>> Audiences::GetSegment(
    std::string_view name) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  segment::SegmentInfo info;
  {
    ReaderLock lock(&mu_);
    HOLO_ASSIGN_OR_RETURN(info, segments_->Get(std::string(name)));
  }
  std::vector<std::pair<uint32_t, std::string>> history;
  std::string prefix = SegmentsKey(keys::kSegmentVersionTag, name);
  prefix.push_back('\0');
  auto it = store_->NewCursor(Cf::kSegments);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t v = coding::DecodeFixed64BE(it->key().data() + prefix.size());
    history.emplace_back(static_cast<uint32_t>(v), std::string(it->value()));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan segment versions"));
  return std::make_pair(std::move(info), std::move(history));
}

Result<Roaring> Audiences::Members(std::string_view name) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  const Roaring* m = segments_->Members(name);
  if (m == nullptr) return Status::NotFound("no segment '" + std::string(name) + "'");
  return *m;
}

Result<Roaring> Audiences::Everyone() {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  return table_->rows();
}

Status Audiences::CheckComputed(const segment::Expr& expr) const {
  for (const auto& spec : segment::Aggregates(expr)) {
    const std::string& name = spec.TraitName();
    if (std::none_of(computed_->begin(), computed_->end(),
                     [&](const profile::AggregateSpec& c) { return c.TraitName() == name; })) {
      return Status::FailedPrecondition("the aggregate " + name +
                                        " is not computed yet: save the expression as a segment (or define it "
                                        "with 'holo trait define') first");
    }
  }
  return Status::OK();
}

std::vector<std::string> Audiences::UnknownTraits(const segment::Expr& expr) const {
  std::vector<std::string> out;
  for (const std::string& trait : segment::ReferencedTraits(expr)) {
    if (table_->FindColumn(trait) == nullptr) out.push_back("no profile has the trait '" + trait + "'");
  }
  return out;
}

Result<Roaring> Audiences::Evaluate(const segment::Expr& expr) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  HOLO_RETURN_IF_ERROR(CheckComputed(expr));
  return segment::Evaluate(expr, *table_);
}

Result<std::vector<std::string>> Audiences::UnknownTraitWarnings(const segment::Expr& expr) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  return UnknownTraits(expr);
}

Result<Roaring> Audiences::GroupOf(std::string_view segment_or_expression, bool unknown_trait_is_error) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  const std::string label(segment_or_expression);
  auto expr = segment::Parse(segment_or_expression);
  ReaderLock lock(&mu_);
  if (const Roaring* m = segments_->Members(label)) return *m;
  if (!expr.ok()) {
    return Status::InvalidArgument("'" + label + "' is neither a segment nor a valid expression: " +
                                   expr.status().message());
  }
  if (auto unknown = UnknownTraits(*expr); unknown_trait_is_error && !unknown.empty()) {
    return Status::NotFound("'" + label + "' is not a segment, and as an expression: " + unknown.front());
  }
  HOLO_RETURN_IF_ERROR(CheckComputed(*expr));
  return segment::Evaluate(*expr, *table_);
}

Result<std::vector<std::string>> Audiences::SegmentsOf(uint64_t oneid, bool wait) const {
  if (!wait) {
    if (!mu_.TryReaderLock()) return Status::Unavailable("the audience state is being updated");
    std::vector<std::string> out;
    if (segments_ != nullptr) out = segments_->Containing(static_cast<uint32_t>(oneid));
    mu_.ReaderUnlock();
    return out;
  }
  ReaderLock lock(&mu_);
  if (segments_ == nullptr) return std::vector<std::string>();
  return segments_->Containing(static_cast<uint32_t>(oneid));
}

Result<std::vector<segment::TraitValue>> Audiences::Values(uint64_t oneid, const std::vector<std::string>& names) const {
  ReaderLock lock(&mu_);
  if (table_ == nullptr) return Status::FailedPrecondition("audience state not loaded (call Warm)");
  const uint32_t row = static_cast<uint32_t>(oneid);
  if (oneid > UINT32_MAX || !table_->rows().contains(row)) {
    return Status::NotFound("no profile for OneID " + std::to_string(oneid));
  }
  std::vector<segment::TraitValue> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(table_->Value(row, name));
  return out;
}

Result<std::vector<analytics::Dimension>> Audiences::GroupDimensions(const std::vector<std::string_view>& dimensions,
                                                                     std::string_view label, Roaring* population) {
  HOLO_RETURN_IF_ERROR(EnsureLoaded());
  ReaderLock lock(&mu_);
  *population = table_->rows();
  std::vector<analytics::Dimension> out;
  for (std::string_view name : dimensions) {
    const segment::Column* col = table_->FindColumn(name);
    if (col == nullptr) continue;
    analytics::Dimension dim;
    dim.name = std::string(name);
    if (col->type() == segment::ColumnType::kNumber) {
      if (!col->exact() || col->bin_count() > 30) continue;  // bucketed traits only
      dim.partition = true;
      Roaring covered;
      // Exact columns: one cell per distinct value.
      std::vector<double> values;
      for (uint32_t row : col->not_null()) {
        double v = col->number(row);
        if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
        if (values.size() > 30) break;
      }
      std::sort(values.begin(), values.end());
      for (double v : values) {
        Roaring cell = col->Range(v, true, v, true);
        covered |= cell;
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%g", v);
        dim.cells.emplace_back(buf, std::move(cell));
      }
      dim.cells.emplace_back("unknown", table_->rows() - covered);
    } else {
      dim.partition = col->type() == segment::ColumnType::kString;
      dim.max_cells_per_row = dim.partition ? 1 : 5;
      for (uint32_t code = 0; code < col->dictionary_size(); ++code) {
        dim.cells.emplace_back(col->DictValue(code), col->CodeRows(code));
      }
      if (dim.partition) dim.cells.emplace_back("unknown", table_->rows() - col->not_null());
    }
    out.push_back(std::move(dim));
  }
  analytics::Dimension overlap;
  overlap.name = "segments";
  auto list = segments_->List();
  overlap.max_cells_per_row = static_cast<uint32_t>(std::max<size_t>(1, list.size()));
  for (const auto& s : list) {
    if (s.name == label) continue;
    overlap.cells.emplace_back(s.name, *segments_->Members(s.name));
  }
  out.push_back(std::move(overlap));
  return out;
}

}  // namespace holo::engine
