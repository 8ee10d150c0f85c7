#include "net/event_loop.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace memfleet::net {

int64_t MonotonicMs() {  // declared in net/time_source.h
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

EventLoop::EventLoop(const TimeSource* time) : time_(time != nullptr ? time : &monotonic_) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ >= 0 && wakefd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // nullptr marks the wake-up fd
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  }
}

EventLoop::~EventLoop() {
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
}

Status EventLoop::Add(int fd, uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status::IoError(std::string("epoll_ctl add: ") + strerror(errno));
  }
  return Status::Ok();
}

Status EventLoop::Modify(int fd, uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return Status::IoError(std::string("epoll_ctl mod: ") + strerror(errno));
  }
  return Status::Ok();
}

void EventLoop::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back([this] { stopping_ = true; });
  }
  uint64_t one = 1;
  ssize_t n = write(wakefd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t n = write(wakefd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::Every(int interval_ms, std::function<void()> fn) {
  ArmPeriodic(interval_ms, std::make_shared<std::function<void()>>(std::move(fn)));
}

void EventLoop::ArmPeriodic(int interval_ms, std::shared_ptr<std::function<void()>> fn) {
  timers_.Add(NowMs() + interval_ms, [this, interval_ms, fn] {
    // Re-armed before it runs, from the time it fired: the period does not stretch by the
    // callback's own running time.
    ArmPeriodic(interval_ms, fn);
    (*fn)();
  });
}

TimerId EventLoop::AddTimer(int64_t delay_ms, std::function<void()> fn) {
  return timers_.Add(NowMs() + delay_ms, std::move(fn));
}

TimerId EventLoop::AddTimerAt(int64_t deadline_ms, std::function<void()> fn) {
  return timers_.Add(deadline_ms, std::move(fn));
}

void EventLoop::RunPosted() {
  uint64_t value;
  ssize_t n = read(wakefd_, &value, sizeof(value));
  (void)n;
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

int EventLoop::WaitMs(int max_wait_ms) const {
  const int64_t deadline = timers_.NextDeadline();
  if (deadline < 0) return max_wait_ms;
  const int64_t until = std::max<int64_t>(deadline - NowMs(), 0);
  if (max_wait_ms >= 0 && max_wait_ms < until) return max_wait_ms;
  return static_cast<int>(std::min<int64_t>(until, std::numeric_limits<int>::max()));
}

void EventLoop::Run() {
  while (!stopping_) RunOnce(-1);
}

void EventLoop::RunOnce(int max_wait_ms) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epfd_, events, kMaxEvents, WaitMs(max_wait_ms));
  if (n < 0) {
    if (errno != EINTR) stopping_ = true;  // the epoll fd is unusable: as Run() always did
    return;
  }
  bool wake = false;
  if (n > 1) {
    for (int i = 0; i < n; ++i) {
      if (auto* handler = static_cast<Handler*>(events[i].data.ptr)) {
        handler->Prepare(events[i].events);
      }
    }
    if (after_prepare_) after_prepare_();
    for (int i = 0; i < n; ++i) {
      if (auto* handler = static_cast<Handler*>(events[i].data.ptr)) handler->PrepareMore();
    }
  }
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<Handler*>(events[i].data.ptr);
    if (handler == nullptr) {
      wake = true;
      continue;
    }
    handler->OnEvent(events[i].events);
  }
  if (after_events_) after_events_();
  if (wake) RunPosted();
  if (!timers_.empty()) timers_.RunExpired(NowMs());
}

}  // namespace memfleet::net
