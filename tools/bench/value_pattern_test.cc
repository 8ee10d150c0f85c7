#include "value_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace memfleet::bench {
namespace {

TEST(KeySpaceTest, FormatsFixedWidthKeys) {
  KeySpace keys(100000, 12);
  char buf[12];
  keys.Format(0, buf);
  EXPECT_EQ(std::string(buf, 12), "k00000000000");
  keys.Format(99999, buf);
  EXPECT_EQ(std::string(buf, 12), "k00000099999");
  KeySpace tight(1000, KeySpace::MinKeySize(1000));
  char small[4];
  tight.Format(999, small);
  EXPECT_EQ(std::string(small, 4), "k999");
  EXPECT_EQ(KeySpace::MinKeySize(1), 2u);
  EXPECT_EQ(KeySpace::MinKeySize(10), 2u);
  EXPECT_EQ(KeySpace::MinKeySize(11), 3u);
}

TEST(ValuePatternTest, ValueVerifiesUnderItsOwnKeyOnly) {
  ValuePattern values(1000);
  const std::string v(values.ValueFor("key-a", 100));
  ASSERT_EQ(v.size(), 100u);
  EXPECT_TRUE(values.Verify("key-a", v));
  EXPECT_FALSE(values.Verify("key-b", v));  // a value stored under the wrong key
  std::string corrupt = v;
  corrupt[57] ^= 1;
  EXPECT_FALSE(values.Verify("key-a", corrupt));
  EXPECT_FALSE(values.Verify("key-a", std::string_view(v).substr(0, 99)));  // truncated
  EXPECT_FALSE(values.Verify("key-a", std::string(1001, 'x')));             // too long
  EXPECT_TRUE(values.Verify("key-a", values.ValueFor("key-a", 0)));
}

TEST(ValuePatternTest, IsDeterministicAcrossInstances) {
  ValuePattern a(2000), b(3000);
  EXPECT_EQ(a.ValueFor("k0001", 1500), b.ValueFor("k0001", 1500));
  EXPECT_TRUE(b.Verify("k0001", a.ValueFor("k0001", 1500)));
}

TEST(ValuePatternTest, NeighbouringKeysGetDifferentValues) {
  ValuePattern values(100);
  KeySpace keys(1000, 8);
  char k1[8], k2[8];
  int same = 0;
  for (uint64_t i = 0; i + 1 < 1000; ++i) {
    keys.Format(i, k1);
    keys.Format(i + 1, k2);
    same += values.ValueFor(std::string_view(k1, 8), 100) ==
            values.ValueFor(std::string_view(k2, 8), 100);
  }
  EXPECT_EQ(same, 0);
}

}  // namespace
}  // namespace memfleet::bench
