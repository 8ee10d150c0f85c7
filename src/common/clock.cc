#include "common/clock.h"

#include <time.h>

namespace memfleet {
namespace {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

constexpr RelTime kStartOffset = 2;

}  // namespace

Clock::Clock()
    : process_started_(time(nullptr) - kStartOffset),
      mono_start_ns_(MonotonicNs()),
      now_(kStartOffset) {}

void Clock::Tick() {
  int64_t elapsed_s = (MonotonicNs() - mono_start_ns_) / 1000000000;
  now_.store(static_cast<RelTime>(elapsed_s) + kStartOffset, std::memory_order_relaxed);
}

RelTime Clock::FromExptime(int64_t exptime) const {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // already in the past
  if (exptime > kRealtimeMaxDelta) {
    // Absolute unix time. A time at or before process start is in the past.
    if (exptime <= process_started_) return 1;
    int64_t rel = exptime - process_started_;
    return rel > UINT32_MAX ? UINT32_MAX : static_cast<RelTime>(rel);
  }
  int64_t rel = exptime + Now();
  return rel > UINT32_MAX ? UINT32_MAX : static_cast<RelTime>(rel);
}

}  // namespace memfleet
