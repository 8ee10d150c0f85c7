// EventLoop: one epoll instance driven by one thread.
//
// A loop multiplexes readiness of file descriptors to Handler objects, runs tasks posted from other
// threads, and fires periodic timers. Everything except Post() and Stop() must be called on the
// loop's own thread (the one inside Run()); handlers and tasks run on that thread. The loop does
// not own handlers: whoever registers a handler removes it before destroying it.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/status.h"

namespace memfleet::net {

class EventLoop {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // `events` is a mask of EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP / EPOLLRDHUP.
    virtual void OnEvent(uint32_t events) = 0;
    // Optional early steps for the handlers of one epoll batch: Prepare(events) of every handler
    // of the batch runs first, then PrepareMore() of every handler, then OnEvent of each. A
    // connection reads and starts prefetching what its requests will touch, so that the memory
    // misses of the whole batch overlap with each other and with the reads.
    virtual void Prepare(uint32_t events) { (void)events; }
    virtual void PrepareMore() {}
  };

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // False if the epoll or eventfd could not be created.
  bool ok() const { return epfd_ >= 0 && wakefd_ >= 0; }

  Status Add(int fd, uint32_t events, Handler* handler);
  Status Modify(int fd, uint32_t events, Handler* handler);
  void Remove(int fd);

  // Runs until Stop(). Loop thread only.
  void Run();
  // Asks Run() to return soon. Any thread.
  void Stop();
  // Queues fn to run on the loop thread. Any thread.
  void Post(std::function<void()> fn);
  // Calls fn on the loop thread about every interval_ms milliseconds. Loop thread or before Run().
  void Every(int interval_ms, std::function<void()> fn);
  // Calls fn on the loop thread after the handlers of each batch of events have run (before
  // posted tasks and timers). Loop thread or before Run().
  void SetAfterEvents(std::function<void()> fn) { after_events_ = std::move(fn); }
  // Calls fn after the Prepare step of a batch (see Handler), before PrepareMore.
  void SetAfterPrepare(std::function<void()> fn) { after_prepare_ = std::move(fn); }

 private:
  struct Timer {
    int interval_ms;
    int64_t next_ms;
    std::function<void()> fn;
  };
  void RunPosted();
  void RunTimers();
  int NextTimeoutMs() const;

  int epfd_ = -1;
  int wakefd_ = -1;
  bool stopping_ = false;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;  // guarded by mu_
  std::vector<Timer> timers_;
  std::function<void()> after_events_;
  std::function<void()> after_prepare_;
};

int64_t MonotonicMs();

}  // namespace memfleet::net
