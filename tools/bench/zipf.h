// ZipfGenerator: draws ranks 1..n with P(k) proportional to 1 / k^s, for any s > 0 and any n up
// to 2^53, in O(1) time and memory per draw.
//
// It uses rejection-inversion sampling (Hormann and Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", 1996), the method of Apache Commons RNG's
// RejectionInversionZipfSampler: no table of n harmonic numbers, so 5 million keys cost nothing
// to set up. The caller passes the uniform random source, so one generator can be shared
// read-only by several threads, each with its own random state.
#pragma once

#include <cstdint>

namespace memfleet::bench {

// A small fast PRNG (xoshiro256**), seeded through splitmix64. One per thread.
class Random {
 public:
  explicit Random(uint64_t seed);
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
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

class ZipfGenerator {
 public:
  // REQUIRES: n >= 1, s > 0.
  ZipfGenerator(uint64_t n, double s);
  // A rank in [1, n]; rank 1 is the most frequent.
  uint64_t Next(Random& rng) const;

 private:
  double H(double x) const;
  double HIntegral(double x) const;
  double HIntegralInverse(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_div_;
};

}  // namespace memfleet::bench
