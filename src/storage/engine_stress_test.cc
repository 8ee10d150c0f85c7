// Concurrency test: workers run mixed commands on a small, full cache while the maintainer,
// crawler and expander threads run and the clock moves. Run under TSan for data races; the
// end state is checked for leaks (every used chunk belongs to a live item).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine_test_util.h"

namespace memfleet::storage {
namespace {

using testing::Cat;
using testing::TestEngine;

TEST(EngineStressTest, MixedCommandsWithBackgroundThreads) {
  Settings s = testing::SmallSettings();
  s.max_bytes = 2ull << 20;
  s.hashpower_init = 6;
  s.temp_lru = true;
  s.lru_crawler_sleep = 0;
  TestEngine t(s);
  // Fill the cache first so that the mixed phase runs with evictions.
  for (int i = 0; i < 6000; i++) {
    ASSERT_EQ(t.Set(Cat("k", std::to_string(i)), std::string(2500, 'p')), StoreResult::kStored);
  }
  const uint64_t prefill_evictions = t.engine->GeneralStats().evictions;
  ASSERT_GT(prefill_evictions, 0u);
  t.engine->Start();
  std::atomic<bool> done{false};
  std::thread clock_thread([&] {
    int n = 0;
    while (!done.load()) {
      t.clock.Advance(1);
      if (++n % 5 == 0) t.engine->RunCrawlerOnce();  // races with the crawler thread too
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  constexpr int kWorkers = 3;
  constexpr int kOps = 20000;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; w++) {
    workers.emplace_back([&, w] {
      Session* ss = t.engine->NewSession();
      std::mt19937 rng(w + 1);
      std::vector<ItemRef> held;
      for (int i = 0; i < kOps; i++) {
        std::string key = Cat("k", std::to_string(rng() % 6000));
        switch (rng() % 8) {
          case 0:
          case 1: {
            std::string v = rng() % 4 == 0 ? std::to_string(rng() % 1000)
                                           : std::string(2000 + rng() % 1000, 'a' + rng() % 26);
            ItemRef ref;
            RelTime exp = rng() % 3 == 0 ? t.clock.Now() + rng() % 80 : 0;
            if (t.engine->Allocate(*ss, key, rng() % 2, exp, static_cast<uint32_t>(v.size()),
                                   &ref) == AllocResult::kOk) {
              ValueWriter(ref).Write(v.data(), v.size());
              t.engine->Store(*ss, static_cast<StoreOp>(rng() % 6), ref, rng() % 5, nullptr);
            }
            break;
          }
          case 2:
          case 3: {
            ItemRef r = t.engine->Get(*ss, key);
            if (r) {
              std::string v(r.value_length(), '\0');
              r.CopyValue(v.data());
              if (rng() % 4 == 0) held.push_back(std::move(r));
            }
            break;
          }
          case 4:
            t.engine->Delete(*ss, key, 0);
            break;
          case 5:
            t.engine->Delta(*ss, {key, rng() % 2 == 0, rng() % 100, 0});
            break;
          case 6:
            t.engine->Touch(*ss, key, rng() % 2 ? 0 : t.clock.Now() + 30);
            break;
          case 7:
            if (rng() % 5000 == 0) t.engine->FlushAll(0);
            held.clear();
            break;
        }
        if (held.size() > 20) held.clear();
      }
    });
  }
  for (auto& th : workers) th.join();
  done.store(true);
  clock_thread.join();
  t.engine->Stop();
  // No leaks: with no pins left, every used chunk is a live (non-chunked) item.
  EngineGeneralStats g = t.engine->GeneralStats();
  uint64_t used = 0;
  for (int c = 1; c <= t.engine->slabs().largest_class(); c++)
    used += t.engine->slabs().UsedChunks(c);
  EXPECT_EQ(used, g.curr_items);
  EXPECT_EQ(t.engine->hash_table().item_count(), g.curr_items);
  // The limit, plus at most the one page every class may always take (memcached's rule).
  EXPECT_LE(g.total_malloced, (2u + static_cast<uint64_t>(t.engine->slabs().largest_class()))
                                  << 20);
  EXPECT_GT(g.evictions + t.engine->ItemStatsTotal().outofmemory, prefill_evictions)
      << "items " << g.curr_items << " total " << g.total_items << " malloced " << g.total_malloced;
}

}  // namespace
}  // namespace memfleet::storage
