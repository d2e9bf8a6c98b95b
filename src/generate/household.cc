#include "generate/household.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "generate/plan.h"

namespace holo::generate {
namespace {

// How each app's SDK prints the hardware MAC (when it sends one).
constexpr MacFormat kAppMacFormat[kNumApps] = {
    MacFormat::kUpperColon,  // taobao
    MacFormat::kUpperColon,  // tmall
    MacFormat::kLowerColon,  // alipay
    MacFormat::kUpperDash,   // eleme
    MacFormat::kLowerDash,   // amap
    MacFormat::kLowerColon,  // fliggy
    MacFormat::kUpperColon,  // youku
    MacFormat::kLowerDash,   // weibo
    MacFormat::kUpperDash,   // minigame
    MacFormat::kLowerColon,  // web (unused: browsers cannot read MACs)
};

// Apps in the order of how reliably they are opened: the MAC-sending SDK of a "leaky" phone
// is guaranteed on the first installed one.
constexpr Source kBusiestApps[] = {Source::kTaobao, Source::kAlipay,   Source::kYouku,
                                   Source::kEleme,  Source::kAmap,     Source::kWeibo,
                                   Source::kTmall,  Source::kMinigame, Source::kFliggy};

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint64_t EmailModulus(uint64_t persons) {
  uint64_t m = 1000000;
  while (m < persons) m *= 10;
  return m;
}

int64_t TimeAt(const Window& w, double frac) {
  return w.start_ms + static_cast<int64_t>(frac * static_cast<double>(w.end_ms - w.start_ms));
}

void BuildAffinities(Rng& rng, Person* p) {
  static constexpr double kBase[kNumCategories] = {1.2,  0.8, 1.0,  1.2, 0.8,
                                                   0.15, 0.7, 0.25, 0.5, 0.3};
  static constexpr double kLuxury[] = {0.1, 0.3, 1.0, 3.0, 6.0};
  const int age = p->sk.age;
  double total = 0;
  for (int c = 0; c < kNumCategories; ++c) {
    double w = kBase[c];
    if (p->sk.female) {
      if (c == 1) w *= 3.0;
      if (c == 0) w *= 1.4;
      if (c == 2) w *= 0.6;
      if (c == 6) w *= 0.8;
    } else {
      if (c == 1) w *= 0.2;
      if (c == 2) w *= 1.7;
      if (c == 6) w *= 1.4;
    }
    if (c == 7 && age >= 24 && age <= 38) w *= 3.0;
    if (age < 25 && c == 8) w *= 1.8;
    if (age < 25 && c == 5) w *= 0.5;
    if (age > 55 && c == 4) w *= 1.5;
    if (age > 55 && c == 3) w *= 1.3;
    if (age > 55 && c == 2) w *= 0.6;
    if (c == 5) w *= kLuxury[p->sk.income_tier - 1];
    if (c == 9) w *= 0.5 + 2.0 * p->travel_propensity;
    w *= std::exp(0.7 * rng.Normal());
    p->category_affinity[c] = w;
    total += w;
  }
  for (double& w : p->category_affinity) w /= total;
  for (int c = 0; c < kNumCategories; ++c) {
    auto& brands = p->brand_affinity[c];
    const size_t favourite = rng.Below(kBrandsPerCategory);
    double sum = 0;
    for (int b = 0; b < kBrandsPerCategory; ++b) {
      brands[b] = std::exp(rng.Normal()) * (static_cast<size_t>(b) == favourite ? 3.0 : 1.0);
      sum += brands[b];
    }
    for (double& b : brands) b /= sum;
  }
  static constexpr double kGenreBase[6] = {1.5, 1.0, 0.6, 0.4, 1.2, 0.6};
  for (int g = 0; g < 6; ++g) {
    double w = kGenreBase[g];
    if (g == 2 && age < 25) w *= 3.0;
    if (g == 5 && !p->sk.female) w *= 2.0;
    if (g == 0 && p->sk.female) w *= 1.5;
    p->genre_affinity[g] = w * std::exp(0.6 * rng.Normal());
  }
}

void BuildContacts(const World& world, Rng& rng, Person* p) {
  const uint64_t idx = p->index;
  const auto prefixes = MobilePrefixes();
  p->mobile = std::string(prefixes[Mix(world.id_key ^ 0x11, idx) % prefixes.size()]);
  p->mobile += fmt::format("{:08}", Permute(idx, 100000000, Mix(world.id_key, 0x12)));

  if (p->sk.age < 16 || !rng.Chance(0.82)) return;
  const uint64_t m = EmailModulus(world.options.persons);
  const std::string surname = Lower(p->surname->pinyin);
  std::string given;
  for (const NameChar* g : p->given) given += g->pinyin;
  const bool typed_caps = rng.Chance(0.25);
  if (rng.Chance(0.4)) {
    const std::string qq =
        std::to_string(100000000 + Permute(idx, 900000000, Mix(world.id_key, 0x13)));
    p->email = qq + "@qq.com";
    p->email_typed = typed_caps ? qq + "@QQ.com" : p->email;
  } else {
    const std::string number = std::to_string(Permute(idx, m, Mix(world.id_key, 0x14)));
    const std::string domain(EmailDomains()[rng.Below(EmailDomains().size())]);
    std::string local, typed;
    switch (rng.Below(3)) {
      case 0:
        local = surname + given;
        typed = Capitalized(surname) + Capitalized(given);
        break;
      case 1:
        local = given + "_" + surname;
        typed = Capitalized(given) + "_" + Capitalized(surname);
        break;
      default:
        local = surname.substr(0, 1) + given;
        typed = Capitalized(surname.substr(0, 1)) + Capitalized(given);
        break;
    }
    p->email = local + number + "@" + domain;
    p->email_typed = typed_caps ? typed + number + "@" + domain : p->email;
  }
  if (rng.Chance(0.15)) {
    const std::string number = std::to_string(Permute(idx, m, Mix(world.id_key, 0x15)));
    p->email2 = given + "." + surname + number + "@" +
                std::string(EmailDomains()[rng.Below(EmailDomains().size())]);
  }
}

void BuildPhones(const World& world, Rng& rng, Person* p) {
  const Window& w = world.window;
  int count = p->sk.minimal ? 1 : 1 + static_cast<int>(rng.Weighted({0.72, 0.22, 0.06}));
  // Phones change hands at least 3 days inside the window (none in windows under a week).
  const int64_t lo = w.start_ms + 3 * kMsPerDay;
  const int64_t hi = w.end_ms - 3 * kMsPerDay;
  if (hi <= lo) count = 1;
  std::vector<int64_t> switches;
  for (int k = 1; k < count; ++k) switches.push_back(lo + static_cast<int64_t>(rng.Below(hi - lo)));
  std::sort(switches.begin(), switches.end());

  bool ios = rng.Chance(0.08 + 0.07 * p->sk.income_tier);
  for (int k = 0; k < count; ++k) {
    if (k > 0 && rng.Chance(0.15)) ios = !ios;  // brand switchers
    Phone ph;
    ph.ios = ios;
    ph.device_id = Uuid(rng, ios);
    ph.ad_limited = rng.Chance(ios ? 0.22 : 0.05);
    ph.ad_id = ph.ad_limited ? std::string(kPlaceholderAdId) : Uuid(rng, ios);
    ph.mac48 = HardwareMac(world.id_key, 3 * p->index + k, ios);
    // The Cisco-dot and bare spellings are sent only in foreign-shape worlds.
    const int formats = world.options.foreign_shapes ? kNumMacFormats : 4;
    for (int f = 0; f < formats; ++f) {
      ph.mac_text[f] = FormatMac(ph.mac48, static_cast<MacFormat>(f));
    }
    ph.randomizes_mac = rng.Chance(ios ? 0.6 : 0.27);
    ph.start_ms = k == 0 ? w.start_ms - static_cast<int64_t>(rng.Range(30, 700)) * kMsPerDay
                         : switches[k - 1];
    ph.end_ms = k + 1 < count ? switches[k] : w.end_ms;

    for (int a = 0; a < kNumApps; ++a) {
      const auto app = static_cast<Source>(a);
      if (app == Source::kWeb || !p->Has(app)) continue;
      Install inst;
      inst.app = app;
      inst.anon_id = Uuid(rng, ios);
      if (p->sk.minimal) {
        inst.login_ms = kNever;
      } else if (k == 0) {
        inst.login_ms = kAlways;
        if (rng.Chance(0.3)) {
          inst.refresh_identify_ms =
              w.start_ms + static_cast<int64_t>(rng.Below(ph.end_ms - w.start_ms));
        }
      } else {
        inst.login_ms = std::min(
            ph.end_ms - 1, ph.start_ms + static_cast<int64_t>(rng.Exponential(8.0 * kMsPerHour)));
        inst.login_identify = true;
      }
      if (app == Source::kMinigame && p->minigame_signup_ms != kAlways) {
        const int64_t signup = p->minigame_signup_ms;
        if (signup >= ph.end_ms) {
          inst.login_ms = kNever;
          inst.login_identify = false;
          inst.refresh_identify_ms = -1;
        } else if (signup >= ph.start_ms) {
          inst.login_ms = signup;
          inst.login_identify = true;  // the alias + identify of the upgrade
          inst.refresh_identify_ms = -1;
        }
      }
      ph.installs.push_back(std::move(inst));
    }
    // MAC-leaking SDKs: guaranteed on the phone's busiest app, sometimes on others.
    if (!ph.installs.empty() && rng.Chance(ios ? 0.62 : 0.68)) {
      for (Source app : kBusiestApps) {
        if (Install* inst = ph.Find(app)) {
          inst->sends_mac = true;
          break;
        }
      }
      for (Install& inst : ph.installs) {
        if (rng.Chance(0.35)) inst.sends_mac = true;
      }
    }
    p->phones.push_back(std::move(ph));
  }
}

void BuildWeb(const World& world, Rng& rng, Person* p) {
  if (!p->Has(Source::kWeb)) return;
  const Window& w = world.window;
  const int browsers = rng.Chance(0.75) ? 1 : 2;
  p->web_account = rng.Chance(0.7);
  if (p->web_account && rng.Chance(0.15)) p->web_signup_ms = TimeAt(w, rng.Uniform(0.05, 0.8));
  for (int b = 0; b < browsers; ++b) {
    Browser br;
    br.mobile = b > 0 || rng.Chance(0.3);
    br.cookies = MakeCookiePeriods(rng, w, 14, 42);
    for (CookiePeriod& c : br.cookies) c.logs_in = p->web_account && rng.Chance(0.65);
    p->browsers.push_back(std::move(br));
  }
}

void BuildStores(const World& world, Rng& rng, const Household& hh, Person* p) {
  const std::vector<int>& city_stores = world.stores_by_city[p->city];
  auto nearest = [&](double lat, double lon, size_t k, std::vector<int>* out) {
    std::vector<std::pair<double, int>> by_distance;
    by_distance.reserve(city_stores.size());
    for (int s : city_stores) {
      by_distance.emplace_back(DistanceKm(lat, lon, world.stores[s].lat, world.stores[s].lon), s);
    }
    std::sort(by_distance.begin(), by_distance.end());
    for (size_t i = 0; i < by_distance.size() && i < k; ++i) out->push_back(by_distance[i].second);
  };
  nearest(hh.home_lat, hh.home_lon, 3, &p->home_stores);
  p->home_stores.push_back(city_stores[rng.Below(city_stores.size())]);
  if (p->works) nearest(p->work_lat, p->work_lon, 2, &p->work_stores);
}

void BuildPerson(const World& world, const Household& hh, const MemberSkeleton& m, int member,
                 uint64_t index, const NameChar* household_surname, EntityLedger* ledger,
                 Person* p) {
  Rng rng = Rng::For(world.seed, Stream::kPersonDetail, index);
  const Window& w = world.window;
  const City& city = Cities()[hh.city];
  p->index = index;
  p->id = fmt::format("p{:06}", index);
  p->member = member;
  p->sk = m;
  p->city = hh.city;
  p->ledger = ledger;
  ledger->Reset(p->id);

  const auto surnames = Surnames();
  const bool own_surname = m.role == Role::kSpouse || m.role == Role::kRoommate ||
                           (m.role == Role::kElder && rng.Chance(0.5));
  p->surname = own_surname ? &surnames[rng.Below(surnames.size())] : household_surname;
  const auto given = m.female ? GivenNamesFemale() : GivenNamesMale();
  const int given_count = rng.Chance(0.6) ? 2 : 1;
  std::string given_pinyin;
  p->name_zh = std::string(p->surname->zh);
  for (int i = 0; i < given_count; ++i) {
    const NameChar* g = &given[rng.Below(given.size())];
    p->given.push_back(g);
    p->name_zh += g->zh;
    given_pinyin += g->pinyin;
  }
  p->name_pinyin = std::string(p->surname->pinyin) + " " + Capitalized(given_pinyin);
  BuildContacts(world, rng, p);

  p->travel_propensity = std::clamp(
      0.05 + 0.1 * m.income_tier + 0.15 * rng.Normal() + (m.age >= 22 && m.age <= 40 ? 0.1 : 0.0),
      0.0, 1.0);
  p->activity = rng.LogNormal(0.85, 0.55);  // mean ~1
  p->store_affinity = rng.LogNormal(1.0, 0.6) * (m.age >= 18 && m.age <= 50 ? 1.0 : 0.6);
  BuildAffinities(rng, p);

  p->works = m.works;
  if (p->works) {
    Scatter(rng, city.lat, city.lon, city.radius_km * 0.6, &p->work_lat, &p->work_lon);
    const Street& street = Streets()[rng.Below(Streets().size())];
    p->work_street = fmt::format("{}, No. {} {} Road, {} District",
                                 OfficeParks()[rng.Below(OfficeParks().size())], rng.Range(1, 500),
                                 street.name, city.districts[rng.Below(city.districts.size())]);
  }

  if (!m.minimal) {
    for (int a = 0; a < kNumApps; ++a) {
      const auto app = static_cast<Source>(a);
      if (!p->Has(app)) continue;
      if (app == Source::kWeb) continue;  // web accounts are decided in BuildWeb
      p->user_ids[a] = UserIdFor(AccountNamespace(app == Source::kTmall ? Source::kTaobao : app),
                                 index, world.id_key);
    }
    if (p->Has(Source::kMinigame) && rng.Chance(0.35)) {
      p->minigame_signup_ms = TimeAt(w, rng.Uniform(0.05, 0.7));
    }
  }
  BuildPhones(world, rng, p);
  BuildWeb(world, rng, p);
  if (p->web_account)
    p->user_ids[Index(Source::kWeb)] = UserIdFor(Source::kWeb, index, world.id_key);

  if (!m.minimal && p->Has(Source::kTaobao)) {
    constexpr Source kLinkable[] = {Source::kAlipay,  Source::kEleme, Source::kYouku,
                                    Source::kFliggy,  Source::kAmap,  Source::kWeibo,
                                    Source::kMinigame};
    uint16_t others = 0;
    for (Source s : kLinkable) {
      if (p->Has(s)) others |= Bit(s);
    }
    if (others != 0 && rng.Chance(0.42)) {
      p->member_programme = true;
      p->membership_ms = TimeAt(w, rng.Uniform(0.02, 0.98));
      for (Source s : kLinkable) {
        if ((others & Bit(s)) && rng.Chance(0.6)) p->linked_apps |= Bit(s);
      }
      if (p->linked_apps == 0) {
        for (Source s : kLinkable) {
          if (others & Bit(s)) {
            p->linked_apps = Bit(s);
            break;
          }
        }
      }
      // A guest minigame account cannot be linked before it exists.
      if (p->minigame_signup_ms != kAlways && p->minigame_signup_ms > p->membership_ms) {
        p->linked_apps &= static_cast<uint16_t>(~Bit(Source::kMinigame));
      }
      if (p->linked_apps == 0) p->member_programme = false;
    }
  }

  BuildStores(world, rng, hh, p);
  if (p->works && p->Has(Source::kAlipay) && m.age >= 18 && !m.minimal) {
    static constexpr double kSalary[] = {3500, 6000, 10000, 18000, 35000};
    static constexpr double kTierFactor[] = {1.0, 1.3, 1.0, 0.85, 0.7};
    p->salary_day =
        rng.Chance(0.4) ? (rng.Chance(0.5) ? 10 : 15) : static_cast<int>(rng.Range(1, 28));
    p->salary = std::round(kSalary[m.income_tier - 1] * kTierFactor[city.tier] *
                           rng.LogNormal(1.0, 0.2) / 100) *
                100;
  }
  p->bluetooth = rng.Chance(0.4);
  p->kiosk = world.kiosk_of[index];
}

void BuildTablet(const World& world, uint64_t h, Household* hh) {
  Rng rng = Rng::For(world.seed, Stream::kTablet, h);
  Tablet& t = hh->tablet;
  t.ios = rng.Chance(0.5);
  t.device_id = Uuid(rng, t.ios);
  t.ad_limited = rng.Chance(0.15);
  t.ad_id = t.ad_limited ? std::string(kPlaceholderAdId) : Uuid(rng, t.ios);
  t.mac48 = HardwareMac(world.id_key, 3 * world.options.persons + h, t.ios);
  t.mac_text = FormatMac(t.mac48, kAppMacFormat[Index(Source::kTaobao)]);
  t.sends_mac = rng.Chance(0.6);
  t.taobao_anon = Uuid(rng, t.ios);
  bool youku = false;
  for (Person& p : hh->members) {
    if (!p.sk.minimal && p.Has(Source::kTaobao)) {
      p.uses_tablet = true;
      youku = youku || p.Has(Source::kYouku);
    }
  }
  if (youku) t.youku_anon = Uuid(rng, t.ios);
  t.ledger.Reset("shared-" + hh->id);
  t.context = DeviceContext{t.device_id, t.ad_id, "tablet", t.ad_limited, &t.ledger};
}

}  // namespace

MacFormat AppMacFormat(Source app) { return kAppMacFormat[Index(app) % kNumApps]; }

uint64_t HardwareMac(uint64_t id_key, uint64_t slot, bool apple) {
  const auto ouis = apple ? AppleOuis() : AndroidOuis();
  const uint64_t which = Mix(id_key ^ 0x21, slot) % ouis.size();
  const uint64_t nic = Permute(slot & 0xFFFFFF, 1u << 24, Mix(id_key, 0x22 + which));
  return (static_cast<uint64_t>(ouis[which]) << 24) | nic;
}

void BuildHousehold(const World& world, uint64_t h, const HouseholdSkeleton& sk,
                    uint64_t first_person, std::array<EntityLedger, 5>* ledgers, Household* out) {
  Rng rng = Rng::For(world.seed, Stream::kHouseholdDetail, h);
  const City& city = Cities()[sk.city];
  Household& hh = *out;
  hh.index = h;
  hh.id = fmt::format("h{:06}", h);
  hh.city = sk.city;
  hh.members.clear();
  hh.members.reserve(sk.size);
  hh.has_tablet = sk.tablet;
  hh.payer = -1;
  Address& a = hh.address;
  a.district = static_cast<int>(rng.Below(city.districts.size()));
  a.street = static_cast<int>(rng.Below(Streets().size()));
  a.number = static_cast<int>(rng.Range(1, 888));
  a.building = rng.Chance(0.55) ? static_cast<int>(rng.Range(1, 30)) : 0;
  a.unit = a.building > 0 ? static_cast<int>(rng.Range(1, 6)) : 0;
  a.room = static_cast<int>(rng.Range(1, 33) * 100 + rng.Range(1, 4));
  a.postcode = fmt::format("{}{:03}", city.postcode_prefix, a.district * 100 + rng.Range(0, 99));
  Scatter(rng, city.lat, city.lon, city.radius_km, &hh.home_lat, &hh.home_lon);
  const NameChar* surname = &Surnames()[rng.Below(Surnames().size())];

  for (int i = 0; i < sk.size; ++i) {
    hh.members.emplace_back();
    BuildPerson(world, hh, sk.members[i], i, first_person + i, surname, &(*ledgers)[i],
                &hh.members.back());
  }
  for (Person& p : hh.members) {
    for (Phone& ph : p.phones) {
      const std::string_view type = ph.ios ? "ios" : "android";
      ph.context = DeviceContext{ph.device_id, ph.ad_id, type, ph.ad_limited, p.ledger};
      ph.beacon_context = DeviceContext{ph.device_id, {}, type, false, p.ledger};
    }
    for (Browser& b : p.browsers) {
      b.context = DeviceContext{
          {}, {}, b.mobile ? (p.phones[0].ios ? "ios" : "android") : "pc", false, nullptr};
    }
    if (hh.payer < 0 && p.sk.age >= 22 && !p.sk.minimal && p.Has(Source::kAlipay)) {
      hh.payer = p.member;
    }
  }
  if (hh.has_tablet) BuildTablet(world, h, &hh);
}

}  // namespace holo::generate
