#include "router/routes/miss_failover_route.h"

#include <gtest/gtest.h>

#include <vector>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::FakeReplying;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(MissFailoverRouteTest, AGetMovesOnForMissesAndErrorsUntilAHit) {
  auto a = Fake("a"), b = Fake("b"), c = Fake("c");
  MissFailoverRoute route({a, b, c}, false);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(b->keys.size(), 1u);
  b->ReplyNext(Reply(ResultCode::kTimeout));
  ASSERT_EQ(c->keys.size(), 1u);
  EXPECT_TRUE(done.got.empty());
  c->ReplyNext(Reply(ResultCode::kFound, "v"));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kFound);
  EXPECT_EQ(done.got[0].value, "v");
}

TEST(MissFailoverRouteTest, AFirstHitIsTheReply) {
  auto b = Fake("b");
  MissFailoverRoute route({FakeReplying(Reply(ResultCode::kFound, "v")), b}, false);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kGets);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "v");
  EXPECT_TRUE(b->keys.empty());
}

TEST(MissFailoverRouteTest, WithoutAHitTheLastReplyIsTheReply) {
  MissFailoverRoute route(
      {FakeReplying(Reply(ResultCode::kNotFound)), FakeReplying(Reply(ResultCode::kConnectError))},
      false);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kConnectError);
}

TEST(MissFailoverRouteTest, ReturnBestOnErrorPrefersAMissToALaterError) {
  auto a = Fake("a"), b = Fake("b"), c = Fake("c");
  MissFailoverRoute route({a, b, c}, true);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kTimeout));
  // The miss's views are overwritten after OnReply (FakeRoute): the kept copy must survive.
  protocol::Result miss = Reply(ResultCode::kNotFound);
  miss.message = "EN";
  b->ReplyNext(miss);
  c->ReplyNext(Reply(ResultCode::kTko));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_EQ(done.got[0].message, "EN");
}

TEST(MissFailoverRouteTest, ReturnBestOnErrorTakesTheLastOfEquals) {
  MissFailoverRoute route({FakeReplying(Reply(ResultCode::kNotFound)),
                           FakeReplying(Reply(ResultCode::kNotFound, "second"))},
                          true);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "second");
}

TEST(MissFailoverRouteTest, ADeleteMovesOnUntilOneDeletes) {
  MissFailoverRoute route(
      {FakeReplying(Reply(ResultCode::kNotFound)), FakeReplying(Reply(ResultCode::kDeleted))},
      false);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kDelete);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kDeleted);
}

TEST(MissFailoverRouteTest, ManyMissesAtOnceAreWalkedWithoutRecursion) {
  std::vector<RoutePtr> children;
  auto miss = FakeReplying(Reply(ResultCode::kNotFound));
  for (int i = 0; i < 200000; ++i) children.push_back(miss);
  children.push_back(FakeReplying(Reply(ResultCode::kFound, "v")));
  MissFailoverRoute route(children, true);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "v");
  EXPECT_EQ(ctx.holds, ctx.releases);
}

TEST(MissFailoverRouteTest, OtherOperationsGoToTheFirstChildOnly) {
  for (Op op : {Op::kSet, Op::kTouch, Op::kIncr, Op::kAdd}) {
    auto b = Fake("b");
    MissFailoverRoute route({FakeReplying(Reply(ResultCode::kConnectError)), b}, false);
    FakeContext ctx;
    Replies done;
    TestRequest t("k", op);
    route.Dispatch(t.req, ctx, done);
    ASSERT_EQ(done.got.size(), 1u);
    EXPECT_EQ(done.got[0].code, ResultCode::kConnectError);
    EXPECT_TRUE(b->keys.empty());
  }
}

}  // namespace
}  // namespace memfleet::router
