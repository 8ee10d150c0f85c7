#include "router/upstream/upstream_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "net/socket.h"

namespace memfleet::router {
namespace {

using protocol::ResultCode;

// A fake upstream: a loopback listener the test accepts from and reads/writes by hand.
class FakeServer {
 public:
  FakeServer() {
    auto ls = net::ListenTcp("127.0.0.1", 0, 16);
    EXPECT_TRUE(ls.ok());
    fd_ = (*ls)[0].fd;
    port_ = net::BoundPort(fd_);
  }
  ~FakeServer() {
    if (conn_ >= 0) close(conn_);
    if (fd_ >= 0) close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Accepts the router's connection (the listener is non-blocking: the caller turns the loop).
  bool TryAccept() {
    if (conn_ >= 0) return true;
    conn_ = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK);
    return conn_ >= 0;
  }
  std::string Read() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = recv(conn_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  void Write(std::string_view s) {
    ASSERT_EQ(send(conn_, s.data(), s.size(), 0), (ssize_t)s.size());
  }
  void CloseConnection() {
    close(conn_);
    conn_ = -1;
  }
  void CloseListener() {
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int conn_ = -1;
  int port_ = 0;
};

class Observer final : public UpstreamObserver {
 public:
  void OnCompleted(ResultCode, int64_t, const ReplyReceiver*) override { ++completed; }
  void WantFlush(UpstreamConnection* c) override { to_flush.push_back(c); }
  void OnStateChange() override {}
  int completed = 0;
  std::vector<UpstreamConnection*> to_flush;
};

struct Reply final : public ReplyReceiver {
  void OnReply(const protocol::Result& r) override {
    got = true;
    code = r.code;
    value = std::string(r.value);
  }
  bool got = false;
  ResultCode code = ResultCode::kOk;
  std::string value;
};

class UpstreamConnectionTest : public testing::Test {
 protected:
  UpstreamConnectionTest() : connector_(&loop_) {}

  std::unique_ptr<UpstreamConnection> Connect(const std::string& address, int64_t timeout_ms) {
    UpstreamOptions o;
    o.server_timeout_ms = timeout_ms;
    o.connect_timeout_ms = 1000;
    o.reconnect_initial_ms = 10;
    return std::make_unique<UpstreamConnection>(&loop_, &connector_, &clock_, address, o,
                                                &observer_);
  }
  // Turns the loop (flushing what the connection queued) until done() or a generous bound.
  template <class F>
  bool TurnUntil(F done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      loop_.RunOnce(10);
      for (UpstreamConnection* c : observer_.to_flush) c->Flush();
      observer_.to_flush.clear();
    }
    return true;
  }
  // A meta client's mg (sent upstream as "mg <key> f v"); TextGet is a text client's get, which
  // is coalesced with the gets around it.
  protocol::Request Get(std::string_view key) {
    protocol::Request r;
    r.op = protocol::Op::kGet;
    r.protocol = protocol::Protocol::kMeta;
    r.key = key;
    r.keys = key;
    static const std::string_view kTokens[] = {"f", "v"};
    r.meta.tokens = kTokens;
    return r;
  }
  protocol::Request TextGet(std::string_view key) {
    protocol::Request r;
    r.op = protocol::Op::kGet;
    r.key = key;
    r.keys = key;
    return r;
  }

  net::EventLoop loop_;
  net::Connector connector_;
  CoarseClock clock_;
  Observer observer_;
};

TEST_F(UpstreamConnectionTest, PipelinedRepliesAreMatchedInOrder) {
  FakeServer server;
  Reply a, b, m;
  auto c = Connect(server.address(), 5000);
  c->Send(Get("a"), a);
  c->Send(Get("b"), b);
  c->Send(Get("missing"), m);
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  std::string sent;
  ASSERT_TRUE(TurnUntil([&] {
    sent += server.Read();
    return sent.size() >= 3 * strlen("mg a f v\r\n");
  }));
  EXPECT_EQ(sent, "mg a f v\r\nmg b f v\r\nmg missing f v\r\n");
  // Replies split at awkward points: the parser waits for whole replies.
  server.Write("VA 3 f0\r\nAA");
  server.Write("A\r\nVA 1 f0\r\nB\r\nE");
  server.Write("N\r\n");
  ASSERT_TRUE(TurnUntil([&] { return m.got; }));
  EXPECT_EQ(a.code, ResultCode::kFound);
  EXPECT_EQ(a.value, "AAA");
  EXPECT_EQ(b.value, "B");
  EXPECT_EQ(m.code, ResultCode::kNotFound);
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_EQ(observer_.completed, 3);
}

TEST_F(UpstreamConnectionTest, ATimedOutRequestsLateReplyIsDroppedNotGivenToTheNext) {
  FakeServer server;
  Reply slow, next;
  auto c = Connect(server.address(), 50);
  c->Send(Get("slow"), slow);
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  ASSERT_TRUE(TurnUntil([&] { return slow.got; }));
  EXPECT_EQ(slow.code, ResultCode::kTimeout);
  c->Send(Get("next"), next);
  server.Write("VA 4 f0\r\nlate\r\n");  // the answer to "slow"
  server.Write("VA 4 f0\r\nnext\r\n");
  ASSERT_TRUE(TurnUntil([&] { return next.got; }));
  EXPECT_EQ(next.code, ResultCode::kFound);
  EXPECT_EQ(next.value, "next");
}

TEST_F(UpstreamConnectionTest, ARefusedConnectFailsAndThenFailsFastWhileBackingOff) {
  FakeServer server;
  std::string address = server.address();
  server.CloseListener();  // nothing listens there now
  Reply first, during;
  auto c = Connect(address, 1000);
  c->Send(Get("k"), first);
  ASSERT_TRUE(TurnUntil([&] { return first.got; }));
  EXPECT_EQ(first.code, ResultCode::kConnectError);
  EXPECT_EQ(c->state(), UpstreamConnection::State::kBackoff);
  c->Send(Get("k"), during);
  EXPECT_TRUE(during.got);  // at once, no wait for a timeout
  EXPECT_EQ(during.code, ResultCode::kConnectError);
}

TEST_F(UpstreamConnectionTest, AClosedConnectionFailsWhatIsInFlightAndReconnects) {
  FakeServer server;
  Reply lost, again;
  auto c = Connect(server.address(), 5000);
  c->Send(Get("k"), lost);
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  ASSERT_TRUE(TurnUntil([&] { return !server.Read().empty(); }));
  server.CloseConnection();
  ASSERT_TRUE(TurnUntil([&] { return lost.got; }));
  EXPECT_EQ(lost.code, ResultCode::kConnectError);
  // It reconnects by itself after the backoff.
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  ASSERT_TRUE(TurnUntil([&] { return c->state() == UpstreamConnection::State::kUp; }));
  c->Send(Get("k"), again);
  ASSERT_TRUE(TurnUntil([&] { return !server.Read().empty(); }));
  server.Write("EN\r\n");
  ASSERT_TRUE(TurnUntil([&] { return again.got; }));
  EXPECT_EQ(again.code, ResultCode::kNotFound);
}

TEST_F(UpstreamConnectionTest, TextGetsAreCoalescedAndMatchedByKey) {
  FakeServer server;
  Reply r[5], after;
  auto c = Connect(server.address(), 5000);
  const char* keys[] = {"k0", "k1", "k2", "k3", "k4"};
  for (int i = 0; i < 5; ++i) c->Send(TextGet(keys[i]), r[i]);
  c->Send(Get("meta"), after);  // not a text get: closes the batch
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  std::string sent;
  ASSERT_TRUE(TurnUntil([&] {
    sent += server.Read();
    return sent.find("mg meta") != std::string::npos;
  }));
  EXPECT_EQ(sent, "get k0 k1 k2 k3 k4\r\nmg meta f v\r\n");
  // k1 and k4 found (in request order, as memcached answers), the rest missed.
  server.Write("VALUE k1 3 2\r\nv1\r\nVALUE k4 0 2\r\nv4\r\nEND\r\nVA 1 f0\r\nm\r\n");
  ASSERT_TRUE(TurnUntil([&] { return after.got; }));
  for (int i : {0, 2, 3}) EXPECT_EQ(r[i].code, ResultCode::kNotFound) << i;
  EXPECT_EQ(r[1].code, ResultCode::kFound);
  EXPECT_EQ(r[1].value, "v1");
  EXPECT_EQ(r[4].code, ResultCode::kFound);
  EXPECT_EQ(r[4].value, "v4");
  EXPECT_EQ(after.value, "m");
  EXPECT_EQ(c->in_flight(), 0u);
}

TEST_F(UpstreamConnectionTest, AnErrorLineFailsTheWholeBatch) {
  FakeServer server;
  Reply r[3];
  auto c = Connect(server.address(), 5000);
  for (int i = 0; i < 3; ++i) c->Send(TextGet("k" + std::to_string(i)), r[i]);
  ASSERT_TRUE(TurnUntil([&] { return server.TryAccept(); }));
  ASSERT_TRUE(TurnUntil([&] { return !server.Read().empty(); }));
  server.Write("SERVER_ERROR out of memory\r\n");
  ASSERT_TRUE(TurnUntil([&] { return r[2].got; }));
  for (auto& one : r) EXPECT_EQ(one.code, ResultCode::kRemoteError);
}

}  // namespace
}  // namespace memfleet::router
