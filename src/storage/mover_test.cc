// Slab page mover tests: reassign replies, rescues (relinking live items into other chunks),
// evictions when the class is full, pinned items, chunked items, memory-limit shrink, automove,
// crawler control and metadump. Background threads are not started unless a test says so.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine_test_util.h"

namespace memfleet::storage {
namespace {

using testing::Cat;
using testing::TestEngine;

std::string Key(int i) { return Cat("key:", std::to_string(i)); }

int ClassOfKey(TestEngine& t, std::string_view key) {
  ItemRef r = t.engine->Get(*t.session, key);
  return r ? t.engine->SlabClassOf(r) : 0;
}

TEST(MoverTest, ReassignRepliesAsMemcached) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "x"), StoreResult::kStored);
  const int cls = ClassOfKey(t, "a");
  EXPECT_EQ(t.engine->Reassign(cls, cls), ReassignResult::kSame);
  EXPECT_EQ(t.engine->Reassign(1000, 1), ReassignResult::kBadClass);
  EXPECT_EQ(t.engine->Reassign(cls, 1000), ReassignResult::kBadClass);
  EXPECT_EQ(t.engine->Reassign(-2, 1), ReassignResult::kBadClass);
  EXPECT_EQ(t.engine->Reassign(cls, cls + 1), ReassignResult::kNoSpare);  // one page only
  EXPECT_EQ(t.engine->Reassign(0, cls), ReassignResult::kNoSpare);        // empty pool
}

TEST(MoverTest, MovingAPageRescuesLiveItemsWhenThereIsRoom) {
  TestEngine t;
  const std::string value(900, 'v');
  // Three pages' worth, then delete two thirds: plenty of free chunks for rescues.
  ASSERT_EQ(t.Set(Key(0), value), StoreResult::kStored);
  const int cls = ClassOfKey(t, Key(0));
  const uint32_t per = t.engine->slabs().PerPage(cls);
  const int n = static_cast<int>(per * 3);
  for (int i = 1; i < n; i++) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);
  ASSERT_EQ(t.engine->slabs().Pages(cls), 3u);
  std::set<int> kept;
  for (int i = 0; i < n; i++) {
    if (i % 3 == 0) {
      kept.insert(i);
    } else {
      ASSERT_EQ(t.engine->Delete(*t.session, Key(i), 0), DeleteResult::kDeleted);
    }
  }
  ASSERT_TRUE(t.engine->MovePageNow(cls, 0));
  EXPECT_EQ(t.engine->slabs().Pages(cls), 2u);
  EXPECT_EQ(t.engine->slabs().global_page_pool(), 1u);
  for (int i : kept) {
    auto v = t.Get(Key(i));
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_EQ(*v, value);
  }
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.curr_items, kept.size());
}

TEST(MoverTest, MovingAPageOfAFullClassEvictsAndGivesThePageToAnotherClass) {
  TestEngine t;
  const std::string small(100, 's');
  const std::string big(5000, 'b');
  ASSERT_EQ(t.Set("big0", big), StoreResult::kStored);
  const int big_cls = ClassOfKey(t, "big0");
  // Fill all memory with small items.
  int n = 0;
  for (; n < 200000; n++) {
    ASSERT_EQ(t.Set(Key(n), small), StoreResult::kStored);
    if (t.engine->GeneralStats().evictions > 0) break;
  }
  const int small_cls = ClassOfKey(t, Key(n));
  const uint64_t small_pages = t.engine->slabs().Pages(small_cls);
  ASSERT_GT(small_pages, 2u);
  EXPECT_EQ(t.engine->Reassign(small_cls, big_cls), ReassignResult::kOk);
  // Without the mover thread the request stays pending: a second one is BUSY.
  EXPECT_EQ(t.engine->Reassign(small_cls, big_cls), ReassignResult::kRunning);
  ASSERT_TRUE(t.engine->MovePageNow(small_cls, big_cls));
  EXPECT_EQ(t.engine->slabs().Pages(small_cls), small_pages - 1);
  EXPECT_EQ(t.engine->slabs().Pages(big_cls), 2u);
  // The big class can now hold more than one page of big items without evicting.
  const uint32_t per_big = t.engine->slabs().PerPage(big_cls);
  const uint64_t ev0 = t.engine->GeneralStats().evictions;
  for (uint32_t i = 1; i < per_big * 2; i++) {
    ASSERT_EQ(t.Set(Cat("big", std::to_string(i)), big), StoreResult::kStored);
  }
  EXPECT_EQ(t.engine->GeneralStats().evictions, ev0);
  for (uint32_t i = 0; i < per_big * 2; i++) EXPECT_TRUE(t.Get(Cat("big", std::to_string(i))));
}

TEST(MoverTest, PinnedItemsAreUnlinkedAfterRetriesAndFreedWhenReleased) {
  TestEngine t;
  const std::string value(900, 'v');
  ASSERT_EQ(t.Set(Key(0), value), StoreResult::kStored);
  const int cls = ClassOfKey(t, Key(0));
  const int n = static_cast<int>(t.engine->slabs().PerPage(cls) * 2);
  for (int i = 1; i < n; i++) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);
  ItemRef pinned = t.engine->Get(*t.session, Key(0));  // on the first (oldest) page
  ASSERT_TRUE(pinned);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pinned.Reset();
  });
  ASSERT_TRUE(t.engine->MovePageNow(cls, 0));
  releaser.join();
  EXPECT_EQ(t.engine->slabs().Pages(cls), 1u);
}

TEST(MoverTest, ChunkedItemsWithChunksOnThePageAreEvicted) {
  Settings s = testing::SmallSettings();
  s.item_size_max = 2 * 1024 * 1024;
  TestEngine t(s);
  const std::string huge(700 * 1024, 'h');  // above slab_chunk_max: chunked
  for (int i = 0; i < 4; i++) ASSERT_EQ(t.Set(Key(i), huge), StoreResult::kStored);
  const int lc = t.engine->slabs().largest_class();
  ASSERT_GE(t.engine->slabs().Pages(lc), 2u);
  ASSERT_TRUE(t.engine->MovePageNow(lc, 0));
  int alive = 0;
  for (int i = 0; i < 4; i++) {
    auto v = t.Get(Key(i));
    if (v) {
      EXPECT_EQ(*v, huge);
      alive++;
    }
  }
  EXPECT_LT(alive, 4);
}

TEST(MoverTest, LoweringTheMemoryLimitGivesPagesBack) {
  Settings s = testing::SmallSettings();
  s.max_bytes = 16ull << 20;
  TestEngine t(s);
  const std::string value(1000, 'v');
  for (int i = 0; i < 20000; i++) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);
  ASSERT_GE(t.engine->slabs().pages_in_use(), 15u);
  EXPECT_TRUE(t.engine->SetMemoryLimit(8ull << 20));
  int moves = 0;
  while (t.engine->RunAutomoveOnce()) moves++;
  EXPECT_GT(moves, 0);
  EXPECT_LE(t.engine->slabs().pages_in_use(), 8u);
  // Still serving: new sets work and are readable.
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(t.Set(Cat("new", std::to_string(i)), value), StoreResult::kStored);
  EXPECT_TRUE(t.Get("new99"));
}

TEST(MoverTest, AutomoveMovesPagesFromOldTailsToYoungEvictingClasses) {
  Settings s = testing::SmallSettings();
  s.slab_automove_window = 2;
  TestEngine t(s);
  const std::string small(100, 's');
  const std::string big(5000, 'b');
  for (int i = 0; i < 200000 && t.engine->slabs().pages_in_use() < 8; i++) {
    ASSERT_EQ(t.Set(Key(i), small), StoreResult::kStored);
  }
  t.engine->RunMaintainerOnce();
  t.clock.Advance(100);  // the small items are old now
  int moved = 0;
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < 300; i++) {
      ASSERT_EQ(t.Set(Cat("big", std::to_string(round * 300 + i)), big), StoreResult::kStored);
    }
    t.engine->RunMaintainerOnce();
    if (t.engine->RunAutomoveOnce()) moved++;
    t.clock.Advance(1);
  }
  EXPECT_GT(moved, 0);
  EXPECT_EQ(t.engine->GeneralStats().total_malloced,
            uint64_t{t.engine->slabs().pages_in_use()} * Arena::kPageSize);
}

TEST(MoverTest, AutomoveOffMovesNothing) {
  Settings s = testing::SmallSettings();
  s.slab_automove = 0;
  TestEngine t(s);
  const std::string small(100, 's');
  const std::string big(5000, 'b');
  for (int i = 0; i < 100000; i++) ASSERT_EQ(t.Set(Key(i), small), StoreResult::kStored);
  t.clock.Advance(100);
  for (int i = 0; i < 1000; i++)
    ASSERT_EQ(t.Set(Cat("big", std::to_string(i)), big), StoreResult::kStored);
  EXPECT_FALSE(t.engine->RunAutomoveOnce());
}

TEST(MoverTest, MoverThreadRunsReassignUnderConcurrentLoad) {
  Settings s = testing::SmallSettings();
  s.slab_automove = 0;
  TestEngine t(s);
  t.engine->Start();
  const std::string value(900, 'v');
  ASSERT_EQ(t.Set(Key(0), value), StoreResult::kStored);
  const int cls = ClassOfKey(t, Key(0));
  const int n = static_cast<int>(t.engine->slabs().PerPage(cls) * 4);
  for (int i = 1; i < n; i++) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    Session* s2 = t.engine->NewSession();
    int i = 0;
    while (!stop.load()) {
      ItemRef r = t.engine->Get(*s2, Key(i++ % n));
      if (r) {
        std::string v(r.value_length(), '\0');
        r.CopyValue(v.data());
        EXPECT_EQ(v, value);
      }
    }
  });
  EXPECT_EQ(t.engine->Reassign(cls, 0), ReassignResult::kOk);
  for (int i = 0; i < 5000 && t.engine->slabs().Pages(cls) == 4; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  reader.join();
  t.engine->Stop();
  EXPECT_EQ(t.engine->slabs().Pages(cls), 3u);
}

TEST(CrawlerControlTest, ClassListsAndMetadump) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "1"), StoreResult::kStored);
  ASSERT_EQ(t.Set("b", "2", 0, 1005), StoreResult::kStored);
  ASSERT_EQ(t.Set("gone", "3", 0, 1001), StoreResult::kStored);
  t.clock.Advance(2);
  EXPECT_EQ(t.engine->Crawl("x"), CrawlResult::kBadClass);
  EXPECT_EQ(t.engine->Crawl("1,1000"), CrawlResult::kBadClass);
  EXPECT_EQ(t.engine->Crawl("1,"), CrawlResult::kBadClass);
  EXPECT_EQ(t.engine->Crawl("all"), CrawlResult::kOk);
  std::set<std::string> keys;
  EXPECT_EQ(t.engine->Metadump("all", [&](const ItemInfo& i) { keys.emplace(i.key); }),
            CrawlResult::kOk);
  EXPECT_EQ(keys, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(t.engine->Metadump("0", [](const ItemInfo&) {}), CrawlResult::kBadClass);
  EXPECT_FALSE(t.engine->SetCrawlerEnabled(true));  // already on
  EXPECT_TRUE(t.engine->SetCrawlerEnabled(false));
  EXPECT_TRUE(t.engine->SetCrawlerEnabled(false));
  EXPECT_TRUE(t.engine->SetCrawlerEnabled(true));
}

}  // namespace
}  // namespace memfleet::storage
