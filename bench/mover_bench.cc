// Microbenchmark of the slab page mover: one page of a class full of 100-byte items (~7,300 of
// them) emptied and given back to the global pool, every item on it evicted, as when a workload
// shift takes pages from the small items (issue 14; docs/benchmarks.md). The engine is filled
// once per run (-m 64, 700,000 sets, as the shift scenario), then each iteration moves one page.
// Background threads are not started.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/settings.h"
#include "storage/cache_engine.h"

namespace {

using memfleet::Clock;
using memfleet::Settings;
using memfleet::storage::AllocResult;
using memfleet::storage::CacheEngine;
using memfleet::storage::Engine;
using memfleet::storage::ItemRef;
using memfleet::storage::StoreOp;
using memfleet::storage::ValueWriter;

constexpr int kItems = 700000;
constexpr int kPages = 40;  // iterations: pages moved out of the 60-odd of the small class

void BM_MovePageOfSmallItems(benchmark::State& state) {
  Clock clock;
  Settings settings;
  settings.max_bytes = 64ull << 20;
  settings.hashpower_init = 20;  // no expander thread here: start at the size it would reach
  auto engine = Engine::Create(settings, &clock);
  auto* cache = static_cast<CacheEngine*>(engine.get());
  auto* session = engine->NewSession();
  const std::string value(100, 'v');
  int cls = 0;
  for (int i = 0; i < kItems; i++) {
    ItemRef item;
    const std::string key = "small:" + std::to_string(i);
    if (engine->Allocate(*session, key, 0, 0, 100, &item) != AllocResult::kOk) continue;
    ValueWriter w(item);
    w.Write(value.data(), value.size());
    cls = cache->SlabClassOf(item);
    engine->Store(*session, StoreOp::kSet, item, 0, nullptr);
  }
  for (auto _ : state) {
    if (!cache->MovePageNow(cls, 0)) state.SkipWithError("no page to move");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(cache->slabs().PerPage(cls)));
}
BENCHMARK(BM_MovePageOfSmallItems)->Iterations(kPages)->Unit(benchmark::kMillisecond);

}  // namespace
