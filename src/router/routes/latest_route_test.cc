#include "router/routes/latest_route.h"

#include <gtest/gtest.h>

#include <set>

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

std::vector<RoutePtr> Children(size_t n) {
  std::vector<RoutePtr> v;
  for (size_t i = 0; i < n; ++i) {
    auto f = Fake("child" + std::to_string(i));
    f->destination = static_cast<DestinationId>(i);
    v.push_back(f);
  }
  return v;
}

std::vector<DestinationId> Order(const LatestRoute& r) {
  Destinations d;
  TestRequest t("k");
  r.Traverse(t.req, d);
  return d.seen;
}

TEST(LatestRouteTest, ChoosesFailoverCountDistinctChildrenDeterministicallyPerSeed) {
  auto children = Children(8);
  LatestRoute a(children, 3, 42, {});
  LatestRoute b(children, 3, 42, {});
  ASSERT_EQ(a.targets().size(), 3u);
  EXPECT_EQ(Order(a), Order(b));
  auto order = Order(a);
  EXPECT_EQ(std::set<DestinationId>(order.begin(), order.end()).size(), 3u);
  // Routers with other seeds do not all start with the same replica.
  std::set<DestinationId> firsts;
  for (uint64_t seed = 1; seed <= 32; ++seed)
    firsts.insert(Order(LatestRoute(children, 3, seed, {}))[0]);
  EXPECT_GT(firsts.size(), 3u);
}

TEST(LatestRouteTest, FewerChildrenThanTheCountAreAllUsed) {
  LatestRoute r(Children(2), LatestRoute::kDefaultFailoverCount, 7, {});
  EXPECT_EQ(r.targets().size(), 2u);
}

TEST(LatestRouteTest, AChildOfWeightZeroIsChosenLast) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    LatestRoute r(Children(3), 3, seed, {1.0, 0.0, 1.0});
    EXPECT_EQ(Order(r)[2], 1u) << "seed " << seed;
  }
}

TEST(LatestRouteTest, FailsOverToTheNextTargetOnFailoverErrorsOnly) {
  LatestRoute r(Children(3), 3, 5, {});
  auto first = std::static_pointer_cast<const FakeRoute>(r.targets()[0]);
  auto second = std::static_pointer_cast<const FakeRoute>(r.targets()[1]);
  auto third = std::static_pointer_cast<const FakeRoute>(r.targets()[2]);
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  r.Dispatch(t.req, ctx, done);
  ASSERT_EQ(first->keys.size(), 1u);
  EXPECT_TRUE(second->keys.empty());
  const_cast<FakeRoute&>(*first).ReplyNext(Reply(ResultCode::kTimeout));
  ASSERT_EQ(second->keys.size(), 1u);
  EXPECT_TRUE(done.got.empty());
  const_cast<FakeRoute&>(*second).ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);  // a miss is not failed over
  EXPECT_TRUE(third->keys.empty());
}

TEST(LatestRouteTest, WhenEveryTargetFailsTheLastFailureIsTheReply) {
  LatestRoute r(Children(2), 2, 9, {});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  r.Dispatch(t.req, ctx, done);
  auto first = std::static_pointer_cast<const FakeRoute>(r.targets()[0]);
  auto second = std::static_pointer_cast<const FakeRoute>(r.targets()[1]);
  const_cast<FakeRoute&>(*first).ReplyNext(Reply(ResultCode::kConnectError));
  const_cast<FakeRoute&>(*second).ReplyNext(Reply(ResultCode::kTko));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kTko);
}

TEST(LatestRouteTest, AClientErrorIsNotFailedOver) {
  LatestRoute r(Children(2), 2, 9, {});
  FakeContext ctx;
  Replies done;
  TestRequest t("k");
  r.Dispatch(t.req, ctx, done);
  auto first = std::static_pointer_cast<const FakeRoute>(r.targets()[0]);
  auto second = std::static_pointer_cast<const FakeRoute>(r.targets()[1]);
  const_cast<FakeRoute&>(*first).ReplyNext(Reply(ResultCode::kClientError));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_TRUE(second->keys.empty());
}

}  // namespace
}  // namespace memfleet::router
