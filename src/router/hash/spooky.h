// SpookyHash V2 (Bob Jenkins, public domain, August 2012 revision), the 128-bit hash mcrouter's
// WeightedCh3 draws its per-key "probability" from (folly::hash::SpookyHashV2::Hash32). Results are
// those of a little-endian machine, as the reference defines them.
//
// Pure functions over bytes; thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace memfleet::router::hash {

struct Spooky128 {
  uint64_t h1;
  uint64_t h2;
};

// The 128-bit SpookyHash V2 of data with the two seeds.
Spooky128 SpookyHash128(std::string_view data, uint64_t seed1, uint64_t seed2);

// The reference's 64-bit form: both seeds = seed, the first half of the result.
inline uint64_t SpookyHash64(std::string_view data, uint64_t seed) {
  return SpookyHash128(data, seed, seed).h1;
}

// The reference's 32-bit form: both seeds = seed, the low 32 bits of the first half.
inline uint32_t SpookyHash32(std::string_view data, uint32_t seed) {
  return static_cast<uint32_t>(SpookyHash128(data, seed, seed).h1);
}

}  // namespace memfleet::router::hash
