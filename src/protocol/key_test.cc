#include "protocol/key.h"

#include <gtest/gtest.h>

#include <string>

namespace memfleet::protocol {
namespace {

TEST(Key, LengthIsOneTo250Bytes) {
  EXPECT_FALSE(KeyLengthOk(""));
  EXPECT_TRUE(KeyLengthOk("a"));
  EXPECT_TRUE(KeyLengthOk(std::string(250, 'k')));
  EXPECT_FALSE(KeyLengthOk(std::string(251, 'k')));
}

TEST(Key, TextSafeKeysArePrintableAsciiWithoutSpace) {
  EXPECT_TRUE(KeyIsTextSafe("user:42/profile~x"));
  EXPECT_FALSE(KeyIsTextSafe("a b"));
  EXPECT_FALSE(KeyIsTextSafe("a\r\nb"));
  EXPECT_FALSE(KeyIsTextSafe(std::string("a\0b", 3)));
  EXPECT_FALSE(KeyIsTextSafe("tab\there"));
  EXPECT_FALSE(KeyIsTextSafe("\x7f"));
  EXPECT_FALSE(KeyIsTextSafe("caf\xc3\xa9"));
}

}  // namespace
}  // namespace memfleet::protocol
