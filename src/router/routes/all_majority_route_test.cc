#include "router/routes/all_majority_route.h"

#include <gtest/gtest.h>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(AllMajorityRouteTest, AnswersAsSoonAsAMajorityAgrees) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllMajorityRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kFound, "va"));
  EXPECT_TRUE(done.got.empty());
  b->ReplyNext(Reply(ResultCode::kFound, "vb"));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kFound);
  EXPECT_EQ(done.got[0].value, "vb");  // the reply that made the majority
  // The third finishes in the background, under a hold.
  EXPECT_TRUE(ctx.held());
  c->ReplyNext(Reply(ResultCode::kTimeout));
  EXPECT_FALSE(ctx.held());
  EXPECT_EQ(done.got.size(), 1u);
}

TEST(AllMajorityRouteTest, AMinorityResultLosesEvenIfWorse) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllMajorityRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kRemoteError));
  b->ReplyNext(Reply(ResultCode::kStored));
  EXPECT_TRUE(done.got.empty());
  c->ReplyNext(Reply(ResultCode::kStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  EXPECT_EQ(ctx.releases, 1);
}

TEST(AllMajorityRouteTest, ATieGoesToTheWorseResult) {
  auto a = Fake(), b = Fake(), c = Fake(), d = Fake();
  AllMajorityRoute route({a, b, c, d});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kStored));
  b->ReplyNext(Reply(ResultCode::kNotStored));
  c->ReplyNext(Reply(ResultCode::kNotStored));
  EXPECT_TRUE(done.got.empty());  // 3 of 4 needed
  d->ReplyNext(Reply(ResultCode::kStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotStored);
}

TEST(AllMajorityRouteTest, NoAgreementWaitsForAllAndTakesTheWorst) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllMajorityRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  a->ReplyNext(Reply(ResultCode::kStored));
  b->ReplyNext(Reply(ResultCode::kTimeout));
  c->ReplyNext(Reply(ResultCode::kNotStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kTimeout);
  EXPECT_FALSE(ctx.held());
}

}  // namespace
}  // namespace memfleet::router
