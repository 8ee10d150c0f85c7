// Router: memfleet-router's process — the listeners, the worker threads, the running
// configuration and its reloads, and the router-wide statistics.
//
// The main thread accepts clients on every listener and hands each to a worker round-robin; it
// also watches the config source (inotify on the config file with a periodic check behind it,
// and SIGHUP) and, on a change, loads the new config; a valid one becomes the new route tree of
// every worker (ProxyWorker::SetTree), an invalid one is logged and counted and the old tree
// stays. SIGINT/SIGTERM stop the router. CollectStats may be called from any worker thread.
// It owns the upstream servers' health records (health(), router/health/health_registry.h), and
// binds every tree it loads to them before a worker takes it. With --write-log-dir it owns the
// write logs (a WriteLogSet opened at Start, and one ServerWriteLog per logged server, kept
// until the router ends) and its ReplicaResync (router/resync/) is the health RecoveryHook: a
// server coming back stays recovering until its identity is checked (and, if it came back empty,
// a healthy replica's keys copied to it) and a worker has replayed its log (UpstreamServer).
// A log that has work when the router starts (or a reload brings its server back) takes its
// server down first, so that it serves no read before its replay.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "net/event_loop.h"
#include "net/http_metrics_server.h"
#include "net/socket.h"
#include "router/config/route_tree.h"
#include "router/health/health_registry.h"
#include "router/proxy/router_options.h"
#include "router/proxy/worker.h"
#include "router/resync/replica_resync.h"
#include "router/upstream/server_write_log.h"
#include "router/writelog/write_log_set.h"

namespace memfleet::router {

// The version the router answers to `version` (memcached's protocol version it speaks).
inline constexpr std::string_view kRouterVersion = "1.6.18";
// The reply to flush_all when the router was not started with --enable-flush-cmd.
inline constexpr std::string_view kFlushDisabledLine =
    "SERVER_ERROR flush_all disabled (start the router with --enable-flush-cmd)";

// Where a configuration comes from: a file now, a coordination service later.
class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  // The config's name (a file name: its extension picks the dialect) and text.
  virtual memfleet::Result<std::pair<std::string, std::string>> Read() = 0;
  // A file descriptor that becomes readable when the source may have changed (inotify), or -1.
  virtual int WatchFd() { return -1; }
  // Drains the watch descriptor's events; true when the config may have changed.
  virtual bool DrainWatch() { return false; }
  virtual std::string Describe() const = 0;
};

// --config-file PATH: the file, watched with inotify on its directory (so that an editor's
// rename-over is seen).
std::unique_ptr<ConfigSource> FileConfigSource(std::string path);
// --config-str JSON: fixed text.
std::unique_ptr<ConfigSource> StringConfigSource(std::string text);

class Router {
 public:
  Router(const RouterOptions& options, std::unique_ptr<ConfigSource> source);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Loads the config, opens the listeners, starts the workers. The error says what failed.
  Status Start();
  // Runs the main thread (accepting, reloads, signals) until Stop or SIGINT/SIGTERM.
  void Run();
  void Stop();
  // The TCP port the first listener is bound to (tests start the router on port 0).
  int bound_port() const { return bound_port_; }
  // The metrics endpoint's port (--metrics-port 0 picks one), or -1.
  int metrics_port() const { return metrics_ ? metrics_->port() : -1; }

  // Reloads the config now (SIGHUP); false when the new config was refused.
  bool Reload();
  // Reloads when the source's text differs from the text last loaded or refused (inotify, the
  // periodic check): one change is loaded, or refused and counted, once, whichever sees it first.
  bool ReloadIfChanged();

  // `stats` and `stats <args>`: name/value lines. False for an unknown stats group.
  bool CollectStats(std::string_view args, std::vector<std::pair<std::string, std::string>>* out);

  std::shared_ptr<const RouteTree> tree() const;
  // Every upstream server's health record (any thread).
  health::HealthRegistry& health() { return health_; }
  // Every upstream server's counters, summed over workers. Any thread.
  std::vector<ProxyWorker::ServerSnapshot> ServerTotals();
  // The Prometheus text exposition of the router's metrics (/metrics). Any thread.
  std::string RenderMetrics();
  // The write log of the server at address, or nullptr (no --write-log-dir, or no loaded
  // config logs it). Any thread; the pointer lives as long as the router.
  ServerWriteLog* WriteLogFor(std::string_view address);
  // The stats of every server write log, by address (stats servers, /metrics). Any thread.
  std::vector<writelog::WriteLogStats> WriteLogTotals();

 private:
  class Acceptor;
  Status OpenListeners();
  // Binds a loaded tree to the health records (before any worker takes it): the registry's
  // records and pools, and the live-server placement of nutcracker pools that eject servers.
  void BindHealth(const RouteTree& tree);
  void OnAccept(int listen_fd, int listener);
  // Opens the write log of every logged server of tree (main thread, before a worker takes
  // it), takes down a server whose log has work (left by the previous run), and tells the
  // resync the logged servers.
  Status PrepareWriteLogs(const std::shared_ptr<const RouteTree>& tree);

  RouterOptions options_;
  std::unique_ptr<ConfigSource> source_;
  health::HealthRegistry health_;
  mutable std::mutex mu_;
  std::shared_ptr<const RouteTree> tree_;  // guarded by mu_
  net::EventLoop loop_;
  std::vector<std::unique_ptr<ProxyWorker>> workers_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  size_t next_worker_ = 0;
  int bound_port_ = 0;
  int signal_fd_ = -1;
  int64_t start_time_s_ = 0;

  uint64_t tree_generation_ = 0;  // main thread
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};
  std::atomic<int64_t> last_reload_time_{0};
  std::string last_reload_error_;  // guarded by mu_
  std::string last_text_;          // guarded by mu_: the config text last loaded or refused
  // Main thread: a changed text the periodic check has seen once (an empty file is a text too).
  std::optional<std::string> candidate_text_;
  std::unique_ptr<net::EventLoop::Handler> signal_handler_;
  std::unique_ptr<net::EventLoop::Handler> watcher_;
  std::unique_ptr<net::HttpMetricsServer> metrics_;
  std::atomic<uint64_t> curr_clients_total_{0};

  std::unique_ptr<writelog::WriteLogSet> write_logs_;  // nullptr: no --write-log-dir
  std::mutex wlog_mu_;
  // By address (guarded by wlog_mu_); never erased.
  std::map<std::string, std::unique_ptr<ServerWriteLog>, std::less<>> server_logs_;
  // The RecoveryHook with write logs (after server_logs_: its threads end before they do).
  std::unique_ptr<resync::ReplicaResync> resync_;
};

}  // namespace memfleet::router
