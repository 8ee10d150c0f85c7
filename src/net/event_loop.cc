#include "net/event_loop.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace memfleet::net {

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

EventLoop::EventLoop() {
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
  timers_.push_back(Timer{interval_ms, MonotonicMs() + interval_ms, std::move(fn)});
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

void EventLoop::RunTimers() {
  if (timers_.empty()) return;
  int64_t now = MonotonicMs();
  for (size_t i = 0; i < timers_.size(); ++i) {
    if (timers_[i].next_ms <= now) {
      timers_[i].next_ms = now + timers_[i].interval_ms;
      timers_[i].fn();  // may add timers: index, don't hold references
    }
  }
}

int EventLoop::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  int64_t now = MonotonicMs();
  int64_t next = timers_[0].next_ms;
  for (const Timer& t : timers_) next = std::min(next, t.next_ms);
  return next <= now ? 0 : static_cast<int>(next - now);
}

void EventLoop::Run() {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!stopping_) {
    int n = epoll_wait(epfd_, events, kMaxEvents, NextTimeoutMs());
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
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
    RunTimers();
  }
}

}  // namespace memfleet::net
