// Coverage of the lift interval on simulated campaigns of known effect: two binomial groups
// with true rates p1 and p2, many replications, the share of 95% intervals that hold the true
// difference. Newcombe's interval keeps near 95% down to zero and small counts, where the
// Wald interval Holo used before (estimate ± 1.96·se) falls far short; at zero events in both
// groups Wald gives [0, 0] and Newcombe a real interval.
#include "analytics/proportion_interval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace holo::analytics {
namespace {

struct Coverage {
  double newcombe = 0, wald = 0;
};

Coverage Simulate(double p1, int n1, double p2, int n2, int reps, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::binomial_distribution<int> b1(n1, p1), b2(n2, p2);
  int in_newcombe = 0, in_wald = 0;
  const double truth = p1 - p2;
  for (int i = 0; i < reps; ++i) {
    const double q1 = static_cast<double>(b1(rng)) / n1, q2 = static_cast<double>(b2(rng)) / n2;
    const Interval nc = NewcombeDifference(q1, n1, q2, n2);
    in_newcombe += nc.low <= truth && truth <= nc.high;
    const double se = std::sqrt(q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2);
    in_wald += q1 - q2 - kZ95 * se <= truth && truth <= q1 - q2 + kZ95 * se;
  }
  return {static_cast<double>(in_newcombe) / reps, static_cast<double>(in_wald) / reps};
}

TEST(ProportionIntervalTest, WilsonAndNewcombeHoldAtZero) {
  const Interval w = WilsonInterval(0, 50);
  EXPECT_EQ(w.low, 0);
  EXPECT_NEAR(w.high, 0.0714, 0.001);  // z^2 / (n + z^2)
  const Interval d = NewcombeDifference(0, 50, 0, 50);
  EXPECT_LT(d.low, -0.05);
  EXPECT_GT(d.high, 0.05);
  EXPECT_NEAR(d.low, -d.high, 1e-12);
  const Interval none = NewcombeDifference(0.1, 0, 0.1, 10);
  EXPECT_GT(none.high - none.low, 1.0);  // no units in a group: nothing is known of its rate
}

TEST(ProportionIntervalTest, NewcombeCoversAtSmallCountsWhereWaldDoesNot) {
  struct Case {
    double p1;
    int n1;
    double p2;
    int n2;
  };
  // Rare purchases, small groups, a known effect (or none).
  const Case cases[] = {{0.02, 40, 0.01, 60}, {0.05, 30, 0.05, 30}, {0.01, 200, 0.002, 300},
                        {0.10, 25, 0.02, 80}, {0.30, 50, 0.20, 50}, {0.003, 500, 0.003, 500}};
  uint64_t seed = 1;
  for (const Case& c : cases) {
    const Coverage cov = Simulate(c.p1, c.n1, c.p2, c.n2, 20000, seed++);
    EXPECT_GE(cov.newcombe, 0.925) << c.p1 << "/" << c.n1 << " vs " << c.p2 << "/" << c.n2;
    EXPECT_LE(cov.newcombe, 0.999) << "too wide to be useful";
    if (c.p1 != c.p2 && c.p1 * c.n1 < 2) {  // an effect, and hardly a buyer to see it by
      EXPECT_LT(cov.wald, 0.85) << "Wald was expected to undercover here; the test lost its point";
    }
  }
}

}  // namespace
}  // namespace holo::analytics
