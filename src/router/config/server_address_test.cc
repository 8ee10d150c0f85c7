#include "router/config/server_address.h"

#include <gtest/gtest.h>

namespace memfleet::router {
namespace {

TEST(ServerAddressTest, HostPortWithAndWithoutSuffixes) {
  auto a = ParseServerAddress("127.0.0.1:11211");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->address, "127.0.0.1:11211");
  EXPECT_EQ(a->spelled, "127.0.0.1:11211");
  auto b = ParseServerAddress("127.0.0.1:11211:ascii:plain:notcompressed");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->address, "127.0.0.1:11211");
  EXPECT_FALSE(b->compressed);
  auto c = ParseServerAddress("cache-1.example.com:11311:meta");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->address, "cache-1.example.com:11311");
}

TEST(ServerAddressTest, Ipv6IsCanonicalButHashedAsSpelled) {
  auto a = ParseServerAddress("[0:0:0:0:0:0:0:1]:11211:ascii");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->address, "[::1]:11211");
  EXPECT_EQ(a->spelled, "[0:0:0:0:0:0:0:1]:11211");
  EXPECT_FALSE(ParseServerAddress("[not-v6]:11211").ok());
  EXPECT_FALSE(ParseServerAddress("[::1]").ok());
  EXPECT_FALSE(ParseServerAddress("[::1:11211").ok());
}

TEST(ServerAddressTest, UnixSockets) {
  auto a = ParseServerAddress("unix:/run/memcached.sock");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->address, "unix:/run/memcached.sock");
  EXPECT_TRUE(ParseServerAddress("unix:/run/m.sock:ascii").ok());
}

TEST(ServerAddressTest, NotHostPort) {
  for (const char* bad : {"localhost", "", ":11211", "host:", "host:0", "host:70000", "host:12ab",
                          "ho st:11211", "a:b:c:d:e:f"}) {
    auto r = ParseServerAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(ParseServerAddress("localhost").status().message(), "\"localhost\" is not host:port");
}

TEST(ServerAddressTest, ProtocolsOtherThanAsciiOrMetaAreRefusedClearly) {
  auto caret = ParseServerAddress("10.0.0.1:11211:caret");
  ASSERT_FALSE(caret.ok());
  EXPECT_EQ(caret.status().message(),
            "\"10.0.0.1:11211:caret\": protocol \"caret\" is not supported (memfleet speaks ascii "
            "or meta to servers)");
  EXPECT_FALSE(ParseServerAddress("10.0.0.1:11211:thrift").ok());
  EXPECT_FALSE(ParseServerAddress("10.0.0.1:11211:gopher").ok());
  auto tls = ParseServerAddress("10.0.0.1:11211:ascii:ssl");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("security \"ssl\" is not supported"), std::string::npos);
  EXPECT_TRUE(ParseServerAddress("10.0.0.1:11211:ascii:plain:compressed")->compressed);
  EXPECT_FALSE(ParseServerAddress("10.0.0.1:11211:ascii:plain:zstd").ok());
}

TEST(ServerAddressTest, PoolDefaultsApply) {
  ServerAddressDefaults d;
  d.protocol = "caret";
  EXPECT_FALSE(ParseServerAddress("10.0.0.1:11211", d).ok());
  EXPECT_TRUE(ParseServerAddress("10.0.0.1:11211:ascii", d).ok());
  ServerAddressDefaults port;
  port.port_override = 11311;
  EXPECT_EQ(ParseServerAddress("10.0.0.1:11211", port)->address, "10.0.0.1:11311");
}

}  // namespace
}  // namespace memfleet::router
