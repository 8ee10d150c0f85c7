#include "net/read_buffer.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace memfleet::net {
namespace {

void Put(ReadBuffer& b, std::string_view s) {
  ASSERT_GE(b.MakeRoom(), s.size());
  memcpy(b.room(), s.data(), s.size());
  b.Commit(s.size());
}

TEST(ReadBufferTest, BytesComeOutInOrderAndConsumeAdvances) {
  ReadBuffer b(64, 1024);
  EXPECT_TRUE(b.empty());
  Put(b, "get a\r\nget b\r\n");
  EXPECT_EQ(b.view(), "get a\r\nget b\r\n");
  b.Consume(7);
  EXPECT_EQ(b.view(), "get b\r\n");
  EXPECT_EQ(b.offset(), 7u);
  b.Consume(7);
  EXPECT_TRUE(b.empty());
  // An empty buffer starts over at the front: all of it is room again.
  EXPECT_EQ(b.MakeRoom(), 64u);
  EXPECT_EQ(b.offset(), 0u);
}

TEST(ReadBufferTest, UnconsumeGivesBackWhatWasConsumed) {
  ReadBuffer b(64, 1024);
  Put(b, "header+body");
  b.Consume(7);
  EXPECT_EQ(b.view(), "body");
  b.Unconsume(7);
  EXPECT_EQ(b.view(), "header+body");
}

TEST(ReadBufferTest, CompactsWhenTheEndIsReached) {
  ReadBuffer b(16, 1024);
  Put(b, std::string(16, 'a'));
  b.Consume(10);
  // Full at the end with consumed bytes in front: moved to the front, not grown.
  EXPECT_EQ(b.MakeRoom(), 10u);
  EXPECT_EQ(b.capacity(), 16u);
  EXPECT_EQ(b.offset(), 0u);
  EXPECT_EQ(b.view(), std::string(6, 'a'));
}

TEST(ReadBufferTest, DoesNotCompactWhileThereIsRoomAtTheEnd) {
  ReadBuffer b(16, 1024);
  Put(b, "abcdef");
  b.Consume(2);
  EXPECT_EQ(b.MakeRoom(), 10u);
  EXPECT_EQ(b.offset(), 2u);  // the parser's look-ahead offsets stay valid
}

TEST(ReadBufferTest, GrowsForALongLineUpToTheCapThenRefuses) {
  ReadBuffer b(16, 64);
  std::string line;
  for (int i = 0; i < 64; ++i) line.push_back(static_cast<char>('a' + i % 26));
  size_t put = 0;
  while (put < line.size()) {
    size_t room = b.MakeRoom();
    ASSERT_GT(room, 0u);
    size_t n = std::min(room, line.size() - put);
    memcpy(b.room(), line.data() + put, n);
    b.Commit(n);
    put += n;
  }
  EXPECT_EQ(b.capacity(), 64u);
  EXPECT_EQ(b.view(), line);
  errno = 0;
  EXPECT_EQ(b.MakeRoom(), 0u);  // a line longer than the cap
  EXPECT_EQ(errno, EMSGSIZE);
  EXPECT_EQ(b.view(), line);  // nothing lost
}

TEST(ReadBufferTest, ShrinksBackOnceTheLongLineIsConsumed) {
  ReadBuffer b(16, 1024);
  Put(b, std::string(16, 'x'));
  ASSERT_EQ(b.MakeRoom(), 16u);  // grown to 32
  Put(b, std::string(10, 'y'));
  b.Consume(24);
  ASSERT_EQ(b.view(), "yy");
  EXPECT_EQ(b.MakeRoom(), 14u);
  EXPECT_EQ(b.capacity(), 16u);
  EXPECT_EQ(b.view(), "yy");
}

TEST(ReadBufferTest, ReadFromReportsAFilledRoom) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ReadBuffer b(8, 8);
  ASSERT_EQ(write(sv[1], "0123456789", 10), 10);
  bool filled = false;
  EXPECT_EQ(b.ReadFrom(sv[0], &filled), 8);
  EXPECT_TRUE(filled);
  EXPECT_EQ(b.view(), "01234567");
  b.Consume(8);
  filled = true;
  EXPECT_EQ(b.ReadFrom(sv[0], &filled), 2);
  EXPECT_FALSE(filled);
  EXPECT_EQ(b.view(), "89");
  errno = 0;
  EXPECT_EQ(b.ReadFrom(sv[0], &filled), -1);
  EXPECT_EQ(errno, EAGAIN);
  close(sv[1]);
  EXPECT_EQ(b.ReadFrom(sv[0], &filled), 0);
  close(sv[0]);
}

TEST(ReadBufferTest, TakesNoMemoryUntilTheFirstRead) {
  ReadBuffer b(64, 1024);
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.view(), "");
  b.Release();  // nothing to give back
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_EQ(b.MakeRoom(), 64u);
  EXPECT_TRUE(b.holds_buffer());
}

TEST(ReadBufferTest, PooledBufferIsLentForAReadAndReturnedOnceParsed) {
  BufferPool pool(64, 8);
  ReadBuffer b(&pool, 1024);
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  Put(b, "version\r\n");
  EXPECT_EQ(pool.read_blocks_lent(), 1u);
  EXPECT_EQ(b.capacity(), 64u);
  b.Consume(9);
  b.Release();
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  EXPECT_EQ(pool.read_blocks_free(), 1u);
  // The next read borrows again (the same block), and starts at the front.
  Put(b, "get a\r\n");
  EXPECT_EQ(pool.read_blocks_lent(), 1u);
  EXPECT_EQ(pool.read_blocks_free(), 0u);
  EXPECT_EQ(b.offset(), 0u);
  EXPECT_EQ(b.view(), "get a\r\n");
}

TEST(ReadBufferTest, PartialRequestKeepsItsBufferUntilTheRestArrives) {
  BufferPool pool(64, 8);
  ReadBuffer b(&pool, 1024);
  Put(b, "get a\r\nset k 0 0 5\r\nhe");
  b.Consume(7);  // "get a" was parsed; the set waits for its data
  b.Release();
  EXPECT_TRUE(b.holds_buffer());
  EXPECT_EQ(pool.read_blocks_lent(), 1u);
  EXPECT_EQ(b.view(), "set k 0 0 5\r\nhe");
  Put(b, "llo\r\n");
  EXPECT_EQ(b.view(), "set k 0 0 5\r\nhello\r\n");
  b.Consume(b.size());
  b.Release();
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
}

TEST(ReadBufferTest, GrownBufferIsFreedNotPooledAndAPartialTailMovesToABlock) {
  BufferPool pool(16, 8);
  ReadBuffer b(&pool, 1024);
  // A long line grows the buffer past the pool's block size.
  Put(b, std::string(16, 'x'));
  ASSERT_EQ(b.MakeRoom(), 16u);
  EXPECT_EQ(b.capacity(), 32u);
  // The block it outgrew went back to the pool; the grown buffer is not one of its blocks.
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  EXPECT_EQ(pool.read_blocks_free(), 1u);
  Put(b, std::string(10, 'y'));
  b.Consume(24);
  // A few unread bytes in a grown buffer: Release moves them to a block of the initial size.
  b.Release();
  EXPECT_EQ(b.capacity(), 16u);
  EXPECT_EQ(b.view(), "yy");
  EXPECT_EQ(pool.read_blocks_lent(), 1u);
  b.Consume(2);
  b.Release();
  EXPECT_FALSE(b.holds_buffer());
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  EXPECT_EQ(pool.read_blocks_free(), 1u);
}

TEST(ReadBufferTest, GrownBufferOfAnEntireLineIsFreedWhenConsumed) {
  BufferPool pool(16, 8);
  {
    ReadBuffer b(&pool, 1024);
    Put(b, std::string(16, 'x'));
    ASSERT_EQ(b.MakeRoom(), 16u);
    Put(b, std::string(16, 'x'));
    ASSERT_EQ(b.MakeRoom(), 32u);
    EXPECT_EQ(b.capacity(), 64u);
    b.Consume(32);
    b.Release();
    EXPECT_FALSE(b.holds_buffer());
    Put(b, "partial");
    EXPECT_EQ(pool.read_blocks_lent(), 1u);
  }
  // The buffer's destructor returns what it held.
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
}

}  // namespace
}  // namespace memfleet::net
