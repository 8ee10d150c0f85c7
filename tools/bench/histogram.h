// LatencyHistogram: an HdrHistogram-style log-linear histogram of non-negative integers
// (latencies in nanoseconds).
//
// Values below 2 * kSubBuckets are counted exactly; above, each power-of-two range is split into
// kSubBuckets linear buckets, so any recorded value is reported with a relative error below
// 1 / kSubBuckets (< 0.8%). Record() is a few instructions and never allocates: the bucket array is
// fixed. Values above kMaxValue are clamped (and still counted in max()). Not thread-safe: each
// load-generator thread owns one and the results are merged with Add() after the threads stop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace memfleet::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxBits = 42;  // ~73 minutes in ns
  static constexpr uint64_t kMaxValue = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBuckets = (kMaxBits - kSubBucketBits + 1) * kSubBuckets;

  void Record(uint64_t value) {
    if (value > max_) max_ = value;
    if (value < min_) min_ = value;
    if (value > kMaxValue) value = kMaxValue;
    ++counts_[BucketOf(value)];
    ++total_;
    sum_ += value;
  }
  // Adds every count of other into this histogram.
  void Add(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return total_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const {
    return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0;
  }
  // The smallest recorded-equivalent value v such that at least `percentile` percent of the values
  // are <= v (the upper edge of the bucket, capped at max()). 0 when empty.
  // REQUIRES: 0 <= percentile <= 100.
  uint64_t ValueAtPercentile(double percentile) const;

  // Bucket arithmetic, public for tests.
  static size_t BucketOf(uint64_t value) {
    if (value < 2 * kSubBuckets) return static_cast<size_t>(value);
    const int msb = 63 - __builtin_clzll(value);
    const int shift = msb - kSubBucketBits;
    return static_cast<size_t>((static_cast<uint64_t>(shift) + 1) * kSubBuckets +
                               ((value >> shift) - kSubBuckets));
  }
  static uint64_t LowestOf(size_t bucket);
  static uint64_t HighestOf(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
};

}  // namespace memfleet::bench
