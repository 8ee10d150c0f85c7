#include "zipf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace memfleet::bench {
namespace {

// Draws many samples from a small key space and compares every frequency with the exact pmf.
void ExpectMatchesPmf(uint64_t n, double s) {
  ZipfGenerator z(n, s);
  Random rng(42);
  constexpr int kDraws = 1'000'000;
  std::vector<int> counts(n + 1);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = z.Next(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++counts[k];
  }
  double norm = 0;
  for (uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -s);
  for (uint64_t k = 1; k <= n; ++k) {
    const double p = std::pow(static_cast<double>(k), -s) / norm;
    const double expected = p * kDraws;
    const double sigma = std::sqrt(expected * (1 - p));
    EXPECT_NEAR(counts[k], expected, 5 * sigma + 1) << "n=" << n << " s=" << s << " k=" << k;
  }
}

TEST(ZipfGeneratorTest, MatchesPmfNearOne) { ExpectMatchesPmf(20, 0.99); }
TEST(ZipfGeneratorTest, MatchesPmfExactlyOne) { ExpectMatchesPmf(20, 1.0); }
TEST(ZipfGeneratorTest, MatchesPmfSteep) { ExpectMatchesPmf(10, 1.5); }
TEST(ZipfGeneratorTest, MatchesPmfFlat) { ExpectMatchesPmf(50, 0.5); }

TEST(ZipfGeneratorTest, HugeKeySpaceStaysInRangeAndIsSkewed) {
  constexpr uint64_t n = 5'000'000;
  ZipfGenerator z(n, 0.99);
  Random rng(7);
  int top = 0;
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t k = z.Next(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    top += k <= 100;
  }
  // P(k <= 100) for s=0.99, n=5e6 is about 0.33; uniform would give 2e-5.
  EXPECT_GT(top, 200'000 * 0.28);
  EXPECT_LT(top, 200'000 * 0.38);
}

TEST(RandomTest, BelowIsInRangeAndCoversIt) {
  Random rng(1);
  std::vector<int> seen(10);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng.Below(10);
    ASSERT_LT(v, 10u);
    ++seen[v];
  }
  for (int c : seen) EXPECT_GT(c, 800);
}

}  // namespace
}  // namespace memfleet::bench
