#include "analytics/proportion_interval.h"

#include <algorithm>
#include <cmath>

namespace holo::analytics {

Interval WilsonInterval(double p, double n, double z) {
  if (!(n > 0)) return {0, 1};
  p = std::clamp(p, 0.0, 1.0);
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

Interval NewcombeDifference(double p1, double n1, double p2, double n2, double z) {
  const Interval a = WilsonInterval(p1, n1, z), b = WilsonInterval(p2, n2, z);
  const double d = p1 - p2;
  return {d - std::sqrt((p1 - a.low) * (p1 - a.low) + (b.high - p2) * (b.high - p2)),
          d + std::sqrt((a.high - p1) * (a.high - p1) + (p2 - b.low) * (p2 - b.low))};
}

}  // namespace holo::analytics
