// RouterOptions: everything memfleet-router's command line sets (router/proxy/command_line.h
// parses it). Plain data, copied into the Router at start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "router/health/server_health.h"
#include "router/writelog/write_log.h"

namespace memfleet::router {

struct RouterOptions {
  int port = 11211;                 // -p; 0: an ephemeral port (tests read it back)
  std::vector<std::string> listen;  // -l (several; comma lists allowed); empty: 0.0.0.0
  std::string unix_socket;          // -s
  int unix_mask = 0700;             // -a
  int threads = 4;                  // -t / --num-proxies
  int max_connections = 1024;       // -c
  int backlog = 1024;               // -b
  // Where the config comes from: exactly one of these.
  std::string config_file;            // --config-file, -f, --config file:PATH
  std::string config_str;             // --config-str
  bool validate_config = false;       // --validate-config: load, print the error or "ok", exit
  std::string route_prefix;           // --route-prefix / -R
  int64_t server_timeout_ms = 1000;   // --server-timeout
  int64_t connect_timeout_ms = 1000;  // --connect-timeout
  int upstream_connections = 1;       // --upstream-connections: per server and thread
  bool enable_flush_cmd = false;      // --enable-flush-cmd
  // Client reads and sends of one loop turn go through io_uring, one submission each
  // (net::IoBatch); --no-io-uring (or a kernel without it) makes them plain system calls.
  bool io_uring = true;
  size_t max_item_size = 1024 * 1024;  // -I / --max-item-size
  // A client's requests in flight at once; past this the router stops reading that client.
  size_t max_client_inflight = 1024;
  int metrics_port = -1;                    // --metrics-port (-1: off)
  int64_t config_check_interval_ms = 1000;  // the periodic check behind inotify
  bool daemonize = false;                   // -d
  std::string pid_file;                     // -P
  int verbosity = 0;                        // -v
  // --timeouts-until-tko, --heartbeat-interval-ms, --probe-*, --max-down-share.
  health::HealthOptions health;
  // --write-log-dir (empty: no write log), --write-log-max-bytes, --write-log-fsync.
  writelog::WriteLogOptions write_log;
};

}  // namespace memfleet::router
