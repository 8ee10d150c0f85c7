// RouteTreeBuilder: what every config dialect builds a RouteTree with.
//
// A dialect's reader (mcrouter's JSON in mcrouter_config.cc; twemproxy's nutcracker.yml in
// nutcracker_config.cc) parses its syntax and reports its errors with its own paths; the builder
// owns the parts that do not depend on the syntax: pools and their servers, the server table (one
// entry per distinct UpstreamSpec::key(), numbered in the order routes first use them), one
// DestinationRoute per server, PoolRoutes with a HashSpec (mcrouter's functions or a nutcracker
// hash/distribution), listeners, routing-prefix aliases and the default route. Its errors are plain
// sentences; the reader prefixes them with the config path they concern. Single-threaded: one
// builder per load.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "router/config/route_tree.h"
#include "router/hash/hash_func.h"
#include "router/route.h"

namespace memfleet::router {

class DestinationRoute;

class RouteTreeBuilder {
 public:
  RouteTreeBuilder();
  ~RouteTreeBuilder();
  RouteTreeBuilder(const RouteTreeBuilder&) = delete;
  RouteTreeBuilder& operator=(const RouteTreeBuilder&) = delete;

  // One server of a pool: how to reach it, and how the pool's hash function sees it
  // (hash.address as the config spells it, hash.name, hash.weight).
  struct PoolServer {
    UpstreamSpec upstream;
    hash::HashServer hash;
  };

  // Defines a pool. InvalidArgument when a pool of that name exists or it has no servers.
  Status DefinePool(std::string name, std::vector<PoolServer> servers);
  bool HasPool(std::string_view name) const;
  // A pool's "write_log" option (default on): off keeps its servers out of the write log even
  // when a fan-out route writes to them.
  void SetPoolWriteLog(std::string_view name, bool on);
  // Brackets the reading of a write fan-out route's children (AllSyncRoute, AllAsyncRoute,
  // AllInitialRoute, AllMajorityRoute): every pool used in between is a replicated pool, whose
  // servers get UpstreamSpec::write_log (unless the pool turned it off). Nested brackets count.
  void EnterWriteFanOut() { ++write_fan_out_depth_; }
  void ExitWriteFanOut() { --write_fan_out_depth_; }
  // The children a write fan-out route was built with: the servers they are or hash over are
  // replicated too (a child built before, e.g. a "Pool|A" the reader reuses, used no pool inside
  // the bracket).
  void MarkWriteFanOut(const std::vector<RoutePtr>& children);

  // The pool's servers as routes, one DestinationRoute per server in the pool's order. The first
  // use of a pool puts its servers in the server table and the pool in pools(). NotFound for a
  // pool that is not defined.
  Result<std::vector<RoutePtr>> PoolDestinations(std::string_view pool);
  // A PoolRoute over the pool's servers. spec.servers is filled from the pool (with weights
  // instead of the pool's when given, one per server); func, salt and the nutcracker fields come
  // from the caller. InvalidArgument (the hash function's message) when the function cannot be
  // built; NotFound for an undefined pool.
  Result<RoutePtr> MakePoolRoute(std::string_view pool, hash::HashSpec spec,
                                 const std::vector<double>& weights = {});

  // A HashRoute over any children; spec.servers must have one entry per child (HashServerFor
  // gives a child's).
  static Result<RoutePtr> MakeHashRoute(std::vector<RoutePtr> children, const hash::HashSpec& spec);
  // How a hash function sees a child: a DestinationRoute by its server's address, any other
  // route by its position ("0", "1"...).
  static hash::HashServer HashServerFor(const Route& child, size_t index);

  // nutcracker.yml: a pool's own listen address and route.
  void AddListener(ListenerSpec listener);
  // A routing prefix ("/region/cluster/") whose keys take route. InvalidArgument when prefix is
  // not of that form or is taken.
  Status AddAlias(std::string prefix, RoutePtr route);
  bool HasAlias(std::string_view prefix) const;
  RoutePtr AliasRoute(std::string_view prefix) const;
  // The route of keys without a (known) routing prefix. Required before Finish.
  void SetDefaultRoute(RoutePtr route);
  // A non-fatal remark for RouteTree::warnings().
  void Warn(std::string line);

  // The tree. Warns about defined pools no route uses. Internal when no default route was set.
  // The md5 (hex) of the config text, for stats and __memfleet__.config_md5.
  void set_md5(std::string md5) { md5_ = std::move(md5); }
  Result<std::shared_ptr<const RouteTree>> Finish();

 private:
  struct PoolEntry {
    std::vector<PoolServer> servers;
    bool used = false;
    std::vector<RoutePtr> destinations;  // when used
    bool write_log = true;               // the pool's "write_log" option
    bool fanned_out = false;             // used inside a write fan-out route
  };
  Result<const PoolEntry*> UsePool(std::string_view name);
  RoutePtr DestinationFor(const UpstreamSpec& spec);

  std::unique_ptr<RouteTree> tree_;
  std::vector<std::string> pool_order_;
  std::map<std::string, PoolEntry, std::less<>> pools_;
  std::map<std::string, DestinationId, std::less<>> server_by_key_;
  std::map<std::string, std::string, std::less<>> first_pool_;  // by UpstreamSpec::key()
  std::vector<RoutePtr> destinations_;                          // by DestinationId
  std::string md5_;
  int write_fan_out_depth_ = 0;
  std::vector<DestinationId> replicated_;  // MarkWriteFanOut's servers
};

// True for "/region/cluster/": a slash, two non-empty names without slashes, each followed by a
// slash.
bool IsRoutingPrefix(std::string_view prefix);

}  // namespace memfleet::router
