#include "holo/generate.h"

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
       {"truth.csv", "truth_linkable.csv", "persons.csv", "world.json", "campaigns.csv"}) {
    EXPECT_TRUE(fs::exists(dir() / name)) << name;
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
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(a.path())) {
    const fs::path name = entry.path().filename();
    EXPECT_EQ(ReadFile(entry.path()), ReadFile(b.path() / name)) << name;
    ++files;
  }
  EXPECT_EQ(files, 12u + 5u);
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
