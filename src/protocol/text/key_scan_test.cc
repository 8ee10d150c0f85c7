#include "protocol/text/key_scan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace memfleet::protocol::text {
namespace {

struct Scan {
  std::vector<std::string> keys;
  size_t scanned;
};

Scan ScanAll(std::string_view buf, size_t max_keys = 16) {
  std::string_view keys[16];
  KeyScanResult r = ScanKeys(buf, keys, max_keys);
  Scan s;
  for (size_t i = 0; i < r.keys; i++) s.keys.emplace_back(keys[i]);
  s.scanned = r.scanned;
  return s;
}

using Keys = std::vector<std::string>;

TEST(KeyScanTest, TakesTheFirstKeyOfEachRetrieval) {
  std::string buf = "get a b c\r\ngets d\r\nmg e v\r\ngat 10 f g\r\nmn\r\ntouch h 5\n";
  Scan s = ScanAll(buf);
  EXPECT_EQ(s.keys, (Keys{"a", "d", "e", "f", "h"}));
  EXPECT_EQ(s.scanned, buf.size());
}

TEST(KeyScanTest, SkipsDataBlocks) {
  std::string buf =
      "set k1 0 0 5\r\nget x\r\nms k2 3 T0\r\nabc\r\ncas k3 1 2 1 99\r\nz\r\nget k4\r\n";
  Scan s = ScanAll(buf);
  EXPECT_EQ(s.keys, (Keys{"k1", "k2", "k3", "k4"}));
  EXPECT_EQ(s.scanned, buf.size());
}

TEST(KeyScanTest, StopsAtIncompleteRequests) {
  EXPECT_EQ(ScanAll("get a\r\nget b").keys, (Keys{"a"}));
  EXPECT_EQ(ScanAll("get a\r\nget b").scanned, 7u);
  Scan s = ScanAll("get a\r\nset b 0 0 10\r\nabc");
  EXPECT_EQ(s.keys, (Keys{"a"}));
  EXPECT_EQ(s.scanned, 7u);
}

TEST(KeyScanTest, StopsAtUnknownOrMalformedLines) {
  EXPECT_EQ(ScanAll("get a\r\nstats\r\nget b\r\n").keys, (Keys{"a"}));
  EXPECT_EQ(ScanAll("get a\r\nset b 0 0 x\r\nget c\r\n").keys, (Keys{"a"}));
  EXPECT_EQ(ScanAll("set b 0 0 99999999999\r\n").keys, Keys{});
  EXPECT_EQ(ScanAll("").scanned, 0u);
}

TEST(KeyScanTest, HonoursTheKeyLimitAndSkipsOverlongKeys) {
  Scan s = ScanAll("get a\r\nget b\r\nget c\r\n", 2);
  EXPECT_EQ(s.keys, (Keys{"a", "b"}));
  EXPECT_EQ(s.scanned, 14u);
  std::string longkey(251, 'k');
  EXPECT_EQ(ScanAll("get " + longkey + "\r\nget b\r\n").keys, (Keys{"b"}));
  EXPECT_EQ(ScanAll("get\r\nget  b\r\n").keys, (Keys{"b"}));
}

}  // namespace
}  // namespace memfleet::protocol::text
