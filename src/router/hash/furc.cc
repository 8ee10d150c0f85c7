// furc_hash walks a binary decision tree over an endless pseudo-random bit stream of the key:
// word 0 of the stream is MurmurHash64A(key, kFurcSeed), word k is MurmurHash64A of word k-1 as
// eight bytes with the same seed. With d = bit length of (m - 1):
//
//   a = d
//   up to 32 tries:
//     while bit a is 0: d -= 1 (0 -> answer 0); a = d        // pick the tree depth
//     a += 23; num = 1
//     d - 1 times: num = num << 1 | bit a; a += 23            // read a d-bit number
//     num < m -> answer num
//   answer 0
//
// The bit indices and the stride 23 (which caps the supported pool size at 2^23) are mcrouter's;
// every placement depends on them.
#include "router/hash/furc.h"

#include <cstring>

namespace memfleet::router::hash {
namespace {

constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
constexpr int kShift = 47;
constexpr uint32_t kStride = 23;
constexpr uint32_t kMaxTries = 32;
// Enough 64-bit words for every bit index the walk can reach (at most ~23.6k bits).
constexpr int kCacheWords = 1024;

// MurmurHash64A of one 64-bit word (the stream's next word from the previous one).
uint64_t Rehash(uint64_t k) {
  uint64_t h = uint64_t{kFurcSeed} ^ (8 * kMul);
  k *= kMul;
  k ^= k >> kShift;
  k *= kMul;
  h ^= k;
  h *= kMul;
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

// The key's bit stream, computed lazily word by word.
class BitStream {
 public:
  explicit BitStream(std::string_view key) : key_(key) {}

  uint32_t Bit(uint32_t index) {
    const int word = static_cast<int>(index >> 6);
    for (; filled_ < word; ++filled_) {
      words_[filled_ + 1] = filled_ < 0 ? MurmurHash64A(key_, kFurcSeed) : Rehash(words_[filled_]);
    }
    return static_cast<uint32_t>(words_[word] >> (index & 63)) & 1;
  }

 private:
  std::string_view key_;
  int filled_ = -1;  // the highest word computed
  uint64_t words_[kCacheWords];
};

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t len = data.size();
  uint64_t h = seed ^ (len * kMul);
  const uint8_t* end = p + (len / 8) * 8;
  for (; p != end; p += 8) {
    uint64_t k;
    std::memcpy(&k, p, 8);
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }
  const size_t rest = len & 7;
  if (rest != 0) {
    for (size_t i = rest; i-- > 0;) h ^= uint64_t{p[i]} << (8 * i);
    h *= kMul;
  }
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

uint32_t FurcHash(std::string_view key, uint32_t m) {
  if (m <= 1) return 0;
  BitStream bits(key);
  uint32_t d = 32u - static_cast<uint32_t>(__builtin_clz(m - 1u));
  uint32_t a = d;
  for (uint32_t attempt = 0; attempt < kMaxTries; ++attempt) {
    while (!bits.Bit(a)) {
      if (--d == 0) return 0;
      a = d;
    }
    a += kStride;
    uint32_t num = 1;
    for (uint32_t i = 0; i + 1 < d; ++i) {
      num = (num << 1) | bits.Bit(a);
      a += kStride;
    }
    if (num < m) return num;
  }
  return 0;
}

}  // namespace memfleet::router::hash
