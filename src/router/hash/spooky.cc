// SpookyHash V2. Messages under 192 bytes take the "short" path: a 4-word state fed 32 bytes at a
// time, then the last 0..31 bytes with the length in the top byte of the fourth word. Longer ones
// take the "long" path: a 12-word state fed 96-byte blocks, then the zero-padded last block with
// its length in its final byte, and three rounds of end mixing. The rotation constants are the
// algorithm's; changing any of them changes every placement that depends on it.
#include "router/hash/spooky.h"

#include <cstring>

namespace memfleet::router::hash {
namespace {

constexpr uint64_t kConst = 0xdeadbeefdeadbeefULL;
constexpr size_t kVars = 12;                // words of long-path state
constexpr size_t kBlock = kVars * 8;        // 96 bytes per long-path block
constexpr size_t kShortLimit = 2 * kBlock;  // messages shorter than 192 bytes take the short path

inline uint64_t Rot(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only, as the reference
}

inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void ShortMix(uint64_t& h0, uint64_t& h1, uint64_t& h2, uint64_t& h3) {
  static constexpr int kRot[12] = {50, 52, 30, 41, 54, 48, 38, 37, 62, 34, 5, 36};
  uint64_t* h[4] = {&h0, &h1, &h2, &h3};
  // Step i rotates word (i+2)%4, adds word (i+3)%4 to it and xors it into word i%4.
  for (int i = 0; i < 12; ++i) {
    uint64_t& x = *h[(i + 2) % 4];
    x = Rot(x, kRot[i]);
    x += *h[(i + 3) % 4];
    *h[i % 4] ^= x;
  }
}

void ShortEnd(uint64_t& h0, uint64_t& h1, uint64_t& h2, uint64_t& h3) {
  static constexpr int kRot[11] = {15, 52, 26, 51, 28, 9, 47, 54, 32, 25, 63};
  uint64_t* h[4] = {&h0, &h1, &h2, &h3};
  // Step i: word (i+3)%4 ^= word (i+2)%4; rotate word (i+2)%4; add it to word (i+3)%4.
  for (int i = 0; i < 11; ++i) {
    uint64_t& x = *h[(i + 2) % 4];
    uint64_t& y = *h[(i + 3) % 4];
    y ^= x;
    x = Rot(x, kRot[i]);
    y += x;
  }
}

Spooky128 Short(const uint8_t* p, size_t length, uint64_t seed1, uint64_t seed2) {
  uint64_t a = seed1, b = seed2, c = kConst, d = kConst;
  size_t remainder = length % 32;
  if (length > 15) {
    for (const uint8_t* end = p + (length / 32) * 32; p < end; p += 32) {
      c += Load64(p);
      d += Load64(p + 8);
      ShortMix(a, b, c, d);
      a += Load64(p + 16);
      b += Load64(p + 24);
    }
    if (remainder >= 16) {
      c += Load64(p);
      d += Load64(p + 8);
      ShortMix(a, b, c, d);
      p += 16;
      remainder -= 16;
    }
  }
  d += uint64_t{length} << 56;
  // The last 0..15 bytes: bytes 0..7 go to c, 8..15 to d, little-endian.
  if (remainder == 0) {
    c += kConst;
    d += kConst;
  } else {
    uint8_t tail[16] = {};
    std::memcpy(tail, p, remainder);
    if (remainder >= 12) {
      c += Load64(tail);
      d += Load32(tail + 8) + (uint64_t{tail[12]} << 32) + (uint64_t{tail[13]} << 40) +
           (uint64_t{tail[14]} << 48);
    } else if (remainder >= 8) {
      c += Load64(tail);
      d += uint64_t{tail[8]} + (uint64_t{tail[9]} << 8) + (uint64_t{tail[10]} << 16);
    } else if (remainder >= 4) {
      c += Load32(tail) + (uint64_t{tail[4]} << 32) + (uint64_t{tail[5]} << 40) +
           (uint64_t{tail[6]} << 48);
    } else {
      c += uint64_t{tail[0]} + (uint64_t{tail[1]} << 8) + (uint64_t{tail[2]} << 16);
    }
  }
  ShortEnd(a, b, c, d);
  return {a, b};
}

void Mix(const uint8_t* data, uint64_t s[kVars]) {
  static constexpr int kRot[kVars] = {11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46};
  // Step i: s[i] += word i; s[i+2] ^= s[i+10]; s[i+11] ^= s[i]; rotate s[i]; s[i+11] += s[i+1]
  // (indices mod 12).
  for (size_t i = 0; i < kVars; ++i) {
    s[i] += Load64(data + 8 * i);
    s[(i + 2) % kVars] ^= s[(i + 10) % kVars];
    s[(i + 11) % kVars] ^= s[i];
    s[i] = Rot(s[i], kRot[i]);
    s[(i + 11) % kVars] += s[(i + 1) % kVars];
  }
}

void EndPartial(uint64_t h[kVars]) {
  static constexpr int kRot[kVars] = {44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54};
  // Step i: h[i+11] += h[i+1]; h[i+2] ^= h[i+11]; rotate h[i+1] (indices mod 12).
  for (size_t i = 0; i < kVars; ++i) {
    h[(i + 11) % kVars] += h[(i + 1) % kVars];
    h[(i + 2) % kVars] ^= h[(i + 11) % kVars];
    h[(i + 1) % kVars] = Rot(h[(i + 1) % kVars], kRot[i]);
  }
}

Spooky128 Long(const uint8_t* p, size_t length, uint64_t seed1, uint64_t seed2) {
  uint64_t h[kVars];
  for (size_t i = 0; i < kVars; i += 3) {
    h[i] = seed1;
    h[i + 1] = seed2;
    h[i + 2] = kConst;
  }
  const size_t whole = (length / kBlock) * kBlock;
  for (size_t off = 0; off < whole; off += kBlock) Mix(p + off, h);

  const size_t remainder = length - whole;
  uint8_t last[kBlock] = {};
  std::memcpy(last, p + whole, remainder);
  last[kBlock - 1] = static_cast<uint8_t>(remainder);
  for (size_t i = 0; i < kVars; ++i) h[i] += Load64(last + 8 * i);
  for (int round = 0; round < 3; ++round) EndPartial(h);
  return {h[0], h[1]};
}

}  // namespace

Spooky128 SpookyHash128(std::string_view data, uint64_t seed1, uint64_t seed2) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  if (data.size() < kShortLimit) return Short(p, data.size(), seed1, seed2);
  return Long(p, data.size(), seed1, seed2);
}

}  // namespace memfleet::router::hash
