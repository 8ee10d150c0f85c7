#include "router/proxy/metrics_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "net/socket.h"

namespace memfleet::router {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr int64_t kIdleMs = 5000;

}  // namespace

class MetricsServer::Client : public net::EventLoop::Handler {
 public:
  Client(MetricsServer* owner, int fd) : owner_(owner), fd_(fd) {}
  ~Client() override {
    if (timer_ != net::kNoTimer) owner_->loop_->CancelTimer(timer_);
    if (fd_ >= 0) {
      owner_->loop_->Remove(fd_);
      close(fd_);
    }
  }
  bool Start() {
    timer_ = owner_->loop_->AddTimer(kIdleMs, [this] {
      timer_ = net::kNoTimer;
      owner_->Done(this);
    });
    return owner_->loop_->Add(fd_, EPOLLIN, this).ok();
  }
  void OnEvent(uint32_t events) override {
    if (!out_.empty()) {
      Write();
      return;
    }
    char buf[2048];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        if (in_.size() > kMaxRequest) return owner_->Done(this);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return owner_->Done(this);
    }
    (void)events;
    if (in_.find("\r\n\r\n") == std::string::npos && in_.find("\n\n") == std::string::npos) return;
    std::string_view line(in_);
    line = line.substr(0, line.find('\n'));
    std::string body;
    std::string status = "200 OK";
    if (line.starts_with("GET /metrics ") || line.starts_with("GET /metrics?") ||
        line == "GET /metrics" || line.starts_with("GET / ")) {
      body = owner_->render_();
    } else {
      status = "404 Not Found";
      body = "not found: try /metrics\n";
    }
    out_ = "HTTP/1.1 " + status +
           "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    (void)owner_->loop_->Modify(fd_, EPOLLOUT, this);
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
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;
    }
    owner_->Done(this);
  }

  MetricsServer* owner_;
  int fd_;
  std::string in_;
  std::string out_;
  size_t sent_ = 0;
  net::TimerId timer_ = net::kNoTimer;
};

MetricsServer::MetricsServer(net::EventLoop* loop, Render render)
    : loop_(loop), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
  clients_.clear();
  if (fd_ >= 0) {
    loop_->Remove(fd_);
    close(fd_);
  }
}

Status MetricsServer::Listen(const std::string& host, int port) {
  auto ls = net::ListenTcp(host, port, 64);
  if (!ls.ok()) return ls.status();
  // One address is enough for a scrape endpoint; close the others.
  for (size_t i = 1; i < ls->size(); ++i) close((*ls)[i].fd);
  fd_ = (*ls)[0].fd;
  port_ = net::BoundPort(fd_);
  return loop_->Add(fd_, EPOLLIN, this);
}

void MetricsServer::OnEvent(uint32_t) {
  for (int i = 0; i < 16; ++i) {
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto c = std::make_unique<Client>(this, fd);
    if (!c->Start()) continue;
    clients_.push_back(std::move(c));
  }
}

void MetricsServer::Done(Client* c) {
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (clients_[i].get() == c) {
      // Freed on the next turn: the client may be on the stack.
      std::shared_ptr<Client> doomed(std::move(clients_[i]));
      clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      loop_->Post([doomed] {});
      return;
    }
  }
}

}  // namespace memfleet::router
