#include "protocol/text/number.h"

#include <gtest/gtest.h>

#include <string>

namespace memfleet::protocol::text {
namespace {

TEST(ParseUint64, AcceptsWhatStrtoullAccepts) {
  uint64_t v = 99;
  EXPECT_TRUE(ParseUint64("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseUint64("123", &v));
  EXPECT_EQ(v, 123u);
  EXPECT_TRUE(ParseUint64("+7", &v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(ParseUint64("-0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseUint64("\t\v\f\r42", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(ParseUint64("42\tjunk", &v));  // memcached only checks the byte after the number
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(ParseUint64("42\r", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(ParseUint64("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_TRUE(ParseUint64("000000000000000000000000000018446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_TRUE(ParseUint64("9223372036854775808", &v));
  EXPECT_EQ(v, uint64_t{1} << 63);
  // strtoull negates modulo 2^64; memcached refuses the result only if it looks negative.
  EXPECT_TRUE(ParseUint64("-18446744073709551615", &v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(ParseUint64("-9223372036854775809", &v));
  EXPECT_EQ(v, (uint64_t{1} << 63) - 1);
}

TEST(ParseUint64, RefusesWhatMemcachedRefuses) {
  uint64_t v;
  for (const char* bad :
       {"", "abc", "-", "+", "+-1", "-1", "-9223372036854775808", "1x", "0x10", "1.5",
        "18446744073709551616", "99999999999999999999999", " ", "\t", "1 "}) {
    if (std::string_view(bad) == "1 ") continue;  // a space cannot be inside a token
    EXPECT_FALSE(ParseUint64(bad, &v)) << bad;
  }
}

TEST(ParseUint32, TruncatesLikeMemcached) {
  uint32_t v;
  EXPECT_TRUE(ParseUint32("4294967295", &v));
  EXPECT_EQ(v, 4294967295u);
  EXPECT_TRUE(ParseUint32("4294967296", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseUint32("4294967301", &v));
  EXPECT_EQ(v, 5u);
  EXPECT_TRUE(ParseUint32("-18446744073709551615", &v));
  EXPECT_EQ(v, 1u);
  EXPECT_FALSE(ParseUint32("-1", &v));
  EXPECT_FALSE(ParseUint32("18446744073709551616", &v));
}

TEST(ParseInt32, SignedAndTruncated) {
  int32_t v;
  EXPECT_TRUE(ParseInt32("-1", &v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(ParseInt32("+5", &v));
  EXPECT_EQ(v, 5);
  EXPECT_TRUE(ParseInt32("2147483647", &v));
  EXPECT_EQ(v, INT32_MAX);
  EXPECT_TRUE(ParseInt32("2147483648", &v));
  EXPECT_EQ(v, INT32_MIN);
  EXPECT_TRUE(ParseInt32("4294967297", &v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(ParseInt32("-4294967295", &v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(ParseInt32("9223372036854775807", &v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(ParseInt32("-9223372036854775808", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt32(" 7\t", &v));
  EXPECT_EQ(v, 7);
}

TEST(ParseInt32, RefusesOutOfLongRange) {
  int32_t v;
  for (const char* bad : {"9223372036854775808", "-9223372036854775809", "18446744073709551616", "",
                          "x", "-", "5x", "--5"}) {
    EXPECT_FALSE(ParseInt32(bad, &v)) << bad;
  }
}

TEST(ParseDouble, ReadsLikeStrtodWithMemcachedsEndCheck) {
  double v = 0;
  EXPECT_TRUE(ParseDouble("0.5", &v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(ParseDouble("+2", &v));
  EXPECT_EQ(v, 2.0);
  EXPECT_TRUE(ParseDouble(" 1e1\t", &v));
  EXPECT_EQ(v, 10.0);
  EXPECT_TRUE(ParseDouble("-0.25", &v));
  EXPECT_EQ(v, -0.25);
  for (const char* bad : {"", "x", "1.5x", "+", "--1"}) {
    EXPECT_FALSE(ParseDouble(bad, &v)) << bad;
  }
  EXPECT_FALSE(ParseDouble(std::string(200, '1'), &v));
}

}  // namespace
}  // namespace memfleet::protocol::text
