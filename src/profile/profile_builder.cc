#include "profile/profile_builder.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::profile {
namespace {

constexpr int64_t kDayMs = 86'400'000;

double NumberOr(simdjson::dom::element e, double dflt) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return dflt;
}

void TopN(const std::map<std::string, double>& scores, size_t n, JsonWriter* w) {
  std::vector<std::pair<double, std::string_view>> v;
  for (const auto& [k, s] : scores) v.emplace_back(-s, k);
  std::sort(v.begin(), v.end());
  w->BeginArray();
  for (size_t i = 0; i < v.size() && i < n; ++i) w->String(v[i].second);
  w->EndArray();
}

}  // namespace

int AttributionRank(std::string_view type) {
  if (type.starts_with("user_id@")) return 0;
  if (type == "email" || type == "phone") return 1;
  if (type == "device_id") return 2;
  if (type == "ad_id") return 3;
  if (type == "mac") return 4;
  if (type.starts_with("anonymous_id@") || type == "cookie") return 5;
  return 6;
}

int AttributionIndex(const storage::EventRecord& event) {
  int best = -1;
  int best_rank = 1 << 30;
  for (size_t i = 0; i < event.ids.size(); ++i) {
    if (event.ids[i].placeholder()) continue;
    int rank = AttributionRank(event.ids[i].type);
    if (rank < best_rank) {
      best = static_cast<int>(i);
      best_rank = rank;
    }
  }
  return best;
}

int SpendingPowerTier(double spend_90d) {
  if (spend_90d < 300) return 1;
  if (spend_90d < 1500) return 2;
  if (spend_90d < 5000) return 3;
  if (spend_90d < 15000) return 4;
  return 5;
}

void ProfileAccumulator::Add(const storage::EventRecord& ev, int64_t as_of_ms) {
  if (events_ == 0 || ev.timestamp_ms < first_seen_) first_seen_ = ev.timestamp_ms;
  if (events_ == 0 || ev.timestamp_ms > last_seen_) last_seen_ = ev.timestamp_ms;
  ++events_;
  sources_.insert(ev.source);
  double weight = 0;
  bool is_order = ev.event == "Order Completed";
  if (is_order) {
    weight = 3;
  } else if (ev.event == "Product Added" || ev.event == "Product Added to Wishlist") {
    weight = 2;
  } else if (ev.event == "Product Viewed" || ev.event == "Products Searched" ||
             ev.event == "Product Reviewed") {
    weight = 1;
  } else {
    return;
  }
  // One parser per thread: profile building is single-threaded per builder.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element props;
  if (parser.parse(ev.properties_json).get(props) != simdjson::SUCCESS) return;
  auto credit = [&](simdjson::dom::element item, double w) {
    std::string_view cat, brand;
    if (item["category"].get_string().get(cat) == simdjson::SUCCESS && !cat.empty()) {
      categories_[std::string(cat)] += w;
    }
    if (item["brand"].get_string().get(brand) == simdjson::SUCCESS && !brand.empty()) {
      brands_[std::string(brand)] += w;
    }
  };
  if (!props.is_object()) return;
  if (!is_order) {
    credit(props, weight);
    return;
  }
  ++order_count_;
  double revenue = 0;
  simdjson::dom::element rev;
  if (props["revenue"].get(rev) == simdjson::SUCCESS) revenue = NumberOr(rev, 0);
  total_spend_ += revenue;
  if (ev.timestamp_ms > as_of_ms - 90 * kDayMs && ev.timestamp_ms <= as_of_ms) spend_90d_ += revenue;
  simdjson::dom::array products;
  if (props["products"].get_array().get(products) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : products) {
      if (item.is_object()) credit(item, weight);
    }
  }
  std::string_view city;
  if (props["shipping_address"]["city"].get_string().get(city) == simdjson::SUCCESS && !city.empty()) {
    cities_[std::string(city)]++;
  }
}

std::string ProfileAccumulator::ToJson(uint64_t oneid, const std::vector<Identifier>& identifiers,
                                       int64_t as_of_ms) const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("oneid");
  w.String(std::to_string(oneid));
  w.Key("identifiers");
  w.BeginObject();
  std::map<std::string_view, std::vector<std::string_view>> by_type;
  for (const auto& id : identifiers) by_type[id.type].push_back(id.pseudonym_hex);
  for (auto& [type, list] : by_type) {
    std::sort(list.begin(), list.end());
    w.Key(type);
    w.BeginArray();
    for (auto p : list) w.String(p);
    w.EndArray();
  }
  w.EndObject();
  w.Key("sources");
  w.BeginArray();
  for (const auto& s : sources_) w.String(s);
  w.EndArray();
  w.Key("events");
  w.Uint(events_);
  if (events_ > 0) {
    w.Key("first_seen");
    w.String(FormatIso8601Ms(first_seen_));
    w.Key("last_seen");
    w.String(FormatIso8601Ms(last_seen_));
  }
  w.Key("traits");
  w.BeginObject();
  w.Key("order_count");
  w.Uint(order_count_);
  w.Key("total_spend");
  w.Double(std::round(total_spend_ * 100) / 100);
  w.Key("spend_90d");
  w.Double(std::round(spend_90d_ * 100) / 100);
  w.Key("spending_power");
  w.Int(SpendingPowerTier(spend_90d_));
  w.Key("top_categories");
  TopN(categories_, 5, &w);
  w.Key("top_brands");
  TopN(brands_, 5, &w);
  w.Key("city");
  if (cities_.empty()) {
    w.Null();
  } else {
    auto best = std::max_element(cities_.begin(), cities_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    w.String(best->first);
  }
  w.EndObject();
  w.Key("as_of");
  w.String(FormatIso8601Ms(as_of_ms));
  w.EndObject();
  return out;
}

}  // namespace holo::profile
