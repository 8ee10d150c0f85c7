#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "router/config/route_tree.h"
#include "router/hash/hash_func.h"
#include "router/routes/error_route.h"
#include "router/routes/latest_route.h"
#include "router/routes/pool_route.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::FakeContext;
using testing::Replies;
using testing::TestRequest;

LoadOptions Options(std::string route_prefix = "") {
  LoadOptions o;
  o.host_id = 12345;
  o.route_prefix = std::move(route_prefix);
  return o;
}

std::shared_ptr<const RouteTree> MustLoad(std::string_view text, const LoadOptions& o = Options()) {
  auto r = LoadRouteTree("mcrouter.json", text, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : nullptr;
}

std::string LoadError(std::string_view text, const LoadOptions& o = Options()) {
  auto r = LoadRouteTree("mcrouter.json", text, o);
  if (r.ok()) return "(loaded)";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

// The server addresses a request would reach through route, in traversal order.
std::vector<std::string> Reach(const RouteTree& tree, const Route& route, std::string key,
                               Op op = Op::kGet) {
  TestRequest t(std::move(key), op);
  Destinations d;
  route.Traverse(t.req, d);
  std::vector<std::string> out;
  for (DestinationId id : d.seen) out.push_back(tree.servers().at(id).address);
  return out;
}

// Through the tree's own prefix selection, as the serving side does.
std::vector<std::string> ReachKey(const RouteTree& tree, std::string key, Op op = Op::kGet) {
  std::string_view stripped;
  const Route* r = tree.Select(key, &stripped);
  return Reach(tree, *r, std::string(stripped), op);
}

bool HasWarning(const RouteTree& tree, std::string_view part) {
  for (const std::string& w : tree.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

// A config as an mcrouter user has it: comments, weights, named handles, shorthands, routing
// prefixes, options memfleet does not have yet.
constexpr std::string_view kRealistic = R"json(
// Production-style mcrouter config.
{
  /* Two regions' worth of pools. */
  "pools": {
    "main": {
      "servers": [
        "10.0.0.1:11211", "10.0.0.2:11211:ascii", "10.0.0.3:11211:ascii:plain:notcompressed"
      ],
      "server_timeout": 250,
      "region": "east",          // mcrouter's timeout classes: not used by memfleet yet
      "keep_routing_prefix": false
    },
    "weighted": {
      "servers": ["10.0.1.1:11211", "10.0.1.2:11211"],
      "weights": [1, 0.5]
    },
    "replicas": {
      "servers": ["10.0.2.1:11211", "10.0.2.2:11211", "10.0.0.1:11211"],
      "server_timeout": 250
    },
    "spare": { "servers": ["10.0.9.9:11211"] }
  },
  "named_handles": [
    {
      "type": "PoolRoute",
      "name": "main_pool",
      "pool": "main",
      "hash": { "hash_func": "Ch3", "salt": "v2" },
      "shadows": [ { "target": "PoolRoute|spare" } ]
    },
    {
      "name": "replicated",
      "type": "OperationSelectorRoute",
      "operation_policies": {
        "get": "LatestRoute|Pool|replicas",
        "lease-get": "LatestRoute|Pool|replicas"
      },
      "default_policy": "AllSyncRoute|Pool|replicas"
    }
  ],
  "routes": [
    {
      "aliases": ["/east/web/", "/east/api/"],
      "route": {
        "type": "PrefixSelectorRoute",
        "policies": {
          "rep:": "replicated",
          "w:": { "type": "PoolRoute", "pool": "weighted" },
          "gone:": "ErrorRoute|this keyspace is retired"
        },
        "wildcard": "main_pool"
      }
    },
    {
      "aliases": ["/west/web/"],
      "route": {
        "type": "AllInitialRoute",
        "children": [ "main_pool", "PoolRoute|weighted" ],
        "comment": "an unknown field"
      }
    }
  ]
}
)json";

TEST(McrouterConfigTest, ARealisticConfigWithCommentsLoads) {
  auto tree = MustLoad(kRealistic);
  ASSERT_NE(tree, nullptr);
  // Every distinct server once: 10.0.0.1 is in two pools; spare is a shadow's.
  std::set<std::string> addresses;
  for (const UpstreamSpec& s : tree->servers()) addresses.insert(s.address);
  EXPECT_EQ(tree->servers().size(), addresses.size());
  EXPECT_EQ(addresses, (std::set<std::string>{"10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211",
                                              "10.0.1.1:11211", "10.0.1.2:11211", "10.0.2.1:11211",
                                              "10.0.2.2:11211", "10.0.9.9:11211"}));
  std::vector<std::string> pools;
  for (const auto& p : tree->pools()) pools.push_back(p.name);
  std::sort(pools.begin(), pools.end());
  EXPECT_EQ(pools, (std::vector<std::string>{"main", "replicas", "spare", "weighted"}));
  for (const auto& p : tree->pools()) {
    if (p.name == "replicas") {
      ASSERT_EQ(p.servers.size(), 3u);
      EXPECT_EQ(tree->servers()[p.servers[2]].address, "10.0.0.1:11211");
      EXPECT_EQ(tree->servers()[p.servers[2]].pool, "main");  // named by main first
    }
    if (p.name == "main") {
      EXPECT_EQ(tree->servers()[p.servers[0]].server_timeout_ms, 250);
      EXPECT_EQ(tree->servers()[p.servers[0]].connect_timeout_ms, 250);
    }
  }
  EXPECT_TRUE(HasWarning(*tree, "at $.pools.main.region: ignoring pool option \"region\""));
  // mcrouter's rule: a shadow without an index_range shadows nothing; said, not refused.
  EXPECT_TRUE(HasWarning(*tree, "at $.named_handles[0].shadows[0]: shadows no request"));
  EXPECT_TRUE(HasWarning(*tree, "at $.routes[1].route.comment: ignoring \"comment\""));
  EXPECT_TRUE(HasWarning(*tree, "memfleet clients cannot send \"lease-get\""));
  EXPECT_EQ(tree->md5().size(), 32u);  // md5 of the text, hex
  EXPECT_TRUE(tree->listeners().empty());
}

TEST(McrouterConfigTest, TraverseOfTheLoadedTreeReachesTheExpectedServers) {
  auto tree = MustLoad(kRealistic);
  ASSERT_NE(tree, nullptr);
  // Replicated keys: a write reaches every replica, a read the LatestRoute's order of them.
  EXPECT_EQ(ReachKey(*tree, "/east/web/rep:1", Op::kSet),
            (std::vector<std::string>{"10.0.2.1:11211", "10.0.2.2:11211", "10.0.0.1:11211"}));
  auto reads = ReachKey(*tree, "/east/web/rep:1", Op::kGet);
  EXPECT_EQ(std::set<std::string>(reads.begin(), reads.end()),
            (std::set<std::string>{"10.0.2.1:11211", "10.0.2.2:11211", "10.0.0.1:11211"}));
  // A retired keyspace goes nowhere.
  EXPECT_TRUE(ReachKey(*tree, "/east/api/gone:7").empty());
  // Sharded keys reach exactly one server of their pool: the one the pool's function picks.
  hash::HashSpec spec;
  spec.func = "Ch3";
  spec.salt = "v2";
  for (const char* s : {"10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"}) {
    spec.servers.push_back(hash::HashServer{s, "", 1.0});
  }
  auto func = hash::MakeHashFunction(spec);
  ASSERT_TRUE(func.ok());
  for (int i = 0; i < 50; ++i) {
    std::string key = "user:" + std::to_string(i);
    auto reached = ReachKey(*tree, "/east/web/" + key);
    ASSERT_EQ(reached.size(), 1u);
    EXPECT_EQ(reached[0], spec.servers[func.value()->Pick(key)].address) << key;
  }
  // The west route sends everything to both pools.
  EXPECT_EQ(ReachKey(*tree, "/west/web/k").size(), 2u);
}

TEST(McrouterConfigTest, RoutingPrefixesSelectTheirRouteAndAreStripped) {
  auto tree = MustLoad(kRealistic);
  ASSERT_NE(tree, nullptr);
  std::string_view key;
  const Route* west = tree->Select("/west/web/foo", &key);
  EXPECT_EQ(key, "foo");
  EXPECT_EQ(west->type(), "AllInitialRoute");
  const Route* east = tree->Select("/east/api/foo", &key);
  EXPECT_EQ(key, "foo");
  EXPECT_EQ(east->type(), "PrefixSelectorRoute");
  // No prefix, or one no route has: the default route (the first alias), the key as it is.
  EXPECT_EQ(tree->Select("foo", &key), east);
  EXPECT_EQ(key, "foo");
  EXPECT_EQ(tree->Select("/north/web/foo", &key), east);
  EXPECT_EQ(key, "/north/web/foo");
  EXPECT_EQ(tree->Select("/east/", &key), east);
  EXPECT_EQ(&tree->default_route(), east);
}

TEST(McrouterConfigTest, WildcardRoutingPrefixesMatchEveryAlias) {
  auto tree = MustLoad(R"({
    "pools": {"A": {"servers": ["127.0.0.1:1"]}, "B": {"servers": ["127.0.0.1:2"]},
              "C": {"servers": ["127.0.0.1:3"]}},
    "routes": [{"aliases": ["/west/web/", "/west/api/"], "route": "PoolRoute|B"},
               {"aliases": ["/east/web/"], "route": "PoolRoute|A"},
               {"aliases": ["/east/api-1/"], "route": "PoolRoute|C"}]})",
                       Options("/east/web/"));
  ASSERT_NE(tree, nullptr);
  std::string_view key;
  const Route* east_web = tree->Select("/east/web/k", &key);
  const Route* east_api = tree->Select("/east/api-1/k", &key);
  const Route* west = tree->Select("/west/web/k", &key);
  std::vector<const Route*> routes;
  // Everything: the default route first, each route once (west's two aliases share one).
  ASSERT_TRUE(tree->SelectWildcard("/*/*/user:1", &key, &routes));
  EXPECT_EQ(key, "user:1");
  EXPECT_EQ(routes, (std::vector<const Route*>{east_web, east_api, west}));
  ASSERT_TRUE(tree->SelectWildcard("/west/*/k", &key, &routes));
  EXPECT_EQ(routes, (std::vector<const Route*>{west}));
  ASSERT_TRUE(tree->SelectWildcard("/*/api*/k", &key, &routes));
  EXPECT_EQ(routes, (std::vector<const Route*>{east_api, west}));
  ASSERT_TRUE(tree->SelectWildcard("/east/*-1/k", &key, &routes));
  EXPECT_EQ(routes, (std::vector<const Route*>{east_api}));
  // A pattern nothing matches: a wildcard key with no route.
  ASSERT_TRUE(tree->SelectWildcard("/north/*/k", &key, &routes));
  EXPECT_TRUE(routes.empty());
  // Not wildcards: no '*' in the prefix, a '*' after it, no prefix at all.
  EXPECT_FALSE(tree->SelectWildcard("/east/web/k", &key, &routes));
  EXPECT_FALSE(tree->SelectWildcard("/east/web/*", &key, &routes));
  EXPECT_FALSE(tree->SelectWildcard("*", &key, &routes));
  EXPECT_FALSE(tree->SelectWildcard("/*/", &key, &routes));
}

TEST(McrouterConfigTest, TheRoutePrefixOptionPicksTheDefaultRoute) {
  auto tree = MustLoad(kRealistic, Options("/west/web/"));
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->default_route().type(), "AllInitialRoute");
  EXPECT_EQ(LoadError(kRealistic, Options("/south/web/")),
            "config error at $.routes: the route prefix \"/south/web/\" is not one of the aliases");
  // With one "route", the option names the prefix its keys may carry.
  auto single =
      MustLoad(R"({"pools": {"A": {"servers": ["127.0.0.1:1"]}}, "route": "PoolRoute|A"})",
               Options("/r/c/"));
  ASSERT_NE(single, nullptr);
  std::string_view key;
  EXPECT_EQ(single->Select("/r/c/k", &key), &single->default_route());
  EXPECT_EQ(key, "k");
}

TEST(McrouterConfigTest, RoutesAsAnObjectOfAliases) {
  auto tree = MustLoad(R"({
    "pools": {"A": {"servers": ["127.0.0.1:1"]}, "B": {"servers": ["127.0.0.1:2"]}},
    "routes": {"/a/a/": "PoolRoute|A", "/b/b/": "PoolRoute|B"}
  })");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(ReachKey(*tree, "/b/b/x"), std::vector<std::string>{"127.0.0.1:2"});
  EXPECT_EQ(ReachKey(*tree, "x"), std::vector<std::string>{"127.0.0.1:1"});
}

// --- shorthands and handles

constexpr std::string_view kThree = R"({"pools": {"A": {"servers":
    ["127.0.0.1:11311", "127.0.0.1:11312", "127.0.0.1:11313"]}}, "route": )";

std::shared_ptr<const RouteTree> WithRoute(std::string_view route) {
  return MustLoad(std::string(kThree) + std::string(route) + "}");
}

TEST(McrouterConfigTest, ShorthandForms) {
  auto all = WithRoute(R"("AllSyncRoute|Pool|A")");
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->default_route().type(), "AllSyncRoute");
  EXPECT_EQ(ReachKey(*all, "k").size(), 3u);
  auto pool = WithRoute(R"("PoolRoute|A")");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->default_route().type(), "PoolRoute");
  EXPECT_EQ(ReachKey(*pool, "k").size(), 1u);
  auto hash = WithRoute(R"("HashRoute|Pool|A")");
  ASSERT_NE(hash, nullptr);
  EXPECT_EQ(hash->default_route().type(), "HashRoute");
  EXPECT_EQ(ReachKey(*hash, "k").size(), 1u);
  auto latest = WithRoute(R"("LatestRoute|Pool|A")");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->default_route().type(), "LatestRoute");
  auto random = WithRoute(R"("RandomRoute|Pool|A")");
  ASSERT_NE(random, nullptr);
  EXPECT_EQ(random->default_route().type(), "RandomRoute");
  auto null = WithRoute(R"("NullRoute")");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->default_route().type(), "NullRoute");
  EXPECT_TRUE(ReachKey(*null, "k").empty());
  // A list of children mixes shorthands and objects, and flattens lists.
  auto mixed = WithRoute(R"({"type": "AllFastestRoute",
      "children": [["Pool|A"], {"type": "NullRoute"}, "ErrorRoute"]})");
  ASSERT_NE(mixed, nullptr);
  EXPECT_EQ(ReachKey(*mixed, "k").size(), 3u);
  EXPECT_EQ(static_cast<const FanOutRoute&>(mixed->default_route()).children().size(), 5u);
}

TEST(McrouterConfigTest, ErrorRouteAnswersItsMessageAsMcrouter) {
  for (auto [route, line] : std::vector<std::pair<std::string, std::string>>{
           {R"("ErrorRoute|no such keyspace")", "SERVER_ERROR no such keyspace"},
           {R"("ErrorRoute")", "SERVER_ERROR local error"},
           {R"({"type": "ErrorRoute", "response": "down for maintenance"})",
            "SERVER_ERROR down for maintenance"},
           {R"({"type": "ErrorRoute"})", "SERVER_ERROR local error"}}) {
    auto tree = WithRoute(route);
    ASSERT_NE(tree, nullptr);
    FakeContext ctx;
    Replies done;
    TestRequest t("k");
    tree->default_route().Dispatch(t.req, ctx, done);
    ASSERT_EQ(done.got.size(), 1u);
    EXPECT_EQ(done.got[0].code, ResultCode::kRemoteError);
    EXPECT_EQ(done.got[0].message, line) << route;
  }
}

TEST(McrouterConfigTest, ALoadedTreeRoutesRequestsToTheServerTable) {
  auto tree = WithRoute(R"({"type": "AllSyncRoute", "children": "Pool|A"})");
  ASSERT_NE(tree, nullptr);
  FakeContext ctx;
  for (DestinationId d = 0; d < 3; ++d) ctx.auto_replies[d] = testing::Reply(ResultCode::kStored);
  ctx.auto_replies[1] = testing::Reply(ResultCode::kNotStored);
  Replies done;
  TestRequest t("k", Op::kAdd);
  tree->default_route().Dispatch(t.req, ctx, done);
  ASSERT_EQ(ctx.sent.size(), 3u);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotStored);
}

TEST(McrouterConfigTest, PoolRouteHashForms) {
  auto weighted = MustLoad(R"({"pools": {"W": {"servers": ["127.0.0.1:1", "127.0.0.1:2"],
      "weights": [1, 0.5]}}, "route": "PoolRoute|W"})");
  ASSERT_NE(weighted, nullptr);
  auto named = WithRoute(R"({"type": "PoolRoute", "pool": "A", "hash": "Crc32"})");
  ASSERT_NE(named, nullptr);
  auto object = WithRoute(
      R"({"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "WeightedCh3", "salt": "s",
          "weights": [1, 1, 0.5]}})");
  ASSERT_NE(object, nullptr);
  // mcrouter's hash_func "Latest" makes the pool a LatestRoute.
  auto latest = WithRoute(
      R"({"type": "PoolRoute", "pool": "A", "hash": {"hash_func": "Latest", "failover_count": 2}})");
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->default_route().type(), "LatestRoute");
  EXPECT_EQ(ReachKey(*latest, "k").size(), 2u);
  // An inline pool.
  auto inline_pool = MustLoad(R"({"route": {"type": "PoolRoute",
      "pool": {"name": "P", "servers": ["127.0.0.1:7"]}}})");
  ASSERT_NE(inline_pool, nullptr);
  ASSERT_EQ(inline_pool->pools().size(), 1u);
  EXPECT_EQ(inline_pool->pools()[0].name, "P");
  EXPECT_EQ(inline_pool->servers()[0].pool, "P");
}

TEST(McrouterConfigTest, LatestRouteOrderDependsOnTheHostId) {
  std::string config = std::string(kThree) + R"("LatestRoute|Pool|A"})";
  std::set<std::string> firsts;
  for (uint64_t host = 1; host <= 16; ++host) {
    LoadOptions o = Options();
    o.host_id = host;
    auto a = MustLoad(config, o), b = MustLoad(config, o);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(ReachKey(*a, "k"), ReachKey(*b, "k"));
    firsts.insert(ReachKey(*a, "k")[0]);
  }
  EXPECT_GT(firsts.size(), 1u);
}

TEST(McrouterConfigTest, OperationSelectorRoutesByOperation) {
  auto tree = MustLoad(R"({"pools": {"A": {"servers": ["127.0.0.1:1"]},
                                     "B": {"servers": ["127.0.0.1:2"]}},
    "route": {"type": "OperationSelectorRoute",
              "operation_policies": {"get": "PoolRoute|A", "delete": "NullRoute"},
              "default_policy": "PoolRoute|B"}})");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(ReachKey(*tree, "k", Op::kGet), std::vector<std::string>{"127.0.0.1:1"});
  EXPECT_EQ(ReachKey(*tree, "k", Op::kSet), std::vector<std::string>{"127.0.0.1:2"});
  EXPECT_TRUE(ReachKey(*tree, "k", Op::kDelete).empty());
}

TEST(McrouterConfigTest, NamedHandlesAreBuiltOnceAndShared) {
  auto tree = MustLoad(R"({"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}},
    "named_handles": {"shared": "PoolRoute|A"},
    "route": {"type": "AllSyncRoute", "children": [
      "shared", {"type": "RandomRoute", "name": "inline", "children": ["shared"]},
      "inline", "HashRoute|shared"]}})");
  ASSERT_NE(tree, nullptr);
  const auto& children = static_cast<const FanOutRoute&>(tree->default_route()).children();
  ASSERT_EQ(children.size(), 4u);
  EXPECT_EQ(children[1], children[2]);  // "inline" is the inline definition
  EXPECT_EQ(children[0], children[3]);  // one child: a HashRoute of one is that child
  EXPECT_EQ(tree->servers().size(), 2u);
}

TEST(McrouterConfigTest, PoolInheritance) {
  auto tree = MustLoad(R"({"pools": {
      "base": {"servers": ["127.0.0.1:1"], "server_timeout": 50},
      "child": {"inherit": "base", "servers": ["127.0.0.1:2"]}},
    "route": "PoolRoute|child"})");
  ASSERT_NE(tree, nullptr);
  ASSERT_EQ(tree->servers().size(), 1u);
  EXPECT_EQ(tree->servers()[0].address, "127.0.0.1:2");
  EXPECT_EQ(tree->servers()[0].server_timeout_ms, 50);
  EXPECT_EQ(LoadError(R"({"pools": {"a": {"inherit": "b"}, "b": {"inherit": "a"}},
                          "route": "NullRoute"})"),
            "config error at $.pools.b.inherit: pools inherit from each other: a -> b -> a");
}

// --- errors name their JSON path

TEST(McrouterConfigErrorTest, UnknownRouteType) {
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "AllSyncRoute", "children":
                ["Pool|A", "NullRoute", {"type": "FooRoute"}]}})"),
            "config error at $.route.children[2]: unknown route type \"FooRoute\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("FooRoute|Pool|A"})"),
            "config error at $.route: unknown route type \"FooRoute\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("nothing_by_that_name"})"),
            "config error at $.route: unknown route type or named handle "
            "\"nothing_by_that_name\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "BigValueRoute", "children": []}})"),
            "config error at $.route: route type \"BigValueRoute\" is not supported yet");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("SaltedFailoverRoute|Pool|A"})"),
            "config error at $.route: route type \"SaltedFailoverRoute\" is not supported yet");
}

TEST(McrouterConfigErrorTest, BadServer) {
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": ["127.0.0.1:11211", "localhost"]}},
                          "route": "PoolRoute|A"})"),
            "config error at $.pools.A.servers[1]: \"localhost\" is not host:port");
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": ["127.0.0.1:11211:caret"]}},
                          "route": "PoolRoute|A"})"),
            "config error at $.pools.A.servers[0]: \"127.0.0.1:11211:caret\": protocol \"caret\" "
            "is not supported (memfleet speaks ascii or meta to servers)");
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": [11211]}}, "route": "PoolRoute|A"})"),
            "config error at $.pools.A.servers[0]: expected a \"host:port\" string, got a number");
  EXPECT_EQ(LoadError(R"({"pools": {"my pool": {"servers": ["x"]}}, "route": "NullRoute"})"),
            "config error at $.pools[\"my pool\"].servers[0]: \"x\" is not host:port");
}

TEST(McrouterConfigErrorTest, MissingPool) {
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "PoolRoute", "pool": "B"}})"),
            "config error at $.route.pool: pool \"B\" is not defined in \"pools\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("AllSyncRoute|Pool|B"})"),
            "config error at $.route: pool \"B\" is not defined in \"pools\"");
}

TEST(McrouterConfigErrorTest, CycleOfNamedHandles) {
  EXPECT_EQ(LoadError(R"({"named_handles": [
                {"name": "a", "type": "AllSyncRoute", "children": ["b"]},
                {"name": "b", "type": "AllSyncRoute", "children": ["NullRoute", "a"]}],
              "route": "a"})"),
            "config error at $.named_handles[0]: named handles refer to each other in a cycle: "
            "\"a\" -> \"b\" -> \"a\"");
  EXPECT_EQ(LoadError(R"({"named_handles": {"self": "AllSyncRoute|self"}, "route": "self"})"),
            "config error at $.named_handles.self: named handles refer to each other in a cycle: "
            "\"self\" -> \"self\"");
}

TEST(McrouterConfigErrorTest, WrongJsonType) {
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": "127.0.0.1:1"}}, "route": "PoolRoute|A"})"),
            "config error at $.pools.A.servers: expected an array, got a string");
  EXPECT_EQ(LoadError(R"({"pools": [], "route": "NullRoute"})"),
            "config error at $.pools: expected an object, got an array");
  EXPECT_EQ(LoadError(R"([1, 2])"), "config error at $: expected an object, got an array");
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": 7}})"),
            "config error at $.route.type: expected a string, got a number");
  EXPECT_EQ(LoadError(std::string(kThree) + R"(42})"),
            "config error at $.route: expected a route (a string or an object), got a number");
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": ["127.0.0.1:1"], "server_timeout": "1s"}},
                          "route": "PoolRoute|A"})"),
            "config error at $.pools.A.server_timeout: expected milliseconds (0 to 3600000), got "
            "a string");
  EXPECT_EQ(LoadError(std::string(kThree) +
                      R"({"type": "LatestRoute", "children": "Pool|A", "failover_count": 0}})"),
            "config error at $.route.failover_count: expected an integer from 1 to 1000");
}

TEST(McrouterConfigErrorTest, MissingRequiredField) {
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "PoolRoute"}})"),
            "config error at $.route: missing required field \"pool\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"pool": "A"}})"),
            "config error at $.route: missing required field \"type\"");
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "AllSyncRoute"}})"),
            "config error at $.route: missing required field \"children\"");
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"server": ["127.0.0.1:1"]}}, "route": "NullRoute"})"),
            "config error at $.pools.A: missing required field \"servers\"");
  EXPECT_EQ(LoadError(R"({"pools": {}})"),
            "config error at $: missing required field \"route\" (or \"routes\")");
  EXPECT_EQ(LoadError(R"({"routes": [{"route": "NullRoute"}]})"),
            "config error at $.routes[0]: missing required field \"aliases\"");
}

TEST(McrouterConfigErrorTest, EmptyChildren) {
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "AllSyncRoute", "children": []}})"),
            "config error at $.route.children: AllSyncRoute needs at least one child");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("AllMajorityRoute"})"),
            "config error at $.route: AllMajorityRoute needs children (\"AllMajorityRoute|Pool|A\" "
            "or an object with \"children\")");
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": []}}, "route": "PoolRoute|A"})"),
            "config error at $.pools.A.servers: a pool needs at least one server");
}

TEST(McrouterConfigErrorTest, OtherMistakes) {
  EXPECT_EQ(LoadError(std::string(kThree) + R"({"type": "OperationSelectorRoute",
                "operation_policies": {"fetch": "PoolRoute|A"}}})"),
            "config error at $.route.operation_policies.fetch: unknown operation \"fetch\" (one of "
            "get, gets, gat, gats, touch, set, add, replace, append, prepend, cas, delete, incr, "
            "decr, flushall)");
  EXPECT_EQ(LoadError(R"({"routes": [{"aliases": ["east"], "route": "NullRoute"}]})"),
            "config error at $.routes[0].aliases[0]: \"east\" is not a routing prefix of the form "
            "\"/region/cluster/\"");
  EXPECT_EQ(LoadError(R"({"route": "NullRoute", "routes": []})"),
            "config error at $: give \"route\" or \"routes\", not both");
  EXPECT_EQ(LoadError(std::string(kThree) + R"("Pool|A"})"),
            "config error at $.route: expected one route, got 3");
  EXPECT_EQ(LoadError(R"({"named_handles": [{"name": "x", "type": "NullRoute"},
                                             {"name": "x", "type": "NullRoute"}],
                          "route": "x"})"),
            "config error at $.named_handles[1]: named handle \"x\" is defined twice");
  // A mistake in a named handle no route uses is still a mistake.
  EXPECT_EQ(LoadError(R"({"named_handles": [{"name": "unused", "type": "Nope"}],
                          "route": "NullRoute"})"),
            "config error at $.named_handles[0]: unknown route type \"Nope\"");
  // The hash function's own complaint, at the hash's path (a hash module that accepts any name
  // loads it).
  std::string error = LoadError(std::string(kThree) + R"({"type": "PoolRoute", "pool": "A",
                "hash": "NoSuchFunction"}})");
  if (error != "(loaded)") {
    EXPECT_EQ(error.substr(0, 30), "config error at $.route.hash: ");
  }
}

TEST(McrouterConfigTest, OneAddressWithOtherTimeoutsIsAnotherServerTableEntry) {
  auto tree = MustLoad(R"({"pools": {
      "fast": {"servers": ["127.0.0.1:1"], "server_timeout": 50},
      "slow": {"servers": ["127.0.0.1:1"], "server_timeout": 500},
      "fast_too": {"servers": ["127.0.0.1:1"], "server_timeout": 50}},
    "route": {"type": "AllSyncRoute", "children": ["Pool|fast", "Pool|slow", "Pool|fast_too"]}})");
  ASSERT_NE(tree, nullptr);
  // Requests to one address with other timeouts are other requests (as mcrouter keys its
  // destinations by address and timeout); the same settings share an entry.
  ASSERT_EQ(tree->servers().size(), 2u);
  EXPECT_EQ(tree->servers()[0].server_timeout_ms, 50);
  EXPECT_EQ(tree->servers()[1].server_timeout_ms, 500);
  ASSERT_EQ(tree->pools().size(), 3u);
  EXPECT_EQ(tree->pools()[2].name, "fast_too");
  EXPECT_EQ(tree->pools()[2].servers, std::vector<DestinationId>{0});
  EXPECT_NE(tree->servers()[0].key(), tree->servers()[1].key());
}

TEST(McrouterConfigErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string route;
  for (int i = 0; i < 500; ++i) route += R"({"type": "AllSyncRoute", "children": [)";
  route += R"("NullRoute")";
  for (int i = 0; i < 500; ++i) route += "]}";
  std::string error = LoadError(R"({"route": )" + route + "}");
  EXPECT_NE(error.find("routes nest deeper than 64 levels"), std::string::npos) << error;
  std::string shorthand = "\"";
  for (int i = 0; i < 500; ++i) shorthand += "AllSyncRoute|";
  shorthand += "NullRoute\"";
  error = LoadError(R"({"route": )" + shorthand + "}");
  EXPECT_NE(error.find("routes nest deeper than 64 levels"), std::string::npos) << error;
}

TEST(McrouterConfigErrorTest, AHugeListIsAnErrorNotGigabytes) {
  std::string children = "[";
  for (int i = 0; i < 33000; ++i) children += "\"Pool|A\",";
  children += "\"NullRoute\"]";
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": ["127.0.0.1:1", "127.0.0.1:2"]}},
                          "route": {"type": "AllSyncRoute", "children": )" +
                      children + "}}"),
            "config error at $.route.children: more than 65536 routes in a list");
}

TEST(McrouterConfigErrorTest, ParseErrorsGiveLineAndColumn) {
  std::string error = LoadError("{\n  \"route\": \"NullRoute\",\n  oops\n}");
  EXPECT_EQ(error.substr(0, 36), "config error at line 3, column 3: sy") << error;
  EXPECT_EQ(error.find("last read"), std::string::npos) << error;
  error = LoadError("");
  EXPECT_EQ(error.substr(0, 34), "config error at line 1, column 1: ") << error;
  error = LoadError("// only a comment\n{\"route\": \"NullRoute\",}");
  EXPECT_EQ(error.substr(0, 35), "config error at line 2, column 23: ") << error;
}

TEST(McrouterConfigTest, UnknownTopLevelFieldsAreWarnedAbout) {
  auto tree = MustLoad(R"({"route": "NullRoute", "macros": {}})");
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(HasWarning(*tree, "at $.macros: ignoring the field (not supported)"));
}

// --- the shipped example configs

std::string ReadConfig(const std::string& relative) {
  // This file is src/router/config/; the configs are at the top of the tree.
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../../configs" / relative;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ShippedConfigTest, FleetJsonIsThreeLocalServersInOnePool) {
  auto tree = MustLoad(ReadConfig("fleet.json"));
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(tree->warnings().empty());
  ASSERT_EQ(tree->servers().size(), 3u);
  EXPECT_EQ(tree->servers()[0].address, "127.0.0.1:11311");
  EXPECT_EQ(tree->servers()[2].address, "127.0.0.1:11313");
  ASSERT_EQ(tree->pools().size(), 1u);
  EXPECT_EQ(tree->pools()[0].servers.size(), 3u);
  EXPECT_EQ(tree->default_route().type(), "PoolRoute");
  std::set<std::string> used;
  for (int i = 0; i < 100; ++i) {
    auto r = ReachKey(*tree, "key" + std::to_string(i));
    ASSERT_EQ(r.size(), 1u);
    used.insert(r[0]);
  }
  EXPECT_EQ(used.size(), 3u);
}

TEST(ShippedConfigTest, ReplicatedJsonWritesToAllReplicasAndReadsFromOne) {
  auto tree = MustLoad(ReadConfig("examples/replicated.json"));
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(tree->warnings().empty());
  EXPECT_EQ(ReachKey(*tree, "session:1", Op::kSet).size(), 3u);
  EXPECT_EQ(ReachKey(*tree, "session:1", Op::kDelete).size(), 3u);
  EXPECT_EQ(ReachKey(*tree, "feed:1", Op::kSet).size(), 2u);
  EXPECT_EQ(ReachKey(*tree, "user:1", Op::kSet).size(), 1u);
  // Reads: the session route's LatestRoute tries its replicas in order, one at a time.
  FakeContext ctx;
  for (DestinationId d = 0; d < tree->servers().size(); ++d) {
    ctx.auto_replies[d] = testing::Reply(ResultCode::kFound, "v");
  }
  Replies done;
  TestRequest get("session:1", Op::kGet);
  tree->default_route().Dispatch(get.req, ctx, done);
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(tree->servers()[ctx.sent[0].dest].pool, "sessions");
  ctx.random_values = {1};
  TestRequest feed("feed:1", Op::kGet);
  tree->default_route().Dispatch(feed.req, ctx, done);
  ASSERT_EQ(ctx.sent.size(), 2u);
  EXPECT_EQ(tree->servers()[ctx.sent[1].dest].pool, "feeds");
  EXPECT_EQ(done.got.size(), 2u);
}

// The write log: every server of a pool a write fan-out route writes to, unless the pool says
// "write_log": false; not the servers of pools only hashed or failed over to.
bool Logged(const RouteTree& tree, std::string_view address) {
  for (const UpstreamSpec& s : tree.servers()) {
    if (s.address == address) return s.write_log;
  }
  ADD_FAILURE() << "no server " << address;
  return false;
}

TEST(McrouterConfigTest, WriteLogIsOnForPoolsWrittenThroughAFanOut) {
  auto tree = MustLoad(R"({
    "pools": {
      "R": {"servers": ["127.0.0.1:5001", "127.0.0.1:5002"]},
      "Off": {"servers": ["127.0.0.1:5003", "127.0.0.1:5004"], "write_log": false},
      "Plain": {"servers": ["127.0.0.1:5005"]},
      "Fast": {"servers": ["127.0.0.1:5006", "127.0.0.1:5007"]}
    },
    "routes": [
      {"aliases": ["/a/r/"], "route": {"type": "OperationSelectorRoute",
        "default_policy": "FailoverRoute|Pool|R",
        "operation_policies": {"set": "AllSyncRoute|Pool|R", "delete": "AllInitialRoute|Pool|R"}}},
      {"aliases": ["/a/off/"], "route": "AllMajorityRoute|Pool|Off"},
      {"aliases": ["/a/plain/"], "route": "PoolRoute|Plain"},
      {"aliases": ["/a/fast/"], "route": "AllFastestRoute|Pool|Fast"}
    ]
  })");
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(Logged(*tree, "127.0.0.1:5001"));
  EXPECT_TRUE(Logged(*tree, "127.0.0.1:5002"));
  EXPECT_FALSE(Logged(*tree, "127.0.0.1:5003"));
  EXPECT_FALSE(Logged(*tree, "127.0.0.1:5004"));
  EXPECT_FALSE(Logged(*tree, "127.0.0.1:5005"));
  EXPECT_FALSE(Logged(*tree, "127.0.0.1:5006"));
}

TEST(McrouterConfigTest, WriteLogOfPoolRoutesUnderAnAllAsyncRoute) {
  auto tree = MustLoad(R"({
    "pools": {"A": {"servers": ["127.0.0.1:5001"]}, "B": {"servers": ["127.0.0.1:5002"]}},
    "route": {"type": "AllAsyncRoute", "children": ["PoolRoute|A", "PoolRoute|B"]}
  })");
  ASSERT_NE(tree, nullptr);
  EXPECT_TRUE(Logged(*tree, "127.0.0.1:5001"));
  EXPECT_TRUE(Logged(*tree, "127.0.0.1:5002"));
}

TEST(McrouterConfigTest, WriteLogMustBeABoolean) {
  EXPECT_EQ(LoadError(R"({"pools": {"A": {"servers": ["127.0.0.1:5001"], "write_log": "no"}},
                          "route": "AllSyncRoute|Pool|A"})"),
            "config error at $.pools.A.write_log: expected a boolean, got a string");
}

}  // namespace
}  // namespace memfleet::router
