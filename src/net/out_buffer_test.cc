#include "net/out_buffer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace memfleet::net {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class OutBufferTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv_), 0); }
  void TearDown() override {
    close(sv_[0]);
    close(sv_[1]);
  }
  int sv_[2];
};

TEST_F(OutBufferTest, MergesCopiesAndExternalPiecesInOrder) {
  OutBuffer out;
  std::string external(100, 'x');
  out.Append("VALUE k 0 100\r\n");
  out.AppendExternal(external.data(), external.size());
  out.Append("\r\nEND\r\n");
  EXPECT_EQ(out.pending(), 15u + 100u + 7u);
  ASSERT_EQ(out.Flush(sv_[0]), static_cast<ssize_t>(122));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ReadAll(sv_[1]), "VALUE k 0 100\r\n" + external + "\r\nEND\r\n");
}

TEST_F(OutBufferTest, CopyOutReadsAnyRangeAcrossPieces) {
  OutBuffer out;
  std::string external(100, 'x');
  out.Append("VALUE k 0 100\r\n");
  out.AppendExternal(external.data(), external.size());
  out.Append("\r\nEND\r\n");
  const std::string all = "VALUE k 0 100\r\n" + external + "\r\nEND\r\n";
  for (size_t from : {0u, 3u, 15u, 16u, 114u, 121u}) {
    for (size_t len : {0u, 1u, 7u, 100u, 122u}) {
      if (from + len > all.size()) continue;
      std::string got(len, '?');
      out.CopyOut(from, len, got.data());
      EXPECT_EQ(got, all.substr(from, len)) << from << "+" << len;
    }
  }
  // After a partial consume, offsets count from the first unsent byte.
  out.Consume(20);
  std::string got(50, '?');
  out.CopyOut(5, 50, got.data());
  EXPECT_EQ(got, all.substr(25, 50));
  EXPECT_EQ(out.pending(), all.size() - 20);  // copying sends nothing
}

TEST_F(OutBufferTest, PartialWritesResumeWhereTheyStopped) {
  int size = 4096;
  ASSERT_EQ(setsockopt(sv_[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
  OutBuffer out;
  std::string expected;
  std::string big(300000, 'b');
  for (int i = 0; i < 50; ++i) {
    std::string line = "line " + std::to_string(i) + "\r\n";
    out.Append(line);
    expected += line;
    if (i % 10 == 0) {
      out.AppendExternal(big.data(), big.size());
      expected += big;
    }
  }
  std::string got;
  for (int rounds = 0; rounds < 100000 && !out.empty(); ++rounds) {
    ASSERT_GE(out.Flush(sv_[0]), 0);
    got += ReadAll(sv_[1]);
  }
  got += ReadAll(sv_[1]);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST_F(OutBufferTest, GrowsForLargeCopies) {
  OutBuffer out;
  std::string big(1 << 20, 'z');
  out.Append(big);
  EXPECT_EQ(out.pending(), big.size());
  std::string got;
  for (int rounds = 0; rounds < 100000 && !out.empty(); ++rounds) {
    ASSERT_GE(out.Flush(sv_[0]), 0);
    got += ReadAll(sv_[1]);
  }
  EXPECT_EQ(got, big);
}

TEST_F(OutBufferTest, FlushToClosedPeerReportsError) {
  OutBuffer out;
  close(sv_[1]);
  sv_[1] = socket(AF_UNIX, SOCK_STREAM, 0);  // keep TearDown's close valid
  out.Append("hello\r\n");
  EXPECT_EQ(out.Flush(sv_[0]), -1);
}

// A pin stands for a reference count: the test's release function counts the releases.
struct PinCounter {
  int released = 0;
  static void Release(void* owner, void* object) {
    (void)object;
    ++static_cast<PinCounter*>(owner)->released;
  }
};

TEST_F(OutBufferTest, PinsAreHeldUntilTheirBytesAreSentThenReleasedOnce) {
  int size = 4096;
  ASSERT_EQ(setsockopt(sv_[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
  PinCounter counter;
  std::string value(200000, 'v');
  int object = 0;
  OutBuffer out;
  out.Append("VALUE k 0 200000\r\n");
  out.AppendPinned(value.data(), value.size(), Pin(&PinCounter::Release, &counter, &object));
  out.Append("\r\nEND\r\n");
  ASSERT_GE(out.Flush(sv_[0]), 0);
  EXPECT_FALSE(out.empty());  // the socket took only part of it
  EXPECT_EQ(counter.released, 0);
  std::string got = ReadAll(sv_[1]);
  for (int rounds = 0; rounds < 100000 && !out.empty(); ++rounds) {
    ASSERT_GE(out.Flush(sv_[0]), 0);
    got += ReadAll(sv_[1]);
  }
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(counter.released, 1);
  EXPECT_TRUE(got == "VALUE k 0 200000\r\n" + value + "\r\nEND\r\n");
}

TEST_F(OutBufferTest, ChunkedValueSharesOnePinAndClearReleasesIt) {
  PinCounter counter;
  int object = 0;
  std::string a(10, 'a'), b(10, 'b');
  OutBuffer out;
  out.AppendExternal(a.data(), a.size());
  out.AppendExternal(b.data(), b.size());
  out.AppendPinned(nullptr, 0, Pin(&PinCounter::Release, &counter, &object));
  EXPECT_EQ(out.pending(), 20u);
  EXPECT_EQ(counter.released, 0);
  out.Clear();
  EXPECT_EQ(counter.released, 1);
  EXPECT_TRUE(out.empty());
}

TEST(PinTest, MovesOwnershipAndReleasesExactlyOnce) {
  PinCounter counter;
  int object = 0;
  {
    Pin a(&PinCounter::Release, &counter, &object);
    Pin b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_TRUE(b);
    Pin c;
    c = std::move(b);
    EXPECT_EQ(counter.released, 0);
    c.Reset();
    EXPECT_EQ(counter.released, 1);
    EXPECT_FALSE(c);
  }
  EXPECT_EQ(counter.released, 1);
  {
    Pin d(&PinCounter::Release, &counter, &object);
    Pin e(&PinCounter::Release, &counter, &object);
    d = std::move(e);  // d's old reference is dropped
    EXPECT_EQ(counter.released, 2);
  }
  EXPECT_EQ(counter.released, 3);
}

TEST_F(OutBufferTest, PooledAreaIsLentForAReplyAndReturnedOnceSent) {
  BufferPool pool(64, 8);
  OutBuffer out(&pool);
  EXPECT_FALSE(out.holds_area());
  EXPECT_TRUE(out.empty());
  out.Append("VERSION 1.6.18\r\n");
  EXPECT_TRUE(out.holds_area());
  EXPECT_EQ(pool.out_areas_lent(), 1u);
  ASSERT_EQ(out.Flush(sv_[0]), 16);
  // Everything sent: the area is back in the pool.
  EXPECT_FALSE(out.holds_area());
  EXPECT_EQ(pool.out_areas_lent(), 0u);
  EXPECT_EQ(pool.out_areas_free(), 1u);
  EXPECT_EQ(ReadAll(sv_[1]), "VERSION 1.6.18\r\n");
  // A flush with nothing queued borrows nothing.
  EXPECT_EQ(out.Flush(sv_[0]), 0);
  EXPECT_EQ(pool.out_areas_lent(), 0u);
}

TEST_F(OutBufferTest, PooledAreaStaysLentWhileOutputIsPending) {
  int size = 4096;
  ASSERT_EQ(setsockopt(sv_[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
  BufferPool pool(64, 8);
  OutBuffer out(&pool);
  std::string big(200000, 'b');
  out.Append(big);
  ASSERT_GE(out.Flush(sv_[0]), 0);
  ASSERT_FALSE(out.empty());  // the socket took only part of it
  out.Release();              // not idle: kept
  EXPECT_TRUE(out.holds_area());
  std::string got = ReadAll(sv_[1]);
  for (int rounds = 0; rounds < 100000 && !out.empty(); ++rounds) {
    ASSERT_GE(out.Flush(sv_[0]), 0);
    got += ReadAll(sv_[1]);
  }
  EXPECT_TRUE(got == big);
  EXPECT_FALSE(out.holds_area());
  EXPECT_EQ(pool.out_areas_lent(), 0u);
}

TEST_F(OutBufferTest, AreaGrownByALargeReplyIsShrunkBeforeItGoesBack) {
  BufferPool pool(64, 8);
  OutBuffer out(&pool);
  std::string big(1 << 20, 'z');
  out.Append(big);
  std::string got;
  for (int rounds = 0; rounds < 100000 && !out.empty(); ++rounds) {
    ASSERT_GE(out.Flush(sv_[0]), 0);
    got += ReadAll(sv_[1]);
  }
  EXPECT_EQ(got.size(), big.size());
  ASSERT_EQ(pool.out_areas_free(), 1u);
  std::unique_ptr<OutArea> area = pool.LendOutArea();
  EXPECT_LE(area->capacity, 256u * 1024);  // not the 1 MiB the reply needed
  EXPECT_EQ(area->pending, 0u);
  EXPECT_TRUE(area->pieces.empty());
  EXPECT_TRUE(area->pins.empty());
  pool.ReturnOutArea(std::move(area));
}

TEST_F(OutBufferTest, ClearAndReleaseReturnTheAreaAndDropItsPins) {
  BufferPool pool(64, 8);
  PinCounter counter;
  int object = 0;
  std::string value(100, 'v');
  {
    OutBuffer out(&pool);
    out.AppendPinned(value.data(), value.size(), Pin(&PinCounter::Release, &counter, &object));
    out.Clear();
    EXPECT_EQ(counter.released, 1);
    EXPECT_FALSE(out.holds_area());
    EXPECT_EQ(pool.out_areas_lent(), 0u);
    // Room reserved but never committed: Release gives the area back.
    out.Reserve(10);
    EXPECT_EQ(pool.out_areas_lent(), 1u);
    out.Release();
    EXPECT_EQ(pool.out_areas_lent(), 0u);
    // Destroyed with something pending: the pin is dropped, the area goes back.
    out.AppendPinned(value.data(), value.size(), Pin(&PinCounter::Release, &counter, &object));
  }
  EXPECT_EQ(counter.released, 2);
  EXPECT_EQ(pool.out_areas_lent(), 0u);
}

}  // namespace
}  // namespace memfleet::net
