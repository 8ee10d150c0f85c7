// Settings: every run-time option of memfleetd, with memcached 1.6's defaults.
//
// Built once at startup by ParseCommandLine() (server/command_line.h) and then treated as read-only
// by every thread, except the few fields that operator commands change at run time
// (verbosity, memory limit, LRU tuning), which are held as atomics by their owning modules, not
// here. Field names follow memcached's `stats settings` names where one exists.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memfleet {

enum class BindingProtocol { kAuto, kAscii, kBinary };

struct Settings {
  // Network.
  int port = 11211;                 // -p; 0 disables TCP
  int udp_port = 0;                 // -U; 0 = off, -1 = an ephemeral port
  std::vector<std::string> listen;  // -l (may be given several times or comma-separated)
  std::string socket_path;          // -s
  int socket_access_mask = 0700;    // -a (octal)
  int max_conns = 1024;             // -c
  int backlog = 1024;               // -b
  int reqs_per_event = 20;          // -R
  BindingProtocol protocol = BindingProtocol::kAuto;  // -B
  int idle_timeout = 0;                               // -o idle_timeout (seconds, 0 = off)
  bool maxconns_fast = true;                          // -o maxconns_fast

  // Process.
  bool daemonize = false;          // -d
  std::string pid_file;            // -P
  std::string user;                // -u
  bool lock_memory = false;        // -k
  bool enable_core_files = false;  // -r
  int verbose = 0;                 // -v / -vv / -vvv
  int num_threads = 4;             // -t
  bool shutdown_command = false;   // -A
  bool flush_enabled = true;       // -F disables
  bool dump_enabled = true;        // -X disables
  bool watch_enabled = true;       // -W disables
  bool sasl = false;               // -S
  std::string auth_file;           // -Y
  char prefix_delimiter = ':';     // -D
  bool detail_enabled = false;     // -D turns it on; also `stats detail on` at run time
  bool large_pages = false;        // -L (try large memory pages; memcached also preallocates)

  // Memory and items.
  uint64_t max_bytes = 64ull * 1024 * 1024;  // -m (megabytes on the command line)
  bool evict_to_free = true;                 // -M disables
  bool use_cas = true;                       // -C disables
  double factor = 1.25;                      // -f
  int chunk_size = 48;                       // -n (minimum space for key+value+flags)
  int item_size_max = 1024 * 1024;           // -I
  int slab_chunk_size_max = 512 * 1024;      // -o slab_chunk_max
  bool memcached_slab_classes = false;       // -o slab_classes=memcached (default: fine)
  bool slab_reassign = true;                 // -o slab_reassign
  int slab_automove = 1;                     // -o slab_automove
  double slab_automove_ratio = 0.8;          // -o slab_automove_ratio
  int slab_automove_window = 30;             // -o slab_automove_window
  bool track_sizes = false;                  // -o track_sizes
  std::vector<uint32_t> slab_sizes;  // -o slab_sizes=a-b-c (explicit class sizes; empty = -f/-n)

  // Hash table.
  int hashpower_init = 0;                  // -o hashpower (0 = default 16)
  bool hash_expand = true;                 // -o no_hashexpand disables
  std::string hash_algorithm = "murmur3";  // -o hash_algorithm (murmur3|jenkins|xxh3)

  // LRU.
  bool lru_crawler = true;           // -o lru_crawler / no_lru_crawler
  bool io_uring = true;              // -o io_uring / no_io_uring: batched reads and sends (IoBatch)
  int lru_crawler_sleep = 100;       // -o lru_crawler_sleep (microseconds)
  uint32_t lru_crawler_tocrawl = 0;  // -o lru_crawler_tocrawl
  bool lru_maintainer_thread = true;  // -o lru_maintainer / no_lru_maintainer
  bool lru_segmented = true;          // -o modern / no_modern
  int hot_lru_pct = 20;               // -o hot_lru_pct
  int warm_lru_pct = 40;              // -o warm_lru_pct
  double hot_max_factor = 0.2;        // -o hot_max_factor
  double warm_max_factor = 2.0;       // -o warm_max_factor
  bool temp_lru = false;              // enabled by -o temporary_ttl
  int temporary_ttl = 61;             // -o temporary_ttl
  int tail_repair_time = 0;           // -o tail_repair_time

  // Logging.
  int watcher_logbuf_size = 256 * 1024;  // -o watcher_logbuf_size (bytes)
  int worker_logbuf_size = 64 * 1024;    // -o worker_logbuf_size (bytes)

  // Prometheus endpoint (memfleetd's own; memcached has none).
  int metrics_port = 0;      // -o metrics_port (0 = off): serve GET /metrics on this port
  std::string metrics_host;  // -o metrics_host (empty: the first -l host; all interfaces
                             // without -l; 127.0.0.1 with -s)

  // Connection buffers.
  uint64_t read_buf_mem_limit = 0;  // -o read_buf_mem_limit (bytes; megabytes on the command
                                    // line; 0 = unlimited)
};

}  // namespace memfleet
