// TimeSource: where an EventLoop reads the time for its timers, in milliseconds.
//
// Production loops read CLOCK_MONOTONIC (MonotonicTimeSource); tests inject a ManualTimeSource
// and move it forward by hand, so that deadline and timeout tests never sleep and never depend on
// how busy the machine is (Envoy's habit). NowMs() may be called from any thread; a
// ManualTimeSource may be set from any thread (it is atomic), though a loop only notices the new
// time on its next turn.
#pragma once

#include <atomic>
#include <cstdint>

namespace memfleet::net {

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  // Milliseconds since an arbitrary fixed point; never goes backwards.
  virtual int64_t NowMs() const = 0;
};

// CLOCK_MONOTONIC in milliseconds.
int64_t MonotonicMs();

class MonotonicTimeSource final : public TimeSource {
 public:
  int64_t NowMs() const override { return MonotonicMs(); }
};

// A clock that moves only when told to (tests).
class ManualTimeSource final : public TimeSource {
 public:
  explicit ManualTimeSource(int64_t start_ms = 1000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }
  // REQUIRES: ms >= NowMs().
  void Set(int64_t ms) { now_.store(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace memfleet::net
