// What analysts get (AnalystService, docs/privacy.md "Aggregates"): every number through the
// release point (analytics/release_point.h) — discrete Laplace noise, a threshold on the noisy
// value, paid from the analyst's budget for the period. Refusals name the rule only.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "analytics/campaign.h"
#include "analytics/dp_noise.h"
#include "analytics/funnel.h"
#include "analytics/group_profile.h"
#include "analytics/proportion_interval.h"
#include "analytics/release_point.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"

#include "analytics/proportion_interval.h"
#include "segment/expr.h"

namespace holo::engine {
namespace {

// An epsilon as shown: sums of decimal steps without their binary tails (1.7, not 1.7000000000000002).
double Shown(double epsilon) { return std::round(epsilon * 1e6) / 1e6; }

constexpr const char* kBelowK = "group below the minimum size";
constexpr const char* kPartBelowK = "a group the expression combines is below the minimum size";
// Sub-groups an analyst's expression may combine (each is checked, and paid for once a period).
constexpr size_t kMaxSubGroups = 12;

Status CheckK(uint32_t k) {
  if (k < analytics::kMinReleaseK) {
    return Status::InvalidArgument("minimum group size k=" + std::to_string(k) + " is below the floor of " +
                                   std::to_string(analytics::kMinReleaseK));
  }
  return Status::OK();
}

analytics::Budget BudgetOf(const std::string& owner, double total, uint32_t period_days, int64_t now_ms) {
  analytics::Budget b;
  b.owner = owner;
  b.total = total;
  b.period_days = period_days;
  b.now_ms = now_ms;
  return b;
}

bool Lower(std::string_view s, std::string_view needle) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return l.find(needle) != std::string::npos;
}

// An event property that identifies a person, a device or a moment: analysts may not filter
// or aggregate on it.
bool IdentifyingProperty(std::string_view p) {
  if (p.empty()) return false;
  const bool id_suffix = p == "id" || (p.size() > 2 && (p.ends_with("_id") || p.ends_with("Id") || p.ends_with("ID")));
  return id_suffix || Lower(p, "email") || Lower(p, "phone") || Lower(p, "address") || Lower(p, "street") ||
         Lower(p, "name") || Lower(p, "ip") || Lower(p, "device") || Lower(p, "time") || Lower(p, "date") ||
         Lower(p, "postcode") || Lower(p, "lat") || Lower(p, "lon");
}

// The rule a quasi-identifier in `e` breaks, or empty.
std::string QuasiIdentifierRule(const segment::Expr& e) {
  using K = segment::Expr::Kind;
  for (const segment::Expr& c : e.children) {
    if (std::string rule = QuasiIdentifierRule(c); !rule.empty()) return rule;
  }
  if (!e.is_predicate()) return "";
  const segment::Operand& o = e.operand;
  if (o.kind == segment::Operand::Kind::kAggregate) {
    if (IdentifyingProperty(o.aggregate.property)) {
      return "identifying event properties (ids, contacts, names, exact times and places) may not be aggregated by analysts";
    }
    for (const auto& w : o.aggregate.where) {
      if (IdentifyingProperty(w.property)) {
        return "identifying event properties (ids, contacts, names, exact times and places) may not be filtered on by analysts";
      }
    }
    return "";
  }
  const std::string& t = o.name;
  if (t == "home_area" || t == "work_area" || t == "home_postcode") {
    return "home and work areas and postcodes are quasi-identifiers: analysts use home_city or city";
  }
  if (t == "age") {
    const bool exact = (e.kind == K::kCompare && (e.op == segment::CmpOp::kEq || e.op == segment::CmpOp::kNe)) ||
                       e.kind == K::kIn ||
                       (e.kind == K::kBetween && e.values.size() == 2 && e.values[1].number - e.values[0].number < 4);
    if (exact) return "an exact age is a quasi-identifier: analysts use age_band or a range of at least 5 years";
  }
  if (t == "salary_day") return "the day of salary is a quasi-identifier: analysts use salary_band";
  return "";
}

// `e`'s sub-groups (every operand of and, or, not, at any depth; not `e` itself) by their
// canonical text, each once.
void SubGroups(const segment::Expr& e, std::map<std::string, const segment::Expr*>* out) {
  for (const segment::Expr& c : e.children) {
    out->emplace(segment::Canonical(c), &c);
    SubGroups(c, out);
  }
}

}  // namespace

Engine::ReleaseOptions EngineImpl::ReleaseOptionsOf(const GroupProfileOptions& options) {
  ReleaseOptions ro;
  ro.k = options.k;
  ro.epsilon = options.epsilon;
  ro.budget_owner = options.budget_owner;
  ro.budget = options.budget;
  ro.period_days = options.period_days;
  return ro;
}

analytics::Budget EngineImpl::AnalystBudget(const ReleaseOptions& options) const {
  return BudgetOf(options.budget_owner, options.budget, options.period_days, Now());
}

Result<EngineImpl::AnalystGroup> EngineImpl::AnalystGroupOf(std::string_view segment_or_expression,
                                                           const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("an analyst's question needs the analyst who pays for it");
  AnalystGroup out;
  const std::string text(segment_or_expression);
  if (auto segment = audiences_.GetSegment(text); segment.ok()) {
    out.key = "segment:" + text + "\n" + segment->first.definition;
    HOLO_ASSIGN_OR_RETURN(out.members, audiences_.Members(text));
    return out;
  }
  auto parsed = segment::Parse(segment_or_expression);
  if (!parsed.ok()) {
    return Status::InvalidArgument("'" + text + "' is neither a segment nor a valid expression: " +
                                   parsed.status().message());
  }
  if (std::string rule = QuasiIdentifierRule(*parsed); !rule.empty()) {
    return Status::InvalidArgument("refused: " + rule);
  }
  std::map<std::string, const segment::Expr*> parts;
  SubGroups(*parsed, &parts);
  if (parts.size() > kMaxSubGroups) {
    return Status::InvalidArgument("refused: an analyst's expression may combine at most " +
                                   std::to_string(kMaxSubGroups) + " sub-groups");
  }
  const double eps = (options.epsilon > 0 ? options.epsilon : kDefaultCountEpsilon) / 2;
  const analytics::Budget budget = AnalystBudget(options);
  // Each part evaluated as the expression it is (never looked up by its text, which could be
  // a segment's name).
  for (const auto& [part, expr] : parts) {
    HOLO_ASSIGN_OR_RETURN(Roaring group, audiences_.Evaluate(*expr));
    analytics::ReleaseQuery q{"part:" + part, {{group.cardinality(), eps, options.k}}, eps};
    HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, release_.Release(q, budget));
    out.charged += a.charged;
    if (!a.cells[0].has_value()) out.refused = kPartBelowK;
  }
  out.key = "expr:" + segment::Canonical(*parsed);
  if (out.refused.empty()) {
    HOLO_ASSIGN_OR_RETURN(out.members, audiences_.Evaluate(*parsed));
  }
  return out;
}

Result<Engine::Released> EngineImpl::ReleaseGroupSize(const AnalystGroup& group, const ReleaseOptions& options) {
  Released out;
  out.epsilon = group.charged;
  if (!group.refused.empty()) {
    out.withheld = group.refused;
    HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer spent, release_.Spent(AnalystBudget(options)));
    out.spent = spent.spent;
    out.total = spent.total;
    return out;
  }
  const double eps = options.epsilon > 0 ? options.epsilon : kDefaultCountEpsilon;
  analytics::ReleaseQuery q{"count:" + group.key, {{group.members.cardinality(), eps, options.k}}, eps};
  HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, release_.Release(q, AnalystBudget(options)));
  out.count = a.cells[0];
  if (!out.count) out.withheld = kBelowK;
  out.epsilon = Shown(out.epsilon + a.charged);
  out.spent = Shown(a.spent);
  out.total = a.total;
  return out;
}

Result<Engine::Released> EngineImpl::ReleaseCount(std::string_view segment_or_expression, const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("a released count needs the analyst who pays for it");
  HOLO_ASSIGN_OR_RETURN(AnalystGroup group, AnalystGroupOf(segment_or_expression, options));
  return ReleaseGroupSize(group, options);
}

Result<Engine::ReleasedOverlap> EngineImpl::ReleaseOverlap(std::string_view a, std::string_view b,
                                                           const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("a released overlap needs the analyst who pays for it");
  ReleasedOverlap out;
  HOLO_ASSIGN_OR_RETURN(AnalystGroup ga, AnalystGroupOf(a, options));
  HOLO_ASSIGN_OR_RETURN(AnalystGroup gb, AnalystGroupOf(b, options));
  HOLO_ASSIGN_OR_RETURN(out.a, ReleaseGroupSize(ga, options));
  HOLO_ASSIGN_OR_RETURN(out.b, ReleaseGroupSize(gb, options));
  AnalystGroup both;
  both.key = "both:" + std::min(ga.key, gb.key) + "\n" + std::max(ga.key, gb.key);
  both.refused = !ga.refused.empty() ? ga.refused : gb.refused;
  if (both.refused.empty()) both.members = ga.members & gb.members;
  HOLO_ASSIGN_OR_RETURN(out.both, ReleaseGroupSize(both, options));
  return out;
}

// ---- group profiles ----

namespace {

struct ShownCell {
  std::string label;
  uint64_t count = 0;
  std::optional<uint64_t> population;
};

}  // namespace

Result<Engine::Report> EngineImpl::ReleaseGroupProfile(const AnalystGroup& group, const std::string& label,
                                                       const GroupProfileOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  const analytics::Budget budget = AnalystBudget(ReleaseOptionsOf(options));
  if (!group.refused.empty()) return Status::FailedPrecondition("refused: " + group.refused);

  std::vector<std::string_view> names;
  for (std::string_view d : kProfileDimensions) {
    if (options.dimensions.empty() ||
        std::find(options.dimensions.begin(), options.dimensions.end(), d) != options.dimensions.end()) {
      names.push_back(d);
    }
  }
  for (const std::string& d : options.dimensions) {
    if (std::find(std::begin(kProfileDimensions), std::end(kProfileDimensions), d) == std::end(kProfileDimensions)) {
      return Status::InvalidArgument("unknown dimension '" + d + "' (group profiles show the built-in profile traits)");
    }
  }
  Roaring population;
  HOLO_ASSIGN_OR_RETURN(std::vector<analytics::Dimension> dims, audiences_.GroupDimensions(names, label, &population));
  // Analysts get no "segments" dimension: a segment of theirs would list its members' overlap.
  std::erase_if(dims, [](const analytics::Dimension& d) { return d.name == "segments"; });

  // The question: the group's size and population, then each dimension's cells; epsilon split
  // evenly over the size and the dimensions, and within a dimension over the cells one person
  // can be in. A value's cell exists only because someone has it: its threshold keeps a
  // one-person cell hidden but with probability kCellDelta.
  const double total = options.epsilon > 0 ? options.epsilon : kDefaultProfileEpsilon;
  const double share = total / static_cast<double>(dims.size() + 1);
  analytics::ReleaseQuery q;
  q.key = "profile:" + group.key;
  for (const auto& d : dims) q.key += "\n" + d.name;
  q.charge = total;
  q.cells.push_back({group.members.cardinality(), share, options.k});
  analytics::ReleaseQuery pop;  // the population's side of the index: its own question
  pop.key = "population:";
  // The population's counts are large: a small epsilon (paid once a period) keeps them close.
  constexpr double pop_eps = 0.02;
  pop.charge = pop_eps * static_cast<double>(dims.size() + 1);
  pop.cells.push_back({population.cardinality(), pop_eps, options.k});
  std::vector<uint64_t> thresholds;
  for (const analytics::Dimension& d : dims) {
    pop.key += d.name + ",";
    const double cell_eps = share / std::max<uint32_t>(1, d.max_cells_per_row);
    const double pop_cell_eps = pop_eps / std::max<uint32_t>(1, d.max_cells_per_row);
    const uint64_t value_threshold = std::max<uint64_t>(options.k, analytics::ThresholdForDelta(cell_eps, kCellDelta));
    const uint64_t pop_threshold = std::max<uint64_t>(options.k, analytics::ThresholdForDelta(pop_cell_eps, kCellDelta));
    for (const auto& [value, rows] : d.cells) {
      const bool fixed = value == "unknown";
      q.cells.push_back({group.members.and_cardinality(rows), cell_eps, fixed ? options.k : value_threshold});
      pop.cells.push_back({population.and_cardinality(rows), pop_cell_eps, fixed ? options.k : pop_threshold});
    }
  }
  HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, release_.Release(q, budget));
  double charged = a.charged;
  std::optional<analytics::ReleaseAnswer> p;
  if (auto r = release_.Release(pop, budget); r.ok()) {
    charged += r->charged;
    p = std::move(*r);
  } else if (r.status().code() != StatusCode::kResourceExhausted) {
    return r.status();
  }  // a spent budget leaves the index out

  Report out;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("group").String(label);
  w.Key("size");
  const std::optional<uint64_t> size = a.cells[0];
  if (size) {
    w.Uint(*size);
  } else {
    w.Null().Key("withheld").String(kBelowK);
  }
  const std::optional<uint64_t> pop_size = p ? p->cells[0] : std::nullopt;
  w.Key("population");
  if (pop_size) {
    w.Uint(*pop_size);
  } else {
    w.Null();
  }
  w.Key("k").Uint(options.k).Key("epsilon").Double(total).Key("charged").Double(Shown(charged));
  w.Key("budget").BeginObject().Key("spent").Double(Shown(p ? p->spent : a.spent)).Key("total").Double(a.total);
  w.Key("period").String(a.period).EndObject();
  w.Key("dimensions").BeginArray();
  out.text = "group profile of " + label + " (differentially private, epsilon " + std::to_string(total) + ")\n";
  size_t next = 1;
  for (const analytics::Dimension& d : dims) {
    std::vector<ShownCell> shown;
    // In a partition the shares are over the people who have a value: the denominators are the
    // sums of the shown noisy counts of the other cells (no new number is released).
    uint64_t group_valued = 0;
    uint64_t pop_valued = 0;
    for (const auto& cell : d.cells) {
      const std::optional<uint64_t>& c = a.cells[next];
      const std::optional<uint64_t> pc = p ? p->cells[next] : std::nullopt;
      ++next;
      if (size && c) shown.push_back({cell.first, *c, pc});
      if (cell.first == analytics::kUnknownCell) continue;
      if (size && c) group_valued += *c;
      if (pc) pop_valued += *pc;
    }
    const bool over_valued = d.partition;
    std::sort(shown.begin(), shown.end(), [](const ShownCell& x, const ShownCell& y) {
      return x.count != y.count ? x.count > y.count : x.label < y.label;
    });
    w.BeginObject().Key("name").String(d.name).Key("cells").BeginArray();
    out.text += "\n" + d.name + "\n";
    for (const ShownCell& c : shown) {
      const bool unknown = over_valued && c.label == analytics::kUnknownCell;
      const uint64_t group_base = over_valued && !unknown ? group_valued : *size;
      const std::optional<uint64_t> pop_base = over_valued ? std::optional<uint64_t>(pop_valued) : pop_size;
      const double s = group_base > 0 ? static_cast<double>(c.count) / static_cast<double>(group_base) : 0;
      w.BeginObject().Key("value").String(c.label).Key("count").Uint(c.count);
      w.Key("share").Double(std::round(s * 10000) / 10000);
      double index = 0;
      if (!unknown && c.population && pop_base && *pop_base > 0 && *c.population > 0) {
        index = s / (static_cast<double>(*c.population) / static_cast<double>(*pop_base)) * 100;
        w.Key("index").Double(std::round(index * 10) / 10);
      }
      w.EndObject();
      char buf[256];
      if (unknown) {
        std::snprintf(buf, sizeof(buf), "  %-28s %10llu %6.1f%%  (of everyone)\n", c.label.c_str(),
                      static_cast<unsigned long long>(c.count), s * 100);
      } else {
        std::snprintf(buf, sizeof(buf), "  %-28s %10llu %6.1f%%  index %5.0f\n", c.label.c_str(),
                      static_cast<unsigned long long>(c.count), s * 100, index);
      }
      out.text += buf;
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Key("note").String("every number is noised; values whose noisy count is below the threshold are not listed");
  w.EndObject();
  return out;
}

// ---- funnels and campaigns ----

namespace {

// One cell of a released report: its name and the exact count.
struct NamedCell {
  std::string name;
  uint64_t count = 0;
};

void AddFlowCells(const std::string& prefix,
                  const std::array<std::array<std::vector<uint32_t>, analytics::kNumStages>, analytics::kNumStages>& m,
                  std::vector<NamedCell>* cells) {
  for (int i = 0; i < analytics::kNumStages; ++i) {
    for (int j = 0; j < analytics::kNumStages; ++j) {
      cells->push_back({prefix + "." + std::string(analytics::StageName(analytics::StageAt(i))) + "." +
                            std::string(analytics::StageName(analytics::StageAt(j))),
                        m[i][j].size()});
    }
  }
}

void WriteCell(JsonWriter& w, const std::optional<uint64_t>& c) {
  if (c) {
    w.Uint(*c);
  } else {
    w.Null();
  }
}

void WriteFlowCells(JsonWriter& w, const std::vector<std::optional<uint64_t>>& shown, size_t first) {
  w.BeginObject();
  for (int i = 0; i < analytics::kNumStages; ++i) {
    w.Key(analytics::StageName(analytics::StageAt(i))).BeginObject();
    for (int j = 0; j < analytics::kNumStages; ++j) {
      w.Key(analytics::StageName(analytics::StageAt(j)));
      WriteCell(w, shown[first + static_cast<size_t>(i * analytics::kNumStages + j)]);
    }
    w.EndObject();
  }
  w.EndObject();
}

// The names of the cells the threshold withheld, each with the rule (never a number).
void WriteWithheld(JsonWriter& w, const std::vector<NamedCell>& cells, const analytics::ReleaseAnswer& a) {
  w.Key("withheld").BeginObject();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (!a.cells[i]) w.Key(cells[i].name).String(kBelowK);
  }
  w.EndObject();
}

// A group's released size and buyers ("n", "buyers"), and its rate from those noisy counts
// under `rate_key` when both are shown (post-processing: no further privacy cost); *n and
// *rate receive what the rate was computed from.
void WriteGroupRate(JsonWriter& w, const std::optional<uint64_t>& n_cell, const std::optional<uint64_t>& buyers_cell,
                    const char* rate_key, double* n, std::optional<double>* rate) {
  w.Key("n");
  WriteCell(w, n_cell);
  w.Key("buyers");
  WriteCell(w, buyers_cell);
  if (n_cell && buyers_cell) {
    *n = static_cast<double>(*n_cell);
    *rate = std::min(1.0, static_cast<double>(*buyers_cell) / *n);
    w.Key(rate_key).Double(std::round(**rate * 10000) / 10000);
  }
}

void WriteBudget(JsonWriter& w, const analytics::ReleaseAnswer& a, double epsilon) {
  w.Key("epsilon").Double(epsilon).Key("charged").Double(Shown(a.charged));
  w.Key("budget").BeginObject().Key("spent").Double(Shown(a.spent)).Key("total").Double(a.total);
  w.Key("period").String(a.period).EndObject();
}

}  // namespace

Result<analytics::ReleaseAnswer> EngineImpl::ReleaseNamedCells(const std::string& key, const std::vector<uint64_t>& counts,
                                                              double epsilon, uint32_t per_person,
                                                              const ReleaseOptions& options) {
  analytics::ReleaseQuery q;
  q.key = key;
  q.charge = epsilon;
  for (uint64_t c : counts) q.cells.push_back({c, epsilon / per_person, options.k});
  return release_.Release(q, AnalystBudget(options));
}

Result<Engine::Report> EngineImpl::ReleaseFunnel(const FunnelQuery& query, const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(std::max(query.k, options.k)));
  if (options.budget_owner.empty()) return Status::InvalidArgument("a released funnel needs the analyst who pays for it");
  HOLO_ASSIGN_OR_RETURN(analytics::FunnelReport f, FunnelOf(query));
  const bool flows = f.from_ms.has_value();
  std::vector<NamedCell> cells;
  uint64_t population = 0;
  for (int i = 0; i < analytics::kNumStages; ++i) population += f.members[i].size();
  cells.push_back({"population", population});
  for (int i = 0; i < analytics::kNumStages; ++i) {
    cells.push_back({"stages." + std::string(analytics::StageName(analytics::StageAt(i))), f.members[i].size()});
  }
  if (flows) {
    for (int i = 0; i < analytics::kNumStages; ++i) {
      cells.push_back({"from_stages." + std::string(analytics::StageName(analytics::StageAt(i))), f.from_members[i].size()});
    }
    AddFlowCells("flows", f.flow_members, &cells);
  }
  // One person is in the population, one stage, and with flows one earlier stage and one flow.
  const uint32_t per_person = flows ? 4 : 2;
  const double epsilon = options.epsilon > 0 ? options.epsilon : kDefaultReportEpsilon;
  std::vector<uint64_t> counts;
  for (const NamedCell& c : cells) counts.push_back(c.count);
  ReleaseOptions ro = options;
  ro.k = std::max(query.k, options.k);
  const std::string key = "funnel:" + f.brand + "\n" + f.category + "\n" +
                          (query.at_ms == 0 ? std::string("now") : std::to_string(query.at_ms)) + "\n" +
                          std::to_string(query.from_ms);
  HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, ReleaseNamedCells(key, counts, epsilon, per_person, ro));

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
  w.Key("min_group").Uint(ro.k);
  WriteBudget(w, a, epsilon);
  w.Key("population");
  WriteCell(w, a.cells[0]);
  size_t next = 1;
  for (const char* list : flows ? std::vector<const char*>{"stages", "from_stages"} : std::vector<const char*>{"stages"}) {
    w.Key(list).BeginObject();
    for (int i = 0; i < analytics::kNumStages; ++i) {
      w.Key(analytics::StageName(analytics::StageAt(i)));
      WriteCell(w, a.cells[next++]);
    }
    w.EndObject();
  }
  if (flows) {
    w.Key("flows");
    WriteFlowCells(w, a.cells, next);
  }
  WriteWithheld(w, cells, a);
  w.EndObject();
  out.text = out.json;
  return out;
}

Result<Engine::Report> EngineImpl::ReleaseStoreMetrics(std::string_view store, std::string_view from,
                                                       std::string_view to, const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("released store metrics need the analyst who pays");
  const double epsilon = options.epsilon > 0 ? options.epsilon : kDefaultReportEpsilon;
  constexpr uint32_t kCellsPerVisit = 14;
  std::optional<analytics::ReleaseAnswer> answer;
  auto release = [&](const std::string& key, const std::vector<std::pair<std::string, uint64_t>>& cells)
      -> Result<std::vector<std::optional<uint64_t>>> {
    std::vector<uint64_t> counts;
    counts.reserve(cells.size());
    for (const auto& c : cells) counts.push_back(c.second);
    HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a, ReleaseNamedCells(key, counts, epsilon, kCellsPerVisit, options));
    answer = a;
    return a.cells;
  };
  HOLO_ASSIGN_OR_RETURN(std::string json, stores_->MetricsJsonReleased(store, from, to, release));
  Report out;
  out.json = std::move(json);
  if (answer && !out.json.empty() && out.json.back() == '}') {  // the release's terms, inside the object
    out.json.pop_back();
    std::string terms;
    JsonWriter w(&terms);
    w.BeginObject().Key("min_group").Uint(options.k);
    WriteBudget(w, *answer, epsilon);
    w.EndObject();
    out.json += "," + terms.substr(1);
  }
  out.text = out.json;
  return out;
}

Result<Engine::Report> EngineImpl::ReleaseCampaign(std::string_view campaign, const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("a released campaign needs the analyst who pays for it");
  analytics::CampaignOptions o;
  o.campaign = std::string(campaign);
  HOLO_ASSIGN_OR_RETURN(analytics::CampaignReport c, analytics::MeasureCampaign(*store_, o));
  std::vector<NamedCell> cells;
  cells.push_back({"exposed_total", c.exposed_all.size()});
  cells.push_back({"control_pool", c.control_all.size()});
  const size_t first_group = cells.size();
  for (const auto& [name, g] : {std::pair<std::string, const analytics::CampaignGroup*>{"exposed", &c.exposed},
                                std::pair<std::string, const analytics::CampaignGroup*>{"control", &c.control}}) {
    cells.push_back({name + ".n", g->members.size()});
    cells.push_back({name + ".buyers", g->buyer_members.size()});
    AddFlowCells(name + ".flows", g->flow_members, &cells);
  }
  constexpr size_t kPerGroup = 2 + analytics::kNumStages * analytics::kNumStages;
  // One person: exposed or in the control pool, then at most one group's n, buyers and one flow.
  constexpr uint32_t kPerPerson = 4;
  const double epsilon = options.epsilon > 0 ? options.epsilon : kDefaultReportEpsilon;
  std::vector<uint64_t> counts;
  for (const NamedCell& x : cells) counts.push_back(x.count);
  HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a,
                        ReleaseNamedCells("campaign:" + c.campaign, counts, epsilon, kPerPerson, options));

  Report out;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("campaign").String(c.campaign).Key("brand").String(c.brand).Key("category").String(c.category);
  w.Key("start").String(FormatIso8601Ms(c.start_ms)).Key("end").String(FormatIso8601Ms(c.end_ms));
  w.Key("horizon_days").Double(static_cast<double>(c.horizon_ms) / analytics::kDayMs);
  w.Key("min_group").Uint(options.k);
  WriteBudget(w, a, epsilon);
  w.Key("exposed_total");
  WriteCell(w, a.cells[0]);
  w.Key("control_pool");
  WriteCell(w, a.cells[1]);
  std::array<std::optional<double>, 2> rate;
  std::array<double, 2> n{};
  for (size_t g = 0; g < 2; ++g) {
    const size_t at = first_group + g * kPerGroup;
    w.Key(g == 0 ? "exposed" : "control").BeginObject();
    WriteGroupRate(w, a.cells[at], a.cells[at + 1], "rate", &n[g], &rate[g]);
    w.Key("flows");
    WriteFlowCells(w, a.cells, at + 2);
    w.EndObject();
  }
  if (rate[0] && rate[1]) {
    // The difference of the two rates and its normal-approximation interval, from noisy counts.
    const double lift = (*rate[0] - *rate[1]) * 100;
    const double se =
        std::sqrt(*rate[0] * (1 - *rate[0]) / n[0] + *rate[1] * (1 - *rate[1]) / n[1]) * 100;
    const analytics::Interval ci = analytics::NewcombeDifference(*rate[0], n[0], *rate[1], n[1]);
    w.Key("lift_pp").Double(std::round(lift * 100) / 100).Key("se_pp").Double(std::round(se * 100) / 100);
    w.Key("ci95_pp").BeginArray().Double(std::round(ci.low * 10000) / 100);
    w.Double(std::round(ci.high * 10000) / 100).EndArray();
    w.Key("ci_method").String("Newcombe hybrid score interval");
    w.Key("lift_method").String("difference of the noisy rates of the exposed and the matched control (not stratified)");
  }
  WriteWithheld(w, cells, a);
  w.EndObject();
  out.text = out.json;
  return out;
}

Result<Engine::Report> EngineImpl::ReleaseOffer(std::string_view name, int64_t window_days,
                                                const ReleaseOptions& options) {
  HOLO_RETURN_IF_ERROR(CheckK(options.k));
  if (options.budget_owner.empty()) return Status::InvalidArgument("a released offer needs the analyst who pays for it");
  HOLO_ASSIGN_OR_RETURN(analytics::OfferReport r, MeasureOfferNamed(name, window_days));
  std::vector<NamedCell> cells;
  const std::array<std::pair<const char*, const analytics::OfferGroup*>, 2> groups = {
      std::pair{"invited", &r.invited}, std::pair{"holdout", &r.holdout}};
  for (const auto& [group, g] : groups) {
    cells.push_back({std::string(group) + ".n", g->n});
    cells.push_back({std::string(group) + ".buyers", g->buyers});
    cells.push_back({std::string(group) + ".redeemers", g->redeemers});
  }
  // One person is in one group: its n, and at most its buyers and its redeemers.
  constexpr uint32_t kPerPerson = 3;
  const double epsilon = options.epsilon > 0 ? options.epsilon : kDefaultReportEpsilon;
  std::vector<uint64_t> counts;
  for (const NamedCell& x : cells) counts.push_back(x.count);
  HOLO_ASSIGN_OR_RETURN(analytics::ReleaseAnswer a,
                        ReleaseNamedCells("offer:" + r.issue.name + ":" + std::to_string(window_days), counts, epsilon,
                                          kPerPerson, options));
  Report out;
  JsonWriter w(&out.json);
  w.BeginObject().Key("offer").String(r.issue.name).Key("campaign").String(r.issue.campaign);
  w.Key("segment").String(r.issue.segment).Key("issued").String(FormatIso8601Ms(r.issue.issued_ms));
  w.Key("window_days").Int(window_days).Key("min_group").Uint(options.k);
  WriteBudget(w, a, epsilon);
  std::array<std::optional<double>, 2> rate;
  std::array<double, 2> n{};
  for (size_t g = 0; g < groups.size(); ++g) {
    const size_t at = g * 3;
    w.Key(groups[g].first).BeginObject();
    WriteGroupRate(w, a.cells[at], a.cells[at + 1], "conversion", &n[g], &rate[g]);
    w.Key("redeemers");
    WriteCell(w, a.cells[at + 2]);
    w.EndObject();
  }
  if (rate[0] && rate[1]) {
    const analytics::Interval ci = analytics::NewcombeDifference(*rate[0], n[0], *rate[1], n[1]);
    w.Key("conversion_uplift_pp").Double(std::round((*rate[0] - *rate[1]) * 10000) / 100);
    w.Key("conversion_uplift_ci95_pp").BeginArray().Double(std::round(ci.low * 10000) / 100);
    w.Double(std::round(ci.high * 10000) / 100).EndArray();
    w.Key("ci_method").String("Newcombe hybrid score interval, from the noisy counts");
  }
  w.Key("not_released").BeginArray().String("revenue").String("redemption events").EndArray();
  WriteWithheld(w, cells, a);
  w.EndObject();
  out.text = out.json;
  return out;
}

}  // namespace holo::engine
