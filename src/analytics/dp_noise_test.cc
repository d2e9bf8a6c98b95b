#include "analytics/dp_noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <vector>

#include "analytics/release_point.h"
#include "testing/store_backends.h"

namespace holo::analytics {
namespace {

TEST(DpNoiseTest, BernoulliExpMinusHasItsProbability) {
  constexpr int kDraws = 200'000;
  for (auto [num, den] : {std::pair<uint64_t, uint64_t>{1, 1}, {1, 4}, {5, 2}, {0, 3}}) {
    int hits = 0;
    for (int i = 0; i < kDraws; ++i) hits += BernoulliExpMinus(num, den) ? 1 : 0;
    const double p = std::exp(-static_cast<double>(num) / den);
    const double sd = std::sqrt(p * (1 - p) / kDraws);
    EXPECT_NEAR(hits / static_cast<double>(kDraws), p, 5 * sd + 1e-9) << num << "/" << den;
  }
}

// The draws follow P(x) = (1 - q) / (1 + q) q^|x|, q = exp(-epsilon): the mass at 0 and at
// +-1..3, the symmetry and the variance 2q / (1 - q)^2, within 5 standard errors.
TEST(DpNoiseTest, DiscreteLaplaceHasItsDistribution) {
  constexpr int kDraws = 300'000;
  for (double epsilon : {0.05, 0.5, 2.0}) {
    const double q = std::exp(-epsilon);
    std::map<int64_t, int> seen;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < kDraws; ++i) {
      const int64_t x = DiscreteLaplace(Epsilon::Below(epsilon));
      seen[x]++;
      sum += static_cast<double>(x);
      sum2 += static_cast<double>(x) * static_cast<double>(x);
    }
    const double e = Epsilon::Below(epsilon).value();
    const double qe = std::exp(-e);
    for (int64_t x : {0, 1, -1, 2, -3}) {
      const double p = (1 - qe) / (1 + qe) * std::pow(qe, std::abs(static_cast<double>(x)));
      const double sd = std::sqrt(p * (1 - p) / kDraws);
      EXPECT_NEAR(seen[x] / static_cast<double>(kDraws), p, 5 * sd) << "epsilon " << epsilon << " x " << x;
    }
    const double var = 2 * q / ((1 - q) * (1 - q));
    EXPECT_NEAR(sum / kDraws, 0, 5 * std::sqrt(var / kDraws)) << epsilon;
    // The variance of the sample variance of a Laplace-like law is about 5 var^2 / n.
    EXPECT_NEAR(sum2 / kDraws, var, 5 * std::sqrt(5 * var * var / kDraws)) << epsilon;
  }
}

TEST(DpNoiseTest, ThresholdBoundsTheReleaseOfAOnePersonCell) {
  const uint64_t t = ThresholdForDelta(0.1, 1e-7);
  // P(1 + noise >= t) = q^(t-1) / (1 + q) <= 1e-7, and t - 1 would not do.
  const double q = std::exp(-0.1);
  EXPECT_LE(std::pow(q, static_cast<double>(t - 1)) / (1 + q), 1e-7);
  EXPECT_GT(std::pow(q, static_cast<double>(t - 2)) / (1 + q), 1e-7);
}

class ReleasePointTest : public ::testing::TestWithParam<testing::StoreBackend> {
 protected:
  testing::ScratchStore store_{GetParam(), "release_point"};
};

TEST_P(ReleasePointTest, AQuestionAskedAgainInThePeriodGetsTheSameAnswerFree) {
  ReleasePoint point(store_.get());
  Budget b;
  b.owner = "ann";
  b.total = 1.0;
  b.now_ms = 1'780'000'000'000;  // 2026-05-28
  ReleaseQuery q{"count:spend_90d > 0", {{1000, 0.1, 50}}, 0.1};
  auto first = point.Release(q, b);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->cells[0].has_value());
  EXPECT_NE(*first->cells[0], 0u);
  EXPECT_DOUBLE_EQ(first->charged, 0.1);
  for (int i = 0; i < 20; ++i) {
    auto again = point.Release(q, b);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->cells, first->cells);
    EXPECT_EQ(again->charged, 0);
  }
  // Another question costs; the budget runs out and says so, without a count.
  int answered = 1;
  Status last;
  for (int i = 0; i < 20; ++i) {
    auto r = point.Release({"count:q" + std::to_string(i), {{1000, 0.1, 50}}, 0.1}, b);
    if (!r.ok()) {
      last = r.status();
      break;
    }
    ++answered;
  }
  EXPECT_EQ(answered, 10);
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(last.message().find("1000"), std::string::npos);
  // The period's answers survive another ReleasePoint on the same store (a restart).
  ReleasePoint after(store_.get());
  auto kept = after.Release(q, b);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->cells, first->cells);
  EXPECT_FALSE(after.Release({"count:new", {{1000, 0.1, 50}}, 0.1}, b).ok());
  // Another analyst has their own budget; the next period starts afresh.
  Budget bob = b;
  bob.owner = "bob";
  EXPECT_TRUE(after.Release({"count:new", {{1000, 0.1, 50}}, 0.1}, bob).ok());
  Budget tomorrow = b;
  tomorrow.now_ms += 86'400'000;
  auto next = after.Release(q, tomorrow);
  ASSERT_TRUE(next.ok());
  EXPECT_DOUBLE_EQ(next->charged, 0.1);
  EXPECT_EQ(next->period, "2026-05-29");
}

TEST_P(ReleasePointTest, SmallGroupsAreWithheldOnTheirNoisyValue) {
  ReleasePoint point(store_.get());
  Budget b;
  b.owner = "ann";
  b.total = 1000;
  int shown_one = 0, shown_big = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = point.Release({"q" + std::to_string(i), {{1, 0.5, 50}, {500, 0.5, 50}}, 1.0}, b);
    ASSERT_TRUE(r.ok());
    shown_one += r->cells[0].has_value() ? 1 : 0;
    shown_big += r->cells[1].has_value() ? 1 : 0;
    if (r->cells[1]) EXPECT_NEAR(static_cast<double>(*r->cells[1]), 500, 40);
  }
  EXPECT_EQ(shown_one, 0);
  EXPECT_EQ(shown_big, 200);
  EXPECT_FALSE(point.Release({"no noise", {{500, 0, 50}}, 0}, b).ok());
}

// Utility at the defaults (a count's epsilon 0.1, k 50): the median relative error of released
// counts of groups of 1,000 and of 100 people (issue #16 asks for at most 5% at 1,000). The
// figures are printed for bench/RESULTS.md.
TEST_P(ReleasePointTest, UtilityAtTheDefaultEpsilon) {
  ReleasePoint point(store_.get());
  Budget b;
  b.owner = "utility";
  b.total = 1e9;
  for (uint64_t size : {1000u, 100u}) {
    std::vector<double> errors;
    int withheld = 0;
    for (int i = 0; i < 2000; ++i) {
      auto r = point.Release({"u" + std::to_string(size) + "/" + std::to_string(i), {{size, 0.1, 50}}, 0.1}, b);
      ASSERT_TRUE(r.ok());
      if (!r->cells[0]) {
        ++withheld;
        continue;
      }
      errors.push_back(std::fabs(static_cast<double>(*r->cells[0]) - static_cast<double>(size)) / static_cast<double>(size));
    }
    std::sort(errors.begin(), errors.end());
    const double median = errors[errors.size() / 2];
    std::printf("group of %llu: median relative error %.4f, withheld %d of 2000\n", static_cast<unsigned long long>(size),
                median, withheld);
    if (size == 1000) EXPECT_LE(median, 0.05);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReleasePointTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<holo::testing::StoreBackend>>);

}  // namespace
}  // namespace holo::analytics
