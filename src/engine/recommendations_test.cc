// Recommendations and look-alikes over a real store: what people did across apps teaches what
// follows what (a flight abroad, then a roaming pack), a person's newest events are read when
// they are asked for (no retraining to follow them), explanations name the event behind an
// item, consent to personalization gates every answer, and a look-alike audience is saved as
// a segment that holds the asked number of non-members and forgets an erased person.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fmt/format.h>

#include <random>
#include <string>

#include "engine/engine_test_util.h"
#include "holo/recommend.h"

namespace holo {
namespace {

class RecommendationsTest : public testing::EngineStoreTest {
 protected:
  RecommendationsTest() : EngineStoreTest("recommendations") {}

  // One app event of user `u` of `source` at minute `minute` of 2026-10-01, from the user's
  // phone (its device id ties the user's accounts of every app into one person).
  static std::string Event(std::string_view source, std::string_view u, int minute, std::string_view event,
                           std::string_view props) {
    static int n = 0;
    return fmt::format(R"({{"type":"track","event":"{}","messageId":"{}-{}","userId":"{}","timestamp":"2026-10-{:02}T{:02}:{:02}:00Z","context":{{"device":{{"id":"dev-{}"}}}},"properties":{}}})"
                       "\n",
                       event, source, ++n, u, 1 + minute / 1440, (minute / 60) % 24, minute % 60, u, props);
  }
  static std::string Consent(std::string_view u, bool given) {
    return fmt::format(R"({{"type":"track","event":"{}","messageId":"consent-{}-{}","userId":"{}","timestamp":"2026-09-01T00:00:00Z","properties":{{"purposes":["personalization","marketing"]}}}})"
                       "\n",
                       given ? "Consent Given" : "Consent Withdrawn", u, given, u);
  }
  static std::string Product(std::string_view id, std::string_view category) {
    return fmt::format(R"({{"product_id":"{}","brand":"B","category":"{}","price":10}})", id, category);
  }
  static std::string Order(std::string_view id, std::string_view category) {
    return fmt::format(R"({{"order_id":"o","products":[{}]}})", Product(id, category));
  }
  static std::string Flight(std::string_view city, std::string_view country) {
    return fmt::format(R"({{"origin":"Shanghai","destination":"{}","country":"{}","price":900}})", city, country);
  }

  // 80 travellers: each books a flight abroad and, within a day, buys the roaming pack of the
  // country on taobao; everyone also shops for snacks and shoes. Users t0..t79 and s0..s39.
  void IngestTravellers() {
    std::string fliggy, taobao, consent;
    const char* cities[][2] = {{"Tokyo", "JP"}, {"Paris", "FR"}};
    for (int u = 0; u < 80; ++u) {
      const std::string id = "t" + std::to_string(u);
      const auto& c = cities[u % 2];
      fliggy += Event("fliggy", id, 100 + u * 30, "Flight Booked", Flight(c[0], c[1]));
      taobao += Event("taobao", id, 10 + u, "Product Viewed", Product("snack-" + std::to_string(u % 7), "food"));
      taobao += Event("taobao", id, 100 + u * 30 + 600, "Order Completed", Order(std::string("roaming-") + c[1], "travel"));
      consent += Consent(id, true);
    }
    for (int u = 0; u < 40; ++u) {
      const std::string id = "s" + std::to_string(u);
      for (int k = 0; k < 4; ++k) taobao += Event("taobao", id, 50 + u * 10 + k, "Order Completed", Order("shoe-" + std::to_string((u + k) % 9), "sports"));
      consent += Consent(id, u % 4 != 0);  // s0, s4, ... withdraw
    }
    IngestLines("fliggy.jsonl", "fliggy", fliggy);
    IngestLines("taobao.jsonl", "taobao", taobao);
    IngestLines("consent.jsonl", "taobao", consent);
  }

  static RecommendTrainOptions Options(std::string algo) {
    RecommendTrainOptions o;
    o.algo = std::move(algo);
    return o;
  }
  uint64_t OneIdOf(std::string_view source, std::string_view user) {
    auto oneid = engine_->LookupOneId("user_id@" + std::string(source), user);
    EXPECT_TRUE(oneid.ok()) << oneid.status().ToString();
    return oneid.ok() ? *oneid : 0;
  }
};

TEST_F(RecommendationsTest, LearnsWhatFollowsATripAbroadAndFollowsTheNewestEvents) {
  Open();
  IngestTravellers();
  RecommendService& recs = engine_->recommend();
  // Before any training: said, not silently empty.
  auto none = recs.RecommendationsJson(1, 5, "");
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("holo recommend train"), std::string::npos);
  auto untrained = recs.ModelJson();
  ASSERT_TRUE(untrained.ok());
  EXPECT_NE(untrained->find(R"("trained":false)"), std::string::npos);

  auto report = recs.Train(Options("ease"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element r = parser.parse(*report).value();
  EXPECT_EQ(r["algo"].get_string().value(), "ease");
  EXPECT_EQ(r["domains"]["fliggy"].get_uint64().value(), 2u);
  EXPECT_GT(r["cross_domain"]["pairs"].get_uint64().value(), 0u);

  // A new traveller who just booked Tokyo (and consents): the Japanese roaming pack first on
  // taobao, because of that flight.
  IngestLines("new.jsonl", "fliggy", Event("fliggy", "newbie", 5000, "Flight Booked", Flight("Tokyo", "JP")) + Consent("newbie", true));
  const uint64_t newbie = OneIdOf("fliggy", "newbie");
  auto json = recs.RecommendationsJson(newbie, 3, "taobao");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  simdjson::dom::element got = parser.parse(*json).value();
  EXPECT_TRUE(got["allowed"].get_bool().value());
  EXPECT_TRUE(got["personalized"].get_bool().value());
  simdjson::dom::array items = got["items"].get_array().value();
  ASSERT_GE(items.size(), 1u) << *json;
  EXPECT_EQ(items.at(0)["item"].get_string().value(), "taobao:product:roaming-JP") << *json;
  EXPECT_EQ(items.at(0)["domain"].get_string().value(), "taobao");
  EXPECT_EQ(items.at(0)["because"].get_string().value(), "because you booked a flight to Tokyo") << *json;
  for (auto item : items) EXPECT_EQ(item["domain"].get_string().value(), "taobao");

  // Then they book Paris: the French pack comes up without retraining.
  IngestLines("new2.jsonl", "fliggy", Event("fliggy", "newbie", 9000, "Flight Booked", Flight("Paris", "FR")));
  json = recs.RecommendationsJson(newbie, 1, "taobao");
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("taobao:product:roaming-FR"), std::string::npos) << *json;
  EXPECT_NE(json->find("because you booked a flight to Paris"), std::string::npos) << *json;

  // What they have is never offered back; other domains only when asked for.
  json = recs.RecommendationsJson(OneIdOf("taobao", "t0"), 10, "");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->find("roaming-JP"), std::string::npos) << "t0 bought it already: " << *json;
  EXPECT_EQ(recs.RecommendationsJson(newbie, 3, "youku").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RecommendationsTest, ConsentToPersonalizationGatesEveryAnswer) {
  Open();
  IngestTravellers();
  ASSERT_TRUE(engine_->recommend().Train(Options("itemknn")).ok());
  auto denied = engine_->recommend().RecommendationsJson(OneIdOf("taobao", "s4"), 5, "");
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  EXPECT_NE(denied->find(R"("allowed":false)"), std::string::npos);
  EXPECT_NE(denied->find(R"("items":[])"), std::string::npos) << *denied;
  auto allowed = engine_->recommend().RecommendationsJson(OneIdOf("taobao", "s5"), 5, "");
  ASSERT_TRUE(allowed.ok());
  EXPECT_NE(allowed->find(R"("allowed":true)"), std::string::npos);
  EXPECT_NE(allowed->find("shoe-"), std::string::npos) << *allowed;
  // A decision counts from the next read.
  IngestLines("withdraw.jsonl", "taobao", Consent("s5", false));
  auto now = engine_->recommend().RecommendationsJson(OneIdOf("taobao", "s5"), 5, "");
  ASSERT_TRUE(now.ok());
  EXPECT_NE(now->find(R"("allowed":false)"), std::string::npos) << *now;
}

TEST_F(RecommendationsTest, LookalikeAudienceIsASegmentOfNonMembers) {
  Open();
  IngestTravellers();
  ASSERT_TRUE(engine_->audiences().DefineSegment("japan", R"(count(Flight Booked where country = "JP", 365d) >= 1)").ok());
  ASSERT_TRUE(engine_->audiences().DefineSegment("paris", R"(count(Flight Booked where country = "FR", 365d) >= 1)").ok());
  LookalikeRequest request;
  request.seed = "japan";
  request.size = 20;
  request.name = "like_japan";
  auto report = engine_->recommend().Lookalike(request);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element r = parser.parse(*report).value();
  EXPECT_EQ(r["seed_members"].get_uint64().value(), 40u);
  EXPECT_EQ(r["size"].get_uint64().value(), 20u);
  auto seg = engine_->audiences().GetSegment("like_japan");
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ(seg->members, 20u);
  auto overlap = engine_->audiences().SegmentOverlap("like_japan", "japan");
  ASSERT_TRUE(overlap.ok());
  EXPECT_EQ(overlap->both, 0u) << "a look-alike holds no seed member";
  // The Paris travellers are the most like them (a flight abroad, a roaming pack).
  auto paris = engine_->audiences().SegmentOverlap("like_japan", "paris");
  ASSERT_TRUE(paris.ok()) << paris.status().ToString();
  EXPECT_EQ(paris->both, 20u);
  // Run again smaller: the list is replaced.
  request.size = 5;
  ASSERT_TRUE(engine_->recommend().Lookalike(request).ok());
  EXPECT_EQ(engine_->audiences().GetSegment("like_japan")->members, 5u);
  // A name taken by another segment is refused, not overwritten.
  request.name = "japan";
  EXPECT_EQ(engine_->recommend().Lookalike(request).status().code(), StatusCode::kAlreadyExists);
  // Too small a seed is said.
  request = LookalikeRequest();
  request.seed = R"(lookalikes contains "like_japan")";  // 5 people: too few to hold any out
  request.size = 5;
  auto tiny = engine_->recommend().Lookalike(request);
  EXPECT_EQ(tiny.status().code(), StatusCode::kInvalidArgument) << tiny.status().ToString();
  EXPECT_NE(tiny.status().message().find("10"), std::string::npos) << tiny.status().ToString();
  // An erased member leaves the audience.
  auto members = engine_->audiences().ListProfiles("like_japan", 0, 10);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 5u);
  Engine::ErasureReport erased;
  ASSERT_TRUE(engine_->privacy().ErasePerson(std::to_string(members->front()), &erased).ok());
  EXPECT_EQ(engine_->audiences().GetSegment("like_japan")->members, 4u);
}


// What is trending is learned from posts and served to everyone: 1,200 people over October;
// a quarter post #Marathon# and own running shoes; in the month's last days more people post
// about it and people who never did buy shoes. Trained with the clock at the month's end, the
// boost gets a weight, and a newcomer who only bought snacks is offered shoes, explained by
// the trend.
TEST_F(RecommendationsTest, TrendingPostsRaiseTheirItemsForEveryone) {
  Open();
  std::mt19937_64 rng(11);
  auto minute = [&](int from_day, int to_day) { return from_day * 1440 + static_cast<int>(rng() % static_cast<uint64_t>((to_day - from_day) * 1440)); };
  auto post = [](std::string_view topic) { return fmt::format(R"({{"topics":["{}"]}})", topic); };
  std::string taobao, weibo;
  for (int u = 0; u < 1200; ++u) {
    const std::string id = "w" + std::to_string(u);
    const std::string taste = fmt::format("taste-{}-", (u / 4) % 2);
    for (int k = 0; k < 5; ++k) taobao += Event("taobao", id, minute(0, 25), "Order Completed", Order(taste + std::to_string(rng() % 8), "food"));
    if (u % 3 == 0) weibo += Event("weibo", id, minute(0, 30), "Post Created", post("#Weekend#"));
    const bool runner = u % 4 == 1, joins = u % 4 == 3 && rng() % 2 == 0;
    if (runner) {
      weibo += Event("weibo", id, minute(0, 25), "Post Created", post("#Marathon#"));
      for (int k = 0; k < 4; ++k) {
        if (rng() % 10 < 7) taobao += Event("taobao", id, minute(0, 25), "Order Completed", Order("shoes-" + std::to_string(k), "sports"));
      }
    }
    if (joins) weibo += Event("weibo", id, minute(27, 30), "Post Created", post("#Marathon#"));
    const bool crowd = u % 4 == 0 || u % 4 == 2;
    taobao += Event("taobao", id, minute(30, 31), "Order Completed",
                    crowd ? Order("shoes-" + std::to_string(rng() % 4), "sports") : Order(taste + std::to_string(rng() % 8), "food"));
  }
  IngestLines("taobao.jsonl", "taobao", taobao);
  IngestLines("weibo.jsonl", "weibo", weibo);
  RecommendService& recs = engine_->recommend();
  auto report = recs.Train(Options("ease"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element r = parser.parse(*report).value();
  EXPECT_EQ(r["trending"]["topics"].get_uint64().value(), 2u) << *report;
  EXPECT_GT(r["trending"]["weight"].get_double().value(), 0) << *report;

  IngestLines("new.jsonl", "taobao", Event("taobao", "newcomer", minute(29, 30), "Order Completed", Order("taste-0-1", "food")) + Consent("newcomer", true));
  auto json = recs.RecommendationsJson(OneIdOf("taobao", "newcomer"), 5, "taobao");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  simdjson::dom::element got = parser.parse(*json).value();
  int trending = 0;
  simdjson::dom::array items = got["items"].get_array().value();
  for (auto item : items) {
    const std::string_view name = item["item"].get_string().value();
    if (name.starts_with("taobao:product:shoes-")) {
      ++trending;
      EXPECT_EQ(item["because"].get_string().value(), "trending: people are posting about #Marathon#") << *json;
    }
  }
  EXPECT_GE(trending, 1) << "the shoes everyone buys now: " << *json;
}

}  // namespace
}  // namespace holo
