#include "router/routes/nutcracker_pool_route.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "router/health/health_registry.h"
#include "router/routes/destination_route.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::FakeContext;
using testing::Replies;
using testing::TestRequest;

constexpr size_t kServers = 4;

hash::HashSpec Spec(const std::string& distribution, size_t n, size_t skip = ~size_t{0}) {
  hash::HashSpec spec;
  spec.func = "nutcracker";
  spec.nutcracker_hash = "fnv1a_64";
  spec.distribution = distribution;
  for (size_t i = 0; i < n; ++i) {
    if (i == skip) continue;
    spec.servers.push_back({"10.0.0." + std::to_string(i + 1) + ":11211",
                            "server" + std::to_string(i + 1), static_cast<double>(1 + i % 2)});
  }
  return spec;
}

std::unique_ptr<hash::NutcrackerPool> Pool(const hash::HashSpec& spec) {
  auto f = hash::NutcrackerPool::Create(spec);
  EXPECT_TRUE(f.ok());
  return std::unique_ptr<hash::NutcrackerPool>(
      static_cast<hash::NutcrackerPool*>(f.value().release()));
}

struct Fixture {
  explicit Fixture(const std::string& distribution) : registry(health::HealthOptions{}) {
    std::vector<RoutePtr> dests;
    std::vector<UpstreamSpec> specs;
    for (size_t i = 0; i < kServers; ++i) {
      UpstreamSpec s;
      s.address = "10.0.0." + std::to_string(i + 1) + ":11211";
      s.pool = "beta";
      s.auto_eject_hosts = true;
      s.server_failure_limit = 1;
      s.server_retry_timeout_ms = 30000;
      specs.push_back(s);
      dests.push_back(std::make_shared<DestinationRoute>(static_cast<DestinationId>(i), s.address));
    }
    registry.Bind(specs, true);
    std::vector<std::shared_ptr<const health::ServerHealth>> records;
    for (const UpstreamSpec& s : specs) {
      servers.push_back(registry.Find(s.key()));
      records.push_back(servers.back());
    }
    route =
        std::make_shared<NutcrackerPoolRoute>("beta", dests, Pool(Spec(distribution, kServers)));
    route->BindHealth(records, &registry.ejection_generation());
  }
  // Where the route sends key now.
  DestinationId Place(const std::string& key) {
    FakeContext ctx;
    Replies replies;
    TestRequest r(key);
    route->Dispatch(r.req, ctx, replies);
    EXPECT_EQ(ctx.sent.size(), 1u);
    return ctx.sent.empty() ? ~DestinationId{0} : ctx.sent[0].dest;
  }
  health::HealthRegistry registry;
  std::vector<std::shared_ptr<health::ServerHealth>> servers;
  std::shared_ptr<NutcrackerPoolRoute> route;
};

std::string Key(int i) { return "user:" + std::to_string(i); }

// Index in the full pool of a pick made by a pool built without server `skip`.
size_t FullIndex(size_t pick, size_t skip) { return pick >= skip ? pick + 1 : pick; }

class Ejection : public ::testing::TestWithParam<std::string> {};

TEST_P(Ejection, AnEjectedServerLeavesThePlacementAsIfItWereNotConfigured) {
  Fixture f(GetParam());
  auto full = Pool(Spec(GetParam(), kServers));
  auto without = Pool(Spec(GetParam(), kServers, 2));
  std::vector<DestinationId> before;
  for (int i = 0; i < 500; ++i) {
    before.push_back(f.Place(Key(i)));
    EXPECT_EQ(before.back(), full->Pick(Key(i)));
  }
  f.servers[2]->OnHardError(1);  // failure limit 1: ejected
  ASSERT_EQ(f.servers[2]->state(), health::HealthState::kDown);
  size_t moved = 0;
  for (int i = 0; i < 500; ++i) {
    const DestinationId now = f.Place(Key(i));
    EXPECT_NE(now, 2u);
    // twemproxy rebuilds its continuum over the live servers: the placement of a pool
    // configured without the server.
    EXPECT_EQ(now, FullIndex(without->Pick(Key(i)), 2)) << Key(i);
    moved += now != before[static_cast<size_t>(i)];
  }
  EXPECT_GT(moved, 0u);
  // Back after its retry timeout: every key where it was.
  ASSERT_TRUE(f.servers[2]->ClaimProbe(30001));
  f.servers[2]->ProbeDone(true, 30001);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(f.Place(Key(i)), before[static_cast<size_t>(i)]);
}

INSTANTIATE_TEST_SUITE_P(Distributions, Ejection, ::testing::Values("ketama", "modula"));

TEST(NutcrackerPoolRoute, EveryServerOutFailsFast) {
  Fixture f("ketama");
  for (auto& s : f.servers) s->OnHardError(1);
  FakeContext ctx;
  Replies replies;
  TestRequest r("k");
  f.route->Dispatch(r.req, ctx, replies);
  EXPECT_TRUE(ctx.sent.empty());
  ASSERT_EQ(replies.got.size(), 1u);
  EXPECT_EQ(replies.got[0].code, ResultCode::kTko);
  Destinations d;
  f.route->Traverse(r.req, d);
  EXPECT_TRUE(d.seen.empty());
}

TEST(NutcrackerPoolRoute, RandomPicksOnlyLiveServers) {
  Fixture f("random");
  f.servers[0]->OnHardError(1);
  f.servers[3]->OnHardError(1);
  for (int i = 0; i < 200; ++i) {
    const DestinationId d = f.Place(Key(i));
    EXPECT_TRUE(d == 1 || d == 2) << d;
  }
}

TEST(NutcrackerPoolRoute, UnboundPlacesOverEveryServer) {
  std::vector<RoutePtr> dests;
  for (size_t i = 0; i < kServers; ++i) {
    dests.push_back(std::make_shared<DestinationRoute>(static_cast<DestinationId>(i), "x"));
  }
  NutcrackerPoolRoute route("beta", dests, Pool(Spec("ketama", kServers)));
  auto full = Pool(Spec("ketama", kServers));
  for (int i = 0; i < 100; ++i) {
    FakeContext ctx;
    Replies replies;
    TestRequest r(Key(i));
    route.Dispatch(r.req, ctx, replies);
    ASSERT_EQ(ctx.sent.size(), 1u);
    EXPECT_EQ(ctx.sent[0].dest, full->Pick(Key(i)));
  }
}

}  // namespace
}  // namespace memfleet::router
