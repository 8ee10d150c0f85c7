#include "router/config/nutcracker_config.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "router/config/nutcracker_address.h"
#include "router/config/route_tree.h"
#include "router/hash/hash_func.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::TestRequest;

LoadOptions Options() {
  LoadOptions o;
  o.host_id = 12345;
  return o;
}

std::shared_ptr<const RouteTree> MustLoad(std::string_view text) {
  auto r = LoadRouteTree("nutcracker.yml", text, Options());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : nullptr;
}

std::string LoadError(std::string_view text) {
  auto r = LoadRouteTree("nutcracker.yml", text, Options());
  if (r.ok()) return "(loaded)";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

bool HasWarning(const RouteTree& tree, std::string_view part) {
  for (const std::string& w : tree.warnings()) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

const ListenerSpec& Listener(const RouteTree& tree, std::string_view pool) {
  for (const ListenerSpec& l : tree.listeners()) {
    if (l.pool == pool) return l;
  }
  ADD_FAILURE() << "no listener for pool " << pool;
  return tree.listeners().at(0);
}

// The one server address a key reaches through a pool's listener route.
std::string ServerFor(const RouteTree& tree, std::string_view pool, std::string key) {
  TestRequest t(std::move(key));
  Destinations d;
  Listener(tree, pool).route->Traverse(t.req, d);
  EXPECT_EQ(d.seen.size(), 1u);
  return d.seen.empty() ? "" : tree.servers().at(d.seen[0]).address;
}

const UpstreamSpec& Server(const RouteTree& tree, std::string_view address) {
  for (const UpstreamSpec& s : tree.servers()) {
    if (s.address == address) return s;
  }
  ADD_FAILURE() << "no server " << address;
  return tree.servers().at(0);
}

std::vector<std::string> Keys(int n, std::string_view prefix = "key:") {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(std::string(prefix) + std::to_string(i * 7919));
  return keys;
}

// Checks that every key goes where the hash module, given the spec, says it goes: the loader
// hands the hash function what the yml says (names, weights, hash, distribution, tag).
void ExpectPlacement(const RouteTree& tree, std::string_view pool, hash::HashSpec spec,
                     const std::vector<std::string>& addresses,
                     const std::vector<std::string>& keys, bool every_server_used = true) {
  spec.func = "nutcracker";
  auto func = hash::MakeHashFunction(spec);
  ASSERT_TRUE(func.ok()) << func.status().message();
  std::set<std::string> used;
  for (const std::string& key : keys) {
    const std::string got = ServerFor(tree, pool, key);
    ASSERT_EQ(got, addresses.at(func.value()->Pick(key))) << key;
    used.insert(got);
  }
  if (every_server_used) {
    EXPECT_EQ(used.size(), addresses.size()) << "every server gets keys";
  }
}

hash::HashServer HashServer(std::string address, std::string name = "", double weight = 1) {
  hash::HashServer s;
  s.address = std::move(address);
  s.name = std::move(name);
  s.weight = weight;
  return s;
}

// A nutcracker pool's spec: twemproxy's defaults unless given.
hash::HashSpec Spec(std::vector<hash::HashServer> servers, std::string hash_name = "fnv1a_64",
                    std::string distribution = "ketama", std::string hash_tag = "") {
  hash::HashSpec spec;
  spec.func = "nutcracker";
  spec.servers = std::move(servers);
  spec.nutcracker_hash = std::move(hash_name);
  spec.distribution = std::move(distribution);
  spec.hash_tag = std::move(hash_tag);
  return spec;
}

// twemproxy's own conf/nutcracker.yml, its memcached pools as they are and its redis pools
// (alpha, beta) turned into memcached ones.
constexpr std::string_view kTwemproxyExample = R"yml(
alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: true
  redis: false
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:11211:1

beta:
  listen: 127.0.0.1:22122
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: false
  timeout: 400
  servers:
   - 127.0.0.1:11212:1 server1
   - 127.0.0.1:11213:1 server2
   - 127.0.0.1:11214:1 server3
   - 127.0.0.1:11215:1 server4

gamma:
  listen: 127.0.0.1:22123
  hash: fnv1a_64
  distribution: ketama
  timeout: 400
  backlog: 1024
  preconnect: true
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 3
  servers:
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1

delta:
  listen: 127.0.0.1:22124
  hash: fnv1a_64
  distribution: ketama
  timeout: 100
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  servers:
   - 127.0.0.1:11214:1
   - 127.0.0.1:11215:1
   - 127.0.0.1:11216:1
   - 127.0.0.1:11217:1
   - 127.0.0.1:11218:1
   - 127.0.0.1:11219:1
   - 127.0.0.1:11220:1
   - 127.0.0.1:11221:1
   - 127.0.0.1:11222:1
   - 127.0.0.1:11223:1

omega:
  listen: /tmp/gamma
  hash: hsieh
  distribution: ketama
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:11214:100000
   - 127.0.0.1:11215:1
)yml";

TEST(NutcrackerConfigTest, TwemproxysExampleLoads) {
  auto tree = MustLoad(kTwemproxyExample);
  ASSERT_NE(tree, nullptr);
  ASSERT_EQ(tree->listeners().size(), 5u);
  const std::vector<std::pair<std::string, std::string>> want = {{"alpha", "127.0.0.1:22121"},
                                                                 {"beta", "127.0.0.1:22122"},
                                                                 {"gamma", "127.0.0.1:22123"},
                                                                 {"delta", "127.0.0.1:22124"},
                                                                 {"omega", "/tmp/gamma"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(tree->listeners()[i].pool, want[i].first);
    EXPECT_EQ(tree->listeners()[i].address, want[i].second);
    EXPECT_EQ(tree->listeners()[i].route->type(), "PoolRoute");
  }
  ASSERT_EQ(tree->pools().size(), 5u);
  EXPECT_EQ(tree->pools()[3].name, "delta");
  EXPECT_EQ(tree->pools()[3].servers.size(), 10u);
  // The first pool's route is the default one.
  std::string_view stripped;
  EXPECT_EQ(tree->Select("k", &stripped), tree->listeners()[0].route.get());

  // One address with other settings is another server (beta's and gamma's 11212 differ in
  // their failure options).
  int with_11212 = 0;
  for (const UpstreamSpec& s : tree->servers()) with_11212 += s.address == "127.0.0.1:11212";
  EXPECT_EQ(with_11212, 2);
  const UpstreamSpec& alpha = Server(*tree, "127.0.0.1:11211");
  EXPECT_EQ(alpha.pool, "alpha");
  EXPECT_TRUE(alpha.auto_eject_hosts);
  EXPECT_EQ(alpha.server_retry_timeout_ms, 2000);
  EXPECT_EQ(alpha.server_failure_limit, 1);
  EXPECT_EQ(alpha.server_timeout_ms, 0);  // no timeout: the router's --server-timeout
  EXPECT_EQ(alpha.connections, 1);
  for (const UpstreamSpec& s : tree->servers()) {
    if (s.pool == "beta") {
      EXPECT_EQ(s.server_timeout_ms, 400);
      EXPECT_FALSE(s.auto_eject_hosts);
      EXPECT_EQ(s.server_retry_timeout_ms, 30000);  // twemproxy's defaults
      EXPECT_EQ(s.server_failure_limit, 2);
    }
    if (s.pool == "gamma") {
      EXPECT_EQ(s.server_failure_limit, 3);
    }
  }

  EXPECT_FALSE(HasWarning(*tree, "backlog"));  // honoured: the pool's listener uses it
  // auto_eject_hosts is honoured (health tracking ejects servers), so no warning about it.
  EXPECT_FALSE(HasWarning(*tree, "auto_eject_hosts"));
  EXPECT_FALSE(HasWarning(*tree, "$.beta"));

  // beta: named servers and a hash tag.
  ExpectPlacement(*tree, "beta",
                  Spec({HashServer("a", "server1"), HashServer("b", "server2"),
                        HashServer("c", "server3"), HashServer("d", "server4")},
                       "fnv1a_64", "ketama", "{}"),
                  {"127.0.0.1:11212", "127.0.0.1:11213", "127.0.0.1:11214", "127.0.0.1:11215"},
                  Keys(2000));
  // omega: hsieh, very unequal weights (twemproxy gives the server of weight 1 no ketama point
  // at all).
  ExpectPlacement(*tree, "omega",
                  Spec({HashServer("127.0.0.1:11214", "", 100000), HashServer("127.0.0.1:11215")},
                       "hsieh", "ketama"),
                  {"127.0.0.1:11214", "127.0.0.1:11215"}, Keys(2000), false);
}

TEST(NutcrackerConfigTest, DefaultsAreTwemproxys) {
  auto tree = MustLoad(R"(
pool:
  listen: 127.0.0.1:22121
  servers:
   - 127.0.0.1:11211:1
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1
)");
  ASSERT_NE(tree, nullptr);
  ASSERT_EQ(tree->servers().size(), 3u);
  for (const UpstreamSpec& s : tree->servers()) {
    EXPECT_EQ(s.server_timeout_ms, 0);
    EXPECT_EQ(s.connect_timeout_ms, 0);
    EXPECT_EQ(s.connections, 1);
    EXPECT_FALSE(s.auto_eject_hosts);
    EXPECT_EQ(s.server_retry_timeout_ms, 30000);
    EXPECT_EQ(s.server_failure_limit, 2);
    EXPECT_EQ(s.pool, "pool");
  }
  EXPECT_TRUE(tree->warnings().empty());
  // fnv1a_64, ketama, no hash tag; unnamed servers hash as "host" on 11211, "host:port" else.
  ExpectPlacement(*tree, "pool",
                  Spec({HashServer("127.0.0.1:11211"), HashServer("127.0.0.1:11212"),
                        HashServer("127.0.0.1:11213")},
                       "fnv1a_64", "ketama"),
                  {"127.0.0.1:11211", "127.0.0.1:11212", "127.0.0.1:11213"}, Keys(3000));
  // Defaults are not an accident of the hash module's: a modula pool places differently.
  hash::HashSpec modula = Spec(
      {HashServer("127.0.0.1:11211"), HashServer("127.0.0.1:11212"), HashServer("127.0.0.1:11213")},
      "fnv1a_64", "modula");
  auto f = hash::MakeHashFunction(modula);
  ASSERT_TRUE(f.ok());
  int differ = 0;
  for (const std::string& k : Keys(300)) {
    const std::string want = "127.0.0.1:1121" + std::to_string(1 + f.value()->Pick(k));
    differ += ServerFor(*tree, "pool", k) != want;
  }
  EXPECT_GT(differ, 0);
}

TEST(NutcrackerConfigTest, EveryDirectiveIsRead) {
  auto tree = MustLoad(R"(
everything:
  listen: 0.0.0.0:22121
  hash: murmur
  hash_tag: "[]"
  distribution: modula
  timeout: 250
  backlog: 128
  preconnect: false
  client_connections: 100
  redis: false
  redis_db: 0
  tcpkeepalive: true
  reuseport: false
  auto_eject_hosts: true
  server_connections: 4
  server_retry_timeout: 1500
  server_failure_limit: 5
  servers:
   - 127.0.0.1:11211:2 first
   - localhost:11212:1
   - ::1:11213:3 third
)");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->listeners().at(0).address, "0.0.0.0:22121");
  ASSERT_EQ(tree->servers().size(), 3u);
  EXPECT_EQ(tree->servers()[0].address, "127.0.0.1:11211");
  EXPECT_EQ(tree->servers()[1].address, "localhost:11212");
  EXPECT_EQ(tree->servers()[2].address, "[::1]:11213");
  for (const UpstreamSpec& s : tree->servers()) {
    EXPECT_EQ(s.server_timeout_ms, 250);
    EXPECT_EQ(s.connections, 4);
    EXPECT_TRUE(s.auto_eject_hosts);
    EXPECT_EQ(s.server_retry_timeout_ms, 1500);
    EXPECT_EQ(s.server_failure_limit, 5);
  }
  EXPECT_EQ(tree->listeners().at(0).backlog, 128);
  EXPECT_EQ(tree->listeners().at(0).mode, -1);
  EXPECT_FALSE(HasWarning(*tree, "backlog"));
  EXPECT_TRUE(HasWarning(*tree, "at $.everything.redis_db: ignoring redis_db"));
  EXPECT_TRUE(HasWarning(*tree, "at $.everything.tcpkeepalive: ignoring tcpkeepalive"));
  EXPECT_FALSE(HasWarning(*tree, "reuseport"));  // false: nothing to ignore
  ExpectPlacement(*tree, "everything",
                  Spec({HashServer("a", "first", 2), HashServer("localhost:11212"),
                        HashServer("b", "third", 3)},
                       "murmur", "modula", "[]"),
                  {"127.0.0.1:11211", "localhost:11212", "[::1]:11213"}, Keys(3000));
}

TEST(NutcrackerConfigTest, NamesAndWeightsDecidePlacement) {
  constexpr std::string_view kNamed = R"(
p:
  listen: 127.0.0.1:22121
  hash: one_at_a_time
  servers:
   - 127.0.0.1:11211:1 alpha
   - 127.0.0.1:11212:3 b
   - 127.0.0.1:11213:2 server-three
)";
  auto tree = MustLoad(kNamed);
  ASSERT_NE(tree, nullptr);
  const std::vector<std::string> addresses = {"127.0.0.1:11211", "127.0.0.1:11212",
                                              "127.0.0.1:11213"};
  ExpectPlacement(*tree, "p",
                  Spec({HashServer("x", "alpha", 1), HashServer("y", "b", 3),
                        HashServer("z", "server-three", 2)},
                       "one_at_a_time", "ketama"),
                  addresses, Keys(3000));
  // The same servers renamed: keys move (the names are what ketama hashes, not the addresses).
  std::string renamed(kNamed);
  renamed.replace(renamed.find(" alpha"), 6, " other");
  auto moved = MustLoad(renamed);
  ASSERT_NE(moved, nullptr);
  int differ = 0;
  for (const std::string& k : Keys(1000)) {
    differ += ServerFor(*tree, "p", k) != ServerFor(*moved, "p", k);
  }
  EXPECT_GT(differ, 0);
  // Weights: the server of weight 3 gets about half of the keys.
  std::map<std::string, int> count;
  for (const std::string& k : Keys(6000)) ++count[ServerFor(*tree, "p", k)];
  EXPECT_GT(count["127.0.0.1:11212"], count["127.0.0.1:11211"]);
  EXPECT_GT(count["127.0.0.1:11212"], count["127.0.0.1:11213"]);
}

TEST(NutcrackerConfigTest, HashTagKeepsTaggedKeysTogether) {
  auto tree = MustLoad(R"(
tagged:
  listen: 127.0.0.1:22121
  hash_tag: "{}"
  servers:
   - 127.0.0.1:11211:1
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1
)");
  ASSERT_NE(tree, nullptr);
  std::set<std::string> tags_seen;
  for (int user = 0; user < 50; ++user) {
    // Tags that differ early: twemproxy's fnv1a_64 (32 bits, prime 0x1b3) puts strings that
    // differ only in their last byte next to each other on the continuum.
    const std::string tag = "{" + std::to_string(user * 2654435761u) + "user}";
    const std::string first = ServerFor(*tree, "tagged", tag + ":profile");
    tags_seen.insert(first);
    for (const char* rest : {":a", ":session:1", ":cart"}) {
      EXPECT_EQ(ServerFor(*tree, "tagged", "prefix" + tag + rest), first) << tag << rest;
    }
  }
  EXPECT_EQ(tags_seen.size(), 3u);
}

TEST(NutcrackerConfigTest, EveryHashAndDistributionLoads) {
  for (const char* h : {"one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64",
                        "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"}) {
    for (const char* d : {"ketama", "modula", "random"}) {
      SCOPED_TRACE(std::string(h) + " " + d);
      std::string yml = "p:\n  listen: 127.0.0.1:22121\n  hash: " + std::string(h) +
                        "\n  distribution: " + d +
                        "\n  servers:\n   - 127.0.0.1:11211:1\n   - 127.0.0.1:11212:1\n";
      auto tree = MustLoad(yml);
      ASSERT_NE(tree, nullptr) << h << " " << d;
      if (std::string_view(d) == "random") continue;
      hash::HashSpec spec =
          Spec({HashServer("127.0.0.1:11211"), HashServer("127.0.0.1:11212")}, h, d);
      // twemproxy's crc32 is 15 bits: under ketama's 32-bit points every key takes the first.
      const bool spread = !(std::string_view(h) == "crc32" && std::string_view(d) == "ketama");
      ExpectPlacement(*tree, "p", spec, {"127.0.0.1:11211", "127.0.0.1:11212"}, Keys(300), spread);
    }
  }
}

TEST(NutcrackerConfigTest, TwoPoolsListenApartAndShareServers) {
  auto tree = MustLoad(R"(
one:
  listen: 127.0.0.1:22121
  servers:
   - 127.0.0.1:11211:1
   - 127.0.0.1:11212:1
two:
  listen: /run/memfleet/two.sock 0660
  distribution: modula
  servers:
   - 127.0.0.1:11212:1
   - /run/memcached.sock:1
)");
  ASSERT_NE(tree, nullptr);
  ASSERT_EQ(tree->listeners().size(), 2u);
  EXPECT_EQ(tree->listeners()[1].address, "/run/memfleet/two.sock");
  EXPECT_EQ(tree->listeners()[1].mode, 0660);  // the socket gets this mode
  EXPECT_EQ(tree->listeners()[0].mode, -1);
  EXPECT_EQ(tree->listeners()[0].backlog, 0);  // not given: the router's --listen-backlog
  EXPECT_FALSE(HasWarning(*tree, "file mode"));
  // 11212 has the same settings in both pools: one server table entry, pool "one".
  ASSERT_EQ(tree->servers().size(), 3u);
  EXPECT_EQ(Server(*tree, "127.0.0.1:11212").pool, "one");
  EXPECT_EQ(Server(*tree, "/run/memcached.sock").pool, "two");
  std::set<std::string> one, two;
  for (const std::string& k : Keys(500)) {
    one.insert(ServerFor(*tree, "one", k));
    two.insert(ServerFor(*tree, "two", k));
  }
  EXPECT_EQ(one, (std::set<std::string>{"127.0.0.1:11211", "127.0.0.1:11212"}));
  EXPECT_EQ(two, (std::set<std::string>{"127.0.0.1:11212", "/run/memcached.sock"}));
  // An unnamed socket server hashes as twemproxy names it: its path and a colon.
  ExpectPlacement(*tree, "two",
                  Spec({HashServer("127.0.0.1:11212"), HashServer("x", "/run/memcached.sock:")},
                       "fnv1a_64", "modula"),
                  {"127.0.0.1:11212", "/run/memcached.sock"}, Keys(500));
}

TEST(NutcrackerConfigTest, TheConfigMd5IsKept) {
  auto tree = MustLoad("p:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1\n");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->md5().size(), 32u);
}

TEST(NutcrackerConfigTest, YmlAndYamlNamesChooseTheDialect) {
  const std::string yml = "p:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1\n";
  for (const char* name : {"nutcracker.yml", "/etc/nutcracker/CONF.YAML", "x.Yml"}) {
    auto r = LoadRouteTree(name, yml, Options());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().message();
    EXPECT_EQ(r.value()->listeners().size(), 1u);
  }
  // The same text as JSON is not JSON.
  EXPECT_FALSE(LoadRouteTree("nutcracker.json", yml, Options()).ok());
}

// --- the address strings

TEST(NutcrackerAddressTest, ServersParseFromTheEndAsTwemproxy) {
  struct Case {
    const char* text;
    const char* address;
    const char* name;
    uint32_t weight;
  };
  for (const Case& c : std::vector<Case>{
           {"127.0.0.1:11211:1", "127.0.0.1:11211", "127.0.0.1", 1},
           {"127.0.0.1:11212:7", "127.0.0.1:11212", "127.0.0.1:11212", 7},
           {"127.0.0.1:11212:1 server1", "127.0.0.1:11212", "server1", 1},
           {"cache.example:11211:2 a:b", "cache.example:11211", "a:b", 2},
           {"::1:11213:1", "[::1]:11213", "::1:11213", 1},
           {"::1:11211:1", "[::1]:11211", "::1", 1},
           {"127.0.0.1:011211:1", "127.0.0.1:11211", "127.0.0.1", 1},
           {"/var/run/mc.sock:1", "/var/run/mc.sock", "/var/run/mc.sock:", 1},
           {"/var/run/mc.sock:3 sock", "/var/run/mc.sock", "sock", 3},
       }) {
    auto s = ParseNutcrackerServer(c.text);
    ASSERT_TRUE(s.ok()) << c.text << ": " << s.status().message();
    EXPECT_EQ(s->address, c.address) << c.text;
    EXPECT_EQ(s->name, c.name) << c.text;
    EXPECT_EQ(s->weight, c.weight) << c.text;
  }
}

TEST(NutcrackerAddressTest, BadServersAreRefused) {
  struct Case {
    const char* text;
    const char* problem;
  };
  for (const Case& c : std::vector<Case>{
           {"127.0.0.1:11211", "has no port"},  // "11211" is taken as the weight
           {"127.0.0.1", "has no weight"},
           {"127.0.0.1:11211:0", "has a zero weight"},
           {"127.0.0.1:11211:-1", "has an invalid weight"},
           {"127.0.0.1:11211:x", "has an invalid weight"},
           {"127.0.0.1:11211:", "has an invalid weight"},
           {"127.0.0.1:11211:99999999999", "has an invalid weight"},
           {"127.0.0.1:11211:1 two words", "has an invalid weight"},
           {"127.0.0.1:11211:1 ", "has an empty server name"},
           {"127.0.0.1:0:1", "has an invalid port"},
           {"127.0.0.1:65536:1", "has an invalid port"},
           {"127.0.0.1:port:1", "has an invalid port"},
           {"11211:1", "has no port"},
           {":11211:1", "has no host"},
           {"/var/run/a:b:1", "has a colon in its socket path"},
           {"/:1", "has an invalid socket path"},
       }) {
    auto s = ParseNutcrackerServer(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.status().message().find(c.problem), std::string::npos)
        << c.text << ": " << s.status().message();
    EXPECT_EQ(s.status().message().find(std::string("\"") + c.text + "\""), 0u)
        << s.status().message();
  }
}

TEST(NutcrackerAddressTest, ListenForms) {
  struct Case {
    const char* text;
    const char* address;
    int mode;
  };
  for (const Case& c : std::vector<Case>{
           {"127.0.0.1:22121", "127.0.0.1:22121", -1},
           {"localhost:22121", "localhost:22121", -1},
           {"0.0.0.0:1", "0.0.0.0:1", -1},
           {"::1:22121", "[::1]:22121", -1},
           {"/tmp/gamma", "/tmp/gamma", -1},
           {"/tmp/gamma 0666", "/tmp/gamma", 0666},
           {"/tmp/gamma 755", "/tmp/gamma", 0755},
       }) {
    auto l = ParseNutcrackerListen(c.text);
    ASSERT_TRUE(l.ok()) << c.text << ": " << l.status().message();
    EXPECT_EQ(l->address, c.address);
    EXPECT_EQ(l->mode, c.mode);
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":22121",
                          "/tmp/gamma 0999", "/tmp/gamma 07777", "/tmp/gamma ", "/ 0666"}) {
    EXPECT_FALSE(ParseNutcrackerListen(bad).ok()) << bad;
  }
}

// --- errors

std::string Pool(std::string_view directives,
                 std::string_view servers = "  servers:\n   - 127.0.0.1:11211:1\n") {
  return "p:\n  listen: 127.0.0.1:22121\n" + std::string(directives) + std::string(servers);
}

TEST(NutcrackerConfigErrorTest, DirectiveValues) {
  struct Case {
    std::string yml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {Pool("  hash: sha1\n"),
       "config error at $.p.hash: unknown hash \"sha1\" (known: one_at_a_time, md5, crc16, "
       "crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins)"},
      {Pool("  hash: FNV1A_64\n"), "config error at $.p.hash: unknown hash \"FNV1A_64\""},
      {Pool("  distribution: consistent\n"),
       "config error at $.p.distribution: unknown distribution \"consistent\" (known: ketama, "
       "modula, random)"},
      {Pool("  hash_tag: \"{\"\n"),
       "config error at $.p.hash_tag: \"{\" is not two characters (e.g. \"{}\")"},
      {Pool("  hash_tag: \"\"\n"), "config error at $.p.hash_tag: has no value"},
      {Pool("  timeout:\n"), "config error at $.p.timeout: has no value"},
      {Pool("  timeout: -1\n"),
       "config error at $.p.timeout: expected a whole number from 0 to 2147483647, got \"-1\""},
      {Pool("  timeout: 1.5\n"), "config error at $.p.timeout: expected a whole number"},
      {Pool("  timeout: 2147483648\n"), "config error at $.p.timeout: expected a whole number"},
      {Pool("  timeout: [1, 2]\n"),
       "config error at $.p.timeout: expected a single value, got a sequence"},
      {Pool("  backlog: many\n"), "config error at $.p.backlog: expected a whole number"},
      {Pool("  server_connections: 0\n"), "config error at $.p.server_connections: cannot be 0"},
      {Pool("  server_connections: 5000\n"),
       "config error at $.p.server_connections: at most 1024 connections per server"},
      {Pool("  server_failure_limit: x\n"), "config error at $.p.server_failure_limit: expected"},
      {Pool("  server_retry_timeout: x\n"), "config error at $.p.server_retry_timeout: expected"},
      {Pool("  client_connections: x\n"), "config error at $.p.client_connections: expected"},
      {Pool("  redis_db: x\n"), "config error at $.p.redis_db: expected"},
      {Pool("  preconnect: yes\n"),
       "config error at $.p.preconnect: expected true or false, got \"yes\""},
      {Pool("  auto_eject_hosts: True\n"), "config error at $.p.auto_eject_hosts: expected true"},
      {Pool("  tcpkeepalive: 1\n"), "config error at $.p.tcpkeepalive: expected true"},
      {Pool("  redis: true\n"),
       "config error at $.p.redis: redis pools are not supported (memfleet speaks the memcached "
       "protocol only)"},
      {Pool("  redis: maybe\n"), "config error at $.p.redis: expected true or false"},
      {Pool("  redis_auth: secret\n"),
       "config error at $.p.redis_auth: redis_auth is only valid for a redis pool"},
      {Pool("  sentinel: true\n"), "config error at $.p.sentinel: unknown directive \"sentinel\""},
      {Pool("  Hash: md5\n"), "config error at $.p.Hash: unknown directive \"Hash\""},
      {Pool("  hash: md5\n  hash: crc32\n"), "config error at $.p.hash: is given twice"},
  };
  for (const Case& c : cases) {
    std::string error = LoadError(c.yml);
    EXPECT_EQ(error.substr(0, c.error.size()), c.error) << c.yml;
  }
}

TEST(NutcrackerConfigErrorTest, ListenAndServers) {
  struct Case {
    std::string yml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"p:\n  servers:\n   - 127.0.0.1:11211:1\n",
       "config error at $.p: missing required directive \"listen\""},
      {"p:\n  listen: 127.0.0.1:22121\n",
       "config error at $.p: missing required directive "
       "\"servers\""},
      {"p:\n  listen: 127.0.0.1:22121\n  servers:\n",
       "config error at $.p.servers: the pool has no servers"},
      {"p:\n  listen: 127.0.0.1:22121\n  servers: []\n",
       "config error at $.p.servers: the pool has no servers"},
      {"p:\n  listen: 127.0.0.1:22121\n  servers: 127.0.0.1:11211:1\n",
       "config error at $.p.servers: expected a sequence of servers, got a scalar"},
      {"p:\n  listen: localhost\n  servers:\n   - 127.0.0.1:11211:1\n",
       "config error at $.p.listen: \"localhost\" has no port (expected \"host:port\" or "
       "\"/path/to/socket [mode]\")"},
      {"p:\n  listen: 127.0.0.1:99999\n  servers:\n   - 127.0.0.1:11211:1\n",
       "config error at $.p.listen: \"127.0.0.1:99999\" has an invalid port"},
      {"p:\n  listen: /tmp/s 0888\n  servers:\n   - 127.0.0.1:11211:1\n",
       "config error at $.p.listen: \"/tmp/s 0888\" has an invalid file mode"},
      {"p:\n  listen: [a, b]\n  servers:\n   - 127.0.0.1:11211:1\n",
       "config error at $.p.listen: expected a single value, got a sequence"},
      {Pool("", "  servers:\n   - 127.0.0.1:11211:1\n   - 127.0.0.1:11212\n"),
       "config error at $.p.servers[1]: \"127.0.0.1:11212\" has no port (expected "
       "\"host:port:weight [name]\" or \"/path/to/socket:weight [name]\")"},
      {Pool("", "  servers:\n   - 127.0.0.1:11211:1\n   - [a]\n"),
       "config error at $.p.servers[1]: expected a \"host:port:weight [name]\" string, got a "
       "sequence"},
      {Pool("", "  servers:\n   - 127.0.0.1:11211:1\n   -\n"),
       "config error at $.p.servers[1]: expected a \"host:port:weight [name]\" string, got "
       "nothing"},
      {Pool("",
            "  servers:\n   - 127.0.0.1:11211:1 a\n   - 127.0.0.1:11212:1 b\n"
            "   - 127.0.0.1:11213:1 a\n"),
       "config error at $.p.servers[2]: has the name \"a\" of $.p.servers[0] (server names must "
       "differ)"},
      // Unnamed, the same host and port is the same name, whatever the weight.
      {Pool("", "  servers:\n   - 127.0.0.1:11211:1\n   - 127.0.0.1:11211:2\n"),
       "config error at $.p.servers[1]: has the name \"127.0.0.1\" of $.p.servers[0]"},
      {Pool("", "  servers:\n   - 127.0.0.1:11211:1\n  servers:\n   - 127.0.0.1:11212:1\n"),
       "config error at $.p.servers: is given twice"},
  };
  for (const Case& c : cases) {
    std::string error = LoadError(c.yml);
    EXPECT_EQ(error.substr(0, c.error.size()), c.error) << c.yml;
  }
}

TEST(NutcrackerConfigErrorTest, FileShape) {
  struct Case {
    std::string yml;
    std::string error;
  };
  const std::string ok_pool = "  listen: 127.0.0.1:22121\n  servers:\n   - 127.0.0.1:11211:1\n";
  const std::vector<Case> cases = {
      {"", "config error at $: the config has no pools"},
      {"# only a comment\n", "config error at $: the config has no pools"},
      {"{}", "config error at $: the config has no pools"},
      {"- a\n- b\n", "config error at $: expected a mapping of pools, got a sequence"},
      {"just text\n", "config error at $: expected a mapping of pools, got a scalar"},
      {"p: 1\n", "config error at $.p: expected a mapping of directives, got a scalar"},
      {"p:\n", "config error at $.p: expected a mapping of directives, got nothing"},
      {"p:\n" + ok_pool + "p:\n" + ok_pool, "config error at $.p: pool \"p\" is defined twice"},
      {"a:\n" + ok_pool + "b:\n" + ok_pool,
       "config error at $.b.listen: pools \"a\" and \"b\" have the same listen address "
       "\"127.0.0.1:22121\""},
      {"p:\n" + ok_pool + "---\nq:\n" + ok_pool,
       "config error at line 5, column 1: a nutcracker.yml is one YAML document, without \"---\" "
       "or \"...\" markers"},
      {"---\np:\n" + ok_pool, "config error at line 1, column 1: a nutcracker.yml is one"},
      {"p:\n" + ok_pool + "...\n", "config error at line 5, column 1: a nutcracker.yml is one"},
      {"p:\n" + ok_pool + "--- # two\n", "config error at line 5, column 1: a nutcracker.yml"},
      // yaml-cpp 0.7's LoadAll never returns on this one.
      {std::string(",p!!&o\xf4"
                   "a"),
       "config error at $: the config has no pools"},
      {"? [a, b]\n: {}\n", "config error at $: a pool name must be a non-empty string"},
      {"\"my pool\":\n  listen: 127.0.0.1:22121\n  servers:\n   - x\n",
       "config error at $[\"my pool\"].servers[0]: \"x\" has no weight"},
  };
  for (const Case& c : cases) {
    std::string error = LoadError(c.yml);
    EXPECT_EQ(error.substr(0, c.error.size()), c.error) << c.yml;
  }
}

TEST(NutcrackerConfigErrorTest, YamlSyntaxErrorsGiveLineAndColumn) {
  for (const char* yml : {"p: {a: b\n", "p:\n  a: b\n c: d\n", "p:\n\tlisten: 127.0.0.1:1\n",
                          "p: [\n", "p: *nowhere\n"}) {
    std::string error = LoadError(yml);
    EXPECT_EQ(error.rfind("config error at line ", 0), 0u) << yml << " -> " << error;
    EXPECT_NE(error.find(", column "), std::string::npos) << error;
  }
  std::string error = LoadError("p:\n  listen: 127.0.0.1:1\n  servers: [\n");
  EXPECT_EQ(error.rfind("config error at line 4, column 1: ", 0), 0u) << error;
}

TEST(NutcrackerConfigErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "p: ";
  for (int i = 0; i < 100000; ++i) deep += "[";
  std::string error = LoadError(deep);
  EXPECT_EQ(error.rfind("config error", 0), 0u) << error.substr(0, 200);
  std::string deep_maps = "p: ";
  for (int i = 0; i < 100000; ++i) deep_maps += "{a: ";
  error = LoadError(deep_maps);
  EXPECT_EQ(error.rfind("config error", 0), 0u) << error.substr(0, 200);
}

}  // namespace
}  // namespace memfleet::router
