// ClientConnection: one client of the router, speaking text, meta or binary (told apart by the
// first byte, as memcached does).
//
// It reads into a ReadBuffer, parses every complete request with the protocol library
// (ParseClientRequest: the server's own parsers), and gives each a ProxyRequest. Replies leave in
// request order: each is written as soon as it and every request before it are done, not when a
// whole pipeline is. Storage values are read whole (refused with memcached's error above the item
// size limit, and then skipped without being buffered). Bad input gets memcached's error reply
// and parsing goes on; what memcached closes a connection for closes it here too.
//
// Backpressure: the connection stops reading while too many of its requests are in flight or
// too many reply bytes wait for the client; it resumes as they drain. Owned by its worker; loop
// thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>

#include "net/event_loop.h"
#include "net/io_batch.h"
#include "net/read_buffer.h"
#include "protocol/client_request.h"
#include "router/proxy/worker.h"

namespace memfleet::router {

class ProxyRequest;

class ClientConnection : public net::EventLoop::Handler, public net::IoBatch::Client {
 public:
  ClientConnection(ProxyWorker* worker, int fd, int listener);
  ~ClientConnection() override;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  bool Start();
  // With the worker's IoBatch: a readable connection queues its read in Prepare, and the batch
  // reads every such connection with one submission before OnEvent handles what came.
  void Prepare(uint32_t events) override;
  void OnEvent(uint32_t events) override;

  // net::IoBatch::Client.
  int BatchFd() const override { return fd_; }
  std::span<char> BatchReadRoom() override;
  void BatchReadDone(int result) override;
  bool BatchContiguousOutput(const char** data, size_t* len) override;
  void BatchSendDone(int result) override;
  void BatchSendSelf() override { Flush(); }

  // A request's reply is complete (composed in place when it was at the head).
  void RequestDone(ProxyRequest* r);
  bool IsHead(const ProxyRequest* r) const { return !pending_.empty() && pending_.front() == r; }
  // Where the head request composes its reply: the connection's output, unless that already
  // holds more than the output limit (then the reply waits in the request's own buffer).
  std::string* HeadOutput() { return OutputFull() ? nullptr : &out_; }
  // Writes what is pending (the worker calls it once per batch).
  void Flush();
  bool closed() const { return fd_ < 0; }
  int fd() const { return fd_; }

 private:
  void ReadInput();
  void ProcessInput();
  // One request at the front of in_; false when it needs more bytes or reading must pause.
  bool ProcessOne();
  void Execute(ProxyRequest* pr);
  void AnswerStats(ProxyRequest* pr);
  // Replies an error the parser found, in the connection's protocol.
  void ReplyParseError(const protocol::ClientParse& p);
  void ReplyResult(const protocol::Request& req, const protocol::Result& r);
  void Close();
  void UpdateInterest();
  bool Paused() const;
  bool OutputFull() const;
  // Moves the replies of the done requests at the front of pending_ into out_, in order, while
  // out_ has room; the others wait in their own buffers (bounded by the in-flight limit), so
  // that out_ never grows far past the output limit whatever the size of the replies.
  void MoveDone();
  void QueueFlush();

  ProxyWorker* worker_;
  int fd_;
  int listener_;
  bool protocol_known_ = false;
  protocol::Protocol protocol_ = protocol::Protocol::kText;
  net::ReadBuffer in_;
  std::string out_;
  size_t out_sent_ = 0;
  std::deque<ProxyRequest*> pending_;
  ProxyRequest* deferred_stats_ = nullptr;  // a `stats` waiting for the requests before it
  size_t swallow_ = 0;                      // bytes of input to skip (a refused value)
  bool close_after_write_ = false;
  bool processing_ = false;
  bool flush_queued_ = false;
  uint32_t interest_ = 0;
  // A read Prepare queued with the IoBatch, and its result (bytes, 0 at end of stream, -errno).
  bool pre_read_ = false;
  bool pre_full_ = false;
  int pre_result_ = 0;
  size_t pre_room_ = 0;
  protocol::ClientRequest parsed_;
};

}  // namespace memfleet::router
