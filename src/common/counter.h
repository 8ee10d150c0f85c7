// Counter: a statistic written by exactly one thread and read by any.
//
// The owning thread calls Add(); any thread may call Get(). Writes are a relaxed load+store (a
// plain increment on x86, no lock prefix), reads are relaxed loads, so readers see a recent but not
// necessarily the latest value. Resetting is done by readers keeping a baseline, never by writing
// from another thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace memfleet {

class Counter {
 public:
  void Add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace memfleet
