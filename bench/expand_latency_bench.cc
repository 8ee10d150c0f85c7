// Worst request latency while the hash table expands from 2^16 to 2^24 buckets under load.
//
// One engine (-m 2048, hashpower 16, background threads running: maintainer, crawler, expander,
// page mover). Two client threads: a writer storing 13M small items (enough to trigger the last
// doubling, 2^23 -> 2^24, at 1.5 items per bucket) and a reader doing gets on recent keys. Every
// request is timed; the benchmark reports the worst and the 99.99th percentile latency of the
// requests made while an expansion was in progress, and overall. Run:
//   build/<release>/bin/memfleet_expand_latency_bench --benchmark_min_time=1x
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/settings.h"
#include "storage/cache_engine.h"

namespace memfleet::storage {
namespace {

using Nanos = std::chrono::nanoseconds;
using SteadyClock = std::chrono::steady_clock;

struct Latencies {
  std::vector<uint32_t> during;  // microseconds, requests made while expanding
  uint64_t worst_ns = 0;
  uint64_t worst_during_ns = 0;
};

void Record(Latencies& l, SteadyClock::time_point t0, bool expanding) {
  const uint64_t ns =
      static_cast<uint64_t>(std::chrono::duration_cast<Nanos>(SteadyClock::now() - t0).count());
  l.worst_ns = std::max(l.worst_ns, ns);
  if (expanding) {
    l.worst_during_ns = std::max(l.worst_during_ns, ns);
    l.during.push_back(static_cast<uint32_t>(ns / 1000));
  }
}

void BM_ExpansionWorstLatency(benchmark::State& state) {
  constexpr uint64_t kItems = 13'000'000;
  for (auto _ : state) {
    Settings s;
    s.max_bytes = 2048ull << 20;
    s.hashpower_init = 16;
    Clock clock;
    auto e = Engine::Create(s, &clock);
    auto* engine = static_cast<CacheEngine*>(e.get());
    engine->Start();
    std::atomic<uint64_t> written{0};
    std::atomic<bool> done{false};
    Latencies wl, rl;
    std::thread writer([&] {
      Session* ss = engine->NewSession();
      char key[32];
      for (uint64_t i = 0; i < kItems; i++) {
        int n = std::snprintf(key, sizeof(key), "k%09llu", static_cast<unsigned long long>(i));
        auto t0 = SteadyClock::now();
        bool exp = engine->hash_table().expanding();
        ItemRef ref;
        if (engine->Allocate(*ss, std::string_view(key, static_cast<size_t>(n)), 0, 0, 4, &ref) ==
            AllocResult::kOk) {
          ValueWriter w(ref);
          w.Write("abcd", 4);
          engine->Store(*ss, StoreOp::kSet, ref, 0, nullptr);
        }
        Record(wl, t0, exp);
        written.store(i + 1, std::memory_order_relaxed);
      }
    });
    std::thread reader([&] {
      Session* ss = engine->NewSession();
      char key[32];
      uint64_t x = 1;
      while (!done.load(std::memory_order_relaxed)) {
        uint64_t w = written.load(std::memory_order_relaxed);
        if (w == 0) continue;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int n = std::snprintf(key, sizeof(key), "k%09llu",
                              static_cast<unsigned long long>((x >> 33) % w));
        auto t0 = SteadyClock::now();
        bool exp = engine->hash_table().expanding();
        ItemRef r = engine->Get(*ss, std::string_view(key, static_cast<size_t>(n)));
        benchmark::DoNotOptimize(r);
        r.Reset();
        Record(rl, t0, exp);
      }
    });
    writer.join();
    // The reader keeps going until the last doubling (to 2^24) has finished.
    for (int i = 0;
         i < 1200 && (engine->hash_table().hashpower() < 24 || engine->hash_table().expanding());
         i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    done = true;
    reader.join();
    state.counters["hashpower"] = engine->hash_table().hashpower();
    engine->Stop();
    std::vector<uint32_t> all = wl.during;
    all.insert(all.end(), rl.during.begin(), rl.during.end());
    std::sort(all.begin(), all.end());
    state.counters["requests_during_expansion"] = static_cast<double>(all.size());
    state.counters["p9999_during_us"] =
        all.empty() ? 0 : all[std::min(all.size() - 1, all.size() * 9999 / 10000)];
    state.counters["worst_during_us"] =
        static_cast<double>(std::max(wl.worst_during_ns, rl.worst_during_ns)) / 1000.0;
    state.counters["worst_any_us"] =
        static_cast<double>(std::max(wl.worst_ns, rl.worst_ns)) / 1000.0;
  }
}
BENCHMARK(BM_ExpansionWorstLatency)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memfleet::storage
