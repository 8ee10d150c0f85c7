#include "server/server.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "protocol/text/vocabulary.h"
#include "server/command_line.h"

namespace memfleet::server {

class Server::ListenerHandler : public net::EventLoop::Handler {
 public:
  ListenerHandler(Server* server, net::Listener l) : server_(server), listener_(std::move(l)) {}
  void OnEvent(uint32_t) override { server_->Accept(listener_); }

 private:
  Server* server_;
  net::Listener listener_;
};

namespace {

class SignalHandler : public net::EventLoop::Handler {
 public:
  SignalHandler(Server* server, int fd) : server_(server), fd_(fd) {}
  void OnEvent(uint32_t) override {
    signalfd_siginfo info;
    while (read(fd_, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo == SIGUSR1) {
        server_->RequestShutdown(true);
      } else if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) {
        server_->RequestShutdown(false);
      }
    }
  }

 private:
  Server* server_;
  int fd_;
};

}  // namespace

Server::Server(Settings settings) : settings_(std::move(settings)) {
  verbosity_.store(settings_.verbose);
  detail_enabled_.store(settings_.detail_enabled);
}

Server::~Server() {
  for (auto& w : workers_) w->Stop();
  for (auto& w : workers_) w->Join();
  workers_.clear();
  if (engine_) engine_->Stop();
  CloseListeners();
  if (signal_fd_ >= 0) close(signal_fd_);
}

Status Server::Start() {
  // Credentials before listeners: a server that cannot authenticate must not accept anyone.
  if (settings_.sasl || !settings_.auth_file.empty()) {
    const char* pwdb = settings_.sasl ? getenv("MEMCACHED_SASL_PWDB") : nullptr;
    if (settings_.sasl && (pwdb == nullptr || *pwdb == '\0')) {
      return Status::InvalidArgument(
          "Error initializing sasl: -S needs the MEMCACHED_SASL_PWDB environment variable to name "
          "a password file of user:password lines");
    }
    auto store = settings_.sasl ? CredentialStore::Load(pwdb, CredentialStore::Format::kSaslPwdb)
                                : CredentialStore::Load(settings_.auth_file,
                                                        CredentialStore::Format::kAsciiAuth);
    if (!store.ok()) return store.status();
    credentials_ = std::move(*store);
  }
  // Listeners first, so that a bad -l or a busy port fails before anything else starts.
  if (!settings_.socket_path.empty()) {
    auto l =
        net::ListenUnix(settings_.socket_path, settings_.socket_access_mask, settings_.backlog);
    if (!l.ok()) return l.status();
    listeners_.push_back(*l);
  } else if (settings_.port != 0) {
    std::vector<std::string> hosts = settings_.listen;
    if (hosts.empty()) hosts.push_back("");
    int port = settings_.port;
    for (const std::string& entry : hosts) {
      // -l accepts "host", "host:port", "[v6]" and "[v6]:port", as memcached does.
      ListenAddress a = SplitListenEntry(entry);
      int this_port = a.port >= 0 ? a.port : port;
      auto ls = net::ListenTcp(a.host, this_port, settings_.backlog);
      if (!ls.ok()) {
        CloseListeners();
        return ls.status();
      }
      for (auto& l : *ls) {
        if (bound_port_ < 0) bound_port_ = net::BoundPort(l.fd);
        listeners_.push_back(l);
      }
      // With -p 0 every further address binds the port the first one got.
      if (port == 0 && a.port < 0 && bound_port_ > 0) port = bound_port_;
    }
  }
  if (!main_loop_.ok()) return Status::Internal("cannot create event loop");

  engine_ = storage::Engine::Create(settings_, &clock_);
  if (!engine_) return Status::InvalidArgument("cannot initialise storage with these settings");
  engine_->Start();

  for (int i = 0; i < settings_.num_threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(this, i));
  }
  for (auto& w : workers_) {
    if (!w->Start()) return Status::Internal("cannot start worker thread");
  }

  for (const net::Listener& l : listeners_) {
    auto h = std::make_unique<ListenerHandler>(this, l);
    Status s = main_loop_.Add(l.fd, EPOLLIN, h.get());
    if (!s.ok()) return s;
    listener_handlers_.push_back(std::move(h));
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGUSR1);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::Internal(std::string("signalfd: ") + strerror(errno));
  signal_handler_ = std::make_unique<SignalHandler>(this, signal_fd_);
  main_loop_.Add(signal_fd_, EPOLLIN, signal_handler_.get());
  main_loop_.Every(1000, [this] { clock_.Tick(); });
  listener_snapshot_ = listeners_;
  accepting_.store(true);
  return Status::Ok();
}

void Server::Run() { main_loop_.Run(); }

void Server::RequestShutdown(bool graceful) {
  main_loop_.Post([this, graceful] {
    if (!graceful || graceful_pending_) {
      main_loop_.Stop();
      return;
    }
    // Graceful: stop accepting, let every connection finish what it has read, then stop.
    graceful_pending_ = true;
    CloseListeners();
    for (auto& w : workers_) w->Drain();
    main_loop_.Every(50, [this] {
      size_t open = 0;
      for (auto& w : workers_) open += w->connection_count();
      if (open == 0) main_loop_.Stop();
    });
    main_loop_.Every(5000, [this] { main_loop_.Stop(); });  // bound the wait
  });
}

void Server::CloseListeners() {
  accepting_.store(false);
  for (net::Listener& l : listeners_) {
    if (l.fd >= 0) {
      main_loop_.Remove(l.fd);
      close(l.fd);
      l.fd = -1;
    }
    if (l.unix_socket && !settings_.socket_path.empty()) unlink(settings_.socket_path.c_str());
  }
  listeners_.clear();
}

void Server::Accept(const net::Listener& l) {
  for (int i = 0; i < 64; ++i) {
    int fd = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or out of descriptors: try again on the next event
    }
    if (curr_conns_.load(std::memory_order_relaxed) >= static_cast<uint64_t>(settings_.max_conns)) {
      ssize_t n = write(fd, protocol::text::kReplyTooManyConnections.data(),
                        protocol::text::kReplyTooManyConnections.size());
      (void)n;
      close(fd);
      rejected_conns_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!l.unix_socket) net::SetTcpNoDelay(fd);
    curr_conns_.fetch_add(1, std::memory_order_relaxed);
    total_conns_.fetch_add(1, std::memory_order_relaxed);
    workers_[next_worker_]->Adopt(fd, l.description);
    next_worker_ = (next_worker_ + 1) % workers_.size();
  }
}

void Server::RecordPrefix(std::string_view key, bool is_get, bool hit, bool is_set, bool is_del) {
  size_t pos = key.find(settings_.prefix_delimiter);
  if (pos == std::string_view::npos) return;  // memcached only counts keys with a prefix
  std::lock_guard<std::mutex> lock(prefix_mu_);
  PrefixCounters& c = prefixes_[std::string(key.substr(0, pos))];
  if (is_get) {
    ++c.get;
    if (hit) ++c.hit;
  }
  if (is_set) ++c.set;
  if (is_del) ++c.del;
}

std::string Server::DumpPrefixes() {
  std::string out;
  std::lock_guard<std::mutex> lock(prefix_mu_);
  for (const auto& [prefix, c] : prefixes_) {
    namespace text = protocol::text;
    out.append(text::kReplyPrefixPrefix).append(prefix);
    out.append(text::kDetailGet).append(std::to_string(c.get));
    out.append(text::kDetailHit).append(std::to_string(c.hit));
    out.append(text::kDetailSet).append(std::to_string(c.set));
    out.append(text::kDetailDelete).append(std::to_string(c.del));
    out.append(text::kCrlf);
  }
  out.append(protocol::text::kReplyEnd);
  return out;
}

namespace {

std::string TimevalString(const timeval& tv) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec));
  return buf;
}

}  // namespace

void Server::AppendGeneralStats(const storage::StatSink& sink) {
  auto num = [&](std::string_view name, uint64_t v) { sink(name, std::to_string(v)); };
  StatsTotals t;
  for (auto& w : workers_) t.Add(w->stats());
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    t.Subtract(stats_baseline_);
  }
  storage::EngineGeneralStats es = engine_->GeneralStats();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  RelTime now = clock_.Now();

  num("pid", static_cast<uint64_t>(getpid()));
  num("uptime", now);
  num("time", static_cast<uint64_t>(clock_.ToUnix(now)));
  sink("version", kVersion);
  sink("libevent", "none");
  num("pointer_size", sizeof(void*) * 8);
  sink("rusage_user", TimevalString(usage.ru_utime));
  sink("rusage_system", TimevalString(usage.ru_stime));
  num("max_connections", static_cast<uint64_t>(settings_.max_conns));
  num("curr_connections", curr_conns_.load(std::memory_order_relaxed));
  num("total_connections", total_conns_.load(std::memory_order_relaxed));
  num("rejected_connections", rejected_conns_.load(std::memory_order_relaxed));
  num("connection_structures",
      curr_conns_.load(std::memory_order_relaxed) + listener_snapshot_.size());
  // memcached's response objects and read buffers come from per-worker caches bounded by
  // -o read_buf_mem_limit; memfleetd has no such caches (each connection has its own buffers,
  // bounded by backpressure) and reserves no descriptors below -c, so these stay 0. memcached's
  // own tests count the names of `stats`.
  for (std::string_view name :
       {"response_obj_oom", "response_obj_count", "response_obj_bytes", "read_buf_count",
        "read_buf_bytes", "read_buf_bytes_free", "read_buf_oom", "reserved_fds"}) {
    num(name, 0);
  }
  num("cmd_get", t.cmd_get);
  num("cmd_set", es.cmd_set);
  num("cmd_flush", t.cmd_flush);
  num("cmd_touch", t.cmd_touch);
  num("cmd_meta", t.cmd_meta);
  num("get_hits", es.get_hits);
  num("get_misses", es.get_misses);
  num("get_expired", es.get_expired);
  num("get_flushed", es.get_flushed);
  num("delete_misses", es.delete_misses);
  num("delete_hits", es.delete_hits);
  num("incr_misses", es.incr_misses);
  num("incr_hits", es.incr_hits);
  num("decr_misses", es.decr_misses);
  num("decr_hits", es.decr_hits);
  num("cas_misses", es.cas_misses);
  num("cas_hits", es.cas_hits);
  num("cas_badval", es.cas_badval);
  num("touch_hits", es.touch_hits);
  num("touch_misses", es.touch_misses);
  num("store_too_large", t.store_too_large);
  num("store_no_memory", t.store_no_memory);
  num("auth_cmds", t.auth_cmds);
  num("auth_errors", t.auth_errors);
  if (settings_.idle_timeout > 0) num("idle_kicks", t.idle_kicks);
  num("bytes_read", t.bytes_read);
  num("bytes_written", t.bytes_written);
  num("limit_maxbytes", es.limit_maxbytes);
  num("accepting_conns", accepting_.load() ? 1 : 0);
  num("listen_disabled_num", 0);
  num("time_in_listen_disabled_us", 0);
  num("threads", static_cast<uint64_t>(settings_.num_threads));
  num("conn_yields", t.conn_yields);
  engine_->AppendHashAndSlabStats(sink);
  num("log_worker_dropped", logger_.worker_dropped());
  num("log_worker_written", logger_.worker_written());
  num("log_watcher_skipped", logger_.watcher_skipped());
  num("log_watcher_sent", logger_.watcher_sent());
  num("log_watchers", logger_.watchers());
  num("unexpected_napi_ids", 0);
  num("round_robin_fallback", 0);
  engine_->AppendItemTotalsStats(sink);
}

void Server::ResetStats() {
  StatsTotals t;
  for (auto& w : workers_) t.Add(w->stats());
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_baseline_ = t;
  }
  total_conns_.store(0, std::memory_order_relaxed);
  rejected_conns_.store(0, std::memory_order_relaxed);
  engine_->ResetStats();
  std::lock_guard<std::mutex> lock(prefix_mu_);
  prefixes_.clear();
}

void Server::AppendConnStats(const storage::StatSink& sink) {
  RelTime now = clock_.Now();
  for (const net::Listener& l : listener_snapshot_) {
    if (!accepting_.load()) break;
    std::string p = std::to_string(l.fd) + ":";
    sink(p + "addr", l.description);
    sink(p + "state", "conn_listening");
    sink(p + "secs_since_last_cmd", std::to_string(now));
  }
  std::vector<ConnInfo> conns;
  for (auto& w : workers_) w->ListConnections(&conns);
  for (const ConnInfo& c : conns) {
    std::string p = std::to_string(c.fd) + ":";
    sink(p + "addr", c.addr);
    sink(p + "listen_addr", c.listen_addr);
    sink(p + "state", c.state);
    sink(p + "secs_since_last_cmd", std::to_string(now - c.last_cmd_time));
  }
}

}  // namespace memfleet::server
