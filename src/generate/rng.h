// rng.h: the generator's own deterministic pseudo-random numbers.
//
// Every random choice in a world comes from an Rng seeded by (world seed, stream, index),
// e.g. Rng::For(seed, Stream::kPersonEvents, person_index), so a world is the same bytes for
// the same options on every platform and standard library: no std::random_device, no
// std::*_distribution (their algorithms differ across libstdc++/libc++ versions).
//
//   Rng rng = Rng::For(seed, Stream::kHousehold, h);
//   int size = 1 + static_cast<int>(rng.Below(5));
//   if (rng.Chance(0.15)) { ... }
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace holo::generate {

// Independent random streams. DO NOT CHANGE the values: they decide which world a seed makes.
enum class Stream : uint64_t {
  kHouseholdSkeleton = 1,
  kHouseholdDetail = 2,
  kPersonDetail = 3,
  kPersonEvents = 4,
  kFriends = 5,
  kStores = 6,
  kKiosks = 7,
  kIdKeys = 8,
  kKioskAssign = 9,
  kTablet = 10,
  // Foreign shapes only (never drawn when WorldOptions::foreign_shapes is off).
  kForeignPlan = 11,
  kForeignStores = 12,
  kForeignHousehold = 13,
  kForeignEvents = 14,
  // The in-store probe cadence and the passers-by (drawn after everything else of a person).
  kStoreProbes = 15,
  // What a trip abroad leads to (drawn after everything else of a person): follow_ups.csv.
  kFollowUps = 16,
};

// SplitMix64 step (Steele, Lea, Flood 2014): advances `state` and returns a well-mixed value.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Returns a 64-bit hash of (a, b); used to derive seeds and stable per-item values.
inline uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
  SplitMix64(s);
  return SplitMix64(s);
}

// xoshiro256** (Blackman & Vigna). Not cryptographic. Thread-compatible.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& s : s_) s = SplitMix64(x);
  }

  // Returns the generator for item `index` of `stream` in the world seeded by `seed`.
  static Rng For(uint64_t seed, Stream stream, uint64_t index) {
    return Rng(Mix(Mix(seed, static_cast<uint64_t>(stream)), index));
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Returns a uniform double in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Returns a uniform double in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Returns a uniform integer in [0, n). REQUIRES: n > 0. (Lemire's nearly-divisionless method.)
  uint64_t Below(uint64_t n) {
    uint64_t x = Next();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = Next();
        m = static_cast<__uint128_t>(x) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Returns a uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  bool Chance(double p) { return Uniform() < p; }

  // Standard normal variate (Box-Muller, one value per call).
  double Normal() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double Normal(double mean, double sd) { return mean + sd * Normal(); }

  // Log-normal with the given median and log-space sigma.
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }

  // Poisson variate (Knuth for small means, rounded normal approximation above 30).
  uint32_t Poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const double v = std::round(Normal(mean, std::sqrt(mean)));
      return v < 0 ? 0 : static_cast<uint32_t>(v);
    }
    const double limit = std::exp(-mean);
    double p = Uniform();
    uint32_t k = 0;
    while (p > limit) {
      ++k;
      p *= Uniform();
    }
    return k;
  }

  // Returns an index in [0, weights.size()) chosen with probability proportional to its weight.
  // REQUIRES: weights non-empty, non-negative, not all zero.
  template <typename W>
  size_t Weighted(std::span<const W> weights) {
    double total = 0;
    for (W w : weights) total += static_cast<double>(w);
    double r = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      r -= static_cast<double>(weights[i]);
      if (r < 0) return i;
    }
    return weights.size() - 1;
  }
  size_t Weighted(std::initializer_list<double> weights) {
    return Weighted(std::span<const double>(weights.begin(), weights.size()));
  }

  // Returns a uniformly chosen element. REQUIRES: !items.empty().
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A keyed pseudo-random permutation of [0, modulus): distinct inputs give distinct outputs.
// Used for identifiers that must be unique yet look random (user ids, phone numbers, MACs).
// A 4-round Feistel network over the smallest even power of two >= modulus, with cycle walking.
// REQUIRES: x < modulus, 2 <= modulus <= 2^62.
inline uint64_t Permute(uint64_t x, uint64_t modulus, uint64_t key) {
  int bits = 2;
  while ((uint64_t{1} << bits) < modulus) bits += 2;
  const int half = bits / 2;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  do {
    uint64_t left = x >> half;
    uint64_t right = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      const uint64_t f = Mix(key + round, right) & mask;
      const uint64_t next_right = left ^ f;
      left = right;
      right = next_right;
    }
    x = (left << half) | right;
  } while (x >= modulus);
  return x;
}

}  // namespace holo::generate
