// IoBatch: a worker's reads and replies of one batch of events, each with one io_uring_enter.
//
// An unpipelined request costs a read and a send per connection; most of that is TCP work, but the
// system call entry and exit and the libc wrappers around them are not. When a worker's epoll
// batch holds several readable connections, each queues its read here (Connection::Prepare) and
// one submission carries a RECV for each (EventLoop::SetAfterPrepare). The replies they leave
// are queued the same way, and at the end of the batch (EventLoop::SetAfterEvents) one
// submission carries a SEND for each; every connection then handles each result as if its own
// read() or send() had returned it (a short send leaves the rest to the ordinary path: sendmsg,
// then EPOLLOUT). Only a reply that is one contiguous piece goes this way; anything else is
// flushed directly. Measured in docs/benchmarks.md ("io_uring").
//
// Create() returns nullptr when io_uring is not available (built without liburing, or the kernel
// refuses a ring: an old kernel, io_uring_disabled, a seccomp filter); the worker then reads and
// sends directly, as with `-o no_io_uring`. One IoBatch per worker, used only on its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace memfleet::server {

class Connection;

class IoBatch {
 public:
  static std::unique_ptr<IoBatch> Create(unsigned entries);
  ~IoBatch();
  IoBatch(const IoBatch&) = delete;
  IoBatch& operator=(const IoBatch&) = delete;

  // Queues c's pending output for the end of the batch (once per batch).
  void Defer(Connection* c);
  // Sends every queued connection's output and hands each its result.
  void Flush();

  // The reads of a batch (Connection::Prepare) go the same way: each readable connection
  // queues one read into its buffer's free room, FlushReads (EventLoop::SetAfterPrepare) issues
  // them all with one submission and hands each connection its result.
  void DeferRead(Connection* c);
  void FlushReads();

 private:
  struct Ring;
  explicit IoBatch(std::unique_ptr<Ring> ring);

  std::unique_ptr<Ring> ring_;
  std::vector<Connection*> pending_;
  std::vector<Connection*> flushing_;
  std::vector<Connection*> reads_;
};

}  // namespace memfleet::server
