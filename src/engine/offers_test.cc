// Offers through the engine: issued to a segment's members with marketing consent, a random
// holdout kept out, and the report crediting orders and coupon redemptions (online and in
// store) in the window after the issue to the invited and the held-out groups.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "common/time_util.h"
#include "engine/engine_test_util.h"
#include "holo/engine.h"

namespace holo {
namespace {

std::string Track(const std::string& id, const std::string& event, const std::string& user, const std::string& ts,
                  const std::string& properties) {
  return R"({"type":"track","event":")" + event + R"(","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user + R"(","properties":)" + properties + "}\n";
}

class OffersTest : public testing::EngineStoreTest {
 protected:
  OffersTest() : EngineStoreTest("offers_test") {}
};

TEST_F(OffersTest, IssuedWithAHoldoutAndCreditedInTheWindow) {
  Open();
  std::string lines;
  // 60 buyers with marketing consent, 10 without.
  for (int i = 0; i < 70; ++i) {
    const std::string u = "u" + std::to_string(i);
    lines += Track("o" + u, "Order Completed", u, "2026-09-01T10:00:00Z", R"({"revenue":5})");
    if (i < 60) lines += Track("c" + u, "Consent Given", u, "2026-09-01T10:00:00Z", R"({"purposes":["marketing"]})");
  }
  IngestLines("before.jsonl", "taobao", lines);
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  const int64_t issued = *ParseIso8601Ms("2026-10-01T00:00:00Z");
  auto issue = engine_->audiences().IssueOffer("autumn", "buyers", "Autumn Run", 0.5, issued);
  ASSERT_TRUE(issue.ok()) << issue.status().ToString();
  simdjson::dom::parser p;
  simdjson::dom::element o = p.parse(*issue).value();
  const uint64_t invited = o["invited"].get_uint64().value(), holdout = o["holdout"].get_uint64().value();
  EXPECT_EQ(invited + holdout, 60u) << "only the members with marketing consent: " << *issue;
  EXPECT_GT(invited, 15u);
  EXPECT_GT(holdout, 15u);
  EXPECT_EQ(engine_->audiences().IssueOffer("autumn", "buyers", "Autumn Run", 0.5, issued).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->audiences().IssueOffer("x", "nosuch", "c", 0.5, issued).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->audiences().IssueOffer("x", "buyers", "c", 0.95, issued).status().code(),
            StatusCode::kInvalidArgument);

  // After the issue, every consenting member redeems a coupon (even-numbered ones in a store)
  // and buys for 20; one more redemption is another campaign's, one order comes 40 days late,
  // and the 10 without consent buy too (in neither group).
  lines.clear();
  for (int i = 0; i < 70; ++i) {
    const std::string u = "u" + std::to_string(i);
    lines += Track("n" + u, "Order Completed", u, "2026-10-05T10:00:00Z", R"({"revenue":20})");
    if (i >= 60) continue;
    lines += Track("r" + u, "Coupon Redeemed", u, "2026-10-05T09:00:00Z",
                   i % 2 == 0 ? R"({"coupon_id":"cp-1","campaign":"Autumn Run","store_id":"st1"})"
                              : R"({"coupon_id":"cp-1","campaign":"Autumn Run"})");
  }
  lines += Track("x1", "Coupon Redeemed", "u1", "2026-10-06T09:00:00Z", R"({"coupon_id":"cp-9","campaign":"Other"})");
  lines += Track("late", "Order Completed", "u2", "2026-10-31T23:00:00Z", R"({"revenue":1000})");
  IngestLines("after.jsonl", "taobao", lines);
  auto report = engine_->audiences().OfferReport("autumn", 30);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  simdjson::dom::element r = p.parse(report->json).value();
  EXPECT_EQ(r["invited"]["n"].get_uint64().value(), invited);
  EXPECT_EQ(r["invited"]["buyers"].get_uint64().value(), invited);
  EXPECT_EQ(r["holdout"]["buyers"].get_uint64().value(), holdout);
  EXPECT_EQ(r["invited"]["redeemers"].get_uint64().value(), invited);
  EXPECT_EQ(r["invited"]["redeemed_online"].get_uint64().value() + r["invited"]["redeemed_in_store"].get_uint64().value(),
            invited) << "another campaign's coupon is not this offer's";
  EXPECT_DOUBLE_EQ(r["invited"]["revenue_per_person"].get_double().value(), 20.0) << "the late order is out of the window";
  EXPECT_DOUBLE_EQ(r["conversion_uplift_pp"].get_double().value(), 0.0);
  // Everyone bought in both groups: no uplift, and an interval that is not [0, 0].
  simdjson::dom::array ci = r["conversion_uplift_ci95_pp"].get_array().value();
  EXPECT_LT(ci.at(0).get_double().value(), -1.0);
  EXPECT_GT(ci.at(1).get_double().value(), 1.0);
  auto list = engine_->audiences().ListOffersJson();
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find(R"("offer":"autumn","campaign":"Autumn Run","segment":"buyers")"), std::string::npos) << *list;
  EXPECT_EQ(engine_->audiences().OfferReport("nosuch", 30).status().code(), StatusCode::kNotFound);
}

// Analysts see an offer's groups only through the release point: noisy counts above k, the
// conversion and its uplift from them, and neither revenue nor redemption events.
TEST_F(OffersTest, AnalystsGetTheReportThroughTheReleasePoint) {
  Open();
  std::string lines;
  for (int i = 0; i < 400; ++i) {
    const std::string u = "u" + std::to_string(i);
    lines += Track("o" + u, "Order Completed", u, "2026-09-01T10:00:00Z", R"({"revenue":5})");
    lines += Track("c" + u, "Consent Given", u, "2026-09-01T10:00:00Z", R"({"purposes":["marketing"]})");
  }
  IngestLines("before.jsonl", "taobao", lines);
  ASSERT_TRUE(engine_->audiences().DefineSegment("buyers", "order_count >= 1").ok());
  ASSERT_TRUE(engine_->audiences().IssueOffer("spring", "buyers", "Spring", 0.5, *ParseIso8601Ms("2026-10-01T00:00:00Z")).ok());
  lines.clear();
  for (int i = 0; i < 400; i += 2) {  // every other member buys for 999 after the issue
    const std::string u = "u" + std::to_string(i);
    lines += Track("n" + u, "Order Completed", u, "2026-10-05T10:00:00Z", R"({"revenue":999})");
  }
  IngestLines("after.jsonl", "taobao", lines);
  auto exact = engine_->audiences().OfferReport("spring", 30);
  ASSERT_TRUE(exact.ok());
  simdjson::dom::parser p, q;
  simdjson::dom::element e = p.parse(exact->json).value();

  Engine::ReleaseOptions o;
  o.budget_owner = "analyst:ann";
  o.k = 10;
  o.budget = 5;
  auto released = engine_->analysts().ReleaseOffer("spring", 30, o);
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  simdjson::dom::element r = q.parse(released->json).value();
  for (const char* group : {"invited", "holdout"}) {
    const double n = static_cast<double>(e[group]["n"].get_uint64().value());
    EXPECT_NEAR(static_cast<double>(r[group]["n"].get_uint64().value()), n, 60) << released->json;
    EXPECT_NEAR(r[group]["conversion"].get_double().value(), 0.5, 0.25) << released->json;
  }
  EXPECT_TRUE(r["conversion_uplift_ci95_pp"].is_array()) << released->json;
  EXPECT_EQ(released->json.find("revenue_per_person"), std::string::npos) << released->json;
  EXPECT_EQ(released->json.find("999"), std::string::npos);
  EXPECT_NE(released->json.find(R"("not_released":["revenue","redemption events"])"), std::string::npos);
  // The same question again in the period: the same answer, free.
  auto again = engine_->analysts().ReleaseOffer("spring", 30, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(r["invited"]["n"].get_uint64().value(), q.parse(again->json).value()["invited"]["n"].get_uint64().value());
  o.budget_owner.clear();
  EXPECT_EQ(engine_->analysts().ReleaseOffer("spring", 30, o).status().code(), StatusCode::kInvalidArgument);
  o.budget_owner = "analyst:ann";
  EXPECT_EQ(engine_->analysts().ReleaseOffer("nosuch", 30, o).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace holo
