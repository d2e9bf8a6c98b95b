#include "analytics/dp_noise.h"

#include <sodium.h>

#include <cmath>
#include <cstdlib>

namespace holo::analytics {
namespace {

void EnsureSodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) std::abort();  // no CSPRNG: no noise can be trusted
    return true;
  }();
  (void)ready;
}

// True with probability num / den (num <= den).
bool Bernoulli(uint64_t num, uint64_t den) { return UniformBelow(den) < num; }

// True with probability exp(-num / den) for num <= den (Algorithm 1, gamma in [0, 1]):
// K = 1, 2, ... while Bernoulli(gamma / K); the parity of the stopping K decides.
bool BernoulliExpMinusAtMostOne(uint64_t num, uint64_t den) {
  uint64_t k = 1;
  while (Bernoulli(num, den * k)) ++k;
  return k % 2 == 1;
}

}  // namespace

Epsilon Epsilon::Below(double epsilon) {
  Epsilon e;
  if (!(epsilon > 0)) return e;
  e.num = static_cast<uint64_t>(std::floor(epsilon * static_cast<double>(kDen)));
  return e;
}

uint64_t UniformBelow(uint64_t n) {
  EnsureSodium();
  if (n <= 1) return 0;
  if (n <= UINT32_MAX) return randombytes_uniform(static_cast<uint32_t>(n));
  // Rejection on 64 bits: draws at or above the largest multiple of n are drawn again.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    uint64_t x;
    randombytes_buf(&x, sizeof(x));
    if (x < limit) return x % n;
  }
}

bool BernoulliExpMinus(uint64_t num, uint64_t den) {
  // exp(-g) = exp(-1)^floor(g) * exp(-(g - floor(g))).
  for (uint64_t whole = num / den; whole > 0; --whole) {
    if (!BernoulliExpMinusAtMostOne(1, 1)) return false;
  }
  const uint64_t rest = num % den;
  return rest == 0 || BernoulliExpMinusAtMostOne(rest, den);
}

int64_t DiscreteLaplace(Epsilon epsilon) {
  // Algorithm 2 with scale t / s = 1 / epsilon: s = epsilon.num, t = Epsilon::kDen.
  const uint64_t s = epsilon.num, t = Epsilon::kDen;
  if (s == 0) std::abort();  // a caller bug: noise of infinite scale
  for (;;) {
    const uint64_t u = UniformBelow(t);
    if (!BernoulliExpMinus(u, t)) continue;
    uint64_t v = 0;
    while (BernoulliExpMinus(1, 1)) ++v;
    const uint64_t x = u + t * v;
    const uint64_t y = x / s;
    const bool negative = UniformBelow(2) == 1;
    if (negative && y == 0) continue;
    return negative ? -static_cast<int64_t>(y) : static_cast<int64_t>(y);
  }
}

uint64_t ThresholdForDelta(double epsilon, double delta) {
  // exp(-eps (t-1)) / (1 + exp(-eps)) <= delta  <=>  t >= 1 + ln(1 / (delta (1 + exp(-eps)))) / eps.
  const double t = 1 + std::log(1 / (delta * (1 + std::exp(-epsilon)))) / epsilon;
  return static_cast<uint64_t>(std::ceil(std::max(1.0, t)));
}

}  // namespace holo::analytics
