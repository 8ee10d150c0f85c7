#include "net/timer_queue.h"

#include <utility>

namespace memfleet::net {
namespace {

// A TimerId packs the slot number + 1 (so that 0 stays invalid) and the slot's generation.
TimerId MakeId(uint32_t slot, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(slot) + 1);
}

}  // namespace

bool TimerQueue::Before(uint32_t a, uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.deadline != y.deadline ? x.deadline < y.deadline : x.seq < y.seq;
}

void TimerQueue::Place(size_t i, uint32_t slot) {
  heap_[i] = slot;
  slots_[slot].heap_index = static_cast<uint32_t>(i);
}

void TimerQueue::SiftUp(size_t i) {
  const uint32_t slot = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!Before(slot, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, slot);
}

void TimerQueue::SiftDown(size_t i) {
  const uint32_t slot = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], slot)) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, slot);
}

TimerId TimerQueue::Add(int64_t deadline_ms, std::function<void()> fn) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.deadline = deadline_ms;
  s.seq = next_seq_++;
  s.pending = true;
  s.fn = std::move(fn);
  heap_.push_back(slot);
  SiftUp(heap_.size() - 1);
  return MakeId(slot, s.generation);
}

std::function<void()> TimerQueue::RemoveAt(size_t i) {
  const uint32_t slot = heap_[i];
  const uint32_t last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    // The last entry fills the hole; it may belong above or below it.
    Place(i, last);
    SiftDown(i);
    SiftUp(slots_[last].heap_index);
  }
  Slot& s = slots_[slot];
  std::function<void()> fn = std::move(s.fn);
  s.fn = nullptr;
  s.pending = false;
  ++s.generation;
  free_.push_back(slot);
  return fn;
}

bool TimerQueue::Cancel(TimerId id) {
  if (id == kNoTimer) return false;
  const uint64_t slot64 = (id & 0xffffffffu) - 1;
  if (slot64 >= slots_.size()) return false;
  const uint32_t slot = static_cast<uint32_t>(slot64);
  const Slot& s = slots_[slot];
  if (!s.pending || s.generation != static_cast<uint32_t>(id >> 32)) return false;
  RemoveAt(s.heap_index);  // the callback (and what it captured) is destroyed here
  return true;
}

size_t TimerQueue::RunExpired(int64_t now_ms) {
  const uint64_t added_before = next_seq_;
  size_t ran = 0;
  while (!heap_.empty()) {
    const Slot& top = slots_[heap_[0]];
    if (top.deadline > now_ms || top.seq >= added_before) break;
    // Removed before it runs: the callback may add or cancel timers (even itself, harmlessly).
    std::function<void()> fn = RemoveAt(0);
    fn();
    ++ran;
  }
  return ran;
}

int64_t TimerQueue::NextDeadline() const { return heap_.empty() ? -1 : slots_[heap_[0]].deadline; }

}  // namespace memfleet::net
