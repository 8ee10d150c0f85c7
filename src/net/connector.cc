#include "net/connector.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "net/socket.h"

namespace memfleet::net {
namespace {

struct SockAddr {
  sockaddr_storage storage;
  socklen_t len;
};

bool ParsePort(std::string_view s, int* port) {
  if (s.empty() || s.size() > 5) return false;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 65535) return false;
  *port = v;
  return true;
}

}  // namespace

Result<ConnectAddress> ParseConnectAddress(std::string_view spec) {
  ConnectAddress out;
  std::string_view s = spec;
  if (s.starts_with("unix:")) s.remove_prefix(5);
  if (s.starts_with("/") || spec.starts_with("unix:")) {
    if (s.empty() || s.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Status::InvalidArgument("bad unix socket path: " + std::string(spec));
    }
    out.unix_socket = true;
    out.path = std::string(s);
    return out;
  }
  if (s.starts_with("tcp6:")) {
    s.remove_prefix(5);
  } else if (s.starts_with("tcp:")) {
    s.remove_prefix(4);
  }
  std::string_view port;
  if (s.starts_with("[")) {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return Status::InvalidArgument("bad address (want [v6addr]:port): " + std::string(spec));
    }
    out.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) {
      return Status::InvalidArgument("bad address (want host:port): " + std::string(spec));
    }
    out.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (out.host.empty() || !ParsePort(port, &out.port)) {
    return Status::InvalidArgument("bad address (want host:port): " + std::string(spec));
  }
  return out;
}

class Connector::Attempt : public EventLoop::Handler {
 public:
  Attempt(Connector* connector, ConnectId id, Callback callback)
      : connector_(connector), id_(id), callback_(std::move(callback)) {}
  ~Attempt() override {
    if (fd_ >= 0) close(fd_);
  }
  void OnEvent(uint32_t events) override {
    (void)events;
    // A finished or cancelled attempt may still see an event of the batch it ended in.
    if (!done_ && fd_ >= 0) connector_->OnWritable(this);
  }

  Connector* connector_;
  ConnectId id_;
  Callback callback_;
  std::vector<SockAddr> addrs_;
  size_t next_ = 0;
  int fd_ = -1;
  bool watched_ = false;  // fd_ is registered with the loop
  int last_error_ = 0;
  TimerId timeout_ = kNoTimer;
  TimerId delivery_ = kNoTimer;  // the outcome is known and waits to be reported
  bool done_ = false;
  int result_fd_ = -1;
  int result_error_ = 0;
};

Connector::Connector(EventLoop* loop) : loop_(loop) {}

Connector::~Connector() {
  std::vector<ConnectId> ids;
  ids.reserve(attempts_.size());
  for (auto& [id, a] : attempts_) ids.push_back(id);
  for (ConnectId id : ids) Cancel(id);
}

Connector::ConnectId Connector::Connect(std::string_view address, int64_t timeout_ms,
                                        Callback callback) {
  const ConnectId id = next_id_++;
  in_connect_ = true;
  ConnectImpl(id, address, timeout_ms, std::move(callback));
  in_connect_ = false;
  return id;
}

void Connector::ConnectImpl(ConnectId id, std::string_view address, int64_t timeout_ms,
                            Callback callback) {
  auto owned = std::make_shared<Attempt>(this, id, std::move(callback));
  Attempt* a = owned.get();
  attempts_.emplace(id, std::move(owned));
  Result<ConnectAddress> parsed = ParseConnectAddress(address);
  if (!parsed.ok()) {
    Finish(a, -1, EINVAL);
    return;
  }
  const ConnectAddress& addr = parsed.value();
  if (addr.unix_socket) {
    SockAddr sa{};
    auto* sun = reinterpret_cast<sockaddr_un*>(&sa.storage);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, addr.path.data(), addr.path.size());
    sa.len = static_cast<socklen_t>(sizeof(sockaddr_un));
    a->addrs_.push_back(sa);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(addr.port);
    if (getaddrinfo(addr.host.c_str(), port.c_str(), &hints, &res) != 0) {
      Finish(a, -1, EHOSTUNREACH);
      return;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      SockAddr sa{};
      memcpy(&sa.storage, ai->ai_addr, ai->ai_addrlen);
      sa.len = ai->ai_addrlen;
      a->addrs_.push_back(sa);
    }
    freeaddrinfo(res);
  }
  if (timeout_ms > 0) {
    a->timeout_ = loop_->AddTimer(timeout_ms, [this, id] {
      auto it = attempts_.find(id);
      if (it == attempts_.end() || it->second->done_) return;
      it->second->timeout_ = kNoTimer;
      Finish(it->second.get(), -1, ETIMEDOUT);
    });
  }
  TryNext(a);
}

void Connector::TryNext(Attempt* a) {
  while (a->next_ < a->addrs_.size()) {
    const SockAddr& sa = a->addrs_[a->next_++];
    int fd = socket(sa.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      a->last_error_ = errno;
      continue;
    }
    if (sa.storage.ss_family != AF_UNIX) SetTcpNoDelay(fd);
    a->fd_ = fd;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&sa.storage), sa.len) == 0) {
      Finish(a, fd, 0);
      return;
    }
    if (errno == EINPROGRESS) {
      if (loop_->Add(fd, EPOLLOUT, a).ok()) {
        a->watched_ = true;
        return;
      }
    }
    // Refused at once (a unix socket with no listener, or a full unix backlog: EAGAIN), or not
    // watchable: the next address, if any.
    a->last_error_ = errno;
    close(fd);
    a->fd_ = -1;
  }
  Finish(a, -1, a->last_error_ != 0 ? a->last_error_ : EHOSTUNREACH);
}

void Connector::OnWritable(Attempt* a) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(a->fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  loop_->Remove(a->fd_);
  a->watched_ = false;
  if (err == 0) {
    Finish(a, a->fd_, 0);
    return;
  }
  a->last_error_ = err;
  close(a->fd_);
  a->fd_ = -1;
  TryNext(a);
}

void Connector::Finish(Attempt* a, int fd, int error) {
  if (a->watched_) {
    loop_->Remove(a->fd_);
    a->watched_ = false;
  }
  if (a->timeout_ != kNoTimer) {
    loop_->CancelTimer(a->timeout_);
    a->timeout_ = kNoTimer;
  }
  if (fd < 0 && a->fd_ >= 0) close(a->fd_);
  a->fd_ = -1;  // a success's socket now belongs to the result
  a->done_ = true;
  a->result_fd_ = fd;
  a->result_error_ = error;
  const ConnectId id = a->id_;
  if (!in_connect_) {
    Deliver(id);
    return;
  }
  // Inside Connect(): reported from a timer due at once, on the loop's next timer step.
  a->delivery_ = loop_->AddTimer(0, [this, id] { Deliver(id); });
}

void Connector::Deliver(ConnectId id) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return;
  it->second->delivery_ = kNoTimer;
  std::shared_ptr<Attempt> done = Detach(it->second.get());
  Callback callback = std::move(done->callback_);
  const int result_fd = done->result_fd_;
  done->result_fd_ = -1;
  callback(result_fd, done->result_error_);
}

std::shared_ptr<Connector::Attempt> Connector::Detach(Attempt* a) {
  auto it = attempts_.find(a->id_);
  std::shared_ptr<Attempt> owned = std::move(it->second);
  attempts_.erase(it);
  // Freed after the current batch of events, which may still name it.
  loop_->Post([owned] {});
  return owned;
}

bool Connector::Cancel(ConnectId id) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return false;
  Attempt* a = it->second.get();
  if (a->watched_) {
    loop_->Remove(a->fd_);
    a->watched_ = false;
  }
  if (a->timeout_ != kNoTimer) loop_->CancelTimer(a->timeout_);
  if (a->delivery_ != kNoTimer) loop_->CancelTimer(a->delivery_);
  a->timeout_ = a->delivery_ = kNoTimer;
  if (a->result_fd_ >= 0) close(a->result_fd_);  // connected, not yet reported
  a->result_fd_ = -1;
  if (a->fd_ >= 0) close(a->fd_);  // still connecting
  a->fd_ = -1;
  a->done_ = true;
  Detach(a);
  return true;
}

}  // namespace memfleet::net
