// AIPL funnel tests against a real RocksDB store: hand-written events ingested through the
// engine, then classified at two dates.
#include "analytics/funnel.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "analytics/event_scan.h"
#include "common/time_util.h"
#include "holo/engine.h"
#include "storage/store.h"
#include "testing/test_util.h"

namespace holo::analytics {
namespace {

// A track event of `user` on taobao at `ts` with `props` (a JSON object).
std::string Track(const std::string& id, const std::string& user, const std::string& event,
                  const std::string& ts, const std::string& props) {
  return R"({"type":"track","messageId":")" + id + R"(","event":")" + event +
         R"(","timestamp":")" + ts + R"(","userId":")" + user + R"(","properties":)" + props +
         "}\n";
}
std::string Product(const std::string& brand, const std::string& category) {
  return R"({"product_id":"p1","brand":")" + brand + R"(","category":")" + category +
         R"(","price":99})";
}
std::string Order(const std::string& brand, const std::string& category) {
  return R"({"order_id":"o","revenue":99,"products":[)" + Product(brand, category) + "]}";
}
std::string Promo(const std::string& brand) {
  return R"({"promotion_id":"c02-banner_a","campaign":"Autumn Run","brand":")" + brand + R"("})";
}

class FunnelTest : public ::testing::Test {
 protected:
  // Ingests `lines` as taobao.jsonl and opens the store read-side.
  void Load(const std::string& lines) {
    {
      Options options;
      options.data_dir = dir_ / "data";
      auto engine = Engine::Open(options);
      ASSERT_TRUE(engine.ok()) << engine.status().ToString();
      testing::WriteFile(dir_ / "taobao.jsonl", lines);
      IngestReport report;
      ASSERT_TRUE((*engine)->Ingest({dir_ / "taobao.jsonl"}, IngestOptions(), &report).ok());
      ASSERT_EQ(report.rejected, 0u) << (report.sample_errors.empty() ? "" : report.sample_errors[0]);
    }
    storage::StoreOptions so;
    so.create_if_missing = false;
    auto store = storage::Store::Open(dir_ / "data", so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  // Returns the OneID of a taobao user, found through its Order/track events.
  uint64_t OneIdOf(const std::string& user_event_id) {
    uint64_t found = 0;
    EXPECT_TRUE(ScanEventsByOneId(*store_, [&](uint64_t oneid, const storage::EventRecord& ev) {
                  if (ev.message_id == user_event_id) found = oneid;
                }).ok());
    return found;
  }
  Stage StageOf(const FunnelReport& r, uint64_t oneid) {
    for (int i = 0; i < kNumStages; ++i) {
      if (std::binary_search(r.members[i].begin(), r.members[i].end(), oneid)) return StageAt(i);
    }
    ADD_FAILURE() << "OneID " << oneid << " not in the population";
    return Stage::kNone;
  }

  testing::TempDir dir_{"funnel_test"};
  std::unique_ptr<storage::Store> store_;
};

// As of 2026-10-31 (end of day): windows A 30d, I 30d, P 90d, L 180d.
TEST_F(FunnelTest, ClassifiesEachOneIdIntoItsHighestStage) {
  std::string lines;
  // loyal1: two Nike orders within 180 days.
  lines += Track("l1a", "loyal1", "Order Completed", "2026-06-01T10:00:00Z", Order("Nike", "sports"));
  lines += Track("l1b", "loyal1", "Order Completed", "2026-10-01T10:00:00Z", Order("Nike", "sports"));
  // loyal2: an order and a review.
  lines += Track("l2a", "loyal2", "Order Completed", "2026-08-01T10:00:00Z", Order("Nike", "sports"));
  lines += Track("l2b", "loyal2", "Product Reviewed", "2026-08-10T10:00:00Z", Product("Nike", "sports"));
  // buyer: one order 60 days before.
  lines += Track("b1", "buyer", "Order Completed", "2026-09-01T10:00:00Z", Order("Nike", "sports"));
  // lapsed: one order 120 days before (outside the purchase window, alone in loyalty's).
  lines += Track("x1", "lapsed", "Order Completed", "2026-07-03T10:00:00Z", Order("Nike", "sports"));
  // viewer: a Nike product view 10 days before.
  lines += Track("v1", "viewer", "Product Viewed", "2026-10-21T10:00:00Z", Product("Nike", "sports"));
  // searcher: a search naming the brand in another case.
  lines += Track("s1", "searcher", "Products Searched", "2026-10-25T10:00:00Z",
                 R"({"query":"NIKE running shoes","category":"sports"})");
  // seen: a promotion 5 days before; stale: one 40 days before.
  lines += Track("a1", "seen", "Promotion Viewed", "2026-10-26T10:00:00Z", Promo("Nike"));
  lines += Track("a2", "stale", "Promotion Viewed", "2026-09-20T10:00:00Z", Promo("Nike"));
  // other: buys Adidas only.
  lines += Track("o1", "other", "Order Completed", "2026-10-20T10:00:00Z", Order("Adidas", "sports"));
  // late: first event after the as-of date: not in the population.
  lines += Track("z1", "late", "Order Completed", "2026-11-02T10:00:00Z", Order("Nike", "sports"));
  Load(lines);

  FunnelOptions options;
  options.brand = "Nike";
  auto at = ParseAsOf("2026-10-31");
  ASSERT_TRUE(at.ok());
  options.at_ms = *at;
  auto r = ComputeFunnel(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  EXPECT_EQ(StageOf(*r, OneIdOf("l1a")), Stage::kLoyalty);
  EXPECT_EQ(StageOf(*r, OneIdOf("l2a")), Stage::kLoyalty);
  EXPECT_EQ(StageOf(*r, OneIdOf("b1")), Stage::kPurchase);
  EXPECT_EQ(StageOf(*r, OneIdOf("x1")), Stage::kNone);
  EXPECT_EQ(StageOf(*r, OneIdOf("v1")), Stage::kInterest);
  EXPECT_EQ(StageOf(*r, OneIdOf("s1")), Stage::kInterest);
  EXPECT_EQ(StageOf(*r, OneIdOf("a1")), Stage::kAwareness);
  EXPECT_EQ(StageOf(*r, OneIdOf("a2")), Stage::kNone);
  EXPECT_EQ(StageOf(*r, OneIdOf("o1")), Stage::kNone);
  const uint64_t late = OneIdOf("z1");
  for (const auto& m : r->members) EXPECT_FALSE(std::binary_search(m.begin(), m.end(), late));
  EXPECT_EQ(r->population(), 9u);  // everyone but "late"
  EXPECT_EQ(r->at_sizes[static_cast<int>(Stage::kLoyalty)], 2u);
  EXPECT_EQ(r->at_sizes[static_cast<int>(Stage::kNone)], 3u);  // lapsed, stale, other
  for (const auto& m : r->members) EXPECT_TRUE(std::is_sorted(m.begin(), m.end()));

  // A category filter drops product signals of other categories.
  options.category = "apparel";
  auto apparel = ComputeFunnel(*store_, options);
  ASSERT_TRUE(apparel.ok());
  EXPECT_EQ(StageOf(*apparel, OneIdOf("v1")), Stage::kNone);
  EXPECT_EQ(StageOf(*apparel, OneIdOf("a1")), Stage::kAwareness);  // promotions: brand only
}

// A visit to one of the brand's stores is an Interest touch-point, for the people whose
// location consent lets their visits count, within the interest window.
TEST_F(FunnelTest, StoreVisitsAreInterestTouchPointsUnderLocationConsent) {
  const std::string shop = R"({"store_id":"nike-sh","zone":"entrance","rssi":-60})";
  std::string lines;
  lines += Track("v1", "visitor", "Probe Seen", "2026-10-21T10:00:00Z", shop);
  lines += Track("w1", "withheld", "Beacon Seen", "2026-10-22T10:00:00Z", shop);
  lines += Track("b1", "buyer", "Order Completed", "2026-10-01T10:00:00Z", Order("Nike", "sports"));
  lines += Track("b2", "buyer", "Probe Seen", "2026-10-25T10:00:00Z", shop);
  lines += Track("e1", "elsewhere", "Probe Seen", "2026-10-21T10:00:00Z", R"({"store_id":"adidas-bj"})");
  lines += Track("x1", "old", "Probe Seen", "2026-09-20T10:00:00Z", shop);
  lines += Track("f1", "from_only", "Probe Seen", "2026-09-25T10:00:00Z", shop);
  Load(lines);
  const uint64_t withheld = OneIdOf("w1");
  FunnelOptions options;
  options.brand = "Nike";
  options.at_ms = *ParseAsOf("2026-10-31");
  options.from_ms = *ParseAsOf("2026-09-30");

  // Without the brand's stores, visits are no signal.
  auto plain = ComputeFunnel(*store_, options);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(StageOf(*plain, OneIdOf("v1")), Stage::kNone);

  options.stores = {"nike-sh"};
  EXPECT_EQ(ComputeFunnel(*store_, options).status().code(), StatusCode::kInvalidArgument)
      << "stores without a consent check";
  options.store_link_allowed = [&](uint64_t oneid) -> Result<bool> { return oneid != withheld; };
  auto r = ComputeFunnel(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(StageOf(*r, OneIdOf("v1")), Stage::kInterest);
  EXPECT_EQ(StageOf(*r, withheld), Stage::kNone);
  EXPECT_EQ(StageOf(*r, OneIdOf("b1")), Stage::kPurchase);  // a visit never lowers a stage
  EXPECT_EQ(StageOf(*r, OneIdOf("e1")), Stage::kNone);     // another brand's store
  EXPECT_EQ(StageOf(*r, OneIdOf("x1")), Stage::kNone);     // 41 days: outside the 30-day window
  EXPECT_EQ(StageOf(*r, OneIdOf("f1")), Stage::kNone);
  EXPECT_EQ(r->raised_by_store_visits, 1u);
  EXPECT_EQ(r->store_visits_withheld, 1u);
  // At the earlier date the visits of September count: interest then, none now.
  const int interest = static_cast<int>(Stage::kInterest), none = static_cast<int>(Stage::kNone);
  EXPECT_EQ(r->flows[interest][none], 2u);  // old (20 Sep) and from_only (25 Sep)
  EXPECT_NE(r->ToJson(1).find(R"("raised_by_store_visits":1,"store_visits_withheld":1)"), std::string::npos)
      << r->ToJson(1);
  EXPECT_NE(r->ToText(1).find("store visits (nike-sh): raised 1"), std::string::npos) << r->ToText(1);
}

TEST_F(FunnelTest, FlowsBetweenTwoDatesAddUpToThePopulation) {
  std::string lines;
  // u1: aware in September, buys in October.
  lines += Track("u1a", "u1", "Promotion Viewed", "2026-09-25T10:00:00Z", Promo("Nike"));
  lines += Track("u1b", "u1", "Order Completed", "2026-10-20T10:00:00Z", Order("Nike", "sports"));
  // u2: buyer in September, buys again in October: purchase -> loyalty.
  lines += Track("u2a", "u2", "Order Completed", "2026-09-10T10:00:00Z", Order("Nike", "sports"));
  lines += Track("u2b", "u2", "Order Completed", "2026-10-15T10:00:00Z", Order("Nike", "sports"));
  // u3: first seen in October, views Nike: none (did not exist) -> interest.
  lines += Track("u3a", "u3", "Product Viewed", "2026-10-28T10:00:00Z", Product("Nike", "sports"));
  // u4: interest in September that fades by the end of October.
  lines += Track("u4a", "u4", "Product Viewed", "2026-09-20T10:00:00Z", Product("Nike", "sports"));
  Load(lines);

  FunnelOptions options;
  options.brand = "Nike";
  options.at_ms = *ParseAsOf("2026-10-31");
  options.from_ms = *ParseAsOf("2026-09-30");
  auto r = ComputeFunnel(*store_, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto kN = static_cast<int>(Stage::kNone), kA = static_cast<int>(Stage::kAwareness),
             kI = static_cast<int>(Stage::kInterest), kP = static_cast<int>(Stage::kPurchase),
             kL = static_cast<int>(Stage::kLoyalty);
  EXPECT_EQ(r->flows[kA][kP], 1u);  // u1
  EXPECT_EQ(r->flows[kP][kL], 1u);  // u2
  EXPECT_EQ(r->flows[kN][kI], 1u);  // u3
  EXPECT_EQ(r->flows[kI][kN], 1u);  // u4
  uint64_t total = 0;
  for (int i = 0; i < kNumStages; ++i) {
    uint64_t row = 0, col = 0;
    for (int j = 0; j < kNumStages; ++j) {
      row += r->flows[i][j];
      col += r->flows[j][i];
      total += r->flows[i][j];
    }
    EXPECT_EQ(row, r->from_sizes[i]);
    EXPECT_EQ(col, r->at_sizes[i]);
  }
  EXPECT_EQ(total, 4u);

  options.from_ms = options.at_ms;
  EXPECT_EQ(ComputeFunnel(*store_, options).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FunnelTest, ReportsSuppressSmallCells) {
  std::string lines;
  lines += Track("b1", "buyer", "Order Completed", "2026-10-01T10:00:00Z", Order("Nike", "sports"));
  lines += Track("n1", "nobody", "Order Completed", "2026-10-01T10:00:00Z", Order("Anta", "sports"));
  Load(lines);
  FunnelOptions options;
  options.brand = "Nike";
  options.at_ms = *ParseAsOf("2026-10-31");
  auto r = ComputeFunnel(*store_, options);
  ASSERT_TRUE(r.ok());
  const std::string json = r->ToJson(10);
  EXPECT_NE(json.find(R"("purchase":"<10")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("loyalty":0)"), std::string::npos) << json;
  EXPECT_NE(r->ToText(10).find("<10"), std::string::npos);
  EXPECT_NE(r->ToJson(1).find(R"("purchase":1)"), std::string::npos);
}

TEST(ParseAsOfTest, DateMeansEndOfDay) {
  auto d = ParseAsOf("2026-10-31");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, *ParseIso8601Ms("2026-11-01T00:00:00Z"));
  EXPECT_EQ(*ParseAsOf("2026-10-31T12:00:00Z"), *ParseIso8601Ms("2026-10-31T12:00:00Z"));
  EXPECT_FALSE(ParseAsOf("2026-13-01").ok());
  EXPECT_FALSE(ParseAsOf("yesterday").ok());
}

TEST(FormatCountTest, HidesOnlyNonZeroCountsBelowK) {
  EXPECT_EQ(FormatCount(0, 10), "0");
  EXPECT_EQ(FormatCount(9, 10), "<10");
  EXPECT_EQ(FormatCount(10, 10), "10");
  EXPECT_EQ(FormatCount(3, 0), "3");
}

}  // namespace
}  // namespace holo::analytics
