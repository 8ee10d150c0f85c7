// Clock: the server's notion of time, in whole seconds relative to process start.
//
// Like memcached, items store times as 32-bit seconds since the process started ("relative
// time"), which keeps item headers small and makes expiry comparisons cheap. One Clock object is
// created at startup and shared by every module; Tick() is called by a single timer thread (or by
// tests) and Now() may be read by any thread. Tests inject time by calling Set().
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace memfleet {

using RelTime = uint32_t;

// Exptimes above this many seconds are absolute unix times, below are relative to now.
inline constexpr int64_t kRealtimeMaxDelta = 60 * 60 * 24 * 30;

class Clock {
 public:
  // Starts the relative clock at 2 seconds, like memcached, so that "1" is always in the past
  // (negative exptimes map to 1 and so are expired at once).
  Clock();

  // Seconds since process start. Any thread.
  RelTime Now() const { return now_.load(std::memory_order_relaxed); }
  // Unix time of process start (minus the initial offset). Any thread.
  time_t ProcessStarted() const { return process_started_; }
  // Unix time that corresponds to a relative time.
  time_t ToUnix(RelTime t) const { return process_started_ + static_cast<time_t>(t); }

  // Re-reads the monotonic clock. Called about once a second by one thread.
  void Tick();
  // Sets the relative time directly (tests only).
  void Set(RelTime t) { now_.store(t, std::memory_order_relaxed); }
  // Advances by `seconds` (tests only).
  void Advance(RelTime seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }

  // Converts a client exptime (memcached semantics: 0 = never, negative = already expired,
  // <= 30 days relative, otherwise absolute unix time) to relative time; 0 means never expires.
  RelTime FromExptime(int64_t exptime) const;

 private:
  time_t process_started_;
  int64_t mono_start_ns_;
  std::atomic<RelTime> now_;
};

}  // namespace memfleet
