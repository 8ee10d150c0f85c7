// EventLoop: one epoll instance driven by one thread.
//
// A loop multiplexes readiness of file descriptors to Handler objects, runs tasks posted from other
// threads, and fires timers: one-shot ones (AddTimer, e.g. per-request deadlines, cancellable)
// and periodic ones (Every), all kept in one TimerQueue whose earliest deadline bounds the
// epoll_wait timeout. Time comes from a TimeSource, CLOCK_MONOTONIC unless a test injects a
// manual one and drives the loop with RunOnce(0). Everything except Post() and Stop() must be
// called on the loop's own thread (the one inside Run()) or before Run() starts; handlers, tasks
// and timers run on that thread. The loop does not own handlers: whoever registers a handler
// removes it before destroying it.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "net/time_source.h"
#include "net/timer_queue.h"

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

  // time: the loop's clock (must outlive the loop); nullptr for CLOCK_MONOTONIC.
  explicit EventLoop(const TimeSource* time = nullptr);
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
  // One turn of Run(): waits up to max_wait_ms (-1: no bound) or until the next timer is due,
  // dispatches the events, then runs posted tasks and due timers. For tests that drive a loop
  // with an injected clock: RunOnce(0) never blocks.
  void RunOnce(int max_wait_ms);
  // Asks Run() to return soon. Any thread.
  void Stop();
  // Queues fn to run on the loop thread. Any thread.
  void Post(std::function<void()> fn);
  // Calls fn on the loop thread about every interval_ms milliseconds. Loop thread or before Run().
  void Every(int interval_ms, std::function<void()> fn);
  // Calls fn once, on the loop thread, delay_ms from now (AddTimer) or at deadline_ms of this
  // loop's clock (AddTimerAt); a deadline already past fires on the next turn. Loop thread.
  TimerId AddTimer(int64_t delay_ms, std::function<void()> fn);
  TimerId AddTimerAt(int64_t deadline_ms, std::function<void()> fn);
  // Unschedules a timer; false if it has fired or was cancelled already (no-op). Loop thread.
  bool CancelTimer(TimerId id) { return timers_.Cancel(id); }
  // The loop's clock, in milliseconds.
  int64_t NowMs() const { return time_->NowMs(); }
  size_t pending_timers() const { return timers_.size(); }
  // Calls fn on the loop thread after the handlers of each batch of events have run (before
  // posted tasks and timers). Loop thread or before Run().
  void SetAfterEvents(std::function<void()> fn) { after_events_ = std::move(fn); }
  // Calls fn after the Prepare step of a batch (see Handler), before PrepareMore.
  void SetAfterPrepare(std::function<void()> fn) { after_prepare_ = std::move(fn); }

 private:
  void RunPosted();
  void ArmPeriodic(int interval_ms, std::shared_ptr<std::function<void()>> fn);
  // The epoll_wait timeout: max_wait_ms, shortened to the next timer's deadline.
  int WaitMs(int max_wait_ms) const;

  int epfd_ = -1;
  int wakefd_ = -1;
  bool stopping_ = false;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;  // guarded by mu_
  MonotonicTimeSource monotonic_;
  const TimeSource* time_;
  TimerQueue timers_;
  std::function<void()> after_events_;
  std::function<void()> after_prepare_;
};

}  // namespace memfleet::net
