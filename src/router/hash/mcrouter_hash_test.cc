// mcrouter's own published vectors for its hash functions, reproduced here (values copied from
// facebook/mcrouter, commit 9d7f4342):
//   - furc_hash golden values, power-of-two boundaries and bulk checksums:
//     mcrouter/lib/fbi/test/hash_test.cpp (TEST(ch3, golden_values), power_of_two_boundaries,
//     bulk_checksum);
//   - Ch3: mcrouter/lib/test/Ch3HashTest.cpp;
//   - WeightedCh3: mcrouter/lib/test/WeightedCh3HashFuncTest.cpp;
//   - Crc32: mcrouter/lib/test/Crc32HashTest.cpp;
//   - Rendezvous: mcrouter/lib/test/RendezvousHashTest.cpp (servers tagged "xxx.<i>.yy", as that
//     test's genEndpoints in HashTestUtil.cpp).
#include "router/hash/mcrouter_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "router/hash/furc.h"

namespace memfleet::router::hash {
namespace {

struct Golden {
  const char* key;
  uint32_t m;
  uint32_t expected;
};

// clang-format off
const Golden kGolden[] = {
    {"key0", 1u, 0u},
    {"key0", 2u, 0u},
    {"key0", 3u, 0u},
    {"key0", 5u, 4u},
    {"key0", 7u, 5u},
    {"key0", 10u, 7u},
    {"key0", 16u, 14u},
    {"key0", 50u, 22u},
    {"key0", 100u, 22u},
    {"key0", 500u, 413u},
    {"key0", 1000u, 950u},
    {"key0", 5000u, 3375u},
    {"key0", 10000u, 3375u},
    {"key0", 100000u, 59045u},
    {"key0", 1000000u, 500854u},
    {"key0", 8388608u, 4701525u},
    {"key0", 16777216u, 10218333u},
    {"key0", 1073741824u, 856543823u},
    {"key0", 4294967295u, 2635611118u},
    {"key1", 1u, 0u},
    {"key1", 2u, 0u},
    {"key1", 3u, 2u},
    {"key1", 5u, 2u},
    {"key1", 7u, 2u},
    {"key1", 10u, 2u},
    {"key1", 16u, 2u},
    {"key1", 50u, 2u},
    {"key1", 100u, 2u},
    {"key1", 500u, 2u},
    {"key1", 1000u, 808u},
    {"key1", 5000u, 808u},
    {"key1", 10000u, 808u},
    {"key1", 100000u, 24368u},
    {"key1", 1000000u, 768680u},
    {"key1", 8388608u, 7205857u},
    {"key1", 16777216u, 7205857u},
    {"key1", 1073741824u, 144851818u},
    {"key1", 4294967295u, 1919030847u},
    {"key2", 1u, 0u},
    {"key2", 2u, 0u},
    {"key2", 3u, 0u},
    {"key2", 5u, 4u},
    {"key2", 7u, 4u},
    {"key2", 10u, 4u},
    {"key2", 16u, 14u},
    {"key2", 50u, 40u},
    {"key2", 100u, 40u},
    {"key2", 500u, 279u},
    {"key2", 1000u, 794u},
    {"key2", 5000u, 3741u},
    {"key2", 10000u, 3741u},
    {"key2", 100000u, 99468u},
    {"key2", 1000000u, 99468u},
    {"key2", 8388608u, 8033017u},
    {"key2", 16777216u, 8033017u},
    {"key2", 1073741824u, 720979435u},
    {"key2", 4294967295u, 720979435u},
    {"key3", 1u, 0u},
    {"key3", 2u, 1u},
    {"key3", 3u, 1u},
    {"key3", 5u, 1u},
    {"key3", 7u, 5u},
    {"key3", 10u, 5u},
    {"key3", 16u, 5u},
    {"key3", 50u, 5u},
    {"key3", 100u, 73u},
    {"key3", 500u, 214u},
    {"key3", 1000u, 214u},
    {"key3", 5000u, 1118u},
    {"key3", 10000u, 1118u},
    {"key3", 100000u, 98344u},
    {"key3", 1000000u, 567453u},
    {"key4", 1u, 0u},
    {"key4", 2u, 0u},
    {"key4", 3u, 2u},
    {"key4", 5u, 2u},
    {"key4", 7u, 2u},
    {"key4", 10u, 8u},
    {"key4", 16u, 10u},
    {"key4", 50u, 47u},
    {"key4", 100u, 47u},
    {"key4", 500u, 101u},
    {"key4", 1000u, 878u},
    {"key4", 5000u, 878u},
    {"key4", 10000u, 878u},
    {"key4", 100000u, 19896u},
    {"key4", 1000000u, 187582u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1u, 0u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 2u, 0u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 3u, 0u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 5u, 4u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 7u, 4u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10u, 8u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16u, 8u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 50u, 18u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 100u, 18u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 500u, 18u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1000u, 964u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 5000u, 1334u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10000u, 5716u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 100000u, 54971u},
    {"someKey_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1000000u, 580644u},
    {"short", 1u, 0u},
    {"short", 2u, 1u},
    {"short", 3u, 2u},
    {"short", 5u, 4u},
    {"short", 7u, 6u},
    {"short", 10u, 6u},
    {"short", 16u, 12u},
    {"short", 50u, 12u},
    {"short", 100u, 12u},
    {"short", 500u, 172u},
    {"short", 1000u, 569u},
    {"short", 5000u, 4565u},
    {"short", 10000u, 4565u},
    {"short", 100000u, 94116u},
    {"short", 1000000u, 826962u},
    {"short", 8388608u, 6473107u},
    {"short", 16777216u, 10975421u},
    {"short", 1073741824u, 304085075u},
    {"short", 4294967295u, 3727818566u},
    {"a", 1u, 0u},
    {"a", 2u, 1u},
    {"a", 3u, 1u},
    {"a", 5u, 4u},
    {"a", 7u, 4u},
    {"a", 10u, 4u},
    {"a", 16u, 13u},
    {"a", 50u, 34u},
    {"a", 100u, 34u},
    {"a", 500u, 34u},
    {"a", 1000u, 900u},
    {"a", 5000u, 1565u},
    {"a", 10000u, 1565u},
    {"a", 100000u, 55594u},
    {"a", 1000000u, 570739u},
    {"a", 8388608u, 7695180u},
    {"a", 16777216u, 11809035u},
    {"a", 1073741824u, 207565192u},
    {"a", 4294967295u, 2134617590u},
    {"ab", 1u, 0u},
    {"ab", 2u, 1u},
    {"ab", 3u, 2u},
    {"ab", 5u, 2u},
    {"ab", 7u, 2u},
    {"ab", 10u, 2u},
    {"ab", 16u, 2u},
    {"ab", 50u, 35u},
    {"ab", 100u, 35u},
    {"ab", 500u, 429u},
    {"ab", 1000u, 429u},
    {"ab", 5000u, 4150u},
    {"ab", 10000u, 9404u},
    {"ab", 100000u, 13199u},
    {"ab", 1000000u, 103282u},
    {"abc", 1u, 0u},
    {"abc", 2u, 0u},
    {"abc", 3u, 0u},
    {"abc", 5u, 0u},
    {"abc", 7u, 5u},
    {"abc", 10u, 5u},
    {"abc", 16u, 15u},
    {"abc", 50u, 47u},
    {"abc", 100u, 69u},
    {"abc", 500u, 371u},
    {"abc", 1000u, 985u},
    {"abc", 5000u, 3019u},
    {"abc", 10000u, 3019u},
    {"abc", 100000u, 44962u},
    {"abc", 1000000u, 391441u},
    {"mcrouter:pool:regional:0001", 1u, 0u},
    {"mcrouter:pool:regional:0001", 2u, 0u},
    {"mcrouter:pool:regional:0001", 3u, 2u},
    {"mcrouter:pool:regional:0001", 5u, 3u},
    {"mcrouter:pool:regional:0001", 7u, 3u},
    {"mcrouter:pool:regional:0001", 10u, 3u},
    {"mcrouter:pool:regional:0001", 16u, 13u},
    {"mcrouter:pool:regional:0001", 50u, 27u},
    {"mcrouter:pool:regional:0001", 100u, 52u},
    {"mcrouter:pool:regional:0001", 500u, 493u},
    {"mcrouter:pool:regional:0001", 1000u, 829u},
    {"mcrouter:pool:regional:0001", 5000u, 4143u},
    {"mcrouter:pool:regional:0001", 10000u, 7488u},
    {"mcrouter:pool:regional:0001", 100000u, 36359u},
    {"mcrouter:pool:regional:0001", 1000000u, 669957u},
    {"mcrouter:pool:regional:0001", 8388608u, 6119431u},
    {"mcrouter:pool:regional:0001", 16777216u, 13341220u},
    {"mcrouter:pool:regional:0001", 1073741824u, 656478206u},
    {"mcrouter:pool:regional:0001", 4294967295u, 3984053628u},
    {"mcrouter:pool:regional:0002", 1u, 0u},
    {"mcrouter:pool:regional:0002", 2u, 1u},
    {"mcrouter:pool:regional:0002", 3u, 2u},
    {"mcrouter:pool:regional:0002", 5u, 4u},
    {"mcrouter:pool:regional:0002", 7u, 5u},
    {"mcrouter:pool:regional:0002", 10u, 5u},
    {"mcrouter:pool:regional:0002", 16u, 13u},
    {"mcrouter:pool:regional:0002", 50u, 13u},
    {"mcrouter:pool:regional:0002", 100u, 13u},
    {"mcrouter:pool:regional:0002", 500u, 405u},
    {"mcrouter:pool:regional:0002", 1000u, 788u},
    {"mcrouter:pool:regional:0002", 5000u, 788u},
    {"mcrouter:pool:regional:0002", 10000u, 6708u},
    {"mcrouter:pool:regional:0002", 100000u, 65904u},
    {"mcrouter:pool:regional:0002", 1000000u, 589635u},
    {"user:12345:profile", 1u, 0u},
    {"user:12345:profile", 2u, 1u},
    {"user:12345:profile", 3u, 1u},
    {"user:12345:profile", 5u, 4u},
    {"user:12345:profile", 7u, 4u},
    {"user:12345:profile", 10u, 4u},
    {"user:12345:profile", 16u, 10u},
    {"user:12345:profile", 50u, 29u},
    {"user:12345:profile", 100u, 77u},
    {"user:12345:profile", 500u, 77u},
    {"user:12345:profile", 1000u, 712u},
    {"user:12345:profile", 5000u, 4344u},
    {"user:12345:profile", 10000u, 5119u},
    {"user:12345:profile", 100000u, 96279u},
    {"user:12345:profile", 1000000u, 368844u},
    {"user:67890:timeline", 1u, 0u},
    {"user:67890:timeline", 2u, 0u},
    {"user:67890:timeline", 3u, 0u},
    {"user:67890:timeline", 5u, 0u},
    {"user:67890:timeline", 7u, 5u},
    {"user:67890:timeline", 10u, 7u},
    {"user:67890:timeline", 16u, 15u},
    {"user:67890:timeline", 50u, 15u},
    {"user:67890:timeline", 100u, 73u},
    {"user:67890:timeline", 500u, 104u},
    {"user:67890:timeline", 1000u, 748u},
    {"user:67890:timeline", 5000u, 3756u},
    {"user:67890:timeline", 10000u, 6138u},
    {"user:67890:timeline", 100000u, 86163u},
    {"user:67890:timeline", 1000000u, 86163u},
    {"cache:item:999999", 1u, 0u},
    {"cache:item:999999", 2u, 1u},
    {"cache:item:999999", 3u, 2u},
    {"cache:item:999999", 5u, 2u},
    {"cache:item:999999", 7u, 2u},
    {"cache:item:999999", 10u, 2u},
    {"cache:item:999999", 16u, 2u},
    {"cache:item:999999", 50u, 17u},
    {"cache:item:999999", 100u, 17u},
    {"cache:item:999999", 500u, 184u},
    {"cache:item:999999", 1000u, 673u},
    {"cache:item:999999", 5000u, 3278u},
    {"cache:item:999999", 10000u, 5532u},
    {"cache:item:999999", 100000u, 72068u},
    {"cache:item:999999", 1000000u, 180793u},
    {"", 1u, 0u},
    {"", 2u, 1u},
    {"", 3u, 1u},
    {"", 5u, 1u},
    {"", 7u, 6u},
    {"", 10u, 8u},
    {"", 16u, 12u},
    {"", 50u, 12u},
    {"", 100u, 72u},
    {"", 500u, 72u},
    {"", 1000u, 72u},
    {"", 5000u, 3031u},
    {"", 10000u, 3031u},
    {"", 100000u, 86003u},
    {"", 1000000u, 407687u},
};
// clang-format on

TEST(Furc, McrouterGoldenValues) {
  for (const Golden& g : kGolden) {
    EXPECT_EQ(FurcHash(g.key, g.m), g.expected) << "furc_hash(\"" << g.key << "\", " << g.m << ")";
  }
}

TEST(Furc, McrouterPowerOfTwoBoundaries) {
  const std::pair<uint32_t, uint32_t> cases[] = {
      {4, 0},     {8, 7},      {32, 22},     {64, 22},     {128, 115},   {256, 115},
      {512, 413}, {1024, 950}, {2048, 1735}, {4096, 3375}, {8192, 3375},
  };
  for (auto [m, expected] : cases) EXPECT_EQ(FurcHash("key0", m), expected) << m;
}

// acc = acc * 31 + furc_hash("k<i>", m) over i < 100000.
uint32_t Checksum(uint32_t m, uint32_t keys, const char* prefix = "k") {
  uint32_t acc = 0;
  char key[32];
  for (uint32_t i = 0; i < keys; ++i) {
    const int len = std::snprintf(key, sizeof(key), "%s%u", prefix, i);
    acc = acc * 31u + FurcHash(std::string_view(key, len), m);
  }
  return acc;
}

TEST(Furc, McrouterBulkChecksums) {
  const std::pair<uint32_t, uint32_t> cases[] = {
      {2, 1346413954u},          {3, 914505363u},        {5, 1517365794u},
      {7, 4252552508u},          {10, 2894016351u},      {16, 2995729350u},
      {50, 1717182892u},         {100, 2289223413u},     {500, 2400597860u},
      {1000, 2251851331u},       {5000, 2711796627u},    {10000, 1328492545u},
      {100000, 1053928120u},     {1000000, 209068971u},  {8388608, 2328588562u},
      {16777216, 1406750828u},   {100000000, 55292389u}, {1073741824, 1798155495u},
      {4294967295u, 504907336u},
  };
  for (auto [m, expected] : cases) EXPECT_EQ(Checksum(m, 100000), expected) << "m=" << m;
}

TEST(Furc, GrowingThePoolOnlyMovesKeysToTheNewBucket) {
  char key[32];
  for (uint32_t m : {4u, 8u, 16u, 100u, 1024u}) {
    for (uint32_t i = 0; i < 2000; ++i) {
      const int len = std::snprintf(key, sizeof(key), "cons_%u", i);
      const uint32_t before = FurcHash(std::string_view(key, len), m);
      const uint32_t after = FurcHash(std::string_view(key, len), m + 1);
      if (before != after) {
        EXPECT_EQ(after, m) << key;
      }
    }
  }
}

std::string AllBytes() {  // -128 .. 127, as mcrouter's tests build it
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i - 128));
  return s;
}

TEST(Ch3, McrouterBasic) {
  EXPECT_EQ(Ch3Index("sample", 100), 97u);
  EXPECT_EQ(Ch3Index("sample", 1), 0u);
  EXPECT_EQ(Ch3Index("", 100), 72u);
  EXPECT_EQ(Ch3Index("", 1), 0u);
  EXPECT_EQ(Ch3Index("", kFurcMaxPoolSize), 6173600u);
  EXPECT_EQ(Ch3Index("sample", kFurcMaxPoolSize), 5167780u);
  std::string key = AllBytes();
  EXPECT_EQ(Ch3Index(key, 99999), 31015u);
  std::reverse(key.begin(), key.end());
  EXPECT_EQ(Ch3Index(key, 99999), 67101u);
}

std::vector<size_t> Ch3Counts(size_t n, size_t keys) {
  std::vector<size_t> counts(n);
  for (size_t i = 0; i < keys; ++i) ++counts[Ch3Index(std::to_string(i), n)];
  return counts;
}

TEST(Ch3, McrouterCounts) {
  EXPECT_EQ(Ch3Counts(3, 1000), (std::vector<size_t>{307, 342, 351}));
  EXPECT_EQ(Ch3Counts(10, 10000),
            (std::vector<size_t>{995, 955, 1046, 968, 1032, 972, 1016, 1038, 1010, 968}));
}

size_t Wch3(std::string_view key, const std::vector<double>& weights) {
  return WeightedCh3Index(key, weights);
}

TEST(WeightedCh3, McrouterUnitWeightsAreCh3) {
  EXPECT_EQ(Wch3("sample", std::vector<double>(100, 1.0)), 97u);
  EXPECT_EQ(Wch3("", std::vector<double>(100, 1.0)), 72u);
  EXPECT_EQ(Wch3("sample", {1.0}), 0u);
  std::string key = AllBytes();
  const std::vector<double> big(99999, 1.0);
  EXPECT_EQ(Wch3(key, big), 31015u);
  std::reverse(key.begin(), key.end());
  EXPECT_EQ(Wch3(key, big), 67101u);
}

TEST(WeightedCh3, McrouterZeroWeight) {
  EXPECT_EQ(Wch3("sample", {0.0}), 0u);
  EXPECT_EQ(Wch3("", {0.0}), 0u);
  EXPECT_EQ(Wch3("sample", std::vector<double>(100, 0.0)), 59u);
  EXPECT_EQ(Wch3("", std::vector<double>(100, 0.0)), 45u);
}

TEST(WeightedCh3, McrouterReducedAndRandomWeights) {
  std::vector<size_t> counts(3);
  for (size_t i = 0; i < 1000; ++i) ++counts[Wch3(std::to_string(i), {1.0, 1.0, 0.7})];
  EXPECT_EQ(counts, (std::vector<size_t>{341, 371, 288}));

  const std::vector<double> weights = {0.429, 0.541, 0.117, 0.998, 0.283,
                                       0.065, 0.109, 0.042, 0.676, 0.943};
  std::vector<size_t> counts10(10);
  for (size_t i = 0; i < 10000; ++i) ++counts10[Wch3(std::to_string(i), weights)];
  EXPECT_EQ(counts10, (std::vector<size_t>{1016, 1252, 288, 2354, 661, 195, 247, 122, 1668, 2197}));
}

uint32_t Wch3Checksum(uint32_t n, double weight, uint32_t keys, const std::string& base = "k") {
  const std::vector<double> weights(n, weight);
  uint32_t acc = 0;
  for (uint32_t i = 0; i < keys; ++i) {
    acc = acc * 31u + static_cast<uint32_t>(Wch3(base + std::to_string(i), weights));
  }
  return acc;
}

TEST(WeightedCh3, McrouterBulkChecksums) {
  const std::pair<uint32_t, uint32_t> unit[] = {
      {2, 1346413954u}, {10, 2894016351u}, {1000, 2251851331u}};
  for (auto [n, expected] : unit) EXPECT_EQ(Wch3Checksum(n, 1.0, 100000), expected) << n;
  const std::pair<uint32_t, uint32_t> half[] = {{2, 2395690262u},
                                                {10, 547444706u},
                                                {100, 2951198297u},
                                                {1000, 1336857622u},
                                                {10000, 3378951161u}};
  for (auto [n, expected] : half) EXPECT_EQ(Wch3Checksum(n, 0.5, 10000), expected) << n;
  const std::pair<uint32_t, uint32_t> zero[] = {
      {2, 3431444300u}, {10, 1290067504u}, {100, 2604325093u}, {1000, 337394182u}};
  for (auto [n, expected] : zero) EXPECT_EQ(Wch3Checksum(n, 0.0, 10000), expected) << n;
}

TEST(WeightedCh3, McrouterLongKeys) {
  // 128-byte keys take SpookyHash's short path; with the salt digits they stay under 192.
  std::string base(128, 'A');
  for (size_t i = 0; i < base.size(); ++i) base[i] = static_cast<char>('A' + i % 26);
  const std::pair<uint32_t, uint32_t> half[] = {
      {2, 3784301429u}, {10, 707485837u}, {100, 4273108085u}, {1000, 954106693u}};
  for (auto [n, expected] : half) EXPECT_EQ(Wch3Checksum(n, 0.5, 10000, base), expected) << n;
  const std::pair<uint32_t, uint32_t> zero[] = {
      {2, 2171781178u}, {10, 2937312667u}, {100, 532711027u}};
  for (auto [n, expected] : zero) EXPECT_EQ(Wch3Checksum(n, 0.0, 10000, base), expected) << n;
}

TEST(WeightedCh3, McrouterMixedWeights) {
  const std::vector<double> weights = {1.0, 0.5, 0.0, 0.75, 1.0};
  std::vector<size_t> counts(5);
  uint32_t acc = 0;
  for (uint32_t i = 0; i < 10000; ++i) {
    const size_t h = Wch3("d" + std::to_string(i), weights);
    ++counts[h];
    acc = acc * 31u + static_cast<uint32_t>(h);
  }
  EXPECT_EQ(counts[2], 0u);
  EXPECT_EQ(acc, 2309057571u);
}

TEST(Crc32Index, McrouterBasic) {
  EXPECT_EQ(McrouterCrc32Index("sample", 100), 7u);
  EXPECT_EQ(McrouterCrc32Index("sample", 1), 0u);
  EXPECT_EQ(McrouterCrc32Index("", 100), 0u);
  EXPECT_EQ(McrouterCrc32Index("", (1 << 30) - 1), 0u);
  EXPECT_EQ(McrouterCrc32Index("sample", (1 << 30) - 1), 822834884u);
  std::string key = AllBytes();
  EXPECT_EQ(McrouterCrc32Index(key, 99999), 11697u);
  std::reverse(key.begin(), key.end());
  EXPECT_EQ(McrouterCrc32Index(key, 99999), 97630u);
}

std::vector<uint64_t> Endpoints(int n) {
  std::vector<uint64_t> hashes;
  for (int i = 0; i < n; ++i)
    hashes.push_back(RendezvousServerHash("xxx." + std::to_string(i) + ".yy"));
  return hashes;
}

TEST(Rendezvous, McrouterBasic) {
  const std::vector<uint64_t> three = Endpoints(3);
  std::string key = AllBytes();
  EXPECT_EQ(RendezvousIndex("sample", three), 1u);
  EXPECT_EQ(RendezvousIndex("", three), 1u);
  EXPECT_EQ(RendezvousIndex("mykey", three), 1u);
  EXPECT_EQ(RendezvousIndex(key, three), 1u);
  const std::vector<uint64_t> many = Endpoints(343);
  EXPECT_EQ(RendezvousIndex(key, many), 183u);
  EXPECT_EQ(RendezvousIndex("sample", many), 45u);
  EXPECT_EQ(RendezvousIndex("", many), 291u);
  EXPECT_EQ(RendezvousIndex("mykey", many), 132u);
}

TEST(Rendezvous, McrouterCounts) {
  for (auto [n, expected] : {std::pair<int, std::vector<size_t>>{3, {337, 353, 310}},
                             std::pair<int, std::vector<size_t>>{
                                 10, {947, 1026, 1028, 981, 1016, 970, 1013, 939, 1023, 1057}}}) {
    const std::vector<uint64_t> servers = Endpoints(n);
    std::vector<size_t> counts(n);
    for (size_t i = 0; i < (n == 3 ? 1000u : 10000u); ++i) {
      ++counts[RendezvousIndex("mykey:" + std::to_string(i), servers)];
    }
    EXPECT_EQ(counts, expected) << n;
  }
}

TEST(Rendezvous, McrouterRemovingOneServer) {
  // Keys that change server when one of 499 is removed (front, back, middle): 14, 24, 15.
  const int n = 499;
  std::vector<std::string> tags;
  for (int i = 0; i < n; ++i) tags.push_back("xxx." + std::to_string(i) + ".yy");
  auto moved = [&](size_t removed) {
    std::vector<uint64_t> all, rest;
    std::vector<std::string> rest_tags;
    for (size_t i = 0; i < tags.size(); ++i) {
      all.push_back(RendezvousServerHash(tags[i]));
      if (i != removed) {
        rest.push_back(all.back());
        rest_tags.push_back(tags[i]);
      }
    }
    int diff = 0;
    for (int i = 0; i < 10000; ++i) {
      const std::string key = "mykey:" + std::to_string(i);
      if (tags[RendezvousIndex(key, all)] != rest_tags[RendezvousIndex(key, rest)]) ++diff;
    }
    return diff;
  };
  EXPECT_EQ(moved(0), 14);
  EXPECT_EQ(moved(n - 1), 24);
  EXPECT_EQ(moved(n / 2), 15);
}

}  // namespace
}  // namespace memfleet::router::hash
