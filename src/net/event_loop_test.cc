#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace memfleet::net {
namespace {

class CountingHandler : public EventLoop::Handler {
 public:
  explicit CountingHandler(int fd) : fd_(fd) {}
  void OnEvent(uint32_t events) override {
    if (events & EPOLLIN) {
      char buf[64];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) bytes += static_cast<int>(n);
    }
  }
  int bytes = 0;

 private:
  int fd_;
};

TEST(EventLoopTest, DeliversReadinessAndPostedTasks) {
  EventLoop loop;
  ASSERT_TRUE(loop.ok());
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  CountingHandler handler(sv[0]);
  ASSERT_TRUE(loop.Add(sv[0], EPOLLIN, &handler).ok());
  std::thread t([&] { loop.Run(); });
  ASSERT_EQ(write(sv[1], "hello", 5), 5);
  std::atomic<int> seen{-1};
  // Posted tasks run on the loop thread after earlier events; poll until the bytes arrived.
  for (int i = 0; i < 1000 && seen.load() != 5; ++i) {
    loop.Post([&] { seen.store(handler.bytes); });
    usleep(1000);
  }
  EXPECT_EQ(seen.load(), 5);
  loop.Stop();
  t.join();
  close(sv[0]);
  close(sv[1]);
}

// Records the order of the batch steps of every handler into one shared log.
class StepHandler : public EventLoop::Handler {
 public:
  StepHandler(char name, std::string* log) : name_(name), log_(log) {}
  void Prepare(uint32_t events) override {
    if (events & EPOLLIN) log_->append({'P', name_});
  }
  void PrepareMore() override { log_->append({'M', name_}); }
  void OnEvent(uint32_t events) override {
    if (events & EPOLLIN) log_->append({'E', name_});
  }

 private:
  char name_;
  std::string* log_;
};

TEST(EventLoopTest, BatchPreparesEveryHandlerBeforeAnyEvent) {
  EventLoop loop;
  ASSERT_TRUE(loop.ok());
  int a[2], b[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
  // Both readable before the loop starts, so that one epoll_wait returns both.
  ASSERT_EQ(write(a[1], "x", 1), 1);
  ASSERT_EQ(write(b[1], "y", 1), 1);
  std::string log;
  StepHandler ha('a', &log), hb('b', &log);
  ASSERT_TRUE(loop.Add(a[0], EPOLLIN | EPOLLET, &ha).ok());
  ASSERT_TRUE(loop.Add(b[0], EPOLLIN | EPOLLET, &hb).ok());
  loop.Post([&] { loop.Stop(); });
  loop.Run();
  // The first batch: both Prepare steps, then both PrepareMore, then both events (epoll's order
  // within each step is its own, the same for all three).
  ASSERT_GE(log.size(), 12u) << log;
  std::string first = log.substr(0, 12);
  std::string order = {first[1], first[3]};
  auto step = [&order](char s) { return std::string{s, order[0], s, order[1]}; };
  EXPECT_EQ(first.substr(0, 4), step('P')) << log;
  EXPECT_EQ(first.substr(4, 4), step('M')) << log;
  EXPECT_EQ(first.substr(8, 4), step('E')) << log;
  EXPECT_NE(order[0], order[1]);
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST(EventLoopTest, TimersFireOnTheLoopThread) {
  EventLoop loop;
  std::atomic<int> fired{0};
  loop.Every(1, [&] {
    if (fired.fetch_add(1) == 2) loop.Stop();
  });
  std::thread t([&] { loop.Run(); });
  t.join();
  EXPECT_GE(fired.load(), 3);
}

TEST(EventLoopTest, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  std::thread t([&] { loop.Run(); });
  loop.Stop();
  t.join();
  SUCCEED();
}

// Timers with an injected clock: the loop is turned by hand with RunOnce(0), which never
// blocks, and time moves only when the test says so.
TEST(EventLoopTimerTest, OneShotTimerFiresWhenTheInjectedClockReachesItsDeadline) {
  ManualTimeSource time(5000);
  EventLoop loop(&time);
  ASSERT_TRUE(loop.ok());
  int fired = 0;
  loop.AddTimer(100, [&] { ++fired; });
  loop.RunOnce(0);
  EXPECT_EQ(fired, 0);
  time.Advance(99);
  loop.RunOnce(0);
  EXPECT_EQ(fired, 0);
  time.Advance(1);
  loop.RunOnce(0);
  EXPECT_EQ(fired, 1);
  time.Advance(1000);
  loop.RunOnce(0);
  EXPECT_EQ(fired, 1);  // one-shot
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoopTimerTest, CancelledDeadlinesNeverFire) {
  ManualTimeSource time;
  EventLoop loop(&time);
  std::vector<int> fired;
  std::vector<TimerId> ids;
  for (int i = 0; i < 1000; ++i)
    ids.push_back(loop.AddTimer(10 + i % 7, [&, i] { fired.push_back(i); }));
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 != 0) {
      EXPECT_TRUE(loop.CancelTimer(ids[static_cast<size_t>(i)]));
    }
  }
  EXPECT_EQ(loop.pending_timers(), 100u);
  time.Advance(20);
  loop.RunOnce(0);
  ASSERT_EQ(fired.size(), 100u);
  for (int i : fired) EXPECT_EQ(i % 10, 0);
  EXPECT_FALSE(loop.CancelTimer(ids[0]));  // fired already
}

TEST(EventLoopTimerTest, AddTimerAtUsesTheLoopClockAndAPastDeadlineFiresNextTurn) {
  ManualTimeSource time(700);
  EventLoop loop(&time);
  EXPECT_EQ(loop.NowMs(), 700);
  std::string fired;
  loop.AddTimerAt(650, [&] { fired += "past"; });
  loop.AddTimerAt(800, [&] { fired += "later"; });
  loop.RunOnce(0);
  EXPECT_EQ(fired, "past");
  time.Set(800);
  loop.RunOnce(0);
  EXPECT_EQ(fired, "pastlater");
}

TEST(EventLoopTimerTest, PeriodicTimersRearmFromTheInjectedClock) {
  ManualTimeSource time;
  EventLoop loop(&time);
  int ticks = 0;
  loop.Every(1000, [&] { ++ticks; });
  for (int i = 0; i < 5; ++i) {
    time.Advance(1000);
    loop.RunOnce(0);
  }
  EXPECT_EQ(ticks, 5);
  time.Advance(999);
  loop.RunOnce(0);
  EXPECT_EQ(ticks, 5);
}

TEST(EventLoopTimerTest, ATimerCanCancelAnotherDueInTheSameTurn) {
  ManualTimeSource time;
  EventLoop loop(&time);
  bool second = false;
  TimerId later = kNoTimer;
  loop.AddTimer(5, [&] { EXPECT_TRUE(loop.CancelTimer(later)); });
  later = loop.AddTimer(5, [&] { second = true; });
  time.Advance(5);
  loop.RunOnce(0);
  EXPECT_FALSE(second);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

// With the real clock: a deadline bounds the epoll_wait, so Run() wakes for it with no event.
TEST(EventLoopTimerTest, RunWakesUpForADeadlineWithoutAnyEvent) {
  EventLoop loop;
  bool fired = false;
  loop.AddTimer(1, [&] {
    fired = true;
    loop.Stop();
  });
  loop.Run();
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace memfleet::net
