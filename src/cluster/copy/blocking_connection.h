// BlockingConnection: one blocking connection to a memcached-protocol server, for the bulk work
// that runs on a thread of its own (copying keys between servers, a router's identity checks of
// its upstreams), never on an event loop's thread.
//
// Every wait is bounded: connecting, each send and each read give up after the timeout given to
// Connect and report an IoError naming the address. The bytes read and not yet consumed stay in
// buffer(); a caller parses replies from its front with the protocol library and Consume()s what
// it parsed. Not thread-safe: one thread uses a connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace memfleet::cluster {

class BlockingConnection {
 public:
  // Connects to address ("host:port", "[v6]:port" or a unix socket path, net::Connector's
  // forms) within timeout_ms, which also bounds every later send and read.
  static Result<std::unique_ptr<BlockingConnection>> Connect(std::string_view address,
                                                             int timeout_ms);
  ~BlockingConnection();
  BlockingConnection(const BlockingConnection&) = delete;
  BlockingConnection& operator=(const BlockingConnection&) = delete;

  // Sends every byte (or fails: timeout, reset).
  Status SendAll(std::string_view bytes);
  // Reads what the socket has (at least one byte, waiting up to the timeout) onto buffer().
  // An IoError on timeout, on the peer closing, or on a socket error.
  Status ReadMore();
  // The bytes read and not consumed yet.
  std::string_view buffer() const { return std::string_view(buf_).substr(start_); }
  void Consume(size_t n);
  const std::string& address() const { return address_; }

 private:
  BlockingConnection(int fd, std::string address, int timeout_ms)
      : fd_(fd), address_(std::move(address)), timeout_ms_(timeout_ms) {}
  Status Error(std::string_view what, int err) const;

  int fd_;
  std::string address_;
  int timeout_ms_;
  std::string buf_;
  size_t start_ = 0;  // buf_[0, start_) is consumed
};

}  // namespace memfleet::cluster
