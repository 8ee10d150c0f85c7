// UpstreamServer's part in health tracking, against a fake upstream on loopback: a lost
// connection marks the server down and Send fails fast; heartbeats go out on idle connections
// and are not client requests; a heartbeat that times out is a soft error and replaces its
// connection; a probe brings a down server back. The loop is turned (never slept) until an
// outcome, within a generous bound.
#include "router/upstream/upstream_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/socket.h"
#include "router/health/health_registry.h"
#include "router/writelog/test_util.h"

namespace memfleet::router {
namespace {

using health::HealthState;

// A loopback listener whose connections the test accepts, reads and answers by hand.
class FakeUpstream {
 public:
  FakeUpstream() {
    auto ls = net::ListenTcp("127.0.0.1", 0, 16);
    EXPECT_TRUE(ls.ok());
    listen_fd_ = (*ls)[0].fd;
    port_ = net::BoundPort(listen_fd_);
  }
  ~FakeUpstream() {
    for (int fd : conns_) close(fd);
    close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Accepts whatever connections are waiting; the number accepted so far.
  size_t Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd < 0) break;
      conns_.push_back(fd);
      in_.emplace_back();
    }
    return conns_.size();
  }
  // What connection i has sent so far.
  const std::string& Read(size_t i) {
    char buf[4096];
    for (;;) {
      ssize_t n = recv(conns_[i], buf, sizeof(buf), 0);
      if (n <= 0) break;
      in_[i].append(buf, static_cast<size_t>(n));
    }
    return in_[i];
  }
  void Write(size_t i, std::string_view s) {
    ASSERT_EQ(send(conns_[i], s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  void Close(size_t i) {
    close(conns_[i]);
    conns_[i] = -1;
  }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> conns_;
  std::vector<std::string> in_;
};

struct Reply final : public ReplyReceiver {
  void OnReply(const protocol::Result& r) override {
    got = true;
    code = r.code;
  }
  bool got = false;
  ResultCode code = ResultCode::kOk;
};

class UpstreamServerTest : public testing::Test {
 protected:
  UpstreamServerTest() : connector_(&loop_) {}

  void Start(const std::string& address, int64_t heartbeat_ms, int64_t timeout_ms = 5000) {
    health::HealthOptions ho;
    ho.probe_delay_initial_ms = 1;
    ho.probe_jitter = 0;
    ho.max_down_share = 1.0;
    ho.timeouts_until_tko = 3;
    registry_ = std::make_unique<health::HealthRegistry>(ho);
    UpstreamSpec spec;
    spec.address = address;
    spec.pool = "A";
    registry_->Bind({spec}, false);
    UpstreamOptions uo;
    uo.server_timeout_ms = timeout_ms;
    uo.reconnect_initial_ms = 10;
    server_ = std::make_unique<UpstreamServer>(&loop_, &connector_, &clock_, spec, uo, 1, &flush_,
                                               registry_->Find(spec.key()), heartbeat_ms);
    server_->ConnectAll();
  }
  // Turns the loop, running the worker's flushes and health ticks, until done() (false after a
  // generous bound).
  template <class F>
  bool TurnUntil(F done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      loop_.RunOnce(5);
      clock_.Refresh();
      server_->Tick();
      for (UpstreamConnection* c : flush_) {
        if (c != nullptr) c->Flush();
      }
      flush_.clear();
    }
    return true;
  }
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
  HealthState state() const { return server_->health().state(); }
  // Waits for the probe of a down server (the connection that sent `mn`), answers it, and
  // returns that connection's index (0: no probe came).
  size_t AnswerProbe(FakeUpstream& up) {
    size_t probe_conn = 0;
    EXPECT_TRUE(TurnUntil([&] {
      const size_t n = up.Accept();
      for (size_t i = 1; i < n; ++i) {
        if (up.Read(i).find("mn\r\n") != std::string::npos) probe_conn = i;
      }
      return probe_conn != 0;
    }));
    if (probe_conn != 0) up.Write(probe_conn, "MN\r\n");
    return probe_conn;
  }

  net::EventLoop loop_;
  net::Connector connector_;
  CoarseClock clock_;
  std::vector<UpstreamConnection*> flush_;
  std::unique_ptr<health::HealthRegistry> registry_;
  std::unique_ptr<UpstreamServer> server_;
};

TEST_F(UpstreamServerTest, ALostConnectionMarksItDownAndSendsFailFast) {
  FakeUpstream up;
  Start(up.address(), 0);
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  EXPECT_EQ(server_->counters().hard_errors.Get(), 1u);
  Reply r;
  server_->Send(Get("k"), r);
  EXPECT_TRUE(r.got);  // before Send returned
  EXPECT_EQ(r.code, ResultCode::kTko);
  EXPECT_EQ(server_->counters().fail_fast.Get(), 1u);
  EXPECT_EQ(server_->counters().requests.Get(), 0u);
}

TEST_F(UpstreamServerTest, AProbeBringsItBack) {
  FakeUpstream up;
  Start(up.address(), 0);
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  // The probe: a connection (now) and an mn on it.
  size_t probe_conn = 0;
  ASSERT_TRUE(TurnUntil([&] {
    const size_t n = up.Accept();
    for (size_t i = 1; i < n; ++i) {
      if (up.Read(i).find("mn\r\n") != std::string::npos) probe_conn = i;
    }
    return probe_conn != 0;
  }));
  EXPECT_EQ(state(), HealthState::kDown);
  up.Write(probe_conn, "MN\r\n");
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kUp; }));
  EXPECT_GE(server_->counters().probes.Get(), 1u);
  EXPECT_EQ(server_->counters().requests.Get(), 0u);
  // Requests go out again.
  Reply r;
  server_->Send(Get("k"), r);
  EXPECT_FALSE(r.got);
  ASSERT_TRUE(TurnUntil([&] { return up.Read(probe_conn).find("mg k") != std::string::npos; }));
  up.Write(probe_conn, "EN\r\n");
  ASSERT_TRUE(TurnUntil([&] { return r.got; }));
  EXPECT_EQ(r.code, ResultCode::kNotFound);
}

class HoldingHook final : public health::RecoveryHook {
 public:
  bool BeginRecovery(health::ServerHealth& s) override {
    server = &s;
    return true;
  }
  health::ServerHealth* server = nullptr;
};

TEST_F(UpstreamServerTest, WhileRecoveringReadsFailFastAndWritesPass) {
  FakeUpstream up;
  Start(up.address(), 0);
  HoldingHook hook;
  registry_->SetRecoveryHook(&hook);
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  const size_t probe_conn = AnswerProbe(up);
  ASSERT_NE(probe_conn, 0u);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kRecovering; }));
  ASSERT_NE(hook.server, nullptr);
  Reply read;
  server_->Send(Get("k"), read);
  EXPECT_TRUE(read.got);
  EXPECT_EQ(read.code, ResultCode::kTko);
  protocol::Request del;
  del.op = protocol::Op::kDelete;
  del.protocol = protocol::Protocol::kMeta;
  del.key = "k";
  del.keys = "k";
  Reply write;
  server_->Send(del, write);
  EXPECT_FALSE(write.got);
  ASSERT_TRUE(TurnUntil([&] { return up.Read(probe_conn).find("md k") != std::string::npos; }));
  up.Write(probe_conn, "NF\r\n");
  ASSERT_TRUE(TurnUntil([&] { return write.got; }));
  EXPECT_EQ(write.code, ResultCode::kNotFound);
  hook.server->FinishRecovery();
  EXPECT_EQ(state(), HealthState::kUp);
}

TEST_F(UpstreamServerTest, AnIdleConnectionGetsHeartbeatsThatAreNotClientRequests) {
  FakeUpstream up;
  Start(up.address(), 20);
  ASSERT_TRUE(TurnUntil([&] { return up.Accept() == 1; }));
  ASSERT_TRUE(TurnUntil([&] { return up.Read(0).find("mn\r\n") != std::string::npos; }));
  up.Write(0, "MN\r\n");
  ASSERT_TRUE(TurnUntil([&] { return server_->counters().heartbeats.Get() >= 2; }));
  EXPECT_EQ(server_->counters().requests.Get(), 0u);
  EXPECT_EQ(server_->counters().in_flight.Get(), 0u);
  EXPECT_EQ(server_->counters().heartbeat_failures.Get(), 0u);
  EXPECT_EQ(state(), HealthState::kUp);
}

TEST_F(UpstreamServerTest, AHeartbeatThatTimesOutReplacesItsConnection) {
  FakeUpstream up;
  Start(up.address(), 20, 50);
  ASSERT_TRUE(TurnUntil([&] { return up.Accept() == 1; }));
  ASSERT_TRUE(TurnUntil([&] { return up.Read(0).find("mn\r\n") != std::string::npos; }));
  // No answer: a soft error, and a new connection instead of the silent one.
  ASSERT_TRUE(TurnUntil([&] { return up.Accept() >= 2; }));
  EXPECT_GE(server_->counters().soft_errors.Get(), 1u);
  EXPECT_GE(server_->counters().heartbeat_failures.Get(), 1u);
  EXPECT_EQ(server_->counters().hard_errors.Get(), 0u);  // replaced on purpose, not lost
  // Silent heartbeats in a row: marked down after --timeouts-until-tko of them.
  ASSERT_TRUE(TurnUntil([&] {
    up.Accept();
    return state() == HealthState::kDown;
  }));
  EXPECT_EQ(server_->counters().soft_errors.Get(), 3u);
}

// --- the write log: where a logged write goes, and the replay after a probe.

// The router's hook, reduced: a server whose log has work stays recovering.
class WriteLogHook final : public health::RecoveryHook {
 public:
  explicit WriteLogHook(ServerWriteLog* w) : wlog(w) {}
  bool BeginRecovery(health::ServerHealth&) override { return wlog->log().HasWork(); }
  ServerWriteLog* wlog;
};

protocol::Request Delete(std::string_view key) {
  protocol::Request r;
  r.op = protocol::Op::kDelete;
  r.protocol = protocol::Protocol::kMeta;
  r.key = key;
  r.keys = key;
  return r;
}

class UpstreamServerWriteLogTest : public UpstreamServerTest {
 protected:
  void StartLogged(const std::string& address, int64_t timeout_ms = 5000) {
    Start(address, 0, timeout_ms);
    writelog::WriteLogOptions o;
    o.dir = dir_.path();
    auto log = writelog::WriteLog::Open(dir_.File("s.wlog"), address, o);
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_ = std::move(log.value());
    wlog_ = std::make_unique<ServerWriteLog>(log_.get());
    hook_ = std::make_unique<WriteLogHook>(wlog_.get());
    registry_->SetRecoveryHook(hook_.get());
    server_->SetWriteLog(wlog_.get());
  }
  uint64_t records() const { return log_->stats().records; }

  writelog::testing::TempDir dir_;
  std::unique_ptr<writelog::WriteLog> log_;
  std::unique_ptr<ServerWriteLog> wlog_;
  std::unique_ptr<WriteLogHook> hook_;
};

TEST_F(UpstreamServerWriteLogTest, AWriteToADownServerIsLoggedAndReplayedBeforeItIsUp) {
  FakeUpstream up;
  StartLogged(up.address());
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  Reply write;
  server_->Send(Delete("k1"), write);
  EXPECT_TRUE(write.got);  // logged, not sent: the route sees the fail-fast error
  EXPECT_EQ(write.code, ResultCode::kTko);
  EXPECT_EQ(records(), 1u);
  EXPECT_EQ(server_->counters().wlog_deferred.Get(), 1u);
  // A read is not logged, and fails fast.
  Reply read;
  server_->Send(Get("k1"), read);
  EXPECT_EQ(read.code, ResultCode::kTko);
  EXPECT_EQ(records(), 1u);

  // The probe brings it back; the hook keeps it recovering; this server replays the log on
  // its first connection (the probe's).
  size_t conn = 0;
  ASSERT_TRUE(TurnUntil([&] {
    const size_t n = up.Accept();
    for (size_t i = 1; i < n; ++i) {
      if (up.Read(i).find("mn\r\n") != std::string::npos) conn = i;
    }
    return conn != 0;
  }));
  up.Write(conn, "MN\r\n");
  ASSERT_TRUE(TurnUntil([&] { return up.Read(conn).find("k1") != std::string::npos; }));
  EXPECT_EQ(state(), HealthState::kRecovering);
  // A write while the replay runs queues behind it, in the log.
  Reply during;
  server_->Send(Delete("k2"), during);
  EXPECT_EQ(during.code, ResultCode::kTko);
  EXPECT_EQ(records(), 2u);
  const bool meta = up.Read(conn).find("md k1") != std::string::npos;
  up.Write(conn, meta ? "NF\r\n" : "NOT_FOUND\r\n");
  ASSERT_TRUE(TurnUntil([&] { return up.Read(conn).find("k2") != std::string::npos; }));
  up.Write(conn, meta ? "HD\r\n" : "DELETED\r\n");
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kUp; }));
  EXPECT_EQ(records(), 0u);
  EXPECT_EQ(log_->stats().replayed, 2u);
  EXPECT_EQ(server_->counters().wlog_replays.Get(), 1u);
  // Up with an empty log: writes go to the server again.
  const protocol::Request k3 = Delete("k3");
  Reply after;
  server_->Send(k3, after);
  EXPECT_FALSE(after.got);
  ASSERT_TRUE(TurnUntil([&] { return up.Read(conn).find("k3") != std::string::npos; }));
  up.Write(conn, meta ? "NF\r\n" : "NOT_FOUND\r\n");
  ASSERT_TRUE(TurnUntil([&] { return after.got; }));
  EXPECT_EQ(after.code, ResultCode::kNotFound);
  EXPECT_EQ(records(), 0u);
  ASSERT_TRUE(TurnUntil([&] { return !server_->replaying(); }));
}

TEST_F(UpstreamServerWriteLogTest, AWriteThatTimesOutIsLoggedInOrderAndTakesTheServerDown) {
  FakeUpstream up;
  StartLogged(up.address(), /*timeout_ms=*/100);
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  // Kept until their replies, as a request's context keeps them (UpstreamServer's REQUIRES).
  const protocol::Request a = Delete("a"), b = Delete("b");
  Reply first, second;
  server_->Send(a, first);
  server_->Send(b, second);
  ASSERT_TRUE(TurnUntil([&] { return up.Read(0).find("b") != std::string::npos; }));
  EXPECT_EQ(records(), 0u);
  // No answer: the first times out, is logged and takes the server down; the second, still in
  // flight, is failed and logged behind it.
  ASSERT_TRUE(TurnUntil([&] { return first.got && second.got; }));
  EXPECT_EQ(first.code, ResultCode::kTimeout);
  EXPECT_EQ(second.code, ResultCode::kConnectError);
  EXPECT_EQ(state(), HealthState::kDown);
  EXPECT_EQ(records(), 2u);
  writelog::ReplayBatch batch;
  ASSERT_TRUE(log_->ReadForReplay(0, 10, &batch).ok());
  ASSERT_EQ(batch.entries.size(), 2u);
  EXPECT_EQ(batch.entries[0].record.key, "a");
  EXPECT_EQ(batch.entries[1].record.key, "b");
  EXPECT_EQ(server_->counters().wlog_failed.Get(), 2u);
}

TEST_F(UpstreamServerWriteLogTest, AGatedReplayWaitsWhileResyncingThenRunsBeforeReads) {
  FakeUpstream up;
  StartLogged(up.address());
  wlog_ = std::make_unique<ServerWriteLog>(log_.get(), /*gated=*/true);
  HoldingHook hook;  // the resync's part, reduced: every comeback waits for its permission
  registry_->SetRecoveryHook(&hook);
  server_->SetWriteLog(wlog_.get());
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  // Down: k1 goes to the log (the probe waits out its first delay).
  const protocol::Request k1 = Delete("k1");
  Reply w1;
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  server_->Send(k1, w1);
  EXPECT_EQ(w1.code, ResultCode::kTko);
  const size_t conn = AnswerProbe(up);
  ASSERT_NE(conn, 0u);
  ASSERT_TRUE(TurnUntil([&] { return hook.server != nullptr; }));
  EXPECT_EQ(state(), HealthState::kRecovering);
  // The hook found a new process and copies to it: resyncing. Nothing is replayed meanwhile,
  // reads fail fast and writes go to the log behind k1.
  ASSERT_TRUE(hook.server->BeginResync());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  TurnUntil([&] { return std::chrono::steady_clock::now() > deadline; });
  EXPECT_EQ(up.Read(conn).find("k1"), std::string::npos);
  EXPECT_FALSE(server_->replaying());
  Reply read;
  server_->Send(Get("k1"), read);
  EXPECT_EQ(read.code, ResultCode::kTko);
  const protocol::Request k2 = Delete("k2");
  Reply w2;
  server_->Send(k2, w2);
  EXPECT_EQ(w2.code, ResultCode::kTko);
  EXPECT_EQ(records(), 2u);
  EXPECT_EQ(state(), HealthState::kResyncing);
  // The copy is done: recovering, and the replay is allowed; it runs in order, then up.
  ASSERT_TRUE(hook.server->EndResync());
  wlog_->AllowReplay(hook.server->recoveries());
  ASSERT_TRUE(TurnUntil([&] { return up.Read(conn).find("k1") != std::string::npos; }));
  const bool meta = up.Read(conn).find("md k1") != std::string::npos;
  up.Write(conn, meta ? "NF\r\n" : "NOT_FOUND\r\n");
  ASSERT_TRUE(TurnUntil([&] { return up.Read(conn).find("k2") != std::string::npos; }));
  up.Write(conn, meta ? "NF\r\n" : "NOT_FOUND\r\n");
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kUp; }));
  EXPECT_EQ(records(), 0u);
  // The permission was for that recovery only: the next one waits for the hook again.
  EXPECT_FALSE(wlog_->replay_allowed(hook.server->recoveries() + 1));
  ASSERT_TRUE(TurnUntil([&] { return !server_->replaying(); }));
}

TEST_F(UpstreamServerWriteLogTest, AServerWithoutALogFailsFastAndLogsNothing) {
  FakeUpstream up;
  StartLogged(up.address());
  server_->SetWriteLog(nullptr);
  ASSERT_TRUE(
      TurnUntil([&] { return up.Accept() == 1 && server_->state_name() == std::string("up"); }));
  up.Close(0);
  ASSERT_TRUE(TurnUntil([&] { return state() == HealthState::kDown; }));
  Reply write;
  server_->Send(Delete("k"), write);
  EXPECT_EQ(write.code, ResultCode::kTko);
  EXPECT_EQ(records(), 0u);
}

}  // namespace
}  // namespace memfleet::router
