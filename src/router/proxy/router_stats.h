// WorkerStats: one router worker's counters, in memcached's names where memcached has the
// counter (cmd_get, get_hits, curr_connections...), plus the router's own (results by code).
// Written only by the worker's thread (common/counter.h: no locks); `stats` and /metrics sum
// them over workers from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "common/counter.h"
#include "protocol/model.h"

namespace memfleet::router {

using memfleet::Counter;

struct WorkerStats {
  using C = Counter;

  C curr_connections;  // stored as a count; decremented by the same thread
  C total_connections;
  C rejected_connections;
  C bytes_read;
  C bytes_written;

  C cmd_get;  // keys asked by retrievals
  C get_hits;
  C get_misses;
  C cmd_set;  // storage commands
  C cmd_touch;
  C touch_hits;
  C touch_misses;
  C cmd_flush;
  C delete_hits;
  C delete_misses;
  C incr_hits;
  C incr_misses;
  C decr_hits;
  C decr_misses;
  C cas_hits;
  C cas_misses;
  C cas_badval;
  C set_stored;
  C set_not_stored;

  // Routed requests by operation (protocol::Op) and by result (protocol::ResultCode).
  std::array<C, 32> requests_by_op{};
  std::array<C, 32> results_by_code{};
  C requests_in_flight;  // incremented and decremented by the worker
  C config_tree_refs;
};

}  // namespace memfleet::router
