// furc_hash ("consistent hashing 3", mcrouter's Ch3) and the MurmurHash64A it is built on.
//
// furc_hash maps a key to one of m buckets so that growing m to m+1 moves only about 1/(m+1) of
// the keys, all of them to the new bucket. It walks a binary decision tree whose bits come from
// MurmurHash64A of the key (seed 4193360111) and from re-hashing that value; see furc.cc.
// mcrouter's Ch3 is exactly FurcHash(key, n); its Rendezvous hashes keys and server tags with
// MurmurHash64A too.
//
// Pure functions; thread-safe; no allocation (FurcHash keeps an 8 KiB bit cache on the stack).
#pragma once

#include <cstdint>
#include <string_view>

namespace memfleet::router::hash {

// The largest pool mcrouter's Ch3 accepts (2^23); FurcHash is defined for any m, as mcrouter's.
inline constexpr uint32_t kFurcMaxPoolSize = uint32_t{1} << 23;

// The seed furc_hash gives MurmurHash64A (also mcrouter's Rendezvous server-tag seed).
inline constexpr uint32_t kFurcSeed = 4193360111u;

// Austin Appleby's MurmurHash64A (64-bit MurmurHash2), little-endian reads.
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

// The bucket in [0, m) for key; 0 when m <= 1.
uint32_t FurcHash(std::string_view key, uint32_t m);

}  // namespace memfleet::router::hash
