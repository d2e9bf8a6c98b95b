// The attacks of issue #16 against the analyst interface, on a world this test makes: 400
// buyers, each known to the attacker by one unique fact (the exact total they spent), and a
// secret bit each (marketing consent, about half of them). One analyst per attack, one
// period, the default budget and k. For every target the attacker guesses the bit from the
// answers, and the most common bit when the answers say nothing (a refusal, a spent budget).
// Each attack's accuracy must stay within 0.1 of always guessing the most common bit; with
// a budget a thousand times the default and noise 40 times weaker, the first attack succeeds
// (checked below, so that the attack is shown to work where the defence is absent).
#include <gtest/gtest.h>

#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "common/time_util.h"
#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "testing/test_util.h"

namespace holo {
namespace {

constexpr int kPeople = 400;
constexpr int kTargets = 300;

std::string Track(const std::string& id, const std::string& event, const std::string& user, const std::string& ts,
                  const std::string& properties) {
  return R"({"type":"track","event":")" + event + R"(","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user + R"(","properties":)" + properties + "}\n";
}

// The exact total of person i: unique, and what the attacker knows of them.
std::string Spend(int i) { return std::to_string(100 + 3 * i); }

class PrivacyAttackTest : public testing::EngineStoreTest {
 protected:
  PrivacyAttackTest() : EngineStoreTest("privacy_attack_test") {}
  void SetUp() override {
    Open();
    std::mt19937 rng(20261207);
    std::string lines;
    for (int i = 0; i < kPeople; ++i) {
      const std::string u = "p" + std::to_string(i);
      lines += Track(u + "o", "Order Completed", u, "2026-10-01T10:00:00Z", R"({"revenue":)" + Spend(i) + "}");
      const bool consents = rng() % 2 == 0;
      secret_.push_back(consents);
      lines += Track(u + "c", consents ? "Consent Given" : "Consent Withdrawn", u, "2026-10-02T10:00:00Z",
                     R"({"purposes":["marketing"]})");
    }
    const std::string path = dir_ / "world.jsonl";
    testing::WriteFile(path, lines);
    IngestReport report;
    IngestOptions options;
    options.source = "shop";
    ASSERT_TRUE(engine_->Ingest({path}, options, &report).ok());
    ASSERT_EQ(report.rejected, 0u);
    int yes = 0;
    for (int i = 0; i < kTargets; ++i) yes += secret_[i] ? 1 : 0;
    majority_ = 2 * yes >= kTargets;
    base_rate_ = static_cast<double>(majority_ ? yes : kTargets - yes) / kTargets;
    // The attacker's facts do single each person out (checked with the operator's exact count).
    auto one = engine_->audiences().CountExpression("total_spend = " + Spend(7));
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(*one, 1u);
  }

  Engine::ReleaseOptions Analyst(const std::string& name) const {
    Engine::ReleaseOptions o;
    o.budget_owner = "analyst:" + name;
    return o;  // default k, epsilon and budget
  }
  // A released count, or nothing (withheld, refused, budget spent): what the attacker sees.
  std::optional<double> Ask(const std::string& q, const Engine::ReleaseOptions& o) {
    auto r = engine_->analysts().ReleaseCount(q, o);
    if (!r.ok()) {
      // A refusal or a spent budget: it never carries a number.
      EXPECT_TRUE(r.status().code() == StatusCode::kResourceExhausted || r.status().code() == StatusCode::kInvalidArgument)
          << r.status().ToString();
      refusals_.push_back(r.status().message());
      return std::nullopt;
    }
    if (!r->count) {
      refusals_.push_back(r->withheld);
      return std::nullopt;
    }
    return static_cast<double>(*r->count);
  }
  // Accuracy of `guess(i)` (nullopt: the most common bit) over the targets.
  template <typename Guess>
  double Accuracy(Guess guess) {
    int right = 0;
    for (int i = 0; i < kTargets; ++i) {
      const std::optional<bool> g = guess(i);
      right += g.value_or(majority_) == secret_[i] ? 1 : 0;
    }
    return static_cast<double>(right) / kTargets;
  }
  void ExpectNoNumbersInRefusals() {
    for (const std::string& why : refusals_) {
      // Budget messages state epsilon figures; no refusal states a count or a difference.
      if (why.find("privacy budget") != std::string::npos) continue;
      EXPECT_EQ(why.find_first_of("0123456789"), std::string::npos) << why;
    }
  }

  std::vector<bool> secret_;
  bool majority_ = false;
  double base_rate_ = 0;
  std::vector<std::string> refusals_;
};

// count(everyone) - count(everyone but the target-if-consenting): two queries.
TEST_F(PrivacyAttackTest, DifferencingWithTwoQueries) {
  const auto o = Analyst("mallory");
  const double acc = Accuracy([&](int i) -> std::optional<bool> {
    auto all = Ask("order_count >= 1", o);
    auto rest = Ask("order_count >= 1 and (total_spend != " + Spend(i) + " or not consent(\"marketing\"))", o);
    if (!all || !rest) return std::nullopt;
    return *all - *rest >= 0.5;
  });
  std::printf("two-query differencing: accuracy %.3f, base rate %.3f\n", acc, base_rate_);
  EXPECT_LE(acc, base_rate_ + 0.1);
  ExpectNoNumbersInRefusals();
  // The same attack where the budget does not bind and the noise is weak: it works.
  Engine::ReleaseOptions lax = Analyst("lax");
  lax.budget = 5000;
  lax.epsilon = 4.0;
  // (The shared first answer shifts every difference alike: the attacker cuts at their mean.)
  std::vector<std::optional<double>> diffs;
  double mean = 0;
  int n = 0;
  for (int i = 0; i < kTargets; ++i) {
    auto all = Ask("order_count >= 1", lax);
    auto rest = Ask("order_count >= 1 and (total_spend != " + Spend(i) + " or not consent(\"marketing\"))", lax);
    diffs.push_back(all && rest ? std::optional<double>(*all - *rest) : std::nullopt);
    if (diffs.back()) mean += *diffs.back(), ++n;
  }
  mean /= std::max(1, n);
  const double lax_acc = Accuracy([&](int i) -> std::optional<bool> {
    if (!diffs[i]) return std::nullopt;
    return *diffs[i] >= mean;
  });
  std::printf("two-query differencing without the defaults: accuracy %.3f\n", lax_acc);
  EXPECT_GE(lax_acc, base_rate_ + 0.15);
}

// count(Z and (A or B or T)) - count(Z and A) - count(Z and B), T the target if consenting,
// and the four-query variant with a third group.
TEST_F(PrivacyAttackTest, DifferencingWithThreeAndFourQueries) {
  for (int parts : {3, 4}) {
    const auto o = Analyst("mallory" + std::to_string(parts));
    const std::vector<std::string> groups = {"total_spend < 400", "total_spend > 900", "total_spend >= 600 and total_spend <= 700"};
    const double acc = Accuracy([&](int i) -> std::optional<bool> {
      std::string either;
      double sum = 0;
      for (int g = 0; g < parts - 1; ++g) {
        either += "(" + groups[g] + ") or ";
        auto a = Ask("order_count >= 1 and (" + groups[g] + ")", o);
        if (!a) return std::nullopt;
        sum += *a;
      }
      auto all = Ask("order_count >= 1 and (" + either + "(total_spend = " + Spend(i) + " and consent(\"marketing\")))", o);
      if (!all) return std::nullopt;
      return *all - sum >= 0.5;
    });
    std::printf("%d-query differencing: accuracy %.3f, base rate %.3f\n", parts, acc, base_rate_);
    EXPECT_LE(acc, base_rate_ + 0.1);
  }
  ExpectNoNumbersInRefusals();
}

// The same question again to average the noise away: the same answer every time; then
// near-identical questions (an empty clause added) until the budget is spent, averaged.
TEST_F(PrivacyAttackTest, AveragingRepeatedAndNearIdenticalQueries) {
  const auto o = Analyst("mallory");
  const std::string q = "order_count >= 1 and (total_spend != " + Spend(0) + " or not consent(\"marketing\"))";
  std::set<double> seen;
  for (int r = 0; r < 30; ++r) {
    if (auto a = Ask(q, o)) seen.insert(*a);
  }
  EXPECT_EQ(seen.size(), 1u) << "a repeated question gets the period's answer";
  const double acc = Accuracy([&](int i) -> std::optional<bool> {
    double diff = 0;
    int n = 0;
    for (int v = 0; v < 20; ++v) {
      auto all = Ask("order_count >= 1 or total_spend = -" + std::to_string(v + 1), o);
      auto rest = Ask("order_count >= 1 and (total_spend != " + Spend(i) + " or not consent(\"marketing\") or total_spend = -" +
                          std::to_string(v + 1) + ")",
                      o);
      if (!all || !rest) break;
      diff += *all - *rest;
      ++n;
    }
    if (n == 0) return std::nullopt;
    return diff / n >= 0.5;
  });
  std::printf("averaging near-identical queries: accuracy %.3f, base rate %.3f\n", acc, base_rate_);
  EXPECT_LE(acc, base_rate_ + 0.1);
  // Spent: the same kind of question now gets no number at all, with or without an epsilon.
  Engine::ReleaseOptions more = o;
  more.epsilon = 1.0;
  EXPECT_EQ(engine_->analysts().ReleaseCount("order_count >= 2", more).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(engine_->analysts().ReleaseCount("order_count >= 3", o).status().code(), StatusCode::kResourceExhausted);
  ExpectNoNumbersInRefusals();
}

// Saved segments and overlaps: an operator's one-person segments, overlapped with the
// consenting; an analyst's group profile of the target's segment; the segments dimension.
TEST_F(PrivacyAttackTest, OverlapAndSegmentDimensionEnumeration) {
  ASSERT_TRUE(engine_->audiences().DefineSegment("consenting", "consent(\"marketing\")").ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(engine_->audiences().DefineSegment("t" + std::to_string(i), "total_spend = " + Spend(i)).ok());
  }
  const auto o = Analyst("mallory");
  const double acc = Accuracy([&](int i) -> std::optional<bool> {
    if (i >= 40) return std::nullopt;
    auto r = engine_->analysts().ReleaseOverlap("t" + std::to_string(i), "consenting", o);
    if (!r.ok() || !r->both.count) return std::nullopt;
    return *r->both.count >= 1;
  });
  std::printf("overlap enumeration: accuracy %.3f, base rate %.3f\n", acc, base_rate_);
  EXPECT_LE(acc, base_rate_ + 0.1);
  // A group profile lists no segments: "t0 and hypothesis" segments cannot be enumerated.
  Engine::GroupProfileOptions g;
  g.budget_owner = "analyst:eve";
  auto profile = engine_->analysts().GroupProfile("order_count >= 1", g);
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(profile->json.find("consenting"), std::string::npos) << profile->json;
  EXPECT_EQ(profile->json.find("\"t0\""), std::string::npos) << profile->json;
  auto target = engine_->analysts().GroupProfile("t0", g);
  ASSERT_TRUE(target.ok());
  EXPECT_NE(target->json.find("\"size\":null"), std::string::npos) << target->json;
}

// Attacks on a world of the generator (2,000 persons), made once for these tests.
class GeneratedWorldAttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("privacy_attack_world");
    WorldOptions world;
    world.persons = 2000;
    world.seed = 16;
    world.out_dir = *dir_ / "world";
    std::filesystem::create_directories(world.out_dir);
    WorldStats stats;
    ASSERT_TRUE(GenerateWorld(world, &stats, nullptr).ok());
    Options options;
    options.data_dir = *dir_ / "data";
    auto opened = Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value().release();
    IngestReport report;
    ASSERT_TRUE(engine_->Ingest({*dir_ / "world"}, IngestOptions(), &report).ok());
    std::ostringstream out;
    ASSERT_TRUE(engine_->ExportProfiles(out).ok());
    profiles_ = new std::string(out.str());
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete profiles_;
    delete dir_;
  }
  // Each profile's traits, for what the attacker knows and what they want.
  template <typename Fn>
  static void ForEachProfile(Fn fn) {
    simdjson::dom::parser parser;
    std::istringstream lines(*profiles_);
    for (std::string line; std::getline(lines, line);) {
      simdjson::dom::element doc, traits;
      if (parser.parse(line).get(doc) || doc["traits"].get(traits)) continue;
      fn(traits);
    }
  }
  // The most common value's rate among `values`, and that value.
  static std::pair<double, int> BaseRate(const std::vector<int>& values) {
    std::map<int, int> n;
    for (int v : values) n[v]++;
    int most = 0, most_n = -1;
    for (auto [v, c] : n) {
      if (c > most_n) most = v, most_n = c;
    }
    return {static_cast<double>(most_n) / static_cast<double>(values.size()), most};
  }

  static testing::TempDir* dir_;
  static Engine* engine_;
  static std::string* profiles_;
};
testing::TempDir* GeneratedWorldAttackTest::dir_ = nullptr;
Engine* GeneratedWorldAttackTest::engine_ = nullptr;
std::string* GeneratedWorldAttackTest::profiles_ = nullptr;

// The issue's own attack: knowing people's home and work areas, learn their spending-power
// tiers. The expressions that single them out are refused (home and work areas are
// quasi-identifiers), so the attacker is left with the most common tier.
TEST_F(GeneratedWorldAttackTest, HomeAndWorkAreasDoNotRevealSpendingTiers) {
  struct Target {
    std::string home, work;
    int tier = 0;
  };
  std::vector<Target> all;
  std::map<std::pair<std::string, std::string>, int> seen;
  ForEachProfile([&](simdjson::dom::element traits) {
    std::string_view home, work;
    double tier = 0;
    if (traits["home_area"].get(home) || traits["work_area"].get(work) || traits["spending_power"].get(tier)) return;
    all.push_back({std::string(home), std::string(work), static_cast<int>(std::lround(tier))});
    seen[{all.back().home, all.back().work}]++;
  });
  std::vector<Target> targets;
  std::vector<int> tiers;
  for (const Target& t : all) {
    if (seen[{t.home, t.work}] != 1) continue;
    targets.push_back(t);
    tiers.push_back(t.tier);
  }
  ASSERT_GE(targets.size(), 12u) << "the world has people its home and work areas single out";
  const auto [base, most] = BaseRate(tiers);

  Engine::ReleaseOptions o;
  o.budget_owner = "analyst:mallory";
  int right = 0, refused = 0;
  for (const Target& t : targets) {
    const std::string who = "home_area = \"" + t.home + "\" and work_area = \"" + t.work + "\"";
    std::optional<int> guess;
    for (int tier = 1; tier <= 5 && !guess; ++tier) {
      // As the issue's attacker did: directly, and as Z and (A or B or T).
      for (const std::string& q : {who + " and spending_power >= " + std::to_string(tier) + " and spending_power < " +
                                       std::to_string(tier + 1),
                                   "order_count >= 0 and (spending_power >= 4 or spending_power < 2 or (" + who + "))"}) {
        auto r = engine_->analysts().ReleaseCount(q, o);
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
          EXPECT_NE(r.status().message().find("quasi-identifiers"), std::string::npos) << r.status().ToString();
          ++refused;
          continue;
        }
        if (r->count && *r->count >= 1 && q.starts_with(who)) guess = tier;
      }
    }
    right += guess.value_or(most) == t.tier ? 1 : 0;
  }
  const double acc = static_cast<double>(right) / static_cast<double>(targets.size());
  std::printf("home and work areas -> spending tier: %zu targets, accuracy %.3f, base rate %.3f, %d refusals\n",
              targets.size(), acc, base, refused);
  EXPECT_LE(acc, base + 0.1);
  EXPECT_EQ(refused, static_cast<int>(targets.size()) * 10);
}

// Two-query differencing on the generated world: each target known by their exact total spend
// (no quasi-identifier rule covers it), the secret their marketing consent.
TEST_F(GeneratedWorldAttackTest, DifferencingByAUniqueTotalSpendDoesNotRevealConsent) {
  std::vector<std::pair<std::string, int>> all;  // total spend as text, consent
  std::map<std::string, int> seen;
  ForEachProfile([&](simdjson::dom::element traits) {
    double spend = 0;
    bool consent = false;
    if (traits["total_spend"].get(spend) || spend <= 0 || traits["consent_marketing"].get(consent)) return;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", spend);
    all.emplace_back(buf, consent ? 1 : 0);
    seen[buf]++;
  });
  std::vector<std::pair<std::string, int>> targets;
  std::vector<int> secret;
  for (const auto& t : all) {
    if (seen[t.first] != 1 || targets.size() >= 300) continue;
    targets.push_back(t);
    secret.push_back(t.second);
  }
  ASSERT_GE(targets.size(), 100u);
  const auto [base, most] = BaseRate(secret);
  Engine::ReleaseOptions o;
  o.budget_owner = "analyst:mallory-spend";
  int right = 0, answered = 0;
  for (const auto& [spend, consent] : targets) {
    std::optional<int> guess;
    auto all_count = engine_->analysts().ReleaseCount("order_count >= 1", o);
    auto rest = engine_->analysts().ReleaseCount(
        "order_count >= 1 and (total_spend != " + spend + " or not consent(\"marketing\"))", o);
    if (all_count.ok() && rest.ok() && all_count->count && rest->count) {
      ++answered;
      guess = static_cast<double>(*all_count->count) - static_cast<double>(*rest->count) >= 0.5 ? 1 : 0;
    }
    right += guess.value_or(most) == consent ? 1 : 0;
  }
  const double acc = static_cast<double>(right) / static_cast<double>(targets.size());
  std::printf("total spend -> consent: %zu targets, %d answered, accuracy %.3f, base rate %.3f\n", targets.size(), answered,
              acc, base);
  EXPECT_LE(acc, base + 0.1);
}

}  // namespace
}  // namespace holo
