#include "net/io_batch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "net/out_buffer.h"
#include "net/read_buffer.h"

namespace memfleet::net {
namespace {

// A connection reduced to what IoBatch drives: one end of a socketpair, a read buffer, an output
// buffer, and a record of the calls it received.
class FakeClient : public IoBatch::Client {
 public:
  FakeClient() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv_), 0); }
  ~FakeClient() override {
    close(sv_[0]);
    if (sv_[1] >= 0) close(sv_[1]);
  }
  int peer() const { return sv_[1]; }
  void ClosePeer() {
    close(sv_[1]);
    sv_[1] = -1;
  }
  std::string PeerReads() {
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(sv_[1], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
    return got;
  }

  int BatchFd() const override { return sv_[0]; }
  std::span<char> BatchReadRoom() override { return {in.room(), room}; }
  void BatchReadDone(int result) override {
    reads.push_back(result);
    if (result > 0) in.Commit(static_cast<size_t>(result));
  }
  bool BatchContiguousOutput(const char** data, size_t* len) override {
    return out.Contiguous(data, len);
  }
  void BatchSendDone(int result) override {
    sends.push_back(result);
    if (result > 0) out.Consume(static_cast<size_t>(result));
  }
  void BatchSendSelf() override {
    ++self_sends;
    ASSERT_GE(out.Flush(sv_[0]), 0);
  }

  ReadBuffer in;
  size_t room = 0;
  OutBuffer out;
  std::vector<int> reads;
  std::vector<int> sends;
  int self_sends = 0;

 private:
  int sv_[2] = {-1, -1};
};

class IoBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_ = IoBatch::Create(16);
    // Built without liburing, or a kernel that refuses rings: callers fall back to their own
    // reads and sends, and there is nothing here to test.
    if (batch_ == nullptr) GTEST_SKIP() << "io_uring not available";
  }
  std::unique_ptr<IoBatch> batch_;
};

TEST_F(IoBatchTest, QueuedReadsLandInEachClientsRoomWithReadsResults) {
  FakeClient a, b, eof, idle;
  ASSERT_EQ(write(a.peer(), "get a\r\n", 7), 7);
  ASSERT_EQ(write(b.peer(), "get bb\r\n", 8), 8);
  eof.ClosePeer();
  for (FakeClient* c : {&a, &b, &eof, &idle}) {
    c->room = c->in.MakeRoom();
    batch_->DeferRead(c);
  }
  batch_->FlushReads();
  EXPECT_EQ(a.reads, std::vector<int>{7});
  EXPECT_EQ(a.in.view(), "get a\r\n");
  EXPECT_EQ(b.reads, std::vector<int>{8});
  EXPECT_EQ(b.in.view(), "get bb\r\n");
  EXPECT_EQ(eof.reads, std::vector<int>{0});
  EXPECT_EQ(idle.reads, std::vector<int>{-EAGAIN});
  // The queue is emptied: a second flush hands out nothing.
  batch_->FlushReads();
  EXPECT_EQ(a.reads.size(), 1u);
}

TEST_F(IoBatchTest, DeferredOutputIsSentOnceAndReportedToEachClient) {
  FakeClient a, b;
  a.out.Append("VALUE k 0 1\r\nx\r\nEND\r\n");
  b.out.Append("STORED\r\n");
  batch_->Defer(&a);
  batch_->Defer(&b);
  batch_->Defer(&a);  // once per batch
  batch_->Flush();
  EXPECT_EQ(a.sends, std::vector<int>{21});
  EXPECT_EQ(b.sends, std::vector<int>{8});
  EXPECT_EQ(a.self_sends + b.self_sends, 0);
  EXPECT_TRUE(a.out.empty());
  EXPECT_EQ(a.PeerReads(), "VALUE k 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(b.PeerReads(), "STORED\r\n");
  // Queued again in the next batch.
  a.out.Append("END\r\n");
  batch_->Defer(&a);
  batch_->Flush();
  EXPECT_EQ(a.sends, (std::vector<int>{21, 5}));
  EXPECT_EQ(a.PeerReads(), "END\r\n");
}

TEST_F(IoBatchTest, OutputInSeveralPiecesIsLeftToTheClient) {
  FakeClient a;
  std::string value(100, 'v');
  a.out.Append("VALUE k 0 100\r\n");
  a.out.AppendExternal(value.data(), value.size());
  a.out.Append("\r\nEND\r\n");
  batch_->Defer(&a);
  batch_->Flush();
  EXPECT_TRUE(a.sends.empty());
  EXPECT_EQ(a.self_sends, 1);
  EXPECT_EQ(a.PeerReads(), "VALUE k 0 100\r\n" + value + "\r\nEND\r\n");
}

TEST_F(IoBatchTest, ASendToAClosedPeerReportsTheError) {
  FakeClient a;
  a.ClosePeer();
  a.out.Append("STORED\r\n");
  batch_->Defer(&a);
  batch_->Flush();
  ASSERT_EQ(a.sends.size(), 1u);
  EXPECT_EQ(a.sends[0], -EPIPE);
}

}  // namespace
}  // namespace memfleet::net
