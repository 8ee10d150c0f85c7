// TimerQueue: one-shot timers ordered by deadline, cheap to add and to cancel by the thousand.
//
// The per-request deadlines of a router or client are mostly cancelled (the reply came in time),
// so both operations must be cheap: timers live in a slot array and an indexed binary heap of
// slot numbers (each slot knows its heap position), which makes Add and Cancel O(log n) with no
// search and no stale entries left behind. A TimerId names a slot and the slot's generation, so
// cancelling a timer that has fired or was cancelled already is a harmless no-op, even after its
// slot was reused. Times are milliseconds of whatever clock the owner uses (EventLoop passes its
// TimeSource). Owned by one EventLoop and used only on its thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace memfleet::net {

// 0 is never a valid timer.
using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Schedules fn for deadline_ms. Timers with equal deadlines fire in the order they were added.
  TimerId Add(int64_t deadline_ms, std::function<void()> fn);
  // Unschedules id; false if it already fired, was cancelled, or never existed.
  bool Cancel(TimerId id);
  // Runs (in deadline order) every timer whose deadline is <= now_ms and that was added before
  // this call; timers that callbacks add are left for the next call even when already due, so a
  // callback that re-arms itself cannot spin. Returns how many ran.
  size_t RunExpired(int64_t now_ms);

  // The earliest deadline, or -1 when no timer is pending.
  int64_t NextDeadline() const;
  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }

 private:
  struct Slot {
    int64_t deadline = 0;
    uint64_t seq = 0;         // insertion order: the tie-break for equal deadlines
    uint32_t generation = 1;  // bumped when the slot is freed, so old ids stop matching
    uint32_t heap_index = 0;  // position in heap_ while pending
    bool pending = false;
    std::function<void()> fn;
  };
  bool Before(uint32_t a, uint32_t b) const;
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void Place(size_t i, uint32_t slot);
  // Removes heap_[i], frees its slot and returns its callback.
  std::function<void()> RemoveAt(size_t i);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // slot numbers to reuse
  std::vector<uint32_t> heap_;  // slot numbers, a min-heap by (deadline, seq)
  uint64_t next_seq_ = 0;
};

}  // namespace memfleet::net
