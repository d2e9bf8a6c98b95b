#include "generate/behavior.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/time_util.h"
#include "generate/household.h"
#include "generate/plan.h"

namespace holo::generate {
namespace {

// Local-time (UTC+8) hour profiles, relative weights.
constexpr double kGeneralHours[24] = {0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.4, 0.9,
                                      1.2, 1.1,  1.0,  1.1,  1.4,  1.2, 1.0, 1.0,
                                      1.0, 1.1,  1.3,  1.6,  1.9,  2.0, 1.6, 0.8};
constexpr double kEveningHours[24] = {0.5, 0.3, 0.1, 0.05, 0.05, 0.05, 0.1, 0.2,
                                      0.3, 0.3, 0.3, 0.4,  0.8,  0.6,  0.4, 0.4,
                                      0.5, 0.6, 0.9, 1.5,  2.0,  2.2,  2.0, 1.2};
constexpr double kStoreHours[24] = {0,   0,   0,   0,   0,   0,   0,   0,   0,   0.2, 0.8, 1.0,
                                    1.2, 1.1, 1.2, 1.3, 1.3, 1.3, 1.4, 1.5, 1.3, 0.6, 0,   0};
constexpr double kDaytimeHours[24] = {0,   0,   0,   0,   0,   0,   0,   0,   0.3, 0.8, 1.2, 1.2,
                                      1.0, 1.0, 1.2, 1.2, 1.1, 0.9, 0.5, 0.2, 0,   0,   0,   0};

struct NoiseRates {
  double name_typo;
  double missing_room;
  double phone_typo;
  double postcode_missing;
  double postcode_typo;
};
constexpr NoiseRates kNoise[3] = {
    {0, 0, 0, 0, 0},
    {0.05, 0.06, 0.02, 0.03, 0.02},
    {0.15, 0.15, 0.06, 0.08, 0.05},
};

constexpr std::string_view kPurposes[] = {"analytics", "personalization", "marketing",
                                          "third_party"};

constexpr std::string_view kMembershipTypes[kNumApps] = {
    "taobao_id", "taobao_id", "alipay_id", "eleme_id",    "amap_id",
    "fliggy_id", "youku_id",  "weibo_id",  "minigame_id", "web_id"};

std::string Hex8(uint64_t v) { return fmt::format("{:08x}", v & 0xFFFFFFFFULL); }

double Round2(double v) { return std::round(v * 100.0) / 100.0; }
double Round5(double v) { return std::round(v * 100000.0) / 100000.0; }

// Splits UTF-8 text into code points.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A swapped, missing or doubled character.
std::string Typo(Rng& rng, std::string_view s) {
  std::vector<std::string_view> cps = CodePoints(s);
  if (cps.size() < 2) return std::string(s);
  const size_t i = rng.Below(cps.size() - 1);
  switch (rng.Below(3)) {
    case 0:
      std::swap(cps[i], cps[i + 1]);
      break;
    case 1:
      cps.erase(cps.begin() + static_cast<std::ptrdiff_t>(i + 1));
      break;
    default:
      cps.insert(cps.begin() + static_cast<std::ptrdiff_t>(i), cps[i]);
      break;
  }
  std::string out;
  for (std::string_view c : cps) out.append(c);
  return out;
}

std::string LowerNoCommas(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ',') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string DistrictLabel(std::string_view district) {
  if (district.find("Area") != std::string_view::npos ||
      district.find("Park") != std::string_view::npos) {
    return std::string(district);
  }
  return std::string(district) + " District";
}

// Deterministic catalogue price of product k of (category, brand).
double ProductQuantile(int category, int brand, int k) {
  return static_cast<double>(
             Mix(0x70726f64ULL, static_cast<uint64_t>(category * 1000 + brand * 100 + k)) >> 11) *
         0x1.0p-53;
}

double PriceAt(const Category& c, double q) {
  const double price = c.min_price * std::pow(c.max_price / c.min_price, q);
  return price < 100 ? std::floor(price) + 0.9 : std::round(price) - 1;
}

// Shopping-session odds, shared by ShopSession and SessionBuyProbability (which must agree).
constexpr double kSteerAfterClick = 0.45;  // a recent clicked exposure steers the session
constexpr double kSteerAfterView = 0.12;   // a recent viewed-only exposure steers the session
constexpr int kSteerDays = kCampaignHorizonDays;  // how long an exposure keeps steering
constexpr double kExtraViewsMean = 0.8;    // views per session = 1 + min(Poisson(0.8), 5)
constexpr double kSameBrandView = 0.6;     // a later view stays on the session's brand
constexpr double kCartChance = 0.32;
constexpr double kOrderChance = 0.6;       // cart -> order
constexpr double kSecondItemChance = 0.2;  // an order adds an item of any category and brand

struct Product {
  int category;
  int brand;
  int k;
  double price;
  std::string id;
};

// A flight abroad a person booked: what follows it (follow_ups.csv) is drawn after the rest.
struct TripAbroad {
  int64_t booked_ms;
  std::string destination, country;
};

class PersonSim final : public ContextHook {
 public:
  PersonSim(World& world, Household& hh, Person& p, Emitter& em, SimCounters* counters,
            std::string* store_visits, std::string* follow_ups)
      : world_(world),
        hh_(hh),
        p_(p),
        em_(em),
        counters_(counters),
        rng_(Rng::For(world.seed, Stream::kPersonEvents, p.index)),
        win_(world.window),
        start_day_(world.window.start_ms / kMsPerDay),
        noise_(kNoise[std::clamp(world.options.noise, 0, 2)]),
        foreign_(world.foreign.get()),
        frng_(Rng::For(world.seed, Stream::kForeignEvents, p.index)),
        srng_(Rng::For(world.seed, Stream::kStoreProbes, p.index)),
        store_visits_(store_visits),
        urng_(Rng::For(world.seed, Stream::kFollowUps, p.index)),
        follow_ups_(follow_ups) {}

  void Run() {
    if (foreign_ != nullptr) em_.SetHook(this);
    LoginIdentifies();
    if (p_.member_programme) Membership();
    PlanExposures();
    EmitExposures();
    if (p_.Has(Source::kTaobao)) Shopping(Source::kTaobao, 1.35);
    if (p_.Has(Source::kTmall)) Shopping(Source::kTmall, 0.8);
    if (p_.Has(Source::kAlipay) && !p_.sk.minimal) Alipay();
    if (p_.Has(Source::kEleme)) Eleme();
    if (p_.Has(Source::kAmap)) Amap();
    if (p_.Has(Source::kFliggy)) Fliggy();
    if (p_.Has(Source::kYouku)) Youku();
    if (p_.Has(Source::kWeibo)) Weibo();
    if (p_.Has(Source::kMinigame)) Minigame();
    if (p_.Has(Source::kWeb)) Web();
    Consents();
    StoreVisits();
    if (p_.uses_tablet) TabletUse();
    if (p_.kiosk >= 0) KioskUse();
    if (foreign_ != nullptr) FamilyEmail();
    if (p_.ledger->rows() == 0) LeaveAFootprint();
    PassBys();
    FollowUps();
    em_.SetHook(nullptr);
    CampaignTruthTally();
    Tally();
  }

 private:
  // ---- time ----
  bool InWindow(int64_t ts) const { return ts >= win_.start_ms && ts < win_.end_ms; }
  int Days() const { return win_.days; }
  // UTC ms of local midnight of local day d (day 0 = the window's first date).
  int64_t LocalMidnight(int64_t d) const { return (start_day_ + d) * kMsPerDay - kLocalOffsetMs; }
  int Weekday(int64_t d) const { return static_cast<int>(((start_day_ + d) % 7 + 11) % 7); }
  bool IsWeekend(int64_t d) const { return Weekday(d) == 0 || Weekday(d) == 6; }
  int64_t LocalDayOf(int64_t ts) const { return (ts + kLocalOffsetMs) / kMsPerDay - start_day_; }
  int64_t Fit(int64_t ts) const {
    if (ts < win_.start_ms) ts += kMsPerDay;
    if (ts >= win_.end_ms) ts -= kMsPerDay;
    return std::clamp(ts, win_.start_ms, win_.end_ms - 1);
  }
  int64_t AtHour(int64_t d, const double (&hours)[24], Rng* rng = nullptr) {
    Rng& r = rng != nullptr ? *rng : rng_;
    const size_t hour = r.Weighted(std::span<const double>(hours, 24));
    return Fit(LocalMidnight(d) + static_cast<int64_t>(hour) * kMsPerHour +
               static_cast<int64_t>(r.Below(kMsPerHour)));
  }
  int64_t RandomTime(const double (&hours)[24]) { return AtHour(rng_.Below(Days()), hours); }
  // A time in [lo, hi) at a plausible hour.
  int64_t RandomTimeIn(int64_t lo, int64_t hi, const double (&hours)[24]) {
    lo = std::max(lo, win_.start_ms);
    hi = std::min(hi, win_.end_ms);
    if (hi <= lo) return lo;
    const int64_t d0 = LocalDayOf(lo), d1 = LocalDayOf(hi - 1);
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int64_t ts = AtHour(d0 + static_cast<int64_t>(rng_.Below(d1 - d0 + 1)), hours);
      if (ts >= lo && ts < hi) return ts;
    }
    return lo + static_cast<int64_t>(rng_.Below(hi - lo));
  }
  int64_t Seconds(int64_t lo, int64_t hi) { return rng_.Range(lo, hi) * kMsPerSecond; }
  uint32_t Count(double per_90_days) { return rng_.Poisson(per_90_days * win_.scale); }

  // ---- identity ----
  Phone* PhoneAt(int64_t ts) {
    for (Phone& ph : p_.phones) {
      if (ts < ph.end_ms) return &ph;
    }
    return &p_.phones.back();
  }

  // Fills `who` for a message of `app` from the phone in use at `ts`. Returns false if the
  // app is not installed on that phone.
  bool AppIdentity(Source app, int64_t ts, Identity* who) {
    Phone* ph = PhoneAt(ts);
    Install* inst = ph->Find(app);
    if (inst == nullptr) return false;
    *who = Identity{};
    who->device = &ph->context;
    who->SetAnonymous(inst->anon_id, p_.ledger);
    if (inst->login_ms != kNever && ts >= inst->login_ms) {
      who->SetUser(p_.UserId(app), p_.ledger);
    }
    if (inst->sends_mac) {
      MacFormat format = AppMacFormat(app);
      if (foreign_ != nullptr && app == Source::kEleme) format = MacFormat::kUpperBare;
      if (foreign_ != nullptr && app == Source::kWeibo) format = MacFormat::kLowerDot;
      who->AddExternal(ExternalId{"mac", ph->mac_text[static_cast<int>(format)],
                                  IdType::kMac, Source::kTaobao, p_.ledger});
      ph->mac_sent_online = true;
    }
    return true;
  }

  // Traits an app's identify carries, in that app's formats.
  void Traits(Source app, std::string* email, std::string* phone) {
    email->clear();
    phone->clear();
    const bool has_email = !p_.email.empty();
    switch (app) {
      case Source::kTaobao:
        *phone =
            FormatPhone(p_.mobile, rng_.Chance(0.7) ? PhoneFormat::kPlain : PhoneFormat::kE164);
        break;
      case Source::kAlipay:
        *phone = FormatPhone(p_.mobile, PhoneFormat::kE164);
        if (has_email && rng_.Chance(0.5)) *email = p_.email;
        break;
      case Source::kEleme:
        *phone =
            FormatPhone(p_.mobile, rng_.Chance(0.5) ? PhoneFormat::kDashed : PhoneFormat::kPlain);
        break;
      case Source::kAmap:
        *phone = FormatPhone(p_.mobile, PhoneFormat::kSpacedIntl);
        break;
      case Source::kFliggy:
        *phone =
            FormatPhone(p_.mobile, rng_.Chance(0.5) ? PhoneFormat::kE164 : PhoneFormat::kPlain);
        if (has_email && rng_.Chance(0.6)) *email = p_.email;
        break;
      case Source::kYouku:
        if (has_email && rng_.Chance(0.3)) *email = p_.email_typed;
        break;
      case Source::kWeibo:
        if (has_email && rng_.Chance(0.6)) *email = p_.email_typed;
        if (rng_.Chance(0.3)) *phone = FormatPhone(p_.mobile, PhoneFormat::kPlain);
        break;
      case Source::kWeb:
        if (!p_.email2.empty() && rng_.Chance(0.3)) {
          *email = p_.email2;
        } else if (has_email) {
          *email = p_.email_typed;
        } else {
          *phone = FormatPhone(p_.mobile, PhoneFormat::kSpaced);
        }
        break;
      default:
        break;
    }
  }

  void Identify(Source app, int64_t ts, const Identity& who) {
    std::string email, phone;
    Traits(app, &email, &phone);
    em_.Identify(app, ts, who, email, phone, p_.ledger);
  }

  // ---- logins ----
  void LoginIdentifies() {
    for (Phone& ph : p_.phones) {
      for (Install& inst : ph.installs) {
        if (inst.login_identify && inst.login_ms != kNever && InWindow(inst.login_ms) &&
            inst.login_ms < ph.end_ms) {
          const int64_t ts = inst.login_ms;
          Identity who;
          if (!AppIdentity(inst.app, ts, &who)) continue;
          if (inst.app == Source::kMinigame && ts == p_.minigame_signup_ms) {
            // A guest upgraded to an account: alias the guest's anonymousId to the new user.
            em_.Alias(inst.app, ts, who, inst.anon_id, p_.ledger);
          }
          if (inst.app == Source::kEleme && p_.Has(Source::kTaobao) && rng_.Chance(0.3)) {
            who.AddExternal(ExternalId{"taobao_id", p_.UserId(Source::kTaobao), IdType::kUserId,
                                       Source::kTaobao, p_.ledger});
          }
          Identify(inst.app, ts + kMsPerSecond, who);
          if (rng_.Chance(0.15)) ConsentGiven(inst.app, ts + Seconds(5, 60));
        }
        if (inst.refresh_identify_ms >= 0 && InWindow(inst.refresh_identify_ms)) {
          Identity who;
          if (AppIdentity(inst.app, inst.refresh_identify_ms, &who) && !who.user_id.empty()) {
            Identify(inst.app, inst.refresh_identify_ms, who);
          }
        }
      }
    }
  }

  void Membership() {
    int64_t ts = p_.membership_ms;
    Phone* ph = PhoneAt(ts);
    Install* inst = ph->Find(Source::kTaobao);
    if (inst == nullptr || inst->login_ms == kNever) return;
    if (inst->login_ms != kAlways && ts < inst->login_ms) ts = inst->login_ms + kMsPerMinute;
    if (!InWindow(ts) || ts >= ph->end_ms) return;
    Identity who;
    if (!AppIdentity(Source::kTaobao, ts, &who) || who.user_id.empty()) return;
    for (int a = 0; a < kNumApps; ++a) {
      const auto app = static_cast<Source>(a);
      if (!(p_.linked_apps & Bit(app))) continue;
      who.AddExternal(
          ExternalId{kMembershipTypes[a], p_.UserId(app), IdType::kUserId, app, p_.ledger});
    }
    em_.Identify(Source::kTaobao, ts, who, {}, {}, nullptr);
    ++counters_->membership_links;
  }

  // ---- campaigns ----
  void PlanExposures() {
    constexpr Source kAdApps[] = {Source::kTaobao, Source::kTmall, Source::kYouku, Source::kWeibo};
    constexpr double kAdWeights[] = {4, 1, 2, 2};
    double weights[4];
    bool any = false;
    for (int i = 0; i < 4; ++i) {
      weights[i] = p_.Has(kAdApps[i]) ? kAdWeights[i] : 0;
      any = any || weights[i] > 0;
    }
    if (!any) return;
    const auto campaigns = Campaigns();
    for (size_t c = 0; c < campaigns.size(); ++c) {
      const Campaign& camp = campaigns[c];
      const int64_t lo =
          win_.start_ms + static_cast<int64_t>(camp.start_frac * (win_.end_ms - win_.start_ms));
      const int64_t hi =
          win_.start_ms + static_cast<int64_t>(camp.end_frac * (win_.end_ms - win_.start_ms));
      if (hi <= lo) continue;
      const double aff = p_.category_affinity[camp.category];
      const double lambda =
          0.55 * (camp.end_frac - camp.start_frac) * (0.3 + 6 * aff) * (0.5 + 0.5 * p_.activity);
      const uint32_t n = Count(lambda);
      for (uint32_t i = 0; i < n; ++i) {
        Exposure e;
        e.ts = RandomTimeIn(lo, hi, kGeneralHours);
        e.campaign = static_cast<int>(c);
        e.app = kAdApps[rng_.Weighted(std::span<const double>(weights, 4))];
        e.clicked = rng_.Chance(std::min(0.4, 0.03 + 1.5 * aff));
        p_.exposures.push_back(e);
      }
    }
    std::sort(p_.exposures.begin(), p_.exposures.end(),
              [](const Exposure& a, const Exposure& b) { return a.ts < b.ts; });
  }

  void EmitExposures() {
    const auto campaigns = Campaigns();
    for (Exposure& e : p_.exposures) {
      Identity who;
      if (!AppIdentity(e.app, e.ts, &who)) continue;
      e.shown = true;
      const Campaign& camp = campaigns[e.campaign];
      const Category& cat = Categories()[camp.category];
      const std::string_view creative = Creatives()[rng_.Below(Creatives().size())];
      const std::string promotion_id = fmt::format("{}-{}", camp.id, creative);
      auto props = [&](JsonWriter& w) {
        w.Key("promotion_id").String(promotion_id);
        w.Key("campaign").String(camp.name);
        w.Key("brand").String(cat.brands[camp.brand]);
        w.Key("creative").String(creative);
      };
      em_.Track(e.app, e.ts, "Promotion Viewed", who, props);
      if (!e.clicked) continue;
      const int64_t click_ts = e.ts + Seconds(2, 30);
      if (!InWindow(click_ts)) continue;
      em_.Track(e.app, click_ts, "Promotion Clicked", who, props);
      if ((e.app == Source::kTaobao || e.app == Source::kTmall) && InWindow(click_ts + 40000)) {
        const Product prod = PickProduct(e.app, camp.category, camp.brand);
        em_.Track(e.app, click_ts + Seconds(20, 90), "Product Viewed", who,
                  [&](JsonWriter& w) { ProductProps(w, prod); });
      }
    }
  }

  // The shown exposure that steers a shopping session at `ts` (ShopSession's rule: the most
  // recent shown exposure in the kSteerDays before), ignoring those of campaign `skip` (the
  // counterfactual without that campaign); nullptr if none.
  const Exposure* SteeringExposure(int64_t ts, int skip) const {
    for (auto it = p_.exposures.rbegin(); it != p_.exposures.rend(); ++it) {
      if (it->ts >= ts) continue;
      if (it->ts < ts - kSteerDays * kMsPerDay) break;
      if (!it->shown || it->campaign == skip) continue;
      return &*it;
    }
    return nullptr;
  }

  // The model's probability that a shopping session at `ts` orders a product of brand `brand`
  // of `category`, mirroring ShopSession: the session's category and brand (affinities, or the
  // steering campaign's), the last viewed product (which goes to the cart), cart and order
  // odds, the optional second item. Exposures of campaign `skip` are ignored.
  double SessionBuyProbability(int64_t ts, int category, int brand, int skip) const {
    const auto& cats = p_.category_affinity;
    const auto& brands = p_.brand_affinity[category];
    double cat_total = 0, brand_total = 0;
    for (double a : cats) cat_total += a;
    for (double a : brands) brand_total += a;
    if (cat_total <= 0 || brand_total <= 0) return 0;
    const double pi = cats[category] / cat_total;  // PickCategory
    const double w = brands[brand] / brand_total;  // PickBrand
    double p_category = pi;
    double p_brand = pi * w;
    if (const Exposure* e = SteeringExposure(ts, skip); e != nullptr) {
      const double steer = e->clicked ? kSteerAfterClick : kSteerAfterView;
      const Campaign& camp = Campaigns()[e->campaign];
      const bool same_category = camp.category == category;
      p_category = steer * (same_category ? 1 : 0) + (1 - steer) * pi;
      p_brand = steer * (same_category && camp.brand == brand ? 1 : 0) + (1 - steer) * pi * w;
    }
    const double one_view = std::exp(-kExtraViewsMean);
    const double last = p_brand * (one_view + (1 - one_view) * kSameBrandView) +
                        p_category * (1 - one_view) * (1 - kSameBrandView) * w;
    const double second = kSecondItemChance * pi * w;
    return kCartChance * kOrderChance * (1 - (1 - last) * (1 - second));
  }

  // Adds this person to the campaign truth (campaigns.csv) of every campaign they were shown:
  // P(buy the brand within the horizon after the first shown exposure), as exposed and without
  // the campaign, over the shopping sessions the person actually had. Uses no randomness.
  void CampaignTruthTally() {
    const auto campaigns = Campaigns();
    for (int c = 0; c < kNumCampaigns; ++c) {
      int64_t first = kNever;
      uint64_t shown = 0;
      bool clicked = false;
      for (const Exposure& e : p_.exposures) {
        if (!e.shown || e.campaign != c) continue;
        first = std::min(first, e.ts);
        ++shown;
        clicked = clicked || e.clicked;
      }
      if (shown == 0) continue;
      const Campaign& camp = campaigns[c];
      const int64_t horizon_end = first + kCampaignHorizonDays * kMsPerDay;
      double no_buy_exposed = 1, no_buy_unexposed = 1;
      for (const SessionLog& s : sessions_) {
        if (!s.can_buy || s.ts <= first || s.ts > horizon_end) continue;
        no_buy_exposed *= 1 - SessionBuyProbability(s.ts, camp.category, camp.brand, -1);
        no_buy_unexposed *= 1 - SessionBuyProbability(s.ts, camp.category, camp.brand, c);
      }
      CampaignTruth& truth = world_.campaign_truth[c];
      ++truth.exposed_persons;
      if (clicked) ++truth.clicked_persons;
      truth.exposures += shown;
      truth.sum_p_exposed += 1 - no_buy_exposed;
      truth.sum_p_unexposed += 1 - no_buy_unexposed;
    }
  }

  // ---- products and shopping ----
  Product PickProduct(Source src, int category, int brand) {
    const Category& cat = Categories()[category];
    const double target =
        std::clamp((p_.sk.income_tier - 1) / 4.0 * 0.8 + 0.1 + 0.15 * rng_.Normal(), 0.0, 1.0);
    int best_k = 0;
    double best_gap = 2;
    for (int attempt = 0; attempt < 3; ++attempt) {
      const int k = static_cast<int>(kProductsPerBrand * std::pow(rng_.Uniform(), 1.8));
      const double gap = std::abs(ProductQuantile(category, brand, k) - target);
      if (gap < best_gap) {
        best_gap = gap;
        best_k = k;
      }
    }
    Product prod;
    prod.category = category;
    prod.brand = brand;
    prod.k = best_k;
    prod.price = PriceAt(cat, ProductQuantile(category, brand, best_k));
    if (src == Source::kTmall) prod.price = std::round(prod.price * 1.1) - 0.1;
    const char* prefix = src == Source::kTmall ? "tm" : src == Source::kWeb ? "wb" : "tb";
    prod.id = fmt::format("{}{}{}{:03}", prefix, category, brand, best_k);
    return prod;
  }

  void ProductProps(JsonWriter& w, const Product& prod) {
    const Category& cat = Categories()[prod.category];
    w.Key("product_id").String(prod.id);
    w.Key("brand").String(cat.brands[prod.brand]);
    w.Key("category").String(cat.name);
    w.Key("price").Double(prod.price);
  }

  int PickCategory() {
    return static_cast<int>(rng_.Weighted(std::span<const double>(p_.category_affinity)));
  }
  int PickBrand(int category) {
    return static_cast<int>(rng_.Weighted(std::span<const double>(p_.brand_affinity[category])));
  }

  void Shopping(Source src, double sessions_per_90_days) {
    const uint32_t n = Count(sessions_per_90_days * p_.activity);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kGeneralHours);
      Identity who;
      if (!AppIdentity(src, ts, &who)) continue;
      ShopSession(src, ts, who);
    }
  }

  // One browsing session: search, views, maybe cart, order, wishlist, and a later review.
  void ShopSession(Source src, int64_t ts, const Identity& who) {
    sessions_.push_back(SessionLog{ts, !who.user_id.empty()});
    int category = PickCategory();
    int brand = PickBrand(category);
    // Campaign response: a recent shown exposure steers the session towards the campaign's
    // brand (SessionBuyProbability computes the resulting odds for campaigns.csv).
    if (const Exposure* e = SteeringExposure(ts, -1); e != nullptr) {
      if (rng_.Chance(e->clicked ? kSteerAfterClick : kSteerAfterView)) {
        category = Campaigns()[e->campaign].category;
        brand = Campaigns()[e->campaign].brand;
      }
    }
    const Category& cat = Categories()[category];
    int64_t t = ts;
    if (rng_.Chance(0.6)) {
      const std::string query =
          rng_.Chance(0.4) ? fmt::format("{} {}", cat.brands[brand], cat.queries[rng_.Below(4)])
                           : std::string(cat.queries[rng_.Below(4)]);
      em_.Track(src, t, "Products Searched", who, [&](JsonWriter& w) {
        w.Key("query").String(query);
        w.Key("category").String(cat.name);
      });
      t += Seconds(5, 40);
    }
    const int views = 1 + std::min<int>(static_cast<int>(rng_.Poisson(kExtraViewsMean)), 5);
    Product last;
    for (int v = 0; v < views; ++v) {
      last = PickProduct(src, category,
                         v == 0 || rng_.Chance(kSameBrandView) ? brand : PickBrand(category));
      if (!InWindow(t)) return;
      em_.Track(src, t, "Product Viewed", who, [&](JsonWriter& w) { ProductProps(w, last); });
      t += Seconds(15, 180);
    }
    if (who.user_id.empty() || !InWindow(t)) return;  // guests do not buy
    if (rng_.Chance(0.08)) {
      em_.Track(src, t, "Product Added to Wishlist", who,
                [&](JsonWriter& w) { ProductProps(w, last); });
      t += Seconds(5, 60);
    }
    if (!rng_.Chance(kCartChance) || !InWindow(t)) return;
    const int quantity = rng_.Chance(0.85) ? 1 : 2;
    em_.Track(src, t, "Product Added", who, [&](JsonWriter& w) {
      ProductProps(w, last);
      w.Key("quantity").Int(quantity);
    });
    t += Seconds(20, 600);
    if (!rng_.Chance(kOrderChance) || !InWindow(t)) return;
    std::vector<std::pair<Product, int>> items{{last, quantity}};
    if (rng_.Chance(kSecondItemChance)) {
      const int c2 = PickCategory();
      items.emplace_back(PickProduct(src, c2, PickBrand(c2)), 1);
    }
    Order(src, t, who, items);
    if (rng_.Chance(0.25)) {
      const int64_t review_ts = t + rng_.Range(3, 12) * kMsPerDay + Seconds(0, 36000);
      Identity reviewer;
      if (InWindow(review_ts) && AppIdentity(src, review_ts, &reviewer) &&
          !reviewer.user_id.empty()) {
        const int rating = static_cast<int>(rng_.Weighted({0.03, 0.04, 0.1, 0.28, 0.55})) + 1;
        em_.Track(src, review_ts, "Product Reviewed", reviewer, [&](JsonWriter& w) {
          ProductProps(w, last);
          w.Key("rating").Int(rating);
        });
      }
    }
    if (rng_.Chance(0.05) && InWindow(t + kMsPerMinute)) {
      const Campaign& camp = Campaigns()[rng_.Below(Campaigns().size())];
      em_.Track(src, t + kMsPerMinute, "Coupon Redeemed", who, [&](JsonWriter& w) {
        w.Key("coupon_id").String(fmt::format("cp-{}-{}", camp.id, rng_.Range(1, 20)));
        w.Key("campaign").String(camp.name);
      });
    }
  }

  std::string OrderId(std::string_view prefix) {
    return fmt::format("{}{:013}", prefix,
                       Permute(p_.index * 4096 + (order_counter_++ & 4095), 10000000000000ULL,
                               Mix(world_.id_key, 0x31)));
  }

  void Order(Source src, int64_t ts, const Identity& who,
             const std::vector<std::pair<Product, int>>& items) {
    double revenue = 0;
    for (const auto& [prod, q] : items) revenue += prod.price * q;
    const std::string order_id = OrderId(src == Source::kTmall ? "TM" : "TB");
    const Person& recipient = Recipient();
    em_.Track(src, ts, "Order Completed", who, [&](JsonWriter& w) {
      w.Key("order_id").String(order_id);
      w.Key("revenue").Double(Round2(revenue));
      w.Key("currency").String("CNY");
      w.Key("products").BeginArray();
      for (const auto& [prod, q] : items) {
        w.BeginObject();
        ProductProps(w, prod);
        w.Key("quantity").Int(q);
        w.EndObject();
      }
      w.EndArray();
      ShippingAddress(w, recipient, false);
    });
  }

  // Usually oneself; sometimes another member of the household.
  const Person& Recipient() {
    if (hh_.members.size() > 1 && rng_.Chance(0.08)) {
      const Person& other = hh_.members[rng_.Below(hh_.members.size())];
      if (other.sk.age >= 16) return other;
    }
    return p_;
  }

  // ---- shipping addresses, with format variants and typos ----
  std::string ShippingName(const Person& r) {
    std::string name;
    std::string given_zh, given_py;
    for (const NameChar* g : r.given) {
      given_zh += g->zh;
      given_py += g->pinyin;
    }
    if (!given_py.empty())
      given_py[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(given_py[0])));
    switch (rng_.Weighted({0.55, 0.15, 0.10, 0.08, 0.07, 0.05})) {
      case 0:
        name = r.name_zh;
        break;
      case 1:
        name = r.name_pinyin;
        break;
      case 2:
        name = std::string(r.surname->zh) + (r.sk.female ? "女士" : "先生");
        break;
      case 3:
        name = given_py + " " + std::string(r.surname->pinyin);
        break;
      case 4:
        name = LowerNoCommas(std::string(r.surname->pinyin) + given_py);
        break;
      default:
        name = given_zh;
        break;
    }
    if (rng_.Chance(noise_.name_typo)) name = Typo(rng_, name);
    return name;
  }

  std::string ShippingPhone(const Person& r) {
    static constexpr PhoneFormat kFormats[] = {PhoneFormat::kPlain, PhoneFormat::kDashed,
                                               PhoneFormat::kSpaced, PhoneFormat::kE164,
                                               PhoneFormat::kSpacedIntl};
    std::string digits = r.mobile;
    if (rng_.Chance(noise_.phone_typo)) {
      const size_t i = 3 + rng_.Below(8);
      if (rng_.Chance(0.5) && i + 1 < digits.size()) {
        std::swap(digits[i], digits[i + 1]);
      } else {
        digits[i] = static_cast<char>('0' + (digits[i] - '0' + 1 + rng_.Below(9)) % 10);
      }
    }
    return FormatPhone(digits, kFormats[rng_.Weighted({0.5, 0.2, 0.1, 0.1, 0.1})]);
  }

  std::string HomeStreet() {
    const Address& a = hh_.address;
    const City& city = Cities()[hh_.city];
    const Street& st = Streets()[a.street];
    const bool no_room = rng_.Chance(noise_.missing_room);
    std::string unit_en, unit_abbr, unit_zh;
    if (a.building > 0) {
      unit_en = fmt::format("Building {}, Unit {}, ", a.building, a.unit);
      unit_abbr = fmt::format("Bldg {}, Unit {}, ", a.building, a.unit);
      unit_zh = fmt::format("{}栋{}单元", a.building, a.unit);
    }
    const std::string district = DistrictLabel(city.districts[a.district]);
    switch (rng_.Weighted({0.4, 0.2, 0.2, 0.1, 0.1})) {
      case 1:
        if (no_room) return fmt::format("{} {} Rd, {}", a.number, st.name, district);
        return fmt::format("{}Rm {}, {} {} Rd, {}", unit_abbr, a.room, a.number, st.name, district);
      case 2:
        if (no_room)
          return fmt::format("{}{}路{}号", city.districts_zh[a.district], st.name_zh, a.number);
        return fmt::format("{}{}路{}号{}{}室", city.districts_zh[a.district], st.name_zh, a.number,
                           unit_zh, a.room);
      case 3:
        if (no_room) return fmt::format("{}, {} Road No. {}", district, st.name, a.number);
        return fmt::format("{}, {} Road No. {}, {}Room {}", district, st.name, a.number, unit_en,
                           a.room);
      case 4:
        if (no_room)
          return LowerNoCommas(fmt::format("No. {} {} Road, {}", a.number, st.name, district));
        return LowerNoCommas(fmt::format("{}Room {}, No. {} {} Road, {}", unit_en, a.room, a.number,
                                         st.name, district));
      default:
        if (no_room) return fmt::format("No. {} {} Road, {}", a.number, st.name, district);
        return fmt::format("{}Room {}, No. {} {} Road, {}", unit_en, a.room, a.number, st.name,
                           district);
    }
  }

  std::string CityName() {
    const City& city = Cities()[hh_.city];
    switch (rng_.Weighted({0.5, 0.2, 0.15, 0.1, 0.05})) {
      case 1:
        return std::string(city.name_zh);
      case 2:
        return std::string(city.name_zh) + "市";
      case 3:
        return LowerNoCommas(city.name);
      case 4:
        return std::string(city.name) + " City";
      default:
        return std::string(city.name);
    }
  }

  void ShippingAddress(JsonWriter& w, const Person& recipient, bool to_work) {
    std::string street;
    if (to_work && recipient.works) {
      street = recipient.work_street;
      if (rng_.Chance(0.3)) {
        const size_t pos = street.find(" Road");
        if (pos != std::string::npos) street.replace(pos, 5, " Rd");
      }
    } else {
      street = HomeStreet();
    }
    std::string postcode = hh_.address.postcode;
    if (rng_.Chance(noise_.postcode_missing)) {
      postcode.clear();
    } else if (rng_.Chance(noise_.postcode_typo)) {
      postcode.back() = static_cast<char>('0' + (postcode.back() - '0' + 1 + rng_.Below(9)) % 10);
    }
    w.Key("shipping_address").BeginObject();
    w.Key("name").String(ShippingName(recipient));
    w.Key("phone").String(ShippingPhone(recipient));
    w.Key("street").String(street);
    w.Key("city").String(CityName());
    w.Key("postcode").String(postcode);
    w.EndObject();
  }

  // ---- alipay ----
  // `card_owner`, for family-card payments: the raw alipay user id of the card's owner.
  void Payment(int64_t ts, bool made, double amount, std::string_view counterparty,
               std::string_view category, std::string_view card_owner = {}) {
    Identity who;
    if (!InWindow(ts) || !AppIdentity(Source::kAlipay, ts, &who)) return;
    em_.Track(Source::kAlipay, ts, made ? "Payment Made" : "Payment Received", who,
              [&](JsonWriter& w) {
                w.Key("amount").Double(Round2(amount));
                w.Key("currency").String("CNY");
                w.Key("counterparty_type").String(counterparty);
                w.Key("category").String(category);
                if (!card_owner.empty()) w.Key("card_owner").String(card_owner);
              });
  }

  void Alipay() {
    const int size = static_cast<int>(hh_.members.size());
    const bool payer = hh_.payer == p_.member;
    const int bill_day = 1 + static_cast<int>(Mix(hh_.index, 0xb111) % 27);
    const double mobile_topup = p_.sk.income_tier <= 2 ? 50 : p_.sk.income_tier <= 4 ? 100 : 200;
    const int topup_day = static_cast<int>(rng_.Range(1, 28));
    for (int64_t d = 0; d < Days(); ++d) {
      const CivilDate date = CivilFromDays(start_day_ + d);
      const auto mday = static_cast<int>(date.day);
      if (p_.salary_day > 0 && mday == p_.salary_day) {
        const int64_t ts = Fit(LocalMidnight(d) + 9 * kMsPerHour +
                               static_cast<int64_t>(rng_.Below(2 * kMsPerHour)));
        const double bonus = rng_.Chance(0.1) ? rng_.Uniform(0.05, 0.5) : 0.0;
        Payment(ts, false, p_.salary * (1 + bonus), "employer", "salary");
      }
      if (payer && mday == bill_day) {
        const bool peak = date.month == 7 || date.month == 8 || date.month == 12 || date.month <= 2;
        Payment(AtHour(d, kDaytimeHours), true,
                (60 + 40 * size) * (peak ? 1.5 : 1.0) * rng_.LogNormal(1, 0.3), "utility",
                "electricity");
        if (date.month % 3 == 0) {
          Payment(AtHour(d, kDaytimeHours), true, (30 + 15 * size) * rng_.LogNormal(1, 0.2),
                  "utility", "water");
        }
        if (date.month >= 11 || date.month <= 3) {
          Payment(AtHour(d, kDaytimeHours), true, (50 + 30 * size) * rng_.LogNormal(1, 0.3),
                  "utility", "gas");
        }
      }
      if (mday == topup_day && rng_.Chance(0.25)) {
        Payment(AtHour(d, kGeneralHours), true, mobile_topup, "utility", "mobile");
      }
    }
    static constexpr std::string_view kMerchantCategories[] = {
        "groceries", "dining", "transport", "shopping", "entertainment", "health"};
    static constexpr double kMerchantWeights[] = {3, 3, 2, 1.5, 1, 0.5};
    static constexpr double kMerchantMedian[] = {60, 45, 15, 150, 80, 120};
    const double income_factor = 0.6 + 0.2 * p_.sk.income_tier;
    const uint32_t purchases = Count(1.5 * p_.activity);
    for (uint32_t i = 0; i < purchases; ++i) {
      const size_t c = rng_.Weighted(std::span<const double>(kMerchantWeights));
      Payment(RandomTime(kGeneralHours), true,
              kMerchantMedian[c] * income_factor * rng_.LogNormal(1, 0.6), "merchant",
              kMerchantCategories[c]);
    }
    const uint32_t transfers = Count(0.8);
    for (uint32_t i = 0; i < transfers; ++i) {
      static constexpr double kRedPackets[] = {6.66, 8.88, 66, 88, 188, 200};
      const bool red_packet = rng_.Chance(0.3);
      const double amount =
          red_packet ? kRedPackets[rng_.Below(6)] : std::round(rng_.LogNormal(200, 0.9));
      Payment(RandomTime(kGeneralHours), rng_.Chance(0.5), amount, "person",
              red_packet ? "red_packet" : "transfer");
    }
    // Dependants pay with the family card of the household's payer.
    const bool dependant = p_.sk.role == Role::kChild || p_.sk.role == Role::kElder ||
                           (p_.sk.role == Role::kSpouse && rng_.Chance(0.3));
    if (hh_.payer >= 0 && !payer && dependant) {
      const std::string& owner = hh_.members[hh_.payer].UserId(Source::kAlipay);
      const uint32_t n = Count(1.5);
      for (uint32_t i = 0; i < n; ++i) {
        const size_t c = rng_.Weighted({3.0, 2.0, 0.0, 2.0, 1.0, 0.5});
        Payment(RandomTime(kGeneralHours), true, kMerchantMedian[c] * rng_.LogNormal(1, 0.5),
                "family_card", kMerchantCategories[c], owner);
      }
    }
  }

  // ---- eleme ----
  void Eleme() {
    const int age = p_.sk.age;
    const double age_factor = age < 30 ? 1.6 : age < 45 ? 1.0 : age < 60 ? 0.5 : 0.25;
    const uint32_t n = Count(3.0 * p_.activity * age_factor);
    const auto restaurants = Restaurants();
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t d = static_cast<int64_t>(rng_.Below(Days()));
      const bool to_work = p_.works && !IsWeekend(d) && rng_.Chance(0.5);
      const int64_t ts = Fit(LocalMidnight(d) + (to_work ? 11 * kMsPerHour : 17 * kMsPerHour) +
                             static_cast<int64_t>(rng_.Below(2 * kMsPerHour + kMsPerHour / 2)));
      Identity who;
      if (!AppIdentity(Source::kEleme, ts, &who) || who.user_id.empty()) continue;
      const size_t r = rng_.Below(restaurants.size());
      const Restaurant& rest = restaurants[r];
      const int dishes = 1 + static_cast<int>(rng_.Weighted({0.5, 0.35, 0.15}));
      struct Dish {
        std::string id;
        double price;
        int quantity;
      };
      std::vector<Dish> items;
      double revenue = rng_.Range(0, 6);  // delivery fee
      for (int k = 0; k < dishes; ++k) {
        const auto dish = static_cast<int>(rng_.Below(3));
        const double q = static_cast<double>(Mix(r, dish) >> 11) * 0x1.0p-53;
        const double price = std::round(rest.min_price + q * (rest.max_price - rest.min_price));
        const int quantity = rng_.Chance(0.8) ? 1 : 2;
        items.push_back(Dish{fmt::format("el{:02}{}", r, dish), price, quantity});
        revenue += price * quantity;
      }
      const std::string order_id = OrderId("EL");
      const Person& recipient = to_work ? p_ : Recipient();
      em_.Track(Source::kEleme, ts, "Order Completed", who, [&](JsonWriter& w) {
        w.Key("order_id").String(order_id);
        w.Key("revenue").Double(Round2(revenue));
        w.Key("currency").String("CNY");
        w.Key("products").BeginArray();
        for (const Dish& dish : items) {
          w.BeginObject();
          w.Key("product_id").String(dish.id);
          w.Key("brand").String(rest.brand);
          w.Key("category").String(rest.kind);
          w.Key("price").Double(dish.price);
          w.Key("quantity").Int(dish.quantity);
          w.EndObject();
        }
        w.EndArray();
        ShippingAddress(w, recipient, to_work);
      });
    }
  }

  // ---- amap ----
  std::string_view TripMode(double km) {
    const City& city = Cities()[p_.city];
    const int income = p_.sk.income_tier;
    const double subway = !city.has_subway || km < 1.5 ? 0.0
                          : city.tier == 1             ? 2.2
                          : city.tier == 2             ? 1.5
                                                       : 0.6;
    const double weights[6] = {
        p_.sk.age < 18 ? 0.0 : (income - 1) * 0.45 * (city.tier >= 3 ? 1.3 : 1.0),  // car
        subway,
        km < 1 ? 0.0 : (6 - income) / 3.0,  // bus
        0.4 * income / 2.0,                 // taxi
        km < 7 ? 1.2 : 0.0,                 // bike
        km < 2.5 ? 2.0 : 0.0,               // walk
    };
    static constexpr std::string_view kModes[] = {"car", "subway", "bus", "taxi", "bike", "walk"};
    double total = 0;
    for (double x : weights) total += x;
    if (total <= 0) return "taxi";
    return kModes[rng_.Weighted(std::span<const double>(weights))];
  }

  void Trip(int64_t ts, double from_lat, double from_lon, double to_lat, double to_lon) {
    Identity who;
    if (!InWindow(ts) || !AppIdentity(Source::kAmap, ts, &who)) return;
    const double km = DistanceKm(from_lat, from_lon, to_lat, to_lon);
    const std::string_view mode = TripMode(km);
    const double detour = mode == "subway" ? 1.25 : (mode == "walk" || mode == "bike") ? 1.2 : 1.3;
    em_.Track(Source::kAmap, ts, "Trip Completed", who, [&](JsonWriter& w) {
      w.Key("mode").String(mode);
      w.Key("from")
          .BeginObject()
          .Key("lat")
          .Double(Round5(from_lat))
          .Key("lon")
          .Double(Round5(from_lon))
          .EndObject();
      w.Key("to")
          .BeginObject()
          .Key("lat")
          .Double(Round5(to_lat))
          .Key("lon")
          .Double(Round5(to_lon))
          .EndObject();
      w.Key("distance_km").Double(std::round(km * detour * 10) / 10);
    });
  }

  void Amap() {
    if (p_.works) {
      for (int64_t d = 0; d < Days(); ++d) {
        if (IsWeekend(d)) continue;
        if (rng_.Chance(0.025)) {
          Trip(Fit(LocalMidnight(d) + 7 * kMsPerHour +
                   static_cast<int64_t>(rng_.Below(2 * kMsPerHour))),
               hh_.home_lat, hh_.home_lon, p_.work_lat, p_.work_lon);
        }
        if (rng_.Chance(0.025)) {
          Trip(Fit(LocalMidnight(d) + 17 * kMsPerHour +
                   static_cast<int64_t>(rng_.Below(3 * kMsPerHour))),
               p_.work_lat, p_.work_lon, hh_.home_lat, hh_.home_lon);
        }
      }
    }
    const City& city = Cities()[p_.city];
    const uint32_t n = Count(1.2 * p_.activity);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kDaytimeHours);
      const bool from_work = p_.works && rng_.Chance(0.3);
      const double from_lat = from_work ? p_.work_lat : hh_.home_lat;
      const double from_lon = from_work ? p_.work_lon : hh_.home_lon;
      double to_lat, to_lon;
      if (rng_.Chance(0.4) && !p_.home_stores.empty()) {
        const Store& s = world_.stores[p_.home_stores[rng_.Below(p_.home_stores.size())]];
        to_lat = s.lat;
        to_lon = s.lon;
      } else {
        Scatter(rng_, city.lat, city.lon, city.radius_km, &to_lat, &to_lon);
      }
      Trip(ts, from_lat, from_lon, to_lat, to_lon);
    }
  }

  // ---- fliggy ----
  void Fliggy() {
    const City& home = Cities()[p_.city];
    const int income = p_.sk.income_tier;
    static constexpr double kCabin[5][4] = {{0.97, 0.03, 0, 0},
                                            {0.93, 0.05, 0.02, 0},
                                            {0.83, 0.10, 0.06, 0.01},
                                            {0.60, 0.20, 0.17, 0.03},
                                            {0.30, 0.20, 0.40, 0.10}};
    static constexpr std::string_view kCabinNames[] = {"economy", "premium", "business", "first"};
    static constexpr double kCabinPrice[] = {1.0, 1.6, 3.2, 5.5};
    const uint32_t n = Count(0.15 + 1.0 * p_.travel_propensity);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kGeneralHours);
      Identity who;
      if (!AppIdentity(Source::kFliggy, ts, &who) || who.user_id.empty()) continue;
      std::string destination, country;
      double km;
      if (income >= 3 && rng_.Chance(0.05 + 0.06 * (income - 2))) {
        const auto intl = InternationalDestinations();
        const Destination& dest = intl[rng_.Below(intl.size())];
        destination = std::string(dest.city);
        country = std::string(dest.country);
        km = DistanceKm(home.lat, home.lon, dest.lat, dest.lon);
      } else {
        const auto cities = Cities();
        size_t c = rng_.Below(cities.size() - 1);
        if (c >= static_cast<size_t>(p_.city)) ++c;
        destination = std::string(cities[c].name);
        country = "CN";
        km = DistanceKm(home.lat, home.lon, cities[c].lat, cities[c].lon);
      }
      int64_t t = ts;
      if (km > 400 && rng_.Chance(0.85)) {
        const size_t cabin = rng_.Weighted(std::span<const double>(kCabin[income - 1]));
        const double price =
            std::round((200 + 0.55 * km) * kCabinPrice[cabin] * rng_.LogNormal(1, 0.2));
        if (country != "CN") trips_abroad_.push_back({t, destination, country});
        em_.Track(Source::kFliggy, t, "Flight Booked", who, [&](JsonWriter& w) {
          w.Key("origin").String(home.name);
          w.Key("destination").String(destination);
          w.Key("country").String(country);
          w.Key("cabin_class").String(kCabinNames[cabin]);
          w.Key("price").Double(price);
        });
        t += Seconds(60, 3600);
      }
      if (rng_.Chance(0.8) && InWindow(t)) {
        const int nights = static_cast<int>(rng_.Range(1, 5));
        const double price = std::round((150 + 120 * income) * rng_.LogNormal(1, 0.3)) * nights;
        em_.Track(Source::kFliggy, t, "Hotel Booked", who, [&](JsonWriter& w) {
          w.Key("destination").String(destination);
          w.Key("country").String(country);
          w.Key("nights").Int(nights);
          w.Key("price").Double(price);
        });
      }
    }
  }

  // ---- what a trip abroad leads to (README "Cross-domain truth") ----
  // Within three days of booking a flight abroad, a traveller often buys a roaming data pack
  // for the country on taobao and changes money through alipay. Drawn from a stream of their
  // own after everything else of the person, so nothing else in a world changes; each one
  // is a row of follow_ups.csv.
  void FollowUps() {
    for (const TripAbroad& trip : trips_abroad_) {
      const int64_t at = trip.booked_ms + static_cast<int64_t>(urng_.Uniform(1, 72) * kMsPerHour);
      Identity who;
      if (urng_.Chance(0.6) && InWindow(at) && p_.Has(Source::kTaobao) && AppIdentity(Source::kTaobao, at, &who)) {
        const std::string id = "roaming-" + trip.country;
        const double price = 29 + 10 * static_cast<double>(urng_.Below(4));
        em_.Track(Source::kTaobao, at, "Order Completed", who, [&](JsonWriter& w) {
          w.Key("order_id").String(OrderId("TB"));
          w.Key("revenue").Double(price);
          w.Key("currency").String("CNY");
          w.Key("products").BeginArray().BeginObject();
          w.Key("product_id").String(id);
          w.Key("name").String("Roaming data pack " + trip.country);
          w.Key("brand").String("China Mobile");
          w.Key("category").String("travel");
          w.Key("price").Double(price);
          w.Key("quantity").Int(1);
          w.EndObject().EndArray();
        });
        AppendFollowUp(trip, "taobao", "product:" + id, at);
      }
      const int64_t fx_at = trip.booked_ms + static_cast<int64_t>(urng_.Uniform(2, 70) * kMsPerHour);
      if (urng_.Chance(0.5) && InWindow(fx_at) && p_.Has(Source::kAlipay) && AppIdentity(Source::kAlipay, fx_at, &who)) {
        const double amount = std::round(1000 * urng_.LogNormal(1, 0.5));
        em_.Track(Source::kAlipay, fx_at, "Payment Made", who, [&](JsonWriter& w) {
          w.Key("amount").Double(amount);
          w.Key("currency").String("CNY");
          w.Key("counterparty_type").String("merchant");
          w.Key("category").String("currency_exchange");
        });
        AppendFollowUp(trip, "alipay", "merchant:currency_exchange", fx_at);
      }
    }
  }
  void AppendFollowUp(const TripAbroad& trip, std::string_view source, std::string_view item, int64_t at) {
    if (follow_ups_ == nullptr) return;
    fmt::format_to(std::back_inserter(*follow_ups_), "{},{},fliggy:flight:{},{},{}:{},{}\n", p_.id,
                   FormatIso8601Ms(trip.booked_ms), trip.destination, source, source, item, FormatIso8601Ms(at));
  }

  // ---- youku ----
  void VideoSession(int64_t ts, const Identity& who) {
    const size_t genre = rng_.Weighted(std::span<const double>(p_.genre_affinity));
    std::vector<const Video*> titles;
    for (const Video& v : Videos()) {
      if (v.genre == kGenres[genre]) titles.push_back(&v);
    }
    const Video& video = titles.empty() ? Videos()[0] : *titles[rng_.Below(titles.size())];
    int position = static_cast<int>(rng_.Below(video.length_s / 2));
    const int beats = 1 + std::min<int>(static_cast<int>(rng_.Poisson(1.0)), 3);
    int64_t t = ts;
    for (int b = 0; b < beats && InWindow(t); ++b) {
      em_.Track(Source::kYouku, t, "Video Content Playing", who, [&](JsonWriter& w) {
        w.Key("title").String(video.title);
        w.Key("genre").String(video.genre);
        w.Key("position").Int(position);
        w.Key("total_length").Int(video.length_s);
      });
      const int step = static_cast<int>(rng_.Range(300, 900));
      position = std::min(video.length_s, position + step);
      t += static_cast<int64_t>(step) * kMsPerSecond;
    }
  }

  void Youku() {
    const uint32_t n = Count(1.4 * p_.activity);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kEveningHours);
      Identity who;
      if (AppIdentity(Source::kYouku, ts, &who)) VideoSession(ts, who);
    }
  }

  // ---- weibo ----
  void Weibo() {
    const double age_factor = p_.sk.age < 30 ? 1.5 : p_.sk.age < 50 ? 1.0 : 0.6;
    const uint32_t n = Count(2.0 * p_.activity * age_factor);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kEveningHours);
      Identity who;
      if (!AppIdentity(Source::kWeibo, ts, &who)) continue;
      std::vector<std::string_view> topics;
      const int k = 1 + static_cast<int>(rng_.Weighted({0.5, 0.35, 0.15}));
      for (int j = 0; j < k; ++j) {
        std::string_view topic;
        if (rng_.Chance(0.5)) {
          topic = Categories()[PickCategory()].weibo_topics[rng_.Below(2)];
        } else {
          topic = HotTopics()[rng_.Below(HotTopics().size())];
        }
        if (std::find(topics.begin(), topics.end(), topic) == topics.end()) topics.push_back(topic);
      }
      em_.Track(Source::kWeibo, ts, "Post Created", who, [&](JsonWriter& w) {
        w.Key("topics").BeginArray();
        for (std::string_view t : topics) w.String(t);
        w.EndArray();
      });
    }
  }

  // ---- minigame ----
  void Minigame() {
    std::vector<uint32_t> players;
    for (uint32_t f : world_.FriendsOf(p_.index)) {
      const PersonPlan& plan = world_.plan[f];
      if ((plan.apps & Bit(Source::kMinigame)) && !(plan.flags & PersonPlan::kMinimal)) {
        players.push_back(f);
      }
    }
    const uint32_t n = Count(2.5);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kEveningHours);
      Identity who;
      if (!AppIdentity(Source::kMinigame, ts, &who)) continue;
      const uint64_t week = static_cast<uint64_t>(LocalDayOf(ts) / 7);
      std::string invited_by, team_id;
      if (!players.empty() && rng_.Chance(0.7)) {
        const uint32_t f = players[rng_.Below(players.size())];
        invited_by = UserIdFor(Source::kMinigame, f, world_.id_key);
        team_id = "team-" + Hex8(Mix(f, week));
      } else {
        team_id = "team-" + Hex8(Mix(p_.index, week));
      }
      em_.Track(Source::kMinigame, ts, "Team Joined", who, [&](JsonWriter& w) {
        w.Key("team_id").String(team_id);
        if (!invited_by.empty()) w.Key("invited_by").String(invited_by);
      });
    }
  }

  // ---- web ----
  static CookiePeriod* CookieAt(std::vector<CookiePeriod>& cookies, int64_t ts) {
    for (CookiePeriod& c : cookies) {
      if (ts >= c.start_ms && ts < c.end_ms) return &c;
    }
    return cookies.empty() ? nullptr : &cookies.back();
  }

  void WebPages(int64_t ts, const Identity& who) {
    static constexpr std::string_view kPages[] = {"Home",       "Search",  "Product",
                                                  "Promotions", "Account", "Help"};
    static constexpr std::string_view kPaths[] = {"/",           "/search",  "/product",
                                                  "/promotions", "/account", "/help"};
    const int pages = 1 + std::min<int>(static_cast<int>(rng_.Poisson(1.2)), 5);
    int64_t t = ts;
    for (int i = 0; i < pages && InWindow(t); ++i) {
      const size_t pg = i == 0 ? 0 : 1 + rng_.Below(5);
      std::string path(kPaths[pg]);
      std::optional<Product> prod;
      if (pg == 2) {
        const int c = PickCategory();
        prod = PickProduct(Source::kWeb, c, PickBrand(c));
        path += "/" + prod->id;
      }
      em_.Page(Source::kWeb, t, kPages[pg], who,
               [&](JsonWriter& w) { w.Key("path").String(path); });
      if (prod && rng_.Chance(0.6)) {
        em_.Track(Source::kWeb, t + Seconds(1, 20), "Product Viewed", who,
                  [&](JsonWriter& w) { ProductProps(w, *prod); });
      }
      t += Seconds(10, 240);
    }
  }

  void Web(int sessions = -1) {
    if (p_.browsers.empty()) return;
    const uint32_t n = sessions >= 0 ? static_cast<uint32_t>(sessions) : Count(2.0 * p_.activity);
    std::vector<int64_t> times;
    for (uint32_t i = 0; i < n; ++i) times.push_back(RandomTime(kGeneralHours));
    if (p_.web_signup_ms != kAlways && InWindow(p_.web_signup_ms))
      times.push_back(p_.web_signup_ms);
    std::sort(times.begin(), times.end());
    bool signed_up = p_.web_signup_ms == kAlways;
    const std::string& uid = p_.UserId(Source::kWeb);
    for (int64_t ts : times) {
      Browser& br = p_.browsers[rng_.Below(p_.browsers.size())];
      CookiePeriod* cookie = CookieAt(br.cookies, ts);
      if (cookie == nullptr) continue;
      Identity who;
      who.device = &br.context;
      who.SetAnonymous(cookie->id, p_.ledger);
      if (p_.web_account && !signed_up && ts >= p_.web_signup_ms) {
        // Sign-up: the cookie's guest becomes an account.
        who.SetUser(uid, p_.ledger);
        em_.Alias(Source::kWeb, ts, who, cookie->id, p_.ledger);
        Identify(Source::kWeb, ts + kMsPerSecond, who);
        cookie->logged_in = true;
        signed_up = true;
      } else if (p_.web_account && signed_up && cookie->logs_in && !cookie->logged_in &&
                 rng_.Chance(0.6)) {
        who.SetUser(uid, p_.ledger);
        Identify(Source::kWeb, ts, who);
        cookie->logged_in = true;
      }
      if (cookie->logged_in) who.SetUser(uid, p_.ledger);
      WebPages(ts + Seconds(1, 5), who);
    }
  }

  // ---- consent ----
  void ConsentGiven(Source app, int64_t ts) {
    Identity who;
    if (!InWindow(ts) || !AppIdentity(app, ts, &who)) return;
    std::vector<std::string_view> purposes{kPurposes[0]};
    if (rng_.Chance(0.7)) purposes.push_back(kPurposes[1]);
    if (rng_.Chance(0.5)) purposes.push_back(kPurposes[2]);
    if (rng_.Chance(0.2)) purposes.push_back(kPurposes[3]);
    em_.Track(app, ts, "Consent Given", who, [&](JsonWriter& w) {
      w.Key("purposes").BeginArray();
      for (std::string_view s : purposes) w.String(s);
      w.EndArray();
    });
  }

  void Consents() {
    std::vector<Source> apps;
    for (const Install& inst : p_.phones.back().installs) apps.push_back(inst.app);
    if (apps.empty()) return;
    if (rng_.Chance(0.25)) ConsentGiven(apps[rng_.Below(apps.size())], RandomTime(kGeneralHours));
    if (rng_.Chance(0.03)) {
      const Source app = apps[rng_.Below(apps.size())];
      const int64_t ts = RandomTime(kGeneralHours);
      Identity who;
      if (!AppIdentity(app, ts, &who)) return;
      const bool both = rng_.Chance(0.4);
      em_.Track(app, ts, "Consent Withdrawn", who, [&](JsonWriter& w) {
        w.Key("purposes").BeginArray().String("marketing");
        if (both) w.String("third_party");
        w.EndArray();
      });
    }
  }

  // ---- stores ----
  // One row of store_visits.csv (README "Store visit truth").
  void VisitTruth(const Store& store, const Phone& ph, std::string_view mac, bool randomized,
                  std::string_view kind, int64_t arrival, int64_t departure) {
    if (!InWindow(arrival)) return;
    fmt::format_to(std::back_inserter(*store_visits_), "{},{},{}/{},{},{},{},{},{}\n", store.id, p_.id, p_.id,
                   &ph - p_.phones.data(), mac, randomized ? 1 : 0, kind, FormatIso8601Ms(arrival),
                   FormatIso8601Ms(std::min(departure, win_.end_ms - 1)));
  }

  void StoreVisits() {
    const uint32_t n = Count(1.0 * p_.store_affinity);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t d = static_cast<int64_t>(rng_.Below(Days()));
      const int64_t arrival = AtHour(d, kStoreHours);
      const bool at_work = !p_.work_stores.empty() && !IsWeekend(d) && rng_.Chance(0.35);
      const std::vector<int>& pool = at_work ? p_.work_stores : p_.home_stores;
      if (pool.empty()) continue;
      const int store_index = pool[rng_.Below(pool.size())];
      const Store& store = world_.stores[store_index];
      const ForeignStore* fs = foreign_ != nullptr ? &foreign_->stores[store_index] : nullptr;
      Phone* ph = PhoneAt(arrival);
      const double u = rng_.Uniform();
      const double dwell_min = u < 0.25  ? rng_.Uniform(2, 6)
                               : u < 0.8 ? rng_.Uniform(10, 40)
                                         : rng_.Uniform(40, 120);
      const auto dwell = static_cast<int64_t>(dwell_min * kMsPerMinute);
      uint64_t mac48;
      EntityLedger* owner;
      if (ph->randomizes_mac) {
        mac48 = RandomizedMac(rng_);
        owner = nullptr;  // a per-visit MAC identifies no one
        ++counters_->randomized_macs;
      } else {
        mac48 = ph->mac48;
        owner = p_.ledger;
        ph->seen_by_wifi = true;
      }
      const std::string mac = FormatMac(mac48, fs ? fs->visitor_format : store.sensor_format);
      VisitTruth(store, *ph, mac, ph->randomizes_mac, "visit", arrival, arrival + dwell);
      Identity who;
      who.SetAnonymous(mac, owner);
      who.AddExternal(ExternalId{"mac", mac, IdType::kMac, Source::kTaobao, owner});
      Identity sensor_who;  // foreign shapes: anonymousId = the sensor's own id
      auto probe = [&](int64_t ts, const Sensor& sensor, int rssi) {
        if (!InWindow(ts)) return;
        const Identity* pwho = &who;
        if (fs != nullptr && fs->sensor_anon) {
          const size_t k = static_cast<size_t>(&sensor - store.sensors.data());
          sensor_who = who;
          sensor_who.SetAnonymous(fs->sensor_ids[k], fs->sensor_ledgers[k]);
          pwho = &sensor_who;
        }
        em_.Track(Source::kStoreWifi, ts, "Probe Seen", *pwho, [&](JsonWriter& w) {
          w.Key("store_id").String(store.id);
          w.Key("sensor_id").String(sensor.id);
          w.Key("zone").String(sensor.zone);
          w.Key("rssi").Int(rssi);
        });
      };
      auto inner_sensor = [&](Rng& r) -> const Sensor& {
        return store.sensors.size() > 1 ? store.sensors[1 + r.Below(store.sensors.size() - 1)] : store.sensors[0];
      };
      probe(arrival, store.sensors[0], static_cast<int>(rng_.Range(-78, -55)));
      const int zone_probes = 1 + std::min(3, static_cast<int>(dwell_min / 25));
      std::vector<int64_t> times;
      for (int z = 0; z < zone_probes; ++z) {
        times.push_back(arrival + static_cast<int64_t>(rng_.Uniform(0.05, 0.95) * dwell));
      }
      std::sort(times.begin(), times.end());
      for (int64_t t : times) probe(t, inner_sensor(rng_), static_cast<int>(rng_.Range(-88, -45)));
      if (dwell_min > 4 && rng_.Chance(0.4)) {
        probe(arrival + dwell, store.sensors[0], static_cast<int>(rng_.Range(-82, -60)));
      }
      // The phone's background scans while in the store: a probe burst every 2 to 8 minutes
      // (a sensor reports a burst as one sighting), sometimes too weak to pass the threshold.
      for (int64_t t = arrival + static_cast<int64_t>(srng_.Uniform(2, 8) * kMsPerMinute); t < arrival + dwell;
           t += static_cast<int64_t>(srng_.Uniform(2, 8) * kMsPerMinute)) {
        const Sensor& s = inner_sensor(srng_);
        probe(t, s, static_cast<int>(srng_.Range(-84, -48)));
      }
      if (fs != nullptr) InStore(store, *fs, ph, arrival, dwell);

      // The taobao app's beacon SDK, when Bluetooth is on and the user is logged in.
      Install* tb = ph->Find(Source::kTaobao);
      const bool tb_logged_in = tb != nullptr && tb->login_ms != kNever && arrival >= tb->login_ms;
      if (tb_logged_in && p_.bluetooth && !store.beacons.empty()) {
        Identity bwho;
        bwho.SetUser(p_.UserId(Source::kTaobao), p_.ledger);
        bwho.device = &ph->beacon_context;
        const int sightings = static_cast<int>(rng_.Range(1, 2));
        for (int b = 0; b < sightings; ++b) {
          const int64_t t = arrival + static_cast<int64_t>(rng_.Uniform(0.1, 0.9) * dwell);
          if (!InWindow(t)) continue;
          const Sensor& beacon = store.beacons[rng_.Below(store.beacons.size())];
          const int rssi = static_cast<int>(rng_.Range(-90, -50));
          em_.Track(Source::kStoreBeacon, t, "Beacon Seen", bwho, [&](JsonWriter& w) {
            w.Key("store_id").String(store.id);
            w.Key("beacon_id").String(beacon.id);
            w.Key("zone").String(beacon.zone);
            w.Key("rssi").Int(rssi);
          });
        }
      }
      if (tb_logged_in && rng_.Chance(0.08)) {
        const int64_t t = arrival + dwell / 2;
        Identity cwho;
        if (InWindow(t) && AppIdentity(Source::kTaobao, t, &cwho)) {
          const Campaign& camp = Campaigns()[rng_.Below(Campaigns().size())];
          em_.Track(Source::kTaobao, t, "Coupon Redeemed", cwho, [&](JsonWriter& w) {
            w.Key("coupon_id").String(fmt::format("cp-{}-{}", camp.id, rng_.Range(1, 20)));
            w.Key("campaign").String(camp.name);
            w.Key("store_id").String(store.id);
          });
        }
      }
    }
  }

  // People walking past a store near home or work without going in: a probe or three at the
  // entrance sensor within a minute and a half, too weak for the visit threshold.
  void PassBys() {
    const uint32_t n = srng_.Poisson(1.5 * p_.store_affinity * win_.scale);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t d = static_cast<int64_t>(srng_.Below(Days()));
      const int64_t at = AtHour(d, kStoreHours, &srng_);
      const bool at_work = !p_.work_stores.empty() && !IsWeekend(d) && srng_.Chance(0.5);
      const std::vector<int>& pool = at_work ? p_.work_stores : p_.home_stores;
      if (pool.empty()) continue;
      const int store_index = pool[srng_.Below(pool.size())];
      const Store& store = world_.stores[store_index];
      const ForeignStore* fs = foreign_ != nullptr ? &foreign_->stores[store_index] : nullptr;
      if (fs != nullptr && fs->sensor_anon) continue;
      Phone* ph = PhoneAt(at);
      const uint64_t mac48 = ph->randomizes_mac ? RandomizedMac(srng_) : ph->mac48;
      EntityLedger* owner = ph->randomizes_mac ? nullptr : p_.ledger;
      if (ph->randomizes_mac) {
        ++counters_->randomized_macs;
      } else {
        ph->seen_by_wifi = true;
      }
      const std::string mac = FormatMac(mac48, fs ? fs->visitor_format : store.sensor_format);
      Identity who;
      who.SetAnonymous(mac, owner);
      who.AddExternal(ExternalId{"mac", mac, IdType::kMac, Source::kTaobao, owner});
      const int probes = 1 + static_cast<int>(srng_.Below(3));
      int64_t last = at;
      for (int k = 0; k < probes; ++k) {
        const int64_t t = at + static_cast<int64_t>(srng_.Uniform(0, 1.5) * kMsPerMinute);
        const int rssi = static_cast<int>(srng_.Range(-95, -72));
        if (!InWindow(t)) continue;
        last = std::max(last, t);
        em_.Track(Source::kStoreWifi, t, "Probe Seen", who, [&](JsonWriter& w) {
          w.Key("store_id").String(store.id);
          w.Key("sensor_id").String(store.sensors[0].id);
          w.Key("zone").String(store.sensors[0].zone);
          w.Key("rssi").Int(rssi);
        });
      }
      VisitTruth(store, *ph, mac, ph->randomizes_mac, "pass", at, last);
    }
  }

  // ---- foreign shapes (README "Foreign shapes"); randomness from frng_ only ----
  // Adds context.ip, an office BSSID, the courier's or the call centre's phone to the messages
  // of this person's phones.
  void Extras(Source source, int64_t ts, std::string_view type, std::string_view event,
              const Identity& who, ContextExtras* x) override {
    if (Index(source) >= kNumApps || who.device == nullptr) return;
    bool own_phone = false;
    for (const Phone& ph : p_.phones) own_phone = own_phone || who.device == &ph.context;
    if (!own_phone) return;  // tablets, kiosks, POS terminals, browsers
    const int64_t d = LocalDayOf(ts);
    const int64_t hour = ((ts + kLocalOffsetMs) % kMsPerDay) / kMsPerHour;
    const int32_t office = foreign_->office_of[p_.index];
    std::string_view ip;
    EntityLedger* ip_owner = nullptr;
    if (office >= 0 && p_.works && !IsWeekend(d) && hour >= 9 && hour < 18) {
      const Office& o = foreign_->offices[office];
      ip = o.ip;
      ip_owner = o.ledger;
      x->AddExternal(ExternalId{o.bssid_type, o.bssid, o.bssid_truth, Source::kTaobao, o.ledger});
    } else if ((hour >= 19 || hour < 8 || IsWeekend(d)) && frng_.Chance(0.8)) {
      ip = foreign_->home_ip;
      ip_owner = &foreign_->home_ip_ledger;
    } else {
      const std::vector<NatIp>& nats = foreign_->nat_by_city[p_.city];
      const NatIp& nat = nats[frng_.Below(nats.size())];
      ip = nat.ip;
      ip_owner = nat.ledger;
    }
    x->ip = ip;
    if (source == Source::kAlipay) {
      x->AddExternal(ExternalId{"ip", ip, IdType::kIp, Source::kTaobao, ip_owner});
    }
    if (type != "track" || event != "Order Completed") return;
    if (source == Source::kEleme && foreign_->courier_of[p_.index] >= 0) {
      const Courier& c = foreign_->couriers[foreign_->courier_of[p_.index]];
      x->traits_phone = c.phone;
      x->traits_phone_owner = c.ledger;
    } else if ((source == Source::kTaobao || source == Source::kTmall) && frng_.Chance(0.04)) {
      x->traits_phone = source == Source::kTaobao ? foreign_->callcentre_phone_plain
                                                  : foreign_->callcentre_phone_intl;
      x->traits_phone_owner = foreign_->callcentre;
      ++foreign_->callcentre_orders;
    }
  }

  // A store visit of a foreign-shapes world: maybe an order at a POS terminal, maybe staff
  // logging a QA account into the visitor's taobao app (a store promotion).
  void InStore(const Store& store, const ForeignStore& fs, Phone* ph, int64_t arrival,
               int64_t dwell) {
    if (p_.Has(Source::kTaobao) && !p_.sk.minimal && frng_.Chance(fs.order_rate)) {
      const int64_t ts = arrival + dwell * 9 / 10;
      const size_t k = frng_.Below(fs.pos_ids.size());
      if (InWindow(ts)) {
        Identity who;
        who.SetUser(p_.UserId(Source::kTaobao), p_.ledger);
        if (fs.pos_as_device) {
          who.device = &fs.pos_contexts[k];
        } else {
          who.AddExternal(ExternalId{"pos_terminal_id", fs.pos_ids[k], IdType::kPosTerminal,
                                     Source::kTaobao, fs.pos_ledgers[k]});
        }
        const int category = static_cast<int>(frng_.Below(kNumCategories));
        const int brand = static_cast<int>(frng_.Below(kBrandsPerCategory));
        const int item = static_cast<int>(frng_.Below(kProductsPerBrand));
        const Category& cat = Categories()[category];
        const double price = PriceAt(cat, ProductQuantile(category, brand, item));
        const int quantity = frng_.Chance(0.8) ? 1 : 2;
        const std::string order_id =
            fmt::format("PS{:013}", Permute(p_.index * 4096 + (pos_counter_++ & 4095),
                                            10000000000000ULL, Mix(world_.id_key, 0x705)));
        em_.Track(Source::kTaobao, ts, "Order Completed", who, [&](JsonWriter& w) {
          w.Key("order_id").String(order_id);
          w.Key("revenue").Double(Round2(price * quantity));
          w.Key("currency").String("CNY");
          w.Key("store_id").String(store.id);
          w.Key("channel").String("in_store");
          w.Key("products").BeginArray().BeginObject();
          w.Key("product_id").String(fmt::format("tb{}{}{:03}", category, brand, item));
          w.Key("brand").String(cat.brands[brand]);
          w.Key("category").String(cat.name);
          w.Key("price").Double(price);
          w.Key("quantity").Int(quantity);
          w.EndObject().EndArray();
        });
        ++foreign_->in_store_orders;
      }
    }
    Install* tb = ph->Find(Source::kTaobao);
    if (tb == nullptr) return;
    for (const QaAccount& qa : foreign_->qa) {
      if (!frng_.Chance(qa.rate)) continue;
      const int64_t ts = arrival + dwell / 3;
      if (!InWindow(ts)) return;
      Identity who;
      who.SetUser(qa.user_id, qa.ledger);
      who.SetAnonymous(tb->anon_id, p_.ledger);
      who.device = &ph->context;
      em_.Identify(Source::kTaobao, ts, who, {}, {}, nullptr);
      em_.Track(Source::kTaobao, ts + frng_.Range(5, 60) * kMsPerSecond, "Promotion Clicked", who,
                [&](JsonWriter& w) {
                  w.Key("promotion_id").String(fmt::format("instore-{}", store.id));
                  w.Key("store_id").String(store.id);
                });
      ++foreign_->qa_logins;
      return;
    }
  }

  // A member of a family-e-mail household puts the family address in an identify of one of
  // their apps (members differ in the app they use).
  void FamilyEmail() {
    if (foreign_->family_email.empty() || !(foreign_->family_members & (1u << p_.member))) return;
    static constexpr Source kApps[] = {Source::kAlipay, Source::kTaobao, Source::kFliggy,
                                       Source::kWeibo,  Source::kYouku,  Source::kEleme,
                                       Source::kAmap,   Source::kWeb};
    const int rank = std::popcount(static_cast<unsigned>(foreign_->family_members &
                                                         ((1u << p_.member) - 1)));
    for (int attempt = 0; attempt < 8; ++attempt) {
      const Source app = kApps[(rank + attempt) % std::size(kApps)];
      if (!p_.Has(app) || app == Source::kWeb) continue;
      for (int tries = 0; tries < 3; ++tries) {
        const int64_t ts = AtHour(static_cast<int64_t>(frng_.Below(Days())), kEveningHours,
                                  &frng_);
        Identity who;
        if (!AppIdentity(app, ts, &who) || who.user_id.empty()) continue;
        em_.Identify(app, ts, who, foreign_->family_email, {}, &foreign_->family_ledger);
        foreign_->family_senders |= static_cast<uint8_t>(1u << p_.member);
        return;
      }
    }
  }

  // ---- shared devices ----
  void TabletUse() {
    Tablet& tab = hh_.tablet;
    Identity who;
    who.SetUser(p_.UserId(Source::kTaobao), p_.ledger);
    who.SetAnonymous(tab.taobao_anon, &tab.ledger);
    who.device = &tab.context;
    if (tab.sends_mac) {
      who.AddExternal(ExternalId{"mac", tab.mac_text, IdType::kMac, Source::kTaobao, &tab.ledger});
    }
    const uint32_t n = 1 + Count(2.0);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kEveningHours);
      if (i == 0 || rng_.Chance(0.4)) Identify(Source::kTaobao, ts, who);
      ShopSession(Source::kTaobao, ts + Seconds(3, 30), who);
    }
    if (p_.Has(Source::kYouku) && !tab.youku_anon.empty()) {
      Identity ywho;
      ywho.SetUser(p_.UserId(Source::kYouku), p_.ledger);
      ywho.SetAnonymous(tab.youku_anon, &tab.ledger);
      ywho.device = &tab.context;
      const uint32_t m = Count(1.5);
      for (uint32_t i = 0; i < m; ++i) {
        const int64_t ts = RandomTime(kEveningHours);
        em_.Identify(Source::kYouku, ts, ywho, {}, {}, nullptr);
        VideoSession(ts + Seconds(3, 30), ywho);
      }
    }
  }

  void KioskUse() {
    Kiosk& k = world_.kiosks[p_.kiosk];
    const uint32_t n = 1 + Count(1.2);
    bool used = false;
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t ts = RandomTime(kDaytimeHours);
      const bool web_ok = p_.web_account && (p_.web_signup_ms == kAlways || ts >= p_.web_signup_ms);
      if (web_ok && rng_.Chance(0.4)) {
        CookiePeriod* cookie = CookieAt(k.cookies, ts);
        if (cookie == nullptr) continue;
        static const DeviceContext kPcBrowser{{}, {}, "pc", false, nullptr};
        Identity who;
        who.SetUser(p_.UserId(Source::kWeb), p_.ledger);
        who.SetAnonymous(cookie->id, &k.ledger);
        who.device = &kPcBrowser;
        Identify(Source::kWeb, ts, who);
        WebPages(ts + Seconds(2, 20), who);
      } else {
        Identity who;
        who.SetUser(p_.UserId(Source::kTaobao), p_.ledger);
        who.SetAnonymous(k.taobao_anon, &k.ledger);
        who.device = &k.context;
        Identify(Source::kTaobao, ts, who);
        ShopSession(Source::kTaobao, ts + Seconds(3, 30), who);
      }
      used = true;
    }
    if (used) {
      ++k.users;
      ++counters_->kiosk_users;
    }
  }

  // Everyone in the population shows up at least once: one session in their first app.
  void LeaveAFootprint() {
    const int64_t ts = RandomTime(kGeneralHours);
    const Phone* ph = PhoneAt(ts);
    if (ph->installs.empty()) {
      Web(1);
      return;
    }
    const Source app = ph->installs.front().app;
    Identity who;
    if (!AppIdentity(app, ts, &who)) return;
    switch (app) {
      case Source::kTaobao:
      case Source::kTmall:
        ShopSession(app, ts, who);
        break;
      case Source::kYouku:
        VideoSession(ts, who);
        break;
      case Source::kAmap:
        Trip(ts, hh_.home_lat, hh_.home_lon, world_.stores[p_.home_stores[0]].lat,
             world_.stores[p_.home_stores[0]].lon);
        break;
      case Source::kAlipay:
        Payment(ts, true, 30 * rng_.LogNormal(1, 0.5), "merchant", "groceries");
        break;
      default:
        ConsentGiven(app, ts);
        break;
    }
  }

  // ---- statistics ----
  void Tally() {
    for (const Phone& ph : p_.phones) {
      ++counters_->phones;
      if (ph.ad_limited) ++counters_->placeholder_ad_id_phones;
      if (ph.randomizes_mac) ++counters_->randomizing_phones;
      if (ph.seen_by_wifi) {
        ++counters_->wifi_macs_seen;
        if (ph.mac_sent_online) ++counters_->wifi_macs_linked;
      }
    }
    if (p_.sk.minimal) ++counters_->isolated_persons;
    for (int a = 0; a < kNumApps; ++a) {
      if (p_.Has(static_cast<Source>(a))) ++counters_->accounts_by_app[a];
    }
  }

  World& world_;
  Household& hh_;
  Person& p_;
  Emitter& em_;
  SimCounters* counters_;
  Rng rng_;
  const Window& win_;
  const int64_t start_day_;
  const NoiseRates noise_;
  uint64_t order_counter_ = 0;
  ForeignWorld* foreign_;  // null unless foreign shapes
  Rng frng_;               // foreign shapes' randomness (Stream::kForeignEvents)
  Rng srng_;               // in-store probe cadence and passers-by (Stream::kStoreProbes)
  std::string* store_visits_;  // store_visits.csv rows
  Rng urng_;                   // the follow-ups of trips abroad (their own stream)
  std::string* follow_ups_;    // follow_ups.csv rows
  std::vector<TripAbroad> trips_abroad_;
  uint64_t pos_counter_ = 0;
  // Every shopping session's start and whether it could end in an order (logged in).
  struct SessionLog {
    int64_t ts;
    bool can_buy;
  };
  std::vector<SessionLog> sessions_;
};

}  // namespace

void SimulateQaDevices(World& world, Emitter& emitter) {
  ForeignWorld& fw = *world.foreign;
  const Window& win = world.window;
  for (size_t d = 0; d < fw.qa_devices.size(); ++d) {
    QaDevice& dev = fw.qa_devices[d];
    Rng rng = Rng::For(world.seed, Stream::kForeignPlan, 1000 + d);
    for (size_t a = 0; a < fw.qa.size(); ++a) {
      // Every account is tested on two of the four devices; the last one only there.
      if ((a + d) % 2 != 0) continue;
      const QaAccount& qa = fw.qa[a];
      Identity who;
      who.SetUser(qa.user_id, qa.ledger);
      who.SetAnonymous(dev.taobao_anon, dev.ledger);
      who.device = &dev.context;
      const int sessions = static_cast<int>(rng.Range(2, 6));
      for (int k = 0; k < sessions; ++k) {
        const int64_t ts = win.start_ms + static_cast<int64_t>(rng.Below(
                                              static_cast<uint64_t>(win.end_ms - win.start_ms - kMsPerHour)));
        emitter.Identify(Source::kTaobao, ts, who, {}, {}, nullptr);
        const int category = static_cast<int>(rng.Below(kNumCategories));
        const int brand = static_cast<int>(rng.Below(kBrandsPerCategory));
        const Category& cat = Categories()[category];
        emitter.Track(Source::kTaobao, ts + 30 * kMsPerSecond, "Product Viewed", who,
                      [&](JsonWriter& w) {
                        w.Key("product_id").String(fmt::format("tb{}{}000", category, brand));
                        w.Key("brand").String(cat.brands[brand]);
                        w.Key("category").String(cat.name);
                      });
      }
    }
  }
}

void SimulateHousehold(World& world, Household& hh, Emitter& emitter, SimCounters* counters,
                       std::string* store_visits, std::string* follow_ups) {
  for (Person& p : hh.members) {
    PersonSim sim(world, hh, p, emitter, counters, store_visits, follow_ups);
    sim.Run();
  }
}

}  // namespace holo::generate
