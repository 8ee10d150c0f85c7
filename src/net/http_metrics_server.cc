#include "net/http_metrics_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "net/socket.h"

namespace memfleet::net {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr int64_t kIdleMs = 5000;
constexpr size_t kMaxClients = 64;
constexpr int kBacklog = 64;

bool IsMetricsRequest(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.starts_with("GET ")) return false;
  std::string_view target = line.substr(4);
  target = target.substr(0, target.find(' '));
  target = target.substr(0, target.find('?'));
  return target == "/metrics" || target == "/";
}

}  // namespace

class HttpMetricsServer::Acceptor : public EventLoop::Handler {
 public:
  Acceptor(HttpMetricsServer* owner, int fd) : owner_(owner), fd_(fd) {}
  ~Acceptor() override {
    owner_->loop_->Remove(fd_);
    close(fd_);
  }
  int fd() const { return fd_; }
  void OnEvent(uint32_t) override { owner_->Accept(fd_); }

 private:
  HttpMetricsServer* owner_;
  int fd_;
};

// One scrape: reads the request head, then writes the whole response and is done. Close()
// unregisters it at once; the object itself is freed on a later loop turn (it may be on the
// stack when it finishes).
class HttpMetricsServer::Client : public EventLoop::Handler {
 public:
  Client(HttpMetricsServer* owner, int fd) : owner_(owner), loop_(owner->loop_), fd_(fd) {}
  ~Client() override { Close(); }

  bool Start() {
    timer_ = loop_->AddTimer(kIdleMs, [this] {
      timer_ = kNoTimer;
      owner_->Done(this);
    });
    return loop_->Add(fd_, EPOLLIN, this).ok();
  }

  void Close() {
    if (timer_ != kNoTimer) loop_->CancelTimer(timer_);
    timer_ = kNoTimer;
    if (fd_ >= 0) {
      loop_->Remove(fd_);
      close(fd_);
      fd_ = -1;
    }
  }

  void OnEvent(uint32_t) override {
    if (!out_.empty()) return Write();
    char buf[2048];
    bool eof = false;
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        if (in_.size() > kMaxRequest) return owner_->Done(this);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      eof = true;  // closed (a client may shut its side after the request) or failed
      break;
    }
    if (in_.find("\r\n\r\n") == std::string::npos && in_.find("\n\n") == std::string::npos) {
      if (eof) owner_->Done(this);
      return;
    }
    std::string body;
    std::string_view status = "200 OK";
    if (IsMetricsRequest(std::string_view(in_).substr(0, in_.find('\n')))) {
      body = owner_->render_();
    } else {
      status = "404 Not Found";
      body = "not found: try /metrics\n";
    }
    out_ = "HTTP/1.1 ";
    out_ += status;
    out_ += "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: ";
    out_ += std::to_string(body.size());
    out_ += "\r\nConnection: close\r\n\r\n";
    out_ += body;
    (void)loop_->Modify(fd_, EPOLLOUT, this);
    Write();
  }

 private:
  void Write() {
    while (sent_ < out_.size()) {
      ssize_t n = send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;
    }
    owner_->Done(this);
  }

  HttpMetricsServer* owner_;
  EventLoop* loop_;
  int fd_;
  std::string in_;
  std::string out_;
  size_t sent_ = 0;
  TimerId timer_ = kNoTimer;
};

HttpMetricsServer::HttpMetricsServer(EventLoop* loop, Render render)
    : loop_(loop), render_(std::move(render)) {}

HttpMetricsServer::~HttpMetricsServer() {
  clients_.clear();
  acceptors_.clear();
}

Status HttpMetricsServer::Listen(const std::string& host, int port) {
  auto ls = ListenTcp(host, port, kBacklog);
  if (!ls.ok()) return ls.status();
  // Every address of the host (e.g. "localhost": ::1 and 127.0.0.1), as the cache port does.
  for (const Listener& l : *ls) acceptors_.push_back(std::make_unique<Acceptor>(this, l.fd));
  port_ = BoundPort(acceptors_[0]->fd());
  for (auto& a : acceptors_) {
    Status s = loop_->Add(a->fd(), EPOLLIN, a.get());
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void HttpMetricsServer::Accept(int listen_fd) {
  for (int i = 0; i < 16; ++i) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (clients_.size() >= kMaxClients) {
      close(fd);
      continue;
    }
    auto c = std::make_unique<Client>(this, fd);
    if (!c->Start()) continue;
    clients_.push_back(std::move(c));
  }
}

void HttpMetricsServer::Done(Client* c) {
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (clients_[i].get() == c) {
      c->Close();
      // Freed on the next turn: the client may be on the stack.
      std::shared_ptr<Client> doomed(std::move(clients_[i]));
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      loop_->Post([doomed] {});
      return;
    }
  }
}

}  // namespace memfleet::net
