#include "router/routes/hash_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/routes/pool_route.h"
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

// Picks the child named by the key's last character ('0', '1', ...), recording what it hashed.
class LastDigitHash final : public hash::HashFunction {
 public:
  LastDigitHash(size_t n, std::vector<std::string>* seen) : n_(n), seen_(seen) {}
  size_t Pick(std::string_view key) const override {
    seen_->push_back(std::string(key));
    return key.empty() ? 0 : static_cast<size_t>(key.back() - '0') % n_;
  }
  size_t size() const override { return n_; }

 private:
  size_t n_;
  std::vector<std::string>* seen_;
};

TEST(HashRouteTest, SendsToTheChildTheKeyHashesToOnly) {
  std::vector<std::string> hashed;
  auto a = FakeReplying(Reply(ResultCode::kFound, "from-a"));
  auto b = FakeReplying(Reply(ResultCode::kFound, "from-b"));
  auto c = FakeReplying(Reply(ResultCode::kFound, "from-c"));
  HashRoute route({a, b, c}, std::make_unique<LastDigitHash>(3, &hashed));
  FakeContext ctx;
  Replies done;
  TestRequest t("key1");
  route.Dispatch(t.req, ctx, done);
  EXPECT_TRUE(a->keys.empty());
  EXPECT_EQ(b->keys, std::vector<std::string>{"key1"});
  EXPECT_TRUE(c->keys.empty());
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].value, "from-b");
  EXPECT_EQ(hashed, std::vector<std::string>{"key1"});
  EXPECT_EQ(route.type(), "HashRoute");
}

TEST(HashRouteTest, HashesTheDecodedKeyOfABase64MetaRequest) {
  std::vector<std::string> hashed;
  auto a = Fake(), b = Fake(), c = Fake();
  HashRoute route({a, b, c}, std::make_unique<LastDigitHash>(3, &hashed));
  TestRequest t("a2V5Mg==");  // "key2"
  t.req.meta.base64_key = true;
  FakeContext ctx;
  Replies done;
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(hashed, std::vector<std::string>{"key2"});
  // The child gets the request as sent: the upstream decodes it.
  EXPECT_EQ(c->keys, std::vector<std::string>{"a2V5Mg=="});
  // The reply comes when the child replies.
  EXPECT_TRUE(done.got.empty());
  c->ReplyNext(Reply(ResultCode::kNotFound));
  ASSERT_EQ(done.got.size(), 1u);
  EXPECT_EQ(done.got[0].code, ResultCode::kNotFound);
}

TEST(HashRouteTest, TraverseReportsThePickedChildOnly) {
  std::vector<std::string> hashed;
  auto a = Fake(), b = Fake();
  a->destination = 10;
  b->destination = 11;
  HashRoute route({a, b}, std::make_unique<LastDigitHash>(2, &hashed));
  Destinations d;
  TestRequest t("x1");
  route.Traverse(t.req, d);
  EXPECT_EQ(d.seen, std::vector<DestinationId>{11});
}

TEST(HashRouteTest, CreateRefusesAFunctionBuiltForAnotherNumberOfChildren) {
  std::vector<std::string> hashed;
  auto r = HashRoute::Create({Fake(), Fake()}, std::make_unique<LastDigitHash>(3, &hashed));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(HashRoute::Create({}, std::make_unique<LastDigitHash>(0, &hashed)).ok());
  EXPECT_TRUE(HashRoute::Create({Fake()}, std::make_unique<LastDigitHash>(1, &hashed)).ok());
}

TEST(PoolRouteTest, IsAHashRouteNamedAfterItsPool) {
  std::vector<std::string> hashed;
  auto a = Fake(), b = Fake();
  PoolRoute route("A", {a, b}, std::make_unique<LastDigitHash>(2, &hashed));
  EXPECT_EQ(route.type(), "PoolRoute");
  EXPECT_EQ(route.pool(), "A");
  FakeContext ctx;
  Replies done;
  TestRequest t("k0");
  route.Dispatch(t.req, ctx, done);
  EXPECT_EQ(a->keys.size(), 1u);
  EXPECT_TRUE(b->keys.empty());
}

}  // namespace
}  // namespace memfleet::router
