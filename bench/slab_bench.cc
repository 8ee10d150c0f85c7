// Microbenchmarks of slab allocation: a steady Alloc/Free pair on one class (free-list reuse) and
// a burst of allocations that carves fresh pages.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "common/settings.h"
#include "storage/slab/arena.h"
#include "storage/slab/slab_allocator.h"
#include "storage/slab/slab_classes.h"

namespace {

using memfleet::Settings;
using memfleet::storage::Arena;
using memfleet::storage::ItemId;
using memfleet::storage::kNoItem;
using memfleet::storage::SlabAllocator;
using memfleet::storage::SlabClassSizesFor;

constexpr uint64_t kLimit = 512ull << 20;

void BM_SlabAllocFree(benchmark::State& state) {
  auto arena = Arena::Create(static_cast<uint32_t>(kLimit / Arena::kPageSize) + 8);
  SlabAllocator slabs(arena.get(), SlabClassSizesFor(Settings(), 16), kLimit);
  const int cls = slabs.ClassFor(150);
  for (auto _ : state) {
    const ItemId id = slabs.Alloc(cls);
    if (id == kNoItem) state.SkipWithError("alloc failed");
    slabs.Free(id);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SlabAllocFree);

void BM_SlabAllocBurst(benchmark::State& state) {
  std::vector<ItemId> ids;
  ids.reserve(100000);
  for (auto _ : state) {
    state.PauseTiming();
    auto arena = Arena::Create(static_cast<uint32_t>(kLimit / Arena::kPageSize) + 8);
    SlabAllocator slabs(arena.get(), SlabClassSizesFor(Settings(), 16), kLimit);
    const int cls = slabs.ClassFor(150);
    ids.clear();
    state.ResumeTiming();
    for (int i = 0; i < 100000; ++i) ids.push_back(slabs.Alloc(cls));
    benchmark::DoNotOptimize(ids.data());
    state.PauseTiming();
    arena.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 100000));
}
BENCHMARK(BM_SlabAllocBurst)->Unit(benchmark::kMicrosecond);

}  // namespace
