#include "router/routes/modify_exptime_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Fake;
using testing::FakeContext;
using testing::Replies;
using testing::TestRequest;

int64_t SentExptime(ModifyExptimeRoute::Action action, int64_t route_exptime, Op op,
                    int64_t exptime) {
  auto target = Fake();
  ModifyExptimeRoute route(target, route_exptime, action);
  FakeContext ctx;
  Replies done;
  TestRequest t("k", op);
  t.req.exptime = exptime;
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(t.req.exptime, exptime);  // the client's request is not changed
  return target->requests.at(0).exptime;
}

TEST(ModifyExptimeRouteTest, MinKeepsTheShorterAndTurnsNeverIntoTheRoutes) {
  using A = ModifyExptimeRoute::Action;
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kSet, 0), 10);    // never -> 10 s
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kSet, 100), 10);  // later -> 10 s
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kSet, 5), 5);     // sooner stays
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kAdd, -1), -1);   // already expired stays
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kTouch, 0), 10);  // touch and gat carry one
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kGats, 3600), 10);
  // A unix time is later than any relative time the route has.
  EXPECT_EQ(SentExptime(A::kMin, 10, Op::kCas, 1900000000), 10);
}

TEST(ModifyExptimeRouteTest, SetReplacesAnyExptime) {
  using A = ModifyExptimeRoute::Action;
  EXPECT_EQ(SentExptime(A::kSet, 30, Op::kSet, 5), 30);
  EXPECT_EQ(SentExptime(A::kSet, 30, Op::kAppend, 0), 30);
}

TEST(ModifyExptimeRouteTest, OperationsWithoutAnExptimePassAsTheyAre) {
  using A = ModifyExptimeRoute::Action;
  EXPECT_EQ(SentExptime(A::kSet, 30, Op::kDelete, 0), 0);
  EXPECT_EQ(SentExptime(A::kSet, 30, Op::kGet, 0), 0);
  EXPECT_EQ(SentExptime(A::kMin, 30, Op::kIncr, 0), 0);
}

TEST(ModifyExptimeRouteTest, AMetaRequestsTTokenIsReplacedOrAdded) {
  auto target = Fake();
  ModifyExptimeRoute route(target, 10, ModifyExptimeRoute::Action::kMin);
  FakeContext ctx;
  Replies done;
  TestRequest with_t("k", Op::kSet);
  std::vector<std::string_view> tokens = {"F5", "T0", "q", "O123"};
  with_t.req.protocol = protocol::Protocol::kMeta;
  with_t.req.meta.tokens = tokens;
  route.Dispatch(with_t.req, ctx, done);
  TestRequest without_t("k", Op::kSet);
  std::vector<std::string_view> fewer = {"F5"};
  without_t.req.protocol = protocol::Protocol::kMeta;
  without_t.req.meta.tokens = fewer;
  route.Dispatch(without_t.req, ctx, done);
  ASSERT_EQ(target->requests.size(), 2u);
  auto joined = [](const Request& r) {
    std::string s;
    for (std::string_view t : r.meta.tokens) s += std::string(t) + " ";
    return s;
  };
  EXPECT_EQ(joined(target->requests[0]), "F5 q O123 T10 ");
  EXPECT_EQ(joined(target->requests[1]), "F5 T10 ");
  EXPECT_EQ(target->requests[1].exptime, 10);
  // The client's tokens are untouched.
  EXPECT_EQ(tokens[1], "T0");
}

}  // namespace
}  // namespace memfleet::router
