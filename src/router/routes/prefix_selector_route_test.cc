#include "router/routes/prefix_selector_route.h"

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

TEST(PrefixSelectorRouteTest, TheLongestMatchingPrefixWins) {
  auto user = Fake("user"), user_admin = Fake("user_admin"), wild = Fake("wild");
  PrefixSelectorRoute route({{"user:", user}, {"user:admin:", user_admin}}, wild);
  FakeContext ctx;
  Replies done;
  TestRequest a("user:admin:1"), b("user:2"), c("session:3"), d("use");
  route.Dispatch(a.req, ctx, done);
  route.Dispatch(b.req, ctx, done);
  route.Dispatch(c.req, ctx, done);
  route.Dispatch(d.req, ctx, done);
  EXPECT_EQ(user_admin->keys, std::vector<std::string>{"user:admin:1"});
  EXPECT_EQ(user->keys, std::vector<std::string>{"user:2"});
  EXPECT_EQ(wild->keys, (std::vector<std::string>{"session:3", "use"}));
}

TEST(PrefixSelectorRouteTest, ThePolicyRoutesReplyIsTheReply) {
  auto p = FakeReplying(Reply(ResultCode::kStored));
  PrefixSelectorRoute route({{"a", p}}, nullptr);
  FakeContext ctx;
  Replies done;
  TestRequest t("abc", Op::kSet);
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kStored);
}

TEST(PrefixSelectorRouteTest, NoMatchAndNoWildcardIsAnError) {
  auto p = Fake();
  PrefixSelectorRoute route({{"a", p}}, nullptr);
  FakeContext ctx;
  Replies done;
  TestRequest t("zzz");
  route.Dispatch(t.req, ctx, done);
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kRemoteError);
  EXPECT_EQ(done.got[0].message, "SERVER_ERROR no route for key");
  EXPECT_TRUE(p->keys.empty());
  Destinations d;
  route.Traverse(t.req, d);
  EXPECT_TRUE(d.seen.empty());
}

TEST(PrefixSelectorRouteTest, MatchesTheDecodedKeyOfABase64Request) {
  auto p = Fake(), wild = Fake();
  PrefixSelectorRoute route({{"user:", p}}, wild);
  TestRequest t("dXNlcjo0Mg==");  // "user:42"
  t.req.meta.base64_key = true;
  FakeContext ctx;
  Replies done;
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(p->keys.size(), 1u);
  EXPECT_TRUE(wild->keys.empty());
}

TEST(PrefixSelectorRouteTest, TraverseFollowsTheSelectedRoute) {
  auto p = Fake(), wild = Fake();
  p->destination = 1;
  wild->destination = 2;
  PrefixSelectorRoute route({{"a:", p}}, wild);
  TestRequest t1("a:1"), t2("b:1");
  Destinations d;
  route.Traverse(t1.req, d);
  route.Traverse(t2.req, d);
  EXPECT_EQ(d.seen, (std::vector<DestinationId>{1, 2}));
}

}  // namespace
}  // namespace memfleet::router
