// Noise for differentially private counts, exact in integers: a discrete Laplace (two-sided
// geometric) draw whose every random decision is an integer comparison against libsodium's
// CSPRNG, so no floating-point rounding shapes the distribution (the attacks on textbook
// floating-point Laplace read the low bits of the noisy answer).
//
//   int64_t noisy = count + analytics::DiscreteLaplace(analytics::Epsilon::Below(0.05));
//
// P(noise = x) is proportional to exp(-epsilon * |x|): a count (sensitivity 1) released with
// it is epsilon-differentially private. The sampler is the one of Canonne, Kamath and Steinke,
// "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2, written
// here from the paper's description.
#pragma once

#include <cstdint>

namespace holo::analytics {

// A privacy parameter as the rational num / kDen. Below() rounds down, so the noise drawn is
// never less than the epsilon charged asks for.
struct Epsilon {
  static constexpr uint64_t kDen = 1'000'000;
  uint64_t num = 0;
  static Epsilon Below(double epsilon);
  double value() const { return static_cast<double>(num) / kDen; }
};

// A uniform integer in [0, n), n >= 1, from libsodium's CSPRNG (rejection sampling: exact).
uint64_t UniformBelow(uint64_t n);

// True with probability exp(-num / den), exactly (num, den > 0).
bool BernoulliExpMinus(uint64_t num, uint64_t den);

// One draw of discrete Laplace noise with P(x) ~ exp(-epsilon |x|); epsilon.num > 0.
int64_t DiscreteLaplace(Epsilon epsilon);

// The smallest t such that a count of 1 (a group of one person, whose cell would not exist
// without them) is released at or above t with probability at most `delta`:
// P(1 + noise >= t) <= exp(-epsilon (t - 1)) / (1 + exp(-epsilon)) <= delta.
uint64_t ThresholdForDelta(double epsilon, double delta);

}  // namespace holo::analytics
