#include "net/connector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "net/socket.h"

namespace memfleet::net {
namespace {

TEST(ParseConnectAddressTest, AcceptsHostPortV6UnixAndPeerNames) {
  auto a = ParseConnectAddress("127.0.0.1:11211");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a.value().unix_socket);
  EXPECT_EQ(a.value().host, "127.0.0.1");
  EXPECT_EQ(a.value().port, 11211);
  auto b = ParseConnectAddress("[::1]:22122");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().host, "::1");
  EXPECT_EQ(b.value().port, 22122);
  auto c = ParseConnectAddress("/run/memfleet.sock");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.value().unix_socket);
  EXPECT_EQ(c.value().path, "/run/memfleet.sock");
  auto d = ParseConnectAddress("unix:/tmp/x");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().path, "/tmp/x");
  auto e = ParseConnectAddress("tcp6:[::1]:5");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().host, "::1");
  auto f = ParseConnectAddress("tcp:localhost:0");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value().host, "localhost");
  EXPECT_EQ(f.value().port, 0);
}

TEST(ParseConnectAddressTest, RefusesMalformedAddresses) {
  for (const char* bad : {"", "localhost", "host:", ":11211", "host:65536", "host:-1", "host:1x",
                          "::1:11211", "[::1]11211", "[::1", "[::1]:", "unix:"}) {
    EXPECT_FALSE(ParseConnectAddress(bad).ok()) << bad;
  }
}

// The outcome of one connect, as the callback reported it.
struct Outcome {
  bool done = false;
  int fd = -1;
  int error = -1;
  Connector::Callback Callback() {
    return [this](int f, int e) {
      EXPECT_FALSE(done) << "callback ran twice";
      done = true;
      fd = f;
      error = e;
    };
  }
  ~Outcome() {
    if (fd >= 0) close(fd);
  }
};

// Turns the loop (without blocking) until the outcome is known, within a bound of turns.
void TurnUntilDone(EventLoop& loop, const Outcome& o) {
  for (int i = 0; i < 2000 && !o.done; ++i) loop.RunOnce(5);
}

int ListenerPort(int fd) { return BoundPort(fd); }

class ConnectorTest : public ::testing::Test {
 protected:
  ManualTimeSource time_;
  EventLoop loop_{&time_};
  Connector connector_{&loop_};
};

TEST_F(ConnectorTest, ConnectsToAListenerOnLoopback) {
  auto listeners = ListenTcp("127.0.0.1", 0, 16);
  ASSERT_TRUE(listeners.ok());
  const int lfd = listeners.value()[0].fd;
  Outcome o;
  connector_.Connect("127.0.0.1:" + std::to_string(ListenerPort(lfd)), 1000, o.Callback());
  EXPECT_FALSE(o.done);  // never inside Connect()
  TurnUntilDone(loop_, o);
  ASSERT_TRUE(o.done);
  EXPECT_EQ(o.error, 0);
  ASSERT_GE(o.fd, 0);
  // The socket really is connected to the listener: a byte goes across.
  int accepted = -1;
  for (int i = 0; i < 1000 && accepted < 0; ++i) {
    accepted = accept(lfd, nullptr, nullptr);
    if (accepted < 0) usleep(1000);
  }
  ASSERT_GE(accepted, 0);
  ASSERT_EQ(write(o.fd, "x", 1), 1);
  char c = 0;
  for (int i = 0; i < 1000 && read(accepted, &c, 1) != 1; ++i) usleep(1000);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(connector_.pending(), 0u);
  close(accepted);
  close(lfd);
}

TEST_F(ConnectorTest, ARefusedPortReportsEconnrefused) {
  // A bound socket that never listens holds the port, so nothing else can take it meanwhile.
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  Outcome o;
  connector_.Connect("127.0.0.1:" + std::to_string(BoundPort(holder)), 1000, o.Callback());
  TurnUntilDone(loop_, o);
  ASSERT_TRUE(o.done);
  EXPECT_EQ(o.fd, -1);
  EXPECT_EQ(o.error, ECONNREFUSED);
  close(holder);
}

TEST_F(ConnectorTest, AUnixSocketConnectsAndAMissingOneIsRefused) {
  std::string path = "/tmp/memfleet_connector_test." + std::to_string(getpid());
  auto listener = ListenUnix(path, 0700, 16);
  ASSERT_TRUE(listener.ok());
  Outcome ok, missing;
  connector_.Connect(path, 1000, ok.Callback());
  connector_.Connect("unix:" + path + ".missing", 1000, missing.Callback());
  TurnUntilDone(loop_, ok);
  TurnUntilDone(loop_, missing);
  EXPECT_EQ(ok.error, 0);
  EXPECT_GE(ok.fd, 0);
  EXPECT_EQ(missing.fd, -1);
  EXPECT_EQ(missing.error, ENOENT);
  close(listener.value().fd);
  unlink(path.c_str());
}

TEST_F(ConnectorTest, BadAddressesFailOnTheLoopNotInsideConnect) {
  Outcome bad;
  connector_.Connect("no-port-here", 1000, bad.Callback());
  EXPECT_FALSE(bad.done);
  loop_.RunOnce(0);
  ASSERT_TRUE(bad.done);
  EXPECT_EQ(bad.error, EINVAL);
}

// The timeout, with the injected clock: a listener with a backlog of 0 that never accepts takes
// one connection into its accept queue; Linux then drops further SYNs (a full accept queue is not
// answered with SYN cookies, which only stand in for a full SYN queue), so the next connect stays
// in progress until the clock passes its deadline. Only loopback traffic.
TEST_F(ConnectorTest, AConnectStillInProgressAtItsDeadlineReportsEtimedout) {
  auto listeners = ListenTcp("127.0.0.1", 0, 0);
  ASSERT_TRUE(listeners.ok());
  const int lfd = listeners.value()[0].fd;
  const std::string addr = "127.0.0.1:" + std::to_string(ListenerPort(lfd));
  // Fill the accept queue.
  Outcome filler;
  connector_.Connect(addr, 0, filler.Callback());
  TurnUntilDone(loop_, filler);
  ASSERT_EQ(filler.error, 0);
  Outcome slow;
  connector_.Connect(addr, 250, slow.Callback());
  for (int i = 0; i < 20; ++i) loop_.RunOnce(1);
  if (slow.done) {
    GTEST_SKIP() << "this kernel completed a connect to a full accept queue (error " << slow.error
                 << ")";
  }
  time_.Advance(249);
  loop_.RunOnce(0);
  EXPECT_FALSE(slow.done);
  time_.Advance(1);
  loop_.RunOnce(0);
  ASSERT_TRUE(slow.done);
  EXPECT_EQ(slow.fd, -1);
  EXPECT_EQ(slow.error, ETIMEDOUT);
  EXPECT_EQ(connector_.pending(), 0u);
  close(lfd);
}

TEST_F(ConnectorTest, ACancelledConnectNeverCallsBack) {
  auto listeners = ListenTcp("127.0.0.1", 0, 16);
  ASSERT_TRUE(listeners.ok());
  const int lfd = listeners.value()[0].fd;
  const std::string addr = "127.0.0.1:" + std::to_string(ListenerPort(lfd));
  Outcome cancelled, other;
  Connector::ConnectId id = connector_.Connect(addr, 100, cancelled.Callback());
  connector_.Connect(addr, 100, other.Callback());
  EXPECT_TRUE(connector_.Cancel(id));
  EXPECT_FALSE(connector_.Cancel(id));
  TurnUntilDone(loop_, other);
  time_.Advance(1000);  // past the cancelled one's timeout too
  for (int i = 0; i < 5; ++i) loop_.RunOnce(0);
  EXPECT_FALSE(cancelled.done);
  EXPECT_TRUE(other.done);
  EXPECT_EQ(connector_.pending(), 0u);
  close(lfd);
}

TEST_F(ConnectorTest, DestroyingTheConnectorCancelsWhatIsPending) {
  auto listeners = ListenTcp("127.0.0.1", 0, 16);
  ASSERT_TRUE(listeners.ok());
  const int lfd = listeners.value()[0].fd;
  Outcome o;
  {
    Connector scoped(&loop_);
    scoped.Connect("127.0.0.1:" + std::to_string(ListenerPort(lfd)), 100, o.Callback());
  }
  time_.Advance(1000);
  for (int i = 0; i < 5; ++i) loop_.RunOnce(0);
  EXPECT_FALSE(o.done);
  close(lfd);
}

// "localhost" may resolve to ::1 before 127.0.0.1; with a listener on 127.0.0.1 only, the ::1
// attempt is refused and the next address is tried within the same connect.
TEST_F(ConnectorTest, TriesEveryAddressAHostResolvesTo) {
  auto listeners = ListenTcp("127.0.0.1", 0, 16);
  ASSERT_TRUE(listeners.ok());
  const int lfd = listeners.value()[0].fd;
  Outcome o;
  connector_.Connect("localhost:" + std::to_string(ListenerPort(lfd)), 1000, o.Callback());
  TurnUntilDone(loop_, o);
  ASSERT_TRUE(o.done);
  EXPECT_EQ(o.error, 0);
  EXPECT_GE(o.fd, 0);
  EXPECT_EQ(PeerName(o.fd), "tcp:127.0.0.1:" + std::to_string(ListenerPort(lfd)));
  close(lfd);
}

TEST_F(ConnectorTest, ConnectsOverIpv6Loopback) {
  auto listeners = ListenTcp("::1", 0, 16);
  if (!listeners.ok()) GTEST_SKIP() << "no IPv6 loopback: " << listeners.status().message();
  const int lfd = listeners.value()[0].fd;
  Outcome o;
  connector_.Connect("[::1]:" + std::to_string(ListenerPort(lfd)), 1000, o.Callback());
  TurnUntilDone(loop_, o);
  ASSERT_TRUE(o.done);
  EXPECT_EQ(o.error, 0);
  EXPECT_GE(o.fd, 0);
  close(lfd);
}

}  // namespace
}  // namespace memfleet::net
