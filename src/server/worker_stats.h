// WorkerStats: the per-command counters of one worker thread, with memcached's stat names.
//
// Each worker owns one WorkerStats and is its only writer (Counter::Add); the stats command sums
// all workers' values on request. `stats reset` is implemented by the reader keeping a baseline
// snapshot (StatsTotals) and subtracting it, so no thread ever writes another thread's counters.
#pragma once

#include <cstdint>

#include "common/counter.h"

namespace memfleet::server {

// The per-worker counters the server keeps, in memcached's `stats` order. X(name). Hit and miss
// counters per command are kept by the storage engine per slab class (EngineGeneralStats).
#define MEMFLEET_WORKER_COUNTERS(X) \
  X(cmd_get)                        \
  X(cmd_flush)                      \
  X(cmd_touch)                      \
  X(cmd_meta)                       \
  X(store_too_large)                \
  X(store_no_memory)                \
  X(auth_cmds)                      \
  X(auth_errors)                    \
  X(idle_kicks)                     \
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
