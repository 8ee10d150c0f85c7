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

// A value of n bytes that differs from key to key and from byte to byte.
std::string Pattern(int seed, size_t n) {
  std::string v(n, '\0');
  uint32_t x = 2463534242u + static_cast<uint32_t>(seed) * 7919u;
  for (char& c : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return v;
}

uint64_t StatOf(TestEngine& t, std::string_view name) {
  uint64_t out = ~uint64_t{0};
  t.engine->AppendHashAndSlabStats([&](std::string_view n, std::string_view v) {
    if (n == name) out = std::stoull(std::string(v));
  });
  return out;
}

// -I 1m, slab_chunk_max 512k (memcached's defaults): a 600 KB value is one 512 KB chunk of the
// largest class (two per page) plus a tail chunk from a smaller class.
Settings LargeValueSettings() {
  Settings s = testing::SmallSettings();
  s.max_bytes = 32ull << 20;
  s.item_size_max = 1024 * 1024;
  s.slab_chunk_size_max = 512 * 1024;
  return s;
}
constexpr size_t kLarge = 600 * 1024;

TEST(MoverTest, ChunkedItemsWithNoRoomInTheirClassAreEvicted) {
  TestEngine t(LargeValueSettings());
  for (int i = 0; i < 4; i++) ASSERT_EQ(t.Set(Key(i), Pattern(i, kLarge)), StoreResult::kStored);
  const int lc = t.engine->slabs().largest_class();
  ASSERT_EQ(t.engine->slabs().Pages(lc), 2u);  // both full: no free chunk to rescue into
  ASSERT_TRUE(t.engine->MovePageNow(lc, 0));
  int alive = 0;
  for (int i = 0; i < 4; i++) {
    auto v = t.Get(Key(i));
    if (v) {
      EXPECT_EQ(*v, Pattern(i, kLarge)) << i;
      alive++;
    }
  }
  EXPECT_EQ(alive, 2);
  EXPECT_EQ(StatOf(t, "slab_reassign_evictions_nomem"), 2u);
  EXPECT_EQ(StatOf(t, "slab_reassign_chunk_rescues"), 0u);
  EXPECT_EQ(t.engine->GeneralStats().curr_items, 2u);
}

TEST(MoverTest, ChunkedItemsAreRescuedWhenTheirClassHasRoom) {
  TestEngine t(LargeValueSettings());
  // Pages of the largest class, oldest first: {0, 1}, {2, 3}, {4, 5}. Deleting 2 and 3 leaves
  // two free chunks for the chunks of 0 and 1 when the oldest page moves.
  for (int i = 0; i < 6; i++) ASSERT_EQ(t.Set(Key(i), Pattern(i, kLarge)), StoreResult::kStored);
  const int lc = t.engine->slabs().largest_class();
  ASSERT_EQ(t.engine->slabs().Pages(lc), 3u);
  ASSERT_EQ(t.engine->Delete(*t.session, Key(2), 0), DeleteResult::kDeleted);
  ASSERT_EQ(t.engine->Delete(*t.session, Key(3), 0), DeleteResult::kDeleted);
  ASSERT_TRUE(t.engine->MovePageNow(lc, 0));
  EXPECT_EQ(t.engine->slabs().Pages(lc), 2u);
  EXPECT_EQ(t.engine->slabs().global_page_pool(), 1u);
  for (int i : {0, 1, 4, 5}) {
    auto v = t.Get(Key(i));
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_EQ(*v, Pattern(i, kLarge)) << i;  // byte for byte
  }
  EXPECT_EQ(StatOf(t, "slab_reassign_chunk_rescues"), 2u);
  EXPECT_EQ(StatOf(t, "slab_reassign_evictions_nomem"), 0u);
  EXPECT_EQ(t.engine->GeneralStats().curr_items, 4u);
  // The rescued items are whole items: replacing and deleting them frees every chunk.
  ASSERT_EQ(t.Set(Key(0), "small"), StoreResult::kStored);
  ASSERT_EQ(t.engine->Delete(*t.session, Key(1), 0), DeleteResult::kDeleted);
  EXPECT_EQ(t.engine->slabs().UsedChunks(lc), 2u);
}

TEST(MoverTest, ChunkedHeadsOnTheMovedPageAreRescued) {
  TestEngine t(LargeValueSettings());
  // The heads of CHUNKED items (header + key + chunk id) share a small class with small items:
  // fill that class's first page around them, free room on its later pages, then move the
  // first page.
  for (int i = 0; i < 3; i++) ASSERT_EQ(t.Set(Key(i), Pattern(i, kLarge)), StoreResult::kStored);
  const int head_cls = ClassOfKey(t, Key(0));
  const uint32_t per = t.engine->slabs().PerPage(head_cls);
  // Small items in the heads' class: the shortest value that lands there.
  std::string small;
  while (true) {
    ASSERT_EQ(t.Set("probe:0", small), StoreResult::kStored);
    if (ClassOfKey(t, "probe:0") == head_cls) break;
    ASSERT_LT(small.size(), 64u);
    small.push_back('s');
  }
  ASSERT_EQ(t.engine->Delete(*t.session, "probe:0", 0), DeleteResult::kDeleted);
  const int n = static_cast<int>(per * 3);
  for (int i = 0; i < n; i++) {
    ASSERT_EQ(t.Set(Cat("probe:", std::to_string(i)), small), StoreResult::kStored);
  }
  ASSERT_GE(t.engine->slabs().Pages(head_cls), 3u);
  for (int i = n / 2; i < n; i++) {
    ASSERT_EQ(t.engine->Delete(*t.session, Cat("probe:", std::to_string(i)), 0),
              DeleteResult::kDeleted);
  }
  ASSERT_TRUE(t.engine->MovePageNow(head_cls, 0));
  for (int i = 0; i < 3; i++) {
    auto v = t.Get(Key(i));
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_EQ(*v, Pattern(i, kLarge)) << i;
  }
  EXPECT_GE(StatOf(t, "slab_reassign_rescues"), 3u);
  EXPECT_EQ(StatOf(t, "slab_reassign_evictions_nomem"), 0u);
  // The rescued heads still lead to all their chunks: deleting frees them.
  const int lc = t.engine->slabs().largest_class();
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(t.engine->Delete(*t.session, Key(i), 0), DeleteResult::kDeleted);
  }
  EXPECT_EQ(t.engine->slabs().UsedChunks(lc), 0u);
}

TEST(MoverTest, ChunkedItemsSurviveAMoveUnderConcurrentReaders) {
  Settings s = LargeValueSettings();
  s.slab_automove = 0;
  TestEngine t(s);
  constexpr int kItems = 6;
  for (int i = 0; i < kItems; i++) {
    ASSERT_EQ(t.Set(Key(i), Pattern(i, kLarge)), StoreResult::kStored);
  }
  // Free two chunks on the newest page ({4, 5}); the oldest page ({0, 1}) moves.
  ASSERT_EQ(t.engine->Delete(*t.session, Key(4), 0), DeleteResult::kDeleted);
  ASSERT_EQ(t.engine->Delete(*t.session, Key(5), 0), DeleteResult::kDeleted);
  const int lc = t.engine->slabs().largest_class();
  t.engine->Start();
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      Session* s2 = t.engine->NewSession();
      std::string v;
      for (int i = r; !stop.load(); i++) {
        const int k = i % 4;
        {
          ItemRef ref = t.engine->Get(*s2, Key(k));
          if (!ref) continue;
          v.assign(ref.value_length(), '\0');
          ref.CopyValue(v.data());
        }
        if (v != Pattern(k, kLarge)) bad++;
        reads++;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }
  while (reads.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(t.engine->Reassign(lc, 0), ReassignResult::kOk);
  for (int i = 0; i < 10000 && t.engine->slabs().Pages(lc) == 3; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const int reads_at_move = reads.load();
  while (reads.load() < reads_at_move + 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (auto& th : readers) th.join();
  t.engine->Stop();
  EXPECT_EQ(t.engine->slabs().Pages(lc), 2u);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(StatOf(t, "slab_reassign_chunk_rescues"), 2u);
  for (int i = 0; i < 4; i++) {
    auto v = t.Get(Key(i));
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_EQ(*v, Pattern(i, kLarge)) << i;
  }
}

TEST(MoverTest, TheReserveServesAClassWhoseChunksAreAllInFlight) {
  Settings s = LargeValueSettings();
  s.max_bytes = 16ull << 20;
  TestEngine t(s);
  // Memory full of small items: the reserve (two pages at this limit) is set aside from them.
  const std::string small(100, 's');
  for (int i = 0; i < 200000; i++) ASSERT_EQ(t.Set(Key(i), small), StoreResult::kStored);
  ASSERT_GT(t.engine->GeneralStats().evictions, 0u);
  int moves = 0;
  while (t.engine->RunAutomoveOnce() && moves < 10) moves++;
  ASSERT_EQ(t.engine->slabs().reserve_pages(), 2u);
  // Uploads in flight hold both 512 KB chunks of the largest class's only page: nothing there
  // can be evicted, yet a third upload gets a chunk (from a reserve page).
  std::vector<ItemRef> in_flight(4);
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(t.engine->Allocate(*t.session, Cat("up", std::to_string(i)), 0, 0, 500 * 1024,
                                 &in_flight[i]),
              AllocResult::kOk)
        << i;
  }
  const int lc = t.engine->slabs().largest_class();
  EXPECT_EQ(t.engine->slabs().Pages(lc), 2u);
  EXPECT_EQ(t.engine->slabs().reserve_pages(), 1u);
  // The mover refills the reserve from the small items' class.
  ASSERT_TRUE(t.engine->RunAutomoveOnce());
  EXPECT_EQ(t.engine->slabs().reserve_pages(), 2u);
  EXPECT_EQ(t.engine->slabs().global_page_pool(), 2u);
  // Memory stays within the limit: the reserve counts as used.
  EXPECT_LE(t.engine->slabs().pages_in_use() + t.engine->slabs().reserve_pages(), 16u + 2u);
}

TEST(MoverTest, WithoutAutomoveLargeValuesFallBackToChunksOfOtherClasses) {
  Settings s = LargeValueSettings();
  s.max_bytes = 16ull << 20;
  s.slab_automove = 0;
  TestEngine t(s);
  const std::string small(100, 's');
  for (int i = 0; i < 200000; i++) ASSERT_EQ(t.Set(Key(i), small), StoreResult::kStored);
  EXPECT_FALSE(t.engine->RunAutomoveOnce());
  EXPECT_EQ(t.engine->slabs().reserve_pages(), 0u);
  // Two uploads in flight hold both chunks of the largest class's only page.
  std::vector<ItemRef> in_flight(2);
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(t.engine->Allocate(*t.session, Cat("up", std::to_string(i)), 0, 0, 500 * 1024,
                                 &in_flight[i]),
              AllocResult::kOk);
  }
  const int lc = t.engine->slabs().largest_class();
  ASSERT_EQ(t.engine->slabs().Pages(lc), 1u);
  // A 600 KB value (chunked) and a 450 KB one (normally one chunk of the largest class) are
  // stored anyway, in chunks of other large classes, and read back whole.
  const uint64_t used_before = t.engine->slabs().UsedChunks(lc);
  ASSERT_EQ(t.Set("chunked", Pattern(1, kLarge)), StoreResult::kStored);
  EXPECT_TRUE(t.Get("chunked") == Pattern(1, kLarge));
  ASSERT_EQ(t.Set("plain", Pattern(2, 450 * 1024)), StoreResult::kStored);
  EXPECT_TRUE(t.Get("plain") == Pattern(2, 450 * 1024));
  EXPECT_EQ(t.engine->slabs().Pages(lc), 1u);
  EXPECT_EQ(t.engine->slabs().UsedChunks(lc), used_before);
  // Small values never fall back: they evict in their own class.
  ASSERT_EQ(t.Set("small", small), StoreResult::kStored);
  // Deleting frees every chunk, wherever it came from.
  in_flight.clear();
  t.engine->Unlink(*t.session, "chunked");
  t.engine->Unlink(*t.session, "plain");
  for (int c = lc - 8; c <= lc; c++) EXPECT_EQ(t.engine->slabs().UsedChunks(c), 0u) << c;
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

// slab_automove=2 (issue 14, "workload shift"): every eviction asks for a page at once, as
// memcached's aggressive mode does, instead of waiting for the one-second sample. A class that
// no other class can give a page to must not hold up the requests of another.
TEST(MoverTest, Automove2GivesAnEvictingClassAPageAtOnce) {
  Settings s = testing::SmallSettings();
  s.slab_automove = 2;
  TestEngine t(s);
  const std::string small(100, 's');
  int n = 0;
  for (; n < 200000 && t.engine->slabs().pages_in_use() < 8; n++) {
    ASSERT_EQ(t.Set(Key(n), small), StoreResult::kStored);
  }
  const int small_cls = ClassOfKey(t, Key(n - 1));
  const uint64_t evicted_before = t.engine->ItemStatsFor(small_cls).evicted;
  for (int i = 0; i < 20000; i++, n++) ASSERT_EQ(t.Set(Key(n), small), StoreResult::kStored);
  ASSERT_GT(t.engine->ItemStatsFor(small_cls).evicted, evicted_before);
  // Only the small class evicts and nobody can give it a page (the reserve may be refilled).
  for (int i = 0; i < 5 && t.engine->RunAutomoveOnce(); i++) {
  }
  EXPECT_FALSE(t.engine->RunAutomoveOnce());
  t.engine->RunMaintainerOnce();
  t.clock.Advance(100);  // the small items are old now
  const std::string big(5000, 'b');
  int big_cls = 0;
  int stored = 0;
  for (int round = 0; round < 3; round++) {  // the small class has 5 pages and keeps 2
    for (int i = 0; i < 300; i++, stored++) {
      ASSERT_EQ(t.Set(Cat("big", std::to_string(stored)), big), StoreResult::kStored);
    }
    if (big_cls == 0) big_cls = ClassOfKey(t, Cat("big", std::to_string(stored - 1)));
    ASSERT_GT(t.engine->ItemStatsFor(big_cls).evicted, 0u);
    const uint64_t pages = t.engine->slabs().Pages(big_cls);
    // No clock tick needed: the evictions asked already.
    ASSERT_TRUE(t.engine->RunAutomoveOnce()) << "round " << round;
    EXPECT_EQ(t.engine->slabs().Pages(big_cls), pages + 1) << "round " << round;
  }
  EXPECT_EQ(t.engine->slabs().Pages(small_cls), 2u);
  // The small class's minimum is reached: the big class's next request is not served.
  for (int i = 0; i < 300; i++, stored++) {
    ASSERT_EQ(t.Set(Cat("big", std::to_string(stored)), big), StoreResult::kStored);
  }
  EXPECT_FALSE(t.engine->RunAutomoveOnce());
}

// The same shift with the mover thread running: pages move while two writers store big items
// (each eviction asking) and a reader checks what it gets; bounded, never timed.
TEST(MoverTest, Automove2MoverThreadFollowsEvictionsUnderConcurrentLoad) {
  Settings s = testing::SmallSettings();
  s.slab_automove = 2;
  TestEngine t(s);
  const std::string small(100, 's');
  for (int i = 0; i < 200000 && t.engine->slabs().pages_in_use() < 8; i++) {
    ASSERT_EQ(t.Set(Key(i), small), StoreResult::kStored);
  }
  t.engine->Start();
  auto big = [](int i) { return std::string(5000, static_cast<char>('a' + i % 26)); };
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  auto writer = [&](int first) {
    Session* ws = t.engine->NewSession();
    for (int i = first; i < first + 3000 && !stop.load(); i++) {
      ItemRef ref;
      const std::string key = Cat("big", std::to_string(i));
      const std::string v = big(i);
      if (t.engine->Allocate(*ws, key, 0, 0, static_cast<uint32_t>(v.size()), &ref) !=
          AllocResult::kOk) {
        continue;
      }
      ValueWriter w(ref);
      w.Write(v.data(), v.size());
      t.engine->Store(*ws, StoreOp::kSet, ref, 0, nullptr);
      written.store(i, std::memory_order_relaxed);
    }
  };
  std::thread reader([&] {
    Session* rs = t.engine->NewSession();
    while (!stop.load()) {
      const int i = written.load(std::memory_order_relaxed);
      ItemRef r = t.engine->Get(*rs, Cat("big", std::to_string(i)));
      if (r) {
        std::string v(r.value_length(), '\0');
        r.CopyValue(v.data());
        EXPECT_EQ(v, big(i));
      }
    }
  });
  std::thread w1(writer, 0), w2(writer, 100000);
  w1.join();
  w2.join();
  stop = true;
  reader.join();
  // The last evictions' request is pending if the mover has not served it yet.
  ASSERT_EQ(t.Set("big-last", big(0)), StoreResult::kStored);
  const int big_cls = ClassOfKey(t, "big-last");
  for (int i = 0; i < 10000 && t.engine->slabs().Pages(big_cls) < 2; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  t.engine->Stop();
  EXPECT_GE(t.engine->slabs().Pages(big_cls), 2u);
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

// Every linked item's chunk carries the arena's head bit, and nothing else does: the mover finds
// the items of a page from these bits alone.
void ExpectHeadBitsMatch(TestEngine& t, int n, const std::string& value) {
  std::set<ItemId> heads;
  for (int i = 0; i < n; i++) {
    ItemRef r = t.engine->Get(*t.session, Key(i));
    if (!r) continue;
    EXPECT_EQ(TestEngine::Value(r), value) << i;
    const ItemId id = t.engine->arena().IdOf(r.raw());
    EXPECT_TRUE(t.engine->arena().IsHead(id)) << i;
    heads.insert(id);
  }
  const int cls = ClassOfKey(t, Key(0));
  const Arena& arena = t.engine->arena();
  for (uint32_t page = 1; page <= arena.max_pages(); page++) {
    if (arena.PageClass(page) != cls || arena.PageChunkSize(page) == 0) continue;
    for (uint32_t slot = 0; slot < t.engine->slabs().PerPage(cls); slot++) {
      const ItemId id = Arena::MakeId(page, slot);
      EXPECT_EQ(arena.IsHead(id), heads.count(id) == 1) << page << "/" << slot;
    }
  }
}

TEST(MoverTest, HeadBitsFollowLinksDeletesAndRescues) {
  TestEngine t;
  const std::string value(900, 'v');
  ASSERT_EQ(t.Set(Key(0), value), StoreResult::kStored);
  const int cls = ClassOfKey(t, Key(0));
  const int n = static_cast<int>(t.engine->slabs().PerPage(cls) * 3);
  for (int i = 1; i < n; i++) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);
  for (int i = 0; i < n; i += 2) {
    ASSERT_EQ(t.engine->Delete(*t.session, Key(i), 0), DeleteResult::kDeleted);
  }
  ExpectHeadBitsMatch(t, n, value);
  ASSERT_TRUE(t.engine->MovePageNow(cls, 0));  // rescues: the bits move with the items
  ExpectHeadBitsMatch(t, n, value);
  for (int i = 1; i < n; i += 4) ASSERT_EQ(t.Set(Key(i), value), StoreResult::kStored);  // replace
  ExpectHeadBitsMatch(t, n, value);
}

// Uploads write their values while the mover empties pages of the class they write into: the
// mover reads only linked heads (the arena's head bits), never a chunk an upload is writing (run
// under TSan by `make test`). Every stored item survives whole.
void MovePagesDuringUploads(const Settings& s, size_t value_size, int keys, bool largest) {
  TestEngine t(s);
  for (int i = 0; i < keys; i++)
    ASSERT_EQ(t.Set(Key(i), Pattern(i, value_size)), StoreResult::kStored);
  const int cls = largest ? t.engine->slabs().largest_class() : ClassOfKey(t, Key(0));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Session* s2 = t.engine->NewSession();
    for (int i = 0; !stop.load(); i = (i + 1) % keys) {
      const std::string value = Pattern(i, value_size);
      ItemRef ref;
      if (t.engine->Allocate(*s2, Key(i), 0, 0, static_cast<uint32_t>(value.size()), &ref) !=
          AllocResult::kOk) {
        continue;
      }
      ValueWriter w(ref);
      const size_t piece = value.size() / 9 + 1;
      for (size_t off = 0; off < value.size(); off += piece) {
        w.Write(value.data() + off, std::min(piece, value.size() - off));
      }
      t.engine->Store(*s2, StoreOp::kSet, ref, 0, nullptr);
    }
  });
  for (int round = 0; round < 20; round++) {
    t.engine->MovePageNow(cls, 0);
    t.engine->Reassign(0, cls);  // and take a page back, so that the class keeps its room
  }
  stop = true;
  writer.join();
  for (int i = 0; i < keys; i++) {
    auto v = t.Get(Key(i));
    if (v) {
      EXPECT_EQ(*v, Pattern(i, value_size)) << i;
    }
  }
}

TEST(MoverTest, MovingPagesWhileUploadsWriteIntoThem) {
  Settings s = testing::SmallSettings();
  s.max_bytes = 16ull << 20;
  s.slab_automove = 0;
  TestEngine probe(s);
  ASSERT_EQ(probe.Set(Key(0), std::string(900, 'v')), StoreResult::kStored);
  const int per = static_cast<int>(probe.engine->slabs().PerPage(ClassOfKey(probe, Key(0))));
  MovePagesDuringUploads(s, 900, per * 4, false);
}

TEST(MoverTest, MovingPagesWhileChunkedUploadsWriteIntoThem) {
  // A CHUNKED item's value chunks hold raw value bytes where an item header would be.
  Settings s = LargeValueSettings();
  s.slab_automove = 0;
  MovePagesDuringUploads(s, kLarge, 8, true);
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
