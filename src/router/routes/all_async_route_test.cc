#include "router/routes/all_async_route.h"

#include <gtest/gtest.h>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::FakeReplying;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(AllAsyncRouteTest, AnswersTheDefaultReplyAtOnceAndSendsToAllInTheBackground) {
  auto a = Fake(), b = Fake();
  AllAsyncRoute route({a, b});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotStored);  // the default reply for a set
  EXPECT_EQ(a->keys, std::vector<std::string>{"k"});
  EXPECT_EQ(b->keys, std::vector<std::string>{"k"});
  // The context stays held until both background sends are done.
  EXPECT_TRUE(ctx.held());
  a->ReplyNext(Reply(ResultCode::kStored));
  EXPECT_TRUE(ctx.held());
  b->ReplyNext(Reply(ResultCode::kRemoteError));
  EXPECT_FALSE(ctx.held());
  EXPECT_EQ(ctx.releases, 1);
  EXPECT_EQ(done.got.size(), 1u);  // the children's replies are dropped
}

TEST(AllAsyncRouteTest, ChildrenThatAnswerAtOnceReleaseOnce) {
  AllAsyncRoute route(
      {FakeReplying(Reply(ResultCode::kDeleted)), FakeReplying(Reply(ResultCode::kNotFound))});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kDelete);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_EQ(ctx.holds, 1);
  EXPECT_EQ(ctx.releases, 1);
  EXPECT_FALSE(ctx.over_released);
}

}  // namespace
}  // namespace memfleet::router
