// BenchOptions: the command line of memfleet-bench, parsed into one plain struct.
//
// ParseBenchOptions() validates everything up front (sizes, ratios, key space) so the load
// generator can trust its inputs. Plain data; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace memfleet::bench {

enum class Protocol : uint8_t { kText, kMeta };

struct BenchOptions {
  std::string host = "127.0.0.1";
  int port = 11211;
  Protocol protocol = Protocol::kText;
  int threads = 1;
  int conns = 1;     // connections per thread
  int depth = 1;     // requests in flight per connection
  int multiget = 1;  // keys per get (text protocol)
  uint32_t set_ratio = 1;
  uint32_t get_ratio = 9;
  uint64_t keys = 100000;
  size_t key_size = 32;
  bool zipf = false;
  double zipf_s = 0.99;
  size_t value_min = 100;
  size_t value_max = 100;
  double duration_s = 10;
  double warmup_s = 2;
  uint64_t warmup_requests = 0;  // > 0: warm up for this many requests instead of warmup_s
  uint64_t requests = 0;  // > 0: stop after this many measured requests instead of duration_s
  bool prefill = false;
  bool prefill_only = false;
  int prefill_depth = 64;
  bool cache_aside = false;
  bool verify = true;
  double rate = 0;  // > 0: open loop, this many requests per second in total
  int server_pid = 0;
  std::string json_path;  // "-" = stdout
  std::string label;
  uint64_t seed = 1;
  double max_seconds = 1800;  // hard bound on the whole run
};

// Fills *opts from argv. Returns a non-ok Status with a message for bad input; sets *help when
// --help was asked (and returns Ok).
Status ParseBenchOptions(int argc, char** argv, BenchOptions* opts, bool* help);
const char* BenchUsage();

}  // namespace memfleet::bench
