// UpstreamConnection: one pipelined connection from a router worker to one upstream server
// (memfleetd or memcached), speaking meta (and text for version/stats/flush_all/verbosity).
//
// Requests are composed at once by the protocol library's translation layer
// (ComposeUpstreamRequest) into the connection's output; the worker flushes every connection it
// wrote to once per batch of events (Flush), so a 100-key multi-get leaves as one write per server.
// Upstream requests are never quiet, so replies come back in request order and are matched to
// the oldest in-flight request; each is parsed whole (a value included) from the read buffer and
// handed to the request's receiver while the bytes are still there.
//
// Failures are the router's own results: a request with no reply within the server timeout gets
// kTimeout (its late reply is read and dropped); a refused, reset or closed connection fails every
// request in flight with kConnectError (kConnectTimeout when the connect timed out); while the
// connection is down and waiting to reconnect (backoff), new requests fail at once with
// kConnectError instead of waiting. The connection reconnects by itself, with backoff.
//
// Owned by its worker's UpstreamServer; used on the worker's loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "net/connector.h"
#include "net/event_loop.h"
#include "net/io_batch.h"
#include "net/read_buffer.h"
#include "net/timer_queue.h"
#include "router/route.h"
#include "router/upstream/coarse_clock.h"
#include "router/upstream/inflight_queue.h"

namespace memfleet::router {

struct UpstreamOptions {
  int64_t server_timeout_ms = 1000;
  int64_t connect_timeout_ms = 1000;
  // Reconnect backoff after a failed connect or a lost connection.
  int64_t reconnect_initial_ms = 50;
  int64_t reconnect_max_ms = 2000;
  size_t max_reply_bytes = 64 * 1024 * 1024;
  // The worker's batch of reads and sends (nullptr: plain system calls). Not owned.
  net::IoBatch* io_batch = nullptr;
};

// What an UpstreamConnection reports to whoever tracks the server's health and statistics.
class UpstreamObserver {
 public:
  // A request completed: its result code, how long it took, and the receiver about to get it
  // (the UpstreamServer tells its own heartbeats and probes from client requests by it).
  virtual void OnCompleted(ResultCode code, int64_t latency_us, const ReplyReceiver* done) = 0;
  // The connection needs its outgoing bytes flushed at the end of this batch.
  virtual void WantFlush(class UpstreamConnection* c) = 0;
  virtual void OnStateChange() = 0;

 protected:
  ~UpstreamObserver() = default;
};

class UpstreamConnection : public net::EventLoop::Handler, public net::IoBatch::Client {
 public:
  enum class State : uint8_t { kDisconnected, kConnecting, kUp, kBackoff };

  // clock: the worker's CoarseClock (refreshed by the worker and by this connection's events).
  UpstreamConnection(net::EventLoop* loop, net::Connector* connector, CoarseClock* clock,
                     std::string address, const UpstreamOptions& options,
                     UpstreamObserver* observer);
  ~UpstreamConnection() override;
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Queues req (one key, or keyless); done receives its reply or failure, maybe at once.
  void Send(const Request& req, ReplyReceiver& done);
  // Starts connecting if not connected (at start: the router connects before traffic comes).
  void Connect();
  // Writes what is queued (called by the worker once per batch).
  void Flush();
  // Fails everything in flight and closes (config reload dropped this server, shutdown).
  void Close();
  // Drops the connection as if it had failed (kConnectError for what is in flight) and
  // reconnects after the backoff: a connection whose heartbeat timed out may be half-open.
  void Reset() { Fail(ResultCode::kConnectError); }
  // Connects now instead of waiting out the reconnect backoff (a probe; a server back up).
  void ConnectNow();

  State state() const { return state_; }
  size_t in_flight() const { return inflight_.size(); }
  const std::string& address() const { return address_; }
  // The worker clock's milliseconds when a request was last queued here (heartbeats: idle?).
  int64_t last_send_ms() const { return last_send_ms_; }

  // With an IoBatch (UpstreamOptions::io_batch), a readable connection queues its read in
  // Prepare, read with every other connection of the batch in one submission; the worker queues
  // its output with the batch's sends (Defer) instead of calling Flush.
  void Prepare(uint32_t events) override;
  void OnEvent(uint32_t events) override;

  // net::IoBatch::Client.
  int BatchFd() const override { return fd_; }
  std::span<char> BatchReadRoom() override { return {in_.room(), pre_room_}; }
  void BatchReadDone(int result) override;
  bool BatchContiguousOutput(const char** data, size_t* len) override;
  void BatchSendDone(int result) override;
  void BatchSendSelf() override { Flush(); }

 private:
  struct InFlight {
    ReplyReceiver* done;  // nullptr once answered by a timeout: the reply is read and dropped
    int64_t deadline_ms;
    int64_t start_us;
    // What parsing the reply needs of the request (no views: it may be gone by then).
    protocol::Op op;
    protocol::Protocol protocol;
    bool noreply;
    bool create;
    // A key of a coalesced text get (see Batchable): matched to its VALUE by key hash.
    bool batched = false;
    bool batch_end = false;     // the last key of its batch: the END follows its reply
    bool answered_hit = false;  // batch_end entry already answered, waiting for the END
    uint64_t key_hash = 0;
  };
  enum class BatchStep { kContinue, kIncomplete, kFailed };

  void StartConnect();
  void OnConnected(int fd, int error);
  void ReadReplies();
  // Closes the socket and fails every request in flight with code; schedules a reconnect.
  void Fail(ResultCode code);
  void ArmTimer();
  void OnTimer();
  void Complete(InFlight& f, const protocol::Result& r);
  void CompleteMiss(InFlight& f);
  // Coalescing: consecutive get (or gets) requests of text clients go upstream as one text
  // "get k1 k2 ..." (up to kMaxBatchKeys keys), which costs the server and this connection far
  // less per key than one "mg" each; the batch is closed by any other request and by Flush.
  static bool Batchable(const Request& req);
  static uint64_t KeyHash(std::string_view key);
  void AppendToBatch(const Request& req);
  void CloseBatch();
  BatchStep ReadBatchReply();
  void FailOne(ReplyReceiver* done, ResultCode code, int64_t start_us);
  void UpdateEvents();
  int64_t NowUs() const { return clock_->now_us(); }

  net::EventLoop* loop_;
  net::Connector* connector_;
  CoarseClock* clock_;
  std::string address_;
  UpstreamOptions options_;
  UpstreamObserver* observer_;

  State state_ = State::kDisconnected;
  int fd_ = -1;
  net::Connector::ConnectId connect_id_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t last_send_ms_ = 0;
  net::TimerId reconnect_timer_ = 0;
  net::TimerId timeout_timer_ = 0;
  int64_t timer_deadline_ms_ = 0;
  bool want_write_ = false;
  bool flush_queued_ = false;
  // A read Prepare queued with the IoBatch, and its result (bytes, 0 at end of stream, -errno).
  bool pre_read_ = false;
  bool pre_full_ = false;
  int pre_result_ = 0;
  size_t pre_room_ = 0;

  static constexpr size_t kMaxBatchKeys = 100;
  static constexpr size_t kMaxBatchLine = 8192;
  size_t batch_keys_ = 0;   // keys in the open (unterminated) get line; 0: none open
  size_t batch_start_ = 0;  // where the open get line starts in out_
  protocol::Op batch_op_ = protocol::Op::kGet;
  std::string out_;      // composed requests not yet written
  size_t out_sent_ = 0;  // bytes of out_ already written
  net::ReadBuffer in_;
  InFlightQueue<InFlight> inflight_;
  size_t timed_out_ = 0;  // entries at the front of inflight_ answered by a timeout
  friend class UpstreamServer;
};

}  // namespace memfleet::router
