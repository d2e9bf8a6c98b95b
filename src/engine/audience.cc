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
#include <cmath>
#include <ostream>
#include <unordered_map>

#include "analytics/campaign.h"
#include "analytics/funnel.h"
#include "analytics/group_profile.h"
#include "analytics/offer.h"
#include "analytics/release_point.h"
#include "common/coding.h"
#include "common/json_writer.h"
#include "common/strings.h"
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

using keys::SegmentsKey;


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
  HOLO_RETURN_IF_ERROR(CheckName(name, "trait"));
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
  HOLO_RETURN_IF_ERROR(CheckName(name, "segment"));
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

Result<std::vector<uint64_t>> EngineImpl::ListProfiles(std::string_view segment_or_expression, uint64_t after,
                                                       size_t limit) {
  Roaring group;
  if (segment_or_expression.empty()) {
    HOLO_ASSIGN_OR_RETURN(group, audiences_.Everyone());
  } else {
    HOLO_ASSIGN_OR_RETURN(group, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/true));
  }
  std::vector<uint64_t> out;
  if (after >= UINT32_MAX) return out;
  auto it = group.begin();
  it.equalorlarger(static_cast<uint32_t>(after + 1));
  for (; it != group.end() && out.size() < limit; ++it) out.push_back(*it);
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
  HOLO_ASSIGN_OR_RETURN(Roaring allowed, ExportableMembers(name, use));
  for (uint32_t id : allowed) out << id << '\n';
  if (!out) return Status::IOError("write failed while exporting segment " + std::string(name));
  return Status::OK();
}

Result<Roaring> EngineImpl::ExportableMembers(std::string_view name, std::string_view use) {
  HOLO_ASSIGN_OR_RETURN(Roaring members, audiences_.Members(name));
  HOLO_RETURN_IF_ERROR(privacy_.consent().CheckUse(use));  // an unknown use fails even for an empty segment
  // A segment defined on store visits links offline visits to the people it exports: they
  // must allow "store_link" too.
  HOLO_ASSIGN_OR_RETURN(auto segment, audiences_.GetSegment(name));
  HOLO_ASSIGN_OR_RETURN(segment::Expr expr, segment::Parse(segment.first.definition));
  const auto traits = segment::ReferencedTraits(expr);
  const bool uses_store = std::any_of(traits.begin(), traits.end(), [](const std::string& t) { return privacy::IsStoreTrait(t); });
  Roaring out;
  for (uint32_t id : members) {
    HOLO_ASSIGN_OR_RETURN(bool allowed, ConsentAllows(id, use));
    if (allowed && uses_store) {
      HOLO_ASSIGN_OR_RETURN(allowed, StoreLinkShown(id, use));
    }
    if (allowed) out.add(id);
  }
  return out;
}

// ---- aggregates released to people who may not see individuals ----

Result<Roaring> EngineImpl::GroupOf(std::string_view segment_or_expression, bool unknown_trait_is_error) {
  return audiences_.GroupOf(segment_or_expression, unknown_trait_is_error);
}

// ---- group profiles ----

Result<Engine::Report> EngineImpl::GroupProfile(std::string_view segment_or_expression,
                                                const GroupProfileOptions& options) {
  if (!options.budget_owner.empty()) {  // an analyst: differentially private (analyst_release.cc)
    HOLO_ASSIGN_OR_RETURN(AnalystGroup group, AnalystGroupOf(segment_or_expression, ReleaseOptionsOf(options)));
    return ReleaseGroupProfile(group, std::string(segment_or_expression), options);
  }
  HOLO_ASSIGN_OR_RETURN(Roaring members, GroupOf(segment_or_expression, /*unknown_trait_is_error=*/true));
  return GroupProfileOfGroup(members, std::string(segment_or_expression), options);
}

Result<Engine::Report> EngineImpl::GroupProfileOfGroup(const Roaring& members, const std::string& label,
                                                       const GroupProfileOptions& options) {
  if (!options.budget_owner.empty()) {
    AnalystGroup group;
    group.key = "group:" + label;
    group.members = members;
    return ReleaseGroupProfile(group, label, options);
  }
  // An operator's exact profile: cells under k shown as "<k".
  analytics::GroupProfileInput in;
  in.members = &members;
  Roaring population;
  const std::vector<std::string_view> dimensions(std::begin(kProfileDimensions), std::end(kProfileDimensions));
  HOLO_ASSIGN_OR_RETURN(in.dimensions, audiences_.GroupDimensions(dimensions, label, &population));
  in.population = &population;
  analytics::GroupProfileOptions go;
  go.k = options.k;
  HOLO_ASSIGN_OR_RETURN(analytics::GroupProfile gp, analytics::ComputeGroupProfile(in, go));
  Report r;
  r.json = gp.ToJson();
  r.text = "group profile of " + label + "\n" + gp.ToText();
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
  o.stores = query.stores;
  for (const std::string& st : o.stores) HOLO_RETURN_IF_ERROR(CheckName(st, "store"));
  o.store_link_allowed = [this](uint64_t oneid) { return StoreLinkShown(oneid, "funnel"); };
  o.imported_store_visits = [this, &o](const analytics::FunnelOptions::VisitSink& sink) {
    return stores_->ForEachVisitDay(o.stores, [&](const std::array<uint8_t, 16>& device, const stores::StoreVisitDay& d) {
      HOLO_ASSIGN_OR_RETURN(const uint64_t oneid, OneIdOfDevice(device));
      if (oneid != 0) sink(oneid, d.last_us / 1000);
      return Status::OK();
    });
  };
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


// ---- offers (analytics/offer.h) ----

namespace {

// Persisted format: DO NOT CHANGE the field order (append new fields at the end).
std::string EncodeOffer(const analytics::OfferIssue& o) {
  std::string v(1, '\x01');
  coding::PutLengthPrefixed(&v, o.campaign);
  coding::PutLengthPrefixed(&v, o.segment);
  coding::PutVarsint64(&v, o.issued_ms);
  coding::PutVarint64(&v, static_cast<uint64_t>(std::llround(o.holdout_share * 1e6)));
  for (const Roaring* r : {&o.invited, &o.holdout}) {
    std::string bytes(r->getSizeInBytes(/*portable=*/true), '\0');
    r->write(bytes.data(), /*portable=*/true);
    coding::PutLengthPrefixed(&v, bytes);
  }
  return v;
}

Result<analytics::OfferIssue> DecodeOffer(std::string_view name, std::string_view in) {
  analytics::OfferIssue o;
  o.name = std::string(name);
  auto bad = [&] { return Status::DataLoss("offer '" + o.name + "': damaged record"); };
  if (in.empty() || in[0] != '\x01') return bad();
  in.remove_prefix(1);
  std::string_view campaign, segment, bytes;
  uint64_t share = 0;
  if (!coding::GetLengthPrefixed(&in, &campaign) || !coding::GetLengthPrefixed(&in, &segment) ||
      !coding::GetVarsint64(&in, &o.issued_ms) || !coding::GetVarint64(&in, &share)) {
    return bad();
  }
  o.campaign = std::string(campaign);
  o.segment = std::string(segment);
  o.holdout_share = static_cast<double>(share) / 1e6;
  for (Roaring* r : {&o.invited, &o.holdout}) {
    if (!coding::GetLengthPrefixed(&in, &bytes)) return bad();
    try {
      *r = Roaring::readSafe(bytes.data(), bytes.size());
    } catch (...) {
      return bad();
    }
  }
  return o;
}

void OfferSummary(JsonWriter& w, const analytics::OfferIssue& o) {
  w.BeginObject().Key("offer").String(o.name).Key("campaign").String(o.campaign).Key("segment").String(o.segment);
  w.Key("issued").String(FormatIso8601Ms(o.issued_ms)).Key("holdout_share").Double(o.holdout_share);
  w.Key("invited").Uint(o.invited.cardinality()).Key("holdout").Uint(o.holdout.cardinality()).EndObject();
}

}  // namespace

Result<std::string> EngineImpl::IssueOffer(std::string_view name, std::string_view segment, std::string_view campaign,
                                           double holdout_share, int64_t issued_ms) {
  HOLO_RETURN_IF_ERROR(CheckName(name, "offer"));
  if (campaign.empty()) return Status::InvalidArgument("an offer names the campaign its coupons carry");
  if (!(holdout_share >= 0 && holdout_share <= 0.9)) return Status::InvalidArgument("the holdout share must be 0 to 0.9");
  MutexLock lock(&change_mu_);
  HOLO_ASSIGN_OR_RETURN(auto existing, store_->Get(Cf::kMeta, keys::OfferKey(name)));
  if (existing) return Status::AlreadyExists("an offer named '" + std::string(name) + "' was issued already");
  // Those whom consent allows to be reached; a random share of them, by a keyed hash of the
  // offer and the OneID (stable, independent of anything about the person), held out.
  HOLO_ASSIGN_OR_RETURN(Roaring members, ExportableMembers(segment, "export"));  // marketing consent
  analytics::OfferIssue o;
  o.name = std::string(name);
  o.campaign = std::string(campaign);
  o.segment = std::string(segment);
  o.issued_ms = issued_ms != 0 ? issued_ms : Now();
  o.holdout_share = holdout_share;
  const std::string salt = "offer\0" + std::string(name);
  for (uint32_t id : members) {
    const privacy::Pseudonym h = pseudonymizer_.Hash(salt, std::to_string(id));
    uint64_t x = 0;
    for (int i = 0; i < 8; ++i) x = x << 8 | h[i];
    const double u = static_cast<double>(x >> 11) / 9007199254740992.0;  // [0, 1)
    (u < holdout_share ? o.holdout : o.invited).add(id);
  }
  HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::OfferKey(name), EncodeOffer(o), /*sync=*/true));
  std::string out;
  JsonWriter w(&out);
  OfferSummary(w, o);
  return out;
}

Result<analytics::OfferReport> EngineImpl::MeasureOfferNamed(std::string_view name, int64_t window_days) {
  if (window_days < 1 || window_days > 3650) return Status::InvalidArgument("the window must be 1 to 3650 days");
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, keys::OfferKey(name)));
  if (!v) return Status::NotFound("no offer named '" + std::string(name) + "' (holo offer list)");
  HOLO_ASSIGN_OR_RETURN(analytics::OfferIssue o, DecodeOffer(name, *v));
  return analytics::MeasureOffer(*store_, o, window_days * 86400000LL);
}

Result<Engine::Report> EngineImpl::OfferReport(std::string_view name, int64_t window_days) {
  HOLO_ASSIGN_OR_RETURN(analytics::OfferReport r, MeasureOfferNamed(name, window_days));
  Report out;
  out.json = analytics::OfferReportJson(r);
  out.text = analytics::OfferReportText(r);
  return out;
}

Result<std::string> EngineImpl::ListOffersJson() {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("offers").BeginArray();
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(keys::kOfferPrefix);
  auto it = store_->NewCursor(Cf::kMeta, so);
  for (it->Seek(keys::kOfferPrefix); it->Valid(); it->Next()) {
    HOLO_ASSIGN_OR_RETURN(analytics::OfferIssue o, DecodeOffer(it->key().substr(keys::kOfferPrefix.size()), it->value()));
    OfferSummary(w, o);
  }
  HOLO_RETURN_IF_ERROR(it->status());
  w.EndArray().EndObject();
  return out;
}

}  // namespace holo::engine
