// CoarseClock: one worker thread's "now", read from CLOCK_MONOTONIC once per event instead of
// once per request. A 100-key multi-get sends 100 upstream requests and completes 100 replies;
// stamping each with its own clock_gettime cost more than routing it. The worker refreshes the
// clock when a client's or an upstream's bytes arrive and when a timer fires, so a stamp is never
// older than the event being handled. The same clock base as net::EventLoop's timers
// (MonotonicMs). One thread only.
#pragma once

#include <time.h>

#include <cstdint>

namespace memfleet::router {

class CoarseClock {
 public:
  CoarseClock() { Refresh(); }
  void Refresh() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now_us_ = static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  }
  int64_t now_us() const { return now_us_; }
  int64_t now_ms() const { return now_us_ / 1000; }

 private:
  int64_t now_us_ = 0;
};

}  // namespace memfleet::router
