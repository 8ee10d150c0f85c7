#include "storage/engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "storage/engine_test_util.h"

namespace memfleet::storage {
namespace {

using testing::Cat;
using testing::TestEngine;

TEST(EngineTest, SetGetOverwriteDelete) {
  TestEngine t;
  EXPECT_EQ(t.Get("a"), std::nullopt);
  ASSERT_EQ(t.Set("a", "hello", 42), StoreResult::kStored);
  ItemRef r = t.engine->Get(*t.session, "a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.key(), "a");
  EXPECT_EQ(r.client_flags(), 42u);
  EXPECT_EQ(r.value_length(), 5u);
  EXPECT_EQ(std::string(r.value().data(), r.value().size()), "hello");
  EXPECT_FALSE(r.chunked());
  EXPECT_NE(r.cas(), 0u);
  EXPECT_EQ(r.exptime(), 0u);
  ASSERT_EQ(t.Set("a", "world"), StoreResult::kStored);
  EXPECT_EQ(t.Get("a"), "world");
  EXPECT_EQ(t.engine->Delete(*t.session, "a", 0), DeleteResult::kDeleted);
  EXPECT_EQ(t.engine->Delete(*t.session, "a", 0), DeleteResult::kNotFound);
  EXPECT_EQ(t.Get("a"), std::nullopt);
  EXPECT_EQ(t.Set("empty", ""), StoreResult::kStored);
  EXPECT_EQ(t.Get("empty"), "");
}

TEST(EngineTest, DeleteCanHandBackTheRemovedItem) {
  TestEngine t;
  ASSERT_EQ(t.Set("gone", "value", 0), StoreResult::kStored);
  ItemRef removed;
  EXPECT_EQ(t.engine->Delete(*t.session, "gone", 0, &removed), DeleteResult::kDeleted);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed.key(), "gone");
  EXPECT_EQ(TestEngine::Value(removed), "value");  // readable while pinned, though unlinked
  EXPECT_GT(removed.slab_class(), 0);
  EXPECT_EQ(t.Get("gone"), std::nullopt);
  ItemRef none;
  EXPECT_EQ(t.engine->Delete(*t.session, "gone", 0, &none), DeleteResult::kNotFound);
  EXPECT_FALSE(none);
  MetaDeleteRequest md;
  ASSERT_EQ(t.Set("inv", "abc", 0), StoreResult::kStored);
  md.key = "inv";
  md.invalidate = true;
  ItemRef stale;
  md.removed = &stale;
  EXPECT_EQ(t.engine->MetaDelete(*t.session, md), DeleteResult::kDeleted);
  ASSERT_TRUE(stale);  // invalidated, still linked: the current (stale) item
  EXPECT_EQ(TestEngine::Value(stale), "abc");
}

TEST(EngineTest, AddReplaceAppendPrepend) {
  TestEngine t;
  EXPECT_EQ(t.Store(StoreOp::kReplace, "k", "x"), StoreResult::kNotStored);
  EXPECT_EQ(t.Store(StoreOp::kAppend, "k", "x"), StoreResult::kNotStored);
  EXPECT_EQ(t.Store(StoreOp::kPrepend, "k", "x"), StoreResult::kNotStored);
  EXPECT_EQ(t.Store(StoreOp::kAdd, "k", "mid", 7, 0), StoreResult::kStored);
  EXPECT_EQ(t.Store(StoreOp::kAdd, "k", "other"), StoreResult::kNotStored);
  EXPECT_EQ(t.Store(StoreOp::kAppend, "k", "-end", 99), StoreResult::kStored);
  EXPECT_EQ(t.Store(StoreOp::kPrepend, "k", "start-"), StoreResult::kStored);
  ItemRef r = t.engine->Get(*t.session, "k");
  ASSERT_TRUE(r);
  EXPECT_EQ(TestEngine::Value(r), "start-mid-end");
  EXPECT_EQ(r.client_flags(), 7u);  // append keeps the old item's flags
  EXPECT_EQ(t.Store(StoreOp::kReplace, "k", "new"), StoreResult::kStored);
  EXPECT_EQ(t.Get("k"), "new");
}

TEST(EngineTest, AppendBeyondItemSizeIsNotStored) {
  TestEngine t;
  std::string big(1024 * 1024 - 200, 'x');
  ASSERT_EQ(t.Set("big", big), StoreResult::kStored);
  EXPECT_EQ(t.Store(StoreOp::kAppend, "big", std::string(1000, 'y')), StoreResult::kNotStored);
  EXPECT_EQ(t.Get("big")->size(), big.size());
}

TEST(EngineTest, CasSemantics) {
  TestEngine t;
  uint64_t cas = 0;
  EXPECT_EQ(t.Store(StoreOp::kCas, "c", "v", 0, 0, 5), StoreResult::kNotFound);
  ASSERT_EQ(t.Store(StoreOp::kSet, "c", "v1", 0, 0, 0, &cas), StoreResult::kStored);
  ASSERT_NE(cas, 0u);
  EXPECT_EQ(t.Store(StoreOp::kCas, "c", "v2", 0, 0, cas + 1000), StoreResult::kExists);
  EXPECT_EQ(t.Store(StoreOp::kCas, "c", "v2", 0, 0, 0), StoreResult::kExists);
  uint64_t cas2 = 0;
  EXPECT_EQ(t.Store(StoreOp::kCas, "c", "v2", 0, 0, cas, &cas2), StoreResult::kStored);
  EXPECT_NE(cas2, cas);
  EXPECT_EQ(t.Get("c"), "v2");
  EXPECT_EQ(t.Store(StoreOp::kCas, "c", "v3", 0, 0, cas), StoreResult::kExists);
  EXPECT_EQ(t.engine->Delete(*t.session, "c", cas), DeleteResult::kExists);
  EXPECT_EQ(t.engine->Delete(*t.session, "c", cas2), DeleteResult::kDeleted);
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.cas_hits, 1u);
  EXPECT_EQ(g.cas_badval, 3u);
  EXPECT_EQ(g.cas_misses, 1u);
}

TEST(EngineTest, CasDisabledGivesZero) {
  Settings s = testing::SmallSettings();
  s.use_cas = false;
  TestEngine t(s);
  uint64_t cas = 1;
  ASSERT_EQ(t.Store(StoreOp::kSet, "a", "1", 0, 0, 0, &cas), StoreResult::kStored);
  EXPECT_EQ(cas, 0u);
  EXPECT_EQ(t.engine->Get(*t.session, "a").cas(), 0u);
  DeltaReply d = t.engine->Delta(*t.session, {"a", true, 5, 0});
  EXPECT_EQ(d.result, DeltaResult::kOk);
  EXPECT_EQ(d.value, 6u);
}

DeltaReply Incr(TestEngine& t, std::string_view key, uint64_t by, bool incr = true) {
  return t.engine->Delta(*t.session, {key, incr, by, 0});
}

TEST(EngineTest, DeltaInPlacePaddingAsMemcached) {
  TestEngine t;
  ASSERT_EQ(t.Set("n", "100"), StoreResult::kStored);
  uint64_t cas0 = t.engine->Get(*t.session, "n").cas();
  DeltaReply d = Incr(t, "n", 1, false);
  ASSERT_EQ(d.result, DeltaResult::kOk);
  EXPECT_EQ(d.value, 99u);
  EXPECT_EQ(t.Get("n"), "99 ");  // memcached rewrites in place, space padded
  EXPECT_NE(d.cas, cas0);
  EXPECT_EQ(t.engine->Get(*t.session, "n").cas(), d.cas);
  d = Incr(t, "n", 5);
  EXPECT_EQ(d.value, 104u);
  EXPECT_EQ(t.Get("n"), "104");
  d = Incr(t, "n", 1000);  // longer: a new item
  EXPECT_EQ(d.value, 1104u);
  EXPECT_EQ(t.Get("n"), "1104");
}

TEST(EngineTest, DeltaWrapsFloorsAndParsesLikeSafeStrtoull) {
  TestEngine t;
  ASSERT_EQ(t.Set("m", "18446744073709551615"), StoreResult::kStored);
  DeltaReply d = Incr(t, "m", 2);
  EXPECT_EQ(d.value, 1u);
  EXPECT_EQ(t.Get("m"), "1                   ");
  d = Incr(t, "m", 5, false);
  EXPECT_EQ(d.value, 0u);
  struct Case {
    const char* value;
    bool ok;
    uint64_t result;  // after incr 1
  };
  for (const Case& c : std::vector<Case>{{" 12", true, 13},
                                         {"-0", true, 1},
                                         {"+7 x", true, 8},
                                         {"-1", false, 0},
                                         {"12a", false, 0},
                                         {"+", false, 0},
                                         {"abc", false, 0},
                                         {"", false, 0},
                                         {"18446744073709551616", false, 0}}) {
    ASSERT_EQ(t.Set("z", c.value), StoreResult::kStored);
    d = Incr(t, "z", 1);
    if (c.ok) {
      EXPECT_EQ(d.result, DeltaResult::kOk) << c.value;
      EXPECT_EQ(d.value, c.result) << c.value;
    } else {
      EXPECT_EQ(d.result, DeltaResult::kNonNumeric) << c.value;
    }
  }
  EXPECT_EQ(Incr(t, "missing", 1).result, DeltaResult::kNotFound);
  // cas check
  ASSERT_EQ(t.Set("q", "5"), StoreResult::kStored);
  EXPECT_EQ(t.engine->Delta(*t.session, {"q", true, 1, 12345}).result, DeltaResult::kExists);
  uint64_t cas = t.engine->Get(*t.session, "q").cas();
  EXPECT_EQ(t.engine->Delta(*t.session, {"q", true, 1, cas}).value, 6u);
}

TEST(EngineTest, DeltaOnPinnedItemMakesNewItem) {
  TestEngine t;
  ASSERT_EQ(t.Set("p", "100", 3, 0), StoreResult::kStored);
  ItemRef pinned = t.engine->Get(*t.session, "p");
  DeltaReply d = Incr(t, "p", 1, false);
  EXPECT_EQ(d.value, 99u);
  EXPECT_EQ(TestEngine::Value(pinned), "100");  // the reader's copy is untouched
  ItemRef now = t.engine->Get(*t.session, "p");
  EXPECT_EQ(TestEngine::Value(now), "99");
  EXPECT_EQ(now.client_flags(), 3u);
}

TEST(EngineTest, ItemRefSurvivesDeleteAndOverwrite) {
  TestEngine t;
  ASSERT_EQ(t.Set("r", "first"), StoreResult::kStored);
  ItemRef a = t.engine->Get(*t.session, "r");
  ASSERT_EQ(t.Set("r", "second"), StoreResult::kStored);
  ItemRef b = t.engine->Get(*t.session, "r");
  EXPECT_EQ(t.engine->Delete(*t.session, "r", 0), DeleteResult::kDeleted);
  // Reuse memory heavily; pinned items must not be handed out again.
  for (int i = 0; i < 2000; i++)
    ASSERT_EQ(t.Set(Cat("x", std::to_string(i)), "first"), StoreResult::kStored);
  EXPECT_EQ(TestEngine::Value(a), "first");
  EXPECT_EQ(a.key(), "r");
  EXPECT_EQ(TestEngine::Value(b), "second");
  EXPECT_EQ(t.engine->refcount(a), 1u);  // unlinked, our pin only
  ItemRef moved = std::move(a);
  EXPECT_FALSE(a);  // NOLINT: testing moved-from state
  EXPECT_EQ(TestEngine::Value(moved), "first");
  const int cls = t.engine->SlabClassOf(moved);
  const uint64_t used = t.engine->slabs().UsedChunks(cls);
  moved.Reset();
  EXPECT_EQ(t.engine->slabs().UsedChunks(cls), used - 1);  // freed when the last pin dropped
}

TEST(EngineTest, ChunkedItemsRoundTrip) {
  Settings s = testing::SmallSettings();
  s.max_bytes = 32ull << 20;
  s.item_size_max = 4 * 1024 * 1024;
  s.slab_chunk_size_max = 64 * 1024;
  TestEngine t(s);
  std::string big;
  for (int i = 0; i < 300000; i++) big.push_back(static_cast<char>('a' + i % 26));
  ASSERT_EQ(t.Set("big", big, 9), StoreResult::kStored);
  ItemRef r = t.engine->Get(*t.session, "big");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.chunked());
  EXPECT_EQ(r.value_length(), big.size());
  int pieces = 0;
  r.ForEachSegment([&](std::span<const char>) { pieces++; });
  EXPECT_GT(pieces, 4);
  EXPECT_EQ(TestEngine::Value(r), big);
  EXPECT_EQ(r.client_flags(), 9u);
  // Append to a chunked item, then prepend.
  ASSERT_EQ(t.Store(StoreOp::kAppend, "big", "TAIL"), StoreResult::kStored);
  ASSERT_EQ(t.Store(StoreOp::kPrepend, "big", "HEAD"), StoreResult::kStored);
  EXPECT_EQ(t.Get("big"), Cat("HEAD", big) + "TAIL");
  // incr on a chunked value is non-numeric, as memcached.
  EXPECT_EQ(Incr(t, "big", 1).result, DeltaResult::kNonNumeric);
  // Too large for -I.
  ItemRef out;
  EXPECT_EQ(t.engine->Allocate(*t.session, "huge", 0, 0, 5 * 1024 * 1024, &out),
            AllocResult::kTooLarge);
  EXPECT_FALSE(t.engine->ItemSizeOk(3, 5 * 1024 * 1024));
  EXPECT_TRUE(t.engine->ItemSizeOk(3, 4 * 1024 * 1024 - 100));
  EXPECT_FALSE(t.engine->ItemSizeOk(3, 4 * 1024 * 1024 - 61));  // 48+8+(k+1)+(v+2) rule
  EXPECT_TRUE(t.engine->ItemSizeOk(3, 4 * 1024 * 1024 - 62));
}

TEST(EngineTest, ItemSizeLimitMatchesMemcachedBoundary) {
  TestEngine t;  // -I 1m, CAS on: 48 + 8 + (key+1) + (value+2) <= 1048576
  const uint32_t max_for_key1 = 1048576 - 48 - 8 - 2 - 2;
  EXPECT_TRUE(t.engine->ItemSizeOk(1, max_for_key1));
  EXPECT_FALSE(t.engine->ItemSizeOk(1, max_for_key1 + 1));
  ItemRef r;
  EXPECT_EQ(t.engine->Allocate(*t.session, "k", 0, 0, max_for_key1, &r), AllocResult::kOk);
  EXPECT_EQ(t.engine->Allocate(*t.session, "k", 1, 0, max_for_key1, &r), AllocResult::kTooLarge);
}

TEST(EngineTest, SmallItemFootprint) {
  // The headline layout: 32-byte key + 100-byte value, no TTL, flags 0 -> a 164-byte chunk
  // (memcached: 192). With a TTL and flags it grows by 8 bytes.
  TestEngine t;
  const std::string key(32, 'k');
  ASSERT_EQ(t.Set(key, std::string(100, 'v')), StoreResult::kStored);
  ItemRef r = t.engine->Get(*t.session, key);
  EXPECT_EQ(t.engine->slabs().ChunkSize(t.engine->SlabClassOf(r)), 164u);
  const std::string key2(32, 'x');
  ASSERT_EQ(t.Set(key2, std::string(100, 'v'), 1, t.clock.Now() + 100), StoreResult::kStored);
  ItemRef r2 = t.engine->Get(*t.session, key2);
  EXPECT_EQ(t.engine->slabs().ChunkSize(t.engine->SlabClassOf(r2)), 172u);
  EXPECT_EQ(t.engine->GeneralStats().bytes, 164u + 172u);
}

TEST(EngineTest, UnstoredAllocationIsFreed) {
  TestEngine t;
  ItemRef r;
  ASSERT_EQ(t.engine->Allocate(*t.session, "k", 0, 0, 10, &r), AllocResult::kOk);
  const int cls = t.engine->SlabClassOf(r);
  EXPECT_EQ(t.engine->slabs().UsedChunks(cls), 1u);
  r.Reset();
  EXPECT_EQ(t.engine->slabs().UsedChunks(cls), 0u);
}

TEST(EngineTest, LazyExpiryOnAccess) {
  TestEngine t;
  ASSERT_EQ(t.Set("e", "v", 0, t.clock.Now() + 10), StoreResult::kStored);
  ASSERT_EQ(t.Set("forever", "v"), StoreResult::kStored);
  t.clock.Advance(9);
  EXPECT_EQ(t.Get("e"), "v");
  t.clock.Advance(1);
  EXPECT_EQ(t.Get("e"), std::nullopt);
  EXPECT_EQ(t.Get("forever"), "v");
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.get_expired, 1u);
  EXPECT_EQ(g.curr_items, 1u);
  // Already-expired exptime (negative in the protocol -> 1): stored but never visible.
  ASSERT_EQ(t.Set("past", "v", 0, 1), StoreResult::kStored);
  EXPECT_EQ(t.Get("past"), std::nullopt);
}

TEST(EngineTest, TouchAndGetAndTouch) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "v", 5), StoreResult::kStored);  // no exptime slot
  uint64_t cas = t.engine->Get(*t.session, "a").cas();
  ItemRef old = t.engine->Get(*t.session, "a");
  EXPECT_TRUE(t.engine->Touch(*t.session, "a", t.clock.Now() + 5));
  EXPECT_FALSE(t.engine->Touch(*t.session, "nope", 10));
  ItemRef r = t.engine->GetAndTouch(*t.session, "a", t.clock.Now() + 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.exptime(), t.clock.Now() + 5);
  EXPECT_EQ(r.cas(), cas);  // touch keeps the cas
  EXPECT_EQ(r.client_flags(), 5u);
  EXPECT_EQ(TestEngine::Value(old), "v");
  t.clock.Advance(6);
  EXPECT_EQ(t.Get("a"), std::nullopt);
  // Touch back to "never".
  ASSERT_EQ(t.Set("b", "v", 0, t.clock.Now() + 2), StoreResult::kStored);
  EXPECT_TRUE(t.engine->Touch(*t.session, "b", 0));
  t.clock.Advance(100);
  EXPECT_EQ(t.Get("b"), "v");
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.touch_hits, 3u);
  EXPECT_EQ(g.touch_misses, 1u);
}

TEST(EngineTest, FlushAllImmediate) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "1"), StoreResult::kStored);
  ASSERT_EQ(t.Set("b", "2"), StoreResult::kStored);
  t.engine->FlushAll(t.clock.Now());
  EXPECT_EQ(t.Get("a"), std::nullopt);
  // Items stored in the same second after the flush are valid.
  ASSERT_EQ(t.Set("c", "3"), StoreResult::kStored);
  EXPECT_EQ(t.Get("c"), "3");
  EXPECT_EQ(t.Get("b"), std::nullopt);
  t.clock.Advance(5);
  EXPECT_EQ(t.Get("c"), "3");
  EXPECT_EQ(t.engine->GeneralStats().get_flushed, 2u);
}

TEST(EngineTest, FlushAllDelayed) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "1"), StoreResult::kStored);
  t.engine->FlushAll(t.clock.Now() + 10);
  t.clock.Advance(5);
  EXPECT_EQ(t.Get("a"), "1");
  ASSERT_EQ(t.Set("b", "2"), StoreResult::kStored);
  t.clock.Advance(5);
  EXPECT_EQ(t.Get("a"), std::nullopt);
  EXPECT_EQ(t.Get("b"), std::nullopt);  // stored before the flush time
  t.clock.Advance(1);
  ASSERT_EQ(t.Set("c", "3"), StoreResult::kStored);
  EXPECT_EQ(t.Get("c"), "3");
}

TEST(EngineTest, CrawlerReclaimsExpiredAndFlushed) {
  TestEngine t;
  for (int i = 0; i < 50; i++) {
    ASSERT_EQ(t.Set(Cat("e", std::to_string(i)), "v", 0, t.clock.Now() + 5), StoreResult::kStored);
    ASSERT_EQ(t.Set(Cat("k", std::to_string(i)), "v"), StoreResult::kStored);
  }
  EXPECT_EQ(t.engine->RunCrawlerOnce(), 0u);
  t.clock.Advance(10);
  EXPECT_EQ(t.engine->RunCrawlerOnce(), 50u);
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.curr_items, 50u);
  EXPECT_EQ(g.crawler_reclaimed, 50u);
  EXPECT_EQ(g.expired_unfetched, 50u);
  EXPECT_EQ(g.get_expired, 0u);  // nobody had to find them
  t.engine->FlushAll(t.clock.Now());
  EXPECT_EQ(t.engine->RunCrawlerOnce(), 50u);
  EXPECT_EQ(t.engine->GeneralStats().curr_items, 0u);
  EXPECT_EQ(t.engine->ItemStatsTotal().crawler_items_checked, 250u);
}

TEST(EngineTest, StatsOutputShapes) {
  Settings s = testing::SmallSettings();
  s.track_sizes = true;
  TestEngine t(s);
  ASSERT_EQ(t.Set("a", "abc"), StoreResult::kStored);
  ASSERT_TRUE(t.Get("a"));
  std::vector<std::pair<std::string, std::string>> lines;
  auto sink = [&](std::string_view n, std::string_view v) { lines.emplace_back(n, v); };
  t.engine->AppendSlabsStats(sink);
  ASSERT_GE(lines.size(), 17u);
  EXPECT_EQ(lines[1].first.substr(lines[1].first.find(':')), ":chunks_per_page");
  EXPECT_EQ(lines[7].first.substr(lines[7].first.find(':')), ":get_hits");
  EXPECT_EQ(lines[7].second, "1");
  EXPECT_EQ(lines[8].second, "1");  // cmd_set
  EXPECT_EQ(lines[lines.size() - 2].first, "active_slabs");
  EXPECT_EQ(lines.back().first, "total_malloced");
  EXPECT_EQ(lines.back().second, std::to_string(1 << 20));
  lines.clear();
  t.engine->AppendItemsStats(sink);
  ASSERT_EQ(lines.size(), 28u);  // segmented, no temp LRU
  EXPECT_EQ(lines[0].second, "1");
  EXPECT_NE(lines[0].first.find(":number"), std::string::npos);
  EXPECT_NE(lines.back().first.find(":hits_to_temp"), std::string::npos);
  lines.clear();
  t.engine->AppendGeneralStats(sink);
  std::vector<std::string> names;
  for (auto& l : lines) names.push_back(l.first);
  std::vector<std::string> want = {"hash_power_level",
                                   "hash_bytes",
                                   "hash_is_expanding",
                                   "slab_reassign_rescues",
                                   "slab_reassign_chunk_rescues",
                                   "slab_reassign_evictions_nomem",
                                   "slab_reassign_inline_reclaim",
                                   "slab_reassign_busy_items",
                                   "slab_reassign_busy_deletes",
                                   "slab_reassign_running",
                                   "slabs_moved",
                                   "lru_crawler_running",
                                   "lru_crawler_starts",
                                   "lru_maintainer_juggles",
                                   "malloc_fails",
                                   "bytes",
                                   "curr_items",
                                   "total_items",
                                   "slab_global_page_pool",
                                   "expired_unfetched",
                                   "evicted_unfetched",
                                   "evicted_active",
                                   "evictions",
                                   "reclaimed",
                                   "crawler_reclaimed",
                                   "crawler_items_checked",
                                   "lrutail_reflocked",
                                   "moves_to_cold",
                                   "moves_to_warm",
                                   "moves_within_lru",
                                   "direct_reclaims",
                                   "lru_bumps_dropped"};
  EXPECT_EQ(names, want);
  lines.clear();
  t.engine->AppendSizesStats(sink);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].first, "64");  // 32 + 1 + 3 = 36 bytes -> the 64-byte bucket
  EXPECT_EQ(lines[0].second, "1");
  TestEngine plain;
  lines.clear();
  plain.engine->AppendSizesStats(sink);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].first, "sizes_status");
  EXPECT_EQ(lines[0].second, "disabled");
}

TEST(EngineTest, ResetStatsZeroesCounters) {
  TestEngine t;
  ASSERT_EQ(t.Set("a", "1"), StoreResult::kStored);
  t.Get("a");
  t.Get("b");
  t.engine->ResetStats();
  EngineGeneralStats g = t.engine->GeneralStats();
  EXPECT_EQ(g.get_hits, 0u);
  EXPECT_EQ(g.get_misses, 0u);
  EXPECT_EQ(g.cmd_set, 0u);
  EXPECT_EQ(g.total_items, 0u);
  EXPECT_EQ(g.curr_items, 1u);  // a gauge: not reset
  t.Get("a");
  EXPECT_EQ(t.engine->GeneralStats().get_hits, 1u);
}

TEST(EngineTest, StartStopIdempotent) {
  TestEngine t;
  t.engine->Start();
  t.engine->Start();
  ASSERT_EQ(t.Set("a", "1"), StoreResult::kStored);
  t.engine->Stop();
  t.engine->Stop();
  EXPECT_EQ(t.Get("a"), "1");
}

}  // namespace
}  // namespace memfleet::storage
