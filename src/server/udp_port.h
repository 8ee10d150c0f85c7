// UdpPort: one worker's UDP socket on one -l address (-U), serving memcached's UDP protocol.
//
// Each worker has its own socket per address, all bound to the same address and port with
// SO_REUSEPORT (udp_socket.h), so the kernel spreads datagrams over the workers (one client's
// datagrams, by its address and port, always reach the same worker) and no two workers ever
// contend for one socket. A datagram is served whole, on the worker's thread: its 8-byte header
// is checked (udp_frame.h: one-datagram requests only), the protocol is chosen by its first
// byte (0x80: binary, as memcached does whatever -B says), every request it carries is executed
// by the same protocol handlers a TCP connection uses (text, meta, operator, binary, through a
// HandlerContext), and the replies are cut into datagrams sent back to the sender with
// sendmmsg. Like memcached, a datagram is a request boundary: a request or data block that
// does not end inside its datagram is dropped, never completed from the next one (memcached
// reads the next datagram, header included, as the rest of the data; see
// docs/compatibility.md).
//
// Owned by its Worker, built before the worker starts; every method runs on the worker's
// thread except fd(), description() and last_cmd_time() (`stats conns`, any thread).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop.h"
#include "net/out_buffer.h"
#include "net/read_buffer.h"
#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "server/handler_set.h"
#include "server/udp_frame.h"

namespace memfleet::server {

class Worker;
class Server;

class UdpPort final : public net::EventLoop::Handler, private ConnectionControl {
 public:
  // Takes ownership of fd, a bound non-blocking UDP socket; description is its `stats conns`
  // address ("udp:127.0.0.1:11211").
  UdpPort(Worker* worker, int fd, std::string description);
  ~UdpPort() override;
  UdpPort(const UdpPort&) = delete;
  UdpPort& operator=(const UdpPort&) = delete;

  // Registers with the worker's loop (worker thread). False if that failed.
  bool Start();
  void OnEvent(uint32_t events) override;

  // Any thread.
  int fd() const { return fd_; }
  const std::string& description() const { return description_; }
  RelTime last_cmd_time() const { return last_cmd_time_.load(std::memory_order_relaxed); }

 private:
  // Serves the request datagram now in rbuf_ (header consumed).
  void ServeDatagram();
  void ServeText();
  void ServeBinary();
  // Completes a storage request whose data block ReadValue asked for: from the rest of the
  // datagram, or dropped when the datagram ends first.
  void CompleteValue();

  // Reply accounting for the framer: each request's output is one reply (a multi-key get's,
  // one per key); skip: a request that produced nothing because it was noreply or quiet.
  void BeginReply();
  void EndReply(bool skip_if_empty);
  // Sends the replies so far as datagrams and empties the output (memcached sends after every
  // get, mn, binary noop, quit and at the end of the datagram).
  void Transmit();
  // Drops the replies not yet sent (memcached culls them when it "closes" a UDP conn).
  void Cull();

  // ConnectionControl.
  void ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                 bool crlf_terminated) override;
  void Swallow(size_t n) override;
  void CloseAfterWrite() override { stop_after_reply_ = true; }
  void CloseNow() override {
    Cull();
    stop_ = true;
  }
  void TouchLastCommand() override;
  // Dumps and watchers need a stream: memcached answers neither over UDP.
  void StartDump(const protocol::text::Request&, bool) override { silent_ = true; }
  void Watch(uint32_t) override { silent_ = true; }
  bool authenticated() const override { return true; }  // -S and -Y refuse -U
  void set_authenticated(bool) override {}
  void LogStore(storage::StoreOp op, const storage::ItemRef& item, storage::StoreResult r,
                bool ttl_zero) override;
  void LogFetch(std::string_view key, const storage::ItemRef& item) override;
  void LogDeletion(std::string_view cmd, const storage::ItemRef& item) override;

  Worker* worker_;
  Server* server_;
  int fd_;
  std::string description_;
  bool registered_ = false;

  net::ReadBuffer rbuf_;
  net::OutBuffer out_;
  sockaddr_storage peer_{};
  socklen_t peer_len_ = 0;
  uint16_t request_id_ = 0;
  bool stop_ = false;              // the rest of this datagram is not executed
  bool stop_after_reply_ = false;  // quit, or a binary error that closes a TCP connection
  bool silent_ = false;            // the request being executed gets no reply

  std::vector<udp::Reply> replies_;  // the replies in out_, in order
  size_t reply_start_ = 0;           // where the current request's output starts in out_
  std::vector<size_t> key_marks_;    // a multi-get's output offsets after each key
  std::vector<udp::Datagram> plan_;  // Transmit's scratch
  std::unique_ptr<char[]> send_buf_;

  // A storage request waiting for its data block (ReadValue).
  ValueOwner pending_owner_ = ValueOwner::kText;
  storage::ItemRef pending_item_;
  uint32_t pending_length_ = 0;
  bool pending_crlf_ = true;

  HandlerContext ctx_;
  HandlerSet handlers_{ctx_};

  std::atomic<RelTime> last_cmd_time_{0};
};

}  // namespace memfleet::server
