#include "server/text_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "server/handler_test_util.h"

namespace memfleet::server {
namespace {

class TextHandlerTest : public testing::TextLineHandlerTest<TextHandler, ValueOwner::kText> {};

TEST_F(TextHandlerTest, SetGetAndGets) {
  EXPECT_EQ(Send("set k 7 0 5\r\nhello\r\n"), "STORED\r\n");
  EXPECT_EQ(Send("get k nope\r\n"), "VALUE k 7 5\r\nhello\r\nEND\r\n");
  EXPECT_EQ(Send("gets k\r\n"),
            "VALUE k 7 5 " + std::to_string(w_.CasOf("k")) + "\r\nhello\r\nEND\r\n");
  EXPECT_EQ(Send("get nope\r\n"), "END\r\n");
  EXPECT_EQ(w_.stats.cmd_get.Get(), 4u);
}

TEST_F(TextHandlerTest, NoreplyAddCasAndBadChunk) {
  EXPECT_EQ(Send("set k 0 0 1 noreply\r\na\r\n"), "");
  EXPECT_EQ(Send("add k 0 0 1\r\nb\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(Send("cas k 0 0 1 999999\r\nc\r\n"), "EXISTS\r\n");
  EXPECT_EQ(Send("cas k 0 0 1 " + std::to_string(w_.CasOf("k")) + "\r\nd\r\n"), "STORED\r\n");
  EXPECT_EQ(w_.t.Get("k"), "d");
  // One byte of data, then "yz" where "\r\n" belongs.
  EXPECT_EQ(Send("set k 0 0 1\r\nxyz"), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(w_.t.Get("k"), "d");
}

TEST_F(TextHandlerTest, IncrDeleteTouch) {
  ASSERT_EQ(w_.t.Set("n", "41"), storage::StoreResult::kStored);
  EXPECT_EQ(Send("incr n 1\r\n"), "42\r\n");
  EXPECT_EQ(Send("decr n 50\r\n"), "0\r\n");
  EXPECT_EQ(Send("incr nope 1\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Send("touch n 100\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(Send("delete n\r\n"), "DELETED\r\n");
  EXPECT_EQ(Send("delete n\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(Send("touch n 100\r\n"), "NOT_FOUND\r\n");
}

TEST_F(TextHandlerTest, TooLargeSwallowsTheDataBlockAndUnlinksTheOldValue) {
  ASSERT_EQ(w_.t.Set("big", "old"), storage::StoreResult::kStored);
  const std::string value(2 << 20, 'v');
  EXPECT_EQ(Send("set big 0 0 " + std::to_string(value.size()) + "\r\n"),
            "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(w_.conn.swallowed_, value.size() + 2);
  EXPECT_FALSE(w_.t.Get("big").has_value());
}

TEST_F(TextHandlerTest, AdminCommands) {
  EXPECT_EQ(Send("version\r\n"), "VERSION 1.6.18\r\n");
  EXPECT_EQ(Send("verbosity 2\r\n"), "OK\r\n");
  EXPECT_EQ(w_.server.verbosity_, 2);
  EXPECT_EQ(Send("flush_all\r\n"), "OK\r\n");
  EXPECT_FALSE(w_.conn.close_after_write_);
  EXPECT_EQ(Send("quit\r\n"), "");
  EXPECT_TRUE(w_.conn.close_after_write_);
}

TEST_F(TextHandlerTest, FlushAllRefusedUnderMinusF) {
  w_.settings.flush_enabled = false;
  EXPECT_EQ(Send("flush_all\r\n"), "CLIENT_ERROR flush_all not allowed\r\n");
}

}  // namespace
}  // namespace memfleet::server
