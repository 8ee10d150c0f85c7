// MetricsServer: the router's Prometheus endpoint (`--metrics-port`): a minimal HTTP/1.x server
// on the main thread's loop that answers `GET /metrics` with Router::RenderMetrics() (text
// exposition format 0.0.4) and closes the connection; anything else gets 404. Requests are tiny
// and answered at once; a client that sends nothing within a few seconds is dropped. Main loop
// thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/event_loop.h"

namespace memfleet::router {

class MetricsServer : public net::EventLoop::Handler {
 public:
  using Render = std::function<std::string()>;
  MetricsServer(net::EventLoop* loop, Render render);
  ~MetricsServer() override;

  // Listens on host:port (port 0: any; host empty: all interfaces).
  Status Listen(const std::string& host, int port);
  int port() const { return port_; }
  void OnEvent(uint32_t events) override;

 private:
  class Client;
  void Done(Client* c);

  net::EventLoop* loop_;
  Render render_;
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace memfleet::router
