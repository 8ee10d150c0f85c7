#include "router/hash/mcrouter_hash.h"

#include <cstring>
#include <limits>
#include <string>

#include "router/hash/crc32.h"
#include "router/hash/furc.h"
#include "router/hash/spooky.h"

namespace memfleet::router::hash {
namespace {

constexpr uint32_t kWeightedCh3Seed = 0xface2014;
constexpr size_t kWeightedCh3Tries = 32;
constexpr size_t kMaxSaltDigits = 20;  // a size_t in decimal
constexpr size_t kStackKey = 256;

constexpr uint64_t kRendezvousServerSeed = 4193360111ull;
constexpr uint64_t kRendezvousKeySeed = 2718281828ull;

// CityHash's Hash128to64: mixes the server and key hashes into a score.
uint64_t Hash128To64(uint64_t upper, uint64_t lower) {
  constexpr uint64_t kMul = 0x9ddfea08eb382d69ULL;
  uint64_t a = (lower ^ upper) * kMul;
  a ^= a >> 47;
  uint64_t b = (upper ^ a) * kMul;
  b ^= b >> 47;
  b *= kMul;
  return b;
}

}  // namespace

size_t Ch3Index(std::string_view key, size_t n) { return FurcHash(key, static_cast<uint32_t>(n)); }

size_t WeightedCh3Index(std::string_view key, std::span<const double> weights) {
  const auto n = static_cast<uint32_t>(weights.size());
  const size_t key_len = key.size();
  char stack_buf[kStackKey + kMaxSaltDigits];
  std::string heap_buf;
  char* buf = nullptr;
  size_t salt = 0;
  size_t index = 0;
  for (size_t attempt = 0; attempt < kWeightedCh3Tries; ++attempt) {
    index = FurcHash(key, n);
    // The 32-bit probability is compared in 64 bits; the threshold truncates as mcrouter's.
    const uint64_t p = SpookyHash32(key, kWeightedCh3Seed);
    const auto w = static_cast<uint64_t>(weights[index] * std::numeric_limits<uint32_t>::max());
    if (p < w) return index;

    if (buf == nullptr) {
      if (key_len <= kStackKey) {
        buf = stack_buf;
      } else {
        heap_buf.resize(key_len + kMaxSaltDigits);
        buf = heap_buf.data();
      }
      std::memcpy(buf, key.data(), key_len);
    }
    // The salt's decimal digits, least significant first.
    size_t s = salt++;
    size_t salt_len = 0;
    do {
      buf[key_len + salt_len++] = static_cast<char>('0' + s % 10);
      s /= 10;
    } while (s > 0);
    key = std::string_view(buf, key_len + salt_len);
  }
  return index;
}

size_t McrouterCrc32Index(std::string_view key, size_t n) { return (Crc32(key) & 0x7fffffffu) % n; }

uint64_t RendezvousServerHash(std::string_view tag) {
  return MurmurHash64A(tag, kRendezvousServerSeed);
}

size_t RendezvousIndex(std::string_view key, std::span<const uint64_t> server_hashes) {
  const uint64_t key_hash = MurmurHash64A(key, kRendezvousKeySeed);
  // mcrouter compares the scores as doubles, so scores that round alike tie; the later wins.
  double best = -1.0;
  size_t best_index = 0;
  for (size_t i = 0; i < server_hashes.size(); ++i) {
    const auto score = static_cast<double>(Hash128To64(server_hashes[i], key_hash));
    if (score >= best) {
      best = score;
      best_index = i;
    }
  }
  return best_index;
}

}  // namespace memfleet::router::hash
