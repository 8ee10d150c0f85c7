#include "server/operator_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/text/request.h"
#include "server/handler_test_util.h"
#include "server/logger.h"

namespace memfleet::server {
namespace {

namespace text = protocol::text;
using testing::FakeWorld;

class OperatorHandlerTest : public ::testing::Test {
 protected:
  // Parses and executes each line in bytes; returns the replies.
  std::string Send(std::string_view bytes) {
    w_.Receive(bytes);
    while (!w_.in.empty()) {
      text::Request req;
      text::ParseResult r = text::ParseRequest(w_.in.view(), &req);
      EXPECT_EQ(r.status, text::ParseStatus::kOk);
      if (r.status != text::ParseStatus::kOk) break;
      w_.in.Consume(r.consumed);
      handler_.Execute(req);
    }
    return w_.TakeOutput();
  }

  FakeWorld w_;
  OperatorHandler handler_{w_.context()};
};

// The expected replies are memcached 1.6.18's.
TEST_F(OperatorHandlerTest, CrawlerSettings) {
  EXPECT_EQ(Send("lru_crawler tocrawl 10\r\n"), "OK\r\n");
  EXPECT_EQ(Send("lru_crawler sleep 2000000\r\n"),
            "CLIENT_ERROR sleep must be one second or less\r\n");
  EXPECT_EQ(Send("lru_crawler sleep x\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(Send("lru_crawler bogus\r\n"), "ERROR\r\n");
}

TEST_F(OperatorHandlerTest, SlabsAndLru) {
  EXPECT_EQ(Send("slabs automove 1\r\n"), "OK\r\n");
  EXPECT_EQ(Send("slabs automove 3\r\n"), "ERROR\r\n");
  EXPECT_EQ(Send("lru tune 50 50 2 2\r\n"), "ERROR hot and warm pcts must not exceed 80\r\n");
  EXPECT_EQ(Send("lru tune x 1 2 2\r\n"), "ERROR\r\n");
}

TEST_F(OperatorHandlerTest, DumpAndWatchGoToTheConnection) {
  EXPECT_EQ(Send("lru_crawler mgdump all\r\n"), "");
  EXPECT_EQ(w_.conn.dump_classes_, "all");
  EXPECT_TRUE(w_.conn.dump_mgdump_);
  EXPECT_EQ(Send("watch deletions fetchers\r\n"), "OK\r\n");
  EXPECT_EQ(w_.conn.watch_mask_, log_type::kDeletions | log_type::kFetchers);
  w_.conn.watch_mask_ = 0;
  EXPECT_EQ(Send("watch nonsense\r\n"), "ERROR\r\n");
  EXPECT_EQ(w_.conn.watch_mask_, 0u);
}

}  // namespace
}  // namespace memfleet::server
