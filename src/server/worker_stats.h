// WorkerStats: the per-command counters of one worker thread, with memcached's stat names.
//
// Each worker owns one WorkerStats and is its only writer (Counter::Add); the stats command sums
// all workers' values on request. `stats reset` is implemented by the reader keeping a baseline
// snapshot (StatsTotals) and subtracting it, so no thread ever writes another thread's counters.
#pragma once

#include <cstdint>

#include "common/counter.h"

namespace memfleet::server {

// The list of per-worker counters, in memcached's `stats` order. X(name).
#define MEMFLEET_WORKER_COUNTERS(X) \
  X(cmd_get)                        \
  X(cmd_set)                        \
  X(cmd_flush)                      \
  X(cmd_touch)                      \
  X(cmd_meta)                       \
  X(get_hits)                       \
  X(get_misses)                     \
  X(delete_misses)                  \
  X(delete_hits)                    \
  X(incr_misses)                    \
  X(incr_hits)                      \
  X(decr_misses)                    \
  X(decr_hits)                      \
  X(cas_misses)                     \
  X(cas_hits)                       \
  X(cas_badval)                     \
  X(touch_hits)                     \
  X(touch_misses)                   \
  X(store_too_large)                \
  X(store_no_memory)                \
  X(auth_cmds)                      \
  X(auth_errors)                    \
  X(bytes_read)                     \
  X(bytes_written)                  \
  X(conn_yields)

struct WorkerStats {
#define MEMFLEET_DECLARE_COUNTER(name) Counter name;
  MEMFLEET_WORKER_COUNTERS(MEMFLEET_DECLARE_COUNTER)
#undef MEMFLEET_DECLARE_COUNTER
};

// A plain snapshot or sum of WorkerStats.
struct StatsTotals {
#define MEMFLEET_DECLARE_TOTAL(name) uint64_t name = 0;
  MEMFLEET_WORKER_COUNTERS(MEMFLEET_DECLARE_TOTAL)
#undef MEMFLEET_DECLARE_TOTAL

  void Add(const WorkerStats& w) {
#define MEMFLEET_ADD_TOTAL(name) name += w.name.Get();
    MEMFLEET_WORKER_COUNTERS(MEMFLEET_ADD_TOTAL)
#undef MEMFLEET_ADD_TOTAL
  }
  void Subtract(const StatsTotals& base) {
#define MEMFLEET_SUB_TOTAL(name) name -= base.name;
    MEMFLEET_WORKER_COUNTERS(MEMFLEET_SUB_TOTAL)
#undef MEMFLEET_SUB_TOTAL
  }
};

}  // namespace memfleet::server
