#include "holo/generate.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "common/time_util.h"
#include "generate/ids.h"
#include "generate/ledger.h"
#include "generate/rng.h"
#include "holo/result.h"

namespace holo {
namespace {

namespace fs = std::filesystem;
using generate::AppendCanonical;
using generate::EntityLedger;
using generate::IdType;
using generate::Source;

constexpr std::string_view kPlaceholder = "00000000-0000-0000-0000-000000000000";

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(std::string_view name) {
    path_ = fs::temp_directory_path() /
            ("holo_generate_test_" + std::to_string(::getpid()) + "_" + std::string(name));
    fs::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Expects every file of `a` to have the same bytes in `b`; returns how many files `a` holds.
size_t ExpectSameFiles(const fs::path& a, const fs::path& b) {
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(a)) {
    const fs::path name = entry.path().filename();
    EXPECT_EQ(ReadFile(entry.path()), ReadFile(b / name)) << name;
    ++files;
  }
  return files;
}

std::vector<std::string> Lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Returns the string value of "key":"..." in a flat scan of a JSON line ("" if absent).
std::string Field(std::string_view line, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const size_t pos = line.find(needle);
  if (pos == std::string_view::npos) return "";
  const size_t start = pos + needle.size();
  const size_t end = line.find('"', start);
  return std::string(line.substr(start, end - start));
}

struct TruthRow {
  std::string source, type, value, person;
};

std::vector<TruthRow> ReadTruth(const fs::path& path) {
  std::vector<TruthRow> rows;
  std::vector<std::string> lines = Lines(path);
  EXPECT_FALSE(lines.empty());
  if (lines.empty()) return rows;
  EXPECT_EQ(lines[0], "source,identifier_type,identifier_value,person_id");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols;
    std::stringstream ss(lines[i]);
    std::string col;
    while (std::getline(ss, col, ',')) cols.push_back(col);
    EXPECT_EQ(cols.size(), 4u) << lines[i];
    if (cols.size() == 4) rows.push_back(TruthRow{cols[0], cols[1], cols[2], cols[3]});
  }
  return rows;
}

bool IsRandomizedMacText(std::string_view mac) {
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(mac[1])));
  return c == '2' || c == '6' || c == 'a' || c == 'e';
}

WorldStats Generate(const fs::path& dir, uint64_t persons, uint64_t seed, int days = 90) {
  WorldOptions options;
  options.persons = persons;
  options.seed = seed;
  options.days = days;
  options.out_dir = dir.string();
  WorldStats stats;
  const Status s = GenerateWorld(options, &stats);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return stats;
}

// One 500-person world shared by the read-only tests.
class GeneratedWorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shared500");
    stats_ = new WorldStats(Generate(dir_->path(), 500, 42));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete stats_;
  }
  static const fs::path& dir() { return dir_->path(); }
  static const WorldStats& stats() { return *stats_; }

 private:
  static TempDir* dir_;
  static WorldStats* stats_;
};
TempDir* GeneratedWorldTest::dir_ = nullptr;
WorldStats* GeneratedWorldTest::stats_ = nullptr;

TEST_F(GeneratedWorldTest, WritesEveryFile) {
  for (std::string_view source : GeneratedSources()) {
    const fs::path path = dir() / (std::string(source) + ".jsonl");
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), 0u) << path;
  }
  for (const char* name :
       {"truth.csv", "truth_linkable.csv", "persons.csv", "world.json", "campaigns.csv", "follow_ups.csv"}) {
    EXPECT_TRUE(fs::exists(dir() / name)) << name;
  }
  // Every follow-up of a trip abroad is in the messages: its roaming pack among taobao's
  // orders, and only after a flight abroad of its person.
  {
    const std::string taobao = ReadFile(dir() / "taobao.jsonl"), fliggy = ReadFile(dir() / "fliggy.jsonl");
    uint64_t rows = 0;
    for (const std::string& line : Lines(dir() / "follow_ups.csv")) {
      if (rows++ == 0) {
        EXPECT_EQ(line, "person_id,trigger_time,trigger_item,source,item,time");
        continue;
      }
      std::vector<std::string> fields;
      std::stringstream ss(line);
      for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
      ASSERT_EQ(fields.size(), 6u) << line;
      EXPECT_TRUE(fields[2].starts_with("fliggy:flight:")) << line;
      EXPECT_NE(fliggy.find("\"destination\":\"" + fields[2].substr(14) + "\""), std::string::npos) << line;
      EXPECT_GT(fields[5], fields[1]) << "a follow-up comes after its trip: " << line;
      if (fields[3] == "taobao") {
        EXPECT_NE(taobao.find("\"product_id\":\"" + fields[4].substr(15) + "\""), std::string::npos) << line;
      } else {
        EXPECT_EQ(fields[4], "alipay:merchant:currency_exchange") << line;
      }
    }
    EXPECT_GT(rows, 2u) << "500 persons book some flights abroad";
  }
  EXPECT_EQ(GeneratedSources().size(), 12u);
  EXPECT_EQ(stats().persons, 500u);
  EXPECT_GT(stats().events, 500u * 15);
  EXPECT_LT(stats().events, 500u * 45);
}

TEST_F(GeneratedWorldTest, EveryLineIsASegmentMessage) {
  const int64_t end = DaysFromCivil(2026, 11, 1) * 86400000LL;
  const int64_t start = end - 90 * 86400000LL;
  uint64_t total = 0;
  for (std::string_view source : GeneratedSources()) {
    std::set<std::string> message_ids;
    const std::vector<std::string> lines = Lines(dir() / (std::string(source) + ".jsonl"));
    EXPECT_EQ(lines.size(), stats().events_by_source.at(std::string(source))) << source;
    for (const std::string& line : lines) {
      ASSERT_TRUE(line.size() > 2 && line.front() == '{' && line.back() == '}') << line;
      const std::string type = Field(line, "type");
      ASSERT_FALSE(type.empty()) << line;
      const std::string id = Field(line, "messageId");
      EXPECT_EQ(id.rfind(std::string(source) + "-", 0), 0u) << line;
      EXPECT_TRUE(message_ids.insert(id).second) << "duplicate messageId " << id;
      const Result<int64_t> ts = ParseIso8601Ms(Field(line, "timestamp"));
      ASSERT_TRUE(ts.ok()) << line;
      EXPECT_GE(*ts, start) << line;
      EXPECT_LT(*ts, end) << line;
      if (type == "alias") {
        EXPECT_FALSE(Field(line, "userId").empty()) << line;
        EXPECT_FALSE(Field(line, "previousId").empty()) << line;
      } else {
        EXPECT_TRUE(!Field(line, "userId").empty() || !Field(line, "anonymousId").empty()) << line;
      }
      if (type == "track") {
        EXPECT_FALSE(Field(line, "event").empty()) << line;
      }
      ++total;
    }
  }
  EXPECT_EQ(total, stats().events);
}

// store_visits.csv is the truth the store metrics are scored against (stores_eval --world):
// every visit and pass-by it names left the probes it says, at its store, in its time.
TEST_F(GeneratedWorldTest, StoreVisitTruthMatchesTheProbes) {
  struct Probe {
    int64_t ts;
    int rssi;
  };
  std::map<std::pair<std::string, std::string>, std::vector<Probe>> probes;  // (store, mac)
  for (const std::string& line : Lines(dir() / "store_wifi.jsonl")) {
    const size_t at = line.find("\"rssi\":");
    ASSERT_NE(at, std::string::npos) << line;
    const auto ts = ParseIso8601Ms(Field(line, "timestamp"));
    ASSERT_TRUE(ts.ok()) << line;
    probes[{Field(line, "store_id"), Field(line, "id")}].push_back({*ts, std::atoi(line.c_str() + at + 7)});
  }
  const auto lines = Lines(dir() / "store_visits.csv");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "store_id,person_id,device,mac,randomized,kind,arrival,departure");
  size_t visits = 0, passes = 0, strong = 0, randomized = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    std::stringstream ss(lines[i]);
    for (std::string col; std::getline(ss, col, ',');) f.push_back(col);
    ASSERT_EQ(f.size(), 8u) << lines[i];
    EXPECT_EQ(f[2].rfind(f[1] + "/", 0), 0u) << "the device is one of the person's phones: " << lines[i];
    EXPECT_EQ(f[4] == "1", IsRandomizedMacText(f[3])) << lines[i];
    randomized += f[4] == "1";
    const auto arrival = ParseIso8601Ms(f[6]), departure = ParseIso8601Ms(f[7]);
    ASSERT_TRUE(arrival.ok() && departure.ok()) << lines[i];
    ASSERT_LE(*arrival, *departure) << lines[i];
    size_t seen = 0;
    int best = -1000;
    for (const Probe& p : probes[{f[0], f[3]}]) {
      if (p.ts < *arrival || p.ts > *departure) continue;
      ++seen;
      best = std::max(best, p.rssi);
    }
    if (f[5] == "visit") {
      ++visits;
      EXPECT_GE(seen, 1u) << "a visit leaves probes: " << lines[i];
      strong += best >= -70;
    } else {
      ASSERT_EQ(f[5], "pass") << lines[i];
      ++passes;
      EXPECT_GE(seen, 1u) << lines[i];
      EXPECT_LE(seen, 3u) << lines[i];
      EXPECT_LT(best, -70) << "a pass-by stays below the visit threshold: " << lines[i];
    }
  }
  EXPECT_GT(visits, 200u);
  EXPECT_GT(passes, 200u);
  EXPECT_GT(randomized, 0u);
  EXPECT_GT(strong, visits * 95 / 100) << "nearly every visit comes within the visit threshold";
}

TEST_F(GeneratedWorldTest, TruthAndLinkableAlign) {
  const std::vector<TruthRow> truth = ReadTruth(dir() / "truth.csv");
  const std::vector<TruthRow> linkable = ReadTruth(dir() / "truth_linkable.csv");
  ASSERT_EQ(truth.size(), linkable.size());
  EXPECT_EQ(truth.size(), stats().truth_rows);
  std::set<std::pair<std::string, std::string>> seen;
  std::set<std::string> components;
  std::set<std::string> persons;
  for (size_t i = 0; i < truth.size(); ++i) {
    const TruthRow& t = truth[i];
    const TruthRow& l = linkable[i];
    EXPECT_EQ(t.source, l.source);
    EXPECT_EQ(t.type, l.type);
    EXPECT_EQ(t.value, l.value);
    EXPECT_EQ(l.person.rfind(t.person + "#", 0), 0u) << t.person << " vs " << l.person;
    EXPECT_TRUE(seen.emplace(t.type, t.value).second) << "duplicate " << t.type << " " << t.value;
    const bool known = t.person[0] == 'p' || t.person.rfind("shared-h", 0) == 0 ||
                       t.person.rfind("kiosk-", 0) == 0;
    EXPECT_TRUE(known) << t.person;
    components.insert(l.person);
    if (t.person[0] == 'p') persons.insert(t.person);
  }
  EXPECT_EQ(components.size(), stats().linkable_components);
  EXPECT_EQ(persons.size(), 500u);  // everyone leaves a footprint
}

TEST_F(GeneratedWorldTest, TruthHasNoRandomizedMacsOrPlaceholders) {
  for (const TruthRow& t : ReadTruth(dir() / "truth.csv")) {
    EXPECT_NE(t.value, kPlaceholder);
    if (t.type == "mac" || t.type == "anonymous_id@store_wifi") {
      EXPECT_FALSE(IsRandomizedMacText(t.value)) << t.value;
    }
  }
  // ...while the messages do carry both.
  const std::string wifi = ReadFile(dir() / "store_wifi.jsonl");
  bool randomized = false;
  for (const std::string& line : Lines(dir() / "store_wifi.jsonl")) {
    randomized = randomized || IsRandomizedMacText(Field(line, "anonymousId"));
  }
  EXPECT_TRUE(randomized);
  EXPECT_NE(ReadFile(dir() / "taobao.jsonl").find(kPlaceholder), std::string::npos);
}

TEST_F(GeneratedWorldTest, PersonsCsv) {
  const std::vector<std::string> lines = Lines(dir() / "persons.csv");
  ASSERT_EQ(lines.size(), 501u);
  EXPECT_EQ(lines[0],
            "person_id,household_id,age,gender,city,city_tier,home_lat,home_lon,work_lat,"
            "work_lon,income_tier,travel_propensity,top_categories,top_brands");
  EXPECT_EQ(lines[1].rfind("p000000,h000000,", 0), 0u) << lines[1];
}

TEST_F(GeneratedWorldTest, WorldJsonHasOptionsAndStats) {
  const std::string json = ReadFile(dir() / "world.json");
  EXPECT_NE(json.find("\"options\":{\"persons\":500,\"seed\":42,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"wifi_macs_linked\":"), std::string::npos) << json;
  EXPECT_EQ(json.find("out_dir"), std::string::npos) << json;
}

TEST(GenerateWorldTest, SameSeedSameBytesDifferentSeedDifferentWorld) {
  TempDir a("det_a"), b("det_b"), c("det_c");
  Generate(a.path(), 300, 7);
  Generate(b.path(), 300, 7);
  Generate(c.path(), 300, 8);
  EXPECT_EQ(ExpectSameFiles(a.path(), b.path()), 12u + 7u);  // the sources, then truth, linkable, persons, store visits, follow-ups, campaigns, world.json
  EXPECT_NE(ReadFile(a.path() / "taobao.jsonl"), ReadFile(c.path() / "taobao.jsonl"));
  EXPECT_NE(ReadFile(a.path() / "truth.csv"), ReadFile(c.path() / "truth.csv"));
}

TEST(GenerateWorldTest, ShortWindowStaysInside) {
  TempDir dir("short");
  WorldOptions options;
  options.persons = 200;
  options.days = 7;
  options.end_date = "2026-03-01";
  options.out_dir = dir.path().string();
  WorldStats stats;
  ASSERT_TRUE(GenerateWorld(options, &stats).ok());
  const int64_t end = DaysFromCivil(2026, 3, 1) * 86400000LL;
  for (std::string_view source : GeneratedSources()) {
    for (const std::string& line : Lines(dir.path() / (std::string(source) + ".jsonl"))) {
      const Result<int64_t> ts = ParseIso8601Ms(Field(line, "timestamp"));
      ASSERT_TRUE(ts.ok());
      EXPECT_GE(*ts, end - 7 * 86400000LL);
      EXPECT_LT(*ts, end);
    }
  }
  EXPECT_GT(stats.events, 200u);
}

TEST(GenerateWorldTest, RejectsBadOptions) {
  TempDir dir("bad");
  auto check = [&](auto mutate) {
    WorldOptions o;
    o.persons = 10;
    o.out_dir = dir.path().string();
    mutate(o);
    const Status s = GenerateWorld(o, nullptr);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  };
  check([](WorldOptions& o) { o.persons = 0; });
  check([](WorldOptions& o) { o.days = 0; });
  check([](WorldOptions& o) { o.noise = 3; });
  check([](WorldOptions& o) { o.out_dir.clear(); });
  check([](WorldOptions& o) { o.end_date = "2026-02-30"; });
  check([](WorldOptions& o) { o.end_date = "2026-11-1"; });
}

// Traps and the wifi linkage ratio need a larger population.
class LargerWorldTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shared2000");
    stats_ = new WorldStats(Generate(dir_->path(), 2000, 42));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete stats_;
  }
  static const fs::path& dir() { return dir_->path(); }
  static const WorldStats& stats() { return *stats_; }

  // Returns the distinct userIds of taobao and web messages that carry any of `ids` (the
  // identifiers of one shared device) as device id or anonymousId.
  static std::set<std::string> UsersOf(const std::set<std::string>& ids) {
    std::set<std::string> users;
    for (const char* source : {"taobao", "web"}) {
      for (const std::string& line : Lines(dir() / (std::string(source) + ".jsonl"))) {
        const std::string user = Field(line, "userId");
        if (user.empty()) continue;
        const size_t device = line.find("\"device\":{\"id\":\"");
        const std::string device_id =
            device == std::string::npos ? "" : line.substr(device + 16, 36);
        if (ids.count(Field(line, "anonymousId")) > 0 || ids.count(device_id) > 0) {
          users.insert(user);
        }
      }
    }
    return users;
  }

  // Returns the identifiers of each shared entity whose label starts with `prefix`.
  static std::map<std::string, std::set<std::string>> SharedEntities(std::string_view prefix) {
    std::map<std::string, std::set<std::string>> entities;
    for (const TruthRow& t : ReadTruth(dir() / "truth.csv")) {
      if (t.person.rfind(prefix, 0) == 0) entities[t.person].insert(t.value);
    }
    return entities;
  }

 private:
  static TempDir* dir_;
  static WorldStats* stats_;
};
TempDir* LargerWorldTest::dir_ = nullptr;
WorldStats* LargerWorldTest::stats_ = nullptr;

// campaigns.csv: one row per campaign whose exposed_persons are exactly the persons with a
// Promotion Viewed of it, and whose model probabilities give a positive, plausible effect.
TEST_F(LargerWorldTest, CampaignsCsvCountsExposedPersonsAndAPositiveEffect) {
  std::map<std::string, std::string> person_of;  // identifier value -> person
  for (const TruthRow& t : ReadTruth(dir() / "truth.csv")) person_of[t.value] = t.person;
  std::map<std::string, std::set<std::string>> exposed;  // campaign -> persons
  std::map<std::string, uint64_t> views;
  for (const char* source : {"taobao", "tmall", "youku", "weibo"}) {
    for (const std::string& line : Lines(dir() / (std::string(source) + ".jsonl"))) {
      if (line.find("\"event\":\"Promotion Viewed\"") == std::string::npos) continue;
      const std::string campaign = Field(line, "campaign");
      auto person = person_of.find(Field(line, "anonymousId"));
      ASSERT_NE(person, person_of.end()) << line;
      exposed[campaign].insert(person->second);
      views[campaign]++;
    }
  }
  const std::vector<std::string> lines = Lines(dir() / "campaigns.csv");
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0],
            "campaign_id,campaign,brand,category,start,end,horizon_days,exposed_persons,"
            "clicked_persons,exposures,p_buy_exposed,p_buy_unexposed,true_effect_pp");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    std::stringstream ss(lines[i]);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    ASSERT_EQ(f.size(), 13u) << lines[i];
    EXPECT_EQ(f[6], "7");
    EXPECT_EQ(std::stoull(f[7]), exposed[f[1]].size()) << f[1];
    EXPECT_EQ(std::stoull(f[9]), views[f[1]]) << f[1];
    EXPECT_GT(std::stoull(f[7]), 100u) << f[1];
    const double exposed_p = std::stod(f[10]), unexposed_p = std::stod(f[11]);
    const double effect = std::stod(f[12]);
    EXPECT_GT(unexposed_p, 0) << f[1];
    EXPECT_GT(exposed_p, unexposed_p) << f[1];
    EXPECT_NEAR(effect, 100 * (exposed_p - unexposed_p), 1e-3) << f[1];
    EXPECT_GT(effect, 0.05) << f[1];
    EXPECT_LT(effect, 5) << f[1];
  }
}

// A dependant's family-card payment names the card's owner: the alipay user id of another
// member of the same household.
TEST_F(LargerWorldTest, FamilyCardPaymentsNameTheCardOwner) {
  std::map<std::string, std::string> person_of;
  for (const TruthRow& t : ReadTruth(dir() / "truth.csv")) person_of[t.value] = t.person;
  std::map<std::string, std::string> household_of;
  for (const std::string& line : Lines(dir() / "persons.csv")) {
    const size_t comma = line.find(',');
    household_of[line.substr(0, comma)] = line.substr(comma + 1, line.find(',', comma + 1) - comma - 1);
  }
  uint64_t payments = 0;
  for (const std::string& line : Lines(dir() / "alipay.jsonl")) {
    if (line.find("\"family_card\"") == std::string::npos) continue;
    ++payments;
    const std::string owner = Field(line, "card_owner");
    ASSERT_EQ(owner.rfind("2088", 0), 0u) << line;
    const std::string payer = person_of[Field(line, "anonymousId")];
    ASSERT_FALSE(payer.empty()) << line;
    ASSERT_TRUE(person_of.count(owner)) << owner;
    EXPECT_NE(person_of[owner], payer) << line;
    EXPECT_EQ(household_of[person_of[owner]], household_of[payer]) << line;
  }
  EXPECT_GT(payments, 50u);
  for (const std::string& line : Lines(dir() / "alipay.jsonl")) {
    if (line.find("\"family_card\"") != std::string::npos) continue;
    EXPECT_EQ(line.find("card_owner"), std::string::npos) << line;
  }
}

TEST_F(LargerWorldTest, WifiLinkageRatioIsRealistic) {
  EXPECT_GT(stats().wifi_macs_seen, 300u);
  EXPECT_GE(stats().WifiLinkedRatio(), 0.55);
  EXPECT_LE(stats().WifiLinkedRatio(), 0.75);
}

TEST_F(LargerWorldTest, SharedTabletsAreUsedBySeveralMembers) {
  const auto tablets = SharedEntities("shared-h");
  ASSERT_FALSE(tablets.empty());
  EXPECT_EQ(tablets.size(), stats().shared_tablets);
  for (const auto& [label, ids] : tablets) {
    EXPECT_GE(UsersOf(ids).size(), 2u) << label;
  }
}

TEST_F(LargerWorldTest, KiosksAreUsedByManyPeople) {
  const auto kiosks = SharedEntities("kiosk-");
  ASSERT_FALSE(kiosks.empty());
  EXPECT_EQ(kiosks.size(), stats().kiosks);
  for (const auto& [label, ids] : kiosks) {
    EXPECT_GE(UsersOf(ids).size(), 5u) << label;
  }
}

TEST_F(LargerWorldTest, ExplicitLinksAndIsolatedPeopleExist) {
  EXPECT_GT(stats().isolated_persons, 0u);
  EXPECT_GT(stats().membership_links, 0u);
  EXPECT_NE(ReadFile(dir() / "taobao.jsonl").find("\"type\":\"alipay_id\""), std::string::npos);
  EXPECT_NE(ReadFile(dir() / "web.jsonl").find("\"type\":\"alias\""), std::string::npos);
  EXPECT_NE(ReadFile(dir() / "minigame.jsonl").find("\"type\":\"alias\""), std::string::npos);
  EXPECT_NE(ReadFile(dir() / "minigame.jsonl").find("\"invited_by\""), std::string::npos);
  // Some web cookies are never seen logged in: singleton components.
  const std::vector<TruthRow> linkable = ReadTruth(dir() / "truth_linkable.csv");
  std::map<std::string, int> component_size;
  for (const TruthRow& t : linkable) ++component_size[t.person];
  size_t lonely_cookies = 0;
  for (const TruthRow& t : linkable) {
    if (t.type == "anonymous_id@web" && t.person[0] == 'p' && component_size[t.person] == 1) {
      ++lonely_cookies;
    }
  }
  EXPECT_GT(lonely_cookies, 0u);
}

// ---- building blocks ----

// ---- foreign shapes (WorldOptions::foreign_shapes) ----

// A minimal JSON value and parser for the generator's own lines (no unicode escapes needed:
// JsonWriter writes UTF-8 as is).
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;

  const Json* Get(std::string_view key) const {
    for (const auto& [k, v] : obj) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}
  bool Parse(Json* out) {
    if (!Value(out)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  void Ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool String(std::string* out) {
    if (s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        out->push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        if (e == 'u') return false;  // not written by the generator
      } else {
        out->push_back(c);
      }
    }
    return false;
  }
  bool Value(Json* out) {
    Ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      out->kind = Json::kObject;
      ++i_;
      Ws();
      if (s_[i_] == '}') return ++i_, true;
      while (true) {
        Ws();
        std::string key;
        if (!String(&key)) return false;
        Ws();
        if (s_[i_++] != ':') return false;
        Json v;
        if (!Value(&v)) return false;
        out->obj.emplace_back(std::move(key), std::move(v));
        Ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        return s_[i_++] == '}';
      }
    }
    if (c == '[') {
      out->kind = Json::kArray;
      ++i_;
      Ws();
      if (s_[i_] == ']') return ++i_, true;
      while (true) {
        Json v;
        if (!Value(&v)) return false;
        out->arr.push_back(std::move(v));
        Ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        return s_[i_++] == ']';
      }
    }
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->str);
    }
    const size_t start = i_;
    while (i_ < s_.size() && std::string_view(",}] \n").find(s_[i_]) == std::string_view::npos) {
      ++i_;
    }
    out->str = std::string(s_.substr(start, i_ - start));
    out->kind = out->str == "null" ? Json::kNull
                : (out->str == "true" || out->str == "false") ? Json::kBool
                                                              : Json::kNumber;
    return i_ > start;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// The identifiers Holo's ingestion (src/ingest/message_parser.cc) reads from one message of
// `source`, as (truth type, raw value); randomized MACs and placeholder ad ids left out.
std::vector<std::pair<std::string, std::string>> MessageIds(std::string_view source,
                                                            const Json& m) {
  static const std::map<std::string, std::string, std::less<>> kAccountTypes = {
      {"taobao_id", "user_id@taobao"},     {"alipay_id", "user_id@alipay"},
      {"eleme_id", "user_id@eleme"},       {"youku_id", "user_id@youku"},
      {"fliggy_id", "user_id@fliggy"},     {"amap_id", "user_id@amap"},
      {"weibo_id", "user_id@weibo"},       {"minigame_id", "user_id@minigame"},
      {"web_id", "user_id@web"}};
  const std::string ns =
      (source == "tmall" || source == "store_beacon") ? "taobao" : std::string(source);
  std::vector<std::pair<std::string, std::string>> ids;
  auto add = [&](std::string type, const Json* v) {
    if (v == nullptr || v->kind != Json::kString) return;
    const bool mac_like = type == "mac" || type == "anonymous_id@store_wifi";
    std::string hex;
    for (char c : v->str) {
      if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
    }
    if (mac_like && hex.size() == 12 && IsRandomizedMacText(hex)) return;
    if (v->str == kPlaceholder) return;
    ids.emplace_back(std::move(type), v->str);
  };
  add("user_id@" + ns, m.Get("userId"));
  add("anonymous_id@" + std::string(source), m.Get("anonymousId"));
  add("anonymous_id@" + std::string(source), m.Get("previousId"));
  const Json* type = m.Get("type");
  if (const Json* traits = m.Get("traits"); traits != nullptr && type->str == "identify") {
    add("email", traits->Get("email"));
    add("phone", traits->Get("phone"));
  }
  if (const Json* ctx = m.Get("context")) {
    if (const Json* device = ctx->Get("device")) {
      add("device_id", device->Get("id"));
      add("ad_id", device->Get("advertisingId"));
    }
    if (const Json* traits = ctx->Get("traits")) {
      add("email", traits->Get("email"));
      add("phone", traits->Get("phone"));
    }
    if (const Json* ext = ctx->Get("externalIds")) {
      for (const Json& e : ext->arr) {
        const std::string& t = e.Get("type")->str;
        const auto it = kAccountTypes.find(t);
        add(it != kAccountTypes.end() ? it->second : t, e.Get("id"));
      }
    }
  }
  return ids;
}

IdType TruthIdType(std::string_view type) {
  if (type == "mac") return IdType::kMac;
  if (type == "phone") return IdType::kPhone;
  if (type == "email") return IdType::kEmail;
  return IdType::kDeviceId;  // compared raw
}

bool IsPersonLabel(std::string_view label) {
  return label.size() > 1 && label[0] == 'p' && std::isdigit(static_cast<unsigned char>(label[1]));
}

// The kind of a pseudo-entity label: "courier-12" -> "courier", "ip-home-h000003" -> "ip-home".
std::string EntityKind(std::string_view label) {
  static constexpr std::string_view kKinds[] = {
      "sensor-",  "pos-",    "callcentre-", "courier-",       "office-",   "ip-home-",
      "ip-nat-",  "family-email-", "qa-device-", "qa-", "shared-", "kiosk-"};
  for (std::string_view k : kKinds) {
    if (label.rfind(k, 0) == 0) return std::string(k.substr(0, k.size() - 1));
  }
  return "";
}

WorldStats GenerateForeign(const fs::path& dir, uint64_t persons, uint64_t seed) {
  WorldOptions options;
  options.persons = persons;
  options.seed = seed;
  options.out_dir = dir.string();
  options.foreign_shapes = true;
  WorldStats stats;
  const Status s = GenerateWorld(options, &stats);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return stats;
}

// One 1500-person foreign-shapes world, parsed once: every message's identifiers, and the
// persons each pseudo-entity's identifiers co-occur with.
class ForeignWorldTest : public ::testing::Test {
 protected:
  struct Parsed {
    std::vector<TruthRow> truth;
    std::map<std::pair<std::string, std::string>, std::string> owner;  // (type, raw) -> label
    std::set<std::pair<std::string, std::string>> seen;                // in some message
    std::vector<std::pair<std::string, std::string>> missing;          // in no truth row
    std::map<std::string, std::set<std::string>> persons_of;  // pseudo-entity -> persons
    std::map<std::string, std::string> files;                 // source -> content
  };

  static void SetUpTestSuite() {
    dir_ = new TempDir("foreign1500");
    stats_ = new WorldStats(GenerateForeign(dir_->path(), 1500, 11));
    parsed_ = new Parsed;
    Parsed& p = *parsed_;
    p.truth = ReadTruth(dir() / "truth.csv");
    for (const TruthRow& t : p.truth) p.owner[{t.type, t.value}] = t.person;
    for (std::string_view source : GeneratedSources()) {
      const fs::path path = dir() / (std::string(source) + ".jsonl");
      p.files[std::string(source)] = ReadFile(path);
      for (const std::string& line : Lines(path)) {
        Json m;
        ASSERT_TRUE(JsonParser(line).Parse(&m)) << line;
        std::set<std::string> owners;
        for (auto& id : MessageIds(source, m)) {
          p.seen.insert(id);
          const auto it = p.owner.find(id);
          if (it == p.owner.end()) {
            p.missing.push_back(id);
          } else {
            owners.insert(it->second);
          }
        }
        for (const std::string& o : owners) {
          if (IsPersonLabel(o)) continue;
          std::set<std::string>& persons = p.persons_of[o];
          for (const std::string& q : owners) {
            if (IsPersonLabel(q)) persons.insert(q);
          }
        }
      }
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete stats_;
    delete parsed_;
  }
  static const fs::path& dir() { return dir_->path(); }
  static const WorldStats& stats() { return *stats_; }
  static const Parsed& parsed() { return *parsed_; }

  // Returns the sizes (distinct persons co-occurring) of the pseudo-entities of `kind`.
  static std::vector<size_t> Sizes(std::string_view kind) {
    std::vector<size_t> sizes;
    for (const auto& [label, persons] : parsed().persons_of) {
      if (EntityKind(label) == kind) sizes.push_back(persons.size());
    }
    std::sort(sizes.begin(), sizes.end());
    return sizes;
  }

 private:
  static TempDir* dir_;
  static WorldStats* stats_;
  static Parsed* parsed_;
};
TempDir* ForeignWorldTest::dir_ = nullptr;
WorldStats* ForeignWorldTest::stats_ = nullptr;
ForeignWorldTest::Parsed* ForeignWorldTest::parsed_ = nullptr;

TEST_F(ForeignWorldTest, EveryShapeAppearsInTheFiles) {
  const auto& f = parsed().files;
  auto has = [&](std::string_view source, std::string_view needle) {
    return f.at(std::string(source)).find(needle) != std::string::npos;
  };
  // 1. Store sensors as anonymousId (a vendor id, a uuid or the sensor's MAC).
  EXPECT_TRUE(has("store_wifi", "\"anonymousId\":\"SNS-"));
  // 2. POS terminals as device.id and as an external id.
  EXPECT_TRUE(has("taobao", "\"type\":\"pos\""));
  EXPECT_TRUE(has("taobao", "\"type\":\"pos_terminal_id\""));
  EXPECT_TRUE(has("taobao", "\"channel\":\"in_store\""));
  // 3. The call centre's and couriers' phones in context.traits.
  EXPECT_TRUE(has("taobao", "\"traits\":{\"phone\":\"17100095555\"}") ||
              has("tmall", "\"traits\":{\"phone\":\"+86 171 0009 5555\"}"));
  EXPECT_TRUE(has("eleme", "\"traits\":{\"phone\":\"170"));
  // 4. Office wifi, as "bssid" and as "mac".
  EXPECT_TRUE(has("alipay", "\"type\":\"bssid\"") || has("taobao", "\"type\":\"bssid\""));
  // 5. IPs in context, and as an external id in alipay.
  EXPECT_TRUE(has("taobao", "\"ip\":\"36."));
  EXPECT_TRUE(has("amap", "\"ip\":\"223.104."));
  EXPECT_TRUE(has("alipay", "\"type\":\"ip\""));
  // 6. Family e-mails; 7. QA accounts.
  EXPECT_TRUE(has("alipay", "@139.com") || has("taobao", "@139.com"));
  EXPECT_TRUE(has("taobao", "\"userId\":\"qa_0"));
  EXPECT_EQ(std::string(f.at("taobao")).find("\"test"), std::string::npos);
  // 8. MACs in every common spelling, as "mac" external ids.
  std::set<std::string> spellings;
  for (const auto& [id, label] : parsed().owner) {
    if (id.first != "mac") continue;
    const std::string& v = id.second;
    const bool upper = v.find_first_of("ABCDEF") != std::string::npos;
    const bool lower = v.find_first_of("abcdef") != std::string::npos;
    if (v.size() == 17) spellings.insert(std::string(upper ? "U" : "l") + v[2]);
    if (v.size() == 14 && v[4] == '.') spellings.insert("dot");
    if (v.size() == 12 && !lower) spellings.insert("bare");
  }
  for (const char* s : {"l:", "U:", "l-", "U-", "dot", "bare"}) {
    EXPECT_EQ(spellings.count(s), 1u) << s;
  }
  EXPECT_GT(stats().foreign_sensors, 0u);
  EXPECT_GT(stats().pos_terminals, 0u);
  EXPECT_GT(stats().in_store_orders, 0u);
  EXPECT_GT(stats().callcentre_orders, 0u);
  EXPECT_GT(stats().couriers, 1u);
  EXPECT_GT(stats().offices, 1u);
  EXPECT_GT(stats().home_ips, 0u);
  EXPECT_GT(stats().nat_ips, 0u);
  EXPECT_GT(stats().family_emails, 0u);
  EXPECT_EQ(stats().qa_accounts, 6u);
  EXPECT_EQ(stats().qa_devices, 4u);
  const std::string json = ReadFile(dir() / "world.json");
  EXPECT_NE(json.find("\"foreign_shapes\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"couriers\":"), std::string::npos) << json;
}

// Every identifier of every message is a truth row, once; every truth row was sent; raw
// spellings of one canonical identifier have one owner.
TEST_F(ForeignWorldTest, TruthListsEveryIdentifierOnce) {
  EXPECT_TRUE(parsed().missing.empty())
      << parsed().missing.size() << " identifiers not in truth, e.g. "
      << parsed().missing.front().first << " " << parsed().missing.front().second;
  std::set<std::pair<std::string, std::string>> rows;
  std::map<std::pair<std::string, std::string>, std::string> canonical_owner;
  for (const TruthRow& t : parsed().truth) {
    EXPECT_TRUE(rows.emplace(t.type, t.value).second) << "duplicate " << t.type << " " << t.value;
    EXPECT_EQ(parsed().seen.count({t.type, t.value}), 1u) << "never sent: " << t.value;
    std::string canonical;
    AppendCanonical(TruthIdType(t.type), t.value, &canonical);
    const auto [it, fresh] = canonical_owner.emplace(std::make_pair(t.type, canonical), t.person);
    EXPECT_EQ(it->second, t.person) << t.type << " " << canonical << " has two owners";
  }
  const std::vector<TruthRow> linkable = ReadTruth(dir() / "truth_linkable.csv");
  ASSERT_EQ(linkable.size(), parsed().truth.size());
  for (size_t i = 0; i < linkable.size(); ++i) {
    EXPECT_EQ(linkable[i].person.rfind(parsed().truth[i].person + "#", 0), 0u);
  }
}

TEST_F(ForeignWorldTest, HubIdentifiersAreNeverAPersons) {
  std::map<std::string, size_t> rows_by_kind;
  for (const TruthRow& t : parsed().truth) {
    const bool hub_type = t.type == "bssid" || t.type == "ip" || t.type == "pos_terminal_id";
    std::string phone;
    if (t.type == "phone") AppendCanonical(IdType::kPhone, t.value, &phone);
    // Couriers' numbers start 170 and the call centre's is 171 0009 5555: no person's does.
    const bool hub_value = t.value.rfind("qa_", 0) == 0 || t.value.rfind("SNS-", 0) == 0 ||
                           t.value.rfind("POS-", 0) == 0 ||
                           t.value.find("@139.com") != std::string::npos ||
                           phone.rfind("+86170", 0) == 0 || phone == "+8617100095555";
    if (hub_type || hub_value) EXPECT_FALSE(IsPersonLabel(t.person)) << t.type << " " << t.value;
    if (!IsPersonLabel(t.person)) {
      const std::string kind = EntityKind(t.person);
      EXPECT_FALSE(kind.empty()) << t.person;
      ++rows_by_kind[kind];
    }
  }
  for (const char* kind : {"sensor", "pos", "callcentre", "courier", "office", "ip-home", "ip-nat",
                           "family-email", "qa", "qa-device"}) {
    EXPECT_GT(rows_by_kind[kind], 0u) << kind;
  }
}

// Hubs come in several instances of varied size: no one threshold separates them.
TEST_F(ForeignWorldTest, PseudoEntitiesHaveTheIntendedSizes) {
  const auto couriers = Sizes("courier");
  ASSERT_GE(couriers.size(), 5u);
  EXPECT_LE(couriers.front(), 8u);
  EXPECT_GE(couriers.back(), 40u);
  EXPECT_LE(couriers.back(), 200u);
  const auto offices = Sizes("office");
  ASSERT_GE(offices.size(), 5u);
  EXPECT_LE(offices.front(), 8u);
  EXPECT_GE(offices.back(), 40u);
  EXPECT_LE(offices.back(), 300u);
  const auto qa = Sizes("qa");
  ASSERT_EQ(qa.size(), 6u);
  EXPECT_LE(qa[1], 20u);  // qa[0]: the account used only on test devices
  EXPECT_GE(qa.back(), 100u);
  EXPECT_EQ(qa.front(), 0u);
  EXPECT_GE(Sizes("callcentre").at(0), 5u);
  for (size_t n : Sizes("ip-nat")) EXPECT_GE(n, 5u);  // one per ~2,500 people of a city
  for (size_t n : Sizes("ip-home")) EXPECT_LE(n, 5u);
  const auto family = Sizes("family-email");
  ASSERT_FALSE(family.empty());
  EXPECT_GE(family.back(), 2u);
  EXPECT_LE(family.back(), 5u);
  const auto sensors = Sizes("sensor");
  ASSERT_FALSE(sensors.empty());
  EXPECT_GE(sensors.back(), 3u);
  for (size_t n : Sizes("qa-device")) EXPECT_EQ(n, 0u);  // staff only
}

TEST(ForeignShapesTest, SameOptionsSameBytesAndTheSamePeople) {
  TempDir a("foreign_a"), b("foreign_b"), plain("foreign_plain");
  GenerateForeign(a.path(), 300, 5);
  GenerateForeign(b.path(), 300, 5);
  Generate(plain.path(), 300, 5);
  EXPECT_EQ(ExpectSameFiles(a.path(), b.path()), 12u + 7u);  // the sources, then truth, linkable, persons, store visits, follow-ups, campaigns, world.json
  // The same people behave the same: latent attributes and campaign truth are unchanged.
  EXPECT_EQ(ReadFile(a.path() / "persons.csv"), ReadFile(plain.path() / "persons.csv"));
  EXPECT_EQ(ReadFile(a.path() / "campaigns.csv"), ReadFile(plain.path() / "campaigns.csv"));
  EXPECT_NE(ReadFile(a.path() / "truth.csv"), ReadFile(plain.path() / "truth.csv"));
  EXPECT_EQ(ReadFile(plain.path() / "world.json").find("foreign"), std::string::npos);
}

TEST(IdsTest, MacSpellingsCanonicalizeTogether) {
  const uint64_t mac = 0xA483E7123456ULL;
  EXPECT_EQ(generate::FormatMac(mac, generate::MacFormat::kLowerDot), "a483.e712.3456");
  EXPECT_EQ(generate::FormatMac(mac, generate::MacFormat::kUpperBare), "A483E7123456");
  for (int f = 0; f < generate::kNumMacFormats; ++f) {
    std::string canonical;
    AppendCanonical(IdType::kMac, generate::FormatMac(mac, static_cast<generate::MacFormat>(f)),
                    &canonical);
    EXPECT_EQ(canonical, "a4:83:e7:12:34:56") << f;
  }
}

TEST(IdsTest, MacFormatsAndRandomization) {
  const uint64_t mac = 0xA483E7123456ULL;
  EXPECT_EQ(generate::FormatMac(mac, generate::MacFormat::kLowerColon), "a4:83:e7:12:34:56");
  EXPECT_EQ(generate::FormatMac(mac, generate::MacFormat::kUpperDash), "A4-83-E7-12-34-56");
  EXPECT_FALSE(generate::IsRandomizedMac(mac));
  generate::Rng rng(1);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t r = generate::RandomizedMac(rng);
    EXPECT_TRUE(generate::IsRandomizedMac(r));
    EXPECT_TRUE(IsRandomizedMacText(generate::FormatMac(r, generate::MacFormat::kUpperColon)));
    EXPECT_EQ((r >> 40) & 1, 0u);  // unicast
  }
}

TEST(IdsTest, PhoneFormatsCanonicalizeToE164) {
  using generate::FormatPhone;
  using generate::PhoneFormat;
  const std::string national = "13812345678";
  EXPECT_EQ(FormatPhone(national, PhoneFormat::kSpacedIntl), "+86 138 1234 5678");
  EXPECT_EQ(FormatPhone(national, PhoneFormat::kDashed), "138-1234-5678");
  for (PhoneFormat f : {PhoneFormat::kPlain, PhoneFormat::kE164, PhoneFormat::kSpacedIntl,
                        PhoneFormat::kDashed, PhoneFormat::kSpaced}) {
    std::string canonical;
    AppendCanonical(IdType::kPhone, FormatPhone(national, f), &canonical);
    EXPECT_EQ(canonical, "+8613812345678");
  }
  std::string email, mac;
  AppendCanonical(IdType::kEmail, " WangFang12@163.com", &email);
  EXPECT_EQ(email, "wangfang12@163.com");
  AppendCanonical(IdType::kMac, "A4-83-E7-12-34-56", &mac);
  EXPECT_EQ(mac, "a4:83:e7:12:34:56");
}

TEST(IdsTest, UserIdsAreUniquePerNamespace) {
  for (Source ns :
       {Source::kTaobao, Source::kAlipay, Source::kEleme, Source::kAmap, Source::kFliggy,
        Source::kYouku, Source::kWeibo, Source::kMinigame, Source::kWeb}) {
    std::set<std::string> ids;
    for (uint64_t i = 0; i < 5000; ++i) ids.insert(generate::UserIdFor(ns, i, 99));
    EXPECT_EQ(ids.size(), 5000u) << generate::SourceName(ns);
  }
  EXPECT_EQ(generate::UserIdFor(Source::kTaobao, 3, 99).size(), 13u);
  EXPECT_EQ(generate::UserIdFor(Source::kAlipay, 3, 99).rfind("2088", 0), 0u);
}

TEST(IdsTest, UuidShape) {
  generate::Rng rng(5);
  const std::string u = generate::Uuid(rng, false);
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[8], '-');
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
  EXPECT_NE(u, generate::Uuid(rng, false));
}

TEST(RngTest, PermuteIsAPermutation) {
  for (uint64_t m : {2ULL, 10ULL, 1000ULL, 4097ULL}) {
    std::set<uint64_t> out;
    for (uint64_t x = 0; x < m; ++x) {
      const uint64_t y = generate::Permute(x, m, 12345);
      EXPECT_LT(y, m);
      out.insert(y);
    }
    EXPECT_EQ(out.size(), m);
  }
}

TEST(RngTest, SameSeedSameSequence) {
  generate::Rng a = generate::Rng::For(1, generate::Stream::kPersonEvents, 7);
  generate::Rng b = generate::Rng::For(1, generate::Stream::kPersonEvents, 7);
  generate::Rng c = generate::Rng::For(1, generate::Stream::kPersonEvents, 8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
  // Pinned values: a change here changes every generated world.
  EXPECT_EQ(generate::Rng(42).Next(), 1546998764402558742ULL);
  EXPECT_EQ(generate::Permute(5, 1000, 7), 700u);
}

TEST(LedgerTest, RowsVariantsAndComponents) {
  EntityLedger ledger;
  ledger.Reset("p000007");
  const int uid =
      ledger.Observe(IdType::kUserId, Source::kTaobao, "2200000001", 2000, Source::kTmall);
  const int phone1 =
      ledger.Observe(IdType::kPhone, Source::kTaobao, "13812345678", 3000, Source::kTaobao);
  const int phone2 =
      ledger.Observe(IdType::kPhone, Source::kAlipay, "+86 138 1234 5678", 1000, Source::kAlipay);
  const int again =
      ledger.Observe(IdType::kUserId, Source::kTaobao, "2200000001", 1500, Source::kTaobao);
  const int cookie = ledger.Observe(IdType::kAnonymousId, Source::kWeb, "c1", 5000, Source::kWeb);
  EXPECT_EQ(uid, again);
  EXPECT_EQ(phone1, phone2);  // raw variants share a node
  ledger.Union(uid, phone1);
  EXPECT_EQ(ledger.rows(), 4u);
  EXPECT_EQ(ledger.Components(), 2u);
  EXPECT_NE(cookie, uid);
  std::string truth, linkable;
  ledger.AppendCsv(&truth, &linkable);
  EXPECT_EQ(truth,
            "taobao,user_id@taobao,2200000001,p000007\n"
            "taobao,phone,13812345678,p000007\n"
            "alipay,phone,+86 138 1234 5678,p000007\n"
            "web,anonymous_id@web,c1,p000007\n");
  EXPECT_EQ(linkable,
            "taobao,user_id@taobao,2200000001,p000007#0\n"
            "taobao,phone,13812345678,p000007#0\n"
            "alipay,phone,+86 138 1234 5678,p000007#0\n"
            "web,anonymous_id@web,c1,p000007#1\n");
}

}  // namespace
}  // namespace holo
