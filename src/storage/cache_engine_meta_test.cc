// Engine side of the meta protocol: win/stale/token bits kept in the refcount's top bits.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/engine_test_util.h"

namespace memfleet::storage {
namespace {

using testing::TestEngine;

MetaGetReply Mg(TestEngine& t, std::string_view key, bool vivify = false) {
  MetaGetRequest r;
  r.key = key;
  r.vivify = vivify;
  r.vivify_exptime = vivify ? 1030 : 0;
  return t.engine->MetaGet(*t.session, r);
}

TEST(CacheEngineMetaTest, VivifyWinsOnceThenZ) {
  TestEngine t;
  MetaGetReply a = Mg(t, "k", true);
  ASSERT_TRUE(a.item);
  EXPECT_TRUE(a.created);
  EXPECT_TRUE(a.win);
  EXPECT_EQ(a.item.value_length(), 0u);
  EXPECT_EQ(a.item.exptime(), 1030u);
  MetaGetReply b = Mg(t, "k", true);
  ASSERT_TRUE(b.item);
  EXPECT_FALSE(b.created);
  EXPECT_FALSE(b.win);
  EXPECT_TRUE(b.token_sent);
  // Pins are counted without the meta bits: the linked item plus our two pins.
  EXPECT_EQ(t.engine->refcount(b.item), 3u);
}

TEST(CacheEngineMetaTest, StaleItemIsFreedWhenReplaced) {
  TestEngine t;
  ASSERT_EQ(t.Set("s", "v1"), StoreResult::kStored);
  MetaDeleteRequest d;
  d.key = "s";
  d.invalidate = true;
  EXPECT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kDeleted);
  MetaGetReply a = Mg(t, "s");
  EXPECT_TRUE(a.stale);
  EXPECT_TRUE(a.win);
  uint64_t items_before = t.engine->GeneralStats().curr_items;
  a.item.Reset();
  ASSERT_EQ(t.Set("s", "v2"), StoreResult::kStored);
  EXPECT_EQ(t.engine->GeneralStats().curr_items, items_before);
  MetaGetReply b = Mg(t, "s");
  EXPECT_FALSE(b.stale);
  EXPECT_FALSE(b.token_sent);
  EXPECT_EQ(t.engine->refcount(b.item), 2u);
  // A deleted stale item must be freed (its bits must not look like extra pins).
  ASSERT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kDeleted);
  b.item.Reset();
  d.invalidate = false;
  EXPECT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kDeleted);
  EXPECT_EQ(t.engine->GeneralStats().bytes, 0u);
}

TEST(CacheEngineMetaTest, InvalidateWhilePinnedChangesCas) {
  TestEngine t;
  uint64_t cas = 0;
  ASSERT_EQ(t.Store(StoreOp::kSet, "p", "v", 0, 0, 0, &cas), StoreResult::kStored);
  ItemRef pin = t.engine->Get(*t.session, "p");
  MetaDeleteRequest d;
  d.key = "p";
  d.invalidate = true;
  d.has_cas = true;
  d.cas = cas + 100;
  EXPECT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kExists);
  d.cas = cas;
  EXPECT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kDeleted);
  EXPECT_EQ(pin.cas(), cas);  // the pinned copy is unchanged
  MetaGetReply a = Mg(t, "p");
  EXPECT_NE(a.item.cas(), cas);
  EXPECT_TRUE(a.stale);
}

TEST(CacheEngineMetaTest, StaleStoreWithOlderCas) {
  TestEngine t;
  uint64_t cas = 0;
  ASSERT_EQ(t.Store(StoreOp::kSet, "c", "v", 0, 0, 0, &cas), StoreResult::kStored);
  MetaDeleteRequest d;
  d.key = "c";
  d.invalidate = true;
  ASSERT_EQ(t.engine->MetaDelete(*t.session, d), DeleteResult::kDeleted);
  ItemRef ref;
  ASSERT_EQ(t.engine->Allocate(*t.session, "c", 0, 0, 2, &ref), AllocResult::kOk);
  ValueWriter w(ref);
  w.Write("v2", 2);
  MetaStoreOptions opt;
  opt.set_stale = true;
  EXPECT_EQ(t.engine->MetaStore(*t.session, StoreOp::kCas, ref, cas, opt, nullptr),
            StoreResult::kStored);
  MetaGetReply a = Mg(t, "c");
  EXPECT_TRUE(a.stale);
  EXPECT_EQ(TestEngine::Value(a.item), "v2");
}

TEST(CacheEngineMetaTest, MetaDeltaVivifies) {
  TestEngine t;
  MetaDeltaRequest r;
  r.key = "n";
  r.vivify = true;
  r.initial = 41;
  MetaDeltaReply a = t.engine->MetaDelta(*t.session, r);
  EXPECT_EQ(a.result, DeltaResult::kOk);
  EXPECT_TRUE(a.created);
  EXPECT_EQ(a.value, 41u);
  MetaDeltaReply b = t.engine->MetaDelta(*t.session, r);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.value, 42u);
  EXPECT_EQ(t.Get("n"), "42");
}

TEST(CacheEngineMetaTest, RacingVivifyHasOneWinner) {
  TestEngine t;
  constexpr int kThreads = 4;
  constexpr int kKeys = 200;
  std::vector<Session*> sessions;
  for (int i = 0; i < kThreads; ++i) sessions.push_back(t.engine->NewSession());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kKeys; ++k) {
        std::string key = "race" + std::to_string(k);
        MetaGetRequest r;
        r.key = key;
        r.vivify = true;
        MetaGetReply rep = t.engine->MetaGet(*sessions[i], r);
        if (rep.win) wins.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), kKeys);
}

}  // namespace
}  // namespace memfleet::storage
