#include "router/route.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace memfleet::router {
namespace {

TEST(ArenaTest, AllocationsAreAlignedAndDistinct) {
  Arena a;
  char* prev = nullptr;
  for (int i = 0; i < 1000; ++i) {
    auto* p = static_cast<char*>(a.Allocate(24, 8));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
    EXPECT_NE(p, prev);
    prev = p;
  }
  EXPECT_GE(a.used(), 24000u);
}

TEST(ArenaTest, LargerThanABlockGetsItsOwnMemory) {
  Arena a;
  std::string big(100000, 'x');
  std::string_view copy = a.Copy(big);
  EXPECT_EQ(copy, big);
  std::string_view small = a.Copy("small");
  EXPECT_EQ(small, "small");
  EXPECT_EQ(copy, big);  // still intact
}

struct Counted {
  explicit Counted(int* n) : n_(n) {}
  ~Counted() { ++*n_; }
  int* n_;
};

TEST(ArenaTest, ResetRunsDestructorsAndTheArenaIsReusable) {
  Arena a;
  int destroyed = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 300; ++i) a.Make<Counted>(&destroyed);
    std::string_view s = a.Copy(std::string(5000, 'y'));
    EXPECT_EQ(s.size(), 5000u);
    a.Reset();
    EXPECT_EQ(destroyed, 300 * (round + 1));
    EXPECT_EQ(a.used(), 0u);
  }
}

TEST(StoredResultTest, KeepsEveryViewAfterTheSourceIsGone) {
  Arena a;
  StoredResult kept;
  {
    std::string value = "the value", message = "SERVER_ERROR x", key = "k";
    protocol::Result r;
    r.code = protocol::ResultCode::kFound;
    r.value = value;
    r.message = message;
    r.key = key;
    kept.Assign(r, a);
    value.assign(value.size(), '#');
    message.assign(message.size(), '#');
  }
  EXPECT_TRUE(kept.set);
  EXPECT_EQ(kept.result.value, "the value");
  EXPECT_EQ(kept.result.message, "SERVER_ERROR x");
  EXPECT_EQ(kept.result.key, "k");
}

TEST(DefaultReplyTest, FollowsTheOperation) {
  EXPECT_EQ(DefaultReply(Op::kGet).code, protocol::ResultCode::kNotFound);
  EXPECT_EQ(DefaultReply(Op::kSet).code, protocol::ResultCode::kNotStored);
  EXPECT_EQ(DefaultReply(Op::kDelete).code, protocol::ResultCode::kNotFound);
  EXPECT_EQ(DefaultReply(Op::kVersion).code, protocol::ResultCode::kOk);
}

}  // namespace
}  // namespace memfleet::router
