#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

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

}  // namespace
}  // namespace memfleet::net
