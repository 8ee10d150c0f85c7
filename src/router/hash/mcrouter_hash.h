// mcrouter's hash functions, placing keys exactly as mcrouter's HashRoute does for the same key
// (after the route's salt is appended) and the same number of servers:
//
//   Ch3          FurcHash(key, n)                              (mcrouter/lib/Ch3HashFunc.h)
//   WeightedCh3  Ch3 accepting the pick when SpookyHash32(key, 0xface2014) < weight * 2^32-1,
//                else retrying with key + "0", "1", ... "9", "01", "11"... (the reversed decimal
//                counter), up to 32 tries, then the last pick        (WeightedCh3HashFunc.cpp)
//   Crc32        (crc32(key) & 0x7fffffff) % n                    (Crc32HashFunc.h)
//   Rendezvous   the server whose score hash128to64(MurmurHash64A(tag, 4193360111),
//                MurmurHash64A(key, 2718281828)), compared as a double, is highest; the higher
//                index wins a tie                                   (RendezvousHashFunc.cpp)
//
// Pure functions; thread-safe. WeightedCh3Index allocates only for keys over 256 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace memfleet::router::hash {

// mcrouter's Ch3: REQUIRES 1 <= n <= kFurcMaxPoolSize.
size_t Ch3Index(std::string_view key, size_t n);

// mcrouter's WeightedCh3 over weights.size() servers. REQUIRES: every weight in [0, 1].
size_t WeightedCh3Index(std::string_view key, std::span<const double> weights);

// mcrouter's Crc32. REQUIRES n >= 1.
size_t McrouterCrc32Index(std::string_view key, size_t n);

// The per-server half of mcrouter's Rendezvous score: the hash of the server's tag.
uint64_t RendezvousServerHash(std::string_view tag);

// mcrouter's Rendezvous given the servers' RendezvousServerHash values. REQUIRES: non-empty.
size_t RendezvousIndex(std::string_view key, std::span<const uint64_t> server_hashes);

}  // namespace memfleet::router::hash
