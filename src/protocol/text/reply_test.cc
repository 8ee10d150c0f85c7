#include "protocol/text/reply.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

namespace memfleet::protocol::text {
namespace {

std::string Uint64(uint64_t v) {
  char buf[kUint64MaxDigits + 8];
  std::memset(buf, '#', sizeof(buf));
  size_t n = FormatUint64(buf, v);
  EXPECT_LE(n, kUint64MaxDigits);
  EXPECT_EQ(buf[n], '#') << "wrote past the returned length";
  return std::string(buf, n);
}

TEST(FormatUint64, Boundaries) {
  EXPECT_EQ(Uint64(0), "0");
  EXPECT_EQ(Uint64(7), "7");
  EXPECT_EQ(Uint64(10), "10");
  EXPECT_EQ(Uint64(99), "99");
  EXPECT_EQ(Uint64(100), "100");
  EXPECT_EQ(Uint64(4294967295u), "4294967295");
  EXPECT_EQ(Uint64(UINT64_MAX), "18446744073709551615");
}

TEST(FormatUint64, MatchesToStringEverywhere) {
  // Every power of ten and its neighbours, then a spread of values.
  uint64_t p = 1;
  for (int i = 0; i < 20; ++i) {
    for (uint64_t v : {p - 1, p, p + 1}) EXPECT_EQ(Uint64(v), std::to_string(v));
    p *= 10;
  }
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 100000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t v = x >> (i % 64);
    ASSERT_EQ(Uint64(v), std::to_string(v));
  }
}

TEST(FormatNumberLine, IncrReply) {
  char buf[kNumberLineMaxSize];
  size_t n = FormatNumberLine(buf, 18446744073709551615u);
  EXPECT_EQ(std::string(buf, n), "18446744073709551615\r\n");
  EXPECT_EQ(n, kNumberLineMaxSize);
  n = FormatNumberLine(buf, 0);
  EXPECT_EQ(std::string(buf, n), "0\r\n");
}

TEST(FormatValueHeader, GetAndGets) {
  char buf[kValueHeaderMaxSize];
  size_t n = FormatValueHeader(buf, "foo", 5, 3, false, 99);
  EXPECT_EQ(std::string(buf, n), "VALUE foo 5 3\r\n");
  n = FormatValueHeader(buf, "foo", 0, 0, true, 12345);
  EXPECT_EQ(std::string(buf, n), "VALUE foo 0 0 12345\r\n");
}

TEST(FormatValueHeader, MaxSizeIsExact) {
  std::array<char, kValueHeaderMaxSize + 1> buf;
  buf.fill('#');
  std::string key(kKeyMaxLength, 'k');
  size_t n = FormatValueHeader(buf.data(), key, UINT32_MAX, UINT32_MAX, true, UINT64_MAX);
  EXPECT_EQ(n, kValueHeaderMaxSize);
  EXPECT_EQ(buf[kValueHeaderMaxSize], '#');
  EXPECT_EQ(std::string(buf.data(), n),
            "VALUE " + key + " 4294967295 4294967295 18446744073709551615\r\n");
}

TEST(FormatErrorLine, AppendsCrlf) {
  char buf[64];
  std::string_view error = "CLIENT_ERROR bad command line format";
  size_t n = FormatErrorLine(buf, error);
  EXPECT_EQ(std::string(buf, n), "CLIENT_ERROR bad command line format\r\n");
}

TEST(FormatStatLine, TextAndNumber) {
  char buf[128];
  ASSERT_LE(StatLineSize("version", "1.6.18"), sizeof(buf));
  size_t n = FormatStatLine(buf, "version", "1.6.18");
  EXPECT_EQ(std::string(buf, n), "STAT version 1.6.18\r\n");
  EXPECT_EQ(n, StatLineSize("version", "1.6.18"));
  n = FormatStatLine(buf, "curr_items", uint64_t{42});
  EXPECT_EQ(std::string(buf, n), "STAT curr_items 42\r\n");
}

TEST(FixedReplies, EndInCrlf) {
  for (std::string_view r : {kReplyStored,
                             kReplyNotStored,
                             kReplyExists,
                             kReplyNotFound,
                             kReplyDeleted,
                             kReplyTouched,
                             kReplyEnd,
                             kReplyOk,
                             kReplyReset,
                             kReplyError,
                             kReplyBadDataChunk,
                             kReplyNonNumeric,
                             kReplyFlushNotAllowed,
                             kReplyTooLarge,
                             kReplyOutOfMemoryStoring,
                             kReplyOutOfMemory,
                             kReplyShutdownNotEnabled,
                             kReplyInvalidShutdownMode,
                             kReplyMemlimitAdjustFailed,
                             kReplyStatsDetailUsage,
                             kMetaReplyNoop,
                             kMetaReplyMiss}) {
    ASSERT_GE(r.size(), 3u);
    EXPECT_TRUE(r.ends_with("\r\n")) << r;
    EXPECT_EQ(r.find("\r\n"), r.size() - 2) << r;
  }
  EXPECT_EQ(kReplyStored, "STORED\r\n");
  EXPECT_EQ(kReplyEnd, "END\r\n");
}

}  // namespace
}  // namespace memfleet::protocol::text
