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
#include "server/metrics.h"

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

// MEMCACHED_PORT_FILENAME (memcached's, used by its test suite): a "TCP INET: <port>" or
// "UDP INET6: <port>" line per bound address, written to <path>.lck and then renamed to path.
void WritePortFile(const std::string& path, const std::vector<net::Listener>& tcp,
                   const std::vector<std::vector<UdpSocket>>& udp) {
  std::string text;
  auto line = [&text](std::string_view description, int fd) {
    const size_t colon = description.find(':');
    const std::string_view kind = description.substr(0, colon);  // tcp, tcp6, udp or udp6
    if (kind.size() < 3 || kind == "unix") return;
    for (size_t i = 0; i < 3; ++i) text.push_back(static_cast<char>(toupper(kind[i])));
    text.append(kind.size() > 3 ? " INET6: " : " INET: ");
    text.append(std::to_string(net::BoundPort(fd))).push_back('\n');
  };
  for (const net::Listener& l : tcp) line(l.description, l.fd);
  for (const std::vector<UdpSocket>& group : udp) line(group.front().description, group.front().fd);
  const std::string tmp = path + ".lck";
  FILE* f = fopen(tmp.c_str(), "a");
  if (f == nullptr) {
    fprintf(stderr, "Failed to open \"%s\": %s\n", tmp.c_str(), strerror(errno));
    return;
  }
  fputs(text.c_str(), f);
  fclose(f);
  rename(tmp.c_str(), path.c_str());
}

}  // namespace

Server::Server(Settings settings) : settings_(std::move(settings)) {
  verbosity_.store(settings_.verbose);
  detail_enabled_.store(settings_.detail_enabled);
}

Server::~Server() {
  metrics_.reset();
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
    int port = settings_.port < 0 ? 0 : settings_.port;  // -1 (from -U -1): ephemeral
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
  std::vector<std::vector<UdpSocket>> udp;
  if (Status s = BindUdpSockets(&udp); !s.ok()) {
    CloseListeners();
    return s;
  }
  if (const char* ports = getenv("MEMCACHED_PORT_FILENAME"); ports != nullptr) {
    WritePortFile(ports, listeners_, udp);
  }
  if (!main_loop_.ok()) return Status::Internal("cannot create event loop");
  Status metrics = StartMetrics();
  if (!metrics.ok()) {
    CloseListeners();
    return metrics;
  }

  engine_ = storage::Engine::Create(settings_, &clock_);
  if (!engine_) return Status::InvalidArgument("cannot initialise storage with these settings");
  engine_->Start();

  for (int i = 0; i < settings_.num_threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(this, i));
  }
  // A group of one socket per worker, or (several -l addresses) one socket for the next worker.
  size_t next_udp = 0;
  for (std::vector<UdpSocket>& group : udp) {
    for (UdpSocket& u : group) {
      workers_[next_udp++ % workers_.size()]->AddUdp(std::move(u));
      ++udp_conns_;
    }
  }
  total_conns_.fetch_add(udp_conns_, std::memory_order_relaxed);
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

Status Server::BindUdpSockets(std::vector<std::vector<UdpSocket>>* out) {
  // memcached opens UDP on the -l addresses only when TCP is not a unix socket.
  if (settings_.udp_port == 0 || !settings_.socket_path.empty()) return Status::Ok();
  std::vector<std::string> hosts = settings_.listen;
  if (hosts.empty()) hosts.push_back("");
  // As memcached: each worker reads every address, unless -l names several (then each address
  // is read by one worker, given round robin).
  const int copies = hosts.size() > 1 ? 1 : settings_.num_threads;
  int port = settings_.udp_port < 0 ? 0 : settings_.udp_port;
  for (const std::string& entry : hosts) {
    ListenAddress a = SplitListenEntry(entry);
    auto groups = BindUdp(a.host, a.port >= 0 ? a.port : port, copies);
    if (!groups.ok()) {
      for (auto& g : *out) {
        for (UdpSocket& u : g) close(u.fd);
      }
      out->clear();
      return groups.status();
    }
    for (auto& g : *groups) {
      if (bound_udp_port_ < 0) bound_udp_port_ = net::BoundPort(g.front().fd);
      out->push_back(std::move(g));
    }
    if (port == 0 && a.port < 0 && bound_udp_port_ > 0) port = bound_udp_port_;
  }
  return Status::Ok();
}

// The metrics endpoint listens on metrics_host, else where the cache does: the first -l host, all
// interfaces without -l (as the cache port), or only the loopback when the cache is on a unix
// socket alone. Anyone who can reach the cache port can read `stats` anyway.
Status Server::StartMetrics() {
  if (settings_.metrics_port == 0) return Status::Ok();
  std::string host = settings_.metrics_host;
  if (host.empty()) {
    if (!settings_.socket_path.empty()) {
      host = "127.0.0.1";
    } else if (!settings_.listen.empty()) {
      host = SplitListenEntry(settings_.listen[0]).host;
    }
  }
  metrics_ = std::make_unique<net::HttpMetricsServer>(
      &main_loop_, [this] { return RenderMetrics(CollectStats(*this)); });
  Status s = metrics_->Listen(host, settings_.metrics_port);
  if (!s.ok()) {
    metrics_.reset();
    return Status::InvalidArgument("metrics_port " + std::to_string(settings_.metrics_port) + ": " +
                                   s.message());
  }
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
  // memcached counts each worker's UDP socket as a connection.
  num("curr_connections", curr_conns_.load(std::memory_order_relaxed) + udp_conns_);
  num("total_connections", total_conns_.load(std::memory_order_relaxed));
  num("rejected_connections", rejected_conns_.load(std::memory_order_relaxed));
  num("connection_structures",
      curr_conns_.load(std::memory_order_relaxed) + udp_conns_ + listener_snapshot_.size());
  // memcached's response objects and read buffers come from per-worker caches bounded by
  // -o read_buf_mem_limit; memfleetd lends its read blocks and output areas from a per-worker
  // net::BufferPool (not bounded by read_buf_mem_limit, not counted here yet) and reserves no
  // descriptors below -c, so these stay 0. memcached's own tests count the names of `stats`.
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
  for (auto& w : workers_) {
    for (const auto& u : w->udp_ports()) {
      std::string p = std::to_string(u->fd()) + ":";
      sink(p + "UDP", "UDP");
      sink(p + "addr", u->description());
      sink(p + "state", "conn_read");
      sink(p + "secs_since_last_cmd", std::to_string(now - u->last_cmd_time()));
    }
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
