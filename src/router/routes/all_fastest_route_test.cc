#include "router/routes/all_fastest_route.h"

#include <gtest/gtest.h>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(AllFastestRouteTest, TheFirstReplyThatIsNotAFailureWins) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllFastestRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  b->ReplyNext(Reply(ResultCode::kTimeout));
  EXPECT_TRUE(done.got.empty());
  c->ReplyNext(Reply(ResultCode::kNotFound));  // a miss is an answer
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_TRUE(ctx.held());
  a->ReplyNext(Reply(ResultCode::kFound, "late"));
  EXPECT_EQ(done.got.size(), 1u);
  EXPECT_FALSE(ctx.held());
}

TEST(AllFastestRouteTest, WhenAllFailTheLastFailureIsTheReply) {
  auto a = Fake(), b = Fake();
  AllFastestRoute route({a, b});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  protocol::Result refused = Reply(ResultCode::kConnectError);
  refused.message = "SERVER_ERROR connection error";
  b->ReplyNext(Reply(ResultCode::kTimeout));
  a->ReplyNext(refused);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kConnectError);
  EXPECT_EQ(done.got[0].message, "SERVER_ERROR connection error");
  EXPECT_EQ(ctx.holds, 1);
  EXPECT_EQ(ctx.releases, 1);
}

TEST(AllFastestRouteTest, AClientErrorIsNotFailedOver) {
  auto a = Fake(), b = Fake();
  AllFastestRoute route({a, b});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kClientError));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kClientError);
  b->ReplyNext(Reply(ResultCode::kFound));
  EXPECT_FALSE(ctx.held());
}

}  // namespace
}  // namespace memfleet::router
