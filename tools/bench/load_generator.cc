#include "load_generator.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "value_pattern.h"
#include "wire.h"
#include "zipf.h"

namespace memfleet::bench {
namespace {

enum Phase : int { kConnect, kPrefill, kWarmup, kMeasure, kStop };

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double ProcessCpuSelf() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct InFlight {
  int64_t start_ns = 0;  // actual send time (closed loop) or scheduled time (open loop)
  uint64_t key = 0;      // single-key requests
  uint32_t nkeys = 1;
  protocol::Op op = protocol::Op::kGet;  // what its reply is parsed for
};

// A fixed-capacity FIFO; capacity is a power of two.
template <typename T>
class Ring {
 public:
  explicit Ring(size_t min_capacity) {
    size_t cap = 1;
    while (cap < min_capacity) cap <<= 1;
    items_.resize(cap);
    mask_ = cap - 1;
  }
  size_t size() const { return tail_ - head_; }
  bool empty() const { return head_ == tail_; }
  bool full() const { return size() == items_.size(); }
  T& front() { return items_[head_ & mask_]; }
  void pop() { ++head_; }
  T& push() { return items_[tail_++ & mask_]; }

 private:
  std::vector<T> items_;
  size_t mask_ = 0;
  size_t head_ = 0;
  size_t tail_ = 0;
};

struct ThreadStats {
  uint64_t requests = 0, get_keys = 0, hits = 0, misses = 0, sets = 0, set_failed = 0;
  uint64_t errors = 0, verified = 0, verify_failures = 0, connection_errors = 0;
  std::string first_error;
  LatencyHistogram latency;
};

struct Shared {
  const BenchOptions* opts = nullptr;
  const KeySpace* keys = nullptr;
  const ValuePattern* values = nullptr;
  std::optional<ZipfGenerator> zipf;
  std::atomic<int> phase{kConnect};
  std::atomic<int> connected{0};
  std::atomic<int> connect_failed{0};
  std::atomic<int> prefilled{0};
  std::atomic<int> finished{0};  // threads done with their --requests share
};

class Worker {
 public:
  Worker(Shared* shared, int index)
      : sh_(*shared),
        o_(*shared->opts),
        index_(index),
        composer_(o_.protocol, shared->keys, shared->values),
        reader_(o_.protocol),
        get_keys_(static_cast<size_t>(o_.multiget)) {}
  void Run();
  ThreadStats& stats() { return stats_; }
  // Requests completed during warm-up (read by the main thread).
  uint64_t warmed() const { return warmed_.load(std::memory_order_relaxed); }

 private:
  struct Conn {
    int fd = -1;
    std::string out;  // composed, not yet sent from out_off on; capacity reserved at connect
    size_t out_off = 0;
    std::vector<char> in;
    size_t in_start = 0, in_end = 0;
    std::unique_ptr<Ring<InFlight>> queue;
    std::unique_ptr<Ring<uint64_t>> misses;  // cache-aside: keys to set next
    uint32_t values_seen = 0;                // VALUEs of the current get so far
    int64_t next_send_ns = 0;
    bool want_out = false;
    bool dead = false;
  };

  bool Connect();
  uint64_t NextKey();
  // Composes requests while there is room; then writes.
  void Fill(Conn& c, int phase, int64_t now);
  void ComposeSet(Conn& c, uint64_t key, InFlight& f);
  void ComposeGet(Conn& c, uint64_t key, InFlight& f);
  void Flush(Conn& c);
  void OnReadable(Conn& c, int phase);
  void Consume(Conn& c, int phase, int64_t now);
  // Counts a hit on `f` (text: `key` is the VALUE's key) and verifies its value.
  void OnHit(const InFlight& f, std::string_view key, std::string_view value, bool measuring);
  void Fail(Conn& c, const std::string& why);
  void NoteError(std::string_view line);

  Shared& sh_;
  const BenchOptions& o_;
  int index_;
  RequestComposer composer_;
  ReplyReader reader_;
  std::vector<uint64_t> get_keys_;  // the keys of the get being composed
  int epfd_ = -1;
  std::vector<Conn> conns_;
  ThreadStats stats_;
  std::unique_ptr<Random> rng_;
  uint64_t prefill_next_ = 0, prefill_end_ = 0;
  uint64_t measured_target_ = 0;
  std::atomic<uint64_t> warmed_{0};  // single writer: this worker
  bool done_ = false;                // --requests share reached
  int64_t interval_ns_ = 0;
  char keybuf_[256];
};

bool Worker::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(o_.port);
  if (getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    stats_.first_error = "cannot resolve " + o_.host;
    return false;
  }
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  const size_t max_req_keys = static_cast<size_t>(o_.multiget) * (o_.key_size + 1) + 16;
  const size_t max_req_set = o_.key_size + o_.value_max + 48;
  const size_t max_req = std::max(max_req_keys, max_req_set);
  const int depth = std::max(o_.depth, o_.prefill ? o_.prefill_depth : 1);
  const size_t max_reply =
      static_cast<size_t>(o_.multiget) * (o_.key_size + o_.value_max + 64) + 64;
  conns_.resize(static_cast<size_t>(o_.conns));
  for (auto& c : conns_) {
    c.fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0 || connect(c.fd, res->ai_addr, res->ai_addrlen) != 0) {
      stats_.first_error = std::string("connect: ") + std::strerror(errno);
      freeaddrinfo(res);
      return false;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.out.reserve(static_cast<size_t>(depth + 1) * max_req + 4096);
    c.in.resize(std::max<size_t>(256 * 1024, 2 * static_cast<size_t>(depth) * max_reply));
    c.queue = std::make_unique<Ring<InFlight>>(static_cast<size_t>(depth));
    c.misses = std::make_unique<Ring<uint64_t>>(static_cast<size_t>(depth) * 2);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev);
  }
  freeaddrinfo(res);
  return true;
}

uint64_t Worker::NextKey() {
  if (sh_.zipf) return sh_.zipf->Next(*rng_) - 1;
  return rng_->Below(o_.keys);
}

void Worker::ComposeSet(Conn& c, uint64_t key, InFlight& f) {
  size_t len = o_.value_min;
  if (o_.value_max > o_.value_min) len += rng_->Below(o_.value_max - o_.value_min + 1);
  f.op = composer_.AppendSet(key, len, &c.out);
  f.key = key;
  f.nkeys = 1;
}

void Worker::ComposeGet(Conn& c, uint64_t key, InFlight& f) {
  get_keys_[0] = key;
  for (size_t i = 1; i < get_keys_.size(); ++i) get_keys_[i] = NextKey();
  f.op = composer_.AppendGet(get_keys_, &c.out);
  f.key = key;
  f.nkeys = static_cast<uint32_t>(get_keys_.size());
}

void Worker::Fill(Conn& c, int phase, int64_t now) {
  if (c.dead) return;
  const bool prefill = phase == kPrefill;
  const size_t depth = static_cast<size_t>(prefill ? o_.prefill_depth : o_.depth);
  const bool paced = interval_ns_ > 0 && !prefill;
  if (phase == kConnect || phase == kStop || (done_ && !prefill)) return;
  // The phase can turn to warm-up or measurement while the loop waits, before the loop's
  // phase-change step spreads the connections' first send times: start pacing from now then,
  // not from time zero (which would count as a latency of the whole uptime).
  if (paced && c.next_send_ns == 0) c.next_send_ns = now;
  const size_t max_req = std::max(static_cast<size_t>(o_.multiget) * (o_.key_size + 1) + 16,
                                  o_.key_size + o_.value_max + 48);
  while (c.queue->size() < depth) {
    if (paced && now < c.next_send_ns) break;
    if (prefill && prefill_next_ >= prefill_end_) break;
    if (c.out.size() + max_req > c.out.capacity()) {
      // Compose only into reserved room: the buffer never grows on the data path.
      if (c.out_off == 0) break;
      c.out.erase(0, c.out_off);
      c.out_off = 0;
    }
    InFlight& f = c.queue->push();
    f.start_ns = paced ? c.next_send_ns : now;
    if (paced) c.next_send_ns += interval_ns_;
    if (prefill) {
      ComposeSet(c, prefill_next_++, f);
    } else if (!c.misses->empty()) {
      ComposeSet(c, c.misses->front(), f);
      c.misses->pop();
    } else if (rng_->Below(o_.set_ratio + o_.get_ratio) < o_.set_ratio) {
      ComposeSet(c, NextKey(), f);
    } else {
      ComposeGet(c, NextKey(), f);
    }
  }
  Flush(c);
}

void Worker::Flush(Conn& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c.want_out) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = &c;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
        c.want_out = true;
      }
      return;
    }
    Fail(c, std::string("send: ") + std::strerror(errno));
    return;
  }
  c.out_off = 0;
  c.out.clear();
  if (c.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = false;
  }
}

void Worker::Fail(Conn& c, const std::string& why) {
  if (c.dead) return;
  c.dead = true;
  ++stats_.connection_errors;
  if (stats_.first_error.empty()) stats_.first_error = why;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.fd = -1;
}

void Worker::NoteError(std::string_view line) {
  ++stats_.errors;
  if (stats_.first_error.empty()) stats_.first_error = std::string(line);
}

void Worker::OnReadable(Conn& c, int phase) {
  for (;;) {
    if (c.in_end == c.in.size()) {
      if (c.in_start > 0) {
        std::memmove(c.in.data(), c.in.data() + c.in_start, c.in_end - c.in_start);
        c.in_end -= c.in_start;
        c.in_start = 0;
      } else {
        c.in.resize(c.in.size() * 2);  // one element larger than the buffer: rare
      }
    }
    const ssize_t n = ::recv(c.fd, c.in.data() + c.in_end, c.in.size() - c.in_end, 0);
    if (n > 0) {
      c.in_end += static_cast<size_t>(n);
      if (c.in_end < c.in.size()) break;  // short read: the socket is drained
      continue;
    }
    if (n == 0) {
      Fail(c, "server closed the connection");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    Fail(c, std::string("recv: ") + std::strerror(errno));
    return;
  }
  Consume(c, phase, NowNs());
}

void Worker::OnHit(const InFlight& f, std::string_view key, std::string_view value,
                   bool measuring) {
  if (measuring) ++stats_.hits;
  if (!o_.verify) return;
  ++stats_.verified;
  sh_.keys->Format(f.key, keybuf_);
  const std::string_view asked(keybuf_, o_.key_size);
  // A meta hit names no key: it is the one asked. A text VALUE names its key, which must be the
  // one asked when there was only one.
  bool ok;
  if (key.empty()) {
    ok = sh_.values->Verify(asked, value);
    key = asked;
  } else {
    ok = sh_.values->Verify(key, value) && (f.nkeys > 1 || key == asked);
  }
  if (!ok && ++stats_.verify_failures == 1 && stats_.first_error.empty()) {
    stats_.first_error = "verification failed for key " + std::string(key);
  }
}

void Worker::Consume(Conn& c, int phase, int64_t now) {
  using protocol::Op;
  const bool measuring = phase == kMeasure && !done_;
  const bool meta = o_.protocol == Protocol::kMeta;
  for (;;) {
    const std::string_view buf(c.in.data() + c.in_start, c.in_end - c.in_start);
    if (buf.empty()) break;
    if (c.queue->empty()) {
      Fail(c, "unexpected reply: " + std::string(FirstLine(buf)));
      return;
    }
    InFlight& f = c.queue->front();
    const Reply r = reader_.Read(f.op, buf);
    if (r.kind == ReplyKind::kIncomplete) break;
    if (r.kind == ReplyKind::kMalformed) {
      Fail(c, std::string(f.op == Op::kSet ? "unexpected reply to a set: " : "unexpected reply: ") +
                  std::string(FirstLine(buf)));
      return;
    }
    c.in_start += r.consumed;
    bool done = true;
    if (r.kind == ReplyKind::kError) {
      NoteError(r.message);
      if (f.op == Op::kGet && meta && measuring) ++stats_.get_keys;
      c.values_seen = 0;
    } else if (f.op == Op::kGet) {
      switch (r.kind) {
        case ReplyKind::kValue:
          OnHit(f, r.key, r.value, measuring);
          if (meta) {
            if (measuring) ++stats_.get_keys;
          } else {
            done = false;  // a text get ends with END
            ++c.values_seen;
          }
          break;
        case ReplyKind::kEnd: {
          const uint32_t missed = f.nkeys > c.values_seen ? f.nkeys - c.values_seen : 0;
          if (measuring) {
            stats_.misses += missed;
            stats_.get_keys += f.nkeys;
          }
          if (missed > 0 && o_.cache_aside && !c.misses->full()) c.misses->push() = f.key;
          c.values_seen = 0;
          break;
        }
        default:  // kMiss: ReplyReader gives no other kind for a get
          if (measuring) {
            ++stats_.misses;
            ++stats_.get_keys;
          }
          if (o_.cache_aside && !c.misses->full()) c.misses->push() = f.key;
          break;
      }
    } else if (r.kind == ReplyKind::kStored) {
      if (measuring) ++stats_.sets;
    } else if (measuring) {  // kNotStored: ReplyReader gives no other kind for a set
      ++stats_.set_failed;
    }
    if (!done) continue;
    if (phase == kWarmup) {
      warmed_.store(warmed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    if (measuring) {
      ++stats_.requests;
      stats_.latency.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - f.start_ns)));
      if (measured_target_ > 0 && stats_.requests >= measured_target_ && !done_) {
        done_ = true;
        sh_.finished.fetch_add(1);
      }
    }
    c.queue->pop();
  }
  if (c.in_start == c.in_end) c.in_start = c.in_end = 0;
}

void Worker::Run() {
  rng_ = std::make_unique<Random>(o_.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(index_));
  if (!Connect()) {
    sh_.connect_failed.fetch_add(1);
    return;
  }
  sh_.connected.fetch_add(1);
  const uint64_t per = o_.keys / static_cast<uint64_t>(o_.threads);
  prefill_next_ = per * static_cast<uint64_t>(index_);
  prefill_end_ = index_ == o_.threads - 1 ? o_.keys : prefill_next_ + per;
  if (o_.requests > 0) {
    measured_target_ = o_.requests / static_cast<uint64_t>(o_.threads);
    if (measured_target_ == 0) measured_target_ = 1;
  }
  const int total_conns = o_.threads * o_.conns;
  if (o_.rate > 0) interval_ns_ = static_cast<int64_t>(1e9 * total_conns / o_.rate);
  if (interval_ns_ == 0 && o_.rate > 0) interval_ns_ = 1;

  std::vector<epoll_event> events(conns_.size() + 1);
  int last_phase = kConnect;
  bool prefill_reported = false;
  for (;;) {
    const int phase = sh_.phase.load(std::memory_order_acquire);
    if (phase == kStop) break;
    if (phase != last_phase) {
      const int64_t now = NowNs();
      if ((phase == kWarmup || phase == kMeasure) && last_phase != kWarmup) {
        for (size_t i = 0; i < conns_.size(); ++i) {
          conns_[i].next_send_ns =
              now + interval_ns_ * static_cast<int64_t>(i) / static_cast<int64_t>(conns_.size());
        }
      }
      last_phase = phase;
      for (auto& c : conns_) Fill(c, phase, now);
    }
    if (phase == kPrefill && !prefill_reported && prefill_next_ >= prefill_end_) {
      bool idle = true;
      for (auto& c : conns_) idle = idle && (c.dead || c.queue->empty());
      if (idle) {
        prefill_reported = true;
        sh_.prefilled.fetch_add(1);
      }
    }
    int64_t timeout_ns = 20'000'000;
    if (interval_ns_ > 0 && (phase == kWarmup || phase == kMeasure)) {
      const int64_t now = NowNs();
      for (auto& c : conns_) {
        if (!c.dead && c.queue->size() < static_cast<size_t>(o_.depth)) {
          timeout_ns = std::min(timeout_ns, std::max<int64_t>(0, c.next_send_ns - now));
        }
      }
    }
    timespec ts{static_cast<time_t>(timeout_ns / 1000000000),
                static_cast<long>(timeout_ns % 1000000000)};
    const int n = epoll_pwait2(epfd_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
    const int now_phase = sh_.phase.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(events[static_cast<size_t>(i)].data.ptr);
      if (c.dead) continue;
      if (events[static_cast<size_t>(i)].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        OnReadable(c, now_phase);
      }
      if (c.dead) continue;
      if (interval_ns_ == 0 || now_phase == kPrefill) {
        Fill(c, now_phase, NowNs());
      } else if (c.want_out) {
        Flush(c);
      }
    }
    if (interval_ns_ > 0 && (now_phase == kWarmup || now_phase == kMeasure)) {
      const int64_t now = NowNs();
      for (auto& c : conns_) Fill(c, now_phase, now);
    }
  }
  for (auto& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
  close(epfd_);
}

void SleepUntil(std::chrono::steady_clock::time_point t, const Shared& sh, int workers,
                bool stop_on_finished) {
  while (std::chrono::steady_clock::now() < t) {
    if (stop_on_finished && sh.finished.load() >= workers) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

bool ReadProcessCpu(int pid, double* user_s, double* sys_s) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  // After ") " come field 3 (state) onwards; utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2) {
    return false;
  }
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  *user_s = static_cast<double>(utime) / hz;
  *sys_s = static_cast<double>(stime) / hz;
  return true;
}

int64_t ReadProcessRssKb(int pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", pid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return -1;
  char line[256];
  int64_t kb = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    long long v = 0;
    if (std::sscanf(line, "VmRSS: %lld kB", &v) == 1) {
      kb = v;
      break;
    }
  }
  std::fclose(f);
  return kb;
}

bool RunLoad(const BenchOptions& o, BenchResult* r) {
  using Clock = std::chrono::steady_clock;
  auto secs = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const Clock::time_point hard_deadline = Clock::now() + secs(o.max_seconds);
  KeySpace keys(o.keys, o.key_size);
  ValuePattern values(o.value_max);
  Shared sh;
  sh.opts = &o;
  sh.keys = &keys;
  sh.values = &values;
  if (o.zipf) sh.zipf.emplace(o.keys, o.zipf_s);

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) workers.push_back(std::make_unique<Worker>(&sh, i));
  for (int i = 0; i < o.threads; ++i)
    threads.emplace_back([w = workers[static_cast<size_t>(i)].get()] { w->Run(); });

  auto finish = [&](bool ok) {
    sh.phase.store(kStop, std::memory_order_release);
    for (auto& t : threads) t.join();
    for (auto& w : workers) {
      ThreadStats& s = w->stats();
      r->requests += s.requests;
      r->get_keys += s.get_keys;
      r->hits += s.hits;
      r->misses += s.misses;
      r->sets += s.sets;
      r->set_failed += s.set_failed;
      r->errors += s.errors;
      r->verified += s.verified;
      r->verify_failures += s.verify_failures;
      r->connection_errors += s.connection_errors;
      r->latency.Add(s.latency);
      if (r->first_error.empty() && !s.first_error.empty()) r->first_error = s.first_error;
    }
    return ok;
  };

  while (sh.connected.load() + sh.connect_failed.load() < o.threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (sh.connect_failed.load() > 0) return finish(false);
  const int pid = o.server_pid;
  if (pid > 0) r->server_rss_start_kb = ReadProcessRssKb(pid);

  if (o.prefill) {
    const auto t0 = Clock::now();
    sh.phase.store(kPrefill, std::memory_order_release);
    while (sh.prefilled.load() < o.threads && Clock::now() < hard_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r->prefill_s = std::chrono::duration<double>(Clock::now() - t0).count();
    r->prefill_keys = o.keys;
    if (pid > 0) r->server_rss_prefill_kb = ReadProcessRssKb(pid);
    if (sh.prefilled.load() < o.threads) {
      r->first_error = "prefill did not finish before --max-seconds";
      return finish(false);
    }
    if (o.prefill_only) {
      if (pid > 0) r->server_rss_end_kb = r->server_rss_prefill_kb;
      return finish(true);
    }
  }

  sh.phase.store(kWarmup, std::memory_order_release);
  if (o.warmup_requests > 0) {
    // A fixed amount of work rather than time, so that a slower server is warmed as much (a hit
    // ratio depends on how many requests filled the cache).
    for (;;) {
      uint64_t warmed = 0;
      for (auto& w : workers) warmed += w->warmed();
      if (warmed >= o.warmup_requests || Clock::now() >= hard_deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } else {
    SleepUntil(std::min(hard_deadline, Clock::now() + secs(o.warmup_s)), sh, o.threads, false);
  }

  double u0 = 0, s0 = 0;
  const bool have_cpu = pid > 0 && ReadProcessCpu(pid, &u0, &s0);
  const double c0 = ProcessCpuSelf();
  const auto m0 = Clock::now();
  sh.phase.store(kMeasure, std::memory_order_release);
  if (o.requests > 0) {
    SleepUntil(hard_deadline, sh, o.threads, true);
  } else {
    SleepUntil(std::min(hard_deadline, m0 + secs(o.duration_s)), sh, o.threads, false);
  }
  sh.phase.store(kStop, std::memory_order_release);
  const auto m1 = Clock::now();
  double u1 = 0, s1 = 0;
  if (have_cpu && ReadProcessCpu(pid, &u1, &s1)) {
    r->server_user_s = u1 - u0;
    r->server_sys_s = s1 - s0;
    r->server_cpu_s = r->server_user_s + r->server_sys_s;
  }
  r->client_cpu_s = ProcessCpuSelf() - c0;
  r->measured_s = std::chrono::duration<double>(m1 - m0).count();
  if (pid > 0) r->server_rss_end_kb = ReadProcessRssKb(pid);
  return finish(true);
}

}  // namespace memfleet::bench
