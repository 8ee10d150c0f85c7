// WorkerStats: one router worker's counters, in memcached's names where memcached has the
// counter (cmd_get, get_hits, curr_connections...), plus the router's own (results by code).
// Written only by the worker's thread (relaxed atomics, no locks); `stats` and /metrics sum
// them over workers from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "protocol/model.h"

namespace memfleet::router {

struct WorkerStats {
  using C = std::atomic<uint64_t>;
  static void Add(C& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  C curr_connections{0};  // stored as a count; decremented by the same thread
  C total_connections{0};
  C rejected_connections{0};
  C bytes_read{0};
  C bytes_written{0};

  C cmd_get{0};  // keys asked by retrievals
  C get_hits{0};
  C get_misses{0};
  C cmd_set{0};  // storage commands
  C cmd_touch{0};
  C touch_hits{0};
  C touch_misses{0};
  C cmd_flush{0};
  C delete_hits{0};
  C delete_misses{0};
  C incr_hits{0};
  C incr_misses{0};
  C decr_hits{0};
  C decr_misses{0};
  C cas_hits{0};
  C cas_misses{0};
  C cas_badval{0};
  C set_stored{0};
  C set_not_stored{0};

  // Routed requests by operation (protocol::Op) and by result (protocol::ResultCode).
  std::array<C, 32> requests_by_op{};
  std::array<C, 32> results_by_code{};
  C requests_in_flight{0};  // incremented and decremented by the worker
  C config_tree_refs{0};
};

}  // namespace memfleet::router
