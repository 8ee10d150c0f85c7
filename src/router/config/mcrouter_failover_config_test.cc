// Config loading of the failure and replication handles (mcrouter_failover_routes.cc):
// FailoverRoute, MissFailoverRoute, FailoverWithExptimeRoute, ModifyExptimeRoute, WarmUpRoute,
// ShadowRoute, PoolRoute's shadows, LatestRoute's failover options, and the shipped
// replicated-gutter example.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "router/config/route_tree.h"
#include "router/routes/failover_route.h"
#include "router/routes/latest_route.h"
#include "router/routes/miss_failover_route.h"
#include "router/routes/modify_exptime_route.h"
#include "router/routes/pool_route.h"
#include "router/routes/route_test_util.h"
#include "router/routes/shadow_route.h"
#include "router/routes/warm_up_route.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::FakeContext;
using testing::Replies;
using testing::TestRequest;

std::shared_ptr<const RouteTree> MustLoad(std::string_view text) {
  LoadOptions o;
  o.host_id = 12345;
  auto r = LoadRouteTree("mcrouter.json", text, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : nullptr;
}

std::string LoadError(std::string_view text) {
  auto r = LoadRouteTree("mcrouter.json", text, LoadOptions{});
  if (r.ok()) return "(loaded)";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

// Warnings other than the pools a test's config leaves unused.
std::vector<std::string> Remarks(const RouteTree& tree) {
  std::vector<std::string> out;
  for (const std::string& w : tree.warnings()) {
    if (w.find("is not used by any route") == std::string::npos) out.push_back(w);
  }
  return out;
}

bool HasWarning(const RouteTree& tree, std::string_view part) {
  for (const std::string& w : tree.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> Reach(const RouteTree& tree, std::string key, Op op = Op::kGet) {
  TestRequest t(std::move(key), op);
  Destinations d;
  tree.default_route().Traverse(t.req, d);
  std::vector<std::string> out;
  for (DestinationId id : d.seen) out.push_back(tree.servers().at(id).address);
  return out;
}

// Pools A (three servers), B and C (one each); the route follows.
std::string Config(std::string_view route) {
  return std::string(R"({"pools": {"A": {"servers": ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"]},
    "B": {"servers": ["10.0.1.1:1"]}, "C": {"servers": ["10.0.2.1:1"]}}, "route": )") +
         std::string(route) + "}";
}

template <class T>
const T* As(const Route& r) {
  const T* t = dynamic_cast<const T*>(&r);
  EXPECT_NE(t, nullptr) << "the route is a " << r.type();
  return t;
}

// --- FailoverRoute

TEST(FailoverConfigTest, FailoverRouteFormsAndOptions) {
  auto tree = MustLoad(Config(R"({"type": "FailoverRoute",
      "children": ["PoolRoute|B", "PoolRoute|C"],
      "failover_errors": {"gets": ["timeout", "tko"], "deletes": []},
      "failover_limit": {"rate": 0.25, "burst": 50}})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  const auto* f = As<FailoverRoute>(tree->default_route());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->children().size(), 2u);
  EXPECT_TRUE(f->errors().ShouldFailover(Op::kGet, ResultCode::kTimeout));
  EXPECT_FALSE(f->errors().ShouldFailover(Op::kGet, ResultCode::kConnectError));
  EXPECT_FALSE(f->errors().ShouldFailover(Op::kDelete, ResultCode::kConnectError));
  EXPECT_TRUE(f->errors().ShouldFailover(Op::kSet, ResultCode::kConnectError));  // default
  ASSERT_NE(f->limiter(), nullptr);
  EXPECT_EQ(f->limiter()->rate(), 0.25);
  EXPECT_EQ(f->limiter()->burst(), 50);
  EXPECT_EQ(Reach(*tree, "k"), (std::vector<std::string>{"10.0.1.1:1", "10.0.2.1:1"}));

  // The shorthand over a pool's servers; one list for every class.
  tree = MustLoad(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
      "failover_errors": ["connect_error"]})"));
  ASSERT_NE(tree, nullptr);
  f = As<FailoverRoute>(tree->default_route());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->children().size(), 3u);
  EXPECT_FALSE(f->errors().ShouldFailover(Op::kSet, ResultCode::kTimeout));
  EXPECT_TRUE(f->errors().ShouldFailover(Op::kDelete, ResultCode::kConnectError));
  EXPECT_EQ(f->limiter(), nullptr);
  tree = MustLoad(Config(R"("FailoverRoute|Pool|A")"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->default_route().type(), "FailoverRoute");
  // One child is that child, as in mcrouter.
  tree = MustLoad(Config(R"({"type": "FailoverRoute", "children": ["PoolRoute|B"]})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->default_route().type(), "PoolRoute");
}

TEST(FailoverConfigTest, FailoverErrorsNamesMcroutersErrorsOnly) {
  auto tree = MustLoad(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
      "failover_errors": ["busy", "timeout"], "failover_policy": {"type": "LeastFailuresPolicy"}})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(HasWarning(*tree, "at $.route.failover_errors[0]: ignoring \"busy\""));
  EXPECT_TRUE(HasWarning(*tree, "at $.route.failover_policy: ignoring the failover policy"));
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_errors": ["timeout", "notfound"]})")),
            "config error at $.route.failover_errors[1]: \"notfound\" is not an error result (one "
            "of client_error, remote_error, timeout, connect_timeout, connect_error, tko)");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_errors": {"reads": ["timeout"]}})")),
            "config error at $.route.failover_errors.reads: unknown operation class \"reads\" (one "
            "of gets, updates, deletes)");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_errors": "timeout"})")),
            "config error at $.route.failover_errors: expected an array or an object, got a "
            "string");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_errors": {"gets": [1]}})")),
            "config error at $.route.failover_errors.gets[0]: expected a string, got a number");
}

TEST(FailoverConfigTest, FailoverLimitAndChildrenErrors) {
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_limit": {"burst": 5}})")),
            "config error at $.route.failover_limit: missing required field \"rate\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_limit": {"rate": "half"}})")),
            "config error at $.route.failover_limit.rate: expected a number, got a string");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": "Pool|A",
                "failover_limit": 0.5})")),
            "config error at $.route.failover_limit: expected an object, got a number");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": []})")),
            "config error at $.route.children: FailoverRoute needs at least one child");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute"})")),
            "config error at $.route: missing required field \"children\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverRoute", "children": ["Pool|A", "FooRoute"]})")),
            "config error at $.route.children[1]: unknown route type or named handle \"FooRoute\"");
}

// --- MissFailoverRoute

TEST(FailoverConfigTest, MissFailoverRoute) {
  auto tree = MustLoad(Config(R"({"type": "MissFailoverRoute",
      "children": ["PoolRoute|B", "PoolRoute|C"], "return_best_on_error": true})"));
  ASSERT_NE(tree, nullptr);
  const auto* m = As<MissFailoverRoute>(tree->default_route());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->return_best_on_error());
  EXPECT_EQ(m->children().size(), 2u);
  tree = MustLoad(Config(R"("MissFailoverRoute|Pool|A")"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->default_route().type(), "MissFailoverRoute");
  EXPECT_EQ(LoadError(Config(R"({"type": "MissFailoverRoute", "children": "Pool|A",
                "return_best_on_error": "yes"})")),
            "config error at $.route.return_best_on_error: expected a boolean, got a string");
}

// --- FailoverWithExptimeRoute and ModifyExptimeRoute

TEST(FailoverConfigTest, FailoverWithExptimeRouteShortensWhatTheFailoverGets) {
  auto tree = MustLoad(Config(R"({"type": "FailoverWithExptimeRoute",
      "normal": "PoolRoute|A", "failover": ["PoolRoute|B", "PoolRoute|C"],
      "failover_errors": ["connect_error", "tko"]})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  const auto* f = As<FailoverRoute>(tree->default_route());
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->children().size(), 3u);
  EXPECT_EQ(f->children()[0]->type(), "PoolRoute");
  for (size_t i = 1; i < 3; ++i) {
    const auto* m = As<ModifyExptimeRoute>(*f->children()[i]);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->exptime(), 10);  // the default
    EXPECT_EQ(m->action(), ModifyExptimeRoute::Action::kMin);
  }
  EXPECT_FALSE(f->errors().ShouldFailover(Op::kGet, ResultCode::kTimeout));

  // A write that fails on the normal route reaches the failover with the short exptime.
  FakeContext ctx;
  for (DestinationId d = 0; d < tree->servers().size(); ++d) {
    bool normal = tree->servers()[d].pool == "A";
    ctx.auto_replies[d] = testing::Reply(normal ? ResultCode::kConnectError : ResultCode::kStored);
  }
  Replies done;
  TestRequest set("k", Op::kSet);
  tree->default_route().Dispatch(set.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(tree->servers()[ctx.sent[1].dest].pool, "B");

  tree = MustLoad(Config(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
      "failover": "PoolRoute|B", "failover_exptime": 0})"));
  ASSERT_NE(tree, nullptr);
  f = As<FailoverRoute>(tree->default_route());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->children()[1]->type(), "PoolRoute");  // 0: exptimes are left alone
  // Without a failover it is the normal route.
  tree = MustLoad(Config(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A"})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->default_route().type(), "PoolRoute");
}

TEST(FailoverConfigTest, FailoverWithExptimeRouteErrors) {
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverWithExptimeRoute", "failover": "Pool|A"})")),
            "config error at $.route: missing required field \"normal\"");
  EXPECT_EQ(LoadError(Config(R"("FailoverWithExptimeRoute|Pool|A")")),
            "config error at $.route: FailoverWithExptimeRoute needs an object with \"normal\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                "failover_exptime": "10s"})")),
            "config error at $.route.failover_exptime: expected a 32-bit integer");
  EXPECT_EQ(LoadError(Config(R"({"type": "FailoverWithExptimeRoute", "normal": "PoolRoute|A",
                "failover": ["PoolRoute|B", "PoolRoute|X"]})")),
            "config error at $.route.failover[1]: pool \"X\" is not defined in \"pools\"");
}

TEST(FailoverConfigTest, ModifyExptimeRoute) {
  auto tree = MustLoad(Config(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|B",
      "exptime": 30, "action": "min"})"));
  ASSERT_NE(tree, nullptr);
  const auto* m = As<ModifyExptimeRoute>(tree->default_route());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->exptime(), 30);
  EXPECT_EQ(m->action(), ModifyExptimeRoute::Action::kMin);
  tree = MustLoad(Config(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|B",
      "exptime": 30})"));
  ASSERT_NE(tree, nullptr);
  m = As<ModifyExptimeRoute>(tree->default_route());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->action(), ModifyExptimeRoute::Action::kSet);
  EXPECT_EQ(LoadError(Config(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|B",
                "exptime": 30, "action": "max"})")),
            "config error at $.route.action: expected \"set\" or \"min\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "ModifyExptimeRoute", "target": "PoolRoute|B"})")),
            "config error at $.route: missing required field \"exptime\"");
}

// --- WarmUpRoute

TEST(FailoverConfigTest, WarmUpRoute) {
  auto tree = MustLoad(Config(R"({"type": "WarmUpRoute", "cold": "PoolRoute|B",
      "warm": "PoolRoute|C", "exptime": 3600})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  const auto* w = As<WarmUpRoute>(tree->default_route());
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->exptime(), 3600);
  EXPECT_EQ(Reach(*tree, "k"), (std::vector<std::string>{"10.0.1.1:1", "10.0.2.1:1"}));
  EXPECT_EQ(Reach(*tree, "k", Op::kSet), std::vector<std::string>{"10.0.1.1:1"});
  tree = MustLoad(Config(R"({"type": "WarmUpRoute", "cold": "PoolRoute|B",
      "warm": "PoolRoute|C", "enable_metaget": true})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(HasWarning(*tree, "at $.route.enable_metaget: ignored"));
  EXPECT_EQ(LoadError(Config(R"({"type": "WarmUpRoute", "warm": "PoolRoute|C"})")),
            "config error at $.route: missing required field \"cold\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "WarmUpRoute", "cold": "PoolRoute|B",
                "warm": "PoolRoute|C", "exptime": -5})")),
            "config error at $.route.exptime: expected an integer from 0 to 2147483647");
  EXPECT_EQ(LoadError(Config(R"({"type": "WarmUpRoute", "cold": "PoolRoute|B",
                "warm": ["PoolRoute|C", "PoolRoute|B"]})")),
            "config error at $.route.warm: expected one route, got 2");
}

// --- shadows

TEST(FailoverConfigTest, PoolRouteShadowsCopyTheChosenServersAndKeys) {
  auto tree = MustLoad(Config(R"({"type": "PoolRoute", "pool": "A", "shadows": [
      {"target": "PoolRoute|B", "index_range": [0, 2], "key_fraction_range": [0, 1]},
      {"target": "PoolRoute|C", "index_range": [0, 3], "key_fraction_range": [0, 0.5],
       "requests_fraction": 0.1}]})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  const auto* s = As<ShadowRoute>(tree->default_route());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->normal()->type(), "PoolRoute");
  ASSERT_EQ(s->shadows().size(), 2u);
  EXPECT_EQ(s->shadows()[0].index_end, 2u);
  EXPECT_EQ(s->shadows()[1].requests_fraction, 0.1);
  // Keys on the pool's third server are not copied to B; on its first two they are.
  int on_third = 0, on_first_two = 0;
  for (int i = 0; i < 60; ++i) {
    std::string key = "key" + std::to_string(i);
    auto reach = Reach(*tree, key, Op::kSet);
    ASSERT_FALSE(reach.empty());
    bool to_b = std::find(reach.begin(), reach.end(), "10.0.1.1:1") != reach.end();
    if (reach[0] == "10.0.0.3:1") {
      ++on_third;
      EXPECT_FALSE(to_b) << key;
    } else {
      ++on_first_two;
      EXPECT_TRUE(to_b) << key;
    }
  }
  EXPECT_GT(on_third, 0);
  EXPECT_GT(on_first_two, 0);
}

TEST(FailoverConfigTest, ShadowRouteForms) {
  // default: one route wrapped.
  auto tree = MustLoad(Config(R"({"type": "ShadowRoute", "default": "PoolRoute|B",
      "shadows": [{"target": "PoolRoute|C", "index_range": [0, 1],
                   "key_fraction_range": [0, 1]}]})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Reach(*tree, "k"), (std::vector<std::string>{"10.0.1.1:1", "10.0.2.1:1"}));
  // children (mcrouter's): the children in the index range are wrapped, the others not.
  tree = MustLoad(Config(R"({"type": "AllSyncRoute", "children": {"type": "ShadowRoute",
      "children": ["PoolRoute|A", "PoolRoute|B"],
      "shadows": [{"target": "PoolRoute|C", "index_range": [1, 2],
                   "key_fraction_range": [0, 1]}]}})"));
  ASSERT_NE(tree, nullptr);
  const auto& all = tree->default_route();
  auto reach = Reach(*tree, "k", Op::kSet);
  ASSERT_EQ(reach.size(), 3u);  // A's server, B, then C as B's shadow
  EXPECT_EQ(reach[1], "10.0.1.1:1");
  EXPECT_EQ(reach[2], "10.0.2.1:1");
  EXPECT_EQ(all.type(), "AllSyncRoute");
  // Without index_range or key_fraction_range a shadow copies (almost) nothing, as mcrouter's.
  tree = MustLoad(Config(R"({"type": "PoolRoute", "pool": "B",
      "shadows": [{"target": "PoolRoute|C", "index_range_rv": "x"}]})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(HasWarning(*tree, "at $.route.shadows[0]: shadows no request"));
  EXPECT_TRUE(HasWarning(*tree, "at $.route.shadows[0]: shadows almost no key"));
  EXPECT_TRUE(HasWarning(*tree, "at $.route.shadows[0].index_range_rv: ignoring"));
  EXPECT_EQ(Reach(*tree, "k"), std::vector<std::string>{"10.0.1.1:1"});
}

TEST(FailoverConfigTest, ShadowErrors) {
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": {}})")),
            "config error at $.route.shadows: expected an array, got an object");
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": [{}]})")),
            "config error at $.route.shadows[0]: missing required field \"target\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": [
                {"target": "PoolRoute|C", "index_range": [2, 1]}]})")),
            "config error at $.route.shadows[0].index_range: start is greater than end");
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": [
                {"target": "PoolRoute|C", "index_range": [0, -1]}]})")),
            "config error at $.route.shadows[0].index_range: expected [start, end]: two "
            "integers >= 0");
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": [
                {"target": "PoolRoute|C", "key_fraction_range": [0.5, 1.5]}]})")),
            "config error at $.route.shadows[0].key_fraction_range: expected 0 <= from <= to <= "
            "1");
  EXPECT_EQ(LoadError(Config(R"({"type": "PoolRoute", "pool": "B", "shadows": [
                {"target": "PoolRoute|C", "requests_fraction": 2}]})")),
            "config error at $.route.shadows[0].requests_fraction: expected a number from 0 to 1");
  EXPECT_EQ(LoadError(Config(R"({"type": "ShadowRoute", "shadows": []})")),
            "config error at $.route: ShadowRoute needs one of \"children\" and \"default\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "ShadowRoute", "default": "PoolRoute|B"})")),
            "config error at $.route: missing required field \"shadows\"");
  EXPECT_EQ(LoadError(Config(R"({"type": "ShadowRoute", "default": "PoolRoute|B",
                "shadows": [{"target": "PoolRoute|Z"}]})")),
            "config error at $.route.shadows[0].target: pool \"Z\" is not defined in \"pools\"");
}

// --- LatestRoute

TEST(FailoverConfigTest, LatestRouteTakesFailoverOptions) {
  auto tree = MustLoad(Config(R"({"type": "LatestRoute", "children": "Pool|A",
      "failover_errors": {"gets": ["tko"]}, "failover_limit": {"rate": 0.5}})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  const auto* l = As<LatestRoute>(tree->default_route());
  ASSERT_NE(l, nullptr);
  EXPECT_FALSE(l->errors().ShouldFailover(Op::kGet, ResultCode::kTimeout));
  ASSERT_NE(l->limiter(), nullptr);
  EXPECT_EQ(l->limiter()->burst(), FailoverRateLimiter::kDefaultBurst);
  // The same through a pool's "Latest" hash.
  tree = MustLoad(Config(R"({"type": "PoolRoute", "pool": "A",
      "hash": {"hash_func": "Latest", "failover_errors": ["tko"]}})"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  l = As<LatestRoute>(tree->default_route());
  ASSERT_NE(l, nullptr);
  EXPECT_FALSE(l->errors().ShouldFailover(Op::kSet, ResultCode::kTimeout));
}

// --- the shipped example

std::string ReadConfig(const std::string& relative) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../../configs" / relative;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(FailoverConfigTest, ReplicatedGutterExample) {
  auto tree = MustLoad(ReadConfig("examples/replicated-gutter.json"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(Remarks(*tree), std::vector<std::string>{});
  ASSERT_EQ(tree->servers().size(), 4u);
  // Writes reach the three replicas (and may fail over to the gutter).
  EXPECT_EQ(Reach(*tree, "k", Op::kSet).size(), 4u);
  // With every replica down, a set is stored in the gutter with a 10 s exptime.
  FakeContext ctx;
  for (DestinationId d = 0; d < tree->servers().size(); ++d) {
    bool replica = tree->servers()[d].pool == "replicas";
    ctx.auto_replies[d] = testing::Reply(replica ? ResultCode::kConnectError : ResultCode::kStored);
  }
  Replies done;
  TestRequest set("k", Op::kSet);
  set.req.exptime = 0;
  tree->default_route().Dispatch(set.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  // (the majority answered before the third replica was sent to)
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(tree->servers()[ctx.sent[2].dest].pool, "gutter");
  // A read fails over over the replicas, then to the gutter.
  ctx.sent.clear();
  TestRequest get("k", Op::kGet);
  tree->default_route().Dispatch(get.req, ctx, done);
  ASSERT_EQ(ctx.sent.size(), 4u);
  EXPECT_EQ(tree->servers()[ctx.sent[3].dest].pool, "gutter");
}

}  // namespace
}  // namespace memfleet::router
