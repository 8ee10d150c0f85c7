#include "router/routes/all_initial_route.h"

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

TEST(AllInitialRouteTest, TheFirstChildsReplyIsTheReplyWheneverItComes) {
  auto first = Fake(), second = Fake(), third = Fake();
  AllInitialRoute route({first, second, third});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(first->keys.size() + second->keys.size() + third->keys.size(), 3u);
  // The others answer first, and are not the reply.
  second->ReplyNext(Reply(ResultCode::kStored));
  third->ReplyNext(Reply(ResultCode::kStored));
  EXPECT_TRUE(done.got.empty());
  first->ReplyNext(Reply(ResultCode::kNotStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotStored);
  EXPECT_EQ(ctx.holds, 1);
  EXPECT_EQ(ctx.releases, 1);
}

TEST(AllInitialRouteTest, TheOthersFinishInTheBackgroundUnderAHold) {
  auto first = FakeReplying(Reply(ResultCode::kFound, "v1"));
  auto second = Fake();
  AllInitialRoute route({first, second});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "v1");
  EXPECT_TRUE(ctx.held());
  second->ReplyNext(Reply(ResultCode::kTimeout));
  EXPECT_FALSE(ctx.held());
  EXPECT_EQ(done.got.size(), 1u);
}

TEST(AllInitialRouteTest, OneChildIsJustThatChild) {
  auto only = FakeReplying(Reply(ResultCode::kDeleted));
  AllInitialRoute route({only});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kDelete);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kDeleted);
  EXPECT_EQ(ctx.holds, 0);
}

}  // namespace
}  // namespace memfleet::router
