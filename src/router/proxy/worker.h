// ProxyWorker: one router thread — its event loop, its client connections, its connections to
// every upstream server, and the route tree its new requests take.
//
// Client connections are handed to a worker by the acceptor (Post), and stay on it. Every request
// a client sends becomes a ProxyRequest (pooled per worker) that routes through the worker's
// current tree; the routes' sends reach this worker's UpstreamServer for the destination. A config
// reload posts the new tree to every worker (SetTree): requests already routing keep the tree
// they started with (a TreeRef they count), new ones take the new tree, upstream servers the new
// tree still has keep their connections, and the others close once no request uses them. A
// periodic health tick (every kHealthTickMs) runs each upstream's heartbeats and probes; each
// UpstreamServer shares its server's health record (Router::health()) with the other workers.
// Everything here runs on the worker's thread, except the counters, which `stats` reads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/connector.h"
#include "net/event_loop.h"
#include "net/io_batch.h"
#include "router/config/route_tree.h"
#include "router/proxy/router_options.h"
#include "router/proxy/router_stats.h"
#include "router/upstream/coarse_clock.h"
#include "router/upstream/upstream_server.h"

namespace memfleet::router {

class ClientConnection;
class ProxyRequest;
class Router;

// A route tree as one worker runs it: the tree and the worker's UpstreamServer for each of its
// destinations. Counted by the requests routing through it.
struct TreeRef {
  std::shared_ptr<const RouteTree> tree;
  std::vector<UpstreamServer*> upstreams;  // by DestinationId
  int64_t refs = 0;
};

class ProxyWorker {
 public:
  // How often each worker runs its upstreams' heartbeats and probes (UpstreamServer::Tick).
  static constexpr int kHealthTickMs = 50;

  ProxyWorker(int id, Router* router, const RouterOptions& options);
  ~ProxyWorker();
  ProxyWorker(const ProxyWorker&) = delete;
  ProxyWorker& operator=(const ProxyWorker&) = delete;

  void Start();  // starts the thread
  void Stop();   // asks the loop to stop and joins
  // Any thread: the worker adopts the client socket fd, accepted on listener `listener`.
  void AddClient(int fd, int listener);
  // Any thread: new requests take `tree` from now on; installed_generation() reaches
  // `generation` once the worker has taken it.
  void SetTree(std::shared_ptr<const RouteTree> tree, uint64_t generation);
  uint64_t installed_generation() const { return installed_.load(std::memory_order_acquire); }

  // Loop thread:
  net::EventLoop* loop() { return &loop_; }
  const RouterOptions& options() const { return options_; }
  Router* router() { return router_; }
  WorkerStats& stats() { return stats_; }
  CoarseClock& clock() { return clock_; }
  // Arena blocks shared by this worker's requests (4 MB at most kept).
  ArenaBlockPool* arena_blocks() { return &arena_blocks_; }
  TreeRef* AcquireTree();
  void ReleaseTree(TreeRef* t);
  ProxyRequest* NewRequest();
  void FreeRequest(ProxyRequest* r);
  void ClientClosed(ClientConnection* c);
  uint64_t Random() { return rng_(); }
  // Writes out, at the end of the batch, what the connections queued.
  void QueueClientFlush(ClientConnection* c) { client_flush_.push_back(c); }
  // The batch of client reads and sends (nullptr: plain system calls).
  net::IoBatch* io_batch() { return io_batch_.get(); }

  // Any thread: this worker's counters for each server of its current tree (`stats servers`).
  struct ServerSnapshot {
    std::string address;
    std::string pool;
    std::string state;        // health: up, down, recovering
    std::string conn_state;   // connections: up, connecting, down
    int64_t last_change = 0;  // unix seconds of the last health change (0: none)
    uint64_t requests = 0, errors = 0, timeouts = 0, connect_errors = 0, latency_us_total = 0;
    uint64_t soft_errors = 0, hard_errors = 0, fail_fast = 0, heartbeats = 0,
             heartbeat_failures = 0, probes = 0, probes_failed = 0;
    int64_t in_flight = 0;
    std::array<uint64_t, kLatencyBuckets> latency_buckets{};
  };
  std::vector<ServerSnapshot> SnapshotServers();

 private:
  void Run();
  void AfterEvents();
  // The health timer: heartbeats and probes of every upstream (UpstreamServer::Tick).
  void HealthTick();
  void InstallTree(std::shared_ptr<const RouteTree> tree);
  void DropUnusedUpstreams();
  // Makes the current tree's servers visible to SnapshotServers.
  void Publish();

  Router* router_;
  RouterOptions options_;
  net::EventLoop loop_;
  net::Connector connector_;
  std::thread thread_;
  bool running_ = false;  // loop thread once started: Stop posts its end
  std::mt19937_64 rng_;
  CoarseClock clock_;
  ArenaBlockPool arena_blocks_{1024};
  std::atomic<uint64_t> installed_{0};
  WorkerStats stats_;
  std::unique_ptr<net::IoBatch> io_batch_;

  std::unordered_map<std::string, std::unique_ptr<UpstreamServer>> upstreams_;
  std::unordered_map<UpstreamServer*, int> upstream_tree_refs_;  // TreeRefs naming each
  TreeRef* current_ = nullptr;
  std::vector<std::unique_ptr<TreeRef>> trees_;  // current and older ones still in use

  std::vector<std::unique_ptr<ClientConnection>> clients_;  // indexed by slot
  std::vector<std::unique_ptr<ProxyRequest>> all_requests_;
  std::vector<ProxyRequest*> free_requests_;
  std::vector<UpstreamConnection*> upstream_flush_;
  std::vector<UpstreamServer*> ticking_;  // HealthTick's copy of upstreams_
  std::vector<ClientConnection*> client_flush_;
  std::vector<std::unique_ptr<ClientConnection>> closed_clients_;  // freed after the batch

  std::mutex published_mu_;
  std::vector<UpstreamServer*> published_;           // guarded by published_mu_
  std::shared_ptr<const RouteTree> published_tree_;  // guarded by published_mu_: its pools
};

}  // namespace memfleet::router
