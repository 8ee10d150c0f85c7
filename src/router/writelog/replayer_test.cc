#include "router/writelog/replayer.h"

#include <gtest/gtest.h>

#include <deque>

#include "protocol/translate.h"
#include "router/writelog/test_util.h"

namespace memfleet::router::writelog {
namespace {

using protocol::Op;
using protocol::ResultCode;
using testing::FileSize;
using testing::OwnedRequest;
using testing::TempDir;

// A server that executes requests in the order sent: it keeps what was sent (composed as the
// upstream would see it) and the receivers, and the test answers them in order.
class FakeSink : public ReplaySink {
 public:
  void Send(const protocol::Request& req, ReplyReceiver& done) override {
    std::string wire;
    protocol::ComposeUpstreamRequest(req, &wire);
    sent.push_back(wire);
    keys.push_back(std::string(req.key));
    if (fail_fast) {
      protocol::Result r;
      r.code = ResultCode::kTko;
      done.OnReply(r);
      return;
    }
    if (answer_at_once) {
      protocol::Result r;
      r.code = req.op == Op::kFlushAll ? ResultCode::kOk : ResultCode::kStored;
      done.OnReply(r);
      return;
    }
    pending.push_back(&done);
  }
  // Answers the oldest request in flight.
  void Reply(ResultCode code) {
    ASSERT_FALSE(pending.empty());
    ReplyReceiver* r = pending.front();
    pending.pop_front();
    protocol::Result res;
    res.code = code;
    r->OnReply(res);
  }
  std::vector<std::string> sent;
  std::vector<std::string> keys;
  std::deque<ReplyReceiver*> pending;
  bool fail_fast = false;
  bool answer_at_once = false;
};

struct Done {
  int calls = 0;
  ReplayOutcome outcome = ReplayOutcome::kFailed;
  std::string error;
  WriteLogReplayer::DoneFn Fn() {
    return [this](ReplayOutcome o, std::string_view e) {
      ++calls;
      outcome = o;
      error = std::string(e);
    };
  }
};

std::unique_ptr<WriteLog> OpenLog(const std::string& path, const WriteLogOptions& o = {}) {
  auto log = WriteLog::Open(path, "127.0.0.1:1", o);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.status().message());
  return log.ok() ? std::move(log.value()) : nullptr;
}

void AppendKeys(WriteLog& log, int from, int to) {
  for (int i = from; i < to; ++i) {
    OwnedRequest r(Op::kSet, "k" + std::to_string(i), "v" + std::to_string(i));
    ASSERT_EQ(log.Append(r.req), AppendOutcome::kAppended);
  }
}

std::vector<std::string> Keys(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("k" + std::to_string(i));
  return out;
}

TEST(WriteLogReplayerTest, ReplaysInOrderWithinTheWindowIncludingAppendsThatArriveMeanwhile) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  auto log = OpenLog(path);
  AppendKeys(*log, 0, 10);
  FakeSink sink;
  Done done;
  bool up = false;
  ReplayOptions opt;
  opt.window = 3;
  opt.read_batch = 4;
  WriteLogReplayer rp(
      *log, sink, opt, [&] { up = true; }, done.Fn());
  rp.Start();
  EXPECT_EQ(sink.pending.size(), 3u);  // the window, no more
  for (int i = 0; i < 5; ++i) sink.Reply(ResultCode::kStored);
  // Writes arriving during the replay go behind it (the server is not up yet).
  for (int i = 10; i < 12; ++i) {
    OwnedRequest r(Op::kSet, "k" + std::to_string(i), "v");
    ASSERT_EQ(log->Append(r.req, [&] { return !up; }), AppendOutcome::kAppended);
  }
  while (!sink.pending.empty()) {
    EXPECT_LE(sink.pending.size(), 3u);
    sink.Reply(sink.sent.size() % 2 ? ResultCode::kStored : ResultCode::kNotStored);
  }
  EXPECT_EQ(sink.keys, Keys(0, 12));
  EXPECT_EQ(sink.sent[0], "ms k0 2 F0 T0\r\nv0\r\n");
  ASSERT_EQ(done.calls, 1);
  EXPECT_EQ(done.outcome, ReplayOutcome::kCaughtUp);
  EXPECT_TRUE(up);
  EXPECT_FALSE(log->HasWork());
  EXPECT_EQ(rp.replayed(), 12u);
  EXPECT_EQ(log->stats().replayed, 12u);
  EXPECT_EQ(log->stats().records, 0u);
  EXPECT_TRUE(rp.idle());
  // Emptied on disk; and once up, a write is the caller's to send, never left in the log.
  log.reset();
  log = OpenLog(path);
  EXPECT_FALSE(log->HasWork());
  OwnedRequest late(Op::kDelete, "late");
  EXPECT_EQ(log->Append(late.req, [&] { return !up; }), AppendOutcome::kServerUp);
  // Sequence numbers go on after the emptied records.
  up = false;
  ASSERT_EQ(log->Append(late.req, [&] { return !up; }), AppendOutcome::kAppended);
  ReplayBatch b;
  ASSERT_TRUE(log->ReadForReplay(0, 10, &b).ok());
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(b.entries[0].record.seq, 13u);
}

TEST(WriteLogReplayerTest, AFailedReplayKeepsTheRecordsNotReplayedAcrossAReopen) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  auto log = OpenLog(path);
  AppendKeys(*log, 0, 10);
  FakeSink sink;
  Done done;
  bool up = false;
  ReplayOptions opt;
  opt.window = 2;
  {
    WriteLogReplayer rp(
        *log, sink, opt, [&] { up = true; }, done.Fn());
    rp.Start();
    for (int i = 0; i < 4; ++i) sink.Reply(ResultCode::kStored);
    sink.Reply(ResultCode::kConnectError);  // k4: the server died again
    EXPECT_EQ(done.calls, 0);               // k5 is still in flight
    sink.Reply(ResultCode::kStored);
    ASSERT_EQ(done.calls, 1);
    EXPECT_EQ(done.outcome, ReplayOutcome::kFailed);
    EXPECT_NE(done.error.find("seq 5"), std::string::npos) << done.error;
    EXPECT_TRUE(sink.pending.empty());
    EXPECT_TRUE(rp.idle());
  }
  EXPECT_FALSE(up);
  EXPECT_TRUE(log->HasWork());
  EXPECT_EQ(log->stats().records, 6u);
  EXPECT_EQ(log->stats().replayed, 4u);
  log.reset();
  log = OpenLog(path);
  EXPECT_EQ(log->stats().records, 6u);
  // The next replay starts at the first record that failed.
  FakeSink sink2;
  Done done2;
  WriteLogReplayer rp2(
      *log, sink2, opt, [&] { up = true; }, done2.Fn());
  rp2.Start();
  while (!sink2.pending.empty()) sink2.Reply(ResultCode::kStored);
  EXPECT_EQ(sink2.keys, Keys(4, 10));
  EXPECT_EQ(done2.outcome, ReplayOutcome::kCaughtUp);
  EXPECT_TRUE(up);
}

TEST(WriteLogReplayerTest, RepliesInsideSendNeitherRecurseNorLoseOrder) {
  TempDir dir;
  auto log = OpenLog(dir.File("a.wlog"));
  AppendKeys(*log, 0, 500);
  FakeSink sink;
  sink.answer_at_once = true;
  Done done;
  ReplayOptions opt;
  opt.window = 8;
  opt.commit_every = 50;
  WriteLogReplayer rp(*log, sink, opt, nullptr, done.Fn());
  rp.Start();
  EXPECT_EQ(sink.keys, Keys(0, 500));
  EXPECT_EQ(done.outcome, ReplayOutcome::kCaughtUp);
  EXPECT_FALSE(log->HasWork());

  AppendKeys(*log, 0, 3);
  FakeSink dead;
  dead.fail_fast = true;
  Done done2;
  WriteLogReplayer rp2(*log, dead, opt, nullptr, done2.Fn());
  rp2.Start();
  EXPECT_EQ(done2.calls, 1);
  EXPECT_EQ(done2.outcome, ReplayOutcome::kFailed);
  EXPECT_EQ(log->stats().records, 3u);
}

TEST(WriteLogReplayerTest, ARecordNoServerAcceptsIsSkippedNotRetriedForever) {
  TempDir dir;
  auto log = OpenLog(dir.File("a.wlog"));
  AppendKeys(*log, 0, 3);
  FakeSink sink;
  Done done;
  WriteLogReplayer rp(*log, sink, {}, nullptr, done.Fn());
  rp.Start();
  sink.Reply(ResultCode::kStored);
  sink.Reply(ResultCode::kClientError);
  sink.Reply(ResultCode::kNotFound);
  EXPECT_EQ(done.outcome, ReplayOutcome::kCaughtUp);
  EXPECT_EQ(rp.replayed(), 2u);
  EXPECT_EQ(rp.skipped(), 1u);
}

TEST(WriteLogReplayerTest, ALogThatNeedsAResyncFlushesTheServerAndClearsTheMark) {
  TempDir dir;
  WriteLogOptions o;
  o.max_bytes = 300;
  auto log = OpenLog(dir.File("a.wlog"), o);
  for (int i = 0; i < 10; ++i) {
    OwnedRequest r(Op::kSet, "k" + std::to_string(i), std::string(40, 'v'));
    log->Append(r.req);
  }
  ASSERT_TRUE(log->needs_resync());
  {
    FakeSink sink;
    Done done;
    ReplayOptions opt;
    opt.flush_on_resync = false;
    WriteLogReplayer rp(*log, sink, opt, nullptr, done.Fn());
    rp.Start();
    EXPECT_EQ(done.outcome, ReplayOutcome::kNeedsResync);
    EXPECT_TRUE(sink.sent.empty());
  }
  FakeSink sink;
  Done done;
  bool up = false;
  WriteLogReplayer rp(
      *log, sink, {}, [&] { up = true; }, done.Fn());
  rp.Start();
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0], "flush_all\r\n");
  EXPECT_EQ(done.calls, 0);
  sink.Reply(ResultCode::kOk);
  EXPECT_EQ(done.outcome, ReplayOutcome::kResynced);
  EXPECT_TRUE(up);
  EXPECT_FALSE(log->needs_resync());
  EXPECT_FALSE(log->HasWork());
}

TEST(WriteLogReplayerTest, TheBoundPassedDuringAReplayTurnsItIntoAResync) {
  TempDir dir;
  WriteLogOptions o;
  o.max_bytes = 400;
  auto log = OpenLog(dir.File("a.wlog"), o);
  AppendKeys(*log, 0, 3);
  FakeSink sink;
  Done done;
  ReplayOptions opt;
  opt.window = 1;
  WriteLogReplayer rp(*log, sink, opt, nullptr, done.Fn());
  rp.Start();
  sink.Reply(ResultCode::kStored);
  for (int i = 0; i < 10; ++i) {
    OwnedRequest r(Op::kSet, "big" + std::to_string(i), std::string(60, 'v'));
    log->Append(r.req);
  }
  ASSERT_TRUE(log->needs_resync());
  sink.Reply(ResultCode::kStored);  // k1, in flight when the log was emptied
  ASSERT_EQ(sink.sent.size(), 3u);
  EXPECT_EQ(sink.sent.back(), "flush_all\r\n");
  sink.Reply(ResultCode::kOk);
  EXPECT_EQ(done.outcome, ReplayOutcome::kResynced);
  EXPECT_FALSE(log->HasWork());
}

TEST(WriteLogReplayerTest, RecordsComposeAsUpstreamRequestsFromTheirNeutralFields) {
  LogRecord r;
  r.op = Op::kIncr;
  r.key = std::string("a b", 3);  // meta cannot carry a space: base64
  r.delta = 5;
  std::string wire;
  protocol::ComposeUpstreamRequest(r.ToRequest(), &wire);
  EXPECT_EQ(wire, "ma YSBi b v D5\r\n");
  TempDir dir;
  auto log = OpenLog(dir.File("a.wlog"));
  OwnedRequest cas(Op::kCas, "c", "val");
  cas.req.cas = 77;
  cas.req.client_flags = 3;
  cas.req.exptime = 60;
  log->Append(cas.req);
  ReplayBatch b;
  ASSERT_TRUE(log->ReadForReplay(0, 1, &b).ok());
  wire.clear();
  protocol::ComposeUpstreamRequest(b.entries[0].record.ToRequest(), &wire);
  EXPECT_EQ(wire, "ms c 3 F3 T60\r\nval\r\n");  // a set: no C77
}

}  // namespace
}  // namespace memfleet::router::writelog
