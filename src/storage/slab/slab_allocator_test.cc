#include "storage/slab/slab_allocator.h"

#include <gtest/gtest.h>

#include <set>

#include "storage/slab/slab_classes.h"

namespace memfleet::storage {
namespace {

TEST(SlabClassesTest, ExplicitFactorAndMinimumFollowMemcached) {
  // -f 2 -n 100 with a 32-byte header: 132, 264, 528, ... then slab_chunk_max last.
  SlabClassSizes s = ComputeSlabClassSizes(2.0, 100, 512 * 1024, 32);
  ASSERT_GE(s.largest(), 3);
  EXPECT_EQ(s.sizes[1], 132u);
  EXPECT_EQ(s.sizes[2], 264u);
  EXPECT_EQ(s.sizes[3], 528u);
  EXPECT_EQ(s.sizes.back(), 512u * 1024);
  for (int i = 2; i <= s.largest(); i++) EXPECT_GT(s.sizes[i], s.sizes[i - 1]);
  // The class before the last is below slab_chunk_max / factor, as memcached.
  EXPECT_LT(s.sizes[s.largest() - 1], 512u * 1024 / 2);
}

TEST(SlabClassesTest, TruncatesAndAlignsLikeMemcached) {
  // memcached with its 48-byte header: 96, 120, 152 (150 aligned), 192 (190 aligned)...
  // Ours aligns to 4: 96, 120, 150 -> 152, 190 -> 192.
  SlabClassSizes s = ComputeSlabClassSizes(1.25, 49, 512 * 1024, 47);
  EXPECT_EQ(s.sizes[1], 96u);
  EXPECT_EQ(s.sizes[2], 120u);
  EXPECT_EQ(s.sizes[3], 152u);
  EXPECT_EQ(s.sizes[4], 192u);
}

TEST(SlabClassesTest, DefaultClassesAreFineForSmallItems) {
  SlabClassSizes s = ComputeSlabClassSizes(1.25, 48, 512 * 1024, 32);
  EXPECT_EQ(s.sizes[1], 48u);
  EXPECT_EQ(s.sizes[2], 52u);
  bool has164 = false;
  for (uint32_t v : s.sizes) has164 |= v == 164;
  EXPECT_TRUE(has164);  // 32-byte key + 100-byte value + 32-byte header
  EXPECT_EQ(s.sizes.back(), 512u * 1024);
  EXPECT_LE(s.largest(), kMaxClasses);
  for (uint32_t v : s.sizes) EXPECT_EQ(v % kChunkAlign, 0u);
}

// memcached 1.6.18's classes (`memcached -vv` prints them): its t/*.t name class 31 (66,560-byte
// values), 25 (20,000 bytes) and, with slab_chunk_max=4096, 17 (the largest).
TEST(SlabClassesTest, MemcachedClassesMatchMemcachedsIds) {
  SlabClassSizes s = MemcachedSlabClassSizes(1.25, 48, 512 * 1024);
  EXPECT_EQ(s.sizes[1], 96u);
  EXPECT_EQ(s.sizes[2], 120u);
  EXPECT_EQ(s.sizes[25], 21696u);
  EXPECT_EQ(s.sizes[31], 82792u);
  EXPECT_EQ(s.largest(), 39);
  EXPECT_EQ(s.sizes.back(), 512u * 1024);
  SlabClassSizes small = MemcachedSlabClassSizes(1.25, 48, 4096);
  EXPECT_EQ(small.largest(), 17);
  EXPECT_EQ(small.sizes[16], 2904u);
  Settings settings;
  settings.memcached_slab_classes = true;
  EXPECT_EQ(SlabClassSizesFor(settings, 32).sizes[31], 82792u);
}

TEST(SlabClassesTest, ClassCountCappedForTinyFactor) {
  SlabClassSizes s = ComputeSlabClassSizes(1.01, 48, 512 * 1024, 32);
  EXPECT_EQ(s.largest(), kMaxClassesExplicit);
  EXPECT_EQ(s.sizes.back(), 512u * 1024);
}

TEST(SlabClassesTest, ExplicitSlabSizes) {
  SlabClassSizes s = ExplicitSlabClassSizes({100, 90, 200, 1 << 20}, 512 * 1024);
  ASSERT_EQ(s.largest(), 3);
  EXPECT_EQ(s.sizes[1], 100u);
  EXPECT_EQ(s.sizes[2], 200u);
  EXPECT_EQ(s.sizes[3], 512u * 1024);
  Settings settings;
  settings.slab_sizes = {64, 128};
  EXPECT_EQ(SlabClassSizesFor(settings, 32).sizes[2], 128u);
}

class SlabAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    arena_ = Arena::Create(64);
    ASSERT_NE(arena_, nullptr);
  }
  std::unique_ptr<Arena> arena_;
};

TEST_F(SlabAllocatorTest, ClassForPicksSmallestFit) {
  SlabAllocator a(arena_.get(), ComputeSlabClassSizes(2.0, 100, 512 * 1024, 32), 16 << 20);
  EXPECT_EQ(a.ClassFor(1), 1);
  EXPECT_EQ(a.ClassFor(132), 1);
  EXPECT_EQ(a.ClassFor(133), 2);
  EXPECT_EQ(a.ClassFor(512 * 1024), a.largest_class());
  EXPECT_EQ(a.ClassFor(512 * 1024 + 1), 0);
}

TEST_F(SlabAllocatorTest, PagesAreHandedOnDemandAndChunksAreDistinct) {
  SlabAllocator a(arena_.get(), ComputeSlabClassSizes(2.0, 100, 512 * 1024, 32), 16 << 20);
  EXPECT_EQ(a.pages_in_use(), 0u);
  const int cls = 3;  // 528-byte chunks
  const uint32_t per_page = a.PerPage(cls);
  std::set<ItemId> ids;
  for (uint32_t i = 0; i < per_page; i++) {
    ItemId id = a.Alloc(cls);
    ASSERT_NE(id, kNoItem);
    EXPECT_TRUE(ids.insert(id).second);
    EXPECT_EQ(arena_->ClassOf(id), cls);
  }
  EXPECT_EQ(a.pages_in_use(), 1u);
  ItemId next = a.Alloc(cls);
  ASSERT_NE(next, kNoItem);
  EXPECT_EQ(a.pages_in_use(), 2u);
  SlabAllocator::ClassStats st = a.Stats(cls);
  EXPECT_EQ(st.total_pages, 2u);
  EXPECT_EQ(st.used_chunks, per_page + 1);
  EXPECT_EQ(st.free_chunks_end, per_page - 1);
  // Freed chunks are reused before new ones are carved.
  a.Free(next);
  EXPECT_EQ(a.Alloc(cls), next);
  // Chunks do not overlap: distinct ids map to addresses at least chunk-size apart.
  char* p0 = arena_->Ptr(*ids.begin());
  char* p1 = arena_->Ptr(*std::next(ids.begin()));
  EXPECT_GE(static_cast<size_t>(p1 - p0), a.ChunkSize(cls));
  EXPECT_EQ(arena_->IdOf(p1), *std::next(ids.begin()));
}

TEST_F(SlabAllocatorTest, LimitStopsGrowthButFirstPageIsAlwaysGiven) {
  SlabAllocator a(arena_.get(), ComputeSlabClassSizes(2.0, 100, 512 * 1024, 32), 1 << 20);
  const int big = a.largest_class();  // 2 chunks per page
  ASSERT_NE(a.Alloc(big), kNoItem);
  ASSERT_NE(a.Alloc(big), kNoItem);
  EXPECT_EQ(a.Alloc(big), kNoItem);  // limit reached: no second page
  // Another class still gets its first page even though we are at the limit.
  EXPECT_NE(a.Alloc(1), kNoItem);
  EXPECT_EQ(a.pages_in_use(), 2u);
  EXPECT_FALSE(a.SetLimit(1 << 20));
  EXPECT_TRUE(a.SetLimit(4 << 20));
  EXPECT_NE(a.Alloc(big), kNoItem);
}

TEST_F(SlabAllocatorTest, ReservePagesCountAgainstTheLimitAndServeOnlyAllocFromReserve) {
  SlabAllocator a(arena_.get(), ComputeSlabClassSizes(2.0, 100, 512 * 1024, 32), 4 << 20);
  const int big = a.largest_class();  // 2 chunks per page
  const int small = 3;
  // Three pages of `small`, then the oldest goes to the reserve.
  for (uint32_t i = 0; i < a.PerPage(small) * 3; i++) ASSERT_NE(a.Alloc(small), kNoItem);
  ASSERT_EQ(a.pages_in_use(), 3u);
  const uint32_t page = a.BeginEvacuation(small);
  ASSERT_NE(page, 0u);
  for (uint32_t slot = 0; slot < a.PerPage(small); slot++) a.Free(Arena::MakeId(page, slot));
  a.FinishEvacuation(small, SlabAllocator::kToReserve);
  EXPECT_EQ(a.pages_in_use(), 2u);
  EXPECT_EQ(a.reserve_pages(), 1u);
  EXPECT_EQ(a.global_page_pool(), 1u);
  // `big` takes its first page (always allowed); a second page would be the 4th of 4 MiB, but
  // the reserve page counts as used, so ordinary growth stops.
  ASSERT_NE(a.Alloc(big), kNoItem);
  ASSERT_NE(a.Alloc(big), kNoItem);
  EXPECT_EQ(a.Alloc(big), kNoItem);
  EXPECT_EQ(a.reserve_pages(), 1u);
  // AllocFromReserve hands the reserve page over.
  const ItemId id = a.AllocFromReserve(big);
  ASSERT_NE(id, kNoItem);
  EXPECT_EQ(Arena::PageOf(id), page);
  EXPECT_EQ(arena_->ClassOf(id), big);
  EXPECT_EQ(a.reserve_pages(), 0u);
  EXPECT_EQ(a.global_page_pool(), 0u);
  EXPECT_EQ(a.Pages(big), 2u);
  EXPECT_NE(a.AllocFromReserve(big), kNoItem);  // the rest of that page
  EXPECT_EQ(a.AllocFromReserve(big), kNoItem);  // reserve empty
  // A free pool page can be set aside; a new limit drops the reserve.
  const uint32_t p2 = a.BeginEvacuation(small);
  ASSERT_NE(p2, 0u);
  for (uint32_t slot = 0; slot < a.PerPage(small); slot++) a.Free(Arena::MakeId(p2, slot));
  a.FinishEvacuation(small, 0);
  EXPECT_EQ(a.reserve_pages(), 0u);
  EXPECT_TRUE(a.ReservePoolPage());
  EXPECT_FALSE(a.ReservePoolPage());
  EXPECT_EQ(a.reserve_pages(), 1u);
  a.SetLimit(8 << 20);
  EXPECT_EQ(a.reserve_pages(), 0u);
  EXPECT_NE(a.Alloc(big), kNoItem);  // now an ordinary pool page
}

}  // namespace
}  // namespace memfleet::storage
