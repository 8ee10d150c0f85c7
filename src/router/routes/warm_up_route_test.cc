#include "router/routes/warm_up_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

protocol::Result Hit(std::string_view value, uint32_t flags) {
  protocol::Result r = Reply(ResultCode::kFound, value);
  r.has_flags = true;
  r.client_flags = flags;
  return r;
}

TEST(WarmUpRouteTest, AColdHitIsTheReplyAndWarmIsNotAsked) {
  auto cold = FakeReplying(Hit("c", 0), "cold"), warm = Fake("warm");
  WarmUpRoute route(cold, warm, 0);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "c");
  EXPECT_TRUE(warm->keys.empty());
}

TEST(WarmUpRouteTest, AGetMissedInColdIsAnsweredFromWarmAndAddedToColdInTheBackground) {
  auto cold = Fake("cold"), warm = Fake("warm");
  WarmUpRoute route(cold, warm, 300);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  cold->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(warm->ops, std::vector<Op>{Op::kGet});
  warm->ReplyNext(Hit("warm value", 42));
  // The client has warm's hit before cold has answered the add.
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kFound);
  EXPECT_EQ(done.got[0].value, "warm value");
  ASSERT_EQ(cold->ops, (std::vector<Op>{Op::kGet, Op::kAdd}));
  const Request& add = cold->requests[1];
  EXPECT_EQ(add.key, "k");
  EXPECT_EQ(add.value, "warm value");  // a copy: warm's bytes were overwritten after OnReply
  EXPECT_EQ(add.value_length, 10u);
  EXPECT_EQ(add.client_flags, 42u);
  EXPECT_EQ(add.exptime, 300);
  EXPECT_TRUE(ctx.held());
  cold->ReplyNext(Reply(ResultCode::kStored));
  EXPECT_FALSE(ctx.held());
  EXPECT_EQ(done.got.size(), 1u);
}

TEST(WarmUpRouteTest, AGetMissedEverywhereIsWarmsReplyAndAddsNothing) {
  auto cold = FakeReplying(Reply(ResultCode::kNotFound), "cold");
  auto warm = FakeReplying(Reply(ResultCode::kTimeout), "warm");
  WarmUpRoute route(cold, warm, 0);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kTimeout);
  EXPECT_EQ(cold->ops, std::vector<Op>{Op::kGet});
  EXPECT_EQ(ctx.holds, 0);
}

TEST(WarmUpRouteTest, GetsAddsSynchronouslyAndAsksColdAgainForItsCas) {
  auto cold = Fake("cold"), warm = Fake("warm");
  WarmUpRoute route(cold, warm, 60);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kGets);
  route.Dispatch(t.req, ctx, done);
  cold->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(warm->ops, std::vector<Op>{Op::kGet});  // a plain get, not the gets
  warm->ReplyNext(Hit("v", 7));
  EXPECT_TRUE(done.got.empty());
  ASSERT_EQ(cold->ops, (std::vector<Op>{Op::kGets, Op::kAdd}));
  EXPECT_EQ(cold->requests[1].exptime, 60);
  EXPECT_EQ(cold->requests[1].value, "v");
  cold->ReplyNext(Reply(ResultCode::kNotStored));  // someone added first: still fine
  ASSERT_EQ(cold->ops, (std::vector<Op>{Op::kGets, Op::kAdd, Op::kGets}));
  protocol::Result with_cas = Hit("v", 7);
  with_cas.has_cas = true;
  with_cas.cas = 99;
  cold->ReplyNext(with_cas);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "v");
  EXPECT_EQ(ctx.holds, 0);
}

TEST(WarmUpRouteTest, GatAddsWithItsOwnExptime) {
  auto cold = Fake("cold"), warm = FakeReplying(Hit("v", 0), "warm");
  WarmUpRoute route(cold, warm, 60);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kGat);
  t.req.exptime = 5;
  route.Dispatch(t.req, ctx, done);
  cold->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(cold->ops, (std::vector<Op>{Op::kGat, Op::kAdd}));
  EXPECT_EQ(cold->requests[1].exptime, 5);
}

TEST(WarmUpRouteTest, GetsWithoutAWarmHitAnswersColdsMiss) {
  auto cold = Fake("cold"), warm = FakeReplying(Reply(ResultCode::kNotFound), "warm");
  WarmUpRoute route(cold, warm, 60);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kGats);
  route.Dispatch(t.req, ctx, done);
  protocol::Result miss = Reply(ResultCode::kNotFound);
  miss.message = "EN";
  cold->ReplyNext(miss);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_EQ(done.got[0].message, "EN");
  EXPECT_EQ(cold->ops.size(), 1u);
}

TEST(WarmUpRouteTest, AMetaGetWithoutValueOrFlagsTakesTheGetsPath) {
  auto cold = Fake("cold"), warm = FakeReplying(Hit("v", 3), "warm");
  WarmUpRoute route(cold, warm, 0);
  FakeContext ctx;
  Replies done;
  TestRequest t("a2V5", Op::kGet);  // "key", base64
  std::vector<std::string_view> tokens = {"b", "v", "t"};
  t.req.protocol = protocol::Protocol::kMeta;
  t.req.meta.tokens = tokens;
  t.req.meta.base64_key = true;
  route.Dispatch(t.req, ctx, done);
  cold->ReplyNext(Reply(ResultCode::kNotFound));
  // warm got a get of the route's own for the decoded key.
  ASSERT_EQ(warm->requests.size(), 1u);
  EXPECT_EQ(warm->requests[0].key, "key");
  EXPECT_NE(warm->requests[0].protocol, protocol::Protocol::kMeta);
  ASSERT_EQ(cold->ops, (std::vector<Op>{Op::kGet, Op::kAdd}));
  EXPECT_EQ(cold->requests[1].key, "key");
  EXPECT_EQ(cold->requests[1].client_flags, 3u);
  cold->ReplyNext(Reply(ResultCode::kStored));
  // The client's own mg goes to cold again.
  ASSERT_EQ(cold->requests.size(), 3u);
  EXPECT_EQ(cold->requests[2].key, "a2V5");
}

TEST(WarmUpRouteTest, EverythingButRetrievalGoesToColdOnly) {
  for (Op op : {Op::kSet, Op::kDelete, Op::kTouch, Op::kIncr, Op::kAdd}) {
    auto cold = FakeReplying(Reply(ResultCode::kNotFound), "cold"), warm = Fake("warm");
    WarmUpRoute route(cold, warm, 0);
    FakeContext ctx;
    Replies done;
    TestRequest t("k", op);
    route.Dispatch(t.req, ctx, done);
    ASSERT_EQ(done.got.size(), 1u);
    EXPECT_EQ(cold->ops, std::vector<Op>{op});
    EXPECT_TRUE(warm->keys.empty());
  }
}

TEST(WarmUpRouteTest, TraverseReportsWarmForRetrievalsOnly) {
  auto cold = Fake("cold"), warm = Fake("warm");
  cold->destination = 1;
  warm->destination = 2;
  WarmUpRoute route(cold, warm, 0);
  Destinations get_dests, set_dests;
  TestRequest get("k"), set("k", Op::kSet);
  route.Traverse(get.req, get_dests);
  route.Traverse(set.req, set_dests);
  EXPECT_EQ(get_dests.seen, (std::vector<DestinationId>{1, 2}));
  EXPECT_EQ(set_dests.seen, std::vector<DestinationId>{1});
}

}  // namespace
}  // namespace memfleet::router
