// twemproxy's dialect -> RouteTree: a nutcracker.yml, as twemproxy 0.5.0 reads it (nc_conf.c).
//
// The file is one YAML document (no "---" or "..." markers, which twemproxy refuses too), a
// mapping of pools; each pool is a mapping of directives:
//
//   beta:                          # the pool's name
//     listen: 127.0.0.1:22122      # "host:port" or "/path/to/socket [mode]" (required)
//     hash: fnv1a_64               # one_at_a_time md5 crc16 crc32 crc32a fnv1_64 fnv1a_64
//                                  # fnv1_32 fnv1a_32 hsieh murmur jenkins (default fnv1a_64)
//     hash_tag: "{}"               # two characters (default none)
//     distribution: ketama         # ketama modula random (default ketama)
//     timeout: 400                 # ms, the pool's server timeout (default: none, see below)
//     server_connections: 1        # connections per server (default 1; 0 is an error)
//     servers:                     # "host:port:weight [name]" or "/path:weight [name]"
//      - 127.0.0.1:11211:1 server1
//
// Each pool becomes a ListenerSpec (its listen address, its name, a PoolRoute over its servers
// with the HashSpec func "nutcracker" and the pool's hash, distribution and hash_tag) and a pool
// of the server table; the first pool's route is also the tree's default route. Directive names,
// hash and distribution names and booleans ("true"/"false") are case-sensitive, numbers plain
// digits, and a directive may be given once, all as in twemproxy; unknown directives are errors.
// `redis: true` and `redis_auth` are refused (memfleet speaks the memcached protocol only);
// `redis_db`, `backlog`, `tcpkeepalive`, `reuseport` and a unix socket's mode are read and
// ignored with a warning, `client_connections` is ignored as twemproxy ignores it, `preconnect`
// is what the router does anyway. `auto_eject_hosts`, `server_retry_timeout` and
// `server_failure_limit` (defaults false, 30000 ms, 2) go into UpstreamSpec for the health
// tracker. A pool without `timeout` (twemproxy: wait forever) leaves server_timeout_ms at 0, the
// router's --server-timeout.
//
// Errors name the YAML path as the JSON dialect does ("config error at $.beta.servers[1]:
// ...") or, for YAML syntax, the line and column. yaml-cpp's exceptions are caught here and
// never escape. Pure: any thread.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "router/config/route_tree.h"

namespace memfleet::router {

memfleet::Result<std::shared_ptr<const RouteTree>> LoadNutcrackerConfig(std::string_view text,
                                                                        const LoadOptions& options);

}  // namespace memfleet::router
