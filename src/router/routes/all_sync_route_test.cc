#include "router/routes/all_sync_route.h"

#include <gtest/gtest.h>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::Fake;
using testing::FakeContext;
using testing::FakeReplying;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

TEST(AllSyncRouteTest, SendsToAllAndAnswersOnlyWhenAllHaveReplied) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllSyncRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(a->keys.size() + b->keys.size() + c->keys.size(), 3u);
  b->ReplyNext(Reply(ResultCode::kStored));
  a->ReplyNext(Reply(ResultCode::kStored));
  EXPECT_TRUE(done.got.empty());
  c->ReplyNext(Reply(ResultCode::kStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  EXPECT_EQ(ctx.holds, 0);
}

TEST(AllSyncRouteTest, TheWorstReplyWinsWhateverItsOrder) {
  auto a = Fake(), b = Fake(), c = Fake();
  AllSyncRoute route({a, b, c});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  protocol::Result err = Reply(ResultCode::kRemoteError);
  err.message = "SERVER_ERROR out of memory";
  a->ReplyNext(Reply(ResultCode::kStored));
  b->ReplyNext(err);
  c->ReplyNext(Reply(ResultCode::kNotStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kRemoteError);
  EXPECT_EQ(done.got[0].message, "SERVER_ERROR out of memory");  // kept past b's OnReply
}

TEST(AllSyncRouteTest, AKeptReplysBytesOutliveTheChildsBuffer) {
  // Children that answer inside Dispatch and then overwrite their bytes.
  auto a = FakeReplying(Reply(ResultCode::kNotFound));
  auto b = FakeReplying(Reply(ResultCode::kFound, "value-b"));
  AllSyncRoute route({b, a});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);  // a miss is worse than a hit

  AllSyncRoute hits({b, FakeReplying(Reply(ResultCode::kFound, "value-c"))});
  Replies done2;
  hits.Dispatch(t.req, ctx, done2);
  ASSERT_EQ(done2.got.size(), 1u);
  EXPECT_EQ(done2.got[0].value, "value-b");  // the first of equals, intact
}

TEST(AllSyncRouteTest, TraverseReportsEveryChild) {
  auto a = Fake(), b = Fake();
  a->destination = 3;
  b->destination = 4;
  AllSyncRoute route({a, b});
  Destinations d;
  TestRequest t("k");
  route.Traverse(t.req, d);
  EXPECT_EQ(d.seen, (std::vector<DestinationId>{3, 4}));
}

}  // namespace
}  // namespace memfleet::router
