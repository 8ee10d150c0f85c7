#include "router/routes/operation_selector_route.h"

#include <gtest/gtest.h>

#include "router/routes/route_test_util.h"

namespace memfleet::router {
namespace {

using testing::Destinations;
using testing::Fake;
using testing::FakeContext;
using testing::Replies;
using testing::TestRequest;

TEST(OperationSelectorRouteTest, EachOperationGoesToItsPolicyElseTheDefault) {
  auto gets = Fake(), sets = Fake(), other = Fake();
  OperationSelectorRoute::Policies policies;
  policies[static_cast<size_t>(Op::kGet)] = gets;
  policies[static_cast<size_t>(Op::kSet)] = sets;
  OperationSelectorRoute route(policies, other);
  FakeContext ctx;
  Replies done;
  TestRequest g("k1", Op::kGet), s("k2", Op::kSet), d("k3", Op::kDelete);
  route.Dispatch(g.req, ctx, done);
  route.Dispatch(s.req, ctx, done);
  route.Dispatch(d.req, ctx, done);
  EXPECT_EQ(gets->keys, std::vector<std::string>{"k1"});
  EXPECT_EQ(sets->keys, std::vector<std::string>{"k2"});
  EXPECT_EQ(other->keys, std::vector<std::string>{"k3"});
}

TEST(OperationSelectorRouteTest, WithoutAPolicyOrDefaultTheReplyIsTheDefaultReply) {
  OperationSelectorRoute::Policies policies;
  auto gets = Fake();
  policies[static_cast<size_t>(Op::kGet)] = gets;
  OperationSelectorRoute route(policies, nullptr);
  FakeContext ctx;
  Replies done;
  TestRequest s("k", Op::kAdd);
  route.Dispatch(s.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotStored);
  Destinations d;
  route.Traverse(s.req, d);
  EXPECT_TRUE(d.seen.empty());
}

TEST(OperationSelectorRouteTest, OperationNamesAreMcroutersAndOurs) {
  EXPECT_EQ(OperationByName("get"), Op::kGet);
  EXPECT_EQ(OperationByName("gets"), Op::kGets);
  EXPECT_EQ(OperationByName("set"), Op::kSet);
  EXPECT_EQ(OperationByName("delete"), Op::kDelete);
  EXPECT_EQ(OperationByName("add"), Op::kAdd);
  EXPECT_EQ(OperationByName("replace"), Op::kReplace);
  EXPECT_EQ(OperationByName("append"), Op::kAppend);
  EXPECT_EQ(OperationByName("prepend"), Op::kPrepend);
  EXPECT_EQ(OperationByName("cas"), Op::kCas);
  EXPECT_EQ(OperationByName("incr"), Op::kIncr);
  EXPECT_EQ(OperationByName("decr"), Op::kDecr);
  EXPECT_EQ(OperationByName("touch"), Op::kTouch);
  EXPECT_EQ(OperationByName("gat"), Op::kGat);
  EXPECT_EQ(OperationByName("gats"), Op::kGats);
  EXPECT_EQ(OperationByName("flushall"), Op::kFlushAll);
  EXPECT_EQ(OperationByName("flush_all"), Op::kFlushAll);
  EXPECT_EQ(OperationByName("lease-get"), std::nullopt);
  EXPECT_TRUE(IsMcrouterOnlyOperation("lease-get"));
  EXPECT_TRUE(IsMcrouterOnlyOperation("metaget"));
  EXPECT_EQ(OperationByName("GET"), std::nullopt);
  EXPECT_FALSE(IsMcrouterOnlyOperation("fetch"));
}

}  // namespace
}  // namespace memfleet::router
