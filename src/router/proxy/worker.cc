#include "router/proxy/worker.h"

#include <unistd.h>

#include "router/health/health_registry.h"
#include "router/proxy/client_connection.h"
#include "router/proxy/proxy_request.h"
#include "router/proxy/router.h"

namespace memfleet::router {
namespace {

constexpr unsigned kIoBatchEntries = 256;  // as many as one epoll_wait returns

}  // namespace

ProxyWorker::ProxyWorker(int id, Router* router, const RouterOptions& options)
    : router_(router),
      options_(options),
      connector_(&loop_),
      rng_(0x6d656d666c656574ULL + static_cast<uint64_t>(id) * 0x9e3779b97f4a7c15ULL) {
  loop_.SetAfterEvents([this] { AfterEvents(); });
  if (options.io_uring) {
    io_batch_ = net::IoBatch::Create(kIoBatchEntries);
    if (io_batch_ != nullptr) loop_.SetAfterPrepare([this] { io_batch_->FlushReads(); });
  }
}

ProxyWorker::~ProxyWorker() {
  Stop();
  // Close clients first (their requests detach), then the upstreams (in-flight sends fail and
  // release their requests), then the trees.
  auto clients = std::move(clients_);
  clients_.clear();
  clients.clear();
  closed_clients_.clear();
  for (auto& [key, up] : upstreams_) up->CloseAll();
  // The loop no longer runs: this thread runs what closing posted (upstreams dropped by the
  // last trees), then frees the rest.
  loop_.RunOnce(0);
  upstreams_.clear();
}

void ProxyWorker::Start() {
  running_ = true;
  // Often enough for the probe delays (250 ms by default) and heartbeat intervals to be kept to
  // within a fraction; each tick reads a word or two per upstream.
  loop_.Post([this] { loop_.Every(kHealthTickMs, [this] { HealthTick(); }); });
  thread_ = std::thread([this] { Run(); });
}

void ProxyWorker::Stop() {
  if (!thread_.joinable()) return;
  loop_.Post([this] { running_ = false; });
  loop_.Stop();
  thread_.join();
}

void ProxyWorker::Run() {
  // The loop calls AfterEvents after a batch's handlers, but posted tasks and timers run after
  // it: replies that a timer completes (an upstream timeout, a failed connect) would wait for
  // the next I/O event to be written. Flush once more after every turn.
  while (running_) {
    loop_.RunOnce(-1);
    AfterEvents();
  }
}

void ProxyWorker::AfterEvents() {
  // Writing to a client can let it go on with input that waited for room (ClientConnection::
  // Flush), which sends more upstream and queues more output: repeat until nothing is queued, so
  // that no request waits for the next event to leave.
  while (!upstream_flush_.empty() || !client_flush_.empty()) {
    if (io_batch_ != nullptr) {
      // Every connection's output in one submission, upstream requests first; each connection
      // then goes on as if its own send() had returned (BatchSendDone).
      for (UpstreamConnection* u : upstream_flush_) {
        if (u != nullptr) io_batch_->Defer(u);
      }
      upstream_flush_.clear();
      std::vector<ClientConnection*> flushing;
      flushing.swap(client_flush_);
      for (ClientConnection* c : flushing) {
        if (c != nullptr && !c->closed()) io_batch_->Defer(c);
      }
      io_batch_->Flush();
      flushing.clear();
      if (client_flush_.empty()) client_flush_.swap(flushing);  // keep the capacity
      continue;
    }
    // Upstream requests first, so that they leave before the replies to earlier ones are written.
    for (size_t i = 0; i < upstream_flush_.size(); ++i) {
      if (upstream_flush_[i] != nullptr) upstream_flush_[i]->Flush();
    }
    upstream_flush_.clear();
    for (size_t i = 0; i < client_flush_.size(); ++i) {
      ClientConnection* c = client_flush_[i];
      if (c != nullptr && !c->closed()) c->Flush();
    }
    client_flush_.clear();
  }
  closed_clients_.clear();
}

void ProxyWorker::HealthTick() {
  clock_.Refresh();
  // A tick may complete requests, and a request that finishes may drop upstreams no tree uses
  // any more (they live on until a posted task closes them): walk a copy of the list.
  ticking_.clear();
  for (auto& [key, up] : upstreams_) ticking_.push_back(up.get());
  for (UpstreamServer* up : ticking_) up->Tick();
}

void ProxyWorker::AddClient(int fd, int listener) {
  loop_.Post([this, fd, listener] {
    auto c = std::make_unique<ClientConnection>(this, fd, listener);
    if (!c->Start()) {
      close(fd);
      return;
    }
    stats_.curr_connections.Add();
    stats_.total_connections.Add();
    clients_.push_back(std::move(c));
  });
}

void ProxyWorker::ClientClosed(ClientConnection* c) {
  stats_.curr_connections.Sub();
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (clients_[i].get() == c) {
      // Freed after this batch: the connection may still be on the stack.
      closed_clients_.push_back(std::move(clients_[i]));
      clients_[i] = std::move(clients_.back());
      clients_.pop_back();
      break;
    }
  }
  for (auto*& p : client_flush_) {
    if (p == c) p = nullptr;
  }
}

void ProxyWorker::SetTree(std::shared_ptr<const RouteTree> tree, uint64_t generation) {
  loop_.Post([this, tree = std::move(tree), generation]() mutable {
    InstallTree(std::move(tree));
    installed_.store(generation, std::memory_order_release);
  });
}

void ProxyWorker::InstallTree(std::shared_ptr<const RouteTree> tree) {
  UpstreamOptions uo;
  uo.server_timeout_ms = options_.server_timeout_ms;
  uo.connect_timeout_ms = options_.connect_timeout_ms;
  uo.max_reply_bytes = options_.max_item_size * 2 + 64 * 1024;
  uo.io_batch = io_batch_.get();
  auto ref = std::make_unique<TreeRef>();
  ref->tree = std::move(tree);
  const bool nutcracker = !ref->tree->listeners().empty();
  for (const UpstreamSpec& spec : ref->tree->servers()) {
    std::string key = spec.key();
    auto it = upstreams_.find(key);
    if (it == upstreams_.end()) {
      auto up = std::make_unique<UpstreamServer>(
          &loop_, &connector_, &clock_, spec, uo, options_.upstream_connections, &upstream_flush_,
          router_->health().Acquire(spec, health::ModeFor(spec, nutcracker)),
          options_.health.heartbeat_interval_ms);
      up->ConnectAll();
      it = upstreams_.emplace(key, std::move(up)).first;
    }
    // This config's choice (a reload may turn a server's log on or off).
    it->second->SetWriteLog(spec.write_log ? router_->WriteLogFor(spec.address) : nullptr);
    ref->upstreams.push_back(it->second.get());
    ++upstream_tree_refs_[it->second.get()];
  }
  TreeRef* old = current_;
  current_ = ref.get();
  ++current_->refs;  // the worker's own reference to its current tree
  trees_.push_back(std::move(ref));
  Publish();
  if (old != nullptr) ReleaseTree(old);
}

TreeRef* ProxyWorker::AcquireTree() {
  ++current_->refs;
  return current_;
}

void ProxyWorker::ReleaseTree(TreeRef* t) {
  if (--t->refs > 0) return;
  for (UpstreamServer* up : t->upstreams) --upstream_tree_refs_[up];
  for (size_t i = 0; i < trees_.size(); ++i) {
    if (trees_[i].get() == t) {
      trees_.erase(trees_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  DropUnusedUpstreams();
}

void ProxyWorker::DropUnusedUpstreams() {
  for (auto it = upstreams_.begin(); it != upstreams_.end();) {
    auto ref = upstream_tree_refs_.find(it->second.get());
    if (ref == upstream_tree_refs_.end() || ref->second <= 0) {
      if (ref != upstream_tree_refs_.end()) upstream_tree_refs_.erase(ref);
      // No request can still use it: every request holds the tree it routes on.
      loop_.Post([up = std::shared_ptr<UpstreamServer>(std::move(it->second))] { up->CloseAll(); });
      it = upstreams_.erase(it);
    } else {
      ++it;
    }
  }
}

ProxyRequest* ProxyWorker::NewRequest() {
  if (free_requests_.empty()) {
    all_requests_.push_back(std::make_unique<ProxyRequest>(this));
    return all_requests_.back().get();
  }
  ProxyRequest* r = free_requests_.back();
  free_requests_.pop_back();
  return r;
}

void ProxyWorker::FreeRequest(ProxyRequest* r) {
  r->Reset();
  free_requests_.push_back(r);
}

std::vector<ProxyWorker::ServerSnapshot> ProxyWorker::SnapshotServers() {
  std::vector<ServerSnapshot> out;
  std::lock_guard<std::mutex> lock(published_mu_);
  for (size_t i = 0; i < published_.size(); ++i) {
    const UpstreamServer* up = published_[i];
    ServerSnapshot s;
    const UpstreamCounters& c = up->counters();
    s.address = up->spec().address;
    // The pool the running config puts the server in: an UpstreamServer kept across a reload
    // still carries the spec of the config that created it.
    s.pool = published_tree_ != nullptr && i < published_tree_->servers().size()
                 ? published_tree_->servers()[i].pool
                 : up->spec().pool;
    s.state = health::HealthStateName(up->health().state());
    s.conn_state = up->state_name();
    s.last_change = up->health().last_change_unix();
    s.requests = c.requests.Get();
    s.soft_errors = c.soft_errors.Get();
    s.hard_errors = c.hard_errors.Get();
    s.fail_fast = c.fail_fast.Get();
    s.heartbeats = c.heartbeats.Get();
    s.heartbeat_failures = c.heartbeat_failures.Get();
    s.probes = c.probes.Get();
    s.probes_failed = c.probes_failed.Get();
    s.errors = c.errors.Get();
    s.timeouts = c.timeouts.Get();
    s.connect_errors = c.connect_errors.Get();
    s.latency_us_total = c.latency_us_total.Get();
    s.in_flight = static_cast<int64_t>(c.in_flight.Get());
    for (size_t b = 0; b < kLatencyBuckets; ++b) {
      s.latency_buckets[b] = c.latency_buckets[b].Get();
    }
    out.push_back(std::move(s));
  }
  return out;
}

void ProxyWorker::Publish() {
  std::lock_guard<std::mutex> lock(published_mu_);
  published_ = current_ != nullptr ? current_->upstreams : std::vector<UpstreamServer*>{};
  published_tree_ = current_ != nullptr ? current_->tree : nullptr;
}

}  // namespace memfleet::router
