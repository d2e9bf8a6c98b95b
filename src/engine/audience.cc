// EngineImpl, audiences: computed traits, segments kept current, group profiles,
// the people graph, AIPL funnels and campaigns (docs/segments.md, docs/aipl.md).
//
// Layout in the `segments` column family (docs/storage_format.md):
//   't' name                 -> definition of a computed trait
//   'd' name                 -> segment record: version4 created8 updated8 definition
//   'v' name \0 version4     -> the definition of that version (history)
//   'm' name                 -> members, Roaring portable format
//   'q' seq8                 -> the group of an answered group profile (differencing log)
#include <simdjson.h>

#include <algorithm>
#include <ostream>
#include <unordered_map>

#include "analytics/campaign.h"
#include "analytics/funnel.h"
#include "analytics/group_profile.h"
#include "analytics/release_point.h"
#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "profile/people_graph.h"
#include "profile/profile_builder.h"
#include "profile/profile_store.h"
#include "profile/trait_registry.h"
#include "segment/evaluator.h"
#include "segment/expr.h"
#include "storage/keys.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

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

Status EngineImpl::AddComputedTraits(const std::vector<profile::AggregateSpec>& specs,
                                     const std::vector<std::string>& definitions) {
  if (specs.empty()) return Status::OK();
  std::vector<bool> redefined;  // a column of that name may exist already
  for (const auto& spec : specs) redefined.push_back(audiences_.IsComputedTrait(spec.TraitName()));
  // Saved segments are brought up to date below from the table as it is before the new
  // traits (a segment may name one before it exists): load it now, if there are any.
  HOLO_RETURN_IF_ERROR(audiences_.EnsureLoadedIfAnySegment());
  HOLO_RETURN_IF_ERROR(audiences_.RegisterComputedTraits(specs, definitions));
  const bool named = std::all_of(specs.begin(), specs.end(), [](const auto& s) { return !s.event.empty(); });
  if (!named) {  // an aggregate over any event: every event is read
    if (log_) log_("traits: rebuilding every profile with " + std::to_string(specs.size()) + " new computed trait(s)");
    uint64_t written = 0;
    return RebuildAllProfiles(&written);
  }
  // Only the named events are read (the event index) and only the trait's column written
  // (the OneIDs with a value; no profile); the loaded trait table takes each new column as
  // it is, without reloading the profiles, and the segments are re-evaluated on the rows
  // that changed.
  HOLO_ASSIGN_OR_RETURN(std::string epoch_before, audiences_.ProfilesEpoch());
  std::vector<uint64_t> changed;
  std::vector<Audiences::NewColumn> columns;
  for (size_t i = 0; i < specs.size(); ++i) {
    const profile::AggregateSpec& spec = specs[i];
    profile::BuildStats ps;
    Audiences::NewColumn column{spec, {}};
    HOLO_RETURN_IF_ERROR(profile::AddComputedTrait(store_.get(), spec, Now(), redefined[i], &ps, &column.values));
    if (log_) {
      log_("traits: " + spec.TraitName() + " from " + std::to_string(ps.events_scanned) + " '" + spec.event +
           "' events into " + std::to_string(ps.written) + " profiles in " + std::to_string(ps.seconds) + " s (" +
           std::to_string(ps.scan_threads) + (ps.scan_threads == 1 ? " thread" : " threads") + ", reading " +
           std::to_string(ps.scan_seconds) + " s)");
    }
    changed.insert(changed.end(), ps.changed.begin(), ps.changed.end());
    columns.push_back(std::move(column));
  }
  return audiences_.AddComputedColumns(columns, changed, epoch_before);
}

Status EngineImpl::DefineTrait(std::string_view name, std::string_view expression) {
  MutexLock changing(&change_mu_);
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

Status EngineImpl::DropTrait(std::string_view name) {
  MutexLock changing(&change_mu_);
  return audiences_.DropComputedTrait(name);
}

Result<std::vector<std::pair<std::string, std::string>>> EngineImpl::ListTraits() {
  return audiences_.ListComputedTraits();
}

Result<std::string> EngineImpl::TraitRegistryJson() {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("traits").BeginArray();
  for (const profile::TraitInfo& t : profile::BuiltinTraits()) {
    w.BeginObject().Key("name").String(t.name).Key("family").String(t.family);
    w.Key("type").String(profile::TraitTypeName(t.type)).Key("how").String(t.how).Key("kind").String("builtin");
    w.EndObject();
  }
  Audiences::ComputedList computed = audiences_.ComputedTraits();
  HOLO_ASSIGN_OR_RETURN(auto definitions, audiences_.ListComputedTraits());
  for (const auto& [name, definition] : definitions) {
    // A count, sum, min, max or distinct count is a number; first, last and most frequent
    // take the property's own values.
    std::string_view type = "number";
    for (const profile::AggregateSpec& spec : *computed) {
      if (spec.TraitName() != name) continue;
      if (spec.func == profile::AggFunc::kFirst || spec.func == profile::AggFunc::kLast ||
          spec.func == profile::AggFunc::kMostFrequent) {
        type = "value";
      }
    }
    w.BeginObject().Key("name").String(name).Key("family").String("computed").Key("type").String(type);
    w.Key("how").String(definition).Key("kind").String("computed").EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

// ---- segments ----

Result<Engine::SegmentInfo> EngineImpl::DefineSegment(std::string_view name, std::string_view expression) {
  MutexLock changing(&change_mu_);
  HOLO_RETURN_IF_ERROR(ValidName(name, "segment"));
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  // Aggregate terms become computed traits named by their canonical text.
  std::vector<profile::AggregateSpec> missing;
  std::vector<std::string> definitions;
  for (auto& spec : segment::Aggregates(expr)) {
    if (!audiences_.IsComputedTrait(spec.TraitName())) {
      definitions.push_back(spec.TraitName());
      missing.push_back(std::move(spec));
    }
  }
  HOLO_RETURN_IF_ERROR(audiences_.EnsureLoaded());
  HOLO_RETURN_IF_ERROR(AddComputedTraits(missing, definitions));
  HOLO_ASSIGN_OR_RETURN(auto info, audiences_.DefineSegment(name, expression, Now()));
  Engine::SegmentInfo out = ToInfo(info);
  HOLO_ASSIGN_OR_RETURN(out.warnings, audiences_.UnknownTraitWarnings(expr));
  return out;
}

Result<std::vector<std::string>> EngineImpl::ExpressionWarnings(std::string_view expression) {
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  return audiences_.UnknownTraitWarnings(expr);
}

Status EngineImpl::DropSegment(std::string_view name) {
  MutexLock changing(&change_mu_);
  return audiences_.DropSegment(name);
}

Result<std::vector<Engine::SegmentInfo>> EngineImpl::ListSegments() {
  HOLO_ASSIGN_OR_RETURN(auto list, audiences_.ListSegments());
  std::vector<Engine::SegmentInfo> out;
  for (const auto& s : list) out.push_back(ToInfo(s));
  return out;
}

Result<Engine::SegmentInfo> EngineImpl::GetSegment(std::string_view name) {
  HOLO_ASSIGN_OR_RETURN(auto segment, audiences_.GetSegment(name));
  Engine::SegmentInfo out = ToInfo(segment.first);
  out.history = std::move(segment.second);
  return out;
}

Result<uint64_t> EngineImpl::CountExpression(std::string_view expression) {
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(expression));
  HOLO_ASSIGN_OR_RETURN(Roaring members, audiences_.Evaluate(expr));
  return members.cardinality();
}

Result<Engine::Overlap> EngineImpl::SegmentOverlap(std::string_view a, std::string_view b) {
  HOLO_ASSIGN_OR_RETURN(Roaring ma, audiences_.Members(a));
  HOLO_ASSIGN_OR_RETURN(Roaring mb, audiences_.Members(b));
  Overlap o;
  o.a = ma.cardinality();
  o.b = mb.cardinality();
  o.both = ma.and_cardinality(mb);
  uint64_t either = o.a + o.b - o.both;
  o.jaccard = either ? static_cast<double>(o.both) / either : 0;
  return o;
}

Status EngineImpl::ExportSegment(std::string_view name, std::ostream& out, std::string_view use) {
  HOLO_ASSIGN_OR_RETURN(Roaring members, audiences_.Members(name));
  HOLO_RETURN_IF_ERROR(privacy_.consent().CheckUse(use));  // an unknown use fails even for an empty segment
  // A segment defined on store visits links offline visits to the people it exports: they
  // must allow "store_link" too.
  HOLO_ASSIGN_OR_RETURN(auto segment, audiences_.GetSegment(name));
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(segment.first.definition));
  const auto traits = segment::ReferencedTraits(expr);
  const bool uses_store = std::any_of(traits.begin(), traits.end(), [](const std::string& t) { return privacy::IsStoreTrait(t); });
  for (uint32_t id : members) {
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
  return audiences_.GroupOf(segment_or_expression, unknown_trait_is_error);
}

namespace {

analytics::ReleaseOptions ToRelease(const Engine::ReleaseOptions& o) {
  analytics::ReleaseOptions r;
  r.k = o.k;
  r.epsilon = o.epsilon;
  r.budget_owner = o.budget_owner;
  r.budget = o.budget;
  return r;
}

Engine::Released FromRelease(const analytics::Released& r) {
  Engine::Released out;
  out.count = r.count;
  out.withheld = r.withheld;
  out.epsilon = r.epsilon;
  return out;
}

}  // namespace

Result<Engine::Released> EngineImpl::ReleaseCount(std::string_view segment_or_expression, const ReleaseOptions& options) {
  HOLO_ASSIGN_OR_RETURN(Roaring group, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/false));
  Released out;
  HOLO_RETURN_IF_ERROR(release_.Run([&](analytics::ReleasePoint::Session& session) -> Status {
    HOLO_ASSIGN_OR_RETURN(analytics::Released r, session.Release(group, ToRelease(options)));
    out = FromRelease(r);
    return Status::OK();
  }));
  return out;
}

Result<Engine::ReleasedOverlap> EngineImpl::ReleaseOverlap(std::string_view a, std::string_view b,
                                                           const ReleaseOptions& options) {
  HOLO_ASSIGN_OR_RETURN(Roaring ma, audiences_.Members(a));
  HOLO_ASSIGN_OR_RETURN(Roaring mb, audiences_.Members(b));
  const Roaring both = ma & mb;
  ReleasedOverlap out;
  HOLO_RETURN_IF_ERROR(release_.Run([&](analytics::ReleasePoint::Session& session) -> Status {
    const std::pair<const Roaring*, Released*> groups[] = {{&ma, &out.a}, {&mb, &out.b}, {&both, &out.both}};
    for (auto [group, released] : groups) {
      HOLO_ASSIGN_OR_RETURN(analytics::Released r, session.Release(*group, ToRelease(options)));
      *released = FromRelease(r);
    }
    return Status::OK();
  }));
  return out;
}

// ---- group profiles ----

Result<Engine::Report> EngineImpl::GroupProfile(std::string_view segment_or_expression,
                                                const GroupProfileOptions& options) {
  HOLO_ASSIGN_OR_RETURN(Roaring members, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/true));
  return GroupProfileOfGroup(members, std::string(segment_or_expression), options);
}

Result<Engine::Report> EngineImpl::GroupProfileOfGroup(const Roaring& members, const std::string& label,
                                                       const GroupProfileOptions& options) {
  analytics::GroupProfileInput in;
  in.members = &members;
  Roaring population;
  const std::vector<std::string_view> dimensions(std::begin(kProfileDimensions), std::end(kProfileDimensions));
  HOLO_ASSIGN_OR_RETURN(in.dimensions, audiences_.GroupDimensions(dimensions, label, &population));
  in.population = &population;
  // Checked against every group answered before, and logged, as one step.
  Report r;
  HOLO_RETURN_IF_ERROR(release_.Run([&](analytics::ReleasePoint::Session& session) -> Status {
    for (const Roaring& g : session.previous()) in.previous.push_back(&g);
    HOLO_RETURN_IF_ERROR(session.CheckSealed(members, options.k));
    analytics::GroupProfileOptions go;
    go.k = options.k;
    go.epsilon = options.epsilon;
    if (options.epsilon > 0 && !options.budget_owner.empty()) {
      // Each dimension's cells partition the group; the dimensions compose.
      HOLO_RETURN_IF_ERROR(
          release_.SpendBudget(options.budget_owner, options.budget, options.epsilon * in.dimensions.size()));
    }
    HOLO_ASSIGN_OR_RETURN(analytics::GroupProfile gp, analytics::ComputeGroupProfile(in, go));
    HOLO_RETURN_IF_ERROR(session.Log(members));
    r.json = gp.ToJson();
    r.text = "group profile of " + label + "\n" + gp.ToText();
    return Status::OK();
  }));
  return r;
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
  analytics::ReleaseOptions exact;
  exact.k = k;
  // Checked, logged and sealed as one step.
  return release_.Run([&](analytics::ReleasePoint::Session& session) -> Status {
    for (ReleaseCell& c : *cells) {
      if (c.group.isEmpty()) {
        c.shown = 0;  // nobody: nothing to protect, nothing to log
        continue;
      }
      HOLO_ASSIGN_OR_RETURN(analytics::Released r, session.Release(c.group, exact));
      c.shown = r.count;
      c.withheld = r.withheld;
    }
    std::vector<bool> before;
    for (const ReleaseCell& c : *cells) before.push_back(c.shown.has_value());
    SuppressComplements(cells, lists);
    for (size_t i = 0; i < cells->size(); ++i) {
      if (before[i] && !(*cells)[i].shown.has_value()) HOLO_RETURN_IF_ERROR(session.Seal((*cells)[i].group));
    }
    return Status::OK();
  });
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
  if (options.epsilon > 0) HOLO_RETURN_IF_ERROR(release_.SpendBudget(options.budget_owner, options.budget, epsilon));
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
