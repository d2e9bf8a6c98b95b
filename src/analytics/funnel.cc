#include "analytics/funnel.h"

#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analytics/event_scan.h"
#include "analytics/report_util.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::analytics {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsProductEvent(std::string_view name) {
  return name == "Product Viewed" || name == "Product Added" ||
         name == "Product Added to Wishlist" || name == "Product Reviewed";
}

}  // namespace

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "none";
    case Stage::kAwareness:
      return "awareness";
    case Stage::kInterest:
      return "interest";
    case Stage::kPurchase:
      return "purchase";
    case Stage::kLoyalty:
      return "loyalty";
  }
  return "none";
}

BrandMatcher::BrandMatcher(std::string brand, std::string category, std::vector<std::string> stores)
    : brand_(std::move(brand)),
      brand_lower_(Lower(brand_)),
      category_(std::move(category)),
      stores_(std::move(stores)),
      brand_is_plain_(brand_.find_first_of("\"\\") == std::string::npos) {
  std::sort(stores_.begin(), stores_.end());
}

BrandSignals BrandMatcher::Classify(const storage::EventRecord& ev) const {
  BrandSignals out;
  const std::string_view name = ev.event;
  const bool promotion = name == "Promotion Viewed" || name == "Promotion Clicked";
  const bool search = name == "Products Searched";
  const bool product = IsProductEvent(name);
  const bool order = name == "Order Completed";
  const bool sighting = !stores_.empty() && (name == "Probe Seen" || name == "Beacon Seen");
  if (!promotion && !search && !product && !order && !sighting) return out;
  // Cheap reject before parsing: every matching event names the brand somewhere.
  if (!search && !sighting && brand_is_plain_ && ev.properties_json.find(brand_) == std::string::npos) {
    return out;
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element props;
  if (parser.parse(ev.properties_json).get(props) != simdjson::SUCCESS || !props.is_object()) {
    return out;
  }
  auto field = [](simdjson::dom::element e, const char* key) {
    std::string_view v;
    if (e[key].get_string().get(v) != simdjson::SUCCESS) return std::string_view();
    return v;
  };
  auto category_ok = [&](simdjson::dom::element e) {
    return category_.empty() || field(e, "category") == category_;
  };
  if (sighting) {
    out.store_visit = std::binary_search(stores_.begin(), stores_.end(), field(props, "store_id"));
  } else if (promotion) {
    if (field(props, "brand") != brand_) return out;
    out.awareness = true;
    out.interest = name == "Promotion Clicked";
  } else if (search) {
    if (!category_ok(props)) return out;
    out.interest = Lower(field(props, "query")).find(brand_lower_) != std::string::npos;
  } else if (product) {
    if (field(props, "brand") != brand_ || !category_ok(props)) return out;
    out.interest = true;
    out.review = name == "Product Reviewed";
  } else {
    simdjson::dom::array products;
    if (props["products"].get_array().get(products) != simdjson::SUCCESS) return out;
    for (simdjson::dom::element item : products) {
      if (item.is_object() && field(item, "brand") == brand_ && category_ok(item)) {
        out.purchase = true;
        break;
      }
    }
  }
  return out;
}

void StageAccumulator::Add(const BrandSignals& s, int64_t ts, int64_t as_of_ms,
                           const FunnelWindows& w) {
  if (ts >= as_of_ms) return;
  exists_ = true;
  const int64_t age = as_of_ms - ts;  // > 0
  if (s.purchase) {
    if (age <= w.loyalty_ms && loyalty_orders_ < 2) ++loyalty_orders_;
    if (age <= w.purchase_ms) purchase_ = true;
  }
  if (s.review && age <= w.loyalty_ms) loyalty_review_ = true;
  if ((s.interest || s.review) && age <= w.interest_ms) interest_ = true;
  if (s.awareness && age <= w.awareness_ms) awareness_ = true;
}

Stage StageAccumulator::stage() const {
  if (loyalty_orders_ >= 2 || (loyalty_orders_ >= 1 && loyalty_review_)) return Stage::kLoyalty;
  if (purchase_) return Stage::kPurchase;
  if (interest_) return Stage::kInterest;
  if (awareness_) return Stage::kAwareness;
  return Stage::kNone;
}

uint64_t FunnelReport::population() const {
  uint64_t n = 0;
  for (uint64_t v : at_sizes) n += v;
  return n;
}

Result<FunnelReport> ComputeFunnel(const storage::Store& store, const FunnelOptions& options) {
  if (options.brand.empty()) return Status::InvalidArgument("funnel: brand is empty");
  if (options.from_ms.has_value() && *options.from_ms >= options.at_ms) {
    return Status::InvalidArgument("funnel: from must be before at");
  }
  const int64_t at = options.at_ms;
  const int64_t from = options.from_ms.value_or(std::numeric_limits<int64_t>::min());
  if (!options.stores.empty() && !options.store_link_allowed) {
    return Status::InvalidArgument("funnel: stores need a consent check");
  }
  const BrandMatcher matcher(options.brand, options.category, options.stores);
  struct PerOneId {
    StageAccumulator at, from;
    StageAccumulator store_at, store_from;  // store visits alone, merged under consent
    bool store = false;
  };
  std::unordered_map<uint64_t, PerOneId> state;
  ScanStats stats;
  HOLO_RETURN_IF_ERROR(ScanEventsByOneId(
      store,
      [&](uint64_t oneid, const storage::EventRecord& ev) {
        if (ev.timestamp_ms >= at) return;  // nothing after `at` matters to either date
        PerOneId& s = state[oneid];
        s.at.See(ev.timestamp_ms, at);
        s.from.See(ev.timestamp_ms, from);
        const BrandSignals sig = matcher.Classify(ev);
        if (!sig.any()) return;
        if (sig.store_visit) {
          BrandSignals interest;
          interest.interest = true;
          s.store = true;
          s.store_at.Add(interest, ev.timestamp_ms, at, options.windows);
          if (options.from_ms.has_value()) s.store_from.Add(interest, ev.timestamp_ms, from, options.windows);
          return;
        }
        s.at.Add(sig, ev.timestamp_ms, at, options.windows);
        if (options.from_ms.has_value()) s.from.Add(sig, ev.timestamp_ms, from, options.windows);
      },
      &stats));
  if (options.imported_store_visits && !options.stores.empty()) {
    BrandSignals interest;
    interest.interest = true;
    HOLO_RETURN_IF_ERROR(options.imported_store_visits([&](uint64_t oneid, int64_t ts) {
      auto found = state.find(oneid);  // the population: OneIDs with events
      if (found == state.end() || ts >= at) return;
      PerOneId& s = found->second;
      s.store = true;
      s.store_at.Add(interest, ts, at, options.windows);
      if (options.from_ms.has_value()) s.store_from.Add(interest, ts, from, options.windows);
    }));
  }
  FunnelReport r;
  r.brand = options.brand;
  r.category = options.category;
  r.at_ms = at;
  r.from_ms = options.from_ms;
  r.windows = options.windows;
  r.events_scanned = stats.events;
  r.stores = options.stores;
  for (const auto& [oneid, s] : state) {
    if (oneid > std::numeric_limits<uint32_t>::max()) {
      return Status::OutOfRange(fmt::format("funnel: OneID {} does not fit 32 bits", oneid));
    }
    Stage stage_at = s.at.stage(), stage_from = s.from.stage();
    if (s.store) {
      HOLO_ASSIGN_OR_RETURN(const bool allowed, options.store_link_allowed(oneid));
      if (!allowed) {
        ++r.store_visits_withheld;
      } else {
        r.raised_by_store_visits += s.store_at.stage() > stage_at;
        stage_at = std::max(stage_at, s.store_at.stage());
        stage_from = std::max(stage_from, s.store_from.stage());
      }
    }
    const int j = static_cast<int>(stage_at);
    r.at_sizes[j]++;
    r.members[j].push_back(static_cast<uint32_t>(oneid));
    if (options.from_ms.has_value()) {
      const int i = static_cast<int>(stage_from);
      r.from_sizes[i]++;
      r.flows[i][j]++;
      r.from_members[i].push_back(static_cast<uint32_t>(oneid));
      r.flow_members[i][j].push_back(static_cast<uint32_t>(oneid));
    }
  }
  for (auto& m : r.members) std::sort(m.begin(), m.end());
  for (auto& m : r.from_members) std::sort(m.begin(), m.end());
  for (auto& row : r.flow_members) {
    for (auto& m : row) std::sort(m.begin(), m.end());
  }
  return r;
}

Result<int64_t> ParseAsOf(std::string_view text) {
  if (text.size() == 10) {
    HOLO_ASSIGN_OR_RETURN(int64_t ms, ParseIso8601Ms(std::string(text) + "T00:00:00Z"));
    return ms + kDayMs;
  }
  Result<int64_t> ms = ParseIso8601Ms(text);
  if (!ms.ok()) {
    return Status::InvalidArgument("bad date '" + std::string(text) +
                                   "': " + ms.status().message());
  }
  return ms;
}

std::string FormatCount(uint64_t n, uint32_t min_group) {
  if (n > 0 && n < min_group) return "<" + std::to_string(min_group);
  return std::to_string(n);
}

std::string FunnelReport::ToJson(uint32_t min_group) const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("brand").String(brand);
  w.Key("category");
  if (category.empty()) {
    w.Null();
  } else {
    w.String(category);
  }
  w.Key("at").String(FormatIso8601Ms(at_ms));
  if (from_ms.has_value()) w.Key("from").String(FormatIso8601Ms(*from_ms));
  w.Key("windows_days").BeginObject();
  w.Key("awareness").Double(static_cast<double>(windows.awareness_ms) / kDayMs);
  w.Key("interest").Double(static_cast<double>(windows.interest_ms) / kDayMs);
  w.Key("purchase").Double(static_cast<double>(windows.purchase_ms) / kDayMs);
  w.Key("loyalty").Double(static_cast<double>(windows.loyalty_ms) / kDayMs);
  w.EndObject();
  w.Key("min_group").Uint(min_group);
  w.Key("population");
  WriteCount(w, population(), min_group);
  w.Key("stages").BeginObject();
  for (int i = 0; i < kNumStages; ++i) {
    w.Key(StageName(StageAt(i)));
    WriteCount(w, at_sizes[i], min_group);
  }
  w.EndObject();
  if (from_ms.has_value()) {
    w.Key("from_stages").BeginObject();
    for (int i = 0; i < kNumStages; ++i) {
      w.Key(StageName(StageAt(i)));
      WriteCount(w, from_sizes[i], min_group);
    }
    w.EndObject();
    w.Key("flows");
    WriteFlows(w, flows, min_group);
  }
  if (!stores.empty()) {
    w.Key("stores").BeginArray();
    for (const std::string& st : stores) w.String(st);
    w.EndArray();
    w.Key("raised_by_store_visits");
    WriteCount(w, raised_by_store_visits, min_group);
    w.Key("store_visits_withheld");
    WriteCount(w, store_visits_withheld, min_group);
  }
  w.Key("events_scanned").Uint(events_scanned);
  w.EndObject();
  return out;
}

std::string FunnelReport::ToText(uint32_t min_group) const {
  std::string out = fmt::format("AIPL funnel: brand {}{}, as of {}\n", brand,
                                category.empty() ? "" : " (category " + category + ")",
                                FormatIso8601Ms(at_ms));
  out += fmt::format("windows (days): awareness {:g}, interest {:g}, purchase {:g}, loyalty {:g}\n",
                     static_cast<double>(windows.awareness_ms) / kDayMs,
                     static_cast<double>(windows.interest_ms) / kDayMs,
                     static_cast<double>(windows.purchase_ms) / kDayMs,
                     static_cast<double>(windows.loyalty_ms) / kDayMs);
  if (from_ms.has_value()) {
    out += fmt::format("\n{:<10} {:>10} {:>10}\n", "stage", "from", "at");
    for (int i = kNumStages - 1; i >= 0; --i) {
      out += fmt::format("{:<10} {:>10} {:>10}\n", StageName(StageAt(i)),
                         FormatCount(from_sizes[i], min_group), FormatCount(at_sizes[i], min_group));
    }
    out += fmt::format("\nflows from {} (rows) to {} (columns):\n", FormatIso8601Ms(*from_ms),
                       FormatIso8601Ms(at_ms));
    out += FlowsText(flows, min_group);
  } else {
    out += fmt::format("\n{:<10} {:>10}\n", "stage", "OneIDs");
    for (int i = kNumStages - 1; i >= 0; --i) {
      out += fmt::format("{:<10} {:>10}\n", StageName(StageAt(i)), FormatCount(at_sizes[i], min_group));
    }
  }
  out += fmt::format("population {} (cells below {} suppressed)\n",
                     FormatCount(population(), min_group), min_group);
  if (!stores.empty()) {
    out += fmt::format("store visits ({}): raised {} to a higher stage; {} left out without location consent\n",
                       fmt::join(stores, ", "), FormatCount(raised_by_store_visits, min_group),
                       FormatCount(store_visits_withheld, min_group));
  }
  return out;
}

}  // namespace holo::analytics
