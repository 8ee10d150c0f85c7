// LoadGenerator: drives a memcached-protocol server with the workload described by BenchOptions
// and measures it.
//
// Run() starts options.threads threads; each owns an epoll instance and options.conns non-blocking
// connections and keeps up to options.depth requests in flight on each. Requests are composed by
// the protocol library (wire.h: RequestComposer) straight into a per-connection output string
// whose room is reserved at connect (no allocation per request), and replies are parsed in place
// by the protocol library's reply parsers (wire.h: ReplyReader) for the operation of the request at
// the front of the connection's in-flight queue. The calling thread sequences the phases (connect,
// prefill, warm-up, measure, stop), samples the server's CPU time and RSS from /proc at the edges
// of the measured window, and merges the per-thread statistics. Closed loop by default; with
// options.rate each connection sends on a fixed schedule and latency counts from the scheduled
// time (so a stalled server is not hidden by coordinated omission). Run() is called once, from
// one thread.
#pragma once

#include <cstdint>
#include <string>

#include "histogram.h"
#include "options.h"

namespace memfleet::bench {

struct BenchResult {
  double measured_s = 0;
  double prefill_s = 0;
  uint64_t prefill_keys = 0;
  uint64_t requests = 0;  // completed in the measured window (a multiget is one)
  uint64_t get_keys = 0;  // keys asked for by gets
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t sets = 0;
  uint64_t set_failed = 0;  // NOT_STORED and friends
  uint64_t errors = 0;      // ERROR / CLIENT_ERROR / SERVER_ERROR replies, whole run
  uint64_t verified = 0;    // hit values checked, whole run
  uint64_t verify_failures = 0;
  uint64_t connection_errors = 0;
  std::string first_error;   // the first error reply or failure, for the report
  LatencyHistogram latency;  // ns per request, measured window
  double server_cpu_s = -1;  // -1: no --server-pid
  double server_user_s = -1;
  double server_sys_s = -1;
  int64_t server_rss_start_kb = -1;  // at the start of the run (after connecting)
  int64_t server_rss_prefill_kb = -1;
  int64_t server_rss_end_kb = -1;
  double client_cpu_s = 0;  // this process, measured window
};

// Returns false (and fills result->first_error) when the run could not start at all.
bool RunLoad(const BenchOptions& options, BenchResult* result);

// utime and stime of a process in seconds; false if /proc/<pid>/stat cannot be read.
bool ReadProcessCpu(int pid, double* user_s, double* sys_s);
// VmRSS of a process in KiB, or -1.
int64_t ReadProcessRssKb(int pid);

}  // namespace memfleet::bench
