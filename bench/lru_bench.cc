// Microbenchmarks of the LRU operations of the storage engine (storage/README.md, "LRU
// movement"): a hit on an item in each segment (Bump only sets flags), the maintainer's juggle
// per item moved, a store that has to evict from the COLD tail, and the flat-LRU bump that
// relinks an item at the queue head once a minute. One CacheEngine on an injected Clock, one
// Session, background threads not started: the maintainer is driven by RunMaintainerOnce, as in
// storage/lru_test.cc. Keys are 32 bytes and values 100 bytes, as in engine_bench.cc.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"
#include "storage/cache_engine.h"
#include "storage/engine.h"

namespace {

using memfleet::Clock;
using memfleet::Settings;
using memfleet::storage::AllocResult;
using memfleet::storage::CacheEngine;
using memfleet::storage::Engine;
using memfleet::storage::ItemRef;
using memfleet::storage::LruTuning;
using memfleet::storage::MetaGetReply;
using memfleet::storage::MetaGetRequest;
using memfleet::storage::Segment;
using memfleet::storage::Session;
using memfleet::storage::StoreOp;
using memfleet::storage::StoreResult;
using memfleet::storage::ValueWriter;

constexpr int kKeys = 100000;
// Visits every key once per kKeys steps (7919 is prime, so coprime with kKeys) in an order that
// is neither the insertion order nor the LRU order.
constexpr size_t kStride = 7919;
constexpr memfleet::RelTime kUpdateInterval = 60;  // Bump refreshes at most once a minute

std::string Key(int i) {
  const std::string n = std::to_string(i);
  return "k" + std::string(31 - n.size(), '0') + n;
}

// 256 MB and 2^17 buckets hold kKeys items without evicting and without the hash table wanting
// to expand (the expander thread is not running).
Settings LargeSettings() {
  Settings s;
  s.max_bytes = 256ull << 20;
  s.hashpower_init = 17;
  return s;
}

struct Fixture {
  explicit Fixture(const Settings& settings, int nkeys = kKeys) {
    clock.Set(1000);
    auto e = Engine::Create(settings, &clock);
    engine.reset(static_cast<CacheEngine*>(e.release()));
    session = engine->NewSession();
    keys.reserve(static_cast<size_t>(nkeys));
    for (int i = 0; i < nkeys; ++i) keys.push_back(Key(i));
  }
  bool Set(std::string_view key) {
    ItemRef item;
    if (engine->Allocate(*session, key, 0, 0, static_cast<uint32_t>(value.size()), &item) !=
        AllocResult::kOk) {
      return false;
    }
    ValueWriter w(item);
    w.Write(value.data(), value.size());
    return engine->Store(*session, StoreOp::kSet, item, 0, nullptr) == StoreResult::kStored;
  }
  bool SetAll() {
    for (const auto& k : keys) {
      if (!Set(k)) return false;
    }
    return true;
  }
  // Two hits make an item ACTIVE (the first sets FETCHED).
  void GetTwice(std::string_view key) {
    engine->Get(*session, key);
    engine->Get(*session, key);
  }
  // Slab class of a stored key, looked up without bumping it.
  int ClassOf(std::string_view key) {
    MetaGetRequest req;
    req.key = key;
    req.bump = false;
    req.peek = true;
    MetaGetReply rep = engine->MetaGet(*session, req);
    return rep.item ? rep.slab_class : -1;
  }
  // Items moved by the maintainer so far (all classes).
  uint64_t Moves() const {
    const CacheEngine::ClassItemStats st = engine->ItemStatsTotal();
    return st.moves_to_cold + st.moves_to_warm + st.moves_within_lru;
  }
  // Runs maintainer passes until one moves nothing (a pass moves at most 500 items per class).
  void DrainMaintainer() {
    while (engine->RunMaintainerOnce() > 0) {
    }
  }

  Clock clock;
  std::unique_ptr<CacheEngine> engine;
  Session* session = nullptr;
  std::vector<std::string> keys;
  std::string value = std::string(100, 'v');
};

// HOT -> COLD as soon as HOT holds any bytes; WARM may hold all of them.
LruTuning AllHotToCold() {
  LruTuning t;
  t.hot_lru_pct = 0;
  return t;
}
LruTuning WarmHoldsAll() {
  LruTuning t;
  t.warm_lru_pct = 100;
  return t;
}

const char* SegmentName(Segment seg) {
  switch (seg) {
    case Segment::kHot:
      return "HOT";
    case Segment::kWarm:
      return "WARM";
    case Segment::kCold:
      return "COLD";
    case Segment::kTemp:
      return "TEMP";
  }
  return "?";
}

// (1) Get hit on kKeys items that all sit in one segment (arg: 0 HOT, 1 WARM, 2 COLD), strided.
// Every item has been hit twice before timing starts, so it is ACTIVE and Bump returns after
// reading its flags: the steady state of a hot key. No hit moves an item, in any segment.
void BM_LruGetHit(benchmark::State& state) {
  const auto seg = static_cast<Segment>(state.range(0));
  Fixture f(LargeSettings());
  if (!f.SetAll()) return state.SkipWithError("setup store failed");
  if (seg == Segment::kWarm) {
    // ACTIVE items at the HOT tail go to WARM; WARM is allowed to keep them all.
    f.engine->TuneLru(WarmHoldsAll());
    for (const auto& k : f.keys) f.GetTwice(k);
    f.DrainMaintainer();
  } else if (seg == Segment::kCold) {
    f.engine->TuneLru(AllHotToCold());
    f.DrainMaintainer();
  }
  const int cls = f.ClassOf(f.keys[0]);
  if (cls < 0 || f.engine->QueueCount(cls, seg) != f.keys.size()) {
    return state.SkipWithError("setup: items not all in the segment");
  }
  for (const auto& k : f.keys) f.GetTwice(k);
  size_t i = 0;
  for (auto _ : state) {
    ItemRef ref = f.engine->Get(*f.session, f.keys[i]);
    if (!ref) state.SkipWithError("miss");
    benchmark::DoNotOptimize(ref.value_length());
    i = (i + kStride) % f.keys.size();
  }
  if (f.engine->QueueCount(cls, seg) != f.keys.size()) state.SkipWithError("a hit moved an item");
  state.SetLabel(SegmentName(seg));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LruGetHit)->Arg(0)->Arg(1)->Arg(2);

// (2) The maintainer's juggle: RunMaintainerOnce passes until nothing moves, over kKeys freshly
// stored HOT items that all have to move (arg 0: HOT -> COLD, HOT over hot_lru_pct = 0; arg 1:
// ACTIVE HOT -> WARM, WARM allowed to hold everything). items/s counts items moved; the
// re-store that puts the items back in HOT between iterations is not timed.
void BM_LruJuggle(benchmark::State& state) {
  const bool to_warm = state.range(0) == 1;
  Fixture f(LargeSettings());
  f.engine->TuneLru(to_warm ? WarmHoldsAll() : AllHotToCold());
  uint64_t moved = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // A set replaces the item wherever it is; the new one starts at the HOT head.
    if (!f.SetAll()) {
      state.SkipWithError("setup store failed");
      break;
    }
    if (to_warm) {
      for (const auto& k : f.keys) f.GetTwice(k);
    }
    const uint64_t before = f.Moves();
    state.ResumeTiming();
    f.DrainMaintainer();
    state.PauseTiming();
    const uint64_t n = f.Moves() - before;
    if (n != f.keys.size()) state.SkipWithError("not every item moved");
    moved += n;
    state.ResumeTiming();
  }
  state.SetLabel(to_warm ? "HOT->WARM (ACTIVE)" : "HOT->COLD (over hot_lru_pct)");
  state.SetItemsProcessed(static_cast<int64_t>(moved));
}
BENCHMARK(BM_LruJuggle)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// (3) A store of a new key with memory full (-m 8): the allocation finds no free chunk and
// evicts from the COLD tail. Arg 0: segmented LRU with default tuning; new items go to HOT and
// a maintainer drain after every batch of kEvictBatch stores (not timed) pushes HOT back down
// to hot_lru_pct, so the COLD tail always has an item to evict. Arg 1: flat LRU (lru_segmented
// off), where new items go straight to COLD. One iteration is one batch; items/s counts
// stores, and evictions_per_store checks that each store evicted exactly one item.
constexpr int kEvictBatch = 256;
constexpr int kEvictKeys = 1 << 18;  // many more than -m 8 holds: a key is long gone when reused

void BM_LruStoreEvict(benchmark::State& state) {
  const bool flat = state.range(0) == 1;
  Settings settings;
  settings.max_bytes = 8ull << 20;
  settings.lru_segmented = !flat;
  Fixture f(settings, kEvictKeys);
  size_t next = 0;
  // Fill memory, then a bit more so that evictions are under way.
  while (f.engine->GeneralStats().evictions < static_cast<uint64_t>(kEvictBatch)) {
    if (!f.Set(f.keys[next++])) return state.SkipWithError("setup store failed");
    if (!flat && next % kEvictBatch == 0) f.DrainMaintainer();
  }
  if (!flat) f.DrainMaintainer();
  const uint64_t evictions_before = f.engine->GeneralStats().evictions;
  for (auto _ : state) {
    for (int j = 0; j < kEvictBatch; ++j) {
      if (!f.Set(f.keys[next])) state.SkipWithError("store failed");
      if (++next == f.keys.size()) next = 0;
    }
    if (!flat) {
      state.PauseTiming();
      f.DrainMaintainer();
      state.ResumeTiming();
    }
  }
  const auto stores = static_cast<double>(state.iterations() * kEvictBatch);
  state.counters["evictions_per_store"] =
      static_cast<double>(f.engine->GeneralStats().evictions - evictions_before) / stores;
  state.SetLabel(flat ? "flat LRU" : "segmented LRU");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvictBatch));
}
BENCHMARK(BM_LruStoreEvict)->Arg(0)->Arg(1);

// (4) Flat LRU (lru_segmented off; every item in COLD): a Get hit on kKeys items, strided. Arg
// 1: the clock moves on a minute each time every key has been hit once, so every hit finds the
// item's access time a minute old and unlinks it and relinks it at the COLD head (queue lock
// plus the two neighbours' links). Arg 0: the clock stands still, so a hit only reads the flags
// (the baseline the relink adds to).
void BM_LruFlatBump(benchmark::State& state) {
  const bool minute_passed = state.range(0) == 1;
  Settings settings = LargeSettings();
  settings.lru_segmented = false;
  Fixture f(settings);
  if (!f.SetAll()) return state.SkipWithError("setup store failed");
  const int cls = f.ClassOf(f.keys[0]);
  if (cls < 0 || f.engine->QueueCount(cls, Segment::kCold) != f.keys.size()) {
    return state.SkipWithError("setup: flat LRU items not in COLD");
  }
  for (const auto& k : f.keys) f.engine->Get(*f.session, k);  // FETCHED
  if (minute_passed) f.clock.Advance(kUpdateInterval);
  size_t i = 0;
  size_t n = 0;
  for (auto _ : state) {
    ItemRef ref = f.engine->Get(*f.session, f.keys[i]);
    if (!ref) state.SkipWithError("miss");
    benchmark::DoNotOptimize(ref.value_length());
    i = (i + kStride) % f.keys.size();
    if (++n == f.keys.size()) {
      n = 0;
      if (minute_passed) f.clock.Advance(kUpdateInterval);
    }
  }
  // The last key hit must carry this minute's access time when it was relinked.
  const size_t last = (i + f.keys.size() - kStride) % f.keys.size();
  MetaGetRequest peek;
  peek.key = f.keys[last];
  peek.bump = false;
  peek.peek = true;
  const MetaGetReply rep = f.engine->MetaGet(*f.session, peek);
  if (minute_passed && (!rep.item || rep.last_access + kUpdateInterval < f.clock.Now())) {
    state.SkipWithError("hits did not refresh the access time");
  }
  state.SetLabel(minute_passed ? "minute passed: unlink + relink" : "within the minute");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LruFlatBump)->Arg(0)->Arg(1);

}  // namespace
