// Microbenchmarks of the storage engine through its command-level interface: Get (hit and miss)
// and Store (Allocate + ValueWriter + Store) of 100-byte values, with default Settings and one
// Session, as one worker thread sees it. Background threads are not started.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"
#include "storage/engine.h"

namespace {

using memfleet::Clock;
using memfleet::Settings;
using memfleet::storage::AllocResult;
using memfleet::storage::Engine;
using memfleet::storage::ItemRef;
using memfleet::storage::Session;
using memfleet::storage::StoreOp;
using memfleet::storage::StoreResult;
using memfleet::storage::ValueWriter;

constexpr int kKeys = 100000;

std::string Key(int i) {
  const std::string n = std::to_string(i);
  return "k" + std::string(31 - n.size(), '0') + n;
}

struct Fixture {
  Fixture() {
    settings.max_bytes = 256ull << 20;
    engine = Engine::Create(settings, &clock);
    session = engine->NewSession();
    for (int i = 0; i < kKeys; ++i) keys.push_back(Key(i));
  }
  bool Set(const std::string& key) {
    ItemRef item;
    if (engine->Allocate(*session, key, 0, 0, static_cast<uint32_t>(value.size()), &item) !=
        AllocResult::kOk) {
      return false;
    }
    ValueWriter w(item);
    w.Write(value.data(), value.size());
    return engine->Store(*session, StoreOp::kSet, item, 0, nullptr) == StoreResult::kStored;
  }
  Settings settings;
  Clock clock;
  std::unique_ptr<Engine> engine;
  Session* session = nullptr;
  std::vector<std::string> keys;
  std::string value = std::string(100, 'v');
};

void BM_EngineStore(benchmark::State& state) {
  Fixture f;
  size_t i = 0;
  for (auto _ : state) {
    if (!f.Set(f.keys[i])) state.SkipWithError("store failed");
    if (++i == f.keys.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EngineStore);

void BM_EngineGetHit(benchmark::State& state) {
  Fixture f;
  for (const auto& k : f.keys) f.Set(k);
  size_t i = 0;
  for (auto _ : state) {
    ItemRef ref = f.engine->Get(*f.session, f.keys[i]);
    if (!ref) state.SkipWithError("miss");
    benchmark::DoNotOptimize(ref.value_length());
    i = (i + 7919) % f.keys.size();  // stride: not the insertion order
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EngineGetHit);

void BM_EngineGetMiss(benchmark::State& state) {
  Fixture f;
  size_t i = 0;
  for (auto _ : state) {
    ItemRef ref = f.engine->Get(*f.session, f.keys[i]);
    benchmark::DoNotOptimize(ref);
    i = (i + 7919) % f.keys.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EngineGetMiss);

}  // namespace
