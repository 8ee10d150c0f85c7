// The resync's decisions without servers: what `stats` says about a process (identity and its
// comparison), which plan a returning server gets for every combination of what is known, and
// the hook's part in the health state machine (a logged server that comes back waits, recovering,
// for the check; one without a log is up at once).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "router/health/health_registry.h"
#include "router/resync/replica_resync.h"
#include "router/resync/resync_plan.h"
#include "router/resync/server_identity.h"
#include "router/writelog/test_util.h"

namespace memfleet::router::resync {
namespace {

ServerIdentity FromStats(const std::vector<std::string>& lines) {
  ServerIdentity id;
  int64_t uptime = 0, time = 0;
  for (const std::string& l : lines) TakeStat(l, &id, &uptime, &time);
  id.started = time - uptime;
  return id;
}

TEST(ServerIdentity, StatsGivePidStartAndFlushes) {
  ServerIdentity id = FromStats({"pid 4242", "uptime 100", "time 1700000100", "version 1.6.18",
                                 "cmd_flush 3", "curr_items 12"});
  EXPECT_EQ(id.pid, 4242u);
  EXPECT_EQ(id.started, 1700000000);
  EXPECT_EQ(id.cmd_flush, 3u);
  // The same process asked later: the same start time.
  ServerIdentity later = FromStats({"pid 4242", "uptime 160", "time 1700000160", "cmd_flush 3"});
  EXPECT_EQ(Compare(id, later), Verdict::kSame);
  ServerIdentity flushed = FromStats({"pid 4242", "uptime 170", "time 1700000170", "cmd_flush 4"});
  EXPECT_EQ(Compare(id, flushed), Verdict::kFlushed);
  // A new process: another pid, or the same pid (a container's pid 1) started later.
  ServerIdentity other = FromStats({"pid 5000", "uptime 1", "time 1700000200", "cmd_flush 0"});
  EXPECT_EQ(Compare(id, other), Verdict::kRestarted);
  ServerIdentity again = FromStats({"pid 4242", "uptime 2", "time 1700000200", "cmd_flush 0"});
  EXPECT_EQ(Compare(id, again), Verdict::kRestarted);
  EXPECT_EQ(VerdictName(Verdict::kRestarted), "restarted");
}

TEST(ResyncPlan, EveryCase) {
  RecoveryFacts f;
  EXPECT_EQ(DecideRecovery(f), Plan::kReplay);
  f.source_available = true;
  EXPECT_EQ(DecideRecovery(f), Plan::kReplay);  // nothing lost: a replica is not needed
  for (int lost = 0; lost < 3; ++lost) {
    RecoveryFacts g;
    g.restarted = lost == 0;
    g.flushed = lost == 1;
    g.resync_pending = lost == 2;
    g.source_available = true;
    EXPECT_EQ(DecideRecovery(g), Plan::kCopy) << lost;
    g.source_available = false;
    EXPECT_EQ(DecideRecovery(g), Plan::kFallbackReplay) << lost;
    EXPECT_TRUE(IsFallback(DecideRecovery(g)));
  }
  // A log that dropped writes: stale values, flushed before the copy (or by the replayer).
  RecoveryFacts n;
  n.log_needs_resync = true;
  n.source_available = true;
  EXPECT_EQ(DecideRecovery(n), Plan::kFlushCopy);
  n.restarted = true;
  EXPECT_EQ(DecideRecovery(n), Plan::kFlushCopy);
  n.source_available = false;
  EXPECT_EQ(DecideRecovery(n), Plan::kFallbackFlush);
  EXPECT_EQ(PlanName(Plan::kFlushCopy), "flush_copy");
}

TEST(ReplicaResync, ALoggedServerWaitsForItsCheckAndOneWithoutALogIsUpAtOnce) {
  health::HealthOptions ho;
  ho.probe_jitter = 0;
  ho.max_down_share = 1.0;
  health::HealthRegistry registry(ho);
  UpstreamSpec logged, plain;
  // Nothing listens there: the check fails and takes the server down again.
  logged.address = "127.0.0.1:1";
  logged.pool = "A";
  plain.address = "127.0.0.1:2";
  plain.pool = "A";
  registry.Bind({logged, plain}, false);
  writelog::testing::TempDir dir;
  writelog::WriteLogOptions o;
  o.dir = dir.path();
  auto log = writelog::WriteLog::Open(dir.File("l.wlog"), logged.address, o);
  ASSERT_TRUE(log.ok());
  ServerWriteLog wlog(log->get(), /*gated=*/true);
  ResyncOptions ro;
  ro.check_interval_ms = 50;
  ro.timeout_ms = 200;
  ReplicaResync resync(ro);
  registry.SetRecoveryHook(&resync);
  resync.Configure(nullptr, {{logged.address, registry.Find(logged.key()), &wlog}});
  resync.Start();

  auto h = registry.Find(logged.key());
  h->OnHardError(0);
  ASSERT_TRUE(h->ClaimProbe(1000));
  h->ProbeDone(true, 1000);
  // Recovering until its check runs; the check (on the resync's thread) may already have found
  // nothing listening and taken it down again. Never up, the replay never allowed.
  EXPECT_NE(h->state(), health::HealthState::kUp);
  EXPECT_FALSE(wlog.replay_allowed(h->recoveries()));
  for (int i = 0; i < 400 && h->state() != health::HealthState::kDown; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(h->state(), health::HealthState::kDown);
  EXPECT_FALSE(wlog.replay_allowed(h->recoveries()));
  ReplicaResync::Stats st;
  ASSERT_TRUE(resync.StatsFor(logged.address, &st));
  EXPECT_STREQ(st.phase, "idle");
  EXPECT_EQ(st.resyncs, 0u);

  auto p = registry.Find(plain.key());
  p->OnHardError(0);
  ASSERT_TRUE(p->ClaimProbe(1000));
  p->ProbeDone(true, 1000);
  EXPECT_EQ(p->state(), health::HealthState::kUp);
  EXPECT_FALSE(resync.StatsFor(plain.address, &st));
}

}  // namespace
}  // namespace memfleet::router::resync
