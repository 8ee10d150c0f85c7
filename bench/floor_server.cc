// floor_server: the least a memcached-protocol server can do per request, to measure the floor
// that the kernel sets under memfleetd and memcached (docs/benchmarks.md, "W1 and W4: the kernel
// floor").
//
// One thread, one epoll loop, level-triggered, and per readable connection exactly what both real
// servers do: one read() into a 16 KiB buffer, every complete request answered into one output
// buffer, one send(). It stores nothing: `get`/`mg` answer a hit whose value is the size of the
// last `set`/`ms` seen (100 bytes until then) and `set`/`ms` only skip their data block. Run the
// generator with --no-verify against it. Also answers `version`, so that bench/compare can start
// it like a server; it accepts and ignores memcached's -t -m -U -u -c options.
//
// With --uring (when built with liburing) the reads and the sends of one epoll batch each go to
// the kernel as one io_uring submission instead of one system call per connection: the floor
// with the system-call overhead batched away, the TCP work left as it is.
//
//   floor_server -l 127.0.0.1 -p 11311 [--uring]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef FLOOR_HAVE_LIBURING
#include <liburing.h>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t kReadSize = 16 * 1024;

struct Conn {
  int fd = -1;
  std::string in;         // unconsumed input
  std::string out;        // unsent output
  size_t skip = 0;        // data-block bytes still to skip (a set whose block is not all here)
  bool want_out = false;  // EPOLLOUT registered
  bool dead = false;      // read end or error: close after the batch
};

std::string g_value(100, 'x');
volatile sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

// Appends the reply to one request line (without its "\r\n"); returns the data-block length
// that follows it (set/ms), or 0.
size_t Answer(std::string_view line, std::string& out) {
  auto next_token = [&line]() {
    size_t b = line.find_first_not_of(' ');
    if (b == std::string_view::npos) {
      line = {};
      return std::string_view{};
    }
    line.remove_prefix(b);
    size_t e = line.find(' ');
    std::string_view tok = line.substr(0, e);
    line.remove_prefix(e == std::string_view::npos ? line.size() : e);
    return tok;
  };
  std::string_view cmd = next_token();
  if (cmd == "get" || cmd == "gets") {
    for (std::string_view key = next_token(); !key.empty(); key = next_token()) {
      out.append("VALUE ").append(key).append(" 0 ").append(std::to_string(g_value.size()));
      out.append("\r\n").append(g_value).append("\r\n");
    }
    out.append("END\r\n");
    return 0;
  }
  if (cmd == "set" || cmd == "add" || cmd == "replace") {
    next_token();  // key
    next_token();  // flags
    next_token();  // exptime
    size_t len = std::strtoul(std::string(next_token()).c_str(), nullptr, 10);
    if (g_value.size() != len) g_value.assign(len, 'x');
    out.append("STORED\r\n");
    return len + 2;
  }
  if (cmd == "mg") {
    out.append("VA ").append(std::to_string(g_value.size())).append("\r\n");
    out.append(g_value).append("\r\n");
    return 0;
  }
  if (cmd == "ms") {
    next_token();  // key
    size_t len = std::strtoul(std::string(next_token()).c_str(), nullptr, 10);
    if (g_value.size() != len) g_value.assign(len, 'x');
    out.append("HD\r\n");
    return len + 2;
  }
  if (cmd == "version") {
    out.append("VERSION floor\r\n");
    return 0;
  }
  out.append("ERROR\r\n");
  return 0;
}

// Answers every complete request in c.in; leaves a partial one there.
void Process(Conn& c) {
  size_t pos = 0;
  while (pos < c.in.size()) {
    if (c.skip > 0) {
      size_t n = std::min(c.skip, c.in.size() - pos);
      pos += n;
      c.skip -= n;
      continue;
    }
    size_t eol = c.in.find("\r\n", pos);
    if (eol == std::string::npos) break;
    c.skip = Answer(std::string_view(c.in).substr(pos, eol - pos), c.out);
    pos = eol + 2;
  }
  c.in.erase(0, pos);
}

bool Flush(int ep, Conn& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return false;
      break;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  bool want = !c.out.empty();
  if (want != c.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = want;
  }
  return true;
}

}  // namespace

#ifdef FLOOR_HAVE_LIBURING
// Reads every connection of the batch with one submission, answers, then sends every reply with
// one submission; a short or failed send falls back to Flush().
void ServeBatchUring(io_uring& ring, int ep, std::vector<Conn*>& conns, std::vector<char>& bufs) {
  if (bufs.size() < conns.size() * kReadSize) bufs.resize(conns.size() * kReadSize);
  for (size_t i = 0; i < conns.size(); ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv(sqe, conns[i]->fd, bufs.data() + i * kReadSize, kReadSize, MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, i);
  }
  io_uring_submit_and_wait(&ring, static_cast<unsigned>(conns.size()));
  std::vector<int> res(conns.size(), -EAGAIN);
  for (size_t got = 0; got < conns.size(); ++got) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring, &cqe) != 0) break;
    res[io_uring_cqe_get_data64(cqe)] = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
  }
  size_t sends = 0;
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn& c = *conns[i];
    if (res[i] > 0) {
      c.in.append(bufs.data() + i * kReadSize, static_cast<size_t>(res[i]));
      Process(c);
    } else if (res[i] != -EAGAIN) {
      c.dead = true;
      continue;
    }
    if (c.out.empty() || c.want_out) continue;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_send(sqe, c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, i);
    ++sends;
  }
  if (sends > 0) io_uring_submit_and_wait(&ring, static_cast<unsigned>(sends));
  for (size_t got = 0; got < sends; ++got) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring, &cqe) != 0) break;
    Conn& c = *conns[io_uring_cqe_get_data64(cqe)];
    if (cqe->res > 0) c.out.erase(0, static_cast<size_t>(cqe->res));
    io_uring_cqe_seen(&ring, cqe);
  }
  for (Conn* c : conns) {
    if (!c->dead && !Flush(ep, *c)) c->dead = true;
  }
}
#endif

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 11211;
  bool uring = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "-l" && has_value) {
      host = argv[++i];
    } else if (a == "-p" && has_value) {
      port = std::atoi(argv[++i]);
    } else if (a == "--uring") {
#ifndef FLOOR_HAVE_LIBURING
      std::fprintf(stderr, "floor_server: built without liburing\n");
      return 2;
#endif
      uring = true;
    } else if ((a == "-t" || a == "-m" || a == "-U" || a == "-u" || a == "-c") && has_value) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: floor_server [-l ADDR] [-p PORT] [--uring]\n");
      return 2;
    }
  }
  (void)uring;  // used only with liburing
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(lfd, 1024) != 0) {
    std::perror("floor_server: listen");
    return 1;
  }
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.ptr = nullptr;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);

  std::vector<epoll_event> events(256);
  std::unique_ptr<char[]> buf(new char[kReadSize]);
#ifdef FLOOR_HAVE_LIBURING
  io_uring ring;
  if (uring && io_uring_queue_init(512, &ring, 0) != 0) {
    std::perror("floor_server: io_uring_queue_init");
    return 1;
  }
  std::vector<Conn*> batch;
  std::vector<char> bufs;
#endif
  auto close_conn = [ep](Conn* c) {
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    delete c;
  };
  while (!g_stop) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 500);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
#ifdef FLOOR_HAVE_LIBURING
      if (uring && c != nullptr) {
        batch.push_back(c);
        continue;
      }
#endif
      if (c == nullptr) {
        for (;;) {
          int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          auto* nc = new Conn;
          nc->fd = fd;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = nc;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      bool ok = true;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r = ::read(c->fd, buf.get(), kReadSize);
        if (r > 0) {
          c->in.append(buf.get(), static_cast<size_t>(r));
          Process(*c);
        } else if (r == 0 || errno != EAGAIN) {
          ok = false;
        }
      }
      if (ok) ok = Flush(ep, *c);
      if (!ok) close_conn(c);
    }
#ifdef FLOOR_HAVE_LIBURING
    if (!batch.empty()) {
      ServeBatchUring(ring, ep, batch, bufs);
      for (Conn* c : batch) {
        if (c->dead) close_conn(c);
      }
      batch.clear();
    }
#endif
  }
  return 0;
}
