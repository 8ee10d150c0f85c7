// What a logged server that came back needs before it may serve reads again: the decision of
// the resync (resync_coordinator.h) as a pure function of what it knows, so that every case is
// unit tested.
#pragma once

#include <string_view>

namespace memfleet::router::resync {

struct RecoveryFacts {
  bool restarted = false;         // a new process (or one never seen up: assumed new)
  bool flushed = false;           // the same process, flushed meanwhile
  bool resync_pending = false;    // a restart or flush seen earlier has not been repaired yet
  bool log_needs_resync = false;  // the write log overflowed or was damaged
  bool source_available = false;  // a healthy replica (up, nothing in its own log) exists
};

enum class Plan {
  kReplay,          // the same process, nothing lost: replay the write log, then up
  kCopy,            // it lost its memory: copy a healthy replica's keys, replay, up
  kFlushCopy,       // it holds stale values (the log dropped writes): flush, copy, replay, up
  kFallbackReplay,  // it lost its memory, no replica to copy: replay what it missed, refill
  kFallbackFlush,   // stale values, no replica to copy: the replayer's flush and refill
};

std::string_view PlanName(Plan p);

inline Plan DecideRecovery(const RecoveryFacts& f) {
  const bool lost = f.restarted || f.flushed || f.resync_pending;
  if (f.log_needs_resync) return f.source_available ? Plan::kFlushCopy : Plan::kFallbackFlush;
  if (lost) return f.source_available ? Plan::kCopy : Plan::kFallbackReplay;
  return Plan::kReplay;
}

// Whether a plan counts as the fallback ("flush it and let it refill").
inline bool IsFallback(Plan p) { return p == Plan::kFallbackReplay || p == Plan::kFallbackFlush; }

}  // namespace memfleet::router::resync
