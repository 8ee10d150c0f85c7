#include "histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>

namespace memfleet::bench {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.ValueAtPercentile(50), 50u);
  EXPECT_EQ(h.ValueAtPercentile(99), 99u);
  EXPECT_EQ(h.ValueAtPercentile(100), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndRelativeErrorIsBounded) {
  for (size_t b = 1; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::LowestOf(b), LatencyHistogram::HighestOf(b - 1) + 1) << b;
  }
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 255, 256, 257, 1000, 123456, 987654321,
                                                    LatencyHistogram::kMaxValue}) {
    const size_t b = LatencyHistogram::BucketOf(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    EXPECT_LE(LatencyHistogram::LowestOf(b), v);
    EXPECT_GE(LatencyHistogram::HighestOf(b), v);
    const double width =
        static_cast<double>(LatencyHistogram::HighestOf(b) - LatencyHistogram::LowestOf(b));
    EXPECT_LE(width, static_cast<double>(v) / 128.0 + 1) << v;
  }
}

TEST(LatencyHistogramTest, PercentilesOfASkewedDistribution) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(10'000);   // 10 us
  for (int i = 0; i < 9; ++i) h.Record(1'000'000);  // 1 ms
  h.Record(50'000'000);                             // 50 ms
  auto near = [](uint64_t got, uint64_t want) {
    return got >= want && static_cast<double>(got) <= static_cast<double>(want) * 1.01;
  };
  EXPECT_TRUE(near(h.ValueAtPercentile(50), 10'000)) << h.ValueAtPercentile(50);
  EXPECT_TRUE(near(h.ValueAtPercentile(99), 10'000)) << h.ValueAtPercentile(99);
  EXPECT_TRUE(near(h.ValueAtPercentile(99.9), 1'000'000)) << h.ValueAtPercentile(99.9);
  EXPECT_EQ(h.ValueAtPercentile(100), 50'000'000u);
  EXPECT_EQ(h.max(), 50'000'000u);
}

TEST(LatencyHistogramTest, AddMergesAndClampsHugeValues) {
  LatencyHistogram a, b;
  a.Record(5);
  b.Record(LatencyHistogram::kMaxValue * 4);
  a.Add(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), LatencyHistogram::kMaxValue * 4);
  EXPECT_EQ(a.ValueAtPercentile(50), 5u);
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.ValueAtPercentile(99), 0u);
}

}  // namespace
}  // namespace memfleet::bench
