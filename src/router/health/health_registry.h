// HealthRegistry: the router's ServerHealth records, one per upstream server of the running
// config (by UpstreamSpec::key()), and the pool guard.
//
// Owned by the Router, which binds every config it loads (Bind, main thread) before the workers
// take it; each worker's UpstreamServer holds a shared_ptr to its server's record (Acquire), so a
// record outlives a reload that drops its server until the last worker lets go, and a server the
// new config still has keeps its record, state and probe backoff.
//
// The pool guard (mcrouter's tko tracker idea): a kTko server is not marked down when that would
// put more than max_down_share of its pool (the pool that named it first) down at once — so many
// servers failing together is more likely the router's own network than theirs; such a server
// keeps being tried normally. 1.0 turns the guard off; one server of a pool may always be down
// (one failure says nothing about the router's network, and a pool of one must fail fast too).
// Servers of nutcracker pools are not guarded (nutcracker ejects whatever fails).
//
// Thread-safe: every method may be called from any thread; its mutex is taken after a record's
// (ServerHealth's lock order), never while calling out.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/config/route_tree.h"
#include "router/health/server_health.h"

namespace memfleet::router::health {

// The mode a server of a config gets: kEject for a nutcracker pool with auto_eject_hosts, kNever
// for any other nutcracker pool, kTko for an mcrouter config.
HealthMode ModeFor(const UpstreamSpec& spec, bool nutcracker_config);

class HealthRegistry {
 public:
  // unix_now: the wall clock of last_change_unix() (nullptr: time()).
  explicit HealthRegistry(const HealthOptions& options,
                          std::function<int64_t()> unix_now = nullptr);
  HealthRegistry(const HealthRegistry&) = delete;
  HealthRegistry& operator=(const HealthRegistry&) = delete;

  const HealthOptions& options() const { return options_; }
  // REQUIRES: before any record can recover (before the workers start). nullptr: none.
  void SetRecoveryHook(RecoveryHook* hook) { hook_ = hook; }
  RecoveryHook* hook() const { return hook_; }

  // A config was loaded: makes a record for each of its servers (keeping the ones it has),
  // sets each one's pool for the guard, and forgets the records of servers it no longer has.
  void Bind(const RouteTree& tree) { Bind(tree.servers(), !tree.listeners().empty()); }
  // The same from the config's server table (nutcracker_config: a nutcracker.yml's).
  void Bind(const std::vector<UpstreamSpec>& servers, bool nutcracker_config);
  // The record for spec, made (with mode) when there is none — a worker installing a tree that
  // a later reload replaced already.
  std::shared_ptr<ServerHealth> Acquire(const UpstreamSpec& spec, HealthMode mode);
  // The record of a server of the bound config, or nullptr.
  std::shared_ptr<ServerHealth> Find(const std::string& key) const;

  // Changes whenever a kEject server leaves or rejoins its pool (acquire/release): a route that
  // places keys over the live servers rebuilds its placement when it sees a new value.
  const std::atomic<uint64_t>& ejection_generation() const { return ejection_generation_; }

 private:
  friend class ServerHealth;
  // The pool guard: marks s down unless that would put too much of its pool down; false when
  // refused. REQUIRES: s's mutex held, s up.
  bool DownIfAllowed(ServerHealth& s);
  void OnEjectionChange() { ejection_generation_.fetch_add(1, std::memory_order_acq_rel); }
  int64_t UnixNow() const;

  const HealthOptions options_;
  std::function<int64_t()> unix_now_;
  RecoveryHook* hook_ = nullptr;
  std::atomic<uint64_t> ejection_generation_{0};

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<ServerHealth>> records_;  // guarded by mu_
  // Pool name -> its members (guarded by mu_): the guard counts those not up.
  std::unordered_map<std::string, std::vector<std::shared_ptr<ServerHealth>>> pools_;
};

}  // namespace memfleet::router::health
