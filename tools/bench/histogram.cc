#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace memfleet::bench {

void LatencyHistogram::Add(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LatencyHistogram::Reset() { *this = LatencyHistogram(); }

uint64_t LatencyHistogram::LowestOf(size_t bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const uint64_t shift = bucket / kSubBuckets - 1;
  const uint64_t sub = bucket % kSubBuckets + kSubBuckets;
  return sub << shift;
}

uint64_t LatencyHistogram::HighestOf(size_t bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const uint64_t shift = bucket / kSubBuckets - 1;
  const uint64_t sub = bucket % kSubBuckets + kSubBuckets;
  return ((sub + 1) << shift) - 1;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (total_ == 0) return 0;
  uint64_t target =
      static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_) - 1e-6));
  if (target == 0) target = 1;
  if (target > total_) target = total_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(HighestOf(i), max_);
  }
  return max_;
}

}  // namespace memfleet::bench
