// Offline stores through the engine, on RocksDB: an import is idempotent, MACs never reach
// the disk in the clear, bad rows go to the dead-letter file with their file, line and
// reason while the good ones land, a store keeps one clock, and rekeying keeps the devices.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <tuple>

#include "common/time_util.h"
#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "holo/stores.h"

namespace holo {
namespace {

const char kHeader[] =
    "datetime;dst;src;src_vendor;randomized;rssi;idx;seq_num;ch_freq;FCfield;ssid;dot11elt;oui;occupancy\n";

// `n` probes a minute apart from 10:00 of one day (`date`) by `mac`.
std::string Probes(const std::string& mac, int from_min, int n, int rssi = -60, const char* date = "2022-10-18") {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int m = from_min + i;
    char line[256];
    std::snprintf(line, sizeof(line), "%s %02d:%02d:00.000000;ff:ff:ff:ff:ff:ff;%s;;0;%d;0;%d;2417;;;[0, 1];[];0\n",
                  date, 10 + m / 60, m % 60, mac.c_str(), rssi, i);
    out += line;
  }
  return out;
}

// Every file under `dir` holding `needle`, in bytes.
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

class StoresTest : public testing::EngineStoreTest {
 protected:
  StoresTest() : EngineStoreTest("stores_test") {}
  void SetUp() override { Open(); }
};

TEST_F(StoresTest, ImportIsIdempotentPseudonymizedAndDeadLettersBadRows) {
  const std::string file = dir_ / "sc6-61_2022-10-18.csv";
  testing::WriteFile(file, std::string(kHeader) + Probes("00:16:3e:11:22:33", 0, 20) +
                               "2022-10-18 10:30:00.000000;ff:ff:ff:ff:ff:ff;00:16:3e:11:22:33;;0;-60;0;1;2417;;;[0];[];0;extra\n" +
                               Probes("00:16:3e:44:55:66", 5, 3));
  auto first = engine_->stores().ImportStoreFiles("lab", {file});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_NE(first->find(R"("observations":23,"duplicates":0,"bad":1)"), std::string::npos) << *first;
  auto again = engine_->stores().ImportStoreFiles("lab", {file});
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->find(R"("observations":0,"duplicates":23)"), std::string::npos) << *again;
  auto list = engine_->stores().ListStoresJson();
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->find(R"("store":"lab","sensor_kind":"sniffer-csv","observations":23,"zoned":false,)"
                       R"("first":"2022-10-18T10:00:00","last":"2022-10-18T10:19:00")"),
            std::string::npos)
      << *list;

  // The bad row: in the dead-letter file with its file, line and reason.
  std::string dead;
  ASSERT_TRUE(engine_->privacy().ReadDeadLetters(0, [&](std::string_view j) { dead.append(j); }, nullptr).ok());
  EXPECT_NE(dead.find("sc6-61_2022-10-18.csv"), std::string::npos) << dead;
  EXPECT_NE(dead.find("\"line\":22"), std::string::npos) << dead;
  EXPECT_NE(dead.find("expected 14 fields, got 15"), std::string::npos) << dead;

  // One visitor of 20 minutes; the other stayed 3 minutes (a bounce).
  auto occ = engine_->stores().Occupancy("lab", "", "", 300);
  ASSERT_TRUE(occ.ok()) << occ.status().ToString();
  EXPECT_FALSE(occ->zoned);
  EXPECT_TRUE(occ->calibrated);
  ASSERT_EQ(occ->windows.size(), 4u);
  EXPECT_EQ(occ->windows[1].devices, 1u);
  auto devices = engine_->stores().DevicesJson("lab", "2022-10-18T10:00", "2022-10-18T10:04:59");
  ASSERT_TRUE(devices.ok()) << devices.status().ToString();
  EXPECT_NE(devices->find(R"("devices":1,)"), std::string::npos) << *devices;

  // Neither MAC is on disk in the clear (the store, its logs and the dead letters).
  engine_.reset();
  EXPECT_FALSE(AnyFileHolds(dir_ / "data", "00:16:3e:11:22:33"));
  EXPECT_FALSE(AnyFileHolds(dir_ / "data", "00:16:3e:44:55:66"));
}

TEST_F(StoresTest, AStoreKeepsOneClockAndRefusesUnknownFilesAndIds) {
  const std::string local = dir_ / "local.csv";
  testing::WriteFile(local, std::string(kHeader) + Probes("00:16:3e:11:22:33", 0, 10));
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {local}).ok());
  // Zoned rows into a zone-less store: bad rows, not silently shifted.
  const std::string events = dir_ / "events.jsonl";
  testing::WriteFile(events,
                     R"({"type":"track","event":"Probe Seen","timestamp":"2022-10-18T10:30:00Z","properties":{"store_id":"lab","sensor_id":"w1","rssi":-60},"context":{"externalIds":[{"id":"00:16:3e:aa:bb:cc","type":"mac"}]}})"
                     "\n"
                     R"({"type":"track","event":"Probe Seen","timestamp":"2022-10-18T10:30:00Z","properties":{"store_id":"elsewhere","sensor_id":"w1","rssi":-60},"context":{"externalIds":[{"id":"00:16:3e:aa:bb:cc","type":"mac"}]}})"
                     "\n");
  auto r = engine_->stores().ImportStoreFiles("lab", {events});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->find(R"("observations":0,"duplicates":0,"bad":1,"skipped":0,"other_store":1)"), std::string::npos) << *r;
  auto zoned = engine_->stores().Occupancy("lab", "2022-10-18T10:00:00Z", "", 300);
  EXPECT_EQ(zoned.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zoned.status().message().find("without a zone"), std::string::npos) << zoned.status().ToString();
  EXPECT_EQ(engine_->stores().Occupancy("lab", "", "", 7).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->stores().Occupancy("nosuch", "", "", 300).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->stores().ImportStoreFiles("bad id", {local}).status().code(), StatusCode::kInvalidArgument);
  const std::string junk = dir_ / "junk.csv";
  testing::WriteFile(junk, "a,b\n1,2\n");
  EXPECT_EQ(engine_->stores().ImportStoreFiles("lab", {junk}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoresTest, RekeyKeepsEachDeviceOneDevice) {
  const std::string file = dir_ / "a.csv";
  testing::WriteFile(file, std::string(kHeader) + Probes("00:16:3e:11:22:33", 0, 20) + Probes("00:16:3e:44:55:66", 0, 20));
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {file}).ok());
  auto before = engine_->stores().DevicesJson("lab", "", "");
  ASSERT_TRUE(before.ok());
  engine_.reset();
  Engine::RekeyReport report;
  Status st = Engine::Rekey(StoreOptions(), /*keep_old=*/false, nullptr, &report);
  ASSERT_TRUE(st.ok()) << st.ToString();
  Open();
  auto after = engine_->stores().DevicesJson("lab", "", "");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *before);
  EXPECT_NE(after->find(R"("devices":2,)"), std::string::npos) << *after;
  // A new probe of a known MAC after the rotation: still the same device.
  const std::string more = dir_ / "b.csv";
  testing::WriteFile(more, std::string(kHeader) + Probes("00:16:3e:11:22:33", 30, 5));
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {more}).ok());
  EXPECT_NE(engine_->stores().DevicesJson("lab", "", "")->find(R"("devices":2,)"), std::string::npos);
}

// The online link: a store MAC an app also reported (context.externalIds) is tied to that
// person's OneID; the link counts with consent only when the person allows store_link
// (location); a MAC no app reported stays unlinked.
TEST_F(StoresTest, LinkRateCountsStoreDevicesTiedToAPerson) {
  IngestLines("app.jsonl", "taobao",
              R"({"type":"track","event":"App Opened","messageId":"m1","userId":"u1","timestamp":"2026-10-01T10:00:00Z","context":{"externalIds":[{"id":"00:16:3E:11:22:33","type":"mac"}]}})"
              "\n");
  // The other MAC reaches the graph only through a sensor's own event: a OneID of its own,
  // and nobody's.
  IngestLines("sensor.jsonl", "store_wifi",
              R"({"type":"track","event":"Probe Seen","messageId":"p1","anonymousId":"00:16:3e:44:55:66","timestamp":"2026-10-01T10:00:00Z","properties":{"store_id":"lab","rssi":-60},"context":{"externalIds":[{"id":"00:16:3e:44:55:66","type":"mac"}]}})"
              "\n");
  ASSERT_TRUE(engine_->LookupOneId("mac", "00:16:3e:44:55:66").ok()) << "the sensor's MAC is in the graph";
  const std::string file = dir_ / "probes.csv";
  testing::WriteFile(file, std::string(kHeader) + Probes("00:16:3e:11:22:33", 0, 20) + Probes("00:16:3e:44:55:66", 0, 20));
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {file}).ok());
  auto link = engine_->stores().LinkRateJson("lab", "", "");
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_NE(link->find(R"("devices":2,"linked":1,"link_rate":0.5,)"), std::string::npos) << *link;
  // Location consent withdrawn: linked, but not with consent.
  Engine::ConsentChange c;
  c.id = "user_id@taobao:u1";
  c.source = "support";
  c.purposes = {"location"};
  c.given = false;
  ASSERT_TRUE(engine_->privacy().RecordConsent(c).ok());
  link = engine_->stores().LinkRateJson("lab", "", "");
  ASSERT_TRUE(link.ok());
  EXPECT_NE(link->find(R"("linked":1,"link_rate":0.5,"linked_with_consent":0,)"), std::string::npos) << *link;
  c.given = true;
  ASSERT_TRUE(engine_->privacy().RecordConsent(c).ok());
  link = engine_->stores().LinkRateJson("lab", "", "");
  EXPECT_NE(link->find(R"("linked_with_consent":1,)"), std::string::npos) << *link;

  // Erasure: the person's MAC goes, and with it every sighting of it in the store.
  Engine::ErasureReport erased;
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:u1", &erased).ok());
  EXPECT_EQ(erased.store_observations_removed, 20u);
  auto devices = engine_->stores().DevicesJson("lab", "", "");
  ASSERT_TRUE(devices.ok());
  EXPECT_NE(devices->find(R"("devices":1,)"), std::string::npos) << *devices;
  EXPECT_NE(engine_->stores().ListStoresJson()->find(R"("observations":20,)"), std::string::npos);
}

// Visits imported from a sniffer file reach the profile of the person whose MAC an app
// reported — the store traits, shown for a use only with location consent — and go with the
// person at erasure: a later owner of the same MAC does not inherit them.
TEST_F(StoresTest, ImportedVisitsReachTheLinkedProfileUnderLocationConsent) {
  const std::string mac = "00:16:3e:11:22:33";
  IngestLines("app.jsonl", "taobao",
              R"({"type":"track","event":"App Opened","messageId":"m1","userId":"u1","timestamp":"2026-10-01T10:00:00Z","context":{"externalIds":[{"id":"00:16:3E:11:22:33","type":"mac"}]}})"
              "\n");
  auto oneid = engine_->LookupOneId("user_id@taobao", "u1");
  ASSERT_TRUE(oneid.ok()) << oneid.status().ToString();
  const std::string lab = dir_ / "lab.csv", mall = dir_ / "mall.csv";
  testing::WriteFile(lab, std::string(kHeader) + Probes(mac, 0, 20, -60, "2026-10-20") + Probes(mac, 0, 5, -60, "2026-10-22") +
                              Probes(mac, 0, 5, -85, "2026-10-25") +  // walked past: not a visit day
                              Probes("00:16:3e:44:55:66", 0, 20, -60, "2026-10-20"));
  testing::WriteFile(mall, std::string(kHeader) + Probes(mac, 0, 3, -60, "2026-10-21"));
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {lab}).ok());
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("mall", {mall}).ok());
  const std::vector<std::string> names = {"store_visits_90d", "stores_visited_90d", "favourite_store", "last_store_visit"};
  ASSERT_TRUE(engine_->serving().Warm().ok());
  auto traits = engine_->serving().TraitsJson(*oneid, names);
  ASSERT_TRUE(traits.ok()) << traits.status().ToString();
  EXPECT_NE(traits->find(R"("store_visits_90d":3,"stores_visited_90d":2,"favourite_store":"lab","last_store_visit":"2026-10-22T10:04:00.000Z")"),
            std::string::npos)
      << *traits;
  // The lab's visits are an Interest touch-point of the brand's funnel with location consent.
  Engine::FunnelQuery funnel;
  funnel.brand = "Nike";
  funnel.stores = {"lab"};
  funnel.k = 10;
  auto report = engine_->audiences().Funnel(funnel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_NE(report->json.find(R"("raised_by_store_visits":0,"store_visits_withheld":"<10")"), std::string::npos)
      << report->json;
  // An exit for a use shows them only with location consent.
  auto shown = engine_->serving().TraitsJson(*oneid, names, "activation");
  ASSERT_TRUE(shown.ok());
  EXPECT_NE(shown->find(R"("store_visits_90d":null)"), std::string::npos) << *shown;
  Engine::ConsentChange c;
  c.id = "user_id@taobao:u1";
  c.source = "app";
  c.purposes = {"location"};
  ASSERT_TRUE(engine_->privacy().RecordConsent(c).ok());
  shown = engine_->serving().TraitsJson(*oneid, names, "activation");
  ASSERT_TRUE(shown.ok());
  EXPECT_NE(shown->find(R"("store_visits_90d":3,)"), std::string::npos) << *shown;
  report = engine_->audiences().Funnel(funnel);
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->json.find(R"("interest":"<10")"), std::string::npos) << report->json;
  EXPECT_NE(report->json.find(R"("raised_by_store_visits":"<10","store_visits_withheld":0)"), std::string::npos)
      << report->json;
  funnel.stores = {"mall"};  // the mall's visit (21 October) is a touch-point of the mall's brand only
  report = engine_->audiences().Funnel(funnel);
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->json.find(R"("raised_by_store_visits":"<10")"), std::string::npos) << report->json;
  funnel.stores = {"elsewhere"};
  report = engine_->audiences().Funnel(funnel);
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->json.find(R"("raised_by_store_visits":0,"store_visits_withheld":0)"), std::string::npos)
      << report->json;
  // Importing the same file again adds no visit.
  ASSERT_TRUE(engine_->stores().ImportStoreFiles("lab", {lab}).ok());
  EXPECT_NE(engine_->serving().TraitsJson(*oneid, names)->find(R"("store_visits_90d":3,)"), std::string::npos);
  // A rekey maps the visit days' device pseudonyms with the rest: the rebuilt profile keeps them.
  engine_.reset();
  Engine::RekeyReport rekeyed;
  Status st = Engine::Rekey(StoreOptions(), /*keep_old=*/false, nullptr, &rekeyed);
  ASSERT_TRUE(st.ok()) << st.ToString();
  Open();
  ASSERT_TRUE(engine_->serving().Warm().ok());
  oneid = engine_->LookupOneId("user_id@taobao", "u1");
  ASSERT_TRUE(oneid.ok());
  auto after = engine_->serving().TraitsJson(*oneid, names);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_NE(after->find(R"("store_visits_90d":3,)"), std::string::npos) << *after;

  Engine::ErasureReport erased;
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:u1", &erased).ok());
  IngestLines("app2.jsonl", "taobao",
              R"({"type":"track","event":"App Opened","messageId":"m2","userId":"u2","timestamp":"2026-10-28T10:00:00Z","context":{"externalIds":[{"id":"00:16:3E:11:22:33","type":"mac"}]}})"
              "\n");
  auto next = engine_->LookupOneId("user_id@taobao", "u2");
  ASSERT_TRUE(next.ok());
  auto inherited = engine_->serving().TraitsJson(*next, names);
  ASSERT_TRUE(inherited.ok());
  EXPECT_NE(inherited->find(R"("store_visits_90d":0,)"), std::string::npos) << *inherited;
  EXPECT_NE(inherited->find(R"("last_store_visit":null)"), std::string::npos) << *inherited;
}

// The metrics of generated stores against the generator's visit truth (store_visits.csv),
// through the engine as `holo stores import` and `holo stores metrics` run them: visits,
// visitors, passers-by and the returning share stay near the truth (bench/RESULTS.md has the
// figures over every store of larger worlds).
TEST_F(StoresTest, GeneratedStoresAgainstTheirVisitTruth) {
  WorldOptions world;
  world.persons = 8000;
  world.seed = 31;
  world.out_dir = dir_ / "world";
  ASSERT_TRUE(GenerateWorld(world, nullptr, nullptr).ok());
  struct Truth {
    uint64_t rows = 0, visits = 0, visitors = 0, passes = 0, returning = 0;
    std::vector<std::tuple<int64_t, std::string, int64_t>> visits_of;  // arrival, person, length
  };
  std::map<std::string, Truth> truth;
  std::ifstream in(dir_ / "world/store_visits.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, ',');) f.push_back(col);
    ASSERT_EQ(f.size(), 8u) << line;
    Truth& t = truth[f[0]];
    ++t.rows;
    if (f[5] == "pass") {
      ++t.passes;
      continue;
    }
    const int64_t a = *ParseIso8601Ms(f[6]), d = *ParseIso8601Ms(f[7]);
    t.visits_of.emplace_back(a, f[1], d - a);
  }
  std::vector<std::pair<uint64_t, std::string>> busiest;
  for (auto& [store, t] : truth) busiest.emplace_back(t.rows, store);
  std::sort(busiest.rbegin(), busiest.rend());
  busiest.resize(6);
  Truth want;
  uint64_t visits = 0, visitors = 0, passers = 0, returning = 0, recognisable = 0;
  for (const auto& [rows, store] : busiest) {
    Truth& t = truth[store];
    std::sort(t.visits_of.begin(), t.visits_of.end());
    std::map<std::string, int64_t> last_day;
    for (const auto& [arrival, person, length] : t.visits_of) {
      ++want.visits;
      if (length < 5 * 60 * 1000) continue;
      ++want.visitors;
      const int64_t day = arrival / 86400000;
      auto it = last_day.find(person);
      want.returning += it != last_day.end() && it->second < day;
      last_day[person] = day;
    }
    want.passes += t.passes;
    auto report = engine_->stores().ImportStoreFiles(
        store, {dir_ / "world/store_wifi.jsonl", dir_ / "world/store_beacon.jsonl"});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    auto json = engine_->stores().MetricsJson(store, "", "");
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    simdjson::dom::parser parser;
    simdjson::dom::element total = parser.parse(*json)["total"];
    visits += total["visits"].get_uint64().value();
    visitors += total["visitors"].get_uint64().value();
    passers += total["passers_by"].get_uint64().value();
    returning += total["returning"].get_uint64().value();
    recognisable += total["recognisable"].get_uint64().value();
  }
  ASSERT_GT(want.visits, 250u);
  const auto near = [](uint64_t got, uint64_t truth, double lo, double hi) {
    const double r = static_cast<double>(got) / static_cast<double>(truth);
    return r >= lo && r <= hi;
  };
  EXPECT_PRED4(near, visits, want.visits, 0.9, 1.08);
  EXPECT_PRED4(near, visitors, want.visitors, 0.88, 1.05);
  EXPECT_PRED4(near, passers, want.passes, 0.9, 1.15);
  ASSERT_GT(recognisable, 0u);
  EXPECT_NEAR(static_cast<double>(returning) / recognisable, static_cast<double>(want.returning) / want.visitors, 0.08);
}

}  // namespace
}  // namespace holo
