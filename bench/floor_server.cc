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
//   floor_server -l 127.0.0.1 -p 11311
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int port = 11211;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "-l" && has_value) {
      host = argv[++i];
    } else if (a == "-p" && has_value) {
      port = std::atoi(argv[++i]);
    } else if ((a == "-t" || a == "-m" || a == "-U" || a == "-u" || a == "-c") && has_value) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: floor_server [-l ADDR] [-p PORT]\n");
      return 2;
    }
  }
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
  while (!g_stop) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 500);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
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
      if (!ok) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        ::close(c->fd);
        delete c;
      }
    }
  }
  return 0;
}
