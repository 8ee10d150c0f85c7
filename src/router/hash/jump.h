// Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
// 2014) and the 64-bit key hash memfleet feeds it: FNV-1a 64 (offset basis 0xcbf29ce484222325,
// prime 0x100000001b3, over the key's bytes as unsigned). The same FNV-1a 64 modulo n is the
// Modula function.
//
// Pure functions; thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace memfleet::router::hash {

// FNV-1a, 64-bit, over unsigned bytes.
uint64_t Fnv1a64(std::string_view data);

// The bucket in [0, buckets) for a 64-bit key. REQUIRES: buckets >= 1.
uint32_t JumpConsistentHash(uint64_t key, uint32_t buckets);

}  // namespace memfleet::router::hash
