#include "server/meta_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "server/handler_test_util.h"

namespace memfleet::server {
namespace {

// The expected replies are memcached 1.6.18's, captured from /usr/bin/memcached.
class MetaHandlerTest : public testing::TextLineHandlerTest<MetaHandler, ValueOwner::kMeta> {};

TEST_F(MetaHandlerTest, SetThenGetWithFlags) {
  EXPECT_EQ(Send("ms k 5 F3 T0\r\nhello\r\n"), "HD\r\n");
  EXPECT_EQ(w_.t.Get("k"), "hello");
  EXPECT_EQ(Send("mg k v f t s\r\n"), "VA 5 f3 t-1 s5\r\nhello\r\n");
  EXPECT_EQ(Send("mg k c\r\n"), "HD c" + std::to_string(w_.CasOf("k")) + "\r\n");
}

TEST_F(MetaHandlerTest, MissQuietMissAndNoop) {
  EXPECT_EQ(Send("mg nope v\r\n"), "EN\r\n");
  EXPECT_EQ(Send("mg nope v q O77 k\r\nmn\r\n"), "MN\r\n");
  EXPECT_EQ(Send("mg nope v O77 k\r\n"), "EN O77 knope\r\n");
  EXPECT_EQ(w_.stats.cmd_get.Get(), 3u);
}

TEST_F(MetaHandlerTest, BadDataChunkStoresNothing) {
  EXPECT_EQ(Send("ms k2 2 c\r\nabXY"), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_FALSE(w_.t.Get("k2").has_value());
  EXPECT_EQ(Send("ms k3 2 I\r\nab\r\n"), "HD\r\n");
  EXPECT_EQ(w_.t.Get("k3"), "ab");
}

TEST_F(MetaHandlerTest, DeleteQuietHitThenMiss) {
  ASSERT_EQ(w_.t.Set("k", "v"), storage::StoreResult::kStored);
  EXPECT_EQ(Send("md k q\r\nmd k\r\n"), "NF\r\n");
  EXPECT_FALSE(w_.t.Get("k").has_value());
}

TEST_F(MetaHandlerTest, ArithmeticMissAutovivifyAndDelta) {
  EXPECT_EQ(Send("ma n\r\n"), "NF\r\n");
  EXPECT_EQ(Send("ma n N0 J10 v\r\n"), "VA 2\r\n10\r\n");
  EXPECT_EQ(Send("ma n v D5\r\n"), "VA 2\r\n15\r\n");
  EXPECT_EQ(w_.t.Get("n"), "15");
}

TEST_F(MetaHandlerTest, BadFlagsSwallowTheDataBlock) {
  // An ms refused at its flags still has its data block skipped, and the next command runs.
  std::string reply = Send("ms k 2 !\r\nab\r\nmn\r\n");
  EXPECT_TRUE(reply.starts_with("CLIENT_ERROR ")) << reply;
  EXPECT_TRUE(reply.ends_with("\r\nMN\r\n")) << reply;
  EXPECT_FALSE(w_.t.Get("k").has_value());
}

}  // namespace
}  // namespace memfleet::server
