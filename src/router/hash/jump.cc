#include "router/hash/jump.h"

namespace memfleet::router::hash {

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

uint32_t JumpConsistentHash(uint64_t key, uint32_t buckets) {
  // Each step jumps forward to the next bucket count at which the key would move, drawn from a
  // linear congruential generator seeded with the key; the last jump below `buckets` wins.
  int64_t b = -1;
  int64_t j = 0;
  while (j < static_cast<int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<int64_t>(static_cast<double>(b + 1) * (static_cast<double>(int64_t{1} << 31) /
                                                           static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<uint32_t>(b);
}

}  // namespace memfleet::router::hash
