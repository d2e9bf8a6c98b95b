#include "profile/profile_builder.h"
#include "profile/trait_registry.h"
#include "profile/user_agent.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "common/url.h"

namespace holo::profile {
namespace {

using simdjson::dom::element;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 86'400'000;
// People live on UTC+8: local hours and days are computed in that zone.
constexpr int64_t kLocalOffsetMs = 8 * kHourMs;
// storage::EventRecord::msg_type values (ingest::MessageType).
constexpr uint8_t kIdentifyMessage = 1;
constexpr uint8_t kTrackMessage = 2;
constexpr uint8_t kGroupMessage = 6;

// Half-lives of the recency weights.
constexpr double kAffinityHalfLifeDays = 30;
constexpr double kTrendHalfLifeDays = 14;
constexpr double kVideoHalfLifeDays = 30;
// Views of a category this long before an order count as comparing.
constexpr int64_t kCompareWindowMs = 7 * kDayMs;
// Bookings to the same destination within this time are one trip.
constexpr int64_t kTripGapMs = 3 * kDayMs;
// Sources whose orders are food delivery: they count as orders and spend but not as
// category/brand affinity or price comparison.
constexpr std::string_view kFoodDeliverySources[] = {"eleme", "meituan"};

constexpr std::string_view kConsentPurposes[] = {"analytics", "personalization", "marketing",
                                                 "third_party"};

enum class Kind : uint8_t {
  kOther,
  kOrder,
  kCartAdd,
  kWishlist,
  kView,
  kSearch,
  kReview,
  kCoupon,
  kPaymentReceived,
  kPaymentMade,
  kTrip,
  kFlight,
  kHotel,
  kVideo,
  kPost,
  kConsentGiven,
  kConsentWithdrawn,
  kStoreSighting,
};

Kind KindOf(std::string_view event) {
  static const std::unordered_map<std::string_view, Kind> kKinds = {
      {"Order Completed", Kind::kOrder},
      {"Product Added", Kind::kCartAdd},
      {"Product Added to Wishlist", Kind::kWishlist},
      {"Product Viewed", Kind::kView},
      {"Products Searched", Kind::kSearch},
      {"Product Reviewed", Kind::kReview},
      {"Coupon Redeemed", Kind::kCoupon},
      {"Payment Received", Kind::kPaymentReceived},
      {"Payment Made", Kind::kPaymentMade},
      {"Trip Completed", Kind::kTrip},
      {"Flight Booked", Kind::kFlight},
      {"Hotel Booked", Kind::kHotel},
      {"Video Content Playing", Kind::kVideo},
      {"Post Created", Kind::kPost},
      {"Consent Given", Kind::kConsentGiven},
      {"Consent Withdrawn", Kind::kConsentWithdrawn},
      {"Probe Seen", Kind::kStoreSighting},
      {"Beacon Seen", Kind::kStoreSighting},
  };
  auto it = kKinds.find(event);
  return it == kKinds.end() ? Kind::kOther : it->second;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t LocalDay(int64_t ts) { return FloorDiv(ts + kLocalOffsetMs, kDayMs); }
int LocalHour(int64_t ts) {
  return static_cast<int>((ts + kLocalOffsetMs - LocalDay(ts) * kDayMs) / kHourMs);
}
bool IsWeekend(int64_t local_day) {
  const int64_t wd = ((local_day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return wd == 0 || wd == 6;
}

double Decay(int64_t as_of, int64_t ts, double half_life_days) {
  const double age = static_cast<double>(std::max<int64_t>(0, as_of - ts));
  return std::exp2(-age / (half_life_days * static_cast<double>(kDayMs)));
}

// Evidence saturation: 0 without evidence, 0.63 at n = k, 0.95 at n = 3k.
double Saturate(double n, double k) { return n <= 0 ? 0 : 1 - std::exp(-n / k); }
double Round3(double x) { return std::round(x * 1000) / 1000; }

// Client traits (identify traits beyond the built-in ones) kept per profile, and the longest
// text value kept: a client cannot grow a profile (or the trait table's columns) without bound.
constexpr size_t kMaxClientTraits = 64;
constexpr size_t kMaxClientTraitText = 256;

// A key that can be a client trait: 1-64 of [A-Za-z0-9_], so that "traits.<key>" is one
// identifier of the segment language.
bool IsClientTraitKey(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool GetNumber(element e, double* d) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      *d = static_cast<double>(e.get_int64().value_unsafe());
      return true;
    case simdjson::dom::element_type::UINT64:
      *d = static_cast<double>(e.get_uint64().value_unsafe());
      return true;
    case simdjson::dom::element_type::DOUBLE:
      *d = e.get_double().value_unsafe();
      return true;
    case simdjson::dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *d);
      return ec == std::errc() && end == s.data() + s.size();
    }
    default:
      return false;
  }
}

double NumberAt(element obj, std::string_view key, double dflt) {
  element e;
  double d;
  if (obj[key].get(e) == simdjson::SUCCESS && GetNumber(e, &d) && std::isfinite(d)) return d;
  return dflt;
}

std::string_view StringAt(element obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// Adds `w` to the score of `key`, allocating the key only the first time.
template <typename V>
V& Slot(std::map<std::string, V, std::less<>>* m, std::string_view key) {
  auto it = m->find(key);
  if (it == m->end()) it = m->emplace(std::string(key), V{}).first;
  return it->second;
}

// The key with the highest value (ties: the smaller key), or end().
template <typename M>
typename M::const_iterator ArgMax(const M& m) {
  auto best = m.end();
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (best == m.end() || it->second > best->second) best = it;
  }
  return best;
}

template <typename V>
std::vector<std::string_view> TopKeys(const std::map<std::string, V, std::less<>>& scores,
                                      size_t n) {
  std::vector<std::pair<V, std::string_view>> v;
  for (const auto& [k, s] : scores) v.emplace_back(s, k);
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string_view> out;
  for (size_t i = 0; i < v.size() && i < n; ++i) out.push_back(v[i].second);
  return out;
}

template <typename T>
T Median(std::vector<T> v) {
  if (v.empty()) return T{};
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---- locations: 0.01-degree grid cells ----
struct Cell {
  int32_t lat = 0;  // round(lat * 100)
  int32_t lon = 0;
  bool operator<(const Cell& o) const { return lat != o.lat ? lat < o.lat : lon < o.lon; }
  bool operator==(const Cell& o) const = default;
  bool Near(const Cell& o) const { return std::abs(lat - o.lat) <= 1 && std::abs(lon - o.lon) <= 1; }
  std::string Text() const {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%.2f,%.2f", lat / 100.0, lon / 100.0);
    return buf;
  }
};

bool ReadPoint(element props, std::string_view key, Cell* cell) {
  element p;
  if (props[key].get(p) != simdjson::SUCCESS || !p.is_object()) return false;
  const double lat = NumberAt(p, "lat", NAN), lon = NumberAt(p, "lon", NAN);
  if (!(std::abs(lat) <= 90) || !(std::abs(lon) <= 180)) return false;
  cell->lat = static_cast<int32_t>(std::lround(lat * 100));
  cell->lon = static_cast<int32_t>(std::lround(lon * 100));
  return true;
}

struct CellPick {
  Cell cell;
  double votes = 0;  // votes in the 3x3 neighbourhood
  double share = 0;  // of all votes
  bool found = false;
};

// Picks the cell whose 3x3 neighbourhood holds the most votes (ties: the smaller cell), skipping
// cells near `exclude`.
CellPick PickCell(const std::map<Cell, double>& votes, const Cell* exclude) {
  CellPick best;
  double total = 0;
  for (const auto& [c, v] : votes) total += v;
  for (const auto& [c, v] : votes) {
    if (exclude != nullptr && c.Near(*exclude)) continue;
    double sum = 0;
    for (int dlat = -1; dlat <= 1; ++dlat) {
      for (int dlon = -1; dlon <= 1; ++dlon) {
        auto it = votes.find(Cell{c.lat + dlat, c.lon + dlon});
        if (it != votes.end()) sum += it->second;
      }
    }
    if (!best.found || sum > best.votes + 1e-9) {
      best.cell = c;
      best.votes = sum;
      best.found = true;
    }
  }
  if (best.found && total > 0) best.share = std::min(1.0, best.votes / total);
  return best;
}

// ---- cities ----
struct CityInfo {
  std::string_view en;
  std::string_view zh;
  double lat, lon;
};
constexpr CityInfo kCities[] = {
    {"Beijing", "北京", 39.904, 116.407},    {"Shanghai", "上海", 31.230, 121.474},
    {"Guangzhou", "广州", 23.129, 113.264},  {"Shenzhen", "深圳", 22.543, 114.058},
    {"Chengdu", "成都", 30.573, 104.067},    {"Hangzhou", "杭州", 30.274, 120.155},
    {"Wuhan", "武汉", 30.593, 114.306},      {"Xi'an", "西安", 34.341, 108.940},
    {"Nanjing", "南京", 32.060, 118.797},    {"Chongqing", "重庆", 29.563, 106.551},
    {"Suzhou", "苏州", 31.299, 120.585},     {"Qingdao", "青岛", 36.067, 120.383},
    {"Xiamen", "厦门", 24.480, 118.089},     {"Kunming", "昆明", 25.038, 102.718},
    {"Harbin", "哈尔滨", 45.803, 126.535},   {"Dalian", "大连", 38.914, 121.615},
    {"Luoyang", "洛阳", 34.620, 112.454},    {"Guilin", "桂林", 25.274, 110.290},
    {"Yichang", "宜昌", 30.692, 111.287},    {"Baoding", "保定", 38.874, 115.465},
    {"Tianjin", "天津", 39.343, 117.362},    {"Changsha", "长沙", 28.228, 112.939},
    {"Zhengzhou", "郑州", 34.747, 113.625},  {"Shenyang", "沈阳", 41.806, 123.432},
    {"Jinan", "济南", 36.651, 117.120},      {"Hefei", "合肥", 31.821, 117.227},
    {"Fuzhou", "福州", 26.074, 119.296},     {"Ningbo", "宁波", 29.868, 121.544},
    {"Dongguan", "东莞", 23.021, 113.752},   {"Foshan", "佛山", 23.022, 113.122},
    {"Nanning", "南宁", 22.817, 108.367},    {"Changchun", "长春", 43.817, 125.324},
    {"Shijiazhuang", "石家庄", 38.042, 114.515}, {"Taiyuan", "太原", 37.871, 112.549},
    {"Nanchang", "南昌", 28.683, 115.858},   {"Guiyang", "贵阳", 26.647, 106.630},
    {"Lanzhou", "兰州", 36.061, 103.834},    {"Urumqi", "乌鲁木齐", 43.826, 87.617},
    {"Wuxi", "无锡", 31.491, 120.312},       {"Xuzhou", "徐州", 34.205, 117.285},
};

// Lower-case ASCII letters and digits only ("Xi'an" -> "xian").
std::string AsciiKey(std::string_view s) {
  std::string k;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') k.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) k.push_back(c);
  }
  return k;
}


std::string_view NearestCity(const Cell& c, double max_km) {
  std::string_view best;
  double best_km = max_km;
  for (const CityInfo& city : kCities) {
    const double km = DistanceKm(c.lat / 100.0, c.lon / 100.0, city.lat, city.lon);
    if (km < best_km) {
      best_km = km;
      best = city.en;
    }
  }
  return best;
}

// ---- demographics ----
std::string_view AgeBand(int age) {
  if (age < 18) return "<18";
  if (age < 25) return "18-24";
  if (age < 35) return "25-34";
  if (age < 45) return "35-44";
  if (age < 55) return "45-54";
  if (age < 65) return "55-64";
  return "65+";
}

std::string_view NormalizeGender(std::string_view g) {
  const std::string k = AsciiKey(g);
  if (k == "f" || k == "female" || k == "woman" || g == "女") return "female";
  if (k == "m" || k == "male" || k == "man" || g == "男") return "male";
  return k.empty() && g.empty() ? std::string_view() : std::string_view("other");
}

// Age in whole years on `as_of` for a "YYYY-MM-DD..." birthday, or -1.
int AgeFromBirthday(std::string_view s, int64_t as_of) {
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return -1;
  auto num = [&](size_t pos, size_t len, int* out) {
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
    return ec == std::errc() && end == s.data() + pos + len;
  };
  if (!num(0, 4, &y) || !num(5, 2, &m) || !num(8, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return -1;
  }
  const CivilDate now = CivilFromDays(LocalDay(as_of));
  int age = static_cast<int>(now.year) - y;
  if (static_cast<int>(now.month) < m || (static_cast<int>(now.month) == m && static_cast<int>(now.day) < d)) {
    --age;
  }
  return age >= 0 && age < 130 ? age : -1;
}

std::string_view SalaryBand(double monthly) {
  if (monthly < 5000) return "<5k";
  if (monthly < 10000) return "5k-10k";
  if (monthly < 20000) return "10k-20k";
  if (monthly < 50000) return "20k-50k";
  return "50k+";
}

std::string_view CommuteClass(std::string_view mode) {
  if (mode == "car" || mode == "taxi" || mode == "ride_hailing") return "car";
  if (mode == "subway" || mode == "bus" || mode == "metro" || mode == "train") {
    return "public_transport";
  }
  if (mode == "bike" || mode == "bicycle" || mode == "ebike") return "bike";
  if (mode == "walk") return "walk";
  return {};
}

constexpr std::string_view kCommuteClasses[] = {"car", "public_transport", "bike", "walk"};

}  // namespace

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = M_PI / 180;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * 6371.0 * std::asin(std::min(1.0, std::sqrt(a)));
}

// ---- public helpers ----

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

int SpendingPowerScore(const SpendingSignals& s, double* weight) {
  auto tier = [](double v, double t1, double t2, double t3, double t4) {
    return v < t1 ? 1 : v < t2 ? 2 : v < t3 ? 3 : v < t4 ? 4 : 5;
  };
  double sum = 0, w_total = 0;
  auto add = [&](double t, double w) {
    sum += t * w;
    w_total += w;
  };
  if (s.salary_months > 0) {
    add(tier(s.monthly_salary, 4500, 8000, 13000, 25000),
        3.0 * std::min(1.0, static_cast<double>(s.salary_months) / 2));
  }
  if (s.orders > 0) {
    add(SpendingPowerTier(s.spend_90d), std::min(1.0, static_cast<double>(s.orders) / 3));
  }
  if (s.flights > 0) add(s.cabin_score, std::min(1.0, static_cast<double>(s.flights) / 2));
  if (s.hotels > 0) {
    add(tier(s.hotel_night_price, 330, 450, 570, 700),
        std::min(1.0, static_cast<double>(s.hotels) / 2));
  }
  if (weight != nullptr) *weight = w_total;
  if (w_total <= 0) return 0;
  return std::clamp(static_cast<int>(std::lround(sum / w_total)), 1, 5);
}

std::string NormalizeCity(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  constexpr std::string_view kShi = "市";
  if (name.ends_with(kShi)) name.remove_suffix(kShi.size());
  if (name.size() > 5) {
    std::string tail = AsciiKey(name.substr(name.size() - 5));
    if (tail == "city" && name[name.size() - 5] == ' ') name.remove_suffix(5);
  }
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.empty()) return {};
  const std::string key = AsciiKey(name);
  for (const CityInfo& c : kCities) {
    if (name == c.zh || (!key.empty() && key == AsciiKey(c.en))) return std::string(c.en);
  }
  return std::string(name);
}

const std::vector<std::string_view>& BuiltinTraitNames() {
  // The registry's traits the builder writes (household_size comes from the people graph).
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    for (const TraitInfo& t : BuiltinTraits()) {
      if (t.name != "household_size") names.push_back(t.name);
    }
    return names;
  }();
  return kNames;
}

// ---- accumulator state ----

struct ProfileAccumulator::State {
  // Which sources and how many events back one piece of evidence.
  struct Meta {
    uint64_t mask = 0;
    uint64_t events = 0;
  };
  struct Trip {
    Cell from, to;
    uint8_t mode;  // index in kCommuteClasses, or 255
    uint8_t source;
  };
  struct Booking {
    int64_t ts;
    size_t destination;  // hash
    bool international;
  };
  struct Stamped {
    int64_t ts = 0;
    std::string value;
    bool set = false;
    // Keeps the value with the latest timestamp (ties: the larger text).
    void Offer(int64_t t, std::string_view v) {
      if (!set || t > ts || (t == ts && v > value)) {
        ts = t;
        value.assign(v);
        set = true;
      }
    }
  };

  // The computed traits: their prototypes (own_prototypes, or the caller's), and the
  // accumulators made so far, by index, ascending.
  const std::vector<ComputedTraitAccumulator>* prototypes = nullptr;
  std::unique_ptr<std::vector<ComputedTraitAccumulator>> own_prototypes;
  std::vector<std::pair<uint32_t, ComputedTraitAccumulator>> computed;

  int64_t first_seen = 0;
  int64_t last_seen = 0;
  std::vector<std::string> sources;  // interned; the index is the bit of Meta::mask

  // Orders and spend.
  uint64_t order_count = 0;
  double total_spend = 0;
  double spend_90d = 0;
  Meta orders, orders_90d;
  // Affinity (retail only).
  std::map<std::string, double, std::less<>> categories, brands;
  Meta affinity;
  // Price sensitivity.
  std::map<std::string, uint32_t, std::less<>> category_ids;
  std::vector<std::pair<uint32_t, int64_t>> views;        // (category id, ts)
  std::vector<std::pair<uint32_t, int64_t>> order_items;  // (category id, ts)
  uint64_t retail_orders = 0;
  uint64_t discounted_orders = 0;
  uint64_t coupons = 0;
  Meta price;
  // Shipping.
  std::map<std::string, uint32_t, std::less<>> cities, postcodes;
  Meta shipping;
  // Trips.
  std::map<Cell, double> home_votes, work_votes;
  std::vector<Trip> trips;
  Meta home_meta, work_meta;
  // Travel.
  std::vector<Booking> bookings;
  uint64_t flights = 0, premium_flights = 0;
  double cabin_sum = 0;
  std::vector<double> hotel_night_prices;
  Meta travel, flight_meta;
  // Payments.
  std::vector<std::pair<int64_t, double>> salaries;  // (ts, amount)
  uint64_t payments = 0, utility_payments = 0, family_card_payments = 0;
  Meta salary_meta, payment_meta, utility_meta, family_card_meta;
  // Interests.
  std::map<std::string, std::pair<double, uint32_t>, std::less<>> topics;  // recent w, count
  uint64_t posts = 0;
  std::map<std::string, double, std::less<>> genres;
  Meta topic_meta, video_meta;
  // Consent: latest (ts, given) per purpose.
  struct ConsentState {
    int64_t ts = 0;
    bool given = false;
    bool set = false;
  };
  std::array<ConsentState, 4> consent;
  std::array<Meta, 4> consent_meta;
  // Demographics.
  Stamped age, gender;
  Meta age_meta, gender_meta;
  // Client traits: the other scalar identify traits, by key (ClientTraitName), the latest by
  // event time (ties: the larger value, so that event order does not matter).
  struct ClientTrait {
    enum class Kind : uint8_t { kNumber, kBool, kText };
    int64_t ts = 0;
    Kind kind = Kind::kText;
    double number = 0;
    std::string text;
    Meta meta;
    // True when (t, kind, number, text) should replace the held value.
    bool Newer(int64_t t, Kind k, double n, std::string_view x) const {
      if (meta.events == 0 || t != ts) return meta.events == 0 || t > ts;
      if (k != kind) return k > kind;
      return k == Kind::kText ? x > text : n > number;
    }
  };
  std::map<std::string, ClientTrait, std::less<>> client_traits;
  // The accounts of the person's group calls (storage::kGroupProperty, hex) -> the latest
  // "name" its calls gave the account (empty value: none); accounts.h keeps the accounts.
  std::map<std::string, Stamped, std::less<>> accounts;
  Meta accounts_meta;
  // Context traits (the event's kept context, storage::kContextProperty): first and last
  // campaign source and name by event time; the latest user agent, locale and timezone.
  struct FirstLast {
    int64_t first_ts = 0;
    std::string first;
    Stamped last;
    void Offer(int64_t t, std::string_view v) {
      // The earliest (ties: the smaller text, so that event order does not matter).
      if (!last.set || t < first_ts || (t == first_ts && v < first)) {
        first_ts = t;
        first.assign(v);
      }
      last.Offer(t, v);
    }
  };
  FirstLast utm_source, utm_campaign;
  Stamped user_agent, locale, timezone;
  Meta utm_source_meta, utm_campaign_meta, user_agent_meta, locale_meta, timezone_meta;
  // Store visits within 90 days: (store_id, local day) per sighting, deduplicated at output.
  std::vector<std::pair<std::string, int64_t>> visits_90d;
  Meta store_meta;
  uint64_t store_events = 0;
  int64_t last_store_ms = INT64_MIN;  // the latest sighting up to as_of, any store
  void AddStoreSighting(std::string_view store, int64_t ts, int64_t as_of_ms, uint8_t src) {
    ++store_events;
    if (ts <= as_of_ms) {
      last_store_ms = std::max(last_store_ms, ts);
      Note(&store_meta, src);
    }
    if (ts > as_of_ms - 90 * kDayMs && ts <= as_of_ms) visits_90d.emplace_back(store, LocalDay(ts));
  }

  uint8_t SourceIndex(std::string_view s) {
    for (size_t i = 0; i < sources.size(); ++i) {
      if (sources[i] == s) return static_cast<uint8_t>(i);
    }
    sources.emplace_back(s);
    return static_cast<uint8_t>(sources.size() - 1);
  }
  static void Note(Meta* m, uint8_t src) {
    if (src < 64) m->mask |= uint64_t{1} << src;
    ++m->events;
  }
  uint32_t CategoryId(std::string_view c) {
    auto it = category_ids.find(c);
    if (it == category_ids.end()) {
      it = category_ids.emplace(std::string(c), static_cast<uint32_t>(category_ids.size())).first;
    }
    return it->second;
  }

  void AddCommerce(Kind kind, const storage::EventRecord& ev, element props, int64_t as_of,
                   uint8_t src);
  void AddPayment(Kind kind, const storage::EventRecord& ev, element props, uint8_t src);
  void AddTrip(const storage::EventRecord& ev, element props, uint8_t src);
  void AddTravel(Kind kind, const storage::EventRecord& ev, element props, uint8_t src);
  void AddIdentify(const storage::EventRecord& ev, element props, int64_t as_of, uint8_t src);
  void AddContext(const storage::EventRecord& ev, element context, uint8_t src);
};

void ProfileAccumulator::State::AddContext(const storage::EventRecord& ev, element context, uint8_t src) {
  auto text = [&](element e, std::string_view key) {
    std::string_view v;
    if (e[key].get_string().get(v) != simdjson::SUCCESS) return std::string_view{};
    return v;
  };
  // The campaign: context.campaign as the browser SDKs fill it, else the utm_ parameters of
  // the page's URL (or its search string) as a server-side client forwards them.
  element campaign, page;
  const bool has_campaign = context["campaign"].get(campaign) == simdjson::SUCCESS;
  const bool has_page = context["page"].get(page) == simdjson::SUCCESS;
  auto offer = [&](FirstLast* touch, Meta* meta, std::string_view campaign_key, std::string_view utm_key) {
    if (std::string_view v = has_campaign ? text(campaign, campaign_key) : std::string_view{}; !v.empty()) {
      touch->Offer(ev.timestamp_ms, v);
      Note(meta, src);
      return;
    }
    if (!has_page) return;
    for (std::string_view field : {"search", "url"}) {
      std::optional<std::string> v = url::QueryParameter(text(page, field), utm_key);
      if (v && !v->empty()) {
        touch->Offer(ev.timestamp_ms, *v);
        Note(meta, src);
        return;
      }
    }
  };
  offer(&utm_source, &utm_source_meta, "source", "utm_source");
  offer(&utm_campaign, &utm_campaign_meta, "name", "utm_campaign");
  if (std::string_view v = text(context, "userAgent"); !v.empty()) {
    user_agent.Offer(ev.timestamp_ms, v);
    Note(&user_agent_meta, src);
  }
  if (std::string_view v = text(context, "locale"); !v.empty()) {
    locale.Offer(ev.timestamp_ms, v);
    Note(&locale_meta, src);
  }
  if (std::string_view v = text(context, "timezone"); !v.empty()) {
    timezone.Offer(ev.timestamp_ms, v);
    Note(&timezone_meta, src);
  }
}

namespace {

// The kept context of an event whose properties are otherwise not read: it is the last key of
// the properties object ({...,"$context":{...}}), so it is found from the end and parsed alone.
// False when the event has none.
bool ContextOnly(std::string_view json, simdjson::dom::parser* parser, element* context) {
  if (json.size() < storage::kContextProperty.size() + 6 || json[json.size() - 2] != '}') return false;
  const size_t at = json.rfind("\"$context\":{");
  if (at == std::string_view::npos || at == 0 || (json[at - 1] != ',' && json[at - 1] != '{')) return false;
  const size_t start = at + storage::kContextProperty.size() + 3;  // past "$context":
  std::string_view object = json.substr(start, json.size() - 1 - start);
  return parser->parse(object.data(), object.size()).get(*context) == simdjson::SUCCESS && context->is_object();
}

}  // namespace

void ProfileAccumulator::State::AddCommerce(Kind kind, const storage::EventRecord& ev,
                                            element props, int64_t as_of, uint8_t src) {
  bool food = false;
  for (std::string_view f : kFoodDeliverySources) food = food || ev.source == f;
  double weight = 0;
  switch (kind) {
    case Kind::kOrder:
      weight = 3;
      break;
    case Kind::kCartAdd:
    case Kind::kWishlist:
      weight = 2;
      break;
    default:
      weight = 1;
  }
  const double w = weight * Decay(as_of, ev.timestamp_ms, kAffinityHalfLifeDays);
  bool credited = false;
  auto credit = [&](element item) {
    if (food) return;
    std::string_view cat = StringAt(item, "category"), brand = StringAt(item, "brand");
    if (!cat.empty()) {
      Slot(&categories, cat) += w;
      credited = true;
    }
    if (!brand.empty()) {
      Slot(&brands, brand) += w;
      credited = true;
    }
  };
  if (kind != Kind::kOrder) {
    credit(props);
    if (credited) Note(&affinity, src);
    std::string_view cat = StringAt(props, "category");
    if (kind == Kind::kView && !food && !cat.empty()) {
      views.emplace_back(CategoryId(cat), ev.timestamp_ms);
    }
    return;
  }
  ++order_count;
  Note(&orders, src);
  const double revenue = NumberAt(props, "revenue", 0);
  total_spend += revenue;
  if (ev.timestamp_ms > as_of - 90 * kDayMs && ev.timestamp_ms <= as_of) {
    spend_90d += revenue;
    Note(&orders_90d, src);
  }
  bool discounted = !StringAt(props, "coupon").empty() || NumberAt(props, "discount", 0) > 0;
  simdjson::dom::array products;
  if (props["products"].get_array().get(products) == simdjson::SUCCESS) {
    for (element item : products) {
      if (!item.is_object()) continue;
      credit(item);
      discounted = discounted || !StringAt(item, "coupon").empty() ||
                   NumberAt(item, "discount", 0) > 0;
      std::string_view cat = StringAt(item, "category");
      if (!food && !cat.empty()) order_items.emplace_back(CategoryId(cat), ev.timestamp_ms);
    }
  }
  if (credited) Note(&affinity, src);
  if (!food) {
    ++retail_orders;
    if (discounted) ++discounted_orders;
    Note(&price, src);
  }
  element addr;
  if (props["shipping_address"].get(addr) == simdjson::SUCCESS && addr.is_object()) {
    const std::string city = NormalizeCity(StringAt(addr, "city"));
    std::string_view postcode = StringAt(addr, "postcode");
    if (!city.empty()) ++Slot(&cities, city);
    if (!postcode.empty()) ++Slot(&postcodes, postcode);
    if (!city.empty() || !postcode.empty()) Note(&shipping, src);
  }
}

void ProfileAccumulator::State::AddPayment(Kind kind, const storage::EventRecord& ev,
                                           element props, uint8_t src) {
  std::string_view counterparty = StringAt(props, "counterparty_type");
  const double amount = NumberAt(props, "amount", 0);
  ++payments;
  Note(&payment_meta, src);
  if (kind == Kind::kPaymentReceived) {
    if (counterparty == "employer" && amount > 0) {
      salaries.emplace_back(ev.timestamp_ms, amount);
      Note(&salary_meta, src);
    }
    return;
  }
  if (counterparty == "utility" && StringAt(props, "category") != "mobile") {
    ++utility_payments;
    Note(&utility_meta, src);
  } else if (counterparty == "family_card") {
    ++family_card_payments;
    Note(&family_card_meta, src);
  }
}

void ProfileAccumulator::State::AddTrip(const storage::EventRecord& ev, element props,
                                        uint8_t src) {
  Cell from, to;
  const bool has_from = ReadPoint(props, "from", &from);
  const bool has_to = ReadPoint(props, "to", &to);
  if (!has_from && !has_to) return;
  const int64_t day = LocalDay(ev.timestamp_ms);
  const int hour = LocalHour(ev.timestamp_ms);
  const bool weekend = IsWeekend(day);
  bool home = false, work = false;
  // Leaving in the morning: the night was spent at `from`.
  if (has_from && hour >= 5 && hour < 10) {
    home_votes[from] += 1;
    home = true;
  }
  // Arriving in the evening or at night: the night will be spent at `to`.
  if (has_to && (hour >= 18 || hour < 5)) {
    home_votes[to] += 1;
    home = true;
  }
  // Weekend daytime trips mostly start at home.
  if (has_from && weekend && hour >= 10 && hour < 18) {
    home_votes[from] += 0.5;
    home = true;
  }
  if (!weekend) {
    // Arriving on a weekday morning, leaving on a weekday late afternoon: the workplace.
    if (has_to && hour >= 7 && hour < 10) {
      work_votes[to] += 1;
      work = true;
    }
    if (has_from && hour >= 16 && hour < 20) {
      work_votes[from] += 1;
      work = true;
    }
  }
  if (home) Note(&home_meta, src);
  if (work) Note(&work_meta, src);
  if (has_from && has_to) {
    std::string_view cls = CommuteClass(StringAt(props, "mode"));
    uint8_t mode = 255;
    for (size_t i = 0; i < std::size(kCommuteClasses); ++i) {
      if (cls == kCommuteClasses[i]) mode = static_cast<uint8_t>(i);
    }
    trips.push_back(Trip{from, to, mode, src});
  }
}

void ProfileAccumulator::State::AddTravel(Kind kind, const storage::EventRecord& ev, element props,
                                          uint8_t src) {
  std::string_view dest = StringAt(props, "destination");
  std::string_view country = StringAt(props, "country");
  const bool international = !country.empty() && country != "CN" && country != "China";
  bookings.push_back(Booking{ev.timestamp_ms, std::hash<std::string_view>()(dest), international});
  Note(&travel, src);
  if (kind == Kind::kFlight) {
    std::string_view cabin = StringAt(props, "cabin_class");
    double score = 2.5;
    if (cabin == "premium" || cabin == "premium_economy") score = 4;
    if (cabin == "business" || cabin == "first") score = 5;
    ++flights;
    if (score > 2.5) ++premium_flights;
    cabin_sum += score;
    Note(&flight_meta, src);
  } else {
    const double price = NumberAt(props, "price", 0);
    const double nights = std::max(1.0, NumberAt(props, "nights", 1));
    if (price > 0) hotel_night_prices.push_back(price / nights);
  }
}

void ProfileAccumulator::State::AddIdentify(const storage::EventRecord& ev, element props,
                                            int64_t as_of, uint8_t src) {
  element e;
  double d;
  if (props["age"].get(e) == simdjson::SUCCESS && GetNumber(e, &d) && d >= 0 && d < 130) {
    age.Offer(ev.timestamp_ms, std::to_string(static_cast<int>(d)));
    Note(&age_meta, src);
  } else if (std::string_view b = StringAt(props, "birthday"); !b.empty()) {
    const int a = AgeFromBirthday(b, as_of);
    if (a >= 0) {
      age.Offer(ev.timestamp_ms, std::to_string(a));
      Note(&age_meta, src);
    }
  }
  std::string_view g = NormalizeGender(StringAt(props, "gender"));
  if (!g.empty()) {
    gender.Offer(ev.timestamp_ms, g);
    Note(&gender_meta, src);
  }
  // Every other scalar trait the client sent (PII was removed at ingestion): "traits.<key>".
  simdjson::dom::object obj;
  if (props.get_object().get(obj) != simdjson::SUCCESS) return;
  for (auto [key, value] : obj) {
    if (!IsClientTraitKey(key) || (client_traits.size() >= kMaxClientTraits && !client_traits.contains(key))) continue;
    ClientTrait::Kind kind;
    double number = 0;
    std::string_view text;
    switch (value.type()) {
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        kind = ClientTrait::Kind::kNumber;
        GetNumber(value, &number);
        if (!std::isfinite(number)) continue;
        break;
      case simdjson::dom::element_type::BOOL:
        kind = ClientTrait::Kind::kBool;
        number = value.get_bool().value_unsafe() ? 1 : 0;
        break;
      case simdjson::dom::element_type::STRING:
        kind = ClientTrait::Kind::kText;
        text = value.get_string().value_unsafe();
        if (text.empty() || text.size() > kMaxClientTraitText) continue;
        break;
      default:
        continue;  // null, objects and arrays are not client traits
    }
    auto it = client_traits.find(key);
    if (it == client_traits.end()) it = client_traits.emplace(std::string(key), ClientTrait{}).first;
    ClientTrait& c = it->second;
    if (c.Newer(ev.timestamp_ms, kind, number, text)) {
      c.ts = ev.timestamp_ms;
      c.kind = kind;
      c.number = number;
      c.text.assign(text);
    }
    Note(&c.meta, src);
  }
}

namespace {

// The first of `computed` (ascending by index) whose index is not below `i`.
template <typename Entries>
auto ComputedAtOrAfter(Entries& computed, size_t i) {
  return std::lower_bound(computed.begin(), computed.end(), i,
                          [](const auto& entry, size_t index) { return entry.first < index; });
}

}  // namespace

const ComputedTraitAccumulator* ProfileAccumulator::computed(size_t i) const {
  auto found = ComputedAtOrAfter(s_->computed, i);
  return found != s_->computed.end() && found->first == i ? &found->second : nullptr;
}

size_t ProfileAccumulator::computed_size() const {
  return s_->prototypes == nullptr ? 0 : s_->prototypes->size();
}

ProfileAccumulator::ProfileAccumulator(const std::vector<AggregateSpec>* computed)
    : s_(std::make_unique<State>()) {
  if (computed != nullptr) {
    s_->own_prototypes = std::make_unique<std::vector<ComputedTraitAccumulator>>();
    s_->own_prototypes->reserve(computed->size());
    for (const AggregateSpec& spec : *computed) s_->own_prototypes->emplace_back(&spec);
    s_->prototypes = s_->own_prototypes.get();
  }
}
ProfileAccumulator::ProfileAccumulator(const std::vector<ComputedTraitAccumulator>& prototypes)
    : s_(std::make_unique<State>()) {
  if (!prototypes.empty()) s_->prototypes = &prototypes;
}
ProfileAccumulator::~ProfileAccumulator() = default;
ProfileAccumulator::ProfileAccumulator(ProfileAccumulator&&) noexcept = default;
ProfileAccumulator& ProfileAccumulator::operator=(ProfileAccumulator&&) noexcept = default;

void ProfileAccumulator::Add(const storage::EventRecord& ev, int64_t as_of_ms) {
  State& s = *s_;
  if (events_ == 0 || ev.timestamp_ms < s.first_seen) s.first_seen = ev.timestamp_ms;
  if (events_ == 0 || ev.timestamp_ms > s.last_seen) s.last_seen = ev.timestamp_ms;
  ++events_;
  const uint8_t src = s.SourceIndex(ev.source);

  const bool track = ev.msg_type == kTrackMessage || ev.msg_type == 0;
  const Kind kind = track ? KindOf(ev.event) : Kind::kOther;
  // The computed traits that count this event (wanted, in their window); an accumulator is
  // made on a trait's first such event.
  bool want_computed = false;
  if (s.prototypes != nullptr) {
    for (size_t i = 0; i < s.prototypes->size(); ++i) {
      const ComputedTraitAccumulator& p = (*s.prototypes)[i];
      if (!p.Wants(ev) || !p.InWindow(ev.timestamp_ms, as_of_ms)) continue;
      want_computed = true;
      auto at = ComputedAtOrAfter(s.computed, i);
      if (at == s.computed.end() || at->first != i) s.computed.emplace(at, static_cast<uint32_t>(i), p.Fresh());
    }
  }
  if (kind == Kind::kOther && ev.msg_type != kIdentifyMessage && ev.msg_type != kGroupMessage && !want_computed) {
    thread_local simdjson::dom::parser context_parser;
    element context;
    if (ContextOnly(ev.properties_json, &context_parser, &context)) s.AddContext(ev, context, src);
    return;
  }

  // One parser per thread: profile building is single-threaded per accumulator.
  thread_local simdjson::dom::parser parser;
  element props;
  if (parser.parse(ev.properties_json).get(props) != simdjson::SUCCESS || !props.is_object()) {
    return;
  }
  if (element context; props[storage::kContextProperty].get(context) == simdjson::SUCCESS && context.is_object()) {
    s.AddContext(ev, context, src);
  }
  if (want_computed) {
    for (auto& [index, c] : s.computed) c.Add(ev, props, as_of_ms);
  }
  if (ev.msg_type == kIdentifyMessage) {
    s.AddIdentify(ev, props, as_of_ms, src);
    return;
  }
  if (ev.msg_type == kGroupMessage) {
    std::string_view account;
    if (props[storage::kGroupProperty].get_string().get(account) == simdjson::SUCCESS && account.size() == 32) {
      auto it = s.accounts.find(account);
      if (it == s.accounts.end()) it = s.accounts.emplace(std::string(account), State::Stamped{}).first;
      std::string_view name = StringAt(props, "name");
      if (name.size() > 256) name = {};
      if (!name.empty()) it->second.Offer(ev.timestamp_ms, name);
      State::Note(&s.accounts_meta, src);
    }
    return;
  }
  switch (kind) {
    case Kind::kOrder:
    case Kind::kCartAdd:
    case Kind::kWishlist:
    case Kind::kView:
    case Kind::kSearch:
    case Kind::kReview:
      s.AddCommerce(kind, ev, props, as_of_ms, src);
      break;
    case Kind::kCoupon:
      ++s.coupons;
      State::Note(&s.price, src);
      break;
    case Kind::kPaymentReceived:
    case Kind::kPaymentMade:
      s.AddPayment(kind, ev, props, src);
      break;
    case Kind::kTrip:
      s.AddTrip(ev, props, src);
      break;
    case Kind::kFlight:
    case Kind::kHotel:
      s.AddTravel(kind, ev, props, src);
      break;
    case Kind::kVideo: {
      std::string_view genre = StringAt(props, "genre");
      if (genre.empty()) break;
      Slot(&s.genres, genre) += Decay(as_of_ms, ev.timestamp_ms, kVideoHalfLifeDays);
      State::Note(&s.video_meta, src);
      break;
    }
    case Kind::kPost: {
      simdjson::dom::array topics;
      if (props["topics"].get_array().get(topics) != simdjson::SUCCESS) break;
      const double w = Decay(as_of_ms, ev.timestamp_ms, kTrendHalfLifeDays);
      bool any = false;
      for (element t : topics) {
        std::string_view topic;
        if (t.get_string().get(topic) != simdjson::SUCCESS || topic.empty()) continue;
        auto& slot = Slot(&s.topics, topic);
        slot.first += w;
        slot.second += 1;
        any = true;
      }
      if (any) {
        ++s.posts;
        State::Note(&s.topic_meta, src);
      }
      break;
    }
    case Kind::kConsentGiven:
    case Kind::kConsentWithdrawn: {
      simdjson::dom::array purposes;
      if (props["purposes"].get_array().get(purposes) != simdjson::SUCCESS) break;
      const bool given = kind == Kind::kConsentGiven;
      for (element p : purposes) {
        std::string_view purpose;
        if (p.get_string().get(purpose) != simdjson::SUCCESS) continue;
        for (size_t i = 0; i < std::size(kConsentPurposes); ++i) {
          if (purpose != kConsentPurposes[i]) continue;
          State::ConsentState& c = s.consent[i];
          // The latest event wins; on a tie a withdrawal wins.
          if (!c.set || ev.timestamp_ms > c.ts || (ev.timestamp_ms == c.ts && !given)) {
            c.ts = ev.timestamp_ms;
            c.given = given;
            c.set = true;
          }
          State::Note(&s.consent_meta[i], src);
        }
      }
      break;
    }
    case Kind::kStoreSighting: {
      std::string_view store = StringAt(props, "store_id");
      if (!store.empty()) s.AddStoreSighting(store, ev.timestamp_ms, as_of_ms, src);
      break;
    }
    case Kind::kOther:
      break;
  }
}

void ProfileAccumulator::AddStoreVisit(std::string_view store_id, int64_t ts_ms, int64_t as_of_ms) {
  State& s = *s_;
  s.AddStoreSighting(store_id, ts_ms, as_of_ms, s.SourceIndex("stores"));
}

// ---- output ----

namespace {

// Writes the flat "traits" object and remembers the meta of each trait with a value. Each
// value goes to the JSON and, when a typed row is asked for (`row` not null), to the row:
// the two are written from the same value, so they cannot disagree.
class TraitWriter {
 public:
  TraitWriter(JsonWriter* w, const std::vector<std::string>* sources, TraitRow* row)
      : w_(w), sources_(sources), row_(row) {}

  void Uint(std::string_view name, uint64_t v) {
    w_->Key(name).Uint(v);
    Typed(name, static_cast<double>(v));
  }
  void Int(std::string_view name, int64_t v) {
    w_->Key(name).Int(v);
    Typed(name, static_cast<double>(v));
  }
  void Double(std::string_view name, double v) {
    w_->Key(name).Double(v);
    Typed(name, v);
  }
  void Bool(std::string_view name, bool v) {
    w_->Key(name).Bool(v);
    Typed(name, v ? 1.0 : 0.0);
  }
  void Text(std::string_view name, std::string_view v) {
    w_->Key(name).String(v);
    if (row_ == nullptr) return;
    TraitValue& value = NextEntry(name);
    if (auto* text = std::get_if<std::string>(&value)) {
      text->assign(v);  // over the previous profile's text: no allocation while it fits
    } else {
      value = std::string(v);
    }
  }
  // An empty text is null.
  void TextOrNull(std::string_view name, std::string_view v) {
    if (v.empty()) {
      Null(name);
    } else {
      Text(name, v);
    }
  }
  void Null(std::string_view name) {
    w_->Key(name).Null();
    Typed(name, std::monostate());
  }
  void Texts(std::string_view name, const std::vector<std::string_view>& v) {
    w_->Key(name).BeginArray();
    for (std::string_view s : v) w_->String(s);
    w_->EndArray();
    if (row_ != nullptr) Typed(name, std::vector<std::string>(v.begin(), v.end()));
  }

  struct Meta {
    std::string name;
    std::vector<std::string_view> sources;
    uint64_t events;
    double confidence;
  };

  void Note(std::string_view name, uint64_t mask, uint64_t events, double confidence) {
    if (events == 0) return;
    Meta m{std::string(name), {}, events, std::clamp(Round3(confidence), 0.0, 1.0)};
    for (size_t i = 0; i < sources_->size() && i < 64; ++i) {
      if (mask >> i & 1) m.sources.push_back((*sources_)[i]);
    }
    std::sort(m.sources.begin(), m.sources.end());
    metas_.push_back(std::move(m));
  }
  void NoteSources(std::string_view name, const std::vector<std::string>& sources, uint64_t events,
                   double confidence) {
    if (events == 0) return;
    Meta m{std::string(name), {}, events, confidence};
    for (const std::string& s : sources) m.sources.push_back(s);
    metas_.push_back(std::move(m));
  }
  // Drops the row's entries past the last trait written (left from a previous profile).
  void FinishRow() {
    if (row_ != nullptr) row_->resize(used_);
  }
  void WriteMeta() {
    w_->BeginObject();
    for (const Meta& m : metas_) {
      w_->Key(m.name);
      w_->BeginObject();
      w_->Key("sources").BeginArray();
      for (std::string_view s : m.sources) w_->String(s);
      w_->EndArray();
      w_->Key("events").Uint(m.events);
      w_->Key("confidence").Double(m.confidence);
      w_->EndObject();
    }
    w_->EndObject();
  }

 private:
  void Typed(std::string_view name, TraitValue v) {
    if (row_ != nullptr) NextEntry(name) = std::move(v);
  }
  // The value of the row's next entry, named `name`. The row's entries are reused in place (a
  // rebuild renders one profile after another into the same row): a name assigned over the
  // same name allocates nothing. REQUIRES: row_ is not null.
  TraitValue& NextEntry(std::string_view name) {
    if (used_ == row_->size()) row_->emplace_back();
    auto& entry = (*row_)[used_++];
    entry.first.assign(name);
    return entry.second;
  }
  JsonWriter* w_;
  const std::vector<std::string>* sources_;
  TraitRow* row_;
  size_t used_ = 0;
  std::vector<Meta> metas_;
};

void StringArray(JsonWriter* w, const std::vector<std::string_view>& v) {
  w->BeginArray();
  for (std::string_view s : v) w->String(s);
  w->EndArray();
}

}  // namespace

const std::vector<std::string_view>& ProfileAccumulator::ConsentPurposes() {
  static const std::vector<std::string_view> purposes(std::begin(kConsentPurposes), std::end(kConsentPurposes));
  return purposes;
}

void ProfileAccumulator::SetConsent(std::string_view purpose, bool given) {
  for (size_t i = 0; i < std::size(kConsentPurposes); ++i) {
    if (purpose != kConsentPurposes[i]) continue;
    s_->consent[i].given = given;
    s_->consent[i].set = true;
  }
}

std::string ProfileAccumulator::ToJson(uint64_t oneid, const std::vector<Identifier>& identifiers,
                                       int64_t as_of_ms, TraitRow* row) const {
  const State& s = *s_;
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
  std::vector<std::string_view> sources(s.sources.begin(), s.sources.end());
  std::sort(sources.begin(), sources.end());
  StringArray(&w, sources);
  w.Key("events");
  w.Uint(events_);
  if (events_ > 0) {
    w.Key("first_seen");
    w.String(FormatIso8601Ms(s.first_seen));
    w.Key("last_seen");
    w.String(FormatIso8601Ms(s.last_seen));
  }

  TraitWriter t(&w, &s.sources, row);
  int families = 0, filled = 0;
  auto family = [&](bool has) {
    ++families;
    filled += has ? 1 : 0;
  };
  w.Key("traits");
  w.BeginObject();

  // -- spend --
  t.Uint("order_count", s.order_count);
  t.Note("order_count", s.orders.mask, s.orders.events, 1);
  t.Double("total_spend", std::round(s.total_spend * 100) / 100);
  t.Note("total_spend", s.orders.mask, s.orders.events, 1);
  t.Double("spend_90d", std::round(s.spend_90d * 100) / 100);
  t.Note("spend_90d", s.orders_90d.mask, s.orders_90d.events, 1);

  // Salary: the employer inflow summed per local month; the median month.
  std::map<int64_t, double> by_month;
  std::map<int, uint32_t> salary_days;
  for (const auto& [ts, amount] : s.salaries) {
    const CivilDate d = CivilFromDays(LocalDay(ts));
    by_month[d.year * 12 + d.month] += amount;
    ++salary_days[static_cast<int>(d.day)];
  }
  std::vector<double> monthly;
  for (const auto& [m, v] : by_month) monthly.push_back(v);
  SpendingSignals sig;
  sig.spend_90d = s.spend_90d;
  sig.orders = s.order_count;
  sig.monthly_salary = Median(monthly);
  sig.salary_months = monthly.size();
  sig.flights = s.flights;
  sig.cabin_score = s.flights > 0 ? s.cabin_sum / static_cast<double>(s.flights) : 0;
  sig.hotels = s.hotel_night_prices.size();
  sig.hotel_night_price = Median(s.hotel_night_prices);
  double sp_weight = 0;
  const int spending_power = SpendingPowerScore(sig, &sp_weight);
  if (spending_power > 0) {
    t.Int("spending_power", spending_power);
    t.Note("spending_power",
           s.orders.mask | s.salary_meta.mask | s.flight_meta.mask | s.travel.mask,
           s.orders.events + s.salary_meta.events + s.travel.events, Saturate(sp_weight, 2));
  } else {
    t.Null("spending_power");
  }
  family(spending_power > 0);

  // -- affinity --
  double cat_total = 0, brand_total = 0;
  for (const auto& [k, v] : s.categories) cat_total += v;
  for (const auto& [k, v] : s.brands) brand_total += v;
  const auto top_cats = TopKeys(s.categories, 5);
  const auto top_brands = TopKeys(s.brands, 5);
  const double aff_conf = Saturate(static_cast<double>(s.affinity.events), 5);
  t.Texts("top_categories", top_cats);
  if (!top_cats.empty()) t.Note("top_categories", s.affinity.mask, s.affinity.events, aff_conf);
  t.Texts("top_brands", top_brands);
  if (!top_brands.empty()) t.Note("top_brands", s.affinity.mask, s.affinity.events, aff_conf);
  t.TextOrNull("top_category", top_cats.empty() ? std::string_view() : top_cats[0]);
  if (!top_cats.empty()) {
    t.Note("top_category", s.affinity.mask, s.affinity.events,
           aff_conf * s.categories.find(top_cats[0])->second / cat_total);
  }
  t.TextOrNull("top_brand", top_brands.empty() ? std::string_view() : top_brands[0]);
  if (!top_brands.empty()) {
    t.Note("top_brand", s.affinity.mask, s.affinity.events,
           aff_conf * s.brands.find(top_brands[0])->second / brand_total);
  }
  family(!top_cats.empty());

  // -- shipping city --
  uint32_t city_total = 0, postcode_total = 0;
  for (const auto& [k, v] : s.cities) city_total += v;
  for (const auto& [k, v] : s.postcodes) postcode_total += v;
  auto best_city = ArgMax(s.cities);
  auto best_postcode = ArgMax(s.postcodes);
  t.TextOrNull("city", best_city == s.cities.end() ? std::string_view() : best_city->first);
  const double city_conf =
      best_city == s.cities.end()
          ? 0
          : Saturate(city_total, 2) * best_city->second / static_cast<double>(city_total);
  if (best_city != s.cities.end()) t.Note("city", s.shipping.mask, s.shipping.events, city_conf);

  // -- price sensitivity --
  double price_score = -1;
  if (s.retail_orders > 0) {
    const double discount_share =
        std::min(1.0, static_cast<double>(s.discounted_orders + s.coupons) /
                          static_cast<double>(s.retail_orders));
    double compare = 0;
    if (!s.order_items.empty()) {
      std::vector<std::pair<uint32_t, int64_t>> views = s.views;
      std::sort(views.begin(), views.end());
      double total_views = 0;
      for (const auto& [cat, ts] : s.order_items) {
        auto lo = std::lower_bound(views.begin(), views.end(), std::make_pair(cat, ts - kCompareWindowMs));
        auto hi = std::lower_bound(views.begin(), views.end(), std::make_pair(cat, ts));
        total_views += static_cast<double>(hi - lo);
      }
      const double per_item = total_views / static_cast<double>(s.order_items.size());
      compare = std::clamp((per_item - 1) / 4, 0.0, 1.0);
    }
    price_score = Round3(0.5 * discount_share + 0.5 * compare);
    t.Text("price_sensitivity", price_score < 0.2 ? "low" : price_score < 0.45 ? "medium" : "high");
    const double conf = Saturate(static_cast<double>(s.retail_orders), 5);
    t.Note("price_sensitivity", s.price.mask, s.price.events, conf);
    t.Double("price_sensitivity_score", price_score);
    t.Note("price_sensitivity_score", s.price.mask, s.price.events, conf);
  } else {
    t.Null("price_sensitivity");
    t.Null("price_sensitivity_score");
  }
  family(price_score >= 0);

  // -- home and work --
  const CellPick home = PickCell(s.home_votes, nullptr);
  CellPick work = PickCell(s.work_votes, home.found ? &home.cell : nullptr);
  if (work.votes < 2) work.found = false;
  if (home.found) {
    t.Text("home_area", home.cell.Text());
    t.Note("home_area", s.home_meta.mask, s.home_meta.events, Saturate(home.votes, 3) * home.share);
  } else {
    t.Null("home_area");
  }
  if (work.found) {
    t.Text("work_area", work.cell.Text());
    t.Note("work_area", s.work_meta.mask, s.work_meta.events, Saturate(work.votes, 3) * work.share);
  } else {
    t.Null("work_area");
  }
  std::string_view home_city;
  if (best_city != s.cities.end()) {
    home_city = best_city->first;
    t.Note("home_city", s.shipping.mask, s.shipping.events, city_conf);
  } else if (home.found) {
    home_city = NearestCity(home.cell, 80);
    if (!home_city.empty()) {
      t.Note("home_city", s.home_meta.mask, s.home_meta.events,
             0.8 * Saturate(home.votes, 3) * home.share);
    }
  }
  t.TextOrNull("home_city", home_city);
  if (best_postcode != s.postcodes.end()) {
    t.Text("home_postcode", best_postcode->first);
    t.Note("home_postcode", s.shipping.mask, s.shipping.events,
           Saturate(postcode_total, 2) * best_postcode->second / static_cast<double>(postcode_total));
  } else {
    t.Null("home_postcode");
  }
  family(home.found || !home_city.empty());
  family(work.found);

  // -- commute --
  {
    std::array<uint32_t, std::size(kCommuteClasses)> counts{};
    uint64_t mask = 0, n = 0;
    if (home.found && work.found) {
      for (const State::Trip& trip : s.trips) {
        const bool hw = trip.from.Near(home.cell) && trip.to.Near(work.cell);
        const bool wh = trip.from.Near(work.cell) && trip.to.Near(home.cell);
        if ((!hw && !wh) || trip.mode == 255) continue;
        ++counts[trip.mode];
        ++n;
        if (trip.source < 64) mask |= uint64_t{1} << trip.source;
      }
    }
    if (n > 0) {
      size_t best = 0;
      for (size_t i = 1; i < counts.size(); ++i) {
        if (counts[i] > counts[best]) best = i;
      }
      t.Text("commute_mode", kCommuteClasses[best]);
      t.Note("commute_mode", mask, n,
             Saturate(static_cast<double>(n), 3) * counts[best] / static_cast<double>(n));
    } else {
      t.Null("commute_mode");
    }
    family(n > 0);
  }

  // -- travel --
  {
    std::vector<State::Booking> b = s.bookings;
    std::sort(b.begin(), b.end(), [](const State::Booking& x, const State::Booking& y) {
      return x.ts != y.ts ? x.ts < y.ts : x.destination < y.destination;
    });
    uint64_t domestic = 0, international = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      size_t j = i;
      bool intl = b[i].international;
      while (j + 1 < b.size() && b[j + 1].destination == b[i].destination &&
             b[j + 1].ts - b[i].ts <= kTripGapMs) {
        ++j;
        intl = intl || b[j].international;
      }
      ++(intl ? international : domestic);
      i = j;
    }
    const double conf = Saturate(static_cast<double>(b.size()), 2);
    t.Uint("travel_domestic_trips", domestic);
    t.Note("travel_domestic_trips", s.travel.mask, s.travel.events, 1);
    t.Uint("travel_international_trips", international);
    t.Note("travel_international_trips", s.travel.mask, s.travel.events, 1);
    if (s.flights > 0) {
      t.Text("travel_class", 2 * s.premium_flights >= s.flights ? "premium" : "economy");
      t.Note("travel_class", s.flight_meta.mask, s.flight_meta.events,
             Saturate(static_cast<double>(s.flights), 2));
    } else {
      t.Null("travel_class");
    }
    t.Text("travel_style", international > 0 ? "international" : domestic > 0 ? "domestic" : "none");
    t.Note("travel_style", s.travel.mask, s.travel.events, conf);
    family(domestic + international > 0);
  }

  // -- payments --
  if (!salary_days.empty()) {
    auto best = ArgMax(salary_days);
    t.Int("salary_day", best->first);
    t.Note("salary_day", s.salary_meta.mask, s.salary_meta.events,
           Saturate(static_cast<double>(s.salaries.size()), 2) * best->second /
               static_cast<double>(s.salaries.size()));
  } else {
    t.Null("salary_day");
  }
  if (!monthly.empty()) {
    t.Text("salary_band", SalaryBand(sig.monthly_salary));
    t.Note("salary_band", s.salary_meta.mask, s.salary_meta.events,
           Saturate(static_cast<double>(monthly.size()), 2));
  } else {
    t.Null("salary_band");
  }
  family(!monthly.empty());
  // Booleans from payments are unknown (null) without any payment event. A "yes" rests on the
  // matching payments; a "no" on all payments, more confident the more there were.
  auto payment_flag = [&](std::string_view name, uint64_t matching, const decltype(s.payment_meta)& meta) {
    if (s.payments == 0) {
      t.Null(name);
      return;
    }
    t.Bool(name, matching > 0);
    if (matching > 0) {
      t.Note(name, meta.mask, meta.events, 1);
    } else {
      t.Note(name, s.payment_meta.mask, s.payment_meta.events, Saturate(static_cast<double>(s.payments), 10));
    }
  };
  payment_flag("pays_utilities", s.utility_payments, s.utility_meta);
  payment_flag("family_card_user", s.family_card_payments, s.family_card_meta);
  family(s.payments > 0);

  // -- interests --
  {
    // Trending: recency-weighted count (half-life 14 days) times the lift of the topic's recent
    // share over its all-time share; topics whose recent share fell below their baseline, or
    // with less than a quarter of a recent post, are left out.
    double recent_total = 0, count_total = 0;
    for (const auto& [k, v] : s.topics) {
      recent_total += v.first;
      count_total += v.second;
    }
    std::vector<std::pair<double, std::string_view>> trend;
    for (const auto& [k, v] : s.topics) {
      if (v.first < 0.25 || recent_total <= 0) continue;
      const double lift = (v.first / recent_total) / (v.second / count_total);
      if (lift < 1 - 1e-9) continue;
      trend.emplace_back(v.first * lift, k);
    }
    std::stable_sort(trend.begin(), trend.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string_view> trending;
    for (size_t i = 0; i < trend.size() && i < 5; ++i) trending.push_back(trend[i].second);
    t.Texts("trending_interests", trending);
    if (!trending.empty()) {
      t.Note("trending_interests", s.topic_meta.mask, s.topic_meta.events,
             Saturate(static_cast<double>(s.posts), 5));
    }
    const auto genres = TopKeys(s.genres, 3);
    t.Texts("video_genres", genres);
    if (!genres.empty()) {
      t.Note("video_genres", s.video_meta.mask, s.video_meta.events,
             Saturate(static_cast<double>(s.video_meta.events), 5));
    }
    family(!trending.empty() || !genres.empty());
  }

  // -- consent --
  {
    bool any = false;
    for (size_t i = 0; i < std::size(kConsentPurposes); ++i) {
      std::string name = "consent_" + std::string(kConsentPurposes[i]);
      t.Bool(name, s.consent[i].set && s.consent[i].given);
      t.Note(name, s.consent_meta[i].mask, s.consent_meta[i].events, 1);
      any = any || s.consent[i].set;
    }
    family(any);
  }

  // -- demographics --
  {
    int age = -1;
    if (s.age.set) {
      age = std::stoi(s.age.value);
      t.Int("age", age);
      t.Note("age", s.age_meta.mask, s.age_meta.events, 0.9);
    } else {
      t.Null("age");
    }
    if (age >= 0) {
      t.Text("age_band", AgeBand(age));
      t.Note("age_band", s.age_meta.mask, s.age_meta.events, 0.9);
    } else {
      t.Null("age_band");
    }
    if (s.gender.set) {
      t.Text("gender", s.gender.value);
      t.Note("gender", s.gender_meta.mask, s.gender_meta.events, 0.9);
    } else {
      t.Null("gender");
    }
    family(age >= 0 || s.gender.set);
  }

  // -- context (the kept context of events; not a family) --
  {
    auto text = [&](std::string_view name, bool set, std::string_view value, const State::Meta& meta) {
      if (!set || value.empty()) {
        t.Null(name);
        return;
      }
      t.Text(name, value);
      t.Note(name, meta.mask, meta.events, 1);
    };
    text("utm_source_first", s.utm_source.last.set, s.utm_source.first, s.utm_source_meta);
    text("utm_source_last", s.utm_source.last.set, s.utm_source.last.value, s.utm_source_meta);
    text("utm_campaign_first", s.utm_campaign.last.set, s.utm_campaign.first, s.utm_campaign_meta);
    text("utm_campaign_last", s.utm_campaign.last.set, s.utm_campaign.last.value, s.utm_campaign_meta);
    const UserAgentInfo ua = ParseUserAgent(s.user_agent.set ? std::string_view(s.user_agent.value) : std::string_view{});
    text("device_type", s.user_agent.set, ua.device_type, s.user_agent_meta);
    text("os_family", s.user_agent.set, ua.os_family, s.user_agent_meta);
    text("browser_family", s.user_agent.set, ua.browser_family, s.user_agent_meta);
    text("locale", s.locale.set, s.locale.value, s.locale_meta);
    text("timezone", s.timezone.set, s.timezone.value, s.timezone_meta);
  }

  // -- accounts (B2B: the accounts the person's group calls named; not a family) --
  {
    std::vector<std::string_view> accounts, names;
    for (const auto& [account, name] : s.accounts) {
      accounts.push_back(account);
      if (name.set) names.push_back(name.value);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    t.Texts("accounts", accounts);
    t.Texts("account_names", names);
    if (!accounts.empty()) {
      t.Note("accounts", s.accounts_meta.mask, s.accounts_meta.events, 1);
      if (!names.empty()) t.Note("account_names", s.accounts_meta.mask, s.accounts_meta.events, 1);
    }
  }

  // -- client traits (identify traits beyond the built-in ones; not a family) --
  for (const auto& [key, c] : s.client_traits) {
    const std::string name = std::string(kClientTraitPrefix) + key;
    switch (c.kind) {
      case State::ClientTrait::Kind::kNumber:
        t.Double(name, c.number);
        break;
      case State::ClientTrait::Kind::kBool:
        t.Bool(name, c.number != 0);
        break;
      case State::ClientTrait::Kind::kText:
        t.Text(name, c.text);
        break;
    }
    t.Note(name, c.meta.mask, c.meta.events, 1);
  }

  // -- stores (docs/profiles.md "Stores"; shown only under location consent, privacy::IsStoreTrait) --
  {
    std::vector<std::pair<std::string, int64_t>> v = s.visits_90d;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    // The favourite store: the most visit days in 90 days; ties to the one visited last.
    std::string_view favourite;
    size_t best_days = 0;
    int64_t best_last = INT64_MIN;
    size_t stores = 0;
    for (size_t i = 0; i < v.size();) {
      size_t j = i;
      while (j < v.size() && v[j].first == v[i].first) ++j;
      ++stores;
      const size_t days = j - i;
      const int64_t last = v[j - 1].second;
      if (days > best_days || (days == best_days && last > best_last)) {
        favourite = v[i].first, best_days = days, best_last = last;
      }
      i = j;
    }
    const uint64_t visits = v.size();
    const auto note = [&](std::string_view name) { t.Note(name, s.store_meta.mask, s.store_meta.events, 1); };
    t.Uint("store_visits_90d", visits);
    note("store_visits_90d");
    t.Uint("stores_visited_90d", stores);
    note("stores_visited_90d");
    t.TextOrNull("favourite_store", favourite);
    if (!favourite.empty()) note("favourite_store");
    // The store metrics' loyalty buckets (docs/stores.md), over visit days.
    t.TextOrNull("store_visit_frequency", visits == 0   ? ""
                                          : visits == 1 ? "once"
                                          : visits <= 3 ? "occasional"
                                          : visits <= 9 ? "regular"
                                                        : "frequent");
    if (visits > 0) note("store_visit_frequency");
    if (s.last_store_ms == INT64_MIN) {
      t.Null("last_store_visit");
      t.Null("days_since_store_visit");
    } else {
      t.Text("last_store_visit", FormatIso8601Ms(s.last_store_ms));
      note("last_store_visit");
      t.Uint("days_since_store_visit", static_cast<uint64_t>((as_of_ms - s.last_store_ms) / kDayMs));
      note("days_since_store_visit");
    }
    family(s.store_events > 0);
  }

  w.EndObject();

  w.Key("trait_meta");
  t.FinishRow();
  t.WriteMeta();
  w.Key("completeness");
  w.Double(Round3(static_cast<double>(filled) / families));
  w.Key("as_of");
  w.String(FormatIso8601Ms(as_of_ms));
  w.EndObject();
  return out;
}

}  // namespace holo::profile
