#include "router/proxy/router.h"

#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "router/routes/destination_route.h"
#include "router/routes/nutcracker_pool_route.h"

namespace memfleet::router {
namespace {

constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";

class FileSource final : public ConfigSource {
 public:
  explicit FileSource(std::string path) : path_(std::move(path)) {
    size_t slash = path_.rfind('/');
    dir_ = slash == std::string::npos ? "." : path_.substr(0, slash == 0 ? 1 : slash);
    base_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ >= 0) {
      // The directory, not the file: editors and deploy tools replace a file by renaming.
      // A file written in place is read once it is closed, not at every write (IN_MODIFY would
      // read it half written, refuse it and count a failure).
      if (inotify_add_watch(fd_, dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        close(fd_);
        fd_ = -1;
      }
    }
  }
  ~FileSource() override {
    if (fd_ >= 0) close(fd_);
  }
  memfleet::Result<std::pair<std::string, std::string>> Read() override {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return Status::IoError("cannot read config file " + path_ + ": " + strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::make_pair(path_, ss.str());
  }
  int WatchFd() override { return fd_; }
  bool DrainWatch() override {
    alignas(inotify_event) char buf[4096];
    bool relevant = false;
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        if (ev->len > 0 && base_ == ev->name) relevant = true;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    return relevant;
  }
  std::string Describe() const override { return "file:" + path_; }

 private:
  std::string path_, dir_, base_;
  int fd_ = -1;
};

class StringSource final : public ConfigSource {
 public:
  explicit StringSource(std::string text) : text_(std::move(text)) {}
  memfleet::Result<std::pair<std::string, std::string>> Read() override {
    return std::make_pair(std::string("config-str"), text_);
  }
  std::string Describe() const override { return "config-str"; }

 private:
  std::string text_;
};

std::string Str(uint64_t v) { return std::to_string(v); }

}  // namespace

std::unique_ptr<ConfigSource> FileConfigSource(std::string path) {
  return std::make_unique<FileSource>(std::move(path));
}
std::unique_ptr<ConfigSource> StringConfigSource(std::string text) {
  return std::make_unique<StringSource>(std::move(text));
}

class Router::Acceptor : public net::EventLoop::Handler {
 public:
  Acceptor(Router* r, net::Listener l, int index) : router_(r), l_(std::move(l)), index_(index) {}
  ~Acceptor() override {
    if (l_.fd >= 0) close(l_.fd);
  }
  void OnEvent(uint32_t) override { router_->OnAccept(l_.fd, index_); }
  int fd() const { return l_.fd; }

 private:
  Router* router_;
  net::Listener l_;
  int index_;
};

namespace {

class Watcher : public net::EventLoop::Handler {
 public:
  Watcher(Router* r, ConfigSource* s) : router_(r), source_(s) {}
  void OnEvent(uint32_t) override {
    if (source_->DrainWatch()) router_->ReloadIfChanged();
  }

 private:
  Router* router_;
  ConfigSource* source_;
};

class SignalHandler : public net::EventLoop::Handler {
 public:
  SignalHandler(Router* r, int fd) : router_(r), fd_(fd) {}
  void OnEvent(uint32_t) override {
    signalfd_siginfo info;
    while (read(fd_, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo == SIGHUP) {
        router_->Reload();
      } else {
        router_->Stop();
      }
    }
  }

 private:
  Router* router_;
  int fd_;
};

}  // namespace

Router::Router(const RouterOptions& options, std::unique_ptr<ConfigSource> source)
    : options_(options), source_(std::move(source)), health_(options.health) {}

Router::~Router() {
  metrics_.reset();
  for (auto& a : acceptors_) loop_.Remove(a->fd());
  acceptors_.clear();
  for (auto& w : workers_) w->Stop();
  workers_.clear();
  if (signal_fd_ >= 0) close(signal_fd_);
}

std::shared_ptr<const RouteTree> Router::tree() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_;
}

Status Router::Start() {
  start_time_s_ = time(nullptr);
  auto text = source_->Read();
  if (!text.ok()) return text.status();
  LoadOptions lo;
  lo.route_prefix = options_.route_prefix;
  auto tree = LoadRouteTree(text->first, text->second, lo);
  if (!tree.ok()) return tree.status();
  for (const std::string& w : (*tree)->warnings())
    fprintf(stderr, "config warning: %s\n", w.c_str());
  tree_ = *tree;
  BindHealth(*tree_);

  // Signals go to the signalfd: block them before any thread starts, so every thread inherits it.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return Status::Internal(std::string("signalfd: ") + strerror(errno));

  // After the signal mask: the set's flusher thread must not take SIGTERM's default action.
  if (!options_.write_log.dir.empty()) {
    auto set = writelog::WriteLogSet::Open(options_.write_log);
    if (!set.ok()) return Status::InvalidArgument("write log: " + set.status().message());
    write_logs_ = std::move(set.value());
    resync_ = std::make_unique<resync::ReplicaResync>(resync::ResyncOptions{});
    health_.SetRecoveryHook(resync_.get());
  }
  if (Status st = PrepareWriteLogs(tree_); !st.ok()) return st;
  if (resync_ != nullptr) resync_->Start();

  Status s = OpenListeners();
  if (!s.ok()) return s;

  int threads = options_.threads < 1 ? 1 : options_.threads;
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<ProxyWorker>(i, this, options_));
    workers_.back()->SetTree(tree_, 0);
    workers_.back()->Start();
  }
  for (auto& a : acceptors_) {
    Status st = loop_.Add(a->fd(), EPOLLIN, a.get());
    if (!st.ok()) return st;
  }
  signal_handler_ = std::make_unique<SignalHandler>(this, signal_fd_);
  (void)loop_.Add(signal_fd_, EPOLLIN, signal_handler_.get());
  if (source_->WatchFd() >= 0) {
    watcher_ = std::make_unique<Watcher>(this, source_.get());
    (void)loop_.Add(source_->WatchFd(), EPOLLIN, watcher_.get());
  }
  if (options_.config_check_interval_ms > 0 && source_->WatchFd() >= 0) {
    // Behind inotify (which misses changes on some file systems), compare the text itself.
    // A change seen this way is loaded only when the next check sees the same text, so that a
    // file being written in place is not read half-written.
    loop_.Every(static_cast<int>(options_.config_check_interval_ms), [this] {
      auto t = source_->Read();
      if (!t.ok()) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (t->second == last_text_) {
          candidate_text_.reset();
          return;
        }
      }
      if (!candidate_text_ || t->second != *candidate_text_) {
        candidate_text_ = t->second;
        return;
      }
      candidate_text_.reset();
      ReloadIfChanged();
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_text_ = text->second;
  }
  if (options_.metrics_port >= 0) {
    metrics_ = std::make_unique<net::HttpMetricsServer>(&loop_, [this] { return RenderMetrics(); });
    Status ms =
        metrics_->Listen(options_.listen.empty() ? "" : options_.listen[0], options_.metrics_port);
    if (!ms.ok()) return Status::InvalidArgument("metrics port: " + ms.message());
  }
  return Status::Ok();
}

void Router::BindHealth(const RouteTree& tree) {
  health_.Bind(tree);
  // nutcracker pools with auto_eject_hosts place keys over their live servers only.
  for (const ListenerSpec& l : tree.listeners()) {
    const auto* pool = dynamic_cast<const NutcrackerPoolRoute*>(l.route.get());
    if (pool == nullptr) continue;
    std::vector<std::shared_ptr<const health::ServerHealth>> records;
    for (const RoutePtr& d : pool->destinations()) {
      const auto* dest = dynamic_cast<const DestinationRoute*>(d.get());
      std::shared_ptr<health::ServerHealth> h;
      if (dest != nullptr && dest->destination() < tree.servers().size()) {
        h = health_.Find(tree.servers()[dest->destination()].key());
      }
      if (h == nullptr) break;
      records.push_back(std::move(h));
    }
    pool->BindHealth(std::move(records), &health_.ejection_generation());
  }
}

Status Router::PrepareWriteLogs(const std::shared_ptr<const RouteTree>& tree) {
  if (write_logs_ == nullptr) return Status::Ok();
  CoarseClock clock;  // the workers' clock (monotonic), for the probe delay
  Status first = Status::Ok();
  std::vector<resync::ReplicaResync::Member> members;
  for (const UpstreamSpec& spec : tree->servers()) {
    if (!spec.write_log) continue;
    ServerWriteLog* wlog = nullptr;
    {
      std::lock_guard<std::mutex> lock(wlog_mu_);
      auto it = server_logs_.find(spec.address);
      if (it == server_logs_.end()) {
        auto log = write_logs_->ForServer(spec.address);
        if (!log.ok()) {
          if (first.ok()) {
            first = Status::InvalidArgument("write log of " + spec.address + ": " +
                                            log.status().message());
          }
          continue;
        }
        // Gated: the resync allows each replay once it has checked the server.
        it = server_logs_.emplace(spec.address, std::make_unique<ServerWriteLog>(log.value(), true))
                 .first;
      }
      wlog = it->second.get();
    }
    members.push_back({spec.address, health_.Find(spec.key()), wlog});
    if (!wlog->log().HasWork() || wlog->replaying()) continue;
    // It missed writes (the previous run logged them): no reads until the first probe has
    // replayed them.
    if (auto h = health_.Find(spec.key()); h != nullptr) h->MarkDownForWriteLog(clock.now_ms());
  }
  resync_->Configure(tree, std::move(members));
  return first;
}

ServerWriteLog* Router::WriteLogFor(std::string_view address) {
  std::lock_guard<std::mutex> lock(wlog_mu_);
  auto it = server_logs_.find(address);
  return it == server_logs_.end() ? nullptr : it->second.get();
}

std::vector<writelog::WriteLogStats> Router::WriteLogTotals() {
  std::vector<writelog::WriteLogStats> out;
  std::lock_guard<std::mutex> lock(wlog_mu_);
  for (const auto& [address, wlog] : server_logs_) out.push_back(wlog->log().stats());
  return out;
}

Status Router::OpenListeners() {
  std::vector<std::pair<net::Listener, int>> opened;
  if (!tree_->listeners().empty()) {
    // A nutcracker.yml: each pool listens where its `listen` says.
    for (size_t i = 0; i < tree_->listeners().size(); ++i) {
      const ListenerSpec& spec = tree_->listeners()[i];
      const std::string& addr = spec.address;
      // A pool's own backlog and socket mode (nutcracker.yml) win over the command line's.
      const int backlog = spec.backlog > 0 ? spec.backlog : options_.backlog;
      if (!addr.empty() && addr[0] == '/') {
        auto l = net::ListenUnix(addr, spec.mode >= 0 ? spec.mode : options_.unix_mask, backlog);
        if (!l.ok()) return l.status();
        opened.emplace_back(*l, static_cast<int>(i));
        continue;
      }
      auto a = net::ParseConnectAddress(addr);
      if (!a.ok()) return Status::InvalidArgument("bad listen address " + addr);
      auto ls = net::ListenTcp(a->host, a->port, backlog);
      if (!ls.ok()) return ls.status();
      for (auto& l : *ls) opened.emplace_back(l, static_cast<int>(i));
    }
  } else if (!options_.unix_socket.empty()) {
    auto l = net::ListenUnix(options_.unix_socket, options_.unix_mask, options_.backlog);
    if (!l.ok()) return l.status();
    opened.emplace_back(*l, 0);
  } else {
    std::vector<std::string> hosts = options_.listen;
    if (hosts.empty()) hosts.push_back("");
    int port = options_.port;
    for (const std::string& h : hosts) {
      auto ls = net::ListenTcp(h, port, options_.backlog);
      if (!ls.ok()) return ls.status();
      for (auto& l : *ls) {
        if (port == 0) port = net::BoundPort(l.fd);  // every address on the same port
        opened.emplace_back(l, 0);
      }
    }
  }
  for (auto& [l, index] : opened) {
    if (bound_port_ == 0 && !l.unix_socket) bound_port_ = net::BoundPort(l.fd);
    acceptors_.push_back(std::make_unique<Acceptor>(this, l, index));
  }
  return Status::Ok();
}

void Router::OnAccept(int listen_fd, int listener) {
  for (int i = 0; i < 64; ++i) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    uint64_t current = 0;
    for (auto& w : workers_) current += w->stats().curr_connections.Get();
    if (current >= static_cast<uint64_t>(options_.max_connections)) {
      // As memcached: tell the client why, then close.
      ssize_t n = send(fd, kTooManyConnections.data(), kTooManyConnections.size(), MSG_NOSIGNAL);
      (void)n;
      close(fd);
      workers_[0]->stats().rejected_connections.Add();
      continue;
    }
    net::SetTcpNoDelay(fd);
    workers_[next_worker_++ % workers_.size()]->AddClient(fd, listener);
  }
}

void Router::Run() { loop_.Run(); }

void Router::Stop() { loop_.Stop(); }

bool Router::Reload() {
  auto text = source_->Read();
  LoadOptions lo;
  lo.route_prefix = options_.route_prefix;
  memfleet::Result<std::shared_ptr<const RouteTree>> tree =
      text.ok() ? LoadRouteTree(text->first, text->second, lo)
                : memfleet::Result<std::shared_ptr<const RouteTree>>(text.status());
  if (!tree.ok()) {
    reload_failures_.fetch_add(1);
    fprintf(stderr, "config reload failed, keeping the running config: %s\n",
            tree.status().message().c_str());
    std::lock_guard<std::mutex> lock(mu_);
    if (text.ok()) last_text_ = text->second;  // do not retry the same broken text every second
    last_reload_error_ = tree.status().message();
    return false;
  }
  // Every worker takes the new tree before `stats` and /metrics speak of it, so that a tool that
  // sees the new md5 knows every new request runs on it (a bounded wait: the workers never block).
  BindHealth(**tree);
  if (Status st = PrepareWriteLogs(*tree); !st.ok()) {
    // The servers whose log could not be opened are not logged; the config runs anyway.
    fprintf(stderr, "config reload: %s\n", st.message().c_str());
  }
  const uint64_t generation = ++tree_generation_;
  for (auto& w : workers_) w->SetTree(*tree, generation);
  for (int i = 0; i < 5000; ++i) {
    bool all = true;
    for (auto& w : workers_) all = all && w->installed_generation() >= generation;
    if (all) break;
    usleep(1000);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    tree_ = *tree;
    last_text_ = text->second;
    last_reload_error_.clear();
  }
  reloads_.fetch_add(1);
  last_reload_time_.store(time(nullptr));
  fprintf(stderr, "config reloaded from %s\n", source_->Describe().c_str());
  return true;
}

bool Router::ReloadIfChanged() {
  auto t = source_->Read();
  if (!t.ok()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (t->second == last_text_) return false;
  }
  return Reload();
}

std::vector<ProxyWorker::ServerSnapshot> Router::ServerTotals() {
  std::vector<ProxyWorker::ServerSnapshot> total;
  for (auto& w : workers_) {
    for (auto& s : w->SnapshotServers()) {
      ProxyWorker::ServerSnapshot* t = nullptr;
      for (auto& have : total) {
        if (have.address == s.address) t = &have;
      }
      if (t == nullptr) {
        total.push_back(s);
        continue;
      }
      t->requests += s.requests;
      t->errors += s.errors;
      t->timeouts += s.timeouts;
      t->connect_errors += s.connect_errors;
      t->latency_us_total += s.latency_us_total;
      t->in_flight += s.in_flight;
      t->soft_errors += s.soft_errors;
      t->hard_errors += s.hard_errors;
      t->fail_fast += s.fail_fast;
      t->heartbeats += s.heartbeats;
      t->heartbeat_failures += s.heartbeat_failures;
      t->probes += s.probes;
      t->probes_failed += s.probes_failed;
      for (size_t b = 0; b < kLatencyBuckets; ++b) t->latency_buckets[b] += s.latency_buckets[b];
      // The health state is the one record's; connections are up if any worker's are.
      if (s.conn_state == "up" || (s.conn_state == "connecting" && t->conn_state == "down")) {
        t->conn_state = s.conn_state;
      }
    }
  }
  return total;
}

bool Router::CollectStats(std::string_view args,
                          std::vector<std::pair<std::string, std::string>>* out) {
  auto add = [out](std::string name, std::string value) {
    out->emplace_back(std::move(name), std::move(value));
  };
  if (args == "servers") {
    std::vector<ProxyWorker::ServerSnapshot> total = ServerTotals();
    std::map<std::string, writelog::WriteLogStats> logs;
    for (writelog::WriteLogStats& l : WriteLogTotals()) logs.emplace(l.address, std::move(l));
    for (auto& t : total) {
      uint64_t avg = t.requests > 0 ? t.latency_us_total / t.requests : 0;
      using U = unsigned long long;
      char line[768];
      snprintf(line, sizeof(line),
               "pool=%s state=%s requests=%llu errors=%llu timeouts=%llu connect_errors=%llu "
               "avg_latency_us=%llu in_flight=%lld conn=%s last_change=%lld soft_errors=%llu "
               "hard_errors=%llu fail_fast=%llu probes=%llu probes_failed=%llu heartbeats=%llu "
               "heartbeat_failures=%llu",
               t.pool.c_str(), t.state.c_str(), static_cast<U>(t.requests),
               static_cast<U>(t.errors), static_cast<U>(t.timeouts),
               static_cast<U>(t.connect_errors), static_cast<U>(avg),
               static_cast<long long>(t.in_flight), t.conn_state.c_str(),
               static_cast<long long>(t.last_change), static_cast<U>(t.soft_errors),
               static_cast<U>(t.hard_errors), static_cast<U>(t.fail_fast), static_cast<U>(t.probes),
               static_cast<U>(t.probes_failed), static_cast<U>(t.heartbeats),
               static_cast<U>(t.heartbeat_failures));
      std::string value = line;
      if (auto l = logs.find(t.address); l != logs.end()) {
        const writelog::WriteLogStats& w = l->second;
        snprintf(line, sizeof(line),
                 " wlog_records=%llu wlog_bytes=%llu wlog_appended=%llu wlog_replayed=%llu "
                 "wlog_dropped=%llu wlog_needs_resync=%d",
                 static_cast<U>(w.records), static_cast<U>(w.bytes), static_cast<U>(w.appended),
                 static_cast<U>(w.replayed), static_cast<U>(w.dropped), w.needs_resync ? 1 : 0);
        value += line;
      }
      if (resync::ReplicaResync::Stats r; resync_ != nullptr && resync_->StatsFor(t.address, &r)) {
        snprintf(line, sizeof(line),
                 " resync=%s resync_restarts=%llu resync_flushes=%llu resyncs=%llu "
                 "resync_failures=%llu resync_fallbacks=%llu resync_keys=%llu resync_existed=%llu "
                 "resync_bytes=%llu",
                 r.phase, static_cast<U>(r.restarts), static_cast<U>(r.flushes),
                 static_cast<U>(r.resyncs), static_cast<U>(r.failures), static_cast<U>(r.fallbacks),
                 static_cast<U>(r.keys), static_cast<U>(r.existed), static_cast<U>(r.bytes));
        value += line;
      }
      add(t.address, std::move(value));
    }
    return true;
  }
  if (!args.empty()) return false;
  auto sum = [this](Counter WorkerStats::*field) {
    uint64_t v = 0;
    for (auto& w : workers_) v += (w->stats().*field).Get();
    return v;
  };
  time_t now = time(nullptr);
  add("pid", Str(static_cast<uint64_t>(getpid())));
  add("uptime", Str(static_cast<uint64_t>(now - start_time_s_)));
  add("time", Str(static_cast<uint64_t>(now)));
  add("version", std::string(kRouterVersion));
  add("threads", Str(workers_.size()));
  add("curr_connections", Str(sum(&WorkerStats::curr_connections)));
  add("total_connections", Str(sum(&WorkerStats::total_connections)));
  add("rejected_connections", Str(sum(&WorkerStats::rejected_connections)));
  add("cmd_get", Str(sum(&WorkerStats::cmd_get)));
  add("cmd_set", Str(sum(&WorkerStats::cmd_set)));
  add("cmd_flush", Str(sum(&WorkerStats::cmd_flush)));
  add("cmd_touch", Str(sum(&WorkerStats::cmd_touch)));
  add("get_hits", Str(sum(&WorkerStats::get_hits)));
  add("get_misses", Str(sum(&WorkerStats::get_misses)));
  add("delete_misses", Str(sum(&WorkerStats::delete_misses)));
  add("delete_hits", Str(sum(&WorkerStats::delete_hits)));
  add("incr_misses", Str(sum(&WorkerStats::incr_misses)));
  add("incr_hits", Str(sum(&WorkerStats::incr_hits)));
  add("decr_misses", Str(sum(&WorkerStats::decr_misses)));
  add("decr_hits", Str(sum(&WorkerStats::decr_hits)));
  add("cas_misses", Str(sum(&WorkerStats::cas_misses)));
  add("cas_hits", Str(sum(&WorkerStats::cas_hits)));
  add("cas_badval", Str(sum(&WorkerStats::cas_badval)));
  add("touch_hits", Str(sum(&WorkerStats::touch_hits)));
  add("touch_misses", Str(sum(&WorkerStats::touch_misses)));
  add("bytes_read", Str(sum(&WorkerStats::bytes_read)));
  add("bytes_written", Str(sum(&WorkerStats::bytes_written)));
  add("requests_in_flight", Str(sum(&WorkerStats::requests_in_flight)));
  std::shared_ptr<const RouteTree> t = tree();
  add("num_pools", Str(t->pools().size()));
  add("num_servers", Str(t->servers().size()));
  add("config_reloads", Str(reloads_.load()));
  add("config_reload_failures", Str(reload_failures_.load()));
  add("config_last_reload_time", Str(static_cast<uint64_t>(last_reload_time_.load())));
  add("config_md5", t->md5().empty() ? "-" : t->md5());
  for (int code = 0; code <= static_cast<int>(ResultCode::kTko); ++code) {
    uint64_t v = 0;
    for (auto& w : workers_) {
      v += w->stats().results_by_code[static_cast<size_t>(code)].Get();
    }
    add(std::string("result_") +
            std::string(protocol::ResultCodeName(static_cast<ResultCode>(code))),
        Str(v));
  }
  return true;
}

}  // namespace memfleet::router
