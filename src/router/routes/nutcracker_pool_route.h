// NutcrackerPoolRoute: a twemproxy pool with auto_eject_hosts — the pool's servers with
// twemproxy's placement (hash::NutcrackerPool), over the servers that are not ejected.
//
// twemproxy takes a server that failed server_failure_limit times in a row out of its continuum
// until server_retry_timeout has passed: its keys go to the other servers meanwhile, and come
// back when it does. This route does the same with the router's health records (kEject mode,
// router/health/server_health.h): the placement over the live servers is rebuilt when the
// registry's ejection generation moves, under a mutex, by the first request that sees the new
// generation, and published with an atomic pointer; placements are cached by the set of servers
// out (a server that goes and comes back reuses the ones built before), so that a request reads
// two atomics and never allocates. When every server is out, requests fail fast with kTko
// (twemproxy: "no live servers").
//
// Built by the nutcracker.yml reader (a pool with auto_eject_hosts: true; other pools are plain
// PoolRoutes); bound to the health records by the Router (BindHealth) before any worker runs the
// tree; otherwise immutable and shared by every worker thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "router/hash/nutcracker_pool.h"
#include "router/health/server_health.h"
#include "router/route.h"

namespace memfleet::router {

// Sends the request to the one live server of the pool its key hashes to, as twemproxy would
// with the same servers ejected. That server's reply is the reply.
class NutcrackerPoolRoute final : public Route {
 public:
  // destinations: the pool's DestinationRoutes, in the order of func's servers.
  NutcrackerPoolRoute(std::string pool, std::vector<RoutePtr> destinations,
                      std::unique_ptr<hash::NutcrackerPool> func);

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "PoolRoute"; }

  const std::string& pool() const { return pool_; }
  const std::vector<RoutePtr>& destinations() const { return children_; }

  // Which servers are out: health[i] is destinations()[i]'s record; generation moves whenever
  // one of them leaves or comes back. Unbound, the route places over every server.
  // REQUIRES: before any worker dispatches through the route (the Router binds a tree before
  // posting it to the workers); health.size() == destinations().size(); generation outlives it.
  void BindHealth(std::vector<std::shared_ptr<const health::ServerHealth>> health,
                  const std::atomic<uint64_t>* generation) const;

 private:
  // The placement now; nullptr when every server is out.
  const hash::NutcrackerPool* Live() const;
  const hash::NutcrackerPool* Rebuild(uint64_t generation) const;
  // The child for req, or nullptr.
  const Route* Pick(const Request& req) const;

  std::string pool_;
  std::vector<RoutePtr> children_;
  std::unique_ptr<hash::NutcrackerPool> full_;

  // Set once by BindHealth, read-only afterwards.
  mutable std::vector<std::shared_ptr<const health::ServerHealth>> health_;
  mutable const std::atomic<uint64_t>* generation_ = nullptr;

  mutable std::atomic<const hash::NutcrackerPool*> current_;
  mutable std::atomic<uint64_t> seen_generation_{~uint64_t{0}};
  mutable std::mutex mu_;
  // Placements by the set of servers out (guarded by mu_; a null pool: every server out).
  mutable std::map<std::vector<bool>, std::unique_ptr<hash::NutcrackerPool>> placements_;
};

}  // namespace memfleet::router
