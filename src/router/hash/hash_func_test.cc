// MakeHashFunction as a pool uses it: every family is stable, stays in range, moves about
// 1/(N+1) of the keys when a server is added (the consistent ones), honours weights, applies the
// salt, and rejects bad specs with InvalidArgument.
#include "router/hash/hash_func.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "router/hash/furc.h"
#include "router/hash/ketama.h"
#include "router/hash/nutcracker_pool.h"

namespace memfleet::router::hash {
namespace {

HashSpec Spec(const std::string& func, size_t n) {
  HashSpec spec;
  spec.func = func;
  for (size_t i = 0; i < n; ++i) {
    spec.servers.push_back({"10.0.0." + std::to_string(i + 1) + ":11211", "", 1.0});
  }
  return spec;
}

std::unique_ptr<HashFunction> Make(const HashSpec& spec) {
  auto f = MakeHashFunction(spec);
  EXPECT_TRUE(f.ok()) << spec.func << ": " << (f.ok() ? "" : f.status().message());
  return f.ok() ? std::move(f.value()) : nullptr;
}

std::string Key(int i) { return "key:" + std::to_string(i) + ":value"; }

const char* const kConsistent[] = {
    "ch3", "weightedch3", "rendezvous", "ketama", "libmemcached_ketama", "jump", "nutcracker"};
const char* const kAll[] = {"ch3",  "weightedch3", "rendezvous", "ketama", "libmemcached_ketama",
                            "jump", "nutcracker",  "crc32",      "modula"};

TEST(HashFunction, StableAndInRange) {
  for (const char* func : kAll) {
    auto f = Make(Spec(func, 5));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->size(), 5u);
    auto again = Make(Spec(func, 5));
    for (int i = 0; i < 2000; ++i) {
      const size_t pick = f->Pick(Key(i));
      ASSERT_LT(pick, 5u) << func;
      EXPECT_EQ(f->Pick(Key(i)), pick) << func;
      EXPECT_EQ(again->Pick(Key(i)), pick) << func;
    }
  }
}

TEST(HashFunction, NamesAreCaseInsensitive) {
  auto lower = Make(Spec("weightedch3", 7));
  auto mixed = Make(Spec("WeightedCh3", 7));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(lower->Pick(Key(i)), mixed->Pick(Key(i)));
}

TEST(HashFunction, EverythingGoesToASingleServer) {
  for (const char* func : kAll) {
    auto f = Make(Spec(func, 1));
    for (int i = 0; i < 50; ++i) EXPECT_EQ(f->Pick(Key(i)), 0u) << func;
  }
}

TEST(HashFunction, ConsistentFamiliesMoveAboutOneInNPlusOne) {
  constexpr int kKeys = 20000;
  for (const char* func : kConsistent) {
    for (size_t n : {4u, 9u}) {
      auto before = Make(Spec(func, n));
      auto after = Make(Spec(func, n + 1));
      int moved = 0;
      for (int i = 0; i < kKeys; ++i) {
        const size_t a = before->Pick(Key(i));
        const size_t b = after->Pick(Key(i));
        if (a != b) {
          ++moved;
          // A key only ever moves to the new server.
          EXPECT_EQ(b, n) << func << " moved " << Key(i) << " from " << a << " to " << b;
        }
      }
      const double expected = kKeys / static_cast<double>(n + 1);
      EXPECT_GT(moved, expected * 0.6) << func << " n=" << n;
      EXPECT_LT(moved, expected * 1.4) << func << " n=" << n;
    }
  }
}

TEST(HashFunction, ModulaMovesMostKeys) {
  auto before = Make(Spec("modula", 4));
  auto after = Make(Spec("modula", 5));
  int moved = 0;
  for (int i = 0; i < 10000; ++i) moved += before->Pick(Key(i)) != after->Pick(Key(i));
  EXPECT_GT(moved, 6000);  // the reason the consistent families exist
}

// Keys per server over 100,000 keys when server 1 has half the weight of the others.
std::vector<int> HalfWeightCounts(HashSpec spec, double full, double half) {
  for (HashServer& s : spec.servers) s.weight = full;
  spec.servers[1].weight = half;
  auto f = Make(spec);
  std::vector<int> counts(spec.servers.size());
  for (int i = 0; i < 100000; ++i) ++counts[f->Pick(Key(i))];
  return counts;
}

TEST(HashFunction, WeightsShareTheKeys) {
  struct Case {
    const char* func;
    double full;
    double half;
  };
  for (const Case& c :
       {Case{"weightedch3", 1.0, 0.5}, Case{"ketama", 2, 1}, Case{"nutcracker", 2, 1}}) {
    std::vector<int> counts = HalfWeightCounts(Spec(c.func, 4), c.full, c.half);
    for (size_t full : {0u, 2u, 3u}) {
      const double ratio = counts[1] / static_cast<double>(counts[full]);
      EXPECT_GT(ratio, 0.35) << c.func << " server " << full;
      EXPECT_LT(ratio, 0.65) << c.func << " server " << full;
    }
  }
  HashSpec modula = Spec("nutcracker", 4);
  modula.distribution = "modula";
  std::vector<int> counts = HalfWeightCounts(modula, 2, 1);
  for (size_t full : {0u, 2u, 3u}) {
    const double ratio = counts[1] / static_cast<double>(counts[full]);
    EXPECT_GT(ratio, 0.4);
    EXPECT_LT(ratio, 0.6);
  }
}

TEST(HashFunction, ZeroWeightGetsNothingInWeightedCh3AndKetama) {
  for (const char* func : {"weightedch3", "ketama"}) {
    HashSpec spec = Spec(func, 3);
    spec.servers[2].weight = 0;
    auto f = Make(spec);
    for (int i = 0; i < 20000; ++i) ASSERT_NE(f->Pick(Key(i)), 2u) << func;
  }
}

TEST(HashFunction, SaltIsAppendedToTheKey) {
  HashSpec salted = Spec("ch3", 100);
  salted.salt = "x";
  auto f = Make(salted);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(f->Pick(Key(i)), FurcHash(Key(i) + "x", 100));
  // A salted key too long for the stack buffer still hashes key + salt.
  const std::string long_key(600, 'k');
  EXPECT_EQ(f->Pick(long_key), FurcHash(long_key + "x", 100));
  HashSpec plain = Spec("ch3", 100);
  auto g = Make(plain);
  int differ = 0;
  for (int i = 0; i < 200; ++i) differ += f->Pick(Key(i)) != g->Pick(Key(i));
  EXPECT_GT(differ, 150);
}

TEST(HashFunction, RendezvousUsesTheNameAsTag) {
  HashSpec by_address = Spec("rendezvous", 3);
  HashSpec by_tag = Spec("rendezvous", 3);
  for (int i = 0; i < 3; ++i) {
    by_tag.servers[i].name = "xxx." + std::to_string(i) + ".yy";
  }
  auto tagged = Make(by_tag);
  // mcrouter's RendezvousHashTest: "sample" -> 1 among the tags xxx.0.yy .. xxx.2.yy.
  EXPECT_EQ(tagged->Pick("sample"), 1u);
  auto plain = Make(by_address);
  int differ = 0;
  for (int i = 0; i < 300; ++i) differ += tagged->Pick(Key(i)) != plain->Pick(Key(i));
  EXPECT_GT(differ, 100);
}

TEST(HashFunction, NutcrackerHashTag) {
  HashSpec spec = Spec("nutcracker", 5);
  spec.hash_tag = "{}";
  auto f = Make(spec);
  auto pool = static_cast<const NutcrackerPool*>(f.get());
  const uint32_t user = pool->HashKey("user1000");
  EXPECT_EQ(pool->HashKey("{user1000}.following"), user);
  EXPECT_EQ(pool->HashKey("x{user1000}y{z}"), user);  // the first tag
  EXPECT_EQ(pool->HashKey("a}b{user1000}"), user);    // a '}' before the '{' does not count
  // No closing character, or an empty tag: the whole key.
  HashSpec untagged = Spec("nutcracker", 5);
  auto g = Make(untagged);
  auto whole = static_cast<const NutcrackerPool*>(g.get());
  EXPECT_EQ(pool->HashKey("{user1000"), whole->HashKey("{user1000"));
  EXPECT_EQ(pool->HashKey("{}user1000"), whole->HashKey("{}user1000"));
  EXPECT_EQ(pool->HashKey("user1000}"), whole->HashKey("user1000}"));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(f->Pick("{tag}" + Key(i)), f->Pick("tag")) << i;
  }
  // An empty key hashes to 0, as twemproxy.
  EXPECT_EQ(pool->HashKey(""), 0u);
}

TEST(HashFunction, NutcrackerModulaUsesNameOrder) {
  // twemproxy sorts servers by name (shorter first) before laying out modula slots, so listing
  // them in another order places keys on the same servers.
  HashSpec a = Spec("nutcracker", 3);
  a.distribution = "modula";
  a.servers[0].name = "bb";
  a.servers[1].name = "a";
  a.servers[2].name = "ccc";
  HashSpec b = a;
  std::swap(b.servers[0], b.servers[2]);
  auto fa = Make(a);
  auto fb = Make(b);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(a.servers[fa->Pick(Key(i))].name, b.servers[fb->Pick(Key(i))].name);
  }
}

TEST(HashFunction, NutcrackerRandomStaysInRange) {
  HashSpec spec = Spec("nutcracker", 3);
  spec.distribution = "random";
  auto f = Make(spec);
  std::vector<int> counts(3);
  for (int i = 0; i < 3000; ++i) ++counts[f->Pick("same")];
  for (int c : counts) EXPECT_GT(c, 500);
}

TEST(Ketama, PointKeys) {
  EXPECT_EQ(LibmemcachedPointKey("10.0.0.1:11211"), "10.0.0.1");
  EXPECT_EQ(LibmemcachedPointKey("10.0.0.1:11212"), "10.0.0.1:11212");
  EXPECT_EQ(LibmemcachedPointKey("cache-a"), "cache-a");
  EXPECT_EQ(LibmemcachedPointKey("[::1]:22122"), "::1:22122");
  EXPECT_EQ(NutcrackerPointKey("127.0.0.1:11211"), "127.0.0.1");
  EXPECT_EQ(NutcrackerPointKey("127.0.0.1:22122"), "127.0.0.1:22122");
}

TEST(Ketama, PointsPerServer) {
  EXPECT_EQ(WeightedKetamaPoints(1, 3, 3), 160u);
  EXPECT_EQ(WeightedKetamaPoints(1, 7, 7), 160u);
  EXPECT_EQ(WeightedKetamaPoints(1, 6, 3), 80u);
  EXPECT_EQ(WeightedKetamaPoints(3, 6, 3), 240u);
  EXPECT_EQ(WeightedKetamaPoints(2, 6, 3), 160u);
}

TEST(Ketama, ContinuumLookupWraps) {
  Continuum c({{100, 0}, {50, 1}, {200, 2}});
  EXPECT_EQ(c.Find(0), 1u);
  EXPECT_EQ(c.Find(50), 1u);
  EXPECT_EQ(c.Find(51), 0u);
  EXPECT_EQ(c.Find(200), 2u);
  EXPECT_EQ(c.Find(201), 1u);  // past the last point: the first
}

void ExpectInvalid(const HashSpec& spec, const std::string& fragment) {
  auto f = MakeHashFunction(spec);
  ASSERT_FALSE(f.ok()) << spec.func << ": expected an error mentioning " << fragment;
  EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(f.status().message().find(fragment), std::string::npos) << f.status().message();
}

TEST(HashFunction, Errors) {
  ExpectInvalid(Spec("ch3", 0), "at least one server");
  ExpectInvalid(Spec("sha1", 3), "unknown hash function \"sha1\"");

  HashSpec negative = Spec("ch3", 3);
  negative.servers[1].weight = -1;
  ExpectInvalid(negative, "negative weight");

  HashSpec heavy = Spec("weightedch3", 3);
  heavy.servers[0].weight = 1.5;
  ExpectInvalid(heavy, "[0, 1]");

  HashSpec fractional = Spec("ketama", 3);
  fractional.servers[0].weight = 1.5;
  ExpectInvalid(fractional, "whole-number weight");
  HashSpec all_zero = Spec("ketama", 2);
  all_zero.servers[0].weight = 0;
  all_zero.servers[1].weight = 0;
  ExpectInvalid(all_zero, "weight 0");

  HashSpec bad_key_hash = Spec("libmemcached_ketama", 2);
  bad_key_hash.key_hash = "sha256";
  ExpectInvalid(bad_key_hash, "sha256");

  HashSpec bad_hash = Spec("nutcracker", 2);
  bad_hash.nutcracker_hash = "fnv2";
  ExpectInvalid(bad_hash, "fnv2");
  HashSpec bad_distribution = Spec("nutcracker", 2);
  bad_distribution.distribution = "rendezvous";
  ExpectInvalid(bad_distribution, "distribution \"rendezvous\"");
  HashSpec bad_tag = Spec("nutcracker", 2);
  bad_tag.hash_tag = "{";
  ExpectInvalid(bad_tag, "hash_tag");
  bad_tag.hash_tag = "{}}";
  ExpectInvalid(bad_tag, "hash_tag");
  HashSpec zero = Spec("nutcracker", 2);
  zero.servers[0].weight = 0;
  ExpectInvalid(zero, "weight >= 1");
  HashSpec twins = Spec("nutcracker", 2);
  twins.servers[0].name = "same";
  twins.servers[1].name = "same";
  ExpectInvalid(twins, "\"same\"");
}

}  // namespace
}  // namespace memfleet::router::hash
