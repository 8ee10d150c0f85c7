#include "router/routes/shadow_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/config/route_tree_builder.h"
#include "router/routes/hash_route.h"
#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::Fake;
using testing::FakeContext;
using testing::FakeRoute;
using testing::Replies;
using testing::Reply;
using testing::TestRequest;

ShadowRoute::Shadow Everything(RoutePtr target) {
  ShadowRoute::Shadow s;
  s.target = std::move(target);
  s.index_begin = 0;
  s.index_end = 1000;
  ShadowRoute::SetKeyFractionRange(0, 1, &s);
  return s;
}

TEST(ShadowRouteTest, TheNormalRouteAnswersAndTheShadowGetsACopyInTheBackground) {
  auto normal = Fake("normal"), shadow = Fake("shadow");
  ShadowRoute route(normal, {Everything(shadow)});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(normal->keys, std::vector<std::string>{"k"});
  EXPECT_EQ(shadow->keys, std::vector<std::string>{"k"});
  normal->ReplyNext(Reply(ResultCode::kStored));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
  EXPECT_TRUE(ctx.held());  // the shadow has not answered
  shadow->ReplyNext(Reply(ResultCode::kConnectError));
  EXPECT_FALSE(ctx.held());
  EXPECT_EQ(done.got.size(), 1u);  // its reply is dropped
  EXPECT_FALSE(ctx.over_released);
}

TEST(ShadowRouteTest, AShadowThatAnswersFirstDoesNotAnswerTheClient) {
  auto normal = Fake("normal"), shadow = Fake("shadow");
  shadow->auto_reply = Reply(ResultCode::kFound, "shadow value");
  ShadowRoute route(normal, {Everything(shadow)});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  EXPECT_TRUE(done.got.empty());
  normal->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
  EXPECT_EQ(ctx.holds, 1);
  EXPECT_EQ(ctx.releases, 1);
}

TEST(ShadowRouteTest, TheKeyFractionSelectsKeysByTheirHash) {
  auto normal = Fake("normal"), shadow = Fake("shadow");
  ShadowRoute::Shadow s = Everything(shadow);
  ShadowRoute::SetKeyFractionRange(0, 0.25, &s);
  ShadowRoute route(normal, {s});
  FakeContext ctx;
  Replies done;
  int expected = 0;
  for (int i = 0; i < 400; ++i) {
    TestRequest t("key" + std::to_string(i));
    if (ShadowRoute::KeyHash(t.req) <= s.key_end) ++expected;
    route.Dispatch(t.req, ctx, done);
  }
  EXPECT_EQ(shadow->keys.size(), static_cast<size_t>(expected));
  // About a quarter, and neither none nor all.
  EXPECT_GT(expected, 50);
  EXPECT_LT(expected, 150);
}

TEST(ShadowRouteTest, TheIndexRangeSelectsThePoolsServers) {
  // A Modula hash route over four children: the shadow takes what goes to children 1 and 2.
  std::vector<RoutePtr> children;
  std::vector<std::shared_ptr<FakeRoute>> fakes;
  hash::HashSpec spec;
  spec.func = "modula";
  for (int i = 0; i < 4; ++i) {
    fakes.push_back(Fake("s" + std::to_string(i)));
    fakes.back()->auto_reply = Reply(ResultCode::kStored);
    children.push_back(fakes.back());
    spec.servers.push_back(RouteTreeBuilder::HashServerFor(*children.back(), i));
  }
  auto pool = RouteTreeBuilder::MakeHashRoute(children, spec);
  ASSERT_TRUE(pool.ok());
  const auto* hash_route = static_cast<const HashRoute*>(pool.value().get());
  auto shadow = Fake("shadow");
  shadow->auto_reply = Reply(ResultCode::kStored);
  ShadowRoute::Shadow s = Everything(shadow);
  s.index_begin = 1;
  s.index_end = 3;  // not inclusive
  ShadowRoute route(pool.value(), {s});
  FakeContext ctx;
  Replies done;
  size_t expected = 0;
  for (int i = 0; i < 100; ++i) {
    TestRequest t("key" + std::to_string(i), Op::kSet);
    size_t index = hash_route->PickIndex(t.req);
    if (index == 1 || index == 2) ++expected;
    route.Dispatch(t.req, ctx, done);
  }
  EXPECT_EQ(shadow->keys.size(), expected);
  EXPECT_EQ(shadow->keys.size(), fakes[1]->keys.size() + fakes[2]->keys.size());
  EXPECT_GT(expected, 0u);
  EXPECT_LT(expected, 100u);
  EXPECT_EQ(done.got.size(), 100u);
  EXPECT_FALSE(ctx.held());
}

TEST(ShadowRouteTest, RequestsFractionDrawsFromTheWorkersGenerator) {
  auto normal = Fake("normal"), shadow = Fake("shadow");
  ShadowRoute::Shadow s = Everything(shadow);
  s.requests_fraction = 0.5;
  ShadowRoute route(normal, {s});
  FakeContext ctx;
  ctx.random_values = {0, ~uint64_t{0}};  // a draw of 0, then of almost 1
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(shadow->keys.size(), 1u);
  EXPECT_EQ(normal->keys.size(), 2u);
}

TEST(ShadowRouteTest, SeveralShadowsAndKeylessRequests) {
  auto normal = Fake("normal"), a = Fake("a"), b = Fake("b");
  a->auto_reply = Reply(ResultCode::kStored);
  b->auto_reply = Reply(ResultCode::kStored);
  normal->auto_reply = Reply(ResultCode::kStored);
  ShadowRoute route(normal, {Everything(a), Everything(b)});
  FakeContext ctx;
  Replies done;
  TestRequest t("k", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(a->keys.size(), 1u);
  EXPECT_EQ(b->keys.size(), 1u);
  EXPECT_EQ(ctx.holds, 1);
  EXPECT_EQ(ctx.releases, 1);
  TestRequest stats("", Op::kVersion);
  route.Dispatch(stats.req, ctx, done);
  EXPECT_EQ(a->keys.size(), 1u);
  EXPECT_EQ(normal->keys.size(), 2u);
}

TEST(ShadowRouteTest, TraverseReportsTheShadowsThatTakeTheKey) {
  auto normal = Fake("normal"), shadow = Fake("shadow"), none = Fake("none");
  normal->destination = 1;
  shadow->destination = 2;
  none->destination = 3;
  ShadowRoute::Shadow nothing = Everything(none);
  nothing.index_end = 0;
  ShadowRoute route(normal, {Everything(shadow), nothing});
  Destinations d;
  TestRequest t("k");
  route.Traverse(t.req, d);
  EXPECT_EQ(d.seen, (std::vector<DestinationId>{1, 2}));
}

}  // namespace
}  // namespace memfleet::router
