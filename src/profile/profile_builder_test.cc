#include "profile/profile_builder.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <random>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "profile/profile_store.h"

namespace holo::profile {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;

// UTC ms of a local (UTC+8) wall-clock time.
int64_t Local(int64_t y, unsigned m, unsigned d, double hour) {
  return DaysFromCivil(y, m, d) * kDay + static_cast<int64_t>(hour * kHour) - 8 * kHour;
}
// 2026-11-01 00:00 UTC; 2026-10-26..30 are Monday..Friday, 10-31 a Saturday.
const int64_t kNow = DaysFromCivil(2026, 11, 1) * kDay;

storage::EventRecord Event(std::string name, int64_t ts, std::string props,
                           std::string source = "taobao") {
  storage::EventRecord e;
  e.msg_type = 2;
  e.event = std::move(name);
  e.timestamp_ms = ts;
  e.properties_json = std::move(props);
  e.source = std::move(source);
  return e;
}

storage::EventRecord Identify(int64_t ts, std::string traits, std::string source = "taobao") {
  storage::EventRecord e = Event("", ts, std::move(traits), std::move(source));
  e.msg_type = 1;
  return e;
}

// A parsed profile; Trait() returns a trait's value as minified JSON ("missing" when absent).
class Profile {
 public:
  explicit Profile(std::string json) : json_(std::move(json)) {
    EXPECT_EQ(parser_.parse(json_).get(root_), simdjson::SUCCESS) << json_;
  }
  std::string Get(std::string_view a, std::string_view b = {}) const {
    simdjson::dom::element e;
    if (root_[a].get(e) != simdjson::SUCCESS) return "missing";
    if (!b.empty() && e[b].get(e) != simdjson::SUCCESS) return "missing";
    return simdjson::minify(e);
  }
  std::string Trait(std::string_view name) const { return Get("traits", name); }
  std::string Meta(std::string_view name) const { return Get("trait_meta", name); }
  double Confidence(std::string_view name) const {
    simdjson::dom::element e;
    double d = -1;
    if (root_["trait_meta"][name]["confidence"].get(e) == simdjson::SUCCESS) {
      if (e.get_double().get(d) != simdjson::SUCCESS) d = static_cast<double>(e.get_int64().value());
    }
    return d;
  }
  const std::string& json() const { return json_; }

 private:
  std::string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

// The profile as readers see it: ToJson, then each computed trait appended to "traits" (its
// default without a contributing event) and its meta to "trait_meta", as
// ComputedTraitReader joins the stored columns (profile_store_test checks the real join).
Profile Build(const std::vector<storage::EventRecord>& events,
              const std::vector<AggregateSpec>* computed = nullptr) {
  ProfileAccumulator acc(computed);
  for (const auto& e : events) acc.Add(e, kNow);
  std::string json = acc.ToJson(42, {{"user_id@taobao", "00ff"}}, kNow);
  if (computed == nullptr) return Profile(json);
  std::string traits, metas;
  for (const AggregateSpec* spec : StoredComputedTraits(*computed)) {
    const ComputedTraitAccumulator* a = acc.computed(static_cast<size_t>(spec - computed->data()));
    const bool held = a != nullptr && a->events() > 0;
    std::string name;
    JsonWriter(&name).String(spec->TraitName());
    traits += "," + name + ":" + (held ? a->ValueJson() : std::string(DefaultValueJson(*spec)));
    if (!held) continue;
    metas += "," + name + ":{\"sources\":[";
    for (size_t i = 0; i < a->sources().size(); ++i) metas += (i ? ",\"" : "\"") + a->sources()[i] + "\"";
    metas += "],\"events\":" + std::to_string(a->events()) + ",\"confidence\":1}";
  }
  const size_t meta_end = json.find("},\"completeness\":");
  json.insert(meta_end, json[meta_end - 1] == '{' && !metas.empty() ? metas.substr(1) : metas);
  const size_t traits_end = json.find("},\"trait_meta\":");
  json.insert(traits_end, traits);
  return Profile(json);
}

TEST(ProfileBuilderTest, SpendWindowsCategoriesAndCity) {
  const int64_t now = kNow;
  std::vector<storage::EventRecord> events = {
      Event("Order Completed", now - 10 * kDay,
            R"({"revenue":1200.5,"products":[{"brand":"Anta","category":"sports","price":600,"quantity":2}],
                "shipping_address":{"city":"Hangzhou"}})"),
      Event("Order Completed", now - 200 * kDay,
            R"({"revenue":300,"products":[{"brand":"Li-Ning","category":"sports"}],
                "shipping_address":{"city":"上海市"}})"),
      Event("Product Viewed", now - 1 * kDay, R"({"brand":"Lancome","category":"beauty"})"),
      Event("Trip Completed", now - 2 * kDay, R"({"mode":"subway"})", "amap"),
      Event("Order Completed", now - 3 * kDay, "not json"),  // tolerated, counted as event
  };
  ProfileAccumulator acc;
  for (const auto& e : events) acc.Add(e, now);
  EXPECT_EQ(acc.events(), 5u);
  Profile p(acc.ToJson(42, {{"user_id@taobao", "00ff"}}, now));
  EXPECT_EQ(p.Get("oneid"), R"("42")");
  EXPECT_EQ(p.Get("sources"), R"(["amap","taobao"])");
  EXPECT_EQ(p.Get("identifiers"), R"({"user_id@taobao":["00ff"]})");
  EXPECT_EQ(p.Trait("order_count"), "2");
  EXPECT_EQ(p.Trait("total_spend"), "1500.5");
  EXPECT_EQ(p.Trait("spend_90d"), "1200.5");
  EXPECT_EQ(p.Trait("spending_power"), "2");
  EXPECT_EQ(p.Trait("top_categories"), R"(["sports","beauty"])");
  EXPECT_EQ(p.Trait("top_category"), R"("sports")");
  EXPECT_EQ(p.Trait("top_brands"), R"(["Anta","Lancome","Li-Ning"])");
  // One order each: the tie goes to the smaller name; "上海市" is normalised to Shanghai.
  EXPECT_EQ(p.Trait("city"), R"("Hangzhou")");
  EXPECT_EQ(p.Meta("order_count"), R"({"sources":["taobao"],"events":2,"confidence":1})");
  EXPECT_EQ(p.Meta("spend_90d"), R"({"sources":["taobao"],"events":1,"confidence":1})");
}

TEST(ProfileBuilderTest, RecencyDecayOutweighsOldVolume) {
  // Three old orders of books (90 days: weight 3 * 2^-3 each) against two recent views of
  // beauty (weight 1 each): 1.125 < ~2.
  std::vector<storage::EventRecord> events;
  for (int i = 0; i < 3; ++i) {
    events.push_back(Event("Order Completed", kNow - 90 * kDay,
                           R"({"revenue":10,"products":[{"category":"books","brand":"B"}]})"));
  }
  events.push_back(Event("Product Viewed", kNow - kHour, R"({"category":"beauty","brand":"L"})"));
  events.push_back(Event("Product Viewed", kNow - kHour, R"({"category":"beauty","brand":"L"})"));
  // Food delivery does not shape retail affinity.
  events.push_back(Event("Order Completed", kNow - kHour,
                         R"({"revenue":30,"products":[{"category":"coffee","brand":"Luckin"}]})",
                         "eleme"));
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("top_categories"), R"(["beauty","books"])");
  EXPECT_EQ(p.Trait("top_brand"), R"("L")");
  EXPECT_EQ(p.Trait("order_count"), "4");
}

TEST(ProfileBuilderTest, HomeWorkAndCommuteFromTrips) {
  const std::string home = R"({"lat":30.27412,"lon":120.15511})";
  const std::string work = R"({"lat":30.20871,"lon":120.21002})";
  auto trip = [](int64_t ts, const std::string& from, const std::string& to, const char* mode) {
    return Event("Trip Completed", ts,
                 std::string(R"({"mode":")") + mode + R"(","from":)" + from + R"(,"to":)" + to + "}",
                 "amap");
  };
  std::vector<storage::EventRecord> events;
  for (unsigned d = 26; d <= 28; ++d) {
    events.push_back(trip(Local(2026, 10, d, 8.2), home, work, "subway"));
    events.push_back(trip(Local(2026, 10, d, 18.5), work, home, d == 28 ? "taxi" : "bus"));
  }
  // Saturday afternoon: from home to somewhere else.
  events.push_back(trip(Local(2026, 10, 31, 14), home, R"({"lat":30.3,"lon":120.1})", "walk"));
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("home_area"), R"("30.27,120.16")");
  EXPECT_EQ(p.Trait("work_area"), R"("30.21,120.21")");
  EXPECT_EQ(p.Trait("commute_mode"), R"("public_transport")");
  EXPECT_EQ(p.Trait("home_city"), R"("Hangzhou")");  // nearest known city, no shipping
  EXPECT_EQ(p.Trait("city"), "null");
  EXPECT_GT(p.Confidence("home_area"), 0.8);
  EXPECT_LT(p.Confidence("home_area"), 1.0);

  // A single evening trip: a home, but no workplace, so no commute.
  Profile one = Build({trip(Local(2026, 10, 27, 20), work, home, "car")});
  EXPECT_EQ(one.Trait("home_area"), R"("30.27,120.16")");
  EXPECT_EQ(one.Trait("work_area"), "null");
  EXPECT_EQ(one.Trait("commute_mode"), "null");
  EXPECT_LT(one.Confidence("home_area"), p.Confidence("home_area"));
}

TEST(ProfileBuilderTest, TravelTripsClassAndStyle) {
  std::vector<storage::EventRecord> events = {
      Event("Flight Booked", kNow - 20 * kDay,
            R"({"destination":"Tokyo","country":"JP","cabin_class":"business","price":9000})",
            "fliggy"),
      Event("Hotel Booked", kNow - 20 * kDay + kHour,
            R"({"destination":"Tokyo","country":"JP","nights":2,"price":1600})", "fliggy"),
      Event("Hotel Booked", kNow - 50 * kDay,
            R"({"destination":"Xiamen","country":"CN","nights":1,"price":500})", "fliggy"),
      Event("Flight Booked", kNow - 70 * kDay,
            R"({"destination":"Chengdu","country":"CN","cabin_class":"economy","price":900})",
            "fliggy"),
  };
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("travel_international_trips"), "1");
  EXPECT_EQ(p.Trait("travel_domestic_trips"), "2");
  EXPECT_EQ(p.Trait("travel_style"), R"("international")");
  EXPECT_EQ(p.Trait("travel_class"), R"("premium")");  // 1 of 2 flights premium or better

  Profile none = Build({Event("Product Viewed", kNow, R"({"category":"books"})")});
  EXPECT_EQ(none.Trait("travel_style"), R"("none")");
  EXPECT_EQ(none.Trait("travel_class"), "null");
  EXPECT_EQ(none.Meta("travel_style"), "missing");  // a default, backed by no event
}

TEST(ProfileBuilderTest, SalaryUtilitiesAndFamilyCard) {
  std::vector<storage::EventRecord> events;
  // Local day 15 each month; in October the UTC date is still the 14th.
  events.push_back(Event("Payment Received", Local(2026, 8, 15, 9.5),
                         R"({"amount":12000,"counterparty_type":"employer","category":"salary"})",
                         "alipay"));
  events.push_back(Event("Payment Received", Local(2026, 9, 15, 10),
                         R"({"amount":12500,"counterparty_type":"employer"})", "alipay"));
  events.push_back(Event("Payment Received", Local(2026, 10, 15, 1),
                         R"({"amount":12000,"counterparty_type":"employer"})", "alipay"));
  events.push_back(Event("Payment Made", Local(2026, 10, 3, 12),
                         R"({"amount":180,"counterparty_type":"utility","category":"electricity"})",
                         "alipay"));
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("salary_day"), "15");
  EXPECT_EQ(p.Trait("salary_band"), R"("10k-20k")");
  EXPECT_EQ(p.Trait("pays_utilities"), "true");
  EXPECT_EQ(p.Trait("family_card_user"), "false");
  EXPECT_EQ(p.Trait("spending_power"), "3");  // salary 12000/month
  EXPECT_EQ(p.Meta("pays_utilities"), R"({"sources":["alipay"],"events":1,"confidence":1})");

  // A mobile top-up is not a household utility bill; a family-card payment makes a user.
  Profile dep = Build({Event("Payment Made", kNow - kDay,
                             R"({"amount":50,"counterparty_type":"utility","category":"mobile"})",
                             "alipay"),
                       Event("Payment Made", kNow - kDay,
                             R"({"amount":70,"counterparty_type":"family_card"})", "alipay")});
  EXPECT_EQ(dep.Trait("pays_utilities"), "false");
  EXPECT_EQ(dep.Trait("family_card_user"), "true");
  EXPECT_EQ(dep.Trait("salary_band"), "null");
  // Without any payment these are unknown.
  Profile none = Build({});
  EXPECT_EQ(none.Trait("pays_utilities"), "null");
  EXPECT_EQ(none.Trait("spending_power"), "null");
}

TEST(ProfileBuilderTest, ConsentLatestEventWinsPerPurpose) {
  std::vector<storage::EventRecord> events = {
      Event("Consent Given", kNow - 10 * kDay, R"({"purposes":["marketing","analytics"]})"),
      Event("Consent Withdrawn", kNow - 5 * kDay, R"({"purposes":["marketing"]})"),
      Event("Consent Given", kNow - 20 * kDay, R"({"purposes":["third_party"]})"),
      Event("Consent Withdrawn", kNow - 30 * kDay, R"({"purposes":["third_party"]})"),
  };
  std::mt19937 rng(3);
  for (int round = 0; round < 4; ++round) {
    Profile p = Build(events);
    EXPECT_EQ(p.Trait("consent_marketing"), "false");
    EXPECT_EQ(p.Trait("consent_analytics"), "true");
    EXPECT_EQ(p.Trait("consent_third_party"), "true");
    EXPECT_EQ(p.Trait("consent_personalization"), "false");  // never given
    EXPECT_EQ(p.Meta("consent_personalization"), "missing");
    std::shuffle(events.begin(), events.end(), rng);
  }
}

TEST(ProfileBuilderTest, TrendingInterestsAgainstOwnBaseline) {
  std::vector<storage::EventRecord> events;
  for (int i = 0; i < 6; ++i) {
    events.push_back(Event("Post Created", kNow - (60 + i) * kDay, R"({"topics":["food"]})", "weibo"));
  }
  events.push_back(Event("Post Created", kNow - 2 * kDay, R"({"topics":["ai","food"]})", "weibo"));
  events.push_back(Event("Post Created", kNow - 1 * kDay, R"({"topics":["ai"]})", "weibo"));
  events.push_back(Event("Video Content Playing", kNow - kDay, R"({"genre":"anime"})", "youku"));
  events.push_back(Event("Video Content Playing", kNow - kDay, R"({"genre":"anime"})", "youku"));
  events.push_back(Event("Video Content Playing", kNow - 2 * kDay, R"({"genre":"drama"})", "youku"));
  Profile p = Build(events);
  // "food" was posted most, but less now than usual: not trending.
  EXPECT_EQ(p.Trait("trending_interests"), R"(["ai"])");
  EXPECT_EQ(p.Trait("video_genres"), R"(["anime","drama"])");
}

TEST(ProfileBuilderTest, DemographicsFromIdentifyTraits) {
  std::vector<storage::EventRecord> events = {
      Identify(kNow - 10 * kDay, R"({"age":30,"gender":"F"})"),
      Identify(kNow - 5 * kDay, R"({"gender":"male"})", "alipay"),
  };
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("age"), "30");
  EXPECT_EQ(p.Trait("age_band"), R"("25-34")");
  EXPECT_EQ(p.Trait("gender"), R"("male")");  // the latest identify wins
  // A birthday gives the age on as_of (2026-11-01).
  Profile b = Build({Identify(kNow, R"({"birthday":"1990-11-02"})")});
  EXPECT_EQ(b.Trait("age"), "35");
  EXPECT_EQ(b.Trait("age_band"), R"("35-44")");
  Profile none = Build({Identify(kNow, R"({"vip":true})")});
  EXPECT_EQ(none.Trait("age"), "null");
  EXPECT_EQ(none.Trait("gender"), "null");
}

TEST(ProfileBuilderTest, StoreTraitsFromVisitDaysIn90Days) {
  std::vector<storage::EventRecord> events = {
      Event("Probe Seen", Local(2026, 10, 20, 10), R"({"store_id":"s1","zone":"entrance"})",
            "store_wifi"),
      Event("Probe Seen", Local(2026, 10, 20, 10.5), R"({"store_id":"s1","zone":"apparel"})",
            "store_wifi"),
      Event("Beacon Seen", Local(2026, 10, 20, 10.6), R"({"store_id":"s1"})", "store_beacon"),
      Event("Probe Seen", Local(2026, 10, 21, 10), R"({"store_id":"s1"})", "store_wifi"),
      Event("Probe Seen", Local(2026, 10, 21, 11), R"({"store_id":"s2"})", "store_wifi"),
      Event("Probe Seen", kNow - 100 * kDay, R"({"store_id":"s3"})", "store_wifi"),
  };
  Profile p = Build(events);
  EXPECT_EQ(p.Trait("store_visits_90d"), "3");
  EXPECT_EQ(p.Meta("store_visits_90d"),
            R"({"sources":["store_beacon","store_wifi"],"events":6,"confidence":1})");
  EXPECT_EQ(p.Trait("stores_visited_90d"), "2");     // s3 is older than 90 days
  EXPECT_EQ(p.Trait("favourite_store"), R"("s1")");  // two days against s2's one
  EXPECT_EQ(p.Trait("store_visit_frequency"), R"("occasional")");
  EXPECT_EQ(p.Trait("last_store_visit"), "\"" + FormatIso8601Ms(Local(2026, 10, 21, 11)) + "\"");
  EXPECT_EQ(p.Trait("days_since_store_visit"), std::to_string((kNow - Local(2026, 10, 21, 11)) / kDay));

  // A tie in visit days goes to the store visited last; an old visit alone is no favourite.
  Profile tie = Build({Event("Probe Seen", Local(2026, 10, 2, 10), R"({"store_id":"a"})", "store_wifi"),
                       Event("Probe Seen", Local(2026, 10, 3, 10), R"({"store_id":"b"})", "store_wifi")});
  EXPECT_EQ(tie.Trait("favourite_store"), R"("b")");
  Profile old = Build({Event("Probe Seen", kNow - 100 * kDay, R"({"store_id":"s3"})", "store_wifi")});
  EXPECT_EQ(old.Trait("store_visits_90d"), "0");
  EXPECT_EQ(old.Trait("favourite_store"), "null");
  EXPECT_EQ(old.Trait("store_visit_frequency"), "null");
  EXPECT_EQ(old.Trait("days_since_store_visit"), "100");
  Profile none = Build({Event("Product Viewed", kNow - kDay, R"({"category":"electronics"})")});
  EXPECT_EQ(none.Trait("last_store_visit"), "null");
  std::vector<storage::EventRecord> many;
  for (int d = 1; d <= 10; ++d) many.push_back(Event("Probe Seen", kNow - d * kDay, R"({"store_id":"s1"})", "store_wifi"));
  EXPECT_EQ(Build(many).Trait("store_visit_frequency"), R"("frequent")");
}

TEST(ProfileBuilderTest, PriceSensitivityFromDiscountsAndComparison) {
  std::vector<storage::EventRecord> bargain;
  for (int i = 0; i < 6; ++i) {
    bargain.push_back(Event("Product Viewed", kNow - 2 * kDay - i * kHour,
                            R"({"category":"electronics","price":100})"));
  }
  bargain.push_back(Event("Order Completed", kNow - kDay,
                          R"({"revenue":90,"coupon":"SAVE10","products":[{"category":"electronics"}]})"));
  Profile p = Build(bargain);
  EXPECT_EQ(p.Trait("price_sensitivity"), R"("high")");
  EXPECT_EQ(p.Trait("price_sensitivity_score"), "1");

  // Bought on first sight, no coupon: low. Views after the order do not count.
  Profile q = Build({Event("Order Completed", kNow - 2 * kDay,
                           R"({"revenue":90,"products":[{"category":"electronics"}]})"),
                     Event("Product Viewed", kNow - kDay, R"({"category":"electronics"})"),
                     Event("Product Viewed", kNow - kDay, R"({"category":"electronics"})")});
  EXPECT_EQ(q.Trait("price_sensitivity"), R"("low")");
  EXPECT_EQ(q.Trait("price_sensitivity_score"), "0");
  EXPECT_EQ(Build({}).Trait("price_sensitivity"), "null");
}

TEST(ProfileBuilderTest, EveryTraitIsOrderIndependent) {
  std::vector<storage::EventRecord> events = {
      Event("Order Completed", kNow - 3 * kDay,
            R"({"revenue":99,"products":[{"category":"books","brand":"A","price":99}],"shipping_address":{"city":"shanghai","postcode":"200001"}})"),
      Event("Order Completed", kNow - 3 * kDay,
            R"({"revenue":199,"products":[{"category":"toys","brand":"B","price":199}],"shipping_address":{"city":"Beijing","postcode":"100001"}})"),
      Event("Product Viewed", kNow - 4 * kDay, R"({"category":"toys","brand":"B"})"),
      Event("Payment Received", Local(2026, 10, 10, 9), R"({"amount":8000,"counterparty_type":"employer"})", "alipay"),
      Event("Payment Received", Local(2026, 9, 11, 9), R"({"amount":8000,"counterparty_type":"employer"})", "alipay"),
      Event("Trip Completed", Local(2026, 10, 27, 8), R"({"mode":"car","from":{"lat":31.2,"lon":121.4},"to":{"lat":31.3,"lon":121.5}})", "amap"),
      Event("Trip Completed", Local(2026, 10, 27, 19), R"({"mode":"bike","from":{"lat":31.3,"lon":121.5},"to":{"lat":31.2,"lon":121.4}})", "amap"),
      Event("Trip Completed", Local(2026, 10, 28, 8), R"({"mode":"bike","from":{"lat":31.2,"lon":121.4},"to":{"lat":31.3,"lon":121.5}})", "amap"),
      Event("Post Created", kNow - kDay, R"({"topics":["x","y"]})", "weibo"),
      Event("Post Created", kNow - kDay, R"({"topics":["y","x"]})", "weibo"),
      Event("Video Content Playing", kNow - kDay, R"({"genre":"b"})", "youku"),
      Event("Video Content Playing", kNow - kDay, R"({"genre":"a"})", "youku"),
      Event("Hotel Booked", kNow - kDay, R"({"destination":"X","country":"CN","price":300})", "fliggy"),
      Event("Hotel Booked", kNow - kDay, R"({"destination":"Y","country":"TH","price":300})", "fliggy"),
      Identify(kNow - kDay, R"({"gender":"female"})"),
      Identify(kNow - kDay, R"({"gender":"male"})"),
  };
  std::vector<AggregateSpec> specs(2);
  specs[0].func = AggFunc::kLast;
  specs[0].event = "Order Completed";
  specs[0].property = "category";
  specs[1].func = AggFunc::kSum;
  specs[1].event = "Order Completed";
  specs[1].property = "revenue";
  const std::string reference = Build(events, &specs).json();
  std::mt19937 rng(11);
  for (int round = 0; round < 10; ++round) {
    std::shuffle(events.begin(), events.end(), rng);
    EXPECT_EQ(Build(events, &specs).json(), reference);
  }
  Profile p(reference);
  EXPECT_EQ(p.Trait("city"), R"("Beijing")");  // tie between Beijing and Shanghai: smaller name
  EXPECT_EQ(p.Trait("gender"), R"("male")");   // same timestamp: larger text
  EXPECT_EQ(p.Trait(R"(last(Order Completed.category, all))"), R"("toys")");
}

TEST(ProfileBuilderTest, ComputedTraitsAreWrittenWithMeta) {
  std::vector<AggregateSpec> specs(3);
  specs[0].func = AggFunc::kCount;
  specs[0].event = "Order Completed";
  specs[0].where.push_back(Condition{"category", Condition::Op::kEq, {"luxury"}, false});
  specs[0].window_days = 180;
  specs[1].func = AggFunc::kMax;
  specs[1].event = "Order Completed";
  specs[1].property = "revenue";
  specs[1].name = "order_count";  // collides with a built-in: not written
  specs[2].func = AggFunc::kMin;
  specs[2].event = "Flight Booked";
  specs[2].property = "price";
  specs[2].name = "cheapest_flight";
  Profile p = Build({Event("Order Completed", kNow - kDay,
                           R"({"revenue":5000,"products":[{"category":"luxury"}]})", "tmall"),
                     Event("Order Completed", kNow - kDay,
                           R"({"revenue":50,"products":[{"category":"books"}]})")},
                    &specs);
  EXPECT_EQ(p.Trait(R"(count(Order Completed where category = "luxury", 180d))"), "1");
  EXPECT_EQ(p.Meta(R"(count(Order Completed where category = "luxury", 180d))"),
            R"({"sources":["tmall"],"events":1,"confidence":1})");
  EXPECT_EQ(p.Trait("order_count"), "2");
  EXPECT_EQ(p.Trait("cheapest_flight"), "null");  // no event contributed: the default
  EXPECT_EQ(p.Meta("cheapest_flight"), "missing");
}

// The built-in traits are the profile JSON; computed traits are evaluated with them but
// stored apart (profile_store.h), and only where an event contributed.
TEST(ProfileBuilderTest, ComputedTraitsAreEvaluatedButNotWrittenIntoTheJson) {
  std::vector<AggregateSpec> specs(2);
  specs[0].func = AggFunc::kCount;
  specs[0].event = "Order Completed";
  specs[0].name = "orders";
  specs[1].func = AggFunc::kSum;
  specs[1].event = "Order Completed";
  specs[1].property = "revenue";
  specs[1].name = "revenue";
  ProfileAccumulator acc(&specs);
  acc.Add(Event("Order Completed", kNow - kDay, R"({"revenue":0})"), kNow);
  acc.Add(Event("Product Viewed", kNow - kDay, R"({"category":"books"})"), kNow);
  Profile p(acc.ToJson(42, {}, kNow));
  EXPECT_EQ(p.Trait("orders"), "missing");
  EXPECT_EQ(p.Trait("revenue"), "missing");
  ASSERT_EQ(acc.computed_size(), 2u);
  ASSERT_NE(acc.computed(0), nullptr);
  ASSERT_NE(acc.computed(1), nullptr);
  EXPECT_EQ(acc.computed(0)->ValueJson(), "1");
  EXPECT_EQ(acc.computed(1)->ValueJson(), "0");  // a sum of 0 an event contributed to
  EXPECT_EQ(acc.computed(1)->events(), 1u);
  EXPECT_EQ(DefaultValueJson(specs[0]), "0");
  AggregateSpec last;
  last.func = AggFunc::kLast;
  EXPECT_EQ(DefaultValueJson(last), "null");
  // Built-in names are never stored; of two specs with one name, the first.
  std::vector<AggregateSpec> named(3);
  named[0].name = "order_count";
  named[1].name = "x";
  named[2].name = "x";
  auto stored = StoredComputedTraits(named);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], &named[1]);
}

// A rebuild of every profile holds one accumulator per person and trait only where an event
// of the trait's name fell in its window; the others read as the default.
TEST(ProfileBuilderTest, ComputedAccumulatorsExistOnlyForTraitsAnEventReached) {
  std::vector<AggregateSpec> specs(3);
  specs[0].func = AggFunc::kCount;
  specs[0].event = "Product Viewed";
  specs[0].window_days = 30;
  specs[0].name = "views_30d";
  specs[1].func = AggFunc::kCount;
  specs[1].event = "Order Completed";
  specs[1].name = "orders";
  specs[2].func = AggFunc::kCount;
  specs[2].event = "Product Viewed";
  specs[2].name = "views";
  std::vector<ComputedTraitAccumulator> prototypes;
  for (const AggregateSpec& spec : specs) prototypes.emplace_back(&spec);
  ProfileAccumulator acc(prototypes);
  EXPECT_EQ(acc.computed_size(), 3u);
  EXPECT_EQ(acc.computed(0), nullptr);
  acc.Add(Event("Product Viewed", kNow - 40 * kDay, R"({"category":"books"})"), kNow);  // outside 30d
  EXPECT_EQ(acc.computed(0), nullptr);
  EXPECT_EQ(acc.computed(1), nullptr);
  ASSERT_NE(acc.computed(2), nullptr);
  EXPECT_EQ(acc.computed(2)->ValueJson(), "1");
  acc.Add(Event("Product Viewed", kNow - kDay, R"({"category":"books"})"), kNow);
  ASSERT_NE(acc.computed(0), nullptr);
  EXPECT_EQ(acc.computed(0)->ValueJson(), "1");
  EXPECT_EQ(acc.computed(2)->ValueJson(), "2");
  EXPECT_EQ(acc.computed(1), nullptr);
  acc.Add(Event("Order Completed", kNow - kDay, R"({"revenue":5})"), kNow);
  ASSERT_NE(acc.computed(1), nullptr);
  EXPECT_EQ(acc.computed(1)->ValueJson(), "1");
  EXPECT_EQ(acc.computed(3), nullptr);  // past the last trait
}

// A rebuild renders one profile after another into the same typed row (its entries reused):
// each comes out as it would into a fresh row, whatever the one before held.
TEST(ProfileBuilderTest, ATypedRowReusedAcrossProfilesEqualsAFreshOne) {
  ProfileAccumulator rich;
  rich.Add(Event("Order Completed", kNow - kDay,
                 R"({"revenue":50,"products":[{"category":"books","brand":"Acme"}],"shipping_address":{"city":"Wuhan"}})"),
           kNow);
  rich.Add(Event("Product Viewed", kNow - kDay, R"({"category":"toys","brand":"Lego"})"), kNow);
  ProfileAccumulator sparse;
  sparse.Add(Event("Product Viewed", kNow - 2 * kDay, R"({"category":"shoes"})"), kNow);
  TraitRow reused, fresh_rich, fresh_sparse;
  const std::string a = rich.ToJson(1, {}, kNow, &reused);
  EXPECT_EQ(rich.ToJson(1, {}, kNow, &fresh_rich), a);
  EXPECT_EQ(reused, fresh_rich);
  const std::string b = sparse.ToJson(2, {}, kNow, &reused);
  EXPECT_EQ(sparse.ToJson(2, {}, kNow, &fresh_sparse), b);
  EXPECT_EQ(reused, fresh_sparse);
  rich.ToJson(1, {}, kNow, &reused);  // and back
  EXPECT_EQ(reused, fresh_rich);
}

TEST(ProfileBuilderTest, CompletenessCountsFamiliesWithAValue) {
  Profile empty = Build({});
  EXPECT_EQ(empty.Get("completeness"), "0");
  // spending (orders) + affinity + price sensitivity + home (city) = 4 of 13.
  Profile p = Build({Event("Order Completed", kNow - kDay,
                           R"({"revenue":50,"products":[{"category":"books"}],"shipping_address":{"city":"Wuhan"}})")});
  EXPECT_EQ(p.Get("completeness"), "0.308");
  EXPECT_EQ(p.Trait("home_city"), R"("Wuhan")");
}

TEST(ProfileBuilderTest, NormalizeCity) {
  EXPECT_EQ(NormalizeCity("上海市"), "Shanghai");
  EXPECT_EQ(NormalizeCity("上海"), "Shanghai");
  EXPECT_EQ(NormalizeCity("shanghai"), "Shanghai");
  EXPECT_EQ(NormalizeCity(" Shanghai City "), "Shanghai");
  EXPECT_EQ(NormalizeCity("xian"), "Xi'an");
  EXPECT_EQ(NormalizeCity("Atlantis City"), "Atlantis");
  EXPECT_EQ(NormalizeCity(""), "");
}

TEST(ProfileBuilderTest, SpendingPowerCombinesSignals) {
  EXPECT_EQ(SpendingPowerTier(0), 1);
  EXPECT_EQ(SpendingPowerTier(299.99), 1);
  EXPECT_EQ(SpendingPowerTier(300), 2);
  EXPECT_EQ(SpendingPowerTier(4999), 3);
  EXPECT_EQ(SpendingPowerTier(5000), 4);
  EXPECT_EQ(SpendingPowerTier(1e6), 5);
  SpendingSignals s;
  EXPECT_EQ(SpendingPowerScore(s), 0);
  s.orders = 5;
  s.spend_90d = 100;  // tier 1, weight 1
  EXPECT_EQ(SpendingPowerScore(s), 1);
  s.monthly_salary = 40000;  // tier 5, weight 3
  s.salary_months = 3;
  double weight = 0;
  EXPECT_EQ(SpendingPowerScore(s, &weight), 4);  // (1 + 15) / 4
  EXPECT_DOUBLE_EQ(weight, 4);
  s.flights = 2;
  s.cabin_score = 5;
  s.hotels = 2;
  s.hotel_night_price = 900;
  EXPECT_EQ(SpendingPowerScore(s), 4);  // (1 + 15 + 5 + 5) / 6 = 4.33
}

TEST(ProfileBuilderTest, AttributionPrefersAccounts) {
  EXPECT_LT(AttributionRank("user_id@taobao"), AttributionRank("phone"));
  EXPECT_LT(AttributionRank("phone"), AttributionRank("device_id"));
  EXPECT_LT(AttributionRank("device_id"), AttributionRank("mac"));
  EXPECT_LT(AttributionRank("mac"), AttributionRank("anonymous_id@web"));
}

}  // namespace
}  // namespace holo::profile
