// RouteTree: one loaded router configuration — the route trees, the upstream servers they send
// to, and where clients are listened for — built from a config file's text.
//
// A RouteTree is what a config reload swaps: it is immutable once built and shared (through a
// shared_ptr) by every worker; requests in flight keep the tree they started with. Its server
// table (servers()) numbers every distinct upstream; routes refer to upstreams by that index
// (DestinationId), and each worker maps the index to its own connections, reusing the
// connections of servers that an older tree had too (matched by UpstreamSpec::key()).
//
// Two dialects load into it:
// - mcrouter's JSON (comments allowed): `pools`, `route` or `routes` (with `aliases`, chosen by a
//   key's routing prefix "/region/cluster/"), `named_handles`. One listener set, from the command
//   line (listeners() is empty).
// - twemproxy's nutcracker.yml (chosen by a .yml/.yaml file name): one pool per YAML section, each
//   with its own `listen` address (listeners()), hash, distribution and servers.
// Loading never throws and never crashes on bad input: it returns InvalidArgument with the JSON
// path of the problem ("config error at $.pools.A.servers[1]: ...").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "router/route.h"

namespace memfleet::router {

// One upstream server as the config describes it.
struct UpstreamSpec {
  std::string address;             // "host:port", "[v6]:port" or a unix path (net::Connector forms)
  std::string pool;                // the pool that named it first
  int64_t server_timeout_ms = 0;   // 0: the router's --server-timeout
  int64_t connect_timeout_ms = 0;  // 0: the router's --connect-timeout
  int connections = 0;             // connections per worker; 0: the router's default
  // twemproxy failure options, kept for the health tracker (0 / false: not given).
  bool auto_eject_hosts = false;
  int server_failure_limit = 0;
  int64_t server_retry_timeout_ms = 0;
  // Writes this server misses while down go to its write log (--write-log-dir): set by
  // RouteTreeBuilder::Finish for every server of a pool written through a fan-out route
  // (AllSyncRoute, AllAsyncRoute, AllInitialRoute, AllMajorityRoute) unless the pool says
  // "write_log": false. Not part of key(): a reload that changes it keeps the connections.
  bool write_log = false;
  // Identity for connection reuse across reloads: the same key means the same connections.
  std::string key() const;
};

// Where clients are listened for, with the route their requests take (nutcracker.yml pools).
struct ListenerSpec {
  std::string address;  // "host:port" or a unix path
  std::string pool;     // the YAML section name
  RoutePtr route;
  int backlog = 0;  // the listen backlog the pool asks for; 0: the router's --listen-backlog
  int mode = -1;    // a unix socket's file mode the pool asks for; -1: the router's -a mask
};

struct LoadOptions {
  // Filled by LoadRouteTree: the md5 (hex) of the config text.
  std::string config_md5;
  // mcrouter's --route-prefix: the alias of `routes` that keys without a routing prefix take.
  // Empty: the first alias of the first route.
  std::string route_prefix;
  // Seeds the choices that differ from router to router (LatestRoute's order of replicas, as
  // mcrouter seeds them with its host id). 0: a hash of this host's name.
  uint64_t host_id = 0;
};

class RouteTree {
 public:
  // The route for a key: a key starting with a routing prefix that names one of `routes`'
  // aliases ("/region/cluster/key") takes that route and *key_out is the key after the prefix;
  // any other key takes the default route and *key_out is the key itself.
  const Route* Select(std::string_view key, std::string_view* key_out) const;
  // mcrouter's broadcast: a key whose routing prefix holds a '*' in either part ("/*/*/key",
  // "/east/*/key", "/east/web-*/key"; '*' matches any run of characters within its part) goes to
  // the routes of every alias the prefix matches. Answers false for any other key. Else
  // *key_out is the key after the prefix and *routes the distinct routes matched, the default
  // route first when it is one of them, then in the order of the aliases' names; the first one's
  // reply is the client's, the others run in the background. No match leaves *routes empty.
  bool SelectWildcard(std::string_view key, std::string_view* key_out,
                      std::vector<const Route*>* routes) const;
  const Route& default_route() const { return *default_route_; }

  const std::vector<UpstreamSpec>& servers() const { return servers_; }
  const std::vector<ListenerSpec>& listeners() const { return listeners_; }
  // Every pool name, with the DestinationIds of its servers in config order.
  struct Pool {
    std::string name;
    std::vector<DestinationId> servers;
  };
  const std::vector<Pool>& pools() const { return pools_; }
  // MD5 (hex) of the config text it was built from (stats, __memfleet__.config_md5).
  const std::string& md5() const { return md5_; }
  // Non-fatal remarks (an option this version reads but ignores...), one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  friend class RouteTreeBuilder;
  struct Alias {
    std::string prefix;
    RoutePtr route;
  };
  std::vector<Alias> aliases_;
  RoutePtr default_route_holder_;
  const Route* default_route_ = nullptr;
  std::vector<UpstreamSpec> servers_;
  std::vector<ListenerSpec> listeners_;
  std::vector<Pool> pools_;
  std::string md5_;
  std::vector<std::string> warnings_;
};

// Loads a config. `name` is the file name (a .yml/.yaml name selects the twemproxy dialect;
// anything else, mcrouter's JSON); text is its content.
memfleet::Result<std::shared_ptr<const RouteTree>> LoadRouteTree(std::string_view name,
                                                                 std::string_view text,
                                                                 const LoadOptions& options);

}  // namespace memfleet::router
