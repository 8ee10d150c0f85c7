#include "net/buffer_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "net/out_buffer.h"

namespace memfleet::net {
namespace {

TEST(BufferPoolTest, LendsReadBlocksAndReusesReturnedOnes) {
  BufferPool pool(64, 4);
  EXPECT_EQ(pool.read_block(), 64u);
  std::unique_ptr<char[]> a = pool.LendReadBlock();
  std::unique_ptr<char[]> b = pool.LendReadBlock();
  EXPECT_EQ(pool.read_blocks_lent(), 2u);
  EXPECT_EQ(pool.read_blocks_free(), 0u);
  char* const a_bytes = a.get();
  pool.ReturnReadBlock(std::move(a));
  EXPECT_EQ(pool.read_blocks_lent(), 1u);
  EXPECT_EQ(pool.read_blocks_free(), 1u);
  // The next borrower gets the block that came back, not a new one.
  std::unique_ptr<char[]> c = pool.LendReadBlock();
  EXPECT_EQ(c.get(), a_bytes);
  EXPECT_EQ(pool.read_blocks_free(), 0u);
  pool.ReturnReadBlock(std::move(b));
  pool.ReturnReadBlock(std::move(c));
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  EXPECT_EQ(pool.read_blocks_free(), 2u);
}

TEST(BufferPoolTest, KeepsAtMostMaxFreeOfEachKind) {
  BufferPool pool(64, 2);
  std::vector<std::unique_ptr<char[]>> blocks;
  std::vector<std::unique_ptr<OutArea>> areas;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(pool.LendReadBlock());
    areas.push_back(pool.LendOutArea());
  }
  EXPECT_EQ(pool.read_blocks_lent(), 5u);
  EXPECT_EQ(pool.out_areas_lent(), 5u);
  for (auto& b : blocks) pool.ReturnReadBlock(std::move(b));
  for (auto& a : areas) pool.ReturnOutArea(std::move(a));
  // A burst of five borrowers leaves two of each behind, not five.
  EXPECT_EQ(pool.read_blocks_free(), 2u);
  EXPECT_EQ(pool.out_areas_free(), 2u);
  EXPECT_EQ(pool.read_blocks_lent(), 0u);
  EXPECT_EQ(pool.out_areas_lent(), 0u);
}

}  // namespace
}  // namespace memfleet::net
