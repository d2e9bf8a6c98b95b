#include "analytics/campaign.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "analytics/event_scan.h"
#include "analytics/report_util.h"
#include "analytics/proportion_interval.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::analytics {
namespace {


// Stratification: quarter of the campaign (by the exposed's t0) x shop-app user x shopping
// events before t0 (0, 1-2, 3-5, 6+) x orders before t0 (0, 1+) x events in the brand's
// category before t0 (0, 1+).
constexpr int kTimeBuckets = 4;
constexpr int kStrata = kTimeBuckets * 2 * 4 * 2 * 2;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool IsShoppingEvent(std::string_view name) {
  return name == "Products Searched" || name == "Product Viewed" || name == "Product Added" ||
         name == "Product Added to Wishlist" || name == "Product Reviewed";
}
bool IsPromotion(std::string_view name) {
  return name == "Promotion Viewed" || name == "Promotion Clicked";
}

std::string_view Field(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

// Returns the properties object of `ev`, or false.
bool Parse(const storage::EventRecord& ev, simdjson::dom::element* props) {
  thread_local simdjson::dom::parser parser;
  return parser.parse(ev.properties_json).get(*props) == simdjson::SUCCESS && props->is_object();
}

struct Unit {
  int64_t t0 = 0;
  bool exposed = false;
  bool shopper = false;  // has a non-promotion event from a shop app
  bool bought = false;   // outcome
  uint16_t shop_pre = 0;
  uint16_t orders_pre = 0;
  uint16_t interest_pre = 0;
  StageAccumulator stage_from, stage_at;
};

struct StratumCounts {
  uint64_t n[2] = {0, 0};  // [0] control, [1] exposed
  uint64_t buyers[2] = {0, 0};
  uint64_t up[2] = {0, 0};
};

int Bucket(uint16_t v, std::initializer_list<int> upper_bounds) {
  int b = 0;
  for (int ub : upper_bounds) {
    if (v <= ub) return b;
    ++b;
  }
  return b;
}

std::string Pp(double v) { return fmt::format("{:.2f}", v); }
std::string Pct(double v) { return fmt::format("{:.3f}%", 100 * v); }

}  // namespace

Result<CampaignReport> MeasureCampaign(const storage::Store& store, const CampaignOptions& options) {
  if (options.campaign.empty()) return Status::InvalidArgument("campaign: name is empty");
  if (options.horizon_ms <= 0) return Status::InvalidArgument("campaign: horizon must be positive");
  HOLO_ASSIGN_OR_RETURN(OneIdMap map, OneIdMap::Load(store));

  // Pass 1: the campaign's exposures, brand and period; every OneID; which sources are shops.
  std::unordered_map<uint64_t, int64_t> first_exposure;
  std::unordered_map<uint64_t, bool> oneids;
  std::map<std::string, uint64_t> brand_votes;
  std::map<std::string, std::map<std::string, uint64_t>> brand_categories;
  std::set<std::string> shop_sources;
  int64_t start = std::numeric_limits<int64_t>::max(), end = std::numeric_limits<int64_t>::min();
  int64_t data_end = std::numeric_limits<int64_t>::min();
  ScanStats stats;
  HOLO_RETURN_IF_ERROR(ScanEventsByOneId(
      store, map,
      [&](uint64_t oneid, const storage::EventRecord& ev) {
        oneids.emplace(oneid, false);
        data_end = std::max(data_end, ev.timestamp_ms);
        const std::string_view name = ev.event;
        const bool promotion = IsPromotion(name);
        const bool product = IsShoppingEvent(name) && name != "Products Searched";
        if (!promotion && !product) return;
        if (promotion && ev.properties_json.find(options.campaign) == std::string::npos) return;
        simdjson::dom::element props;
        if (!Parse(ev, &props)) return;
        if (product) {
          shop_sources.insert(ev.source);
          const std::string_view brand = Field(props, "brand");
          if (!brand.empty()) brand_categories[std::string(brand)][std::string(Field(props, "category"))]++;
          return;
        }
        if (Field(props, "campaign") != options.campaign) return;
        brand_votes[std::string(Field(props, "brand"))]++;
        if (name != "Promotion Viewed") return;
        start = std::min(start, ev.timestamp_ms);
        end = std::max(end, ev.timestamp_ms);
        auto [it, inserted] = first_exposure.emplace(oneid, ev.timestamp_ms);
        if (!inserted) it->second = std::min(it->second, ev.timestamp_ms);
      },
      &stats));
  if (first_exposure.empty()) {
    return Status::NotFound("campaign: no Promotion Viewed of '" + options.campaign + "'");
  }
  CampaignReport r;
  r.campaign = options.campaign;
  r.horizon_ms = options.horizon_ms;
  r.events_scanned = stats.events;
  r.start_ms = start;
  r.end_ms = end;
  r.stages_at_ms = std::min(end + options.horizon_ms, data_end + 1);
  r.brand = std::max_element(brand_votes.begin(), brand_votes.end(), [](const auto& a, const auto& b) {
              return a.second < b.second;
            })->first;
  r.category = options.category;
  if (r.category.empty()) {
    auto cats = brand_categories.find(r.brand);
    if (cats != brand_categories.end() && !cats->second.empty()) {
      r.category = std::max_element(cats->second.begin(), cats->second.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; })
                       ->first;
    }
  }

  // Exposure times, and a pseudo time for every other OneID drawn from them.
  std::vector<std::pair<uint64_t, int64_t>> exposed(first_exposure.begin(), first_exposure.end());
  std::sort(exposed.begin(), exposed.end());
  std::vector<int64_t> times;
  times.reserve(exposed.size());
  for (const auto& e : exposed) times.push_back(e.second);
  std::vector<int64_t> sorted_times = times;
  std::sort(sorted_times.begin(), sorted_times.end());
  std::array<int64_t, kTimeBuckets - 1> time_cuts;
  for (int q = 1; q < kTimeBuckets; ++q) {
    time_cuts[q - 1] = sorted_times[sorted_times.size() * q / kTimeBuckets];
  }
  std::unordered_map<uint64_t, Unit> units;
  units.reserve(oneids.size());
  for (const auto& [oneid, unused] : oneids) {
    Unit& u = units[oneid];
    auto found = first_exposure.find(oneid);
    if (found != first_exposure.end()) {
      u.exposed = true;
      u.t0 = found->second;
    } else {
      u.t0 = times[SplitMix(options.seed ^ SplitMix(oneid)) % times.size()];
    }
  }
  std::unordered_map<uint64_t, bool>().swap(oneids);
  std::unordered_map<uint64_t, int64_t>().swap(first_exposure);

  // Pass 2: covariates before t0, the outcome after it, and the stages over the campaign.
  const BrandMatcher matcher(r.brand, "");
  const int64_t stage_from = r.start_ms, stage_at = r.stages_at_ms;
  HOLO_RETURN_IF_ERROR(ScanEventsByOneId(
      store, map,
      [&](uint64_t oneid, const storage::EventRecord& ev) {
        auto found = units.find(oneid);
        if (found == units.end()) return;  // resolved after pass 1
        Unit& u = found->second;
        const int64_t ts = ev.timestamp_ms;
        u.stage_from.See(ts, stage_from);
        u.stage_at.See(ts, stage_at);
        const BrandSignals sig = matcher.Classify(ev);
        if (sig.any()) {
          u.stage_from.Add(sig, ts, stage_from, options.windows);
          u.stage_at.Add(sig, ts, stage_at, options.windows);
        }
        const std::string_view name = ev.event;
        if (IsPromotion(name)) return;
        const bool shop = shop_sources.count(ev.source) > 0;
        u.shopper = u.shopper || shop;
        if (sig.purchase && ts > u.t0 && ts <= u.t0 + options.horizon_ms) u.bought = true;
        if (ts >= u.t0) return;
        const bool shopping = IsShoppingEvent(name);
        const bool order = shop && name == "Order Completed";
        if (!shopping && !order) return;
        if (shopping && u.shop_pre < UINT16_MAX) ++u.shop_pre;
        if (order && u.orders_pre < UINT16_MAX) ++u.orders_pre;
        if (r.category.empty() || ev.properties_json.find(r.category) == std::string::npos) return;
        simdjson::dom::element props;
        if (!Parse(ev, &props)) return;
        bool in_category = Field(props, "category") == r.category;
        simdjson::dom::array products;
        if (!in_category && props["products"].get_array().get(products) == simdjson::SUCCESS) {
          for (simdjson::dom::element item : products) {
            if (item.is_object() && Field(item, "category") == r.category) in_category = true;
          }
        }
        if (in_category && u.interest_pre < UINT16_MAX) ++u.interest_pre;
      },
      nullptr));

  // Strata and the stratified difference of proportions.
  std::array<StratumCounts, kStrata> strata{};
  std::vector<int> stratum_of;  // parallel to `order` below
  std::vector<const Unit*> order;
  order.reserve(units.size());
  std::vector<uint32_t> oneid_of;
  oneid_of.reserve(units.size());
  for (const auto& [oneid, u] : units) {
    const int time = static_cast<int>(std::upper_bound(time_cuts.begin(), time_cuts.end(), u.t0) -
                                      time_cuts.begin());
    const int s = (((time * 2 + (u.shopper ? 1 : 0)) * 4 + Bucket(u.shop_pre, {0, 2, 5})) * 2 +
                   (u.orders_pre > 0 ? 1 : 0)) * 2 +
                  (u.interest_pre > 0 ? 1 : 0);
    const int g = u.exposed ? 1 : 0;
    strata[s].n[g]++;
    if (u.bought) strata[s].buyers[g]++;
    if (u.stage_at.stage() > u.stage_from.stage()) strata[s].up[g]++;
    if (oneid > std::numeric_limits<uint32_t>::max()) {
      return Status::OutOfRange(fmt::format("campaign: OneID {} does not fit 32 bits", oneid));
    }
    order.push_back(&u);
    oneid_of.push_back(static_cast<uint32_t>(oneid));
    stratum_of.push_back(s);
    if (u.exposed) {
      r.exposed_total++;
      r.exposed_all.push_back(static_cast<uint32_t>(oneid));
    } else {
      r.control_pool++;
      r.control_all.push_back(static_cast<uint32_t>(oneid));
    }
  }
  for (const StratumCounts& c : strata) {
    if (c.n[0] > 0 && c.n[1] > 0) {
      r.strata++;
      r.exposed.n += c.n[1];
      r.control.n += c.n[0];
    }
  }
  double var = 0;
  for (const StratumCounts& c : strata) {
    if (c.n[0] == 0 || c.n[1] == 0) continue;
    const double w = static_cast<double>(c.n[1]) / static_cast<double>(r.exposed.n);
    const double pt = static_cast<double>(c.buyers[1]) / static_cast<double>(c.n[1]);
    const double pc = static_cast<double>(c.buyers[0]) / static_cast<double>(c.n[0]);
    r.exposed.buyers += c.buyers[1];
    r.control.buyers += c.buyers[0];
    r.control.rate += w * pc;
    r.control.moved_up += w * static_cast<double>(c.up[0]) / static_cast<double>(c.n[0]);
    r.exposed.moved_up += w * static_cast<double>(c.up[1]) / static_cast<double>(c.n[1]);
    r.lift_pp += 100 * w * (pt - pc);
    var += w * w * (pt * (1 - pt) / static_cast<double>(c.n[1]) +
                    pc * (1 - pc) / static_cast<double>(c.n[0]));
  }
  if (r.exposed.n > 0) {
    r.exposed.rate = static_cast<double>(r.exposed.buyers) / static_cast<double>(r.exposed.n);
  }
  r.se_pp = 100 * std::sqrt(var);
  // Newcombe's hybrid score interval of the exposed rate minus the standardized control rate,
  // the latter on its effective size 1 / sum(w^2 / n_control) (the exposed rate is the plain
  // one: its effective size is its n). Unlike rate ± 1.96 se it holds at zero and small
  // counts (proportion_interval.h).
  double control_weight = 0, exposed_rate = 0;
  for (const StratumCounts& c : strata) {
    if (c.n[0] == 0 || c.n[1] == 0) continue;
    const double w = static_cast<double>(c.n[1]) / static_cast<double>(r.exposed.n);
    control_weight += w * w / static_cast<double>(c.n[0]);
    exposed_rate += w * static_cast<double>(c.buyers[1]) / static_cast<double>(c.n[1]);
  }
  const Interval ci = NewcombeDifference(exposed_rate, static_cast<double>(r.exposed.n), r.control.rate,
                                         control_weight > 0 ? 1 / control_weight : 0);
  r.ci_low_pp = 100 * ci.low;
  r.ci_high_pp = 100 * ci.high;
  for (size_t i = 0; i < order.size(); ++i) {
    const StratumCounts& c = strata[stratum_of[i]];
    if (c.n[0] == 0 || c.n[1] == 0) continue;
    const Unit& u = *order[i];
    CampaignGroup& g = u.exposed ? r.exposed : r.control;
    const int from = static_cast<int>(u.stage_from.stage()), at = static_cast<int>(u.stage_at.stage());
    g.flows[from][at]++;
    g.members.push_back(oneid_of[i]);
    if (u.bought) g.buyer_members.push_back(oneid_of[i]);
    g.flow_members[from][at].push_back(oneid_of[i]);
  }
  for (auto* v : {&r.exposed_all, &r.control_all, &r.exposed.members, &r.exposed.buyer_members, &r.control.members,
                  &r.control.buyer_members}) {
    std::sort(v->begin(), v->end());
  }
  for (CampaignGroup* g : {&r.exposed, &r.control}) {
    for (auto& row : g->flow_members) {
      for (auto& m : row) std::sort(m.begin(), m.end());
    }
  }
  return r;
}

std::string CampaignReport::ToJson(uint32_t min_group) const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("campaign").String(campaign);
  w.Key("brand").String(brand);
  w.Key("category").String(category);
  w.Key("start").String(FormatIso8601Ms(start_ms));
  w.Key("end").String(FormatIso8601Ms(end_ms));
  w.Key("horizon_days").Double(static_cast<double>(horizon_ms) / kDayMs);
  w.Key("min_group").Uint(min_group);
  w.Key("exposed_total");
  WriteCount(w, exposed_total, min_group);
  w.Key("control_pool");
  WriteCount(w, control_pool, min_group);
  w.Key("strata").Uint(strata);
  auto group = [&](const char* key, const CampaignGroup& g) {
    w.Key(key).BeginObject();
    w.Key("n");
    WriteCount(w, g.n, min_group);
    w.Key("buyers");
    WriteCount(w, g.buyers, min_group);
    if (g.n >= min_group) {
      w.Key("rate").Double(g.rate);
      w.Key("moved_up").Double(g.moved_up);
    }
    w.Key("flows");
    WriteFlows(w, g.flows, min_group);
    w.EndObject();
  };
  group("exposed", exposed);
  group("control", control);
  const bool show = exposed.n >= min_group && control.n >= min_group;
  if (show) {
    w.Key("lift_pp").Double(lift_pp);
    w.Key("se_pp").Double(se_pp);
    w.Key("ci95_pp").BeginArray().Double(ci_low_pp).Double(ci_high_pp).EndArray();
  }
  w.Key("stages_from").String(FormatIso8601Ms(start_ms));
  w.Key("stages_at").String(FormatIso8601Ms(stages_at_ms));
  w.EndObject();
  return out;
}

std::string CampaignReport::ToText(uint32_t min_group) const {
  std::string out = fmt::format("campaign {}: brand {} ({}), {} .. {}, horizon {:g} days\n",
                                campaign, brand, category.empty() ? "?" : category,
                                FormatIso8601Ms(start_ms), FormatIso8601Ms(end_ms),
                                static_cast<double>(horizon_ms) / kDayMs);
  out += fmt::format("exposed OneIDs {} (in matched strata {}), control pool {} (matched {}), {} strata\n",
                     FormatCount(exposed_total, min_group), FormatCount(exposed.n, min_group),
                     FormatCount(control_pool, min_group), FormatCount(control.n, min_group),
                     strata);
  const bool show = exposed.n >= min_group && control.n >= min_group;
  if (show) {
    out += fmt::format("bought {} within the horizon: exposed {} ({} buyers), control {} (stratified; {} buyers)\n",
                       brand, Pct(exposed.rate), FormatCount(exposed.buyers, min_group),
                       Pct(control.rate), FormatCount(control.buyers, min_group));
    out += fmt::format("lift {} pp, 95% CI [{}, {}] pp (se {})\n", Pp(lift_pp), Pp(ci_low_pp),
                       Pp(ci_high_pp), Pp(se_pp));
    out += fmt::format("moved up an AIPL stage {} .. {}: exposed {}, control {} (stratified)\n",
                       FormatIso8601Ms(start_ms), FormatIso8601Ms(stages_at_ms),
                       Pct(exposed.moved_up), Pct(control.moved_up));
  } else {
    out += fmt::format("groups smaller than {}: rates and lift suppressed\n", min_group);
  }
  out += "\nexposed: stage at start (rows) -> at end (columns)\n" + FlowsText(exposed.flows, min_group);
  out += "\ncontrol: stage at start (rows) -> at end (columns)\n" + FlowsText(control.flows, min_group);
  return out;
}

}  // namespace holo::analytics
