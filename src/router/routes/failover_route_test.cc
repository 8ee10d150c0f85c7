#include "router/routes/failover_route.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "router/routes/latest_route.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::FakeReplying;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(FailoverRouteTest, MovesOnForFailoverErrorsAndAnswersTheFirstGoodReply) {
  auto a = Fake("a"), b = Fake("b"), c = Fake("c");
  FailoverRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(a->keys.size(), 1u);
  EXPECT_TRUE(b->keys.empty());
  a->ReplyNext(Reply(ResultCode::kConnectError));
  ASSERT_EQ(b->keys.size(), 1u);
  EXPECT_TRUE(done.got.empty());
  b->ReplyNext(Reply(ResultCode::kFound, "value"));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kFound);
  EXPECT_EQ(done.got[0].value, "value");
  EXPECT_TRUE(c->keys.empty());
}

TEST(FailoverRouteTest, EveryFailoverErrorMovesOnByDefault) {
  for (ResultCode code :
       {ResultCode::kRemoteError, ResultCode::kTimeout, ResultCode::kConnectTimeout,
        ResultCode::kConnectError, ResultCode::kTko}) {
    FailoverRoute route({FakeReplying(Reply(code)), FakeReplying(Reply(ResultCode::kStored))});
    FakeContext ctx;
    Replies done;
    TestRequest t("k", Op::kSet);
    route.Dispatch(t.req, ctx, done);
    ASSERT_EQ(done.got.size(), 1u);
    EXPECT_EQ(done.got[0].code, ResultCode::kStored) << protocol::ResultCodeName(code);
  }
}

TEST(FailoverRouteTest, AMissOrAClientErrorIsTheReply) {
  for (ResultCode code : {ResultCode::kNotFound, ResultCode::kNotStored, ResultCode::kExists,
                          ResultCode::kClientError}) {
    auto second = Fake();
    FailoverRoute route({FakeReplying(Reply(code)), second});
    FakeContext ctx;
    Replies done;
    TestRequest t("k");
    route.Dispatch(t.req, ctx, done);
    ASSERT_EQ(done.got.size(), 1u);
    EXPECT_EQ(done.got[0].code, code);
    EXPECT_TRUE(second->keys.empty());
  }
}

TEST(FailoverRouteTest, WhenEveryChildFailsTheLastFailureIsTheReply) {
  FailoverRoute route({FakeReplying(Reply(ResultCode::kTko)),
                       FakeReplying(Reply(ResultCode::kTimeout)),
                       FakeReplying(Reply(ResultCode::kConnectError))});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kConnectError);
}

TEST(FailoverRouteTest, ManyChildrenThatFailAtOnceAreWalkedWithoutRecursion) {
  // Servers marked down answer TKO inside Send; a deep recursion would overflow the stack.
  std::vector<RoutePtr> children;
  auto tko = FakeReplying(Reply(ResultCode::kTko));
  for (int i = 0; i < 200000; ++i) children.push_back(tko);
  auto last = FakeReplying(Reply(ResultCode::kFound, "v"));
  children.push_back(last);
  FailoverRoute route(children);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "v");
  EXPECT_EQ(tko->keys.size(), 200000u);
  EXPECT_EQ(ctx.holds, ctx.releases);
  EXPECT_FALSE(ctx.over_released);
}

TEST(FailoverRouteTest, AChildThatAnswersLaterContinuesTheWalk) {
  // Synchronous failures, then one that answers later, then synchronous failures again.
  auto now1 = FakeReplying(Reply(ResultCode::kTko)), later = Fake("later");
  auto now2 = FakeReplying(Reply(ResultCode::kConnectError)), good = Fake("good");
  FailoverRoute route({now1, later, now2, good});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(later->pending.size(), 1u);
  EXPECT_FALSE(ctx.held());  // the loop has ended; nothing outstanding is held by it
  later->ReplyNext(Reply(ResultCode::kTimeout));
  ASSERT_EQ(good->pending.size(), 1u);
  EXPECT_EQ(now2->keys.size(), 1u);
  good->ReplyNext(Reply(ResultCode::kStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  EXPECT_EQ(ctx.holds, ctx.releases);
}

TEST(FailoverRouteTest, FailoverErrorsArePerOperationClass) {
  FailoverErrors errors;
  errors.Set(FailoverErrors::OpClass::kGets, {ResultCode::kTimeout});
  errors.Set(FailoverErrors::OpClass::kDeletes, {});
  // gets: only a timeout moves on.
  EXPECT_TRUE(errors.ShouldFailover(Op::kGet, ResultCode::kTimeout));
  EXPECT_TRUE(errors.ShouldFailover(Op::kGats, ResultCode::kTimeout));
  EXPECT_FALSE(errors.ShouldFailover(Op::kGet, ResultCode::kConnectError));
  // deletes: nothing does.
  EXPECT_FALSE(errors.ShouldFailover(Op::kDelete, ResultCode::kTko));
  // updates and the rest keep the default.
  EXPECT_TRUE(errors.ShouldFailover(Op::kSet, ResultCode::kConnectError));
  EXPECT_TRUE(errors.ShouldFailover(Op::kIncr, ResultCode::kRemoteError));
  EXPECT_FALSE(errors.ShouldFailover(Op::kTouch, ResultCode::kNotFound));

  auto second = Fake();
  FailoverRoute route({FakeReplying(Reply(ResultCode::kConnectError)), second}, errors);
  FakeContext ctx;
  Replies done;
  TestRequest get("k", Op::kGet);
  route.Dispatch(get.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kConnectError);
  EXPECT_TRUE(second->keys.empty());
  TestRequest set("k", Op::kSet);
  route.Dispatch(set.req, ctx, done);
  EXPECT_EQ(second->keys.size(), 1u);
}

TEST(FailoverRouteTest, ErrorNamesAreMcroutersAndOnlyErrors) {
  bool known = false;
  EXPECT_EQ(FailoverErrors::ErrorByName("connect_error", &known), ResultCode::kConnectError);
  EXPECT_EQ(FailoverErrors::ErrorByName("tko", &known), ResultCode::kTko);
  EXPECT_EQ(FailoverErrors::ErrorByName("client_error", &known), ResultCode::kClientError);
  EXPECT_FALSE(FailoverErrors::ErrorByName("busy", &known).has_value());
  EXPECT_TRUE(known);
  EXPECT_FALSE(FailoverErrors::ErrorByName("notfound", &known).has_value());
  EXPECT_FALSE(known);
  EXPECT_FALSE(FailoverErrors::ErrorByName("bogus", &known).has_value());
  EXPECT_FALSE(known);
}

TEST(FailoverRouteTest, TheRateLimiterCapsTheShareOfRequestsThatFailOver) {
  // Half of the requests may fail over, after a burst of 2.
  FailoverRateLimiter limiter(0.5, 2);
  EXPECT_TRUE(limiter.Allow());
  EXPECT_TRUE(limiter.Allow());
  EXPECT_FALSE(limiter.Allow());
  limiter.CountRequest();
  EXPECT_FALSE(limiter.Allow());  // half a token
  limiter.CountRequest();
  EXPECT_TRUE(limiter.Allow());
  EXPECT_FALSE(limiter.Allow());
  for (int i = 0; i < 100; ++i) limiter.CountRequest();
  // Never more than the burst at once.
  EXPECT_TRUE(limiter.Allow());
  EXPECT_TRUE(limiter.Allow());
  EXPECT_FALSE(limiter.Allow());
}

TEST(FailoverRouteTest, ARateOfZeroNeverFailsOverAndRatesAreClamped) {
  FailoverRateLimiter none(0, 10);
  for (int i = 0; i < 10; ++i) none.CountRequest();
  EXPECT_FALSE(none.Allow());
  FailoverRateLimiter clamped(7, 0);
  EXPECT_EQ(clamped.rate(), 1.0);
  EXPECT_EQ(clamped.burst(), 1.0);
}

TEST(FailoverRouteTest, TheLimitStopsFailoverButNotForTko) {
  auto second = Fake();
  second->auto_reply = Reply(ResultCode::kStored);
  auto first = Fake();
  FailoverRoute route({first, second}, FailoverErrors(),
                      std::make_unique<FailoverRateLimiter>(0.0001, 1));
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  // The burst of 1 lets one timeout fail over; the next stays the reply.
  route.Dispatch(t.req, ctx, done);
  first->ReplyNext(Reply(ResultCode::kTimeout));
  route.Dispatch(t.req, ctx, done);
  first->ReplyNext(Reply(ResultCode::kTimeout));
  // A TKO sent nothing: it fails over without a token.
  route.Dispatch(t.req, ctx, done);
  first->ReplyNext(Reply(ResultCode::kTko));
  ASSERT_EQ(done.got.size(), 3u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  EXPECT_EQ(done.got[1].code, ResultCode::kTimeout);
  EXPECT_EQ(done.got[2].code, ResultCode::kStored);
  EXPECT_EQ(second->keys.size(), 2u);
}

TEST(FailoverRouteTest, TheRateLimiterIsSharedSafelyByThreads) {
  // 4 threads x 1000 requests, rate 0.25, burst 10: at most 1010 failovers in all.
  FailoverRateLimiter limiter(0.25, 10);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        limiter.CountRequest();
        if (limiter.Allow()) allowed.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(allowed.load(), 1010);
  EXPECT_GE(allowed.load(), 900);
}

TEST(FailoverRouteTest, LatestRouteTakesFailoverErrorsToo) {
  FailoverErrors errors;
  errors.Set(FailoverErrors::OpClass::kGets, {ResultCode::kTko});
  LatestRoute route({FakeReplying(Reply(ResultCode::kTimeout), "a"),
                     FakeReplying(Reply(ResultCode::kTimeout), "b")},
                    2, 1, {}, errors);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kTimeout);
  EXPECT_EQ(route.type(), "LatestRoute");
}

}  // namespace
}  // namespace memfleet::router
