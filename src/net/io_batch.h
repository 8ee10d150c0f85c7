// IoBatch: the reads and the sends of one batch of events, each with one io_uring_enter.
//
// An unpipelined request costs a read and a send per connection; most of that is TCP work, but the
// system call entry and exit and the libc wrappers around them are not. When a loop's epoll batch
// holds several readable connections, each queues its read here (DeferRead, from its Prepare
// step) and one submission carries a RECV for each (FlushReads, from EventLoop::SetAfterPrepare).
// The output they leave is queued the same way (Defer), and at the end of the batch (Flush, from
// EventLoop::SetAfterEvents) one submission carries a SEND for each; every client then handles
// each result as if its own read() or send() had returned it (a short send leaves the rest to
// the client's ordinary path: sendmsg, then EPOLLOUT). Only output that is one contiguous piece
// goes this way; anything else the client sends itself. Measured in docs/benchmarks.md
// ("io_uring").
//
// IoBatch drives any IoBatch::Client: a server connection, a router's upstream connection, a
// client library's connection. It does not own its clients; a client queued with Defer or
// DeferRead must stay alive until the Flush or FlushReads that follows (the server frees closed
// connections with a posted task, which runs after both).
//
// Create() returns nullptr when io_uring is not available (built without liburing, or the kernel
// refuses a ring: an old kernel, io_uring_disabled, a seccomp filter); callers then read and send
// directly, as memfleetd does with `-o no_io_uring`. One IoBatch per event loop, used only on its
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace memfleet::net {

class IoBatch {
 public:
  // What IoBatch needs of a connection. Results are what the system call would have returned,
  // with errors as -errno.
  class Client {
   public:
    virtual ~Client() = default;
    // The socket.
    virtual int BatchFd() const = 0;
    // Where a read queued by DeferRead goes: the free room the client made before queueing it.
    virtual std::span<char> BatchReadRoom() = 0;
    // The queued read's result: bytes read into BatchReadRoom(), 0 at end of stream, or -errno.
    virtual void BatchReadDone(int result) = 0;
    // The output to send, when it is one contiguous piece and the client still wants it sent
    // (false: closed, nothing pending, or several pieces; then BatchSendSelf is called).
    virtual bool BatchContiguousOutput(const char** data, size_t* len) = 0;
    // The send's result: bytes sent from the BatchContiguousOutput piece, or -errno.
    virtual void BatchSendDone(int result) = 0;
    // The queued output did not go through the ring: send it the ordinary way (if still open).
    virtual void BatchSendSelf() = 0;

   private:
    friend class IoBatch;
    bool send_queued_ = false;  // in IoBatch::pending_: Defer queues a client once per batch
  };

  static std::unique_ptr<IoBatch> Create(unsigned entries);
  ~IoBatch();
  IoBatch(const IoBatch&) = delete;
  IoBatch& operator=(const IoBatch&) = delete;

  // Queues c's pending output for the end of the batch (a second call in a batch is a no-op).
  void Defer(Client* c);
  // Sends every queued client's output and hands each its result.
  void Flush();

  // Queues one read into c's BatchReadRoom(); FlushReads issues every queued read with one
  // submission and hands each client its result.
  void DeferRead(Client* c);
  void FlushReads();

 private:
  struct Ring;
  explicit IoBatch(std::unique_ptr<Ring> ring);

  std::unique_ptr<Ring> ring_;
  std::vector<Client*> pending_;
  std::vector<Client*> flushing_;
  std::vector<Client*> reads_;
};

}  // namespace memfleet::net
