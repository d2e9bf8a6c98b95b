// Campaign measurement tests against a real RocksDB store: the estimator's arithmetic on a
// hand-written store, and its accuracy against the generator's known true effects.
#include "analytics/campaign.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/time_util.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "storage/store.h"
#include "testing/test_util.h"

namespace holo::analytics {
namespace {

std::string Track(const std::string& id, const std::string& user, const std::string& event,
                  int64_t ts_ms, const std::string& props) {
  return R"({"type":"track","messageId":")" + id + R"(","event":")" + event +
         R"(","timestamp":")" + FormatIso8601Ms(ts_ms) + R"(","userId":")" + user +
         R"(","properties":)" + props + "}\n";
}
const std::string kNikeOrder =
    R"({"order_id":"o","revenue":99,"products":[{"brand":"Nike","category":"sports","price":99}]})";
const std::string kPromo = R"({"campaign":"Autumn Run","brand":"Nike","promotion_id":"c02-x"})";

// Ingests `dir`/*.jsonl through the engine, then opens its store.
std::unique_ptr<storage::Store> IngestAndOpen(const std::string& input, const std::string& data) {
  {
    Options options;
    options.data_dir = data;
    auto engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    if (!engine.ok()) return nullptr;
    IngestReport report;
    Status s = (*engine)->Ingest({input}, IngestOptions(), &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(report.rejected, 0u);
  }
  storage::StoreOptions so;
  so.create_if_missing = false;
  auto store = storage::Store::Open(data, so);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(CampaignTest, StratifiedLiftOnAHandWrittenStore) {
  testing::TempDir dir("campaign_test_small");
  const int64_t d = *ParseIso8601Ms("2026-10-01T12:00:00Z");
  const int64_t day = kDayMs;
  std::string lines;
  // 20 exposed at d, all first seen at d - 20 days; 10 buy Nike 2 days after exposure.
  for (int i = 0; i < 20; ++i) {
    const std::string u = "e" + std::to_string(i);
    lines += Track(u + "o", u, "Application Opened", d - 20 * day, "{}");
    lines += Track(u + "p", u, "Promotion Viewed", d, kPromo);
    if (i < 10) lines += Track(u + "b", u, "Order Completed", d + 2 * day, kNikeOrder);
  }
  // 40 controls: 5 buy within 7 days of d, 1 buys 8 days after (outside the horizon).
  for (int i = 0; i < 40; ++i) {
    const std::string u = "c" + std::to_string(i);
    lines += Track(u + "o", u, "Application Opened", d - 20 * day, "{}");
    if (i < 5) lines += Track(u + "b", u, "Order Completed", d + 3 * day, kNikeOrder);
    if (i == 5) lines += Track(u + "b", u, "Order Completed", d + 8 * day, kNikeOrder);
  }
  // A control who bought before d: another stratum (orders before t0), with no exposed peer.
  lines += Track("xo", "x", "Application Opened", d - 20 * day, "{}");
  lines += Track("xb", "x", "Order Completed", d - 5 * day, kNikeOrder);
  // (Its product view makes taobao a shop app, whose orders count as pre-period orders.)
  lines += Track("xv", "x", "Product Viewed", d - 6 * day,
                 R"({"brand":"Anta","category":"sports","price":99})");
  testing::WriteFile(dir / "taobao.jsonl", lines);
  auto store = IngestAndOpen(dir / "taobao.jsonl", dir / "data");
  ASSERT_NE(store, nullptr);

  CampaignOptions options;
  options.campaign = "Autumn Run";
  auto r = MeasureCampaign(*store, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->brand, "Nike");
  EXPECT_EQ(r->category, "");  // no product event names Nike's category
  EXPECT_EQ(r->exposed_total, 20u);
  EXPECT_EQ(r->control_pool, 41u);
  EXPECT_EQ(r->strata, 1u);
  EXPECT_EQ(r->exposed.n, 20u);
  EXPECT_EQ(r->control.n, 40u);
  EXPECT_EQ(r->exposed.buyers, 10u);
  EXPECT_EQ(r->control.buyers, 5u);
  EXPECT_NEAR(r->lift_pp, 37.5, 1e-9);
  const double se = 100 * std::sqrt(0.25 / 20 + 0.125 * 0.875 / 40);
  EXPECT_NEAR(r->se_pp, se, 1e-9);
  // Newcombe's hybrid score interval of 10/20 - 5/40 (worked by hand from the Wilson
  // intervals [0.2993, 0.7007] and [0.0547, 0.2610]).
  EXPECT_NEAR(r->ci_low_pp, 13.2492, 1e-3);
  EXPECT_NEAR(r->ci_high_pp, 58.7693, 1e-3);
  // Stages over the campaign (d .. d + 7 days): exposed none -> awareness or purchase.
  const int kN = 0, kA = 1, kP = 3;
  EXPECT_EQ(r->exposed.flows[kN][kA], 10u);
  EXPECT_EQ(r->exposed.flows[kN][kP], 10u);
  EXPECT_EQ(r->control.flows[kN][kP], 5u);
  EXPECT_EQ(r->control.flows[kN][kN], 35u);
  EXPECT_DOUBLE_EQ(r->exposed.moved_up, 1.0);
  EXPECT_DOUBLE_EQ(r->control.moved_up, 5.0 / 40);

  // A shorter horizon drops the control buyers on day 3 but keeps the exposed on day 2.
  options.horizon_ms = 2 * day + 1;
  auto shorter = MeasureCampaign(*store, options);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->control.buyers, 0u);
  EXPECT_NEAR(shorter->lift_pp, 50.0, 1e-9);

  const std::string json = r->ToJson(10);
  EXPECT_NE(json.find(R"("buyers":"<10")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("ci95_pp":[)"), std::string::npos) << json;
  EXPECT_EQ(r->ToJson(100).find("lift_pp"), std::string::npos);  // groups below k: no rates

  options.campaign = "No Such Campaign";
  EXPECT_EQ(MeasureCampaign(*store, options).status().code(), StatusCode::kNotFound);
}

struct Truth {
  std::string name;
  uint64_t exposed_persons = 0;
  double effect_pp = 0;
};

std::vector<Truth> ReadCampaignsCsv(const std::string& path) {
  std::vector<Truth> out;
  std::vector<std::string> lines = testing::Lines(testing::ReadFile(path));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    std::stringstream ss(lines[i]);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() != 13) continue;
    out.push_back({f[1], std::stoull(f[7]), std::stod(f[12])});
  }
  return out;
}

// The generator knows each campaign's true effect (campaigns.csv); the measurement on the
// ingested world must cover it with its 95% interval for most campaigns.
TEST(CampaignTest, IntervalsCoverTheGeneratorsTrueEffects) {
  testing::TempDir dir("campaign_test_world");
  WorldOptions world;
  world.persons = 6000;
  world.seed = 11;
  world.out_dir = dir / "world";
  ASSERT_TRUE(GenerateWorld(world, nullptr).ok());
  const std::vector<Truth> truths = ReadCampaignsCsv(dir / "world/campaigns.csv");
  ASSERT_EQ(truths.size(), 8u);
  auto store = IngestAndOpen(dir / "world", dir / "data");
  ASSERT_NE(store, nullptr);

  int covered = 0;
  for (const Truth& t : truths) {
    CampaignOptions options;
    options.campaign = t.name;
    auto r = MeasureCampaign(*store, options);
    ASSERT_TRUE(r.ok()) << t.name << ": " << r.status().ToString();
    const bool inside = r->ci_low_pp <= t.effect_pp && t.effect_pp <= r->ci_high_pp;
    covered += inside ? 1 : 0;
    std::printf("%-18s persons %4llu true %.3f pp | OneIDs %4llu (matched %4llu) control %5llu "
                "rates %.3f%% vs %.3f%% lift %.3f pp [%.3f, %.3f]%s\n",
                t.name.c_str(), static_cast<unsigned long long>(t.exposed_persons), t.effect_pp,
                static_cast<unsigned long long>(r->exposed_total),
                static_cast<unsigned long long>(r->exposed.n),
                static_cast<unsigned long long>(r->control.n), 100 * r->exposed.rate,
                100 * r->control.rate, r->lift_pp, r->ci_low_pp, r->ci_high_pp,
                inside ? "" : "  MISSED");
    EXPECT_GT(t.effect_pp, 0) << t.name;
    // Exposed OneIDs roughly track exposed persons (identity resolution is imperfect).
    EXPECT_GT(r->exposed_total, t.exposed_persons / 2) << t.name;
    EXPECT_LT(r->exposed_total, t.exposed_persons * 2) << t.name;
    EXPECT_GT(r->control.n, r->exposed.n) << t.name;
    EXPECT_LT(r->ci_high_pp - r->ci_low_pp, 2.0) << t.name << ": interval too wide";
  }
  EXPECT_GE(covered, 6) << "true effects outside the 95% interval for " << 8 - covered
                        << " of 8 campaigns";
}

}  // namespace
}  // namespace holo::analytics
