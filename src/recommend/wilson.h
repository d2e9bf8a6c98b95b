// The lower end of the Wilson score interval of k successes in n trials at width z (0 when n
// is 0): "surely at least" for a share counted on few people — the cross-domain step's
// followers, trending topics and their items, the look-alikes' label frequency.
#pragma once

#include <cmath>

namespace holo::recommend {

inline double WilsonLower(double k, double n, double z) {
  if (n <= 0) return 0;
  const double p = k / n, z2 = z * z;
  return (p + z2 / (2 * n) - z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

}  // namespace holo::recommend
