// HttpMetricsServer: a Prometheus scrape endpoint, a minimal HTTP/1.x server on one EventLoop
// that answers `GET /metrics` (and `GET /`) with the text its Render callback returns (the text
// exposition format 0.0.4, see http_exposition.h) and closes the connection; any other request
// gets 404. Requests are tiny and answered at once; a client that has not sent a whole request
// within a few seconds, or sends more than 8 KiB of it, is dropped; at most 64 clients are served
// at a time (more are closed at accept).
//
// Used by memfleet-router (--metrics-port) and memfleetd (-o metrics_port). The server owns its
// listening sockets and its clients. Everything, Render included, runs on the loop's thread:
// construct, Listen and destroy it there (or before the loop runs).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/event_loop.h"

namespace memfleet::net {

class HttpMetricsServer {
 public:
  using Render = std::function<std::string()>;
  HttpMetricsServer(EventLoop* loop, Render render);
  ~HttpMetricsServer();
  HttpMetricsServer(const HttpMetricsServer&) = delete;
  HttpMetricsServer& operator=(const HttpMetricsServer&) = delete;

  // Listens on every address host resolves to (all interfaces when empty), port port (0: any).
  // REQUIRES: called once.
  Status Listen(const std::string& host, int port);
  // The port bound (useful with port 0), or 0 before Listen.
  int port() const { return port_; }

 private:
  class Acceptor;
  class Client;
  void Accept(int listen_fd);
  void Done(Client* c);

  EventLoop* loop_;
  Render render_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::vector<std::unique_ptr<Client>> clients_;
  int port_ = 0;
};

}  // namespace memfleet::net
