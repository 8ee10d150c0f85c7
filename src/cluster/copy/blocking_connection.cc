#include "cluster/copy/blocking_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "net/connector.h"

namespace memfleet::cluster {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits until fd is ready for `events` or the deadline passes: 1 ready, 0 timeout, -1 error.
int WaitFor(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    return n == 0 ? 0 : 1;
  }
}

// A non-blocking connect to one sockaddr, finished within the deadline. Returns the fd or -1
// with errno set.
int ConnectOne(const sockaddr* sa, socklen_t len, int family, int64_t deadline_ms) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, sa, len) != 0) {
    if (errno != EINPROGRESS) {
      const int e = errno;
      ::close(fd);
      errno = e;
      return -1;
    }
    const int ready = WaitFor(fd, POLLOUT, deadline_ms);
    int err = 0;
    socklen_t elen = sizeof(err);
    if (ready <= 0) {
      err = ready == 0 ? ETIMEDOUT : errno;
    } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
      err = errno;
    }
    if (err != 0) {
      ::close(fd);
      errno = err;
      return -1;
    }
  }
  if (family != AF_UNIX) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<BlockingConnection>> BlockingConnection::Connect(std::string_view address,
                                                                        int timeout_ms) {
  auto parsed = net::ParseConnectAddress(address);
  if (!parsed.ok()) return parsed.status();
  const int64_t deadline = NowMs() + (timeout_ms > 0 ? timeout_ms : 1000);
  int fd = -1;
  int err = 0;
  if (parsed->unix_socket) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (parsed->path.size() >= sizeof(sun.sun_path)) {
      return Status::InvalidArgument(std::string(address) + ": unix path too long");
    }
    memcpy(sun.sun_path, parsed->path.data(), parsed->path.size());
    fd = ConnectOne(reinterpret_cast<const sockaddr*>(&sun), sizeof(sun), AF_UNIX, deadline);
    err = fd < 0 ? errno : 0;
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(parsed->port);
    if (::getaddrinfo(parsed->host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
      return Status::IoError(std::string(address) + ": host does not resolve");
    }
    for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
      fd = ConnectOne(ai->ai_addr, ai->ai_addrlen, ai->ai_family, deadline);
      if (fd < 0) err = errno;
    }
    ::freeaddrinfo(res);
  }
  if (fd < 0) {
    return Status::IoError(std::string(address) + ": connect: " + std::strerror(err));
  }
  return std::unique_ptr<BlockingConnection>(
      new BlockingConnection(fd, std::string(address), timeout_ms > 0 ? timeout_ms : 1000));
}

BlockingConnection::~BlockingConnection() {
  if (fd_ >= 0) ::close(fd_);
}

Status BlockingConnection::Error(std::string_view what, int err) const {
  return Status::IoError(address_ + ": " + std::string(what) +
                         (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
}

Status BlockingConnection::SendAll(std::string_view bytes) {
  const int64_t deadline = NowMs() + timeout_ms_;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int ready = WaitFor(fd_, POLLOUT, deadline);
      if (ready == 0) return Error("send timed out", 0);
      if (ready < 0) return Error("poll", errno);
      continue;
    }
    return Error("send", errno);
  }
  return Status::Ok();
}

Status BlockingConnection::ReadMore() {
  if (start_ > 0 && start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  } else if (start_ > kReadChunk && start_ * 2 > buf_.size()) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  const int64_t deadline = NowMs() + timeout_ms_;
  const size_t old = buf_.size();
  buf_.resize(old + kReadChunk);
  for (;;) {
    const ssize_t n = ::recv(fd_, buf_.data() + old, kReadChunk, 0);
    if (n > 0) {
      buf_.resize(old + static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) {
      buf_.resize(old);
      return Error("closed by the server", 0);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int ready = WaitFor(fd_, POLLIN, deadline);
      if (ready > 0) continue;
      buf_.resize(old);
      return ready == 0 ? Error("read timed out", 0) : Error("poll", errno);
    }
    const int e = errno;
    buf_.resize(old);
    return Error("recv", e);
  }
}

void BlockingConnection::Consume(size_t n) {
  start_ += n;
  if (start_ > buf_.size()) start_ = buf_.size();
}

}  // namespace memfleet::cluster
