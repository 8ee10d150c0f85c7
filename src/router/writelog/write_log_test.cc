#include "router/writelog/write_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "protocol/meta/meta.h"
#include "router/writelog/record_scanner.h"
#include "router/writelog/test_util.h"
#include "router/writelog/write_log_set.h"

namespace memfleet::router::writelog {
namespace {

using protocol::Op;
using testing::FileSize;
using testing::OwnedRequest;
using testing::RandomBytes;
using testing::TempDir;

constexpr std::string_view kAddr = "127.0.0.1:11211";

std::unique_ptr<WriteLog> OpenLog(const std::string& path, const WriteLogOptions& o = {}) {
  Result<std::unique_ptr<WriteLog>> log = WriteLog::Open(path, kAddr, o);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.status().message());
  return log.ok() ? std::move(log.value()) : nullptr;
}

std::vector<LogRecord> ReadAll(WriteLog& log) {
  std::vector<LogRecord> out;
  ReplayBatch batch;
  uint64_t offset = 0;
  for (;;) {
    Status s = log.ReadForReplay(offset, 7, &batch);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok() || batch.entries.empty()) return out;
    for (auto& e : batch.entries) out.push_back(std::move(e.record));
    offset = batch.entries.back().end_offset;
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void AppendSets(WriteLog& log, int n, std::string_view prefix = "k") {
  for (int i = 0; i < n; ++i) {
    OwnedRequest r(Op::kSet, std::string(prefix) + std::to_string(i), "value" + std::to_string(i));
    ASSERT_EQ(log.Append(r.req), AppendOutcome::kAppended);
  }
}

TEST(WriteLogTest, EveryLoggedOpRoundTripsWithRandomKeysAndValues) {
  TempDir dir;
  int64_t now = 1700000000000;
  WriteLogOptions o;
  o.wall_ms = [&] { return now; };
  auto log = OpenLog(dir.File("a.wlog"), o);
  std::mt19937_64 rng(12);
  const Op ops[] = {Op::kSet,    Op::kAdd,   Op::kReplace, Op::kAppend, Op::kPrepend, Op::kCas,
                    Op::kDelete, Op::kTouch, Op::kGat,     Op::kGats,   Op::kIncr,    Op::kDecr};
  struct Want {
    Op op;
    std::string key, value;
    uint32_t flags;
    int64_t exptime;
    uint64_t delta, initial;
    bool create;
    int64_t time;
  };
  std::vector<Want> want;
  for (int round = 0; round < 20; ++round) {
    for (Op op : ops) {
      bool binary = rng() % 2 == 0;
      std::string key = RandomBytes(rng, 1 + rng() % 250, binary);
      size_t vlen = rng() % 3 == 0 ? 0 : rng() % 5000;
      OwnedRequest r(op, key, protocol::IsStorage(op) ? RandomBytes(rng, vlen, true) : "");
      r.req.protocol = binary ? protocol::Protocol::kBinary : protocol::Protocol::kText;
      r.req.client_flags = static_cast<uint32_t>(rng());
      r.req.exptime = static_cast<int64_t>(rng() % 100000) - 10;
      r.req.cas = rng();
      r.req.delta = rng();
      r.req.initial = rng();
      r.req.create = binary && rng() % 2 == 0;
      now += 17;
      ASSERT_EQ(log->Append(r.req), AppendOutcome::kAppended);
      Want w{op, key, "", 0, 0, 0, 0, false, now};
      if (op == Op::kCas) w.op = Op::kSet;
      if (op == Op::kGat || op == Op::kGats) w.op = Op::kTouch;
      if (protocol::IsStorage(op)) {
        w.value = r.value;
        w.flags = r.req.client_flags;
        w.exptime = r.req.exptime;
      }
      if (w.op == Op::kTouch) w.exptime = r.req.exptime;
      if (op == Op::kIncr || op == Op::kDecr) {
        w.delta = r.req.delta;
        w.initial = r.req.initial;
        w.create = r.req.create;
        w.exptime = r.req.create ? r.req.exptime : 0;
      }
      want.push_back(w);
    }
  }
  std::vector<LogRecord> got = ReadAll(*log);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].seq, i + 1);
    EXPECT_EQ(got[i].time_ms, want[i].time);
    EXPECT_EQ(got[i].op, want[i].op);
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].value, want[i].value);
    EXPECT_EQ(got[i].client_flags, want[i].flags);
    EXPECT_EQ(got[i].exptime, want[i].exptime);
    EXPECT_EQ(got[i].delta, want[i].delta);
    EXPECT_EQ(got[i].initial, want[i].initial);
    EXPECT_EQ(got[i].create, want[i].create);
  }
  WriteLogStats s = log->stats();
  EXPECT_EQ(s.records, want.size());
  EXPECT_EQ(s.appended, want.size());
  EXPECT_EQ(s.bytes, FileSize(dir.File("a.wlog")));
  EXPECT_TRUE(log->HasWork());
}

TEST(WriteLogTest, AMetaBase64KeyIsLoggedDecoded) {
  TempDir dir;
  auto log = OpenLog(dir.File("a.wlog"));
  std::string raw("k\0 y\n", 5);
  std::string b64(protocol::meta::Base64EncodedSize(raw.size()), '\0');
  b64.resize(protocol::meta::Base64Encode(raw, b64.data()));
  OwnedRequest r(Op::kDelete, b64);
  r.req.protocol = protocol::Protocol::kMeta;
  r.req.meta.base64_key = true;
  ASSERT_EQ(log->Append(r.req), AppendOutcome::kAppended);
  auto got = ReadAll(*log);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, raw);
}

TEST(WriteLogTest, ReopenKeepsRecordsAndContinuesTheSequence) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  {
    auto log = OpenLog(path);
    AppendSets(*log, 5);
  }
  auto log = OpenLog(path);
  WriteLogStats s = log->stats();
  EXPECT_EQ(s.records, 5u);
  EXPECT_EQ(s.truncated_bytes, 0u);
  EXPECT_TRUE(s.last_error.empty()) << s.last_error;
  EXPECT_TRUE(log->HasWork());
  AppendSets(*log, 2, "new");
  auto got = ReadAll(*log);
  ASSERT_EQ(got.size(), 7u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i + 1);
  EXPECT_EQ(got[4].key, "k4");
  EXPECT_EQ(got[4].value, "value4");
  EXPECT_EQ(got[6].key, "new1");
}

TEST(WriteLogTest, AnotherServersLogOrAFileThatIsNoLogIsRefused) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  { OpenLog(path); }
  auto other = WriteLog::Open(path, "10.0.0.1:1", {});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("is for server '127.0.0.1:11211'"), std::string::npos);
  WriteFile(dir.File("junk.wlog"), "hello, this is not a log at all, not even a little bit....");
  auto junk = WriteLog::Open(dir.File("junk.wlog"), kAddr, {});
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("bad magic"), std::string::npos);
  std::string bytes = ReadFile(path);
  bytes[30] ^= 1;  // inside the header: its checksum no longer matches
  WriteFile(path, bytes);
  auto bad = WriteLog::Open(path, kAddr, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos);
}

TEST(WriteLogTest, ATornTailAtEveryByteOfTheLastRecordIsCutCleanly) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  uint64_t before_last = 0;
  {
    auto log = OpenLog(path);
    AppendSets(*log, 2);
    before_last = FileSize(path);
    OwnedRequest r(Op::kSet, "last", "the last value");
    ASSERT_EQ(log->Append(r.req), AppendOutcome::kAppended);
  }
  const std::string whole = ReadFile(path);
  for (uint64_t cut = before_last + 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE(cut);
    std::string torn_path = dir.File("torn.wlog");
    WriteFile(torn_path, std::string_view(whole).substr(0, cut));
    auto log = OpenLog(torn_path);
    ASSERT_NE(log, nullptr);
    WriteLogStats s = log->stats();
    EXPECT_EQ(s.records, 2u);
    EXPECT_EQ(s.truncated_bytes, cut - before_last);
    EXPECT_FALSE(s.needs_resync);
    EXPECT_NE(s.last_error.find("torn record at offset " + std::to_string(before_last)),
              std::string::npos)
        << s.last_error;
    EXPECT_EQ(FileSize(torn_path), before_last);
    // The log goes on from the cut, and its next record reads back after a reopen.
    OwnedRequest r(Op::kDelete, "after");
    ASSERT_EQ(log->Append(r.req), AppendOutcome::kAppended);
    log.reset();
    log = OpenLog(torn_path);
    auto got = ReadAll(*log);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[2].key, "after");
    EXPECT_EQ(got[2].seq, 3u);
  }
}

TEST(WriteLogTest, ACorruptRecordIsReportedWithItsOffsetAndMarksAResync) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  uint64_t second = 0;
  {
    auto log = OpenLog(path);
    AppendSets(*log, 1);
    second = FileSize(path);
    AppendSets(*log, 3, "x");
  }
  std::string bytes = ReadFile(path);
  bytes[second + kRecordFixedSize] ^= 0x40;  // the second record's key
  WriteFile(path, bytes);
  auto log = OpenLog(path);
  WriteLogStats s = log->stats();
  EXPECT_TRUE(s.needs_resync);
  EXPECT_NE(s.last_error.find("corrupt record at offset " + std::to_string(second)),
            std::string::npos)
      << s.last_error;
  EXPECT_NE(s.last_error.find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(s.records, 0u);
  EXPECT_EQ(s.dropped, 1u);  // the good record before the damage: the server is resynced anyway
  EXPECT_TRUE(log->HasWork());
}

TEST(WriteLogTest, PassingTheBoundMarksANeedForResyncThatSurvivesAReopen) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  WriteLogOptions o;
  o.max_bytes = 1000;
  int appended = 0;
  {
    auto log = OpenLog(path, o);
    for (;;) {
      OwnedRequest r(Op::kSet, "key" + std::to_string(appended), std::string(50, 'v'));
      AppendOutcome out = log->Append(r.req);
      if (out == AppendOutcome::kDropped) break;
      ASSERT_EQ(out, AppendOutcome::kAppended);
      ++appended;
      ASSERT_LT(appended, 100);
    }
    EXPECT_GT(appended, 5);
    WriteLogStats s = log->stats();
    EXPECT_TRUE(s.needs_resync);
    EXPECT_EQ(s.records, 0u);
    EXPECT_EQ(s.dropped, static_cast<uint64_t>(appended) + 1);
    EXPECT_NE(s.last_error.find("--write-log-max-bytes"), std::string::npos);
    EXPECT_LE(FileSize(path), 1000u);
    OwnedRequest more(Op::kDelete, "more");
    EXPECT_EQ(log->Append(more.req), AppendOutcome::kDropped);
    EXPECT_EQ(log->stats().dropped, static_cast<uint64_t>(appended) + 2);
  }
  {
    auto log = OpenLog(path, o);
    EXPECT_TRUE(log->needs_resync());
    EXPECT_TRUE(log->HasWork());
    EXPECT_EQ(log->stats().dropped, static_cast<uint64_t>(appended) + 2);
    bool called = false;
    ASSERT_TRUE(log->ClearResync([&] { called = true; }).ok());
    EXPECT_TRUE(called);
    EXPECT_FALSE(log->HasWork());
  }
  auto log = OpenLog(path, o);
  EXPECT_FALSE(log->needs_resync());
  EXPECT_FALSE(log->HasWork());
  AppendSets(*log, 2);
  EXPECT_EQ(ReadAll(*log).size(), 2u);
}

TEST(WriteLogTest, TheGateRunsUnderTheLockAndAnUpServerGetsNothingLogged) {
  TempDir dir;
  auto log = OpenLog(dir.File("a.wlog"));
  OwnedRequest r(Op::kSet, "k", "v");
  EXPECT_EQ(log->Append(r.req, [] { return false; }), AppendOutcome::kServerUp);
  EXPECT_FALSE(log->HasWork());
  EXPECT_EQ(log->stats().appended, 0u);
  EXPECT_EQ(log->Append(r.req, [] { return true; }), AppendOutcome::kAppended);
  EXPECT_TRUE(log->HasWork());
}

TEST(WriteLogTest, AppendsFromManyThreadsGetOneOrderWithNothingLost) {
  TempDir dir;
  std::string path = dir.File("a.wlog");
  auto log = OpenLog(path);
  constexpr int kThreads = 4, kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        OwnedRequest r(Op::kSet, "t" + std::to_string(t) + "-" + std::to_string(i), "v");
        EXPECT_EQ(log->Append(r.req), AppendOutcome::kAppended);
      }
    });
  }
  for (auto& th : threads) th.join();
  log.reset();
  log = OpenLog(path);
  auto got = ReadAll(*log);
  ASSERT_EQ(got.size(), size_t{kThreads * kEach});
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, i + 1);
    // Each thread's writes keep their order.
    int t = got[i].key[1] - '0';
    EXPECT_EQ(got[i].key, "t" + std::to_string(t) + "-" + std::to_string(next[t]++));
  }
}

TEST(WriteLogTest, FsyncAlwaysSyncsEveryAppend) {
  TempDir dir;
  WriteLogOptions o;
  o.fsync = FsyncPolicy::kAlways;
  auto log = OpenLog(dir.File("a.wlog"), o);
  AppendSets(*log, 4);
  EXPECT_EQ(log->stats().syncs, 4u);
}

TEST(WriteLogTest, FsyncNeverLeavesItToTheKernel) {
  TempDir dir;
  WriteLogOptions o;
  o.fsync = FsyncPolicy::kNever;
  auto log = OpenLog(dir.File("a.wlog"), o);
  AppendSets(*log, 4);
  EXPECT_EQ(log->stats().syncs, 0u);
}

TEST(WriteLogTest, FsyncIntervalSyncsWhenTheIntervalHasPassedOrTheFlusherAsks) {
  TempDir dir;
  int64_t now = 0;
  WriteLogOptions o;
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval_ms = 1000;
  o.steady_ms = [&] { return now; };
  auto log = OpenLog(dir.File("a.wlog"), o);
  AppendSets(*log, 1);
  now = 999;
  AppendSets(*log, 1, "b");
  EXPECT_EQ(log->stats().syncs, 0u);
  now = 1000;
  AppendSets(*log, 1, "c");
  EXPECT_EQ(log->stats().syncs, 1u);
  log->SyncIfDirty();  // nothing new since
  EXPECT_EQ(log->stats().syncs, 1u);
  now = 1100;
  AppendSets(*log, 1, "d");
  EXPECT_EQ(log->stats().syncs, 1u);
  log->SyncIfDirty();
  EXPECT_EQ(log->stats().syncs, 2u);
}

TEST(WriteLogTest, FileNamesAreEscapedAndBounded) {
  EXPECT_EQ(LogFileName("127.0.0.1:11211"), "127.0.0.1%3A11211.wlog");
  EXPECT_EQ(LogFileName("[::1]:5000"), "%5B%3A%3A1%5D%3A5000.wlog");
  EXPECT_EQ(LogFileName("/run/mc.sock"), "%2Frun%2Fmc.sock.wlog");
  EXPECT_EQ(LogFileName(".."), "...wlog");
  std::string a(300, '/'), b = a;
  b.back() = 'x';
  EXPECT_LE(LogFileName(a).size(), 205u);
  EXPECT_NE(LogFileName(a), LogFileName(b));
}

TEST(WriteLogSetTest, LogsAreFoundAgainAfterARestartAndTheFlusherSyncs) {
  TempDir dir;
  WriteLogOptions o;
  o.dir = dir.path() + "/sub/logs";
  o.fsync_interval_ms = 10;
  {
    auto set = WriteLogSet::Open(o);
    ASSERT_TRUE(set.ok()) << set.status().message();
    auto a = (*set)->ForServer("10.1.1.1:11211");
    ASSERT_TRUE(a.ok());
    auto again = (*set)->ForServer("10.1.1.1:11211");
    EXPECT_EQ(again.value(), a.value());
    AppendSets(*a.value(), 3);
    auto b = (*set)->ForServer("/run/mc.sock");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.value()->path(), o.dir + "/%2Frun%2Fmc.sock.wlog");
    // The flusher syncs what the appends left dirty (bounded wait; no timing is asserted).
    for (int i = 0; i < 500 && a.value()->stats().syncs == 0; ++i) ::usleep(10000);
    EXPECT_GE(a.value()->stats().syncs, 1u);
  }
  auto set = WriteLogSet::Open(o);
  ASSERT_TRUE(set.ok());
  std::vector<WriteLog*> all = (*set)->All();
  ASSERT_EQ(all.size(), 2u);
  auto a = (*set)->ForServer("10.1.1.1:11211");
  EXPECT_EQ(a.value()->stats().records, 3u);
  EXPECT_FALSE((*set)->ForServer("/run/mc.sock").value()->HasWork());
}

TEST(WriteLogSetTest, AnUnreadableLogStopsTheOpenWithItsPath) {
  TempDir dir;
  WriteLogOptions o;
  o.dir = dir.path();
  WriteFile(dir.File("x.wlog"), "MFWRLOG1 but then nothing that makes sense at all, really");
  auto set = WriteLogSet::Open(o);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find(dir.File("x.wlog")), std::string::npos);
}

TEST(FsyncPolicyTest, Parses) {
  EXPECT_EQ(ParseFsyncPolicy("always").value(), FsyncPolicy::kAlways);
  EXPECT_EQ(ParseFsyncPolicy("interval").value(), FsyncPolicy::kInterval);
  EXPECT_EQ(ParseFsyncPolicy("never").value(), FsyncPolicy::kNever);
  EXPECT_FALSE(ParseFsyncPolicy("sometimes").ok());
}

}  // namespace
}  // namespace memfleet::router::writelog
