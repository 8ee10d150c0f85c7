// Session: one worker thread's storage statistics, written without locks.
//
// The Engine creates and owns Sessions (Engine::NewSession); each is used by exactly one worker
// thread at a time, which is the only writer of its counters (common/counter.h). Any thread may
// read them; the engine sums all sessions when statistics are asked for.
#pragma once

#include <memory>

#include "common/counter.h"

namespace memfleet::storage {

// Counters kept per slab class, named as in `stats slabs` / `stats items`.
struct ClassCounters {
  Counter get_hits;
  Counter cmd_set;
  Counter delete_hits;
  Counter incr_hits;
  Counter decr_hits;
  Counter cas_hits;
  Counter cas_badval;
  Counter touch_hits;
  Counter hits_to[4];  // hits_to_hot, _warm, _cold, _temp
};

class Session {
 public:
  explicit Session(int num_classes)
      : num_classes_(num_classes), per_class_(std::make_unique<ClassCounters[]>(num_classes + 1)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int num_classes() const { return num_classes_; }
  ClassCounters& cls(int id) { return per_class_[id]; }
  const ClassCounters& cls(int id) const { return per_class_[id]; }

  Counter get_misses;
  Counter get_expired;
  Counter get_flushed;
  Counter touch_misses;
  Counter delete_misses;
  Counter incr_misses;
  Counter decr_misses;
  Counter cas_misses;

 private:
  int num_classes_;
  std::unique_ptr<ClassCounters[]> per_class_;
};

}  // namespace memfleet::storage
