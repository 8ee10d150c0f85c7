#include "server/watch_lines.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <optional>
#include <string>

#include "storage/engine_test_util.h"

namespace memfleet::server {
namespace {

using storage::StoreOp;
using storage::StoreResult;

// The formats are those tests/integration/test_watch.py checks against memcached 1.6.18 (and,
// for deletions, newer memcached): the bodies here are what follows "ts=... gid=... ".

std::string Fetch(std::string_view key, const std::optional<WatchItem>& found, int cfd) {
  std::string line;
  AppendFetchLine(line, key, found, cfd);
  return line;
}

std::string Store(StoreOp op, StoreResult r, const WatchItem& item, bool ttl_zero, RelTime now,
                  int cfd) {
  std::string line;
  AppendStoreLine(line, op, r, item, ttl_zero, now, cfd);
  return line;
}

sockaddr_storage Ipv4(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
  return ss;
}

sockaddr_storage Ipv6(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
  return ss;
}

TEST(WatchLines, FetchHitAndMiss) {
  EXPECT_EQ(Fetch("small", WatchItem{"small", 5, 1, 0}, 17),
            "type=item_get key=small status=found clsid=5 cfd=17 size=1");
  EXPECT_EQ(Fetch("nope", std::nullopt, 9),
            "type=item_get key=nope status=not_found clsid=0 cfd=9 size=0");
}

TEST(WatchLines, KeysAreUriEncoded) {
  EXPECT_EQ(Fetch("a b/c~d.e_f-g%", std::nullopt, 3),
            "type=item_get key=a%20b%2Fc~d.e_f-g%25 status=not_found clsid=0 cfd=3 size=0");
  std::string line;
  AppendDeletionLine(line, "md", WatchItem{"m/x", 2, 5, 0});
  EXPECT_EQ(line, "type=deleted key=m%2Fx cmd=md clsid=2 size=5");
}

TEST(WatchLines, StoreNamesTheCommandAndResult) {
  const WatchItem item{"k", 7, 3, 0};
  EXPECT_EQ(Store(StoreOp::kSet, StoreResult::kStored, item, false, 1000, 12),
            "type=item_store key=k status=stored cmd=set ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kAdd, StoreResult::kNotStored, item, false, 1000, 12),
            "type=item_store key=k status=not_stored cmd=add ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kReplace, StoreResult::kNotStored, item, false, 1000, 12),
            "type=item_store key=k status=not_stored cmd=replace ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kAppend, StoreResult::kStored, item, false, 1000, 12),
            "type=item_store key=k status=stored cmd=append ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kPrepend, StoreResult::kNotStored, item, false, 1000, 12),
            "type=item_store key=k status=not_stored cmd=prepend ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kCas, StoreResult::kExists, item, false, 1000, 12),
            "type=item_store key=k status=exists cmd=cas ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kCas, StoreResult::kNotFound, item, false, 1000, 12),
            "type=item_store key=k status=not_found cmd=cas ttl=0 clsid=7 cfd=12 size=3");
  EXPECT_EQ(Store(StoreOp::kSet, StoreResult::kNoMemory, item, false, 1000, 12),
            "type=item_store key=k status=no_memory cmd=set ttl=0 clsid=7 cfd=12 size=3");
}

TEST(WatchLines, StoreTtlIsTheTimeLeft) {
  const WatchItem expiring{"k", 1, 1, 1060};
  EXPECT_EQ(Store(StoreOp::kSet, StoreResult::kStored, expiring, false, 1000, 4),
            "type=item_store key=k status=stored cmd=set ttl=60 clsid=1 cfd=4 size=1");
  // Already past: 0, never negative.
  EXPECT_EQ(Store(StoreOp::kSet, StoreResult::kStored, expiring, false, 2000, 4),
            "type=item_store key=k status=stored cmd=set ttl=0 clsid=1 cfd=4 size=1");
  // ttl_zero (an `ma` that creates its item) whatever the exptime.
  EXPECT_EQ(Store(StoreOp::kAdd, StoreResult::kStored, expiring, true, 1000, 4),
            "type=item_store key=k status=stored cmd=add ttl=0 clsid=1 cfd=4 size=1");
}

TEST(WatchLines, Eviction) {
  storage::EvictionEvent ev;
  ev.key = "old key";
  ev.slab_class = 3;
  ev.last_access = 990;
  ev.fetched = true;
  std::string line;
  AppendEvictionLine(line, ev, 1000);
  EXPECT_EQ(line, "type=eviction key=old%20key fetch=yes ttl=-1 la=10 clsid=3");
  ev.fetched = false;
  ev.exptime = 1030;
  line.clear();
  AppendEvictionLine(line, ev, 1000);
  EXPECT_EQ(line, "type=eviction key=old%20key fetch=no ttl=30 la=10 clsid=3");
  ev.exptime = 995;  // expired before it was evicted
  line.clear();
  AppendEvictionLine(line, ev, 1000);
  EXPECT_EQ(line, "type=eviction key=old%20key fetch=no ttl=-5 la=10 clsid=3");
}

TEST(WatchLines, ConnectionOpenAndClose) {
  const sockaddr_storage v4 = Ipv4("127.0.0.1", 40000);
  std::string line;
  AppendConnOpenLine(line, v4, 7);
  EXPECT_EQ(line, "type=conn_new rip=127.0.0.1 rport=40000 transport=tcp cfd=7");
  line.clear();
  AppendConnCloseLine(line, v4, CloseReason::kNormal, 7);
  EXPECT_EQ(line, "type=conn_close rip=127.0.0.1 rport=40000 transport=tcp reason=normal cfd=7");
  line.clear();
  AppendConnCloseLine(line, Ipv6("::1", 11211), CloseReason::kIdleTimeout, 8);
  EXPECT_EQ(line, "type=conn_close rip=::1 rport=11211 transport=tcp reason=idle_timeout cfd=8");
  line.clear();
  AppendConnCloseLine(line, v4, CloseReason::kError, 9);
  EXPECT_EQ(line, "type=conn_close rip=127.0.0.1 rport=40000 transport=tcp reason=error cfd=9");
  line.clear();
  AppendConnCloseLine(line, v4, CloseReason::kShutdown, 9);
  EXPECT_EQ(line, "type=conn_close rip=127.0.0.1 rport=40000 transport=tcp reason=shutdown cfd=9");
}

TEST(WatchLines, UnixAndUnknownPeersAreLocal) {
  sockaddr_storage unix_peer{};
  unix_peer.ss_family = AF_UNIX;
  std::string line;
  AppendConnOpenLine(line, unix_peer, 5);
  EXPECT_EQ(line, "type=conn_new rip= rport=0 transport=local cfd=5");
  sockaddr_storage unknown{};
  unknown.ss_family = AF_UNSPEC;
  line.clear();
  AppendConnCloseLine(line, unknown, CloseReason::kNormal, 5);
  EXPECT_EQ(line, "type=conn_close rip= rport=0 transport=local reason=normal cfd=5");
}

TEST(WatchLines, WatchItemOfARealItem) {
  storage::testing::TestEngine t;
  ASSERT_EQ(t.Set("key", "hello", 0, 1060), StoreResult::kStored);
  storage::ItemRef item = t.engine->Get(*t.session, "key");
  ASSERT_TRUE(item);
  const WatchItem w = WatchItemOf(item);
  EXPECT_EQ(w.key, "key");
  EXPECT_EQ(w.size, 5u);
  EXPECT_EQ(w.slab_class, item.slab_class());
  EXPECT_GT(w.slab_class, 0);
  EXPECT_EQ(w.exptime, item.exptime());
  EXPECT_NE(w.exptime, 0u);
}

}  // namespace
}  // namespace memfleet::server
