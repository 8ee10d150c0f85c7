// Connector: outbound non-blocking connects with a timeout, completed on an event loop.
//
// A router's upstream connections and the client library open sockets with Connect(address,
// timeout, callback). The address is "host:port", "[v6addr]:port", a unix socket path
// ("/path" or "unix:/path"), or a name as PeerName() prints it ("tcp:1.2.3.4:5", "tcp6:[::1]:5").
// Host names are resolved synchronously with getaddrinfo (numeric addresses and /etc/hosts cost
// nothing; a name that needs DNS blocks the caller, so resolve such names off the data path).
// Every address the host resolves to is tried in order within the one timeout. The callback
// runs exactly once, always on the loop thread and never inside Connect(): with the connected,
// non-blocking socket (the callback owns it; TCP ones have TCP_NODELAY set) and error 0, or with fd
// -1 and an errno value: ECONNREFUSED, ETIMEDOUT when the timeout passed first, EINVAL for an
// address that does not parse, EHOSTUNREACH for a host that does not resolve, or whatever
// connect(2) reported. Cancel() drops a pending connect without calling its callback. The Connector
// belongs to one EventLoop, is used only on that loop's thread, and must outlive the loop's next
// turn after its last Cancel (its attempts are freed by a posted task, so that a stale event in the
// same epoll batch never reaches freed memory); destroying it cancels every pending connect.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "net/event_loop.h"

namespace memfleet::net {

// A parsed connect address (pure parse, no resolution).
struct ConnectAddress {
  bool unix_socket = false;
  std::string host;  // without brackets; empty for a unix socket
  int port = 0;
  std::string path;  // unix socket path
};
// Parses one of the forms above. InvalidArgument for anything else (no port, port out of range,
// unbalanced brackets, an empty or too long unix path).
Result<ConnectAddress> ParseConnectAddress(std::string_view spec);

class Connector {
 public:
  using ConnectId = uint64_t;
  // fd >= 0 and error == 0 on success (ownership passes to the callee), else fd == -1 and an
  // errno value.
  using Callback = std::function<void(int fd, int error)>;

  explicit Connector(EventLoop* loop);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Starts connecting; the callback reports the outcome later (see above). timeout_ms <= 0 means
  // no timeout. Loop thread.
  ConnectId Connect(std::string_view address, int64_t timeout_ms, Callback callback);
  // Abandons a pending connect: its socket is closed and its callback never runs. False if it
  // has completed already. Loop thread.
  bool Cancel(ConnectId id);
  size_t pending() const { return attempts_.size(); }

 private:
  class Attempt;
  void ConnectImpl(ConnectId id, std::string_view address, int64_t timeout_ms, Callback callback);
  // Tries the attempt's next resolved address; finishes it when none is left or one fails at
  // once.
  void TryNext(Attempt* a);
  void OnWritable(Attempt* a);
  // Completes an attempt: unregisters its socket and reports (fd, error) at once, or on the
  // loop's next timer step when called inside Connect().
  void Finish(Attempt* a, int fd, int error);
  void Deliver(ConnectId id);
  // Stops watching the attempt's socket and hands the attempt to a posted task for freeing.
  std::shared_ptr<Attempt> Detach(Attempt* a);

  EventLoop* loop_;
  ConnectId next_id_ = 1;
  bool in_connect_ = false;
  std::unordered_map<ConnectId, std::shared_ptr<Attempt>> attempts_;
};

}  // namespace memfleet::net
