#include "generate/plan.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace holo::generate {
namespace {

// App adoption by age band, in Source order kTaobao, (kTmall: derived), kAlipay, kEleme,
// kAmap, kFliggy, kYouku, kWeibo, kMinigame, kWeb.
struct AdoptionRates {
  int max_age;
  double taobao, alipay, eleme, amap, fliggy, youku, weibo, minigame, web;
};
constexpr AdoptionRates kAdoption[] = {
    {17, 0.55, 0.55, 0.25, 0.25, 0.02, 0.70, 0.50, 0.60, 0.22},
    {30, 0.97, 0.95, 0.85, 0.78, 0.32, 0.48, 0.60, 0.30, 0.42},
    {45, 0.96, 0.94, 0.70, 0.78, 0.30, 0.40, 0.38, 0.16, 0.38},
    {60, 0.92, 0.88, 0.44, 0.66, 0.21, 0.32, 0.22, 0.08, 0.30},
    {200, 0.66, 0.70, 0.15, 0.36, 0.10, 0.30, 0.10, 0.05, 0.14},
};

constexpr int kFriendsSameCityPercent = 75;
constexpr int kUsersPerKiosk = 7;  // kiosks per city = candidates / 7, so each has >= 7 users

int IncomeTier(Rng& rng, int city_tier, int age, double household_z) {
  static constexpr double kCityShift[] = {0, 0.5, 0.15, -0.2, -0.45};
  double shift = kCityShift[city_tier];
  if (age >= 28 && age <= 50) shift += 0.3;
  if (age < 22) shift -= 0.7;
  if (age > 62) shift -= 0.5;
  const double z = 0.6 * household_z + 0.65 * rng.Normal() + shift;
  return static_cast<int>(std::clamp(std::lround(3 + z), 1L, 5L));
}

bool Works(Rng& rng, int age) {
  if (age < 18) return false;
  if (age <= 21) return rng.Chance(0.3);
  if (age <= 60) return rng.Chance(0.88);
  if (age <= 65) return rng.Chance(0.4);
  return rng.Chance(0.08);
}

uint16_t AdoptApps(Rng& rng, int age, int income, int city_tier) {
  const AdoptionRates* r = &kAdoption[0];
  for (const AdoptionRates& band : kAdoption) {
    r = &band;
    if (age <= band.max_age) break;
  }
  uint16_t apps = 0;
  auto adopt = [&](Source s, double p) {
    if (rng.Chance(std::min(p, 0.98))) apps |= Bit(s);
  };
  adopt(Source::kTaobao, r->taobao);
  adopt(Source::kAlipay, r->alipay);
  adopt(Source::kEleme, r->eleme * (city_tier == 4 ? 0.75 : 1.0));
  adopt(Source::kAmap, r->amap);
  adopt(Source::kFliggy, r->fliggy * (0.5 + 0.25 * income));
  adopt(Source::kYouku, r->youku);
  adopt(Source::kWeibo, r->weibo);
  adopt(Source::kMinigame, r->minigame);
  adopt(Source::kWeb, r->web);
  if ((apps & Bit(Source::kTaobao)) && rng.Chance(0.5)) apps |= Bit(Source::kTmall);
  if (apps == 0) apps = Bit(age < 18 ? Source::kYouku : Source::kAlipay);
  return apps;
}

}  // namespace

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  const double kKmPerDegree = 111.195;
  const double dlat = (lat2 - lat1) * kKmPerDegree;
  const double dlon = (lon2 - lon1) * kKmPerDegree * std::cos((lat1 + lat2) * 0.5 * M_PI / 180);
  return std::sqrt(dlat * dlat + dlon * dlon);
}

void Scatter(Rng& rng, double lat, double lon, double sigma_km, double* out_lat, double* out_lon) {
  const double kKmPerDegree = 111.195;
  *out_lat = lat + rng.Normal() * sigma_km / kKmPerDegree;
  *out_lon = lon + rng.Normal() * sigma_km / (kKmPerDegree * std::cos(lat * M_PI / 180));
}

HouseholdSkeleton MakeSkeleton(uint64_t seed, uint64_t household, uint64_t persons_left) {
  Rng rng = Rng::For(seed, Stream::kHouseholdSkeleton, household);
  HouseholdSkeleton sk;
  const auto cities = Cities();
  {
    double weights[32];
    for (size_t i = 0; i < cities.size(); ++i) weights[i] = cities[i].weight;
    sk.city = static_cast<int>(rng.Weighted(std::span<const double>(weights, cities.size())));
  }
  const int city_tier = cities[sk.city].tier;

  // Household kinds: single, couple, family, three generations, roommates.
  const size_t kind = rng.Weighted({0.28, 0.25, 0.32, 0.10, 0.05});
  int n = 0;
  auto add = [&](Role role, int age, bool female) {
    MemberSkeleton& m = sk.members[n++];
    m.role = role;
    m.age = std::clamp(age, 10, 92);
    m.female = female;
  };
  const bool head_female = rng.Chance(0.45);
  switch (kind) {
    case 0: {
      const size_t band = rng.Weighted({0.6, 0.25, 0.15});
      const int age = band == 0   ? static_cast<int>(rng.Range(20, 35))
                      : band == 1 ? static_cast<int>(rng.Range(36, 60))
                                  : static_cast<int>(rng.Range(61, 82));
      add(Role::kSingle, age, head_female);
      break;
    }
    case 1: {
      const int age = static_cast<int>(rng.Range(23, 75));
      add(Role::kHead, age, head_female);
      add(Role::kSpouse, age + static_cast<int>(rng.Range(-4, 4)), !head_female);
      break;
    }
    case 2: {
      const int age = static_cast<int>(rng.Range(34, 56));
      add(Role::kHead, age, head_female);
      add(Role::kSpouse, age + static_cast<int>(rng.Range(-4, 4)), !head_female);
      const int kids = rng.Chance(0.55) ? 1 : 2;
      for (int k = 0; k < kids; ++k) {
        int kid_age = age - static_cast<int>(rng.Range(24, 34));
        if (kid_age < 10) kid_age = static_cast<int>(rng.Range(10, 15));
        add(Role::kChild, kid_age, rng.Chance(0.5));
      }
      break;
    }
    case 3: {
      const int age = static_cast<int>(rng.Range(32, 50));
      add(Role::kHead, age, head_female);
      add(Role::kSpouse, age + static_cast<int>(rng.Range(-4, 4)), !head_female);
      int kid_age = age - static_cast<int>(rng.Range(24, 32));
      if (kid_age < 10) kid_age = static_cast<int>(rng.Range(10, 14));
      add(Role::kChild, kid_age, rng.Chance(0.5));
      const int elders = rng.Chance(0.6) ? 1 : 2;
      for (int k = 0; k < elders; ++k) {
        add(Role::kElder, age + static_cast<int>(rng.Range(24, 32)),
            k == 0 ? rng.Chance(0.6) : k == 1);
      }
      break;
    }
    default: {
      const int mates = rng.Chance(0.7) ? 2 : 3;
      const bool female = rng.Chance(0.5);
      for (int k = 0; k < mates; ++k) {
        add(Role::kRoommate, static_cast<int>(rng.Range(21, 32)), female);
      }
      break;
    }
  }
  sk.size = static_cast<int>(std::min<uint64_t>(n, persons_left));

  const double household_z = rng.Normal();
  int taobao_users = 0;
  for (int i = 0; i < sk.size; ++i) {
    MemberSkeleton& m = sk.members[i];
    m.income_tier = IncomeTier(rng, city_tier, m.age, household_z);
    m.works = Works(rng, m.age);
    m.apps = AdoptApps(rng, m.age, m.income_tier, city_tier);
    m.minimal = m.age >= 16 && rng.Chance(0.05);
    if (m.minimal) {
      const size_t pick = rng.Weighted({0.4, 0.3, 0.3});
      m.apps = Bit(pick == 0 ? Source::kTaobao : pick == 1 ? Source::kYouku : Source::kAmap);
    }
    m.kiosk_candidate = !m.minimal && m.age >= 16 && m.age <= 60 &&
                        (m.apps & Bit(Source::kTaobao)) && rng.Chance(0.07);
    if (!m.minimal && (m.apps & Bit(Source::kTaobao))) ++taobao_users;
  }
  sk.tablet = taobao_users >= 2 && rng.Chance(0.15);
  return sk;
}

namespace {

std::vector<CookiePeriod> MakeCookies(Rng& rng, const Window& window, double min_days,
                                      double max_days) {
  std::vector<CookiePeriod> cookies;
  int64_t t = window.start_ms - static_cast<int64_t>(rng.Uniform(0, max_days) * kMsPerDay);
  while (t < window.end_ms) {
    const auto len = static_cast<int64_t>(rng.Uniform(min_days, max_days) * kMsPerDay);
    if (t + len > window.start_ms) {
      CookiePeriod c;
      c.id = Uuid(rng, false);
      c.start_ms = t;
      c.end_ms = t + len;
      cookies.push_back(std::move(c));
    }
    t += len;
  }
  return cookies;
}

void PlanStores(World* world) {
  Rng rng = Rng::For(world->seed, Stream::kStores, 0);
  const auto cities = Cities();
  double total_weight = 0;
  for (const City& c : cities) total_weight += c.weight;
  world->stores_by_city.assign(cities.size(), {});
  const auto zones = StoreZones();
  for (size_t ci = 0; ci < cities.size(); ++ci) {
    const City& city = cities[ci];
    const int count = std::max(4, static_cast<int>(std::lround(320 * city.weight / total_weight)));
    for (int k = 0; k < count; ++k) {
      Store s;
      s.id = fmt::format("st{:02}-{:03}", ci, k + 1);
      s.city = static_cast<int>(ci);
      s.chain = StoreChains()[rng.Below(StoreChains().size())];
      Scatter(rng, city.lat, city.lon, city.radius_km * 0.7, &s.lat, &s.lon);
      s.sensor_format = rng.Chance(0.5) ? MacFormat::kLowerColon : MacFormat::kUpperDash;
      s.sensors.push_back(Sensor{s.id + "-w1", zones[0]});
      const int zone_sensors = static_cast<int>(rng.Range(1, 4));
      for (int z = 0; z < zone_sensors; ++z) {
        s.sensors.push_back(
            Sensor{fmt::format("{}-w{}", s.id, z + 2), zones[1 + rng.Below(zones.size() - 1)]});
      }
      if (rng.Chance(0.6)) {
        const int beacons = static_cast<int>(rng.Range(1, 3));
        for (int b = 0; b < beacons; ++b) {
          s.beacons.push_back(
              Sensor{fmt::format("{}-b{}", s.id, b + 1), zones[rng.Below(zones.size())]});
        }
      }
      world->stores_by_city[ci].push_back(static_cast<int>(world->stores.size()));
      world->stores.push_back(std::move(s));
    }
  }
}

void PlanFriends(World* world, const std::vector<uint32_t>& city_offsets,
                 const std::vector<uint32_t>& city_members) {
  const uint64_t n = world->plan.size();
  world->friend_offsets.assign(n + 1, 0);
  if (n < 2) {
    world->friends.clear();
    return;
  }
  // Each person draws a few out-edges (75% in the same city); the graph is made symmetric by
  // storing every edge at both ends. Two passes over the same random streams: count, fill.
  auto for_each_edge = [&](auto&& visit) {
    for (uint64_t i = 0; i < n; ++i) {
      Rng rng = Rng::For(world->seed, Stream::kFriends, i);
      const uint32_t k = 1 + std::min<uint32_t>(rng.Poisson(2.0), 7);
      const uint8_t city = world->plan[i].city;
      const uint32_t city_size = city_offsets[city + 1] - city_offsets[city];
      for (uint32_t e = 0; e < k; ++e) {
        uint64_t target;
        if (city_size > 1 && rng.Below(100) < kFriendsSameCityPercent) {
          target = city_members[city_offsets[city] + rng.Below(city_size)];
        } else {
          target = rng.Below(n);
        }
        if (target != i) visit(i, target);
      }
    }
  };
  for_each_edge([&](uint64_t a, uint64_t b) {
    ++world->friend_offsets[a + 1];
    ++world->friend_offsets[b + 1];
  });
  for (uint64_t i = 0; i < n; ++i) world->friend_offsets[i + 1] += world->friend_offsets[i];
  world->friends.assign(world->friend_offsets[n], 0);
  std::vector<uint32_t> cursor(world->friend_offsets.begin(), world->friend_offsets.end() - 1);
  for_each_edge([&](uint64_t a, uint64_t b) {
    world->friends[cursor[a]++] = static_cast<uint32_t>(b);
    world->friends[cursor[b]++] = static_cast<uint32_t>(a);
  });
}

void PlanKiosks(World* world, std::vector<std::vector<uint32_t>>& candidates_by_city) {
  world->kiosk_of.assign(world->plan.size(), -1);
  // Count first so that the kiosk vector never reallocates (contexts point into it).
  size_t total = 0;
  for (const auto& c : candidates_by_city) total += c.size() / kUsersPerKiosk;
  world->kiosks.clear();
  world->kiosks.reserve(total);
  for (size_t city = 0; city < candidates_by_city.size(); ++city) {
    std::vector<uint32_t>& cands = candidates_by_city[city];
    const size_t count = cands.size() / kUsersPerKiosk;
    if (count == 0) continue;
    Rng rng = Rng::For(world->seed, Stream::kKioskAssign, city);
    for (size_t i = cands.size(); i > 1; --i) std::swap(cands[i - 1], cands[rng.Below(i)]);
    const size_t base = world->kiosks.size();
    for (size_t k = 0; k < count; ++k) {
      const size_t index = base + k;
      Rng krng = Rng::For(world->seed, Stream::kKiosks, index);
      world->kiosks.emplace_back();
      Kiosk& kiosk = world->kiosks.back();
      kiosk.city = static_cast<int>(city);
      kiosk.device_id = Uuid(krng, false);
      kiosk.taobao_anon = Uuid(krng, false);
      kiosk.cookies = MakeCookies(krng, world->window, 7, 35);
      kiosk.ledger.Reset(fmt::format("kiosk-{}", index));
    }
    for (size_t j = 0; j < cands.size(); ++j) {
      world->kiosk_of[cands[j]] = static_cast<int32_t>(base + j % count);
    }
  }
  for (Kiosk& k : world->kiosks) {
    k.context.id = k.device_id;
    k.context.type = "pc";
    k.context.owner = &k.ledger;
  }
}

}  // namespace

std::vector<CookiePeriod> MakeCookiePeriods(Rng& rng, const Window& window, double min_days,
                                            double max_days) {
  return MakeCookies(rng, window, min_days, max_days);
}

void PlanWorld(World* world) {
  const uint64_t n = world->options.persons;
  const size_t num_cities = Cities().size();
  world->plan.assign(n, PersonPlan{});
  std::vector<std::vector<uint32_t>> kiosk_candidates(num_cities);
  uint64_t p = 0;
  uint64_t h = 0;
  world->shared_tablets = 0;
  while (p < n) {
    const HouseholdSkeleton sk = MakeSkeleton(world->seed, h, n - p);
    if (sk.tablet) ++world->shared_tablets;
    for (int i = 0; i < sk.size; ++i, ++p) {
      const MemberSkeleton& m = sk.members[i];
      PersonPlan& plan = world->plan[p];
      plan.city = static_cast<uint8_t>(sk.city);
      plan.apps = m.apps;
      plan.flags = m.minimal ? PersonPlan::kMinimal : 0;
      if (m.kiosk_candidate) kiosk_candidates[sk.city].push_back(static_cast<uint32_t>(p));
    }
    ++h;
  }
  world->households = h;

  std::vector<uint32_t> city_offsets(num_cities + 1, 0);
  for (const PersonPlan& plan : world->plan) ++city_offsets[plan.city + 1];
  for (size_t c = 0; c < num_cities; ++c) city_offsets[c + 1] += city_offsets[c];
  std::vector<uint32_t> city_members(n);
  {
    std::vector<uint32_t> cursor(city_offsets.begin(), city_offsets.end() - 1);
    for (uint64_t i = 0; i < n; ++i)
      city_members[cursor[world->plan[i].city]++] = static_cast<uint32_t>(i);
  }
  PlanFriends(world, city_offsets, city_members);
  PlanStores(world);
  PlanKiosks(world, kiosk_candidates);
}

// ---- foreign shapes ----
namespace {

// Access-point / sensor vendors (TP-Link, Huawei enterprise, H3C, Ruijie, Cisco): no phone
// uses these OUIs, so a hub MAC never equals a person's.
constexpr uint32_t kInfraOuis[] = {0x14CF92, 0x00259E, 0x3891D5, 0x5869EC, 0x001E13};

uint64_t InfraMac(uint64_t key, uint64_t slot) {
  // slot < 2^24, unique per infrastructure device.
  const uint64_t oui = kInfraOuis[Mix(key, slot) % std::size(kInfraOuis)];
  return (oui << 24) | Permute(slot, 1ULL << 24, key);
}

std::string Ip(int first, uint64_t low24) {
  return fmt::format("{}.{}.{}.{}", first, (low24 >> 16) & 0xFF, (low24 >> 8) & 0xFF,
                     std::max<uint64_t>(1, low24 & 0xFF));
}

// Splits `members` (shuffled) into consecutive groups of log-uniform size in [lo, hi]; the rest
// too small for a group joins the last one while it stays <= hi. Writes each member's group
// (numbered from *next) into (*of)[member]; returns the group sizes.
std::vector<size_t> Groups(Rng& rng, std::vector<uint32_t>* members, double lo, double hi,
                           std::vector<int32_t>* of, int32_t* next) {
  std::vector<uint32_t>& m = *members;
  for (size_t i = m.size(); i > 1; --i) std::swap(m[i - 1], m[rng.Below(i)]);
  std::vector<size_t> sizes;
  size_t i = 0;
  while (i < m.size()) {
    auto size = static_cast<size_t>(std::lround(std::exp(rng.Uniform(std::log(lo), std::log(hi)))));
    const size_t left = m.size() - i;
    if (left < size + static_cast<size_t>(lo)) {
      size = left <= static_cast<size_t>(hi) ? left : left - static_cast<size_t>(lo);
    }
    for (size_t j = i; j < i + size; ++j) (*of)[m[j]] = *next;
    ++*next;
    sizes.push_back(size);
    i += size;
  }
  return sizes;
}

}  // namespace

void PlanForeign(World* world) {
  auto fw = std::make_unique<ForeignWorld>();
  const uint64_t n = world->options.persons;
  const uint64_t key = Mix(world->id_key, 0xF0E16E);
  const size_t num_cities = Cities().size();

  // Stores: sensor ids as anonymousId in about half, visitor MACs in all six spellings, POS
  // terminals in context.device.id or in externalIds.
  fw->stores.resize(world->stores.size());
  for (size_t si = 0; si < world->stores.size(); ++si) {
    const Store& s = world->stores[si];
    ForeignStore& f = fw->stores[si];
    Rng rng = Rng::For(world->seed, Stream::kForeignStores, si);
    f.visitor_format = static_cast<MacFormat>(rng.Below(kNumMacFormats));
    f.sensor_anon = rng.Chance(0.5);
    if (f.sensor_anon) {
      const uint64_t style = rng.Below(3);  // the chain's sensor vendor
      const bool upper = rng.Chance(0.5);
      for (size_t k = 0; k < s.sensors.size(); ++k) {
        std::string id;
        switch (style) {
          case 0:
            id = fmt::format("SNS-{:05}-{}", Permute(si * 8 + k, 100000, key),
                             static_cast<char>('A' + k));
            break;
          case 1:
            id = Uuid(rng, upper);
            break;
          default:  // the sensor's own MAC
            id = FormatMac(InfraMac(key, (1ULL << 23) + si * 8 + k), f.visitor_format);
            break;
        }
        f.sensor_ids.push_back(std::move(id));
        f.sensor_ledgers.push_back(fw->NewLedger(fmt::format("sensor-{}-{}", s.id, k + 1)));
      }
    }
    f.pos_as_device = rng.Chance(0.5);
    f.order_rate = rng.Uniform(0.1, 0.5);
    const bool numeric = rng.Chance(0.5);
    const int terminals = static_cast<int>(rng.Range(1, 3));
    for (int k = 0; k < terminals; ++k) {
      f.pos_ids.push_back(numeric ? fmt::format("T{:08}", Permute(si * 8 + k, 100000000, key))
                                  : fmt::format("POS-{}-{:02}", s.id, k + 1));
      f.pos_ledgers.push_back(fw->NewLedger(fmt::format("pos-{}-{}", s.id, k + 1)));
    }
    for (int k = 0; k < terminals; ++k) {
      f.pos_contexts.push_back(DeviceContext{f.pos_ids[k], {}, "pos", false, f.pos_ledgers[k]});
    }
  }

  // Offices (workers of one city in groups of 3-300) and couriers (eleme users of one city in
  // groups of 5-200), from the household skeletons again.
  std::vector<std::vector<uint32_t>> workers(num_cities), eaters(num_cities);
  std::vector<uint64_t> people(num_cities, 0);
  for (uint64_t p = 0, h = 0; p < n; ++h) {
    const HouseholdSkeleton sk = MakeSkeleton(world->seed, h, n - p);
    for (int i = 0; i < sk.size; ++i, ++p) {
      const MemberSkeleton& m = sk.members[i];
      ++people[sk.city];
      if (m.works) workers[sk.city].push_back(static_cast<uint32_t>(p));
      if (m.apps & Bit(Source::kEleme)) eaters[sk.city].push_back(static_cast<uint32_t>(p));
    }
  }
  fw->office_of.assign(n, -1);
  fw->courier_of.assign(n, -1);
  Rng rng = Rng::For(world->seed, Stream::kForeignPlan, 0);
  int32_t offices = 0, couriers = 0;
  for (size_t c = 0; c < num_cities; ++c) {
    Groups(rng, &workers[c], 3, 300, &fw->office_of, &offices);
    Groups(rng, &eaters[c], 5, 200, &fw->courier_of, &couriers);
  }
  for (int32_t o = 0; o < offices; ++o) {
    Office office;
    const auto format = static_cast<MacFormat>(rng.Below(kNumMacFormats));
    office.bssid = FormatMac(InfraMac(key, static_cast<uint64_t>(o)), format);
    const bool as_mac = rng.Chance(0.25);
    office.bssid_type = as_mac ? "mac" : "bssid";
    office.bssid_truth = as_mac ? IdType::kMac : IdType::kBssid;
    office.ip = Ip(58, Permute(static_cast<uint64_t>(o), 1ULL << 24, key ^ 0x58));
    office.ledger = fw->NewLedger(fmt::format("office-{}", o + 1));
    fw->offices.push_back(std::move(office));
  }
  for (int32_t k = 0; k < couriers; ++k) {
    const std::string national =
        fmt::format("170{:08}", Permute(static_cast<uint64_t>(k), 100000000, key ^ 0x170));
    Courier courier;
    courier.phone = FormatPhone(national, k % 3 == 0 ? PhoneFormat::kDashed : PhoneFormat::kPlain);
    courier.ledger = fw->NewLedger(fmt::format("courier-{}", k + 1));
    fw->couriers.push_back(std::move(courier));
  }

  // Carrier NAT IPs: one per ~2,500 people of a city.
  fw->nat_by_city.resize(num_cities);
  int nat = 0;
  for (size_t c = 0; c < num_cities; ++c) {
    const int count = std::max(1, static_cast<int>(std::lround(people[c] / 2500.0)));
    for (int k = 0; k < count; ++k, ++nat) {
      fw->nat_by_city[c].push_back(
          NatIp{Ip(223, (104ULL << 16) | Permute(static_cast<uint64_t>(nat), 1ULL << 16, key)),
                fw->NewLedger(fmt::format("ip-nat-{}", nat + 1))});
    }
  }

  // One call centre, two spellings of its number.
  fw->callcentre_phone_plain = "17100095555";
  fw->callcentre_phone_intl = FormatPhone(fw->callcentre_phone_plain, PhoneFormat::kSpacedIntl);
  fw->callcentre = fw->NewLedger("callcentre-1");

  // QA accounts: staff log them in on customers' phones during store promotions (rates from
  // rare to frequent, so the hubs span a few to hundreds of customers) and on test devices.
  constexpr double kQaRates[] = {0.004, 0.012, 0.035, 0.1, 0.25, 0};
  for (size_t a = 0; a < std::size(kQaRates); ++a) {
    fw->qa.push_back(QaAccount{fmt::format("qa_{:04}", a + 1), kQaRates[a],
                               fw->NewLedger(fmt::format("qa-{}", a + 1))});
  }
  for (int d = 0; d < 4; ++d) {
    QaDevice dev;
    dev.device_id = Uuid(rng, d % 2 == 0);
    dev.taobao_anon = Uuid(rng, d % 2 == 0);
    dev.ledger = fw->NewLedger(fmt::format("qa-device-{}", d + 1));
    fw->qa_devices.push_back(std::move(dev));
  }
  for (QaDevice& dev : fw->qa_devices) {
    dev.context = DeviceContext{dev.device_id, {}, "android", false, dev.ledger};
  }
  world->foreign = std::move(fw);
}

}  // namespace holo::generate
