#include "router/routes/random_route.h"

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

TEST(RandomRouteTest, EachRequestGoesToTheChildTheWorkersGeneratorPicks) {
  auto a = Fake(), b = Fake(), c = Fake();
  RandomRoute route({a, b, c});
  FakeContext ctx;
  ctx.random_values = {4, 2, 9};  // 4 % 3 = 1, 2, 0
  Replies done;
  TestRequest t1("k1"), t2("k2"), t3("k3");
  route.Dispatch(t1.req, ctx, done);
  route.Dispatch(t2.req, ctx, done);
  route.Dispatch(t3.req, ctx, done);
  EXPECT_EQ(a->keys, std::vector<std::string>{"k3"});
  EXPECT_EQ(b->keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(c->keys, std::vector<std::string>{"k2"});
}

TEST(RandomRouteTest, TheChosenChildsReplyIsTheReply) {
  RandomRoute route(
      {FakeReplying(Reply(ResultCode::kFound, "a")), FakeReplying(Reply(ResultCode::kFound, "b"))});
  FakeContext ctx;
  ctx.random_values = {1};
  Replies done;
  TestRequest t("k");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "b");
}

TEST(RandomRouteTest, TraverseReportsEveryChildItMayPick) {
  auto a = Fake(), b = Fake();
  a->destination = 1;
  b->destination = 2;
  RandomRoute route({a, b});
  Destinations d;
  TestRequest t("k");
  route.Traverse(t.req, d);
  EXPECT_EQ(d.seen, (std::vector<DestinationId>{1, 2}));
}

}  // namespace
}  // namespace memfleet::router
