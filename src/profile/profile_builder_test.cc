#include "profile/profile_builder.h"

#include <gtest/gtest.h>

namespace holo::profile {
namespace {

constexpr int64_t kDay = 86'400'000;

storage::EventRecord Event(std::string name, int64_t ts, std::string props, std::string source = "taobao") {
  storage::EventRecord e;
  e.event = std::move(name);
  e.timestamp_ms = ts;
  e.properties_json = std::move(props);
  e.source = std::move(source);
  return e;
}

TEST(ProfileBuilderTest, SpendWindowsCategoriesAndCity) {
  const int64_t now = 1000 * kDay;
  ProfileAccumulator acc;
  acc.Add(Event("Order Completed", now - 10 * kDay,
                R"({"revenue":1200.5,"products":[{"brand":"Anta","category":"sports","price":600,"quantity":2}],
                    "shipping_address":{"city":"Hangzhou"}})"), now);
  acc.Add(Event("Order Completed", now - 200 * kDay,
                R"({"revenue":300,"products":[{"brand":"Li-Ning","category":"sports"}],
                    "shipping_address":{"city":"Shanghai"}})"), now);
  acc.Add(Event("Product Viewed", now - 1 * kDay, R"({"brand":"Lancome","category":"beauty"})"), now);
  acc.Add(Event("Trip Completed", now - 2 * kDay, R"({"mode":"subway"})", "amap"), now);
  acc.Add(Event("Order Completed", now - 3 * kDay, "not json"), now);  // tolerated, counted as event
  std::string json = acc.ToJson(42, {{"user_id@taobao", "00ff"}}, now);
  EXPECT_NE(json.find(R"("oneid":"42")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("order_count":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("total_spend":1500.5)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("spend_90d":1200.5)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("spending_power":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("top_categories":["sports","beauty"])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("sources":["amap","taobao"])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("city":"Hangzhou")"), std::string::npos) << json;
  EXPECT_EQ(acc.events(), 5u);
}

TEST(ProfileBuilderTest, SpendingPowerTiers) {
  EXPECT_EQ(SpendingPowerTier(0), 1);
  EXPECT_EQ(SpendingPowerTier(299.99), 1);
  EXPECT_EQ(SpendingPowerTier(300), 2);
  EXPECT_EQ(SpendingPowerTier(4999), 3);
  EXPECT_EQ(SpendingPowerTier(5000), 4);
  EXPECT_EQ(SpendingPowerTier(1e6), 5);
}

TEST(ProfileBuilderTest, AttributionPrefersAccounts) {
  EXPECT_LT(AttributionRank("user_id@taobao"), AttributionRank("phone"));
  EXPECT_LT(AttributionRank("phone"), AttributionRank("device_id"));
  EXPECT_LT(AttributionRank("device_id"), AttributionRank("mac"));
  EXPECT_LT(AttributionRank("mac"), AttributionRank("anonymous_id@web"));
}

}  // namespace
}  // namespace holo::profile
