// LRU crawler tests: the stepwise dump behind `lru_crawler metadump|mgdump` (every live item
// exactly once, also while the hash table doubles under it), `lru_crawler tocrawl` limits, and
// the run-time `stats sizes_enable|sizes_disable` histogram. Background threads are not started.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "storage/engine_test_util.h"

namespace memfleet::storage {
namespace {

using testing::Cat;
using testing::TestEngine;

std::string Key(int i) { return Cat("key:", std::to_string(i)); }

Settings TinyTable() {
  Settings s = testing::SmallSettings();
  s.hashpower_init = 4;   // 16 buckets: a few hundred items make it want to double
  s.hash_expand = false;  // the test drives expansion itself
  return s;
}

// Counts how often each key is listed by a dump that takes `slices_per_step` slices a step and
// calls between(step) after each step.
template <typename Between>
std::map<std::string, int> DumpCounts(TestEngine& t, std::string_view classes,
                                      uint64_t slices_per_step, Between between) {
  std::map<std::string, int> seen;
  DumpCursor cursor;
  EXPECT_EQ(t.engine->StartDump(classes, &cursor), CrawlResult::kOk);
  int step = 0;
  while (!t.engine->DumpStep(&cursor, slices_per_step,
                             [&](const ItemInfo& i) { seen[std::string(i.key)]++; })) {
    between(step++);
  }
  return seen;
}

TEST(DumpTest, ListsEveryLiveItemOnceInSmallSteps) {
  TestEngine t(TinyTable());
  for (int i = 0; i < 100; i++) ASSERT_EQ(t.Set(Key(i), "v"), StoreResult::kStored);
  ASSERT_EQ(t.Set("expired", "v", 0, 1001), StoreResult::kStored);
  ASSERT_TRUE(t.engine->Delete(*t.session, Key(7), 0) == DeleteResult::kDeleted);
  t.clock.Advance(2);
  auto seen = DumpCounts(t, "all", 1, [](int) {});
  EXPECT_EQ(seen.size(), 99u);
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(seen.count(Key(7)), 0u);
  EXPECT_EQ(seen.count("expired"), 0u);
  EXPECT_EQ(DumpCounts(t, "hash", 3, [](int) {}), seen);
}

TEST(DumpTest, ExactlyOnceWhileTheTableDoublesUnderIt) {
  // Expansion is driven between dump steps, in every phase: not started, part way, done, and a
  // second doubling, so slices are read before and after their buckets migrate.
  for (uint32_t migrate_per_step : {1u, 3u, 16u}) {
    TestEngine t(TinyTable());
    const int n = 400;
    for (int i = 0; i < n; i++) ASSERT_EQ(t.Set(Key(i), "v"), StoreResult::kStored);
    HashTable& table = t.engine->hash_table();
    const uint64_t before = table.bucket_count();
    auto seen = DumpCounts(t, "all", 1, [&](int step) {
      if (step == 2 || step == 9) {
        if (!table.expanding()) table.StartExpansion();
      }
      if (table.expanding()) table.ExpandStep(migrate_per_step);
    });
    EXPECT_GT(table.bucket_count(), before);
    ASSERT_EQ(seen.size(), static_cast<size_t>(n)) << migrate_per_step;
    for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key << " " << migrate_per_step;
  }
}

TEST(DumpTest, FiltersByClassAndReportsBinaryKeys) {
  TestEngine t;
  ASSERT_EQ(t.Set("small", "x"), StoreResult::kStored);
  ASSERT_EQ(t.Set("big", std::string(5000, 'y')), StoreResult::kStored);
  int small_cls = 0;
  {
    ItemRef r = t.engine->Get(*t.session, "small");
    small_cls = t.engine->SlabClassOf(r);
  }
  ItemRef ref;
  ASSERT_EQ(t.engine->Allocate(*t.session, std::string_view("\x01\x02", 2), 0, 0, 1, &ref),
            AllocResult::kOk);
  ValueWriter(ref).Write("z", 1);
  MetaStoreOptions opt;
  opt.key_binary = true;
  ASSERT_EQ(t.engine->MetaStore(*t.session, StoreOp::kSet, ref, 0, opt, nullptr),
            StoreResult::kStored);
  std::map<std::string, bool> binary;
  DumpCursor cursor;
  ASSERT_EQ(t.engine->StartDump(std::to_string(small_cls), &cursor), CrawlResult::kOk);
  while (!t.engine->DumpStep(&cursor, 8, [&](const ItemInfo& i) {
    binary[std::string(i.key)] = i.key_binary;
    EXPECT_EQ(i.slab_class, small_cls);
  })) {
  }
  EXPECT_EQ(binary, (std::map<std::string, bool>{{"small", false}, {"\x01\x02", true}}));
  EXPECT_EQ(t.engine->StartDump("0", &cursor), CrawlResult::kBadClass);
  EXPECT_EQ(t.engine->StartDump("1,x", &cursor), CrawlResult::kBadClass);
  EXPECT_TRUE(t.engine->SetCrawlerEnabled(false));
  EXPECT_EQ(t.engine->StartDump("all", &cursor), CrawlResult::kDisabled);
}

TEST(CrawlerTest, ToCrawlBoundsOneCrawlPerClass) {
  TestEngine t;
  const std::string big(3000, 'b');
  for (int i = 0; i < 50; i++) {
    ASSERT_EQ(t.Set(Key(i), "s", 0, 1001), StoreResult::kStored);
    ASSERT_EQ(t.Set(Cat("big:", std::to_string(i)), big, 0, 1001), StoreResult::kStored);
  }
  t.clock.Advance(5);
  // Two classes, each with 50 expired items: 10 of each per crawl.
  EXPECT_EQ(t.engine->RunCrawlerOnce(10), 20u);
  EXPECT_EQ(t.engine->GeneralStats().curr_items, 80u);
  CacheEngine::ClassItemStats total = t.engine->ItemStatsTotal();
  EXPECT_EQ(total.crawler_reclaimed, 20u);
  EXPECT_EQ(total.crawler_items_checked, 20u);
  EXPECT_EQ(t.engine->RunCrawlerOnce(10), 20u);
  EXPECT_EQ(t.engine->RunCrawlerOnce(0), 60u);  // 0: no limit
  EXPECT_EQ(t.engine->GeneralStats().curr_items, 0u);
}

std::vector<std::pair<std::string, std::string>> Lines(
    const std::function<void(const StatSink&)>& fn) {
  std::vector<std::pair<std::string, std::string>> out;
  fn([&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

uint64_t SizesTotal(TestEngine& t) {
  uint64_t n = 0;
  for (const auto& [k, v] : Lines([&](const StatSink& s) { t.engine->AppendSizesStats(s); })) {
    EXPECT_NE(k, "sizes_status");
    EXPECT_EQ(std::stoull(k) % 32, 0u);
    n += std::stoull(v);
  }
  return n;
}

TEST(SizesTest, EnabledAtRunTimeCountsOnlyNewItems) {
  TestEngine t;
  ASSERT_EQ(t.Set("old", "v"), StoreResult::kStored);
  using L = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Lines([&](const StatSink& s) { t.engine->AppendSizesStats(s); }),
            (L{{"sizes_status", "disabled"}}));
  EXPECT_EQ(Lines([&](const StatSink& s) { t.engine->SetSizesTracking(true, s); }),
            (L{{"sizes_status", "enabled"}}));
  EXPECT_EQ(SizesTotal(t), 0u);
  ASSERT_EQ(t.Set("new1", "v"), StoreResult::kStored);
  ASSERT_EQ(t.Set("new2", std::string(500, 'v')), StoreResult::kStored);
  EXPECT_EQ(SizesTotal(t), 2u);
  // Removing an item stored before the enable changes nothing (and never wraps below zero).
  ASSERT_EQ(t.engine->Delete(*t.session, "old", 0), DeleteResult::kDeleted);
  ASSERT_EQ(t.engine->Delete(*t.session, "new1", 0), DeleteResult::kDeleted);
  EXPECT_EQ(SizesTotal(t), 1u);
  EXPECT_EQ(Lines([&](const StatSink& s) { t.engine->SetSizesTracking(true, s); }),
            (L{{"sizes_status", "enabled"}}));
  EXPECT_EQ(SizesTotal(t), 1u);  // already on: kept
  EXPECT_EQ(Lines([&](const StatSink& s) { t.engine->SetSizesTracking(false, s); }),
            (L{{"sizes_status", "disabled"}}));
  ASSERT_EQ(t.Set("new3", "v"), StoreResult::kStored);
  EXPECT_EQ(Lines([&](const StatSink& s) { t.engine->SetSizesTracking(true, s); }),
            (L{{"sizes_status", "enabled"}}));
  EXPECT_EQ(SizesTotal(t), 0u);  // a new enable starts from zero
}

TEST(SizesTest, NeedsCas) {
  Settings s = testing::SmallSettings();
  s.use_cas = false;
  TestEngine t(s);
  using L = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Lines([&](const StatSink& sink) { t.engine->SetSizesTracking(true, sink); }),
            (L{{"sizes_status", "error"}, {"sizes_error", "cas_support_disabled"}}));
}

}  // namespace
}  // namespace memfleet::storage
