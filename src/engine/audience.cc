// EngineImpl, audiences: computed traits, segments kept current, group profiles,
// the people graph, AIPL funnels and campaigns (docs/segments.md, docs/aipl.md).
//
// Layout in the `segments` column family (docs/storage_format.md):
//   't' name                 -> definition of a computed trait
//   'd' name                 -> segment record: version4 created8 updated8 definition
//   'v' name \0 version4     -> the definition of that version (history)
//   'm' name                 -> members, Roaring portable format
//   'q' seq8                 -> the group of an answered group profile (differencing log)
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <simdjson.h>

#include <algorithm>
#include <ostream>
#include <unordered_map>

#include "analytics/campaign.h"
#include "analytics/funnel.h"
#include "analytics/group_profile.h"
#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "profile/people_graph.h"
#include "profile/profile_builder.h"
#include "profile/profile_store.h"
#include "segment/evaluator.h"
#include "segment/expr.h"
#include "storage/keys.h"

namespace holo::engine {
namespace {

using storage::Cf;
using storage::View;
namespace keys = storage::keys;

constexpr size_t kQueryLogKeep = 1000;
// meta: sequence of the sealed groups (segments "w" + seq8 -> bitmap): cells a released
// funnel withheld as complements, which no later answer may release.
constexpr std::string_view kSealedSeq = "seq/sealed_groups";
constexpr std::string_view kQueryLogSeq = "seq/gpq";
// Dimensions of a group profile, in this order, when the traits exist.
constexpr std::string_view kProfileDimensions[] = {
    "age_band",       "gender",           "city",          "home_city",    "spending_power",
    "household_size", "price_sensitivity", "commute_mode", "travel_style", "top_categories",
    "top_brands",     "video_genres",     "trending_interests"};

using keys::SegmentsKey;

Status ValidName(std::string_view name, const char* what) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument(std::string(what) + " name must be 1-64 characters");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) {
      return Status::InvalidArgument(std::string(what) + " name '" + std::string(name) +
                                     "' may only hold letters, digits, '_', '-' and '.'");
    }
  }
  return Status::OK();
}

// Profile JSON "traits" -> a trait-table row.
segment::TraitRow TraitsOf(simdjson::dom::element traits) {
  segment::TraitRow row;
  simdjson::dom::object obj;
  if (traits.get_object().get(obj) != simdjson::SUCCESS) return row;
  for (auto [key, value] : obj) {
    segment::TraitValue v;
    switch (value.type()) {
      case simdjson::dom::element_type::INT64:
        v = static_cast<double>(int64_t(value));
        break;
      case simdjson::dom::element_type::UINT64:
        v = static_cast<double>(uint64_t(value));
        break;
      case simdjson::dom::element_type::DOUBLE:
        v = double(value);
        break;
      case simdjson::dom::element_type::BOOL:
        v = bool(value) ? 1.0 : 0.0;
        break;
      case simdjson::dom::element_type::STRING:
        v = std::string(std::string_view(value));
        break;
      case simdjson::dom::element_type::ARRAY: {
        std::vector<std::string> items;
        for (auto item : value.get_array()) {
          std::string_view sv;
          if (item.get_string().get(sv) == simdjson::SUCCESS) items.emplace_back(sv);
        }
        v = std::move(items);
        break;
      }
      default:
        break;
    }
    row.emplace_back(std::string(key), std::move(v));
  }
  return row;
}

Status CheckRow(uint64_t oneid) {
  if (oneid > UINT32_MAX) return Status::OutOfRange("OneID " + std::to_string(oneid) + " does not fit a segment bitmap");
  return Status::OK();
}

// The value of a computed trait for people whose profile does not store one.
segment::TraitValue DefaultOf(const profile::AggregateSpec& spec) {
  if (profile::DefaultValueJson(spec) == "0") return 0.0;
  return std::monostate();
}

// The trait-table row of one profile (JSON), with its household size.
Result<segment::TraitRow> RowOf(std::string_view json, uint64_t oneid, uint32_t household,
                                simdjson::dom::parser* parser) {
  simdjson::dom::element doc;
  if (parser->parse(json).get(doc) != simdjson::SUCCESS) {
    return Status::DataLoss("profile of OneID " + std::to_string(oneid) + " is not valid JSON");
  }
  segment::TraitRow row = TraitsOf(doc["traits"].value_unsafe());
  row.emplace_back("household_size", static_cast<double>(household));
  return row;
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

std::string SerializeBitmap(const Roaring& r) {
  std::string out(r.getSizeInBytes(true), '\0');
  r.write(out.data(), true);
  return out;
}

Result<Roaring> ParseBitmap(std::string_view bytes) {
  try {
    return Roaring::readSafe(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    return Status::DataLoss(std::string("corrupt bitmap: ") + e.what());
  }
}

Engine::SegmentInfo ToInfo(const segment::SegmentInfo& s) {
  Engine::SegmentInfo out;
  out.name = s.name;
  out.definition = s.definition;
  out.version = static_cast<uint32_t>(s.version);
  out.created_ms = s.created_ms;
  out.updated_ms = s.updated_ms;
  out.members = s.size;
  return out;
}

}  // namespace

// ---- computed traits ----

bool EngineImpl::IsComputedTrait(const std::string& name) const {
  return std::any_of(computed_traits_.begin(), computed_traits_.end(),
                     [&](const profile::AggregateSpec& c) { return c.TraitName() == name; });
}

Status EngineImpl::LoadComputedTraits() {
  computed_traits_.clear();
  auto it = store_->NewIterator(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kComputedTraitTag, "");
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    std::string name(View(it->key()).substr(1));
    auto expr = segment::Parse(View(it->value()));
    if (!expr.ok()) return Status::DataLoss("stored computed trait " + name + ": " + expr.status().message());
    auto aggs = segment::Aggregates(*expr);
    if (aggs.size() != 1) return Status::DataLoss("stored computed trait " + name + " is not one aggregate");
    aggs[0].name = name;
    computed_traits_.push_back(std::move(aggs[0]));
  }
  return storage::FromRocks(it->status(), "scan computed traits");
}

Status EngineImpl::AddComputedTraits(const std::vector<profile::AggregateSpec>& specs,
                                     const std::vector<std::string>& definitions) {
  if (specs.empty()) return Status::OK();
  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < specs.size(); ++i) {
    batch.Put(store_->cf(Cf::kSegments), SegmentsKey(keys::kComputedTraitTag, specs[i].TraitName()), definitions[i]);
  }
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, true));
  std::vector<bool> redefined;  // a column of that name may exist already
  for (const auto& spec : specs) redefined.push_back(IsComputedTrait(spec.TraitName()));
  if (segments_ == nullptr) {
    // Saved segments are brought up to date below from the table as it is before the new
    // traits (a segment may name one before it exists): load it now, if there are any.
    auto it = store_->NewIterator(Cf::kSegments);
    const std::string prefix = SegmentsKey(keys::kSegmentTag, "");
    it->Seek(prefix);
    const bool any = it->Valid() && View(it->key()).starts_with(prefix);
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan segments"));
    if (any) HOLO_RETURN_IF_ERROR(EnsureAudience());
  }
  HOLO_RETURN_IF_ERROR(LoadComputedTraits());
  const bool named = std::all_of(specs.begin(), specs.end(), [](const auto& s) { return !s.event.empty(); });
  if (!named) {  // an aggregate over any event: every event is read
    if (log_) log_("traits: rebuilding every profile with " + std::to_string(specs.size()) + " new computed trait(s)");
    uint64_t written = 0;
    return RebuildAllProfiles(&written);
  }
  // Only the named events are read (the event index) and only the trait's column written
  // (the OneIDs with a value; no profile); a loaded trait table takes each new column as it
  // is, without reloading the profiles, and the segments are re-evaluated on the rows that
  // changed.
  HOLO_ASSIGN_OR_RETURN(std::string epoch_before, ProfilesEpoch());
  std::vector<uint64_t> changed;
  Roaring rows;
  for (size_t i = 0; i < specs.size(); ++i) {
    const profile::AggregateSpec& spec = specs[i];
    profile::BuildStats ps;
    profile::ComputedColumn column;
    HOLO_RETURN_IF_ERROR(profile::AddComputedTrait(store_.get(), spec, Now(), redefined[i], &ps, &column));
    if (log_) {
      log_("traits: " + spec.TraitName() + " from " + std::to_string(ps.events_scanned) + " '" + spec.event +
           "' events into " + std::to_string(ps.written) + " profiles in " + std::to_string(ps.seconds) + " s");
    }
    changed.insert(changed.end(), ps.changed.begin(), ps.changed.end());
    if (table_ == nullptr) continue;
    HOLO_ASSIGN_OR_RETURN(auto values, ColumnRows(column));
    rows |= table_->SetColumn(column.name, values, DefaultOf(spec));
  }
  if (table_ == nullptr || segments_ == nullptr) return Status::OK();  // no segment to keep current
  // The table was current at epoch_before; with the new columns it is current now.
  HOLO_ASSIGN_OR_RETURN(std::string epoch, ProfilesEpoch());
  if (table_epoch_ != epoch_before) return RefreshAudience(changed, /*full=*/true);
  table_epoch_ = epoch;
  segment::SegmentDelta delta = segments_->Refresh(rows);
  for (const auto& change : delta.changes) HOLO_RETURN_IF_ERROR(SaveSegment(change.name));
  return SaveAudienceEpoch(epoch);
}

Status EngineImpl::DefineTrait(std::string_view name, std::string_view expression) {
  HOLO_RETURN_IF_ERROR(ValidName(name, "trait"));
  for (std::string_view builtin : profile::BuiltinTraitNames()) {
    if (builtin == name) return Status::InvalidArgument("'" + std::string(name) + "' is a built-in trait (docs/traits.md)");
  }
  if (name == "household_size") return Status::InvalidArgument("'household_size' is a built-in trait");
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  auto aggs = segment::Aggregates(expr);
  if (aggs.size() != 1 || expr.kind != segment::Expr::Kind::kTruthy) {
    return Status::InvalidArgument(
        "a computed trait is one aggregate, e.g. count(Order Completed where category = \"luxury\", 180d)");
  }
  aggs[0].name = std::string(name);
  return AddComputedTraits(aggs, {std::string(expression)});
}

Result<std::vector<std::pair<std::string, std::string>>> EngineImpl::ListTraits() {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = store_->NewIterator(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kComputedTraitTag, "");
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    out.emplace_back(std::string(View(it->key()).substr(1)), std::string(View(it->value())));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan computed traits"));
  return out;
}

// ---- trait table and segments ----

Status EngineImpl::LoadTraitTable() {
  // Filled in place: the segment set holds a pointer to the table.
  if (table_ == nullptr) table_ = std::make_unique<segment::TraitTable>();
  Roaring present;
  simdjson::dom::parser parser;
  HOLO_ASSIGN_OR_RETURN(auto households, profile::AllHouseholdSizes(*store_));
  auto it = store_->NewIterator(Cf::kProfiles);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t oneid = coding::DecodeFixed64BE(it->key().data());
    HOLO_RETURN_IF_ERROR(CheckRow(oneid));
    auto household = households.find(oneid);
    HOLO_ASSIGN_OR_RETURN(segment::TraitRow row,
                          RowOf(View(it->value()), oneid, household == households.end() ? 1 : household->second,
                                &parser));
    table_->Upsert(static_cast<uint32_t>(oneid), row);
    present.add(static_cast<uint32_t>(oneid));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan profiles"));
  for (uint32_t gone : table_->rows() - present) table_->Erase(gone);
  // Computed traits are stored apart from the profiles, one column each.
  for (const profile::AggregateSpec* spec : profile::StoredComputedTraits(computed_traits_)) {
    profile::ComputedColumn column;
    HOLO_RETURN_IF_ERROR(profile::ReadComputedColumn(*store_, *spec, &column));
    HOLO_ASSIGN_OR_RETURN(auto values, ColumnRows(column));
    table_->SetColumn(column.name, values, DefaultOf(*spec));
  }
  table_->Optimize();
  return Status::OK();
}

Status EngineImpl::EnsureAudience() {
  if (table_ != nullptr && segments_ != nullptr) return Status::OK();
  HOLO_ASSIGN_OR_RETURN(std::string epoch, ProfilesEpoch());  // before the rows are read
  HOLO_RETURN_IF_ERROR(LoadTraitTable());
  table_epoch_ = epoch;
  segments_ = std::make_unique<segment::SegmentSet>(table_.get());
  auto it = store_->NewIterator(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kSegmentTag, "");
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    std::string name(View(it->key()).substr(1));
    std::string_view rec = View(it->value());
    uint64_t version, created, updated;
    if (!coding::GetFixed64BE(&rec, &version) || !coding::GetFixed64BE(&rec, &created) ||
        !coding::GetFixed64BE(&rec, &updated)) {
      return Status::DataLoss("corrupt segment record " + name);
    }
    HOLO_ASSIGN_OR_RETURN(auto members, store_->Get(Cf::kSegments, SegmentsKey(keys::kSegmentMembersTag, name)));
    HOLO_RETURN_IF_ERROR(segments_->Load(name, rec, static_cast<int64_t>(version), static_cast<int64_t>(created),
                                         static_cast<int64_t>(updated), members.value_or("")));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan segments"));
  if (segments_->size() == 0) return Status::OK();
  // The saved memberships are exact only if no profile changed since they were saved
  // (a process that wrote profiles stopped before it saved them, a restored backup, a
  // store written by an older version): otherwise every segment is evaluated afresh.
  HOLO_ASSIGN_OR_RETURN(auto saved, store_->Get(Cf::kMeta, keys::kAudienceEpoch));
  if (saved.has_value() && *saved == epoch) return Status::OK();
  segment::SegmentDelta delta = segments_->Reconcile();
  if (log_ && !delta.changes.empty()) {
    log_("segments: " + std::to_string(delta.changes.size()) + " of " + std::to_string(segments_->size()) +
         " saved segment(s) brought up to date with the current profiles");
  }
  for (const auto& change : delta.changes) HOLO_RETURN_IF_ERROR(SaveSegment(change.name));
  return SaveAudienceEpoch(epoch);
}

Result<std::string> EngineImpl::ProfilesEpoch() const {
  HOLO_ASSIGN_OR_RETURN(auto epoch, store_->Get(Cf::kMeta, keys::kProfilesEpoch));
  return epoch.value_or("");
}

Status EngineImpl::SaveAudienceEpoch(const std::string& epoch) {
  // Unsynced: the memberships it vouches for were synced before it, and a lost marker
  // only makes the next process re-evaluate the segments.
  return store_->Put(Cf::kMeta, keys::kAudienceEpoch, epoch, /*sync=*/false);
}

Status EngineImpl::SaveSegment(const std::string& name) {
  auto info = segments_->Get(name);
  if (!info.ok()) return info.status();
  std::string rec;
  coding::PutFixed64BE(&rec, static_cast<uint64_t>(info->version));
  coding::PutFixed64BE(&rec, static_cast<uint64_t>(info->created_ms));
  coding::PutFixed64BE(&rec, static_cast<uint64_t>(info->updated_ms));
  rec += info->definition;
  rocksdb::WriteBatch batch;
  batch.Put(store_->cf(Cf::kSegments), SegmentsKey(keys::kSegmentTag, name), rec);
  batch.Put(store_->cf(Cf::kSegments), keys::SegmentVersionKey(name, static_cast<uint64_t>(info->version)), info->definition);
  batch.Put(store_->cf(Cf::kSegments), SegmentsKey(keys::kSegmentMembersTag, name), segments_->Serialize(name));
  // Every segment in memory is exact as of the table's epoch.
  batch.Put(store_->cf(Cf::kMeta), keys::kAudienceEpoch, table_epoch_);
  return store_->Write(&batch, true);
}

Status EngineImpl::RefreshAudience(const std::vector<uint64_t>& changed, bool full, std::string epoch) {
  if (changed.empty()) return Status::OK();
  if (segments_ == nullptr) {
    // Nothing loaded: only segments on disk need maintenance.
    auto it = store_->NewIterator(Cf::kSegments);
    const std::string prefix = SegmentsKey(keys::kSegmentTag, "");
    it->Seek(prefix);
    bool any = it->Valid() && View(it->key()).starts_with(prefix);
    HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan segments"));
    if (!any) return Status::OK();
    return EnsureAudience();  // loads current profiles and refreshes every segment
  }
  if (epoch.empty()) {
    HOLO_ASSIGN_OR_RETURN(epoch, ProfilesEpoch());  // before the rows are read
  }
  Roaring rows;
  if (full || changed.size() * 5 > table_->size()) {
    rows = table_->rows();
    HOLO_RETURN_IF_ERROR(LoadTraitTable());
    rows |= table_->rows();
    for (uint64_t id : changed) rows.add(static_cast<uint32_t>(id));
  } else {
    // The changed OneIDs and their household ties (whose household size may change).
    std::vector<uint64_t> touched(changed);
    for (uint64_t id : changed) {
      HOLO_ASSIGN_OR_RETURN(auto ties, profile::PeopleOf(*store_, id));
      for (const auto& t : ties) {
        if (t.kind == profile::Tie::Kind::kHousehold) touched.push_back(t.other);
      }
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    simdjson::dom::parser parser;
    for (uint64_t id : touched) {
      HOLO_RETURN_IF_ERROR(CheckRow(id));
      HOLO_ASSIGN_OR_RETURN(auto json, profile::ReadProfile(*store_, id, computed_traits_));
      if (json.has_value()) {
        HOLO_ASSIGN_OR_RETURN(uint32_t household, profile::HouseholdSize(*store_, id));
        HOLO_ASSIGN_OR_RETURN(segment::TraitRow row, RowOf(*json, id, household, &parser));
        table_->Upsert(static_cast<uint32_t>(id), row);
      } else {
        table_->Erase(static_cast<uint32_t>(id));
      }
      rows.add(static_cast<uint32_t>(id));
    }
  }
  table_epoch_ = epoch;
  segment::SegmentDelta delta = segments_->Refresh(rows);
  for (const auto& change : delta.changes) HOLO_RETURN_IF_ERROR(SaveSegment(change.name));
  return SaveAudienceEpoch(epoch);
}

Result<Engine::SegmentInfo> EngineImpl::DefineSegment(std::string_view name, std::string_view expression) {
  HOLO_RETURN_IF_ERROR(ValidName(name, "segment"));
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  // Aggregate terms become computed traits named by their canonical text.
  std::vector<profile::AggregateSpec> missing;
  std::vector<std::string> definitions;
  for (auto& spec : segment::Aggregates(expr)) {
    if (!IsComputedTrait(spec.TraitName())) {
      definitions.push_back(spec.TraitName());
      missing.push_back(std::move(spec));
    }
  }
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  HOLO_RETURN_IF_ERROR(AddComputedTraits(missing, definitions));
  HOLO_ASSIGN_OR_RETURN(auto info, segments_->Define(name, expression, Now()));
  HOLO_RETURN_IF_ERROR(SaveSegment(info.name));
  Engine::SegmentInfo out = ToInfo(info);
  out.warnings = UnknownTraitWarnings(expr);
  return out;
}

std::vector<std::string> EngineImpl::UnknownTraitWarnings(const segment::Expr& expr) const {
  std::vector<std::string> out;
  for (const std::string& trait : segment::ReferencedTraits(expr)) {
    if (table_->FindColumn(trait) == nullptr) out.push_back("no profile has the trait '" + trait + "'");
  }
  return out;
}

Result<std::vector<std::string>> EngineImpl::ExpressionWarnings(std::string_view expression) {
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  return UnknownTraitWarnings(expr);
}

Status EngineImpl::DropSegment(std::string_view name) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  HOLO_RETURN_IF_ERROR(segments_->Remove(name));
  rocksdb::WriteBatch batch;
  auto cf = store_->cf(Cf::kSegments);
  batch.Delete(cf, SegmentsKey(keys::kSegmentTag, name));
  batch.Delete(cf, SegmentsKey(keys::kSegmentMembersTag, name));
  std::string vprefix = SegmentsKey(keys::kSegmentVersionTag, name);
  vprefix.push_back('\0');
  std::string vend = vprefix;
  vend.back() = '\1';
  batch.DeleteRange(cf, vprefix, vend);
  return store_->Write(&batch, true);
}

Result<std::vector<Engine::SegmentInfo>> EngineImpl::ListSegments() {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  std::vector<Engine::SegmentInfo> out;
  for (const auto& s : segments_->List()) out.push_back(ToInfo(s));
  return out;
}

Result<Engine::SegmentInfo> EngineImpl::GetSegment(std::string_view name) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  HOLO_ASSIGN_OR_RETURN(auto info, segments_->Get(std::string(name)));
  Engine::SegmentInfo out = ToInfo(info);
  std::string prefix = SegmentsKey(keys::kSegmentVersionTag, name);
  prefix.push_back('\0');
  auto it = store_->NewIterator(Cf::kSegments);
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    uint64_t v = coding::DecodeFixed64BE(it->key().data() + prefix.size());
    out.history.emplace_back(static_cast<uint32_t>(v), std::string(View(it->value())));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan segment versions"));
  return out;
}

Result<uint64_t> EngineImpl::CountExpression(std::string_view expression) {
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  for (const auto& spec : segment::Aggregates(expr)) {
    if (!IsComputedTrait(spec.TraitName())) {
      return Status::FailedPrecondition("the aggregate " + spec.TraitName() +
                                        " is not computed yet: save the expression as a segment (or define it "
                                        "with 'holo trait define') first");
    }
  }
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  return segment::Evaluate(expr, *table_).cardinality();
}

Result<Engine::Overlap> EngineImpl::SegmentOverlap(std::string_view a, std::string_view b) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  const Roaring* ma = segments_->Members(std::string(a));
  const Roaring* mb = segments_->Members(std::string(b));
  if (ma == nullptr) return Status::NotFound("no segment '" + std::string(a) + "'");
  if (mb == nullptr) return Status::NotFound("no segment '" + std::string(b) + "'");
  Overlap o;
  o.a = ma->cardinality();
  o.b = mb->cardinality();
  o.both = ma->and_cardinality(*mb);
  uint64_t either = o.a + o.b - o.both;
  o.jaccard = either ? static_cast<double>(o.both) / either : 0;
  return o;
}

Status EngineImpl::ExportSegment(std::string_view name, std::ostream& out, std::string_view use) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  const Roaring* m = segments_->Members(std::string(name));
  if (m == nullptr) return Status::NotFound("no segment '" + std::string(name) + "'");
  HOLO_RETURN_IF_ERROR(CheckConsentUse(use));  // an unknown use fails even for an empty segment
  // A segment defined on store visits links offline visits to the people it exports: they
  // must allow "store_link" too.
  HOLO_ASSIGN_OR_RETURN(auto info, segments_->Get(std::string(name)));
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(info.definition));
  const auto traits = segment::ReferencedTraits(expr);
  const bool uses_store = std::any_of(traits.begin(), traits.end(), [](const std::string& t) { return privacy::IsStoreTrait(t); });
  for (uint32_t id : *m) {
    HOLO_ASSIGN_OR_RETURN(bool allowed, ConsentAllows(id, use));
    if (allowed && uses_store) {
      HOLO_ASSIGN_OR_RETURN(allowed, StoreLinkShown(id, use));
    }
    if (allowed) out << id << '\n';
  }
  if (!out) return Status::IOError("write failed while exporting segment " + std::string(name));
  return Status::OK();
}

// ---- aggregates released to people who may not see individuals ----

Result<Roaring> EngineImpl::GroupOf(std::string_view segment_or_expression, bool unknown_trait_is_error) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  const std::string label(segment_or_expression);
  if (const Roaring* m = segments_->Members(label)) return *m;
  auto expr = segment::Parse(segment_or_expression);
  if (!expr.ok()) {
    return Status::InvalidArgument("'" + label + "' is neither a segment nor a valid expression: " +
                                   expr.status().message());
  }
  if (auto unknown = UnknownTraitWarnings(*expr); unknown_trait_is_error && !unknown.empty()) {
    return Status::NotFound("'" + label + "' is not a segment, and as an expression: " + unknown.front());
  }
  for (const auto& spec : segment::Aggregates(*expr)) {
    if (!IsComputedTrait(spec.TraitName())) {
      return Status::FailedPrecondition("the aggregate " + spec.TraitName() + " is not computed yet: save the expression as a segment first");
    }
  }
  return segment::Evaluate(*expr, *table_);
}

Result<std::vector<Roaring>> EngineImpl::LoadGroupLog() {
  std::vector<Roaring> previous;
  auto it = store_->NewIterator(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kGroupLogTag, "");
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    HOLO_ASSIGN_OR_RETURN(Roaring r, ParseBitmap(View(it->value())));
    previous.push_back(std::move(r));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan group-profile log"));
  return previous;
}

Result<const std::vector<Roaring>*> EngineImpl::SealedGroups() {
  if (sealed_loaded_) return &sealed_;
  auto it = store_->NewIterator(Cf::kSegments);
  const std::string prefix = SegmentsKey(keys::kSealedGroupTag, "");
  for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
    HOLO_ASSIGN_OR_RETURN(Roaring r, ParseBitmap(View(it->value())));
    sealed_.push_back(std::move(r));
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan sealed groups"));
  sealed_loaded_ = true;
  return &sealed_;
}

Status EngineImpl::AppendGroupLog(char prefix, std::string_view seq_key, const Roaring& group) {
  HOLO_ASSIGN_OR_RETURN(auto seq_value, store_->Get(Cf::kMeta, seq_key));
  uint64_t seq = seq_value.has_value() && seq_value->size() == 8 ? coding::DecodeFixed64BE(seq_value->data()) : 0;
  ++seq;
  rocksdb::WriteBatch batch;
  std::string k(1, prefix);
  coding::PutFixed64BE(&k, seq);
  batch.Put(store_->cf(Cf::kSegments), k, SerializeBitmap(group));
  std::string v;
  coding::PutFixed64BE(&v, seq);
  batch.Put(store_->cf(Cf::kMeta), seq_key, v);
  if (seq > kQueryLogKeep) {
    std::string old(1, prefix);
    coding::PutFixed64BE(&old, seq - kQueryLogKeep);
    batch.Delete(store_->cf(Cf::kSegments), old);
  }
  return store_->Write(&batch, true);
}

Status EngineImpl::SealGroup(const Roaring& group) {
  HOLO_RETURN_IF_ERROR(SealedGroups().status());
  HOLO_RETURN_IF_ERROR(AppendGroupLog(keys::kSealedGroupTag, kSealedSeq, group));
  sealed_.push_back(group);
  if (sealed_.size() > kQueryLogKeep) sealed_.erase(sealed_.begin());
  return Status::OK();
}

Status EngineImpl::LogGroup(const Roaring& group, const std::vector<Roaring>& previous) {
  if (std::any_of(previous.begin(), previous.end(), [&](const Roaring& r) { return r == group; })) return Status::OK();
  return AppendGroupLog(keys::kGroupLogTag, kQueryLogSeq, group);
}

Status EngineImpl::SpendBudget(const std::string& owner, double budget, double epsilon) {
  MutexLock lock(&budget_mu_);
  const std::string day = FormatIso8601Ms(NowMs()).substr(0, 10);
  const std::string key = "budget/" + owner + "/" + day;
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, key));
  double spent = v.has_value() ? std::strtod(v->c_str(), nullptr) : 0;
  if (spent + epsilon > budget + 1e-9) {
    return Status(StatusCode::kResourceExhausted,
                  "the privacy budget of '" + owner + "' for " + day + " (UTC) is spent: " + std::to_string(spent) +
                      " of " + std::to_string(budget) + " epsilon used, this query needs " + std::to_string(epsilon));
  }
  return store_->Put(Cf::kMeta, key, std::to_string(spent + epsilon), /*sync=*/true);
}

Result<Engine::Released> EngineImpl::ReleaseGroup(const Roaring& group, const ReleaseOptions& options,
                                                  std::vector<Roaring>* previous) {
  Released out;
  if (options.k < analytics::kMinK) {
    return Status::InvalidArgument("minimum group size k=" + std::to_string(options.k) + " is below the floor of " +
                                   std::to_string(analytics::kMinK));
  }
  const uint64_t n = group.cardinality();
  if (n < options.k) {
    out.withheld = "fewer than k=" + std::to_string(options.k);
    return out;
  }
  std::vector<const Roaring*> prev;
  for (const Roaring& r : *previous) prev.push_back(&r);
  if (Status d = analytics::CheckDifferencing(group, prev, options.k); !d.ok()) {
    out.withheld = d.message();
    return out;
  }
  HOLO_ASSIGN_OR_RETURN(const std::vector<Roaring>* sealed, SealedGroups());
  for (const Roaring& w : *sealed) {
    if (group.xor_cardinality(w) < options.k) {
      out.withheld = "the group is, or is within k of, a cell withheld earlier so that it could not be derived";
      return out;
    }
  }
  if (options.epsilon > 0) {
    HOLO_RETURN_IF_ERROR(SpendBudget(options.budget_owner, options.budget, options.epsilon));
    std::mt19937_64 rng(std::random_device{}());
    out.count = static_cast<uint64_t>(std::max(0.0, std::round(static_cast<double>(n) + analytics::Laplace(rng, 1.0 / options.epsilon))));
    out.epsilon = options.epsilon;
  } else {
    out.count = n;
  }
  HOLO_RETURN_IF_ERROR(LogGroup(group, *previous));
  previous->push_back(group);
  return out;
}

Result<Engine::Released> EngineImpl::ReleaseCount(std::string_view segment_or_expression, const ReleaseOptions& options) {
  HOLO_ASSIGN_OR_RETURN(Roaring group, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/false));
  MutexLock lock(&group_log_mu_);  // check and log as one step
  HOLO_ASSIGN_OR_RETURN(std::vector<Roaring> previous, LoadGroupLog());
  return ReleaseGroup(group, options, &previous);
}

Result<Engine::ReleasedOverlap> EngineImpl::ReleaseOverlap(std::string_view a, std::string_view b,
                                                           const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(EnsureAudience());
  const Roaring* ma = segments_->Members(std::string(a));
  const Roaring* mb = segments_->Members(std::string(b));
  if (ma == nullptr) return Status::NotFound("no segment '" + std::string(a) + "'");
  if (mb == nullptr) return Status::NotFound("no segment '" + std::string(b) + "'");
  MutexLock lock(&group_log_mu_);  // check and log as one step
  HOLO_ASSIGN_OR_RETURN(std::vector<Roaring> previous, LoadGroupLog());
  ReleasedOverlap out;
  HOLO_ASSIGN_OR_RETURN(out.a, ReleaseGroup(*ma, options, &previous));
  HOLO_ASSIGN_OR_RETURN(out.b, ReleaseGroup(*mb, options, &previous));
  HOLO_ASSIGN_OR_RETURN(out.both, ReleaseGroup(*ma & *mb, options, &previous));
  return out;
}

// ---- group profiles ----

Result<Engine::Report> EngineImpl::GroupProfile(std::string_view segment_or_expression,
                                                const GroupProfileOptions& options) {
  HOLO_ASSIGN_OR_RETURN(Roaring members, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/true));
  const std::string label(segment_or_expression);
  analytics::GroupProfileInput in;
  in.members = &members;
  in.population = &table_->rows();
  for (std::string_view name : kProfileDimensions) {
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
    in.dimensions.push_back(std::move(dim));
  }
  {
    analytics::Dimension overlap;
    overlap.name = "segments";
    auto list = segments_->List();
    overlap.max_cells_per_row = static_cast<uint32_t>(std::max<size_t>(1, list.size()));
    for (const auto& s : list) {
      if (s.name == label) continue;
      overlap.cells.emplace_back(s.name, *segments_->Members(s.name));
    }
    in.dimensions.push_back(std::move(overlap));
  }
  // The differencing log: every group answered before (checked and extended as one step).
  MutexLock lock(&group_log_mu_);
  HOLO_ASSIGN_OR_RETURN(std::vector<Roaring> previous, LoadGroupLog());
  for (const Roaring& r : previous) in.previous.push_back(&r);
  HOLO_ASSIGN_OR_RETURN(const std::vector<Roaring>* sealed, SealedGroups());
  for (const Roaring& w : *sealed) {
    if (members.xor_cardinality(w) < options.k) {
      return Status::FailedPrecondition("the group is, or is within k of, a cell withheld earlier so that it could not be derived");
    }
  }
  analytics::GroupProfileOptions go;
  go.k = options.k;
  go.epsilon = options.epsilon;
  if (options.epsilon > 0 && !options.budget_owner.empty()) {
    // Each dimension's cells partition the group; the dimensions compose.
    HOLO_RETURN_IF_ERROR(SpendBudget(options.budget_owner, options.budget, options.epsilon * in.dimensions.size()));
  }
  HOLO_ASSIGN_OR_RETURN(analytics::GroupProfile gp, analytics::ComputeGroupProfile(in, go));
  HOLO_RETURN_IF_ERROR(LogGroup(members, previous));
  Report r;
  r.json = gp.ToJson();
  r.text = "group profile of " + label + "\n" + gp.ToText();
  return r;
}

Status EngineImpl::ForgetInGroupLog(uint64_t oneid) {
  MutexLock lock(&group_log_mu_);
  rocksdb::WriteBatch batch;
  auto it = store_->NewIterator(Cf::kSegments);
  for (char tag : {keys::kGroupLogTag, keys::kSealedGroupTag}) {  // released groups, sealed groups
    const std::string prefix(1, tag);
    for (it->Seek(prefix); it->Valid() && View(it->key()).starts_with(prefix); it->Next()) {
      HOLO_ASSIGN_OR_RETURN(Roaring r, ParseBitmap(View(it->value())));
      if (!r.contains(static_cast<uint32_t>(oneid))) continue;
      r.remove(static_cast<uint32_t>(oneid));
      batch.Put(store_->cf(Cf::kSegments), it->key(), SerializeBitmap(r));
    }
  }
  HOLO_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan group-profile log"));
  for (Roaring& r : sealed_) r.remove(static_cast<uint32_t>(oneid));
  return store_->Write(&batch, /*sync=*/false);
}

// ---- people graph ----

Result<Engine::Report> EngineImpl::People(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(uint64_t oneid, OneIdOf(id));
  HOLO_ASSIGN_OR_RETURN(auto ties, profile::PeopleOf(*store_, oneid));
  Report r;
  JsonWriter w(&r.json);
  w.BeginObject();
  w.Key("oneid").String(std::to_string(oneid));
  w.Key("ties").BeginArray();
  r.text = "OneID " + std::to_string(oneid) + ": " + std::to_string(ties.size()) + " ties\n";
  char buf[128];
  for (const auto& t : ties) {
    w.BeginObject();
    w.Key("type").String(profile::TieKindName(t.kind));
    w.Key("oneid").String(std::to_string(t.other));
    w.Key("interactions").Uint(t.interactions);
    w.Key("strength").Double(std::round(t.strength * 1000) / 1000);
    w.Key("evidence").BeginArray();
    for (const auto& e : t.evidence) w.String(e);
    w.EndArray();
    w.EndObject();
    std::snprintf(buf, sizeof(buf), "  %-9s %12llu  strength %.2f  ", profile::TieKindName(t.kind),
                  static_cast<unsigned long long>(t.other), t.strength);
    r.text += buf;
    for (size_t i = 0; i < t.evidence.size(); ++i) r.text += (i ? "; " : "") + t.evidence[i];
    r.text += "\n";
  }
  w.EndArray();
  w.EndObject();
  return r;
}

// ---- AIPL and campaigns ----

Result<analytics::FunnelReport> EngineImpl::FunnelOf(const FunnelQuery& query) {
  analytics::FunnelOptions o;
  o.brand = query.brand;
  o.category = query.category;
  o.at_ms = query.at_ms;
  if (o.at_ms == 0) o.at_ms = Now() + 1;  // the clock, never the newest event
  if (query.from_ms != 0) o.from_ms = query.from_ms;
  return analytics::ComputeFunnel(*store_, o);
}

Result<Engine::Report> EngineImpl::Funnel(const FunnelQuery& query) {
  if (query.k < 10) return Status::InvalidArgument("minimum cell size k must be at least 10");
  HOLO_ASSIGN_OR_RETURN(analytics::FunnelReport f, FunnelOf(query));
  Report r;
  r.json = f.ToJson(query.k);
  r.text = f.ToText(query.k);
  return r;
}

namespace {

// Complementary suppression over lists whose total is shown: a list holding exactly one
// withheld non-empty cell would give it away (total minus the others), so the smallest
// shown non-empty cell is withheld too, or, when there is none, the total. Repeats until
// every list is safe (withholding in one list can expose a cell of another).
void SuppressComplements(std::vector<EngineImpl::ReleaseCell>* cells, const std::vector<EngineImpl::CellList>& lists) {
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [total, parts] : lists) {
      if (!(*cells)[total].shown.has_value()) continue;
      size_t withheld = 0;
      std::optional<size_t> smallest;
      for (size_t i : parts) {
        const EngineImpl::ReleaseCell& c = (*cells)[i];
        if (c.group.isEmpty()) continue;
        if (!c.shown.has_value()) {
          ++withheld;
        } else if (!smallest || c.group.cardinality() < (*cells)[*smallest].group.cardinality()) {
          smallest = i;
        }
      }
      if (withheld != 1) continue;
      EngineImpl::ReleaseCell& hide = (*cells)[smallest.value_or(total)];
      hide.shown.reset();
      hide.withheld = "withheld with another cell: the shown total would give that cell away";
      changed = true;
    }
  }
}

Roaring GroupOfIds(const std::vector<uint32_t>& ids) {
  Roaring r;
  r.addMany(ids.size(), ids.data());
  return r;
}

void WriteCell(JsonWriter& w, const EngineImpl::ReleaseCell& c) {
  if (c.shown.has_value()) {
    w.Uint(*c.shown);
  } else {
    w.Null();
  }
}

void WriteWithheld(JsonWriter& w, const std::vector<EngineImpl::ReleaseCell>& cells) {
  w.Key("withheld").BeginObject();
  for (const auto& c : cells) {
    if (!c.shown.has_value()) w.Key(c.name).String(c.withheld);
  }
  w.EndObject();
}

// Appends the 25 cells of a flow matrix named "<prefix>.<from>.<to>".
void AddFlowCells(const std::string& prefix,
                  const std::array<std::array<std::vector<uint32_t>, analytics::kNumStages>, analytics::kNumStages>& m,
                  std::vector<EngineImpl::ReleaseCell>* cells) {
  for (int i = 0; i < analytics::kNumStages; ++i) {
    for (int j = 0; j < analytics::kNumStages; ++j) {
      cells->push_back({prefix + "." + std::string(analytics::StageName(analytics::StageAt(i))) + "." +
                            std::string(analytics::StageName(analytics::StageAt(j))),
                        GroupOfIds(m[i][j]), {}, {}});
    }
  }
}

// Writes the flow matrix whose 25 cells start at cells[first].
void WriteFlowCells(JsonWriter& w, const std::vector<EngineImpl::ReleaseCell>& cells, size_t first) {
  w.BeginObject();
  for (int i = 0; i < analytics::kNumStages; ++i) {
    w.Key(analytics::StageName(analytics::StageAt(i))).BeginObject();
    for (int j = 0; j < analytics::kNumStages; ++j) {
      w.Key(analytics::StageName(analytics::StageAt(j)));
      WriteCell(w, cells[first + static_cast<size_t>(i * analytics::kNumStages + j)]);
    }
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

Status EngineImpl::ReleaseCells(std::vector<ReleaseCell>* cells, const std::vector<CellList>& lists, uint32_t k) {
  ReleaseOptions exact;
  exact.k = k;
  MutexLock lock(&group_log_mu_);  // check, log and seal as one step
  HOLO_ASSIGN_OR_RETURN(std::vector<Roaring> previous, LoadGroupLog());
  for (ReleaseCell& c : *cells) {
    if (c.group.isEmpty()) {
      c.shown = 0;  // nobody: nothing to protect, nothing to log
      continue;
    }
    HOLO_ASSIGN_OR_RETURN(Released r, ReleaseGroup(c.group, exact, &previous));
    c.shown = r.count;
    c.withheld = r.withheld;
  }
  std::vector<bool> before;
  for (const ReleaseCell& c : *cells) before.push_back(c.shown.has_value());
  SuppressComplements(cells, lists);
  for (size_t i = 0; i < cells->size(); ++i) {
    if (before[i] && !(*cells)[i].shown.has_value()) HOLO_RETURN_IF_ERROR(SealGroup((*cells)[i].group));
  }
  return Status::OK();
}

Result<Engine::Report> EngineImpl::ReleaseFunnel(const FunnelQuery& query, const ReleaseOptions& options) {
  if (query.k < 10) return Status::InvalidArgument("minimum cell size k must be at least 10");
  HOLO_ASSIGN_OR_RETURN(analytics::FunnelReport f, FunnelOf(query));
  const bool flows = f.from_ms.has_value();
  std::vector<ReleaseCell> cells;
  cells.push_back({"population", Roaring(), {}, {}});
  for (int i = 0; i < analytics::kNumStages; ++i) {
    cells.push_back({"stages." + std::string(analytics::StageName(analytics::StageAt(i))), GroupOfIds(f.members[i]), {}, {}});
    cells[0].group |= cells.back().group;
  }
  std::vector<CellList> lists;  // total -> parts
  lists.push_back({0, {1, 2, 3, 4, 5}});
  if (flows) {
    for (int i = 0; i < analytics::kNumStages; ++i) {
      cells.push_back({"from_stages." + std::string(analytics::StageName(analytics::StageAt(i))),
                       GroupOfIds(f.from_members[i]), {}, {}});
    }
    lists.push_back({0, {6, 7, 8, 9, 10}});
    AddFlowCells("flows", f.flow_members, &cells);
    auto flow = [](int i, int j) { return static_cast<size_t>(11 + i * analytics::kNumStages + j); };
    for (int i = 0; i < analytics::kNumStages; ++i) {
      std::vector<size_t> row, column;
      for (int j = 0; j < analytics::kNumStages; ++j) {
        row.push_back(flow(i, j));
        column.push_back(flow(j, i));
      }
      lists.push_back({static_cast<size_t>(6 + i), row});     // from stage i = its row
      lists.push_back({static_cast<size_t>(1 + i), column});  // at stage i = its column
    }
  }
  const double epsilon = options.epsilon * (flows ? 3 : 1);  // one per list partitioning the population
  if (options.epsilon > 0) HOLO_RETURN_IF_ERROR(SpendBudget(options.budget_owner, options.budget, epsilon));
  HOLO_RETURN_IF_ERROR(ReleaseCells(&cells, lists, options.k));
  if (options.epsilon > 0) {
    std::mt19937_64 rng(std::random_device{}());
    for (ReleaseCell& c : cells) {
      if (!c.shown.has_value() || *c.shown == 0) continue;
      c.shown = static_cast<uint64_t>(
          std::max(0.0, std::round(static_cast<double>(*c.shown) + analytics::Laplace(rng, 1.0 / options.epsilon))));
    }
  }

  Report out;
  JsonWriter w(&out.json);
  w.BeginObject().Key("brand").String(f.brand).Key("category");
  if (f.category.empty()) {
    w.Null();
  } else {
    w.String(f.category);
  }
  w.Key("at").String(FormatIso8601Ms(f.at_ms));
  if (flows) w.Key("from").String(FormatIso8601Ms(*f.from_ms));
  w.Key("min_group").Uint(options.k);
  if (options.epsilon > 0) w.Key("epsilon").Double(epsilon);
  w.Key("population");
  WriteCell(w, cells[0]);
  size_t next = 1;
  for (const char* list : flows ? std::vector<const char*>{"stages", "from_stages"} : std::vector<const char*>{"stages"}) {
    w.Key(list).BeginObject();
    for (int i = 0; i < analytics::kNumStages; ++i) {
      w.Key(analytics::StageName(analytics::StageAt(i)));
      WriteCell(w, cells[next++]);
    }
    w.EndObject();
  }
  if (flows) {
    w.Key("flows");
    WriteFlowCells(w, cells, next);
  }
  WriteWithheld(w, cells);
  w.Key("events_scanned").Uint(f.events_scanned);
  w.EndObject();
  out.text = out.json;
  return out;
}

Result<Engine::Report> EngineImpl::Campaign(std::string_view campaign, uint32_t k) {
  if (k < 10) return Status::InvalidArgument("minimum cell size k must be at least 10");
  analytics::CampaignOptions o;
  o.campaign = std::string(campaign);
  HOLO_ASSIGN_OR_RETURN(analytics::CampaignReport c, analytics::MeasureCampaign(*store_, o));
  Report r;
  r.json = c.ToJson(k);
  r.text = c.ToText(k);
  return r;
}

Result<Engine::Report> EngineImpl::ReleaseCampaign(std::string_view campaign, const ReleaseOptions& options) {
  analytics::CampaignOptions o;
  o.campaign = std::string(campaign);
  HOLO_ASSIGN_OR_RETURN(analytics::CampaignReport c, analytics::MeasureCampaign(*store_, o));
  std::vector<ReleaseCell> cells;
  cells.push_back({"exposed_total", GroupOfIds(c.exposed_all), {}, {}});
  cells.push_back({"control_pool", GroupOfIds(c.control_all), {}, {}});
  const size_t first_group = cells.size();
  for (const auto& [name, g] : {std::pair<std::string, const analytics::CampaignGroup*>{"exposed", &c.exposed},
                                std::pair<std::string, const analytics::CampaignGroup*>{"control", &c.control}}) {
    cells.push_back({name + ".n", GroupOfIds(g->members), {}, {}});
    cells.push_back({name + ".buyers", GroupOfIds(g->buyer_members), {}, {}});
    AddFlowCells(name + ".flows", g->flow_members, &cells);
  }
  constexpr size_t kPerGroup = 2 + analytics::kNumStages * analytics::kNumStages;
  std::vector<CellList> lists;
  for (size_t g = 0; g < 2; ++g) {  // each group's flow cells partition its n
    const size_t n = first_group + g * kPerGroup;
    std::vector<size_t> parts;
    for (size_t i = 0; i < analytics::kNumStages * analytics::kNumStages; ++i) parts.push_back(n + 2 + i);
    lists.push_back({n, parts});
  }
  HOLO_RETURN_IF_ERROR(ReleaseCells(&cells, lists, options.k));

  auto shown = [&](size_t i) { return cells[i].shown.has_value(); };
  auto all_flows_shown = [&](size_t n) {
    for (size_t i = 0; i < analytics::kNumStages * analytics::kNumStages; ++i) {
      if (!shown(n + 2 + i)) return false;
    }
    return true;
  };
  Report out;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("campaign").String(c.campaign).Key("brand").String(c.brand).Key("category").String(c.category);
  w.Key("start").String(FormatIso8601Ms(c.start_ms)).Key("end").String(FormatIso8601Ms(c.end_ms));
  w.Key("horizon_days").Double(static_cast<double>(c.horizon_ms) / analytics::kDayMs);
  w.Key("min_group").Uint(options.k);
  w.Key("exposed_total");
  WriteCell(w, cells[0]);
  w.Key("control_pool");
  WriteCell(w, cells[1]);
  w.Key("strata").Uint(c.strata);
  bool rates = true;
  for (size_t g = 0; g < 2; ++g) {
    const size_t n = first_group + g * kPerGroup;
    const analytics::CampaignGroup& group = g == 0 ? c.exposed : c.control;
    w.Key(g == 0 ? "exposed" : "control").BeginObject();
    w.Key("n");
    WriteCell(w, cells[n]);
    w.Key("buyers");
    WriteCell(w, cells[n + 1]);
    // A rate divides the two counts: shown only when both are.
    rates = rates && shown(n) && shown(n + 1);
    if (shown(n) && shown(n + 1)) w.Key("rate").Double(group.rate);
    if (shown(n) && all_flows_shown(n)) w.Key("moved_up").Double(group.moved_up);
    w.Key("flows");
    WriteFlowCells(w, cells, n + 2);
    w.EndObject();
  }
  if (rates) {
    w.Key("lift_pp").Double(c.lift_pp).Key("se_pp").Double(c.se_pp);
    w.Key("ci95_pp").BeginArray().Double(c.ci_low_pp).Double(c.ci_high_pp).EndArray();
  }
  w.Key("stages_from").String(FormatIso8601Ms(c.start_ms));
  w.Key("stages_at").String(FormatIso8601Ms(c.stages_at_ms));
  WriteWithheld(w, cells);
  w.EndObject();
  out.text = out.json;
  return out;
}

}  // namespace holo::engine
