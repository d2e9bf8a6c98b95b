// Confidence intervals for proportions that stay honest at zero and small counts:
// Wilson's score interval for one proportion and Newcombe's hybrid score interval (his
// method 10, 1998) for the difference of two independent ones. A Wald interval (estimate ±
// z·se) collapses to [0, 0] when a group has no events and undercovers badly at small
// counts; these do not (proportion_interval_test.cc measures the coverage of both).
//
//   analytics::Interval d = analytics::NewcombeDifference(3, 40, 0, 35);  // 3/40 - 0/35
#pragma once

namespace holo::analytics {

inline constexpr double kZ95 = 1.959963984540054;

struct Interval {
  double low = 0, high = 0;
};

// Wilson score interval of a proportion `p` observed on `n` units (n may be an effective,
// non-integer size); [0, 1] when n <= 0.
Interval WilsonInterval(double p, double n, double z = kZ95);

// Newcombe's hybrid score interval of p1 - p2 from their Wilson intervals.
Interval NewcombeDifference(double p1, double n1, double p2, double n2, double z = kZ95);

}  // namespace holo::analytics
