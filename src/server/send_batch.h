// SendBatch: a worker's replies to one batch of events, sent with one io_uring_enter.
//
// An unpipelined request costs a read and a send per connection; most of that is TCP work, but the
// system call entry and exit and the libc wrappers around them are not. When a worker's epoll
// batch leaves replies on several connections, they are queued here instead of sent one by one,
// and at the end of the batch (EventLoop::SetAfterEvents) one submission carries a SEND for each;
// then every connection handles its result as if its own send() had returned it (a short send
// leaves the rest to the ordinary path: sendmsg, then EPOLLOUT). Only a reply that is one
// contiguous piece goes this way; anything else is flushed directly. Measured in
// docs/benchmarks.md ("io_uring").
//
// Create() returns nullptr when io_uring is not available (built without liburing, or the kernel
// refuses a ring: an old kernel, io_uring_disabled, a seccomp filter); the worker then sends
// directly, as with `-o no_io_uring`. One SendBatch per worker, used only on its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace memfleet::server {

class Connection;

class SendBatch {
 public:
  static std::unique_ptr<SendBatch> Create(unsigned entries);
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Queues c's pending output for the end of the batch (once per batch).
  void Defer(Connection* c);
  // Sends every queued connection's output and hands each its result.
  void Flush();

 private:
  struct Ring;
  explicit SendBatch(std::unique_ptr<Ring> ring);

  std::unique_ptr<Ring> ring_;
  std::vector<Connection*> pending_;
  std::vector<Connection*> flushing_;
};

}  // namespace memfleet::server
