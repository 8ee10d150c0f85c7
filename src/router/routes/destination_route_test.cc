#include "router/routes/destination_route.h"

#include <gtest/gtest.h>

#include "router/routes/error_route.h"
#include "router/routes/null_route.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::FakeContext;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(DestinationRouteTest, SendsToItsServerAndPassesTheReplyOn) {
  DestinationRoute route(7, "127.0.0.1:11211");
  FakeContext ctx;
  Replies done;
  TestRequest t("k1");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(ctx.sent.size(), 1u);
  EXPECT_EQ(ctx.sent[0].dest, 7u);
  EXPECT_EQ(ctx.sent[0].key, "k1");
  EXPECT_TRUE(done.got.empty());
  ctx.sent[0].done->OnReply(Reply(ResultCode::kFound, "v"));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kFound);
  EXPECT_EQ(done.got[0].value, "v");
  EXPECT_EQ(route.address(), "127.0.0.1:11211");
  EXPECT_EQ(route.type(), "DestinationRoute");

  Destinations d;
  route.Traverse(t.req, d);
  EXPECT_EQ(d.seen, std::vector<DestinationId>{7});
}

TEST(NullRouteTest, AnswersTheDefaultReplyAtOnceAndSendsNothing) {
  NullRoute route;
  FakeContext ctx;
  Replies done;
  TestRequest get("k", Op::kGet), set("k", Op::kSet), del("k", Op::kDelete);
  route.Dispatch(get.req, ctx, done);
  route.Dispatch(set.req, ctx, done);
  route.Dispatch(del.req, ctx, done);
  ASSERT_EQ(done.got.size(), 3u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_EQ(done.got[1].code, ResultCode::kNotStored);
  EXPECT_EQ(done.got[2].code, ResultCode::kNotFound);
  EXPECT_TRUE(ctx.sent.empty());
  Destinations d;
  route.Traverse(get.req, d);
  EXPECT_TRUE(d.seen.empty());
}

TEST(ErrorRouteTest, AnswersServerErrorWithTheConfiguredResponse) {
  ErrorRoute route("pool is gone");
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kRemoteError);
  EXPECT_EQ(done.got[0].message, "SERVER_ERROR pool is gone");
  EXPECT_TRUE(ctx.sent.empty());
}

TEST(ErrorRouteTest, WithoutResponseSaysLocalErrorAsMcrouter) {
  EXPECT_EQ(ErrorRoute("").line(), "SERVER_ERROR local error");
}

TEST(ErrorRouteTest, LineBreaksInTheResponseCannotEndTheLine) {
  EXPECT_EQ(ErrorRoute("a\r\nEND").line(), "SERVER_ERROR a  END");
}

}  // namespace
}  // namespace memfleet::router
