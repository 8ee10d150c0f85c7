#include "storage/hash/hash_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/engine_test_util.h"
#include "storage/hash/hash_function.h"

namespace memfleet::storage {
namespace {

using testing::Cat;
using testing::TestEngine;

TEST(HashFunctionTest, Murmur3KnownVectors) {
  EXPECT_EQ(Murmur3Hash("", 0), 0u);
  EXPECT_EQ(Murmur3Hash("hello", 5), 0x248bfa47u);
  EXPECT_EQ(Murmur3Hash("The quick brown fox jumps over the lazy dog", 43), 0x2e4ff723u);
}

TEST(HashFunctionTest, JenkinsKnownVectors) {
  // From lookup3.c's driver: hashlittle("", 0, 0) and "Four score and seven years ago".
  EXPECT_EQ(JenkinsHash("", 0), 0xdeadbeefu);
  EXPECT_EQ(JenkinsHash("Four score and seven years ago", 30), 0x17770551u);
}

TEST(HashFunctionTest, ByName) {
  EXPECT_EQ(HashFunctionByName("murmur3"), &Murmur3Hash);
  EXPECT_EQ(HashFunctionByName("jenkins"), &JenkinsHash);
  EXPECT_NE(HashFunctionByName("xxh3"), nullptr);
  EXPECT_EQ(HashFunctionByName("md5"), nullptr);
}

Settings TinyTable(const char* algo = "murmur3") {
  Settings s = testing::SmallSettings();
  s.max_bytes = 64ull << 20;
  s.hashpower_init = 4;  // 16 buckets: expansions start almost at once
  s.hash_algorithm = algo;
  s.lru_crawler = false;
  s.lru_maintainer_thread = false;
  return s;
}

TEST(HashTableTest, ExpandNowKeepsEveryItem) {
  for (const char* algo : {"murmur3", "jenkins", "xxh3"}) {
    TestEngine t(TinyTable(algo));
    for (int i = 0; i < 500; i++) {
      ASSERT_EQ(t.Set(Cat("key", std::to_string(i)), Cat("v", std::to_string(i))),
                StoreResult::kStored);
    }
    const int before = t.engine->hash_table().hashpower();
    while (t.engine->hash_table().NeedsExpansion()) t.engine->ExpandHashNow();
    EXPECT_GT(t.engine->hash_table().hashpower(), before);
    EXPECT_LE(t.engine->hash_table().item_count(), t.engine->hash_table().bucket_count() * 3 / 2);
    for (int i = 0; i < 500; i++) {
      EXPECT_EQ(t.Get(Cat("key", std::to_string(i))), Cat("v", std::to_string(i))) << algo;
    }
  }
}

TEST(HashTableTest, StepwiseExpansionServesLookupsInBetween) {
  TestEngine t(TinyTable());
  for (int i = 0; i < 100; i++)
    ASSERT_EQ(t.Set(Cat("k", std::to_string(i)), "x"), StoreResult::kStored);
  HashTable& h = t.engine->hash_table();
  ASSERT_TRUE(h.StartExpansion());
  EXPECT_TRUE(h.expanding());
  int steps = 0;
  while (!h.ExpandStep(1)) {
    steps++;
    // Midway: old and new buckets both in use; keys are found, added and deleted.
    ASSERT_EQ(t.Get(Cat("k", std::to_string(50 + steps % 50))), "x");
    ASSERT_EQ(t.Set(Cat("n", std::to_string(steps)), "y"), StoreResult::kStored);
    ASSERT_EQ(t.engine->Delete(*t.session, Cat("k", std::to_string(steps)), 0),
              DeleteResult::kDeleted);
  }
  EXPECT_GT(steps, 0);
  EXPECT_FALSE(h.expanding());
  for (int i = 1; i <= steps; i++) {
    EXPECT_EQ(t.Get(Cat("n", std::to_string(i))), "y");
    EXPECT_EQ(t.Get(Cat("k", std::to_string(i))), std::nullopt);
  }
  EXPECT_EQ(t.Get("k0"), "x");
}

// Readers and writers hammer the table while the expander thread doubles it several times.
TEST(HashTableTest, ConcurrentExpansionWithReadersAndWriters) {
  Settings s = TinyTable();
  s.hash_expand = true;
  TestEngine t(s);
  t.engine->Start();
  constexpr int kThreads = 3;
  constexpr int kKeys = 3000;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; w++) {
    threads.emplace_back([&, w] {
      Session* s = t.engine->NewSession();
      for (int i = 0; i < kKeys; i++) {
        std::string key = Cat("t", std::to_string(w)) + Cat(":", std::to_string(i));
        ItemRef ref;
        if (t.engine->Allocate(*s, key, 0, 0, static_cast<uint32_t>(key.size()), &ref) !=
            AllocResult::kOk) {
          errors++;
          continue;
        }
        ValueWriter(ref).Write(key.data(), key.size());
        if (t.engine->Store(*s, StoreOp::kSet, ref, 0, nullptr) != StoreResult::kStored) errors++;
        // Read back something written earlier by this thread (and not deleted).
        int j = i / 2;
        if (j % 5 == 0) j++;
        if (j <= i) {
          std::string old = Cat("t", std::to_string(w)) + Cat(":", std::to_string(j));
          ItemRef got = t.engine->Get(*s, old);
          if (!got || TestEngine::Value(got) != old) errors++;
        }
        if (i % 5 == 0) {
          std::string del = Cat("t", std::to_string(w)) + Cat(":", std::to_string(i));
          if (t.engine->Delete(*s, del, 0) != DeleteResult::kDeleted) errors++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  t.engine->Stop();
  EXPECT_EQ(errors.load(), 0);
  // The expander ran: 16 buckets cannot hold thousands of items under the 1.5 rule.
  EXPECT_GT(t.engine->hash_table().hashpower(), 4);
  for (int w = 0; w < kThreads; w++) {
    for (int i = 0; i < kKeys; i++) {
      std::string key = Cat("t", std::to_string(w)) + Cat(":", std::to_string(i));
      auto v = t.Get(key);
      if (i % 5 == 0) {
        EXPECT_FALSE(v.has_value()) << key;
      } else {
        EXPECT_EQ(v, key);
      }
    }
  }
  EXPECT_EQ(t.engine->GeneralStats().curr_items, static_cast<uint64_t>(kThreads * kKeys * 4 / 5));
}

}  // namespace
}  // namespace memfleet::storage
