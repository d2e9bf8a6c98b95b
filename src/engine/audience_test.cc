// Audiences against a real store and a generated world: segments kept current
// as events arrive (including computed traits and consent), versions, group
// profiles that refuse a differencing attack, and household ties checked
// against the world's truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "holo/engine.h"
#include "holo/generate.h"
#include "testing/test_util.h"

namespace holo {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  f.push_back(cur);
  return f;
}

class AudienceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("audience_test");
    WorldOptions world;
    world.persons = 1500;
    world.seed = 23;
    world.out_dir = *dir_ / "world";
    std::filesystem::create_directories(world.out_dir);
    WorldStats stats;
    ASSERT_TRUE(GenerateWorld(world, &stats, nullptr).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    data_ = *dir_ / ("data-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    Open();
    IngestReport report;
    ASSERT_TRUE(engine_->Ingest({*dir_ / "world"}, IngestOptions(), &report).ok());
  }
  void Open() {
    engine_.reset();
    Options options;
    options.data_dir = data_;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  void Ingest(const std::string& name, const std::string& content, const std::string& source) {
    testing::WriteFile(*dir_ / name, content);
    IngestReport report;
    IngestOptions options;
    options.source = source;
    Status s = engine_->Ingest({*dir_ / name}, options, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(report.rejected, 0u);
  }
  uint64_t Members(const std::string& segment) {
    auto info = engine_->audiences().GetSegment(segment);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->members : 0;
  }
  std::set<std::string> Exported(const std::string& segment) {
    std::ostringstream out;
    EXPECT_TRUE(engine_->audiences().ExportSegment(segment, out).ok());
    auto lines = testing::Lines(out.str());
    return {lines.begin(), lines.end()};
  }

  static std::string Order(const std::string& id, const std::string& user, double revenue) {
    return R"({"type":"track","event":"Order Completed","messageId":")" + id +
           R"(","timestamp":"2026-10-30T10:00:00.000Z","userId":")" + user +
           R"(","properties":{"order_id":")" + id + R"(","revenue":)" + std::to_string(revenue) +
           R"(,"products":[{"product_id":"tbx","brand":"Gucci","category":"luxury","price":)" +
           std::to_string(revenue) + R"(,"quantity":1}]}})" + "\n";
  }
  static std::string Consent(const std::string& id, const std::string& user, bool given, const std::string& ts) {
    return R"({"type":"track","event":"Consent )" + std::string(given ? "Given" : "Withdrawn") +
           R"(","messageId":")" + id + R"(","timestamp":")" + ts + R"(","userId":")" + user +
           R"(","properties":{"purposes":["marketing"]}})" + "\n";
  }

  static testing::TempDir* dir_;
  std::string data_;
  std::unique_ptr<Engine> engine_;
};
testing::TempDir* AudienceTest::dir_ = nullptr;

// The engine owns its audience state and its lock: readers on other threads run beside
// ingestion, resolution and definitions (no caller-held lock, as the server holds none),
// every answer is whole (a segment's size never goes back while buyers only arrive) and
// the state ends exact.
TEST_F(AudienceTest, ReadersRunBesideChangesWithoutACallerLock) {
  const std::string lux = R"(count(Order Completed where category = "luxury", all) >= 1)";
  auto created = engine_->audiences().DefineSegment("lux", lux);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(engine_->serving().Warm().ok());
  const uint64_t lux0 = created->members;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::string> errors;
  std::mutex errors_mu;
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(errors_mu);
    errors.push_back(what);
  };
  auto reader = [&] {
    uint64_t last_size = 0, last_count = 0;
    while (!stop.load()) {
      auto info = engine_->audiences().GetSegment("lux");
      if (!info.ok()) return fail("GetSegment: " + info.status().ToString());
      if (info->members < last_size) {
        return fail("segment size went back from " + std::to_string(last_size) + " to " + std::to_string(info->members));
      }
      last_size = info->members;
      auto n = engine_->audiences().CountExpression(lux);
      if (!n.ok()) return fail("CountExpression: " + n.status().ToString());
      if (*n < last_count) return fail("count went back from " + std::to_string(last_count) + " to " + std::to_string(*n));
      last_count = *n;
      auto list = engine_->audiences().ListSegments();
      if (!list.ok() || list->empty()) return fail("ListSegments");
      if (auto segs = engine_->serving().SegmentsOf(1); !segs.ok()) return fail("SegmentsOf: " + segs.status().ToString());
      if (auto t = engine_->serving().TraitsJson(1, {"order_count"}); !t.ok() && t.status().code() != StatusCode::kNotFound) {
        return fail("TraitsJson: " + t.status().ToString());
      }
      reads++;
    }
  };
  std::thread r1(reader), r2(reader);
  std::thread definer([&] {
    for (int i = 0; i < 5 && !stop.load(); ++i) {
      auto d = engine_->audiences().DefineSegment("buyers" + std::to_string(i), "order_count >= " + std::to_string(i + 1));
      if (!d.ok()) fail("DefineSegment: " + d.status().ToString());
    }
  });
  const int kBuyers = 12;
  for (int i = 0; i < kBuyers; ++i) {
    Ingest("race" + std::to_string(i) + ".jsonl",
           Order("t-race-" + std::to_string(i), "22009998880" + std::to_string(10 + i), 5000 + i), "taobao");
  }
  definer.join();
  stop = true;
  r1.join();
  r2.join();
  for (const std::string& e : errors) ADD_FAILURE() << e;
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(Members("lux"), lux0 + kBuyers);
  auto fresh = engine_->audiences().CountExpression(lux);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, lux0 + kBuyers);
  for (int i = 0; i < 5; ++i) {
    auto fresh_i = engine_->audiences().CountExpression("order_count >= " + std::to_string(i + 1));
    ASSERT_TRUE(fresh_i.ok());
    EXPECT_EQ(Members("buyers" + std::to_string(i)), *fresh_i) << i;
  }
}

TEST_F(AudienceTest, SegmentsStayCurrentAsEventsArrive) {
  const std::string lux = R"(count(Order Completed where category = "luxury", all) >= 1)";
  auto created = engine_->audiences().DefineSegment("lux", lux);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->version, 1u);
  auto mkt = engine_->audiences().DefineSegment("mkt", R"(consent("marketing") and order_count >= 1)");
  ASSERT_TRUE(mkt.ok()) << mkt.status().ToString();
  const uint64_t lux0 = created->members, mkt0 = mkt->members;

  // A new shopper buys luxury: the computed trait and the segment follow.
  Ingest("lux1.jsonl", Order("t-lux-1", "2200999999001", 9000.5), "taobao");
  auto oneid = engine_->LookupOneId("user_id@taobao", "2200999999001");
  ASSERT_TRUE(oneid.ok() && *oneid != 0);
  EXPECT_EQ(Members("lux"), lux0 + 1);
  EXPECT_EQ(Members("mkt"), mkt0);  // no consent yet
  // Exports need the marketing consent (the policy's "export" use): a member, not exported.
  EXPECT_FALSE(Exported("lux").count(std::to_string(*oneid)));

  // Consent given, then withdrawn later: membership and export follow each time.
  Ingest("c1.jsonl", Consent("t-c-1", "2200999999001", true, "2026-10-30T11:00:00.000Z"), "taobao");
  EXPECT_EQ(Members("mkt"), mkt0 + 1);
  EXPECT_TRUE(Exported("lux").count(std::to_string(*oneid)));
  Ingest("c2.jsonl", Consent("t-c-2", "2200999999001", false, "2026-10-30T12:00:00.000Z"), "taobao");
  EXPECT_EQ(Members("mkt"), mkt0);
  EXPECT_FALSE(Exported("lux").count(std::to_string(*oneid)));

  // Reopened, memberships read from the store equal a fresh evaluation.
  Open();
  auto fresh = engine_->audiences().CountExpression(lux);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(Members("lux"), *fresh);
  auto traits = engine_->audiences().ListTraits();
  ASSERT_TRUE(traits.ok());
  EXPECT_EQ(traits->size(), 1u);

  // Redefinition is a new version; the same text again is not.
  auto v2 = engine_->audiences().DefineSegment("lux", R"(count(Order Completed where category = "luxury", all) >= 2)");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->version, 2u);
  EXPECT_LT(v2->members, Members("mkt") + lux0 + 1);
  auto same = engine_->audiences().DefineSegment("lux", R"(count(Order Completed where category="luxury", all)>=2)");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->version, 2u);
  auto shown = engine_->audiences().GetSegment("lux");
  ASSERT_TRUE(shown.ok());
  ASSERT_EQ(shown->history.size(), 2u);
  EXPECT_EQ(shown->history[0].second, lux);

  // Clear errors.
  auto bad = engine_->audiences().DefineSegment("x", "spend_90d > ");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("at column"), std::string::npos) << bad.status().message();
  EXPECT_EQ(engine_->audiences().DefineSegment("bad name", "order_count > 1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->audiences().GetSegment("nope").status().code(), StatusCode::kNotFound);
}

// Saved segments equal a fresh evaluation of their own expression after every kind of
// change, each made by a process of its own (as `holo ingest`, `holo consent`, `holo erase`
// are), and read both by the process that made it and by the next one.
TEST_F(AudienceTest, SavedSegmentsFollowEveryChangeFromEveryProcess) {
  const std::vector<std::pair<std::string, std::string>> defs = {
      {"spenders", "spend_90d > 0"},
      {"mkt", R"(consent("marketing"))"},
      {"lux", R"(count(Order Completed where category = "luxury", all) >= 1)"},
      {"travellers", "travel_international_trips > 0 or order_count >= 3"},
  };
  for (const auto& [name, def] : defs) ASSERT_TRUE(engine_->audiences().DefineSegment(name, def).ok()) << name;
  auto expect_current = [&](const std::string& after) {
    for (int pass = 0; pass < 2; ++pass) {  // the process that changed it, then a new one
      if (pass == 1) Open();
      for (const auto& [name, def] : defs) {
        auto fresh = engine_->audiences().CountExpression(def);
        ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
        EXPECT_EQ(Members(name), *fresh) << name << " after " << after << (pass ? " (reopened)" : "");
      }
    }
  };
  const std::string user = "2200999999077";
  Open();
  Ingest("st1.jsonl", Order("t-st-1", user, 9100) + Order("t-st-2", user, 120) + Order("t-st-3", user, 80) +
                          Consent("t-st-4", user, true, "2026-10-30T11:00:00.000Z"), "taobao");
  expect_current("ingest");
  auto oneid = engine_->LookupOneId("user_id@taobao", user);
  ASSERT_TRUE(oneid.ok() && *oneid != 0);
  ASSERT_TRUE(engine_->serving().SegmentsOf(*oneid).ok());
  EXPECT_EQ((*engine_->serving().SegmentsOf(*oneid)).size(), 4u);

  Open();
  Engine::ConsentChange withdraw;
  withdraw.id = "user_id@taobao:" + user;
  withdraw.source = "support";
  withdraw.purposes = {"marketing"};
  withdraw.given = false;
  ASSERT_TRUE(engine_->privacy().RecordConsent(withdraw).ok());
  expect_current("consent withdrawn");
  auto segs = engine_->serving().SegmentsOf(*oneid);
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(std::count(segs->begin(), segs->end(), "mkt"), 0) << "withdrawal did not reach consent(\"marketing\")";
  auto profile = engine_->ProfileJson(std::to_string(*oneid));
  ASSERT_TRUE(profile.ok());
  EXPECT_NE(profile->find("\"consent_marketing\":false"), std::string::npos);

  Open();
  ASSERT_TRUE(engine_->privacy().SetConsentPolicy(R"({"defaults":{"marketing":true}})").ok());
  expect_current("consent policy");

  Open();
  ResolveReport rr;
  ASSERT_TRUE(engine_->Resolve(/*full=*/true, &rr).ok());
  expect_current("full resolve");

  Open();
  Engine::ErasureReport er;
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:" + user, &er).ok());
  expect_current("erasure");
}

// Defining a computed trait reads only the events it names (the event index) and writes
// only that trait: every profile gets the value a full rebuild from all events gives.
TEST_F(AudienceTest, DefiningATraitEqualsAFullRebuild) {
  auto values = [&](const std::string& trait) {
    std::ostringstream out;
    EXPECT_TRUE(engine_->ExportProfiles(out).ok());
    std::map<std::string, std::string> v;
    const std::regex oneid("\"oneid\":\"([0-9]+)\""), value("\"" + trait + "\":([^,}]*)");
    for (const std::string& line : testing::Lines(out.str())) {
      std::smatch a, b;
      EXPECT_TRUE(std::regex_search(line, a, oneid));
      EXPECT_TRUE(std::regex_search(line, b, value)) << line.substr(0, 200);
      v[a[1]] = b[1];
    }
    return v;
  };
  const std::vector<std::pair<std::string, std::string>> traits = {
      {"lux_n", R"(count(Order Completed where category = "luxury", 90d))"},
      {"lux_sum", R"(sum(Order Completed.price where category = "luxury", all))"},
      {"last_brand", "last(Product Viewed.brand, 30d)"},
  };
  for (const auto& [name, def] : traits) ASSERT_TRUE(engine_->audiences().DefineTrait(name, def).ok()) << name;
  std::map<std::string, std::map<std::string, std::string>> fast;
  for (const auto& [name, def] : traits) fast[name] = values(name);
  EXPECT_GT(std::count_if(fast["lux_n"].begin(), fast["lux_n"].end(), [](const auto& kv) { return kv.second != "0"; }),
            10);
  auto members = engine_->audiences().CountExpression("lux_n >= 1");
  ASSERT_TRUE(members.ok());
  ResolveReport r;
  ASSERT_TRUE(engine_->Resolve(/*full=*/true, &r).ok());
  for (const auto& [name, def] : traits) EXPECT_EQ(values(name), fast[name]) << name;
  EXPECT_EQ(*engine_->audiences().CountExpression("lux_n >= 1"), *members);
}

// A computed trait can be dropped: its definition and values go (another process sees
// neither, a full rebuild does not bring them back, a new definition of the name starts
// clean), and the drop is refused, naming them, while a saved segment reads it.
TEST_F(AudienceTest, DroppingATraitRemovesItAndIsRefusedWhileASegmentReadsIt) {
  const std::string lux = R"(count(Order Completed where category = "luxury", 90d))";
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_n", lux).ok());
  auto holders = engine_->audiences().CountExpression("lux_n >= 1");
  ASSERT_TRUE(holders.ok()) << holders.status().ToString();
  ASSERT_GT(*holders, 5u);
  ASSERT_TRUE(engine_->audiences().DefineSegment("lux", "lux_n >= 1").ok());
  ASSERT_TRUE(engine_->audiences().DefineSegment("lux_implied", lux + " >= 2").ok());

  Status refused = engine_->audiences().DropTrait("lux_n");
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("'lux'"), std::string::npos) << refused.message();
  // The trait a segment's aggregate term implies is named by its canonical text.
  Status implied = engine_->audiences().DropTrait(lux);
  EXPECT_EQ(implied.code(), StatusCode::kFailedPrecondition) << implied.ToString();
  EXPECT_NE(implied.message().find("'lux_implied'"), std::string::npos) << implied.message();
  EXPECT_EQ(engine_->audiences().DropTrait("no_such_trait").code(), StatusCode::kNotFound);

  ASSERT_TRUE(engine_->audiences().DropSegment("lux").ok());
  Status dropped = engine_->audiences().DropTrait("lux_n");
  ASSERT_TRUE(dropped.ok()) << dropped.ToString();
  auto has_trait = [&](const std::string& name) {
    auto listed = engine_->audiences().ListTraits();
    EXPECT_TRUE(listed.ok());
    for (const auto& [n, def] : *listed) {
      if (n == name) return true;
    }
    return false;
  };
  auto exported_mentions = [&](const std::string& name) {
    std::ostringstream out;
    EXPECT_TRUE(engine_->ExportProfiles(out).ok());
    return out.str().find("\"" + name + "\"") != std::string::npos;
  };
  EXPECT_FALSE(has_trait("lux_n"));
  EXPECT_TRUE(has_trait(lux)) << "the implied trait of the remaining segment stays";
  EXPECT_FALSE(exported_mentions("lux_n"));
  auto warnings = engine_->audiences().ExpressionWarnings("lux_n >= 1");
  ASSERT_TRUE(warnings.ok());
  EXPECT_EQ(warnings->size(), 1u) << "an expression naming it is told no profile has it";
  EXPECT_EQ(Members("lux_implied"), *engine_->audiences().CountExpression(lux + " >= 2"));

  // Another process, and a full rebuild: still gone.
  Open();
  EXPECT_FALSE(has_trait("lux_n"));
  ResolveReport r;
  ASSERT_TRUE(engine_->Resolve(/*full=*/true, &r).ok());
  EXPECT_FALSE(exported_mentions("lux_n"));
  // Defined again, over another event: only the new definition's values.
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_n", "count(Product Viewed where category = \"nothing-such\", all)").ok());
  EXPECT_EQ(*engine_->audiences().CountExpression("lux_n >= 1"), 0u);
  ASSERT_TRUE(engine_->Resolve(/*full=*/true, &r).ok());
  EXPECT_EQ(*engine_->audiences().CountExpression("lux_n >= 1"), 0u);
}

// A computed trait gives the same value for every OneID through `trait define` (the event
// index), through a full rebuild, and after each later change: ingest (incremental), an event
// not resolved yet, DeleteEvent, erasure, retention and redefinition. Profiles store a
// computed value only where an event contributed; every reader sees the default elsewhere.
TEST_F(AudienceTest, ComputedTraitsAgreeWithAFullRebuildAfterEveryChange) {
  const std::string kLux = R"(count(Order Completed where category = "luxury", all))";
  // Every OneID's value of each computed trait, read from the export (defaults filled in).
  auto values = [&]() {
    std::map<std::string, std::map<std::string, std::string>> v;
    std::ostringstream out;
    EXPECT_TRUE(engine_->ExportProfiles(out).ok());
    auto traits = engine_->audiences().ListTraits();
    EXPECT_TRUE(traits.ok());
    const std::regex oneid("\"oneid\":\"([0-9]+)\"");
    for (const std::string& line : testing::Lines(out.str())) {
      std::smatch a;
      EXPECT_TRUE(std::regex_search(line, a, oneid));
      for (const auto& [name, def] : *traits) {
        std::smatch b;
        EXPECT_TRUE(std::regex_search(line, b, std::regex("\"" + name + "\":([^,}]*)"))) << name;
        v[name][a[1]] = b[1];
      }
    }
    return v;
  };
  // The values now must equal those of a full rebuild, in this process and the next.
  auto expect_rebuild_agrees = [&](const std::string& after) {
    const auto fast = values();
    ResolveReport r;
    ASSERT_TRUE(engine_->Resolve(/*full=*/true, &r).ok());
    EXPECT_EQ(values(), fast) << "after " << after;
    Open();
    EXPECT_EQ(values(), fast) << "after " << after << " (reopened)";
  };
  auto value_of = [&](const std::string& user, const std::string& trait) -> std::string {
    auto json = engine_->ProfileJson("user_id@taobao:" + user);
    if (!json.ok()) return json.status().ToString();
    std::smatch m;
    if (!std::regex_search(*json, m, std::regex("\"" + trait + "\":([^,}]*)"))) return "missing";
    return m[1];
  };
  // A saved segment names the trait before it exists; it follows the definition.
  ASSERT_TRUE(engine_->audiences().DefineSegment("no_lux", "lux = 0").ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux", kLux).ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_spend", R"(sum(Order Completed.price where category = "luxury", all))").ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("last_brand", "last(Product Viewed.brand, all)").ok());
  EXPECT_EQ(Members("no_lux"), *engine_->audiences().CountExpression("lux = 0"));
  EXPECT_GT(Members("no_lux"), 100u);
  EXPECT_EQ(Members("no_lux") + *engine_->audiences().CountExpression("lux >= 1"), *engine_->audiences().CountExpression("order_count >= 0"));
  expect_rebuild_agrees("define");

  // An event whose identifier has no OneID yet: skipped by a define, counted once resolved.
  const std::string late = "2200999999301";
  IngestReport ir;
  IngestOptions unresolved;
  unresolved.source = "taobao";
  unresolved.resolve = false;
  testing::WriteFile(*dir_ / "late.jsonl", Order("t-late-1", late, 7000));
  ASSERT_TRUE(engine_->Ingest({*dir_ / "late.jsonl"}, unresolved, &ir).ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_late", kLux).ok());
  ResolveReport rr;
  ASSERT_TRUE(engine_->Resolve(/*full=*/false, &rr).ok());
  EXPECT_EQ(value_of(late, "lux_late"), "1");
  EXPECT_EQ(value_of(late, "last_brand"), "null");  // the default, filled in by the reader
  expect_rebuild_agrees("an event resolved after the define");

  // Incremental: a new luxury order of a known shopper, then the same order deleted.
  const std::string user = "2200999999302";
  Ingest("lux302a.jsonl", Order("t-302-1", user, 8000), "taobao");
  Ingest("lux302b.jsonl", Order("t-302-2", user, 9000.25), "taobao");
  EXPECT_EQ(value_of(user, "lux"), "2");
  EXPECT_EQ(value_of(user, "lux_spend"), "17000.25");
  expect_rebuild_agrees("ingest");
  ASSERT_TRUE(engine_->identity().DeleteEvent("taobao", "t-302-2", &rr).ok());
  EXPECT_EQ(value_of(user, "lux"), "1");
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_after_delete", kLux).ok());  // the index row went with the event
  EXPECT_EQ(value_of(user, "lux_after_delete"), "1");
  expect_rebuild_agrees("DeleteEvent");

  // Erasure: the person's events leave every trait, including one defined afterwards.
  Engine::ErasureReport er;
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:" + user, &er).ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_after_erasure", kLux).ok());
  EXPECT_EQ(values()["lux_after_erasure"], values()["lux"]);
  expect_rebuild_agrees("erasure");

  // Retention: taobao's events expire; a trait defined afterwards does not count them.
  const auto before = values()["lux"];
  ASSERT_TRUE(engine_->privacy().SetRetention(R"({"taobao":30})").ok());
  Engine::RetentionReport ret;
  ASSERT_TRUE(engine_->privacy().ApplyRetention(&ret).ok());
  EXPECT_GT(ret.expired_events, 0u);
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux_after_retention", kLux).ok());
  EXPECT_EQ(values()["lux_after_retention"], values()["lux"]);
  EXPECT_NE(values()["lux"], before);
  expect_rebuild_agrees("retention");

  // Redefinition: old values that the new definition does not give are removed.
  ASSERT_TRUE(engine_->audiences().DefineTrait("lux", R"(count(Order Completed where category = "books", all))").ok());
  ASSERT_TRUE(engine_->audiences().DefineTrait("books", R"(count(Order Completed where category = "books", all))").ok());
  EXPECT_EQ(values()["lux"], values()["books"]);
  EXPECT_EQ(Members("no_lux"), *engine_->audiences().CountExpression("lux = 0"));
  expect_rebuild_agrees("redefinition");
  EXPECT_EQ(Members("no_lux"), *engine_->audiences().CountExpression("lux = 0"));
}

// Operators get exact group profiles; analysts a noisy one, without the segments dimension,
// the same within the period, and nothing for a one-person group.
TEST_F(AudienceTest, GroupProfilesAreExactForOperatorsAndPrivateForAnalysts) {
  Ingest("lux2.jsonl", Order("t-lux-2", "2200999999002", 123456.5), "taobao");
  Engine::GroupProfileOptions options;
  auto exact = engine_->analysts().GroupProfile("order_count >= 1", options);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_NE(exact->json.find("\"dimensions\""), std::string::npos);
  const auto exact_size = engine_->audiences().CountExpression("order_count >= 1");
  ASSERT_TRUE(exact_size.ok());
  EXPECT_NE(exact->json.find("\"size\":" + std::to_string(*exact_size) + ","), std::string::npos) << exact->json;
  Engine::GroupProfileOptions analyst;
  analyst.budget_owner = "analyst:ann";
  auto noisy = engine_->analysts().GroupProfile("order_count >= 1", analyst);
  ASSERT_TRUE(noisy.ok()) << noisy.status().ToString();
  EXPECT_NE(noisy->json.find("\"charged\":"), std::string::npos) << noisy->json;
  EXPECT_EQ(noisy->json.find("\"name\":\"segments\""), std::string::npos) << noisy->json;
  auto again = engine_->analysts().GroupProfile("order_count >= 1", analyst);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->json.substr(again->json.find("\"dimensions\"")), noisy->json.substr(noisy->json.find("\"dimensions\"")));
  // The one big spender: no size, no cell (epsilon 1 on one dimension: 1 + noise of scale 2
  // reaching 50 has probability e^-24).
  Engine::GroupProfileOptions one_dim = analyst;
  one_dim.epsilon = 1;
  one_dim.dimensions = {"gender"};
  auto one = engine_->analysts().GroupProfile("spend_90d >= 123456", one_dim);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_NE(one->json.find("\"size\":null"), std::string::npos) << one->json;
  EXPECT_EQ(one->json.find("\"count\":"), std::string::npos) << one->json;
  analyst.k = 5;
  EXPECT_EQ(engine_->analysts().GroupProfile("order_count >= 1", analyst).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AudienceTest, HouseholdTiesAgreeWithTheTruth) {
  // OneID -> the person most of its identifiers belong to; person -> household.
  std::map<uint64_t, std::map<std::string, int>> votes;
  auto truth = testing::Lines(testing::ReadFile(*dir_ / "world/truth.csv"));
  for (size_t i = 1; i < truth.size(); ++i) {
    auto f = SplitCsv(truth[i]);
    if (f.size() < 4) continue;
    auto id = engine_->LookupOneId(f[1], f[2]);
    if (id.ok() && *id != 0) votes[*id][f[3]]++;
  }
  std::map<std::string, std::string> household;
  auto persons = testing::Lines(testing::ReadFile(*dir_ / "world/persons.csv"));
  for (size_t i = 1; i < persons.size(); ++i) {
    auto f = SplitCsv(persons[i]);
    household[f[0]] = f[1];
  }
  auto owner = [&](uint64_t id) -> std::string {
    auto it = votes.find(id);
    if (it == votes.end()) return "";
    return std::max_element(it->second.begin(), it->second.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
        ->first;
  };
  uint64_t ties = 0, same = 0;
  for (const auto& [id, v] : votes) {
    auto report = engine_->audiences().People(std::to_string(id));
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const std::string& line : testing::Lines(report->text)) {
      if (line.find("  household") != 0) continue;
      uint64_t other = std::stoull(line.substr(11));
      std::string a = owner(id), b = owner(other);
      if (a.empty() || b.empty()) continue;
      ++ties;
      same += household[a] == household[b];
    }
  }
  const double precision = ties ? static_cast<double>(same) / ties : 0;
  std::printf("household ties: %llu, same household in truth: %.4f\n", (unsigned long long)ties, precision);
  EXPECT_GE(ties, 100u);
  EXPECT_GE(precision, 0.95);
}

}  // namespace
}  // namespace holo
