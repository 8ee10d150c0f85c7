#include "storage/hash/hash_function.h"

#include <cstring>

#if __has_include(<xxhash.h>)
#define XXH_INLINE_ALL
#include <xxhash.h>
#define MEMFLEET_HAVE_XXH3 1
#else
#define MEMFLEET_HAVE_XXH3 0
#endif

namespace memfleet::storage {
namespace {

inline uint32_t Rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t Fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

}  // namespace

uint32_t Murmur3Hash(const void* key, size_t len) {
  const auto* data = static_cast<const uint8_t*>(key);
  const size_t nblocks = len / 4;
  uint32_t h1 = 0;
  const uint32_t c1 = 0xcc9e2d51;
  const uint32_t c2 = 0x1b873593;
  for (size_t i = 0; i < nblocks; i++) {
    uint32_t k1;
    std::memcpy(&k1, data + i * 4, 4);  // little-endian hosts only, as memcached
    k1 *= c1;
    k1 = Rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const uint8_t* tail = data + nblocks * 4;
  uint32_t k1 = 0;
  switch (len & 3) {
    case 3:
      k1 ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k1 ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= c1;
      k1 = Rotl32(k1, 15);
      k1 *= c2;
      h1 ^= k1;
  }
  h1 ^= static_cast<uint32_t>(len);
  return Fmix32(h1);
}

// lookup3.c hashlittle(), byte-at-a-time path (gives the same result as the aligned paths).
uint32_t JenkinsHash(const void* key, size_t length) {
  auto mix = [](uint32_t& a, uint32_t& b, uint32_t& c) {
    a -= c;
    a ^= Rotl32(c, 4);
    c += b;
    b -= a;
    b ^= Rotl32(a, 6);
    a += c;
    c -= b;
    c ^= Rotl32(b, 8);
    b += a;
    a -= c;
    a ^= Rotl32(c, 16);
    c += b;
    b -= a;
    b ^= Rotl32(a, 19);
    a += c;
    c -= b;
    c ^= Rotl32(b, 4);
    b += a;
  };
  auto final_mix = [](uint32_t& a, uint32_t& b, uint32_t& c) {
    c ^= b;
    c -= Rotl32(b, 14);
    a ^= c;
    a -= Rotl32(c, 11);
    b ^= a;
    b -= Rotl32(a, 25);
    c ^= b;
    c -= Rotl32(b, 16);
    a ^= c;
    a -= Rotl32(c, 4);
    b ^= a;
    b -= Rotl32(a, 14);
    c ^= b;
    c -= Rotl32(b, 24);
  };
  uint32_t a, b, c;
  a = b = c = 0xdeadbeef + static_cast<uint32_t>(length);
  const auto* k = static_cast<const uint8_t*>(key);
  while (length > 12) {
    a += k[0] + (static_cast<uint32_t>(k[1]) << 8) + (static_cast<uint32_t>(k[2]) << 16) +
         (static_cast<uint32_t>(k[3]) << 24);
    b += k[4] + (static_cast<uint32_t>(k[5]) << 8) + (static_cast<uint32_t>(k[6]) << 16) +
         (static_cast<uint32_t>(k[7]) << 24);
    c += k[8] + (static_cast<uint32_t>(k[9]) << 8) + (static_cast<uint32_t>(k[10]) << 16) +
         (static_cast<uint32_t>(k[11]) << 24);
    mix(a, b, c);
    length -= 12;
    k += 12;
  }
  switch (length) {
    case 12:
      c += static_cast<uint32_t>(k[11]) << 24;
      [[fallthrough]];
    case 11:
      c += static_cast<uint32_t>(k[10]) << 16;
      [[fallthrough]];
    case 10:
      c += static_cast<uint32_t>(k[9]) << 8;
      [[fallthrough]];
    case 9:
      c += k[8];
      [[fallthrough]];
    case 8:
      b += static_cast<uint32_t>(k[7]) << 24;
      [[fallthrough]];
    case 7:
      b += static_cast<uint32_t>(k[6]) << 16;
      [[fallthrough]];
    case 6:
      b += static_cast<uint32_t>(k[5]) << 8;
      [[fallthrough]];
    case 5:
      b += k[4];
      [[fallthrough]];
    case 4:
      a += static_cast<uint32_t>(k[3]) << 24;
      [[fallthrough]];
    case 3:
      a += static_cast<uint32_t>(k[2]) << 16;
      [[fallthrough]];
    case 2:
      a += static_cast<uint32_t>(k[1]) << 8;
      [[fallthrough]];
    case 1:
      a += k[0];
      break;
    case 0:
      return c;
  }
  final_mix(a, b, c);
  return c;
}

uint32_t Xxh3Hash(const void* key, size_t len) {
#if MEMFLEET_HAVE_XXH3
  return static_cast<uint32_t>(XXH3_64bits(key, len));
#else
  return Murmur3Hash(key, len);
#endif
}

bool Xxh3Available() { return MEMFLEET_HAVE_XXH3 != 0; }

HashFn HashFunctionByName(std::string_view name) {
  if (name == "murmur3") return &Murmur3Hash;
  if (name == "jenkins") return &JenkinsHash;
  if (name == "xxh3") return &Xxh3Hash;
  return nullptr;
}

}  // namespace memfleet::storage
