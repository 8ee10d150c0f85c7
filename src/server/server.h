// Server: memfleetd as a whole — listeners, worker threads, the storage engine and the clock.
//
// Built from Settings by main(), which then calls Run() on the main thread. The main thread owns
// the listening sockets (accepting and handing connections round-robin to workers), ticks the
// clock once a second, handles signals (SIGINT/SIGTERM: stop; SIGUSR1: graceful shutdown) and
// serves the Prometheus endpoint (-o metrics_port; server/metrics.h), which reads the stats as
// the `stats` commands do.
// Workers call the accessors below from their own threads; everything reachable from them is
// thread-safe (the engine) or read-only after startup (settings).
// The protocol handlers reach the server only through its ServerControl side (handler_context.h).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"
#include "common/status.h"
#include "net/event_loop.h"
#include "net/http_metrics_server.h"
#include "net/socket.h"
#include "server/auth.h"
#include "server/handler_context.h"
#include "server/logger.h"
#include "server/udp_socket.h"
#include "server/worker.h"
#include "server/worker_stats.h"
#include "storage/engine.h"

namespace memfleet::server {

// Per-prefix counters for `stats detail`.
struct PrefixCounters {
  uint64_t get = 0, hit = 0, set = 0, del = 0;
};

class Server final : public ServerControl {
 public:
  explicit Server(Settings settings);
  ~Server();

  // Binds listeners and starts the engine and the workers. Returns a clear error otherwise.
  Status Start();
  // Serves until a signal or a shutdown command stops it. Main thread.
  void Run();
  // Asks Run() to return (any thread). graceful: finish in-flight requests first.
  void RequestShutdown(bool graceful) override;

  // The TCP port actually bound (useful with -p 0), or -1.
  int bound_port() const { return bound_port_; }
  // The UDP port actually bound (useful with -U -1), or -1 without UDP.
  int bound_udp_port() const { return bound_udp_port_; }
  // The Prometheus endpoint's port (-o metrics_port), or 0 when it is off.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

  const Settings& settings() const { return settings_; }
  // The users of -S (SASL) or -Y (ASCII auth); null when neither is on. Read-only after Start().
  const CredentialStore* credentials() const override { return credentials_.get(); }
  storage::Engine& engine() { return *engine_; }
  Clock& clock() { return clock_; }
  time_t start_time() const { return clock_.ProcessStarted(); }

  // Connection accounting (any thread).
  void OnConnectionClosed() { curr_conns_.fetch_sub(1, std::memory_order_relaxed); }

  // Run-time adjustable settings (any thread).
  int verbosity() const override { return verbosity_.load(std::memory_order_relaxed); }
  void set_verbosity(int v) override { verbosity_.store(v, std::memory_order_relaxed); }

  // `stats detail`.
  // The `watch` log pipeline (any thread).
  Logger& logger() { return logger_; }
  bool detail_enabled() const override { return detail_enabled_.load(std::memory_order_relaxed); }
  void set_detail_enabled(bool on) override {
    detail_enabled_.store(on, std::memory_order_relaxed);
  }
  void RecordPrefix(std::string_view key, bool is_get, bool hit, bool is_set, bool is_del) override;
  std::string DumpPrefixes() override;

  // Stats replies (any thread). Each line goes to sink.
  void AppendGeneralStats(const storage::StatSink& sink) override;
  void AppendConnStats(const storage::StatSink& sink) override;
  void ResetStats() override;

 private:
  void Accept(const net::Listener& l);
  // The sockets of -U, one group per address (udp_socket.h); nothing without -U.
  Status BindUdpSockets(std::vector<std::vector<UdpSocket>>* out);
  void CloseListeners();
  Status StartMetrics();

  class ListenerHandler;

  Settings settings_;
  Clock clock_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<storage::Engine> engine_;
  Logger logger_{static_cast<size_t>(settings_.watcher_logbuf_size)};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<net::Listener> listeners_;          // main thread only
  std::vector<net::Listener> listener_snapshot_;  // as bound at Start(); read-only after
  std::atomic<bool> accepting_{false};
  std::vector<std::unique_ptr<ListenerHandler>> listener_handlers_;
  net::EventLoop main_loop_;
  // -o metrics_port: GET /metrics, served on main_loop_ (declared after it: destroyed first).
  std::unique_ptr<net::HttpMetricsServer> metrics_;
  int signal_fd_ = -1;
  std::unique_ptr<net::EventLoop::Handler> signal_handler_;
  int bound_port_ = -1;
  int bound_udp_port_ = -1;
  uint64_t udp_conns_ = 0;  // UDP sockets the workers serve; fixed at Start()
  size_t next_worker_ = 0;
  bool graceful_pending_ = false;

  std::atomic<int> verbosity_{0};
  std::atomic<bool> detail_enabled_{false};
  std::atomic<uint64_t> curr_conns_{0};
  std::atomic<uint64_t> total_conns_{0};
  std::atomic<uint64_t> rejected_conns_{0};

  std::mutex stats_mu_;
  StatsTotals stats_baseline_;  // guarded by stats_mu_

  std::mutex prefix_mu_;
  std::unordered_map<std::string, PrefixCounters> prefixes_;  // guarded by prefix_mu_
};

}  // namespace memfleet::server
