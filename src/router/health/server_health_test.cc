// ServerHealth and HealthRegistry driven by a fake clock: times are passed in (monotonic ms) and
// the registry's wall clock is a counter the test sets. Nothing sleeps.
#include "router/health/server_health.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "router/config/route_tree.h"
#include "router/health/health_registry.h"

namespace memfleet::router::health {
namespace {

UpstreamSpec Spec(const std::string& address, const std::string& pool = "A") {
  UpstreamSpec s;
  s.address = address;
  s.pool = pool;
  return s;
}

HealthOptions NoJitter() {
  HealthOptions o;
  o.probe_jitter = 0;
  return o;
}

// A registry with a pool "A" of n servers (as Bind makes it from a config).
class Fixture {
 public:
  explicit Fixture(const HealthOptions& o, int n = 1) : registry(o, [this] { return unix_now; }) {
    for (int i = 0; i < n; ++i) specs.push_back(Spec("10.0.0." + std::to_string(i + 1) + ":11211"));
    BindPool();
  }
  void BindPool() {
    registry.Bind(specs, false);
    for (const UpstreamSpec& s : specs) servers.push_back(registry.Find(s.key()));
  }
  int64_t unix_now = 1000;
  HealthRegistry registry;
  std::vector<UpstreamSpec> specs;
  std::vector<std::shared_ptr<ServerHealth>> servers;
};

TEST(ServerHealth, HardErrorMarksDownAtOnce) {
  Fixture f(NoJitter());
  ServerHealth& h = *f.servers[0];
  EXPECT_EQ(h.state(), HealthState::kUp);
  EXPECT_EQ(h.last_change_unix(), 0);
  f.unix_now = 1234;
  h.OnHardError(10);
  EXPECT_EQ(h.state(), HealthState::kDown);
  EXPECT_EQ(h.last_change_unix(), 1234);
  EXPECT_STREQ(HealthStateName(h.state()), "down");
}

TEST(ServerHealth, SoftErrorsMarkDownAfterAStreak) {
  Fixture f(NoJitter());
  ServerHealth& h = *f.servers[0];
  h.OnSoftError(1);
  h.OnSoftError(2);
  h.OnGoodReply();  // a good reply resets the streak
  h.OnSoftError(3);
  h.OnSoftError(4);
  EXPECT_EQ(h.state(), HealthState::kUp);
  h.OnSoftError(5);
  EXPECT_EQ(h.state(), HealthState::kDown);
}

TEST(ServerHealth, TimeoutsUntilTkoIsConfigurable) {
  HealthOptions o = NoJitter();
  o.timeouts_until_tko = 1;
  Fixture f(o);
  f.servers[0]->OnSoftError(1);
  EXPECT_EQ(f.servers[0]->state(), HealthState::kDown);
}

TEST(ServerHealth, ProbesBackOffUpToTheCapAndTheFirstGoodOneBringsItBack) {
  HealthOptions o = NoJitter();
  o.probe_delay_initial_ms = 100;
  o.probe_delay_factor = 2.0;
  o.probe_delay_max_ms = 350;
  Fixture f(o);
  ServerHealth& h = *f.servers[0];
  const uint32_t before = h.word();
  h.OnHardError(1000);
  EXPECT_FALSE(h.ClaimProbe(1099));
  ASSERT_TRUE(h.ClaimProbe(1100));
  EXPECT_FALSE(h.ClaimProbe(1100));  // one probe at a time
  h.ProbeDone(false, 1110);
  EXPECT_EQ(h.probe_delay_ms(), 200);
  EXPECT_FALSE(h.ClaimProbe(1309));
  ASSERT_TRUE(h.ClaimProbe(1310));
  h.ProbeDone(false, 1310);
  EXPECT_EQ(h.probe_delay_ms(), 350);  // 400, capped
  ASSERT_TRUE(h.ClaimProbe(1660));
  h.ProbeDone(false, 1660);
  EXPECT_EQ(h.probe_delay_ms(), 350);
  ASSERT_TRUE(h.ClaimProbe(2010));
  h.ProbeDone(true, 2010);
  EXPECT_EQ(h.state(), HealthState::kUp);
  // Workers see the comeback in the word (they reconnect their backed-off connections).
  EXPECT_EQ(ServerHealth::ComebacksOf(h.word()), ServerHealth::ComebacksOf(before) + 1);
  EXPECT_FALSE(h.ClaimProbe(5000));  // up: nothing to probe
}

TEST(ServerHealth, McrouterBackoffIsExpressible) {
  // mcrouter's 10 s, x1.5, 60 s.
  HealthOptions o = NoJitter();
  o.probe_delay_initial_ms = 10000;
  o.probe_delay_factor = 1.5;
  o.probe_delay_max_ms = 60000;
  Fixture f(o);
  ServerHealth& h = *f.servers[0];
  h.OnHardError(0);
  std::vector<int64_t> delays;
  int64_t now = 0;
  for (int i = 0; i < 7; ++i) {
    delays.push_back(h.probe_delay_ms());
    now += h.probe_delay_ms();
    ASSERT_TRUE(h.ClaimProbe(now));
    h.ProbeDone(false, now);
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{10000, 15000, 22500, 33750, 50625, 60000, 60000}));
}

TEST(ServerHealth, JitterStaysWithinItsFraction) {
  HealthOptions o;
  o.probe_delay_initial_ms = 1000;
  o.probe_jitter = 0.2;
  Fixture f(o, 2);
  bool saw_early = false;
  for (int round = 0; round < 50; ++round) {
    ServerHealth& h = *f.servers[0];
    const int64_t t0 = round * 1000000;
    h.OnHardError(t0);
    EXPECT_FALSE(h.ClaimProbe(t0 + 799));
    if (h.ClaimProbe(t0 + 999)) {
      saw_early = true;
    } else {
      ASSERT_TRUE(h.ClaimProbe(t0 + 1200));
    }
    h.ProbeDone(true, t0 + 1200);
  }
  EXPECT_TRUE(saw_early);  // not every delay is the nominal one
}

TEST(ServerHealth, FlappingResumesTheBackoff) {
  HealthOptions o = NoJitter();
  o.probe_delay_initial_ms = 100;
  o.probe_delay_factor = 2.0;
  o.probe_delay_max_ms = 10000;
  Fixture f(o);
  ServerHealth& h = *f.servers[0];
  h.OnHardError(0);
  ASSERT_TRUE(h.ClaimProbe(100));
  h.ProbeDone(false, 100);  // delay 200
  ASSERT_TRUE(h.ClaimProbe(300));
  h.ProbeDone(true, 300);
  // Down again 50 ms later: resumes from 200 (x2), not from 100.
  h.OnHardError(350);
  EXPECT_EQ(h.probe_delay_ms(), 400);
  ASSERT_TRUE(h.ClaimProbe(750));
  h.ProbeDone(true, 750);
  // Down again long after (past max(2 x 400, 10 x 100) = 1000 ms): starts over.
  h.OnHardError(750 + 1000);
  EXPECT_EQ(h.probe_delay_ms(), 100);
}

TEST(HealthRegistry, PoolGuardKeepsPartOfThePoolUp) {
  HealthOptions o = NoJitter();
  o.max_down_share = 0.34;
  Fixture f(o, 3);
  f.servers[0]->OnHardError(1);
  f.servers[1]->OnHardError(2);
  f.servers[2]->OnHardError(3);
  EXPECT_EQ(f.servers[0]->state(), HealthState::kDown);
  EXPECT_EQ(f.servers[1]->state(), HealthState::kUp);
  EXPECT_EQ(f.servers[2]->state(), HealthState::kUp);
  // Once the first is back, another may go down.
  ASSERT_TRUE(f.servers[0]->ClaimProbe(1000));
  f.servers[0]->ProbeDone(true, 1000);
  f.servers[2]->OnHardError(1001);
  EXPECT_EQ(f.servers[2]->state(), HealthState::kDown);
}

TEST(HealthRegistry, AWriteLogMarksDownPastTheGuardAndFromRecovering) {
  HealthOptions o = NoJitter();
  o.max_down_share = 0.34;
  Fixture f(o, 3);
  f.servers[0]->OnHardError(1);
  // The guard refuses a hard error, but a server that missed writes must not serve reads.
  f.servers[1]->OnHardError(2);
  EXPECT_EQ(f.servers[1]->state(), HealthState::kUp);
  f.servers[1]->MarkDownForWriteLog(3);
  EXPECT_EQ(f.servers[1]->state(), HealthState::kDown);
  // Probed like any down server.
  EXPECT_FALSE(f.servers[1]->ClaimProbe(3));
  EXPECT_TRUE(f.servers[1]->ClaimProbe(3 + o.probe_delay_initial_ms));
  f.servers[1]->ProbeDone(true, 3 + o.probe_delay_initial_ms);
  EXPECT_EQ(f.servers[1]->state(), HealthState::kUp);
}

TEST(HealthRegistry, DefaultGuardIsHalfThePool) {
  Fixture f(NoJitter(), 4);
  for (int i = 0; i < 4; ++i) f.servers[i]->OnHardError(i);
  int down = 0;
  for (auto& s : f.servers) down += s->state() == HealthState::kDown;
  EXPECT_EQ(down, 2);
}

TEST(HealthRegistry, AShareOfOneLetsTheWholePoolGoDown) {
  HealthOptions o = NoJitter();
  o.max_down_share = 1.0;
  Fixture f(o, 3);
  for (int i = 0; i < 3; ++i) f.servers[i]->OnHardError(i);
  for (auto& s : f.servers) EXPECT_EQ(s->state(), HealthState::kDown);
}

class Hook final : public RecoveryHook {
 public:
  bool BeginRecovery(ServerHealth& s) override {
    seen.push_back(s.address());
    return has_work;
  }
  bool has_work = true;
  std::vector<std::string> seen;
};

TEST(HealthRegistry, RecoveryHookHoldsReadsUntilItFinishes) {
  Fixture f(NoJitter());
  Hook hook;
  f.registry.SetRecoveryHook(&hook);
  ServerHealth& h = *f.servers[0];
  h.OnHardError(0);
  ASSERT_TRUE(h.ClaimProbe(250));
  h.ProbeDone(true, 250);
  EXPECT_EQ(h.state(), HealthState::kRecovering);
  EXPECT_EQ(hook.seen, std::vector<std::string>{"10.0.0.1:11211"});
  h.FinishRecovery();
  EXPECT_EQ(h.state(), HealthState::kUp);
  // A hook with nothing to do: straight up.
  hook.has_work = false;
  h.OnHardError(10000);
  ASSERT_TRUE(h.ClaimProbe(10250));
  h.ProbeDone(true, 10250);
  EXPECT_EQ(h.state(), HealthState::kUp);
  // Failing while recovering goes down again.
  hook.has_work = true;
  h.OnHardError(20000);
  ASSERT_TRUE(h.ClaimProbe(20250));
  h.ProbeDone(true, 20250);
  ASSERT_EQ(h.state(), HealthState::kRecovering);
  h.OnHardError(20300);
  EXPECT_EQ(h.state(), HealthState::kDown);
  h.FinishRecovery();  // late: ignored
  EXPECT_EQ(h.state(), HealthState::kDown);
}

TEST(HealthRegistry, ResyncingIsEnteredFromRecoveringOnlyAndEndsInRecovering) {
  Fixture f(NoJitter());
  Hook hook;
  f.registry.SetRecoveryHook(&hook);
  ServerHealth& h = *f.servers[0];
  // Not from up, not from down.
  EXPECT_FALSE(h.BeginResync());
  h.OnHardError(0);
  EXPECT_FALSE(h.BeginResync());
  EXPECT_EQ(h.state(), HealthState::kDown);
  ASSERT_TRUE(h.ClaimProbe(250));
  h.ProbeDone(true, 250);
  ASSERT_EQ(h.state(), HealthState::kRecovering);
  ASSERT_TRUE(h.BeginResync());
  EXPECT_EQ(h.state(), HealthState::kResyncing);
  EXPECT_STREQ(HealthStateName(h.state()), "resyncing");
  // A copy in progress is not a finished recovery: only recovering becomes up.
  h.FinishRecovery();
  EXPECT_EQ(h.state(), HealthState::kResyncing);
  EXPECT_FALSE(h.BeginResync());
  ASSERT_TRUE(h.EndResync());
  EXPECT_EQ(h.state(), HealthState::kRecovering);
  EXPECT_FALSE(h.EndResync());
  h.FinishRecovery();
  EXPECT_EQ(h.state(), HealthState::kUp);
  // Failing while resyncing goes down (a hard error, or the copy's own failure), and a late
  // EndResync changes nothing.
  h.OnHardError(10000);
  ASSERT_TRUE(h.ClaimProbe(10250));
  h.ProbeDone(true, 10250);
  ASSERT_TRUE(h.BeginResync());
  h.OnHardError(10300);
  EXPECT_EQ(h.state(), HealthState::kDown);
  EXPECT_FALSE(h.EndResync());
  EXPECT_EQ(h.state(), HealthState::kDown);
  ASSERT_TRUE(h.ClaimProbe(20000));
  h.ProbeDone(true, 20000);
  ASSERT_TRUE(h.BeginResync());
  h.MarkDownForWriteLog(20100);
  EXPECT_EQ(h.state(), HealthState::kDown);
}

TEST(ServerHealth, NutcrackerEjectsAfterTheFailureLimitAndRetriesAtAFixedInterval) {
  HealthRegistry registry(HealthOptions{});
  UpstreamSpec spec = Spec("10.0.0.1:11211");
  spec.auto_eject_hosts = true;
  spec.server_failure_limit = 3;
  spec.server_retry_timeout_ms = 5000;
  auto h = registry.Acquire(spec, ModeFor(spec, true));
  ASSERT_EQ(h->mode(), HealthMode::kEject);
  const uint64_t g0 = registry.ejection_generation().load();
  h->OnSoftError(1);
  h->OnHardError(2);
  EXPECT_EQ(h->state(), HealthState::kUp);
  h->OnSoftError(3);  // the third failure in a row, of either kind
  EXPECT_EQ(h->state(), HealthState::kDown);
  EXPECT_NE(registry.ejection_generation().load(), g0);
  EXPECT_FALSE(h->ClaimProbe(5002));
  ASSERT_TRUE(h->ClaimProbe(5003));
  h->ProbeDone(false, 5003);
  EXPECT_EQ(h->probe_delay_ms(), 5000);  // no backoff
  EXPECT_FALSE(h->ClaimProbe(10002));
  ASSERT_TRUE(h->ClaimProbe(10003));
  const uint64_t g1 = registry.ejection_generation().load();
  h->ProbeDone(true, 10003);
  EXPECT_EQ(h->state(), HealthState::kUp);
  EXPECT_NE(registry.ejection_generation().load(), g1);
}

TEST(ServerHealth, NutcrackerWithoutAutoEjectNeverGoesDown) {
  HealthRegistry registry(HealthOptions{});
  UpstreamSpec spec = Spec("10.0.0.1:11211");
  spec.server_failure_limit = 2;
  auto h = registry.Acquire(spec, ModeFor(spec, true));
  ASSERT_EQ(h->mode(), HealthMode::kNever);
  for (int i = 0; i < 10; ++i) {
    h->OnHardError(i);
    h->OnSoftError(i);
  }
  EXPECT_EQ(h->state(), HealthState::kUp);
}

TEST(HealthRegistry, BindKeepsTheRecordsOfServersTheNewConfigStillHas) {
  Fixture f(NoJitter(), 2);
  f.servers[0]->OnHardError(0);
  std::vector<UpstreamSpec> next = {f.specs[0], Spec("10.0.0.9:11211")};
  f.registry.Bind(next, false);
  EXPECT_EQ(f.registry.Find(next[0].key()), f.servers[0]);  // the same record, still down
  EXPECT_EQ(f.registry.Find(next[0].key())->state(), HealthState::kDown);
  EXPECT_EQ(f.registry.Find(f.specs[1].key()), nullptr);
  ASSERT_NE(f.registry.Find(next[1].key()), nullptr);
  // A worker still installing the older config gets the record the registry has.
  EXPECT_EQ(f.registry.Acquire(next[1], HealthMode::kTko), f.registry.Find(next[1].key()));
}

}  // namespace
}  // namespace memfleet::router::health
