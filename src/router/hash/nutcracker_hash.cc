// Each function mirrors its twemproxy 0.5.0 / libhashkit counterpart; where a reference converts
// a `char` (signed on x86-64) to a wider type, SignedByte does the same.
#include "router/hash/nutcracker_hash.h"

#include <array>
#include <cstring>
#include <string>

#include "router/hash/crc32.h"
#include "router/hash/md5.h"

namespace memfleet::router::hash {
namespace {

// A key byte as the references' `(uint32_t)key[i]` sees it: sign-extended.
inline uint32_t SignedByte(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}
inline uint64_t SignedByte64(char c) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<signed char>(c)));
}

uint32_t OneAtATime(std::string_view key) {
  uint32_t value = 0;
  for (char c : key) {
    value += SignedByte(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

uint32_t Md5Hash(std::string_view key) { return Md5Word(Md5(key), 0); }

constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  // CRC-16/XMODEM (polynomial 0x1021, not reflected), as twemproxy's table.
  std::array<uint16_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i << 8;
    for (int k = 0; k < 8; ++k) c = (c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1;
    table[i] = static_cast<uint16_t>(c);
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

uint32_t Crc16(std::string_view key) {
  uint32_t crc = 0;
  for (char c : key) crc = (crc << 8) ^ kCrc16Table[((crc >> 8) ^ SignedByte(c)) & 0xff];
  return crc;  // twemproxy does not mask to 16 bits
}

uint32_t Crc32Libmemcached(std::string_view key) { return (Crc32(key) >> 16) & 0x7fff; }

constexpr uint64_t kFnv64Init = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnv64Prime = 0x100000001b3ULL;
constexpr uint32_t kFnv32Init = 2166136261u;
constexpr uint32_t kFnv32Prime = 16777619u;

uint32_t Fnv1_64(std::string_view key) {
  uint64_t hash = kFnv64Init;
  for (char c : key) {
    hash *= kFnv64Prime;
    hash ^= SignedByte64(c);
  }
  return static_cast<uint32_t>(hash);
}

uint32_t Fnv1a_64(std::string_view key) {
  // Not FNV-1a 64: the references run it on 32 bits with the truncated constants.
  uint32_t hash = static_cast<uint32_t>(kFnv64Init);
  for (char c : key) {
    hash ^= SignedByte(c);
    hash *= static_cast<uint32_t>(kFnv64Prime);
  }
  return hash;
}

uint32_t Fnv1_32(std::string_view key) {
  uint32_t hash = kFnv32Init;
  for (char c : key) {
    hash *= kFnv32Prime;
    hash ^= SignedByte(c);
  }
  return hash;
}

uint32_t Fnv1a_32(std::string_view key) {
  uint32_t hash = kFnv32Init;
  for (char c : key) {
    hash ^= SignedByte(c);
    hash *= kFnv32Prime;
  }
  return hash;
}

// Paul Hsieh's SuperFastHash.
uint32_t Hsieh(std::string_view key) {
  if (key.empty()) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  auto get16 = [](const uint8_t* q) { return uint32_t{q[0]} | uint32_t{q[1]} << 8; };
  uint32_t hash = 0;
  const size_t rem = key.size() & 3;
  for (size_t blocks = key.size() >> 2; blocks > 0; --blocks) {
    hash += get16(p);
    const uint32_t tmp = (get16(p + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    p += 4;
    hash += hash >> 11;
  }
  switch (rem) {
    case 3:
      hash += get16(p);
      hash ^= hash << 16;
      hash ^= SignedByte(static_cast<char>(p[2])) << 18;
      hash += hash >> 11;
      break;
    case 2:
      hash += get16(p);
      hash ^= hash << 11;
      hash += hash >> 17;
      break;
    case 1:
      hash += p[0];
      hash ^= hash << 10;
      hash += hash >> 1;
      break;
    default:
      break;
  }
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

// MurmurHash2 (32-bit) with libmemcached's seed: 0xdeadbeef * length.
uint32_t Murmur(std::string_view key) {
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  size_t length = key.size();
  const uint32_t seed = 0xdeadbeefu * static_cast<uint32_t>(length);
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  while (length >= 4) {
    uint32_t k;
    std::memcpy(&k, data, 4);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
    data += 4;
    length -= 4;
  }
  if (length > 0) {
    for (size_t i = length; i-- > 0;) h ^= uint32_t{data[i]} << (8 * i);
    h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

inline uint32_t Rot32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// Bob Jenkins' lookup3 hashlittle with initval 13 (libmemcached's JENKINS_INITVAL). The
// references' aligned word reads give the same values as these byte reads on little-endian hosts.
uint32_t Jenkins(std::string_view key) {
  size_t length = key.size();
  uint32_t a, b, c;
  a = b = c = 0xdeadbeef + static_cast<uint32_t>(length) + 13;
  const auto* k = reinterpret_cast<const uint8_t*>(key.data());
  auto word = [](const uint8_t* q, size_t n) {  // n (1..4) bytes little-endian
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint32_t{q[i]} << (8 * i);
    return v;
  };
  while (length > 12) {
    a += word(k, 4);
    b += word(k + 4, 4);
    c += word(k + 8, 4);
    a -= c;
    a ^= Rot32(c, 4);
    c += b;
    b -= a;
    b ^= Rot32(a, 6);
    a += c;
    c -= b;
    c ^= Rot32(b, 8);
    b += a;
    a -= c;
    a ^= Rot32(c, 16);
    c += b;
    b -= a;
    b ^= Rot32(a, 19);
    a += c;
    c -= b;
    c ^= Rot32(b, 4);
    b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  a += word(k, length < 4 ? length : 4);
  if (length > 4) b += word(k + 4, length < 8 ? length - 4 : 4);
  if (length > 8) c += word(k + 8, length - 8);
  c ^= b;
  c -= Rot32(b, 14);
  a ^= c;
  a -= Rot32(c, 11);
  b ^= a;
  b -= Rot32(a, 25);
  c ^= b;
  c -= Rot32(b, 16);
  a ^= c;
  a -= Rot32(c, 4);
  b ^= a;
  b -= Rot32(a, 14);
  c ^= b;
  c -= Rot32(b, 24);
  return c;
}

struct NamedKind {
  std::string_view name;
  NutcrackerHashKind kind;
};

constexpr NamedKind kNames[] = {
    {"one_at_a_time", NutcrackerHashKind::kOneAtATime},
    {"md5", NutcrackerHashKind::kMd5},
    {"crc16", NutcrackerHashKind::kCrc16},
    {"crc32", NutcrackerHashKind::kCrc32},
    {"crc32a", NutcrackerHashKind::kCrc32a},
    {"fnv1_64", NutcrackerHashKind::kFnv1_64},
    {"fnv1a_64", NutcrackerHashKind::kFnv1a_64},
    {"fnv1_32", NutcrackerHashKind::kFnv1_32},
    {"fnv1a_32", NutcrackerHashKind::kFnv1a_32},
    {"hsieh", NutcrackerHashKind::kHsieh},
    {"murmur", NutcrackerHashKind::kMurmur},
    {"jenkins", NutcrackerHashKind::kJenkins},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

Result<NutcrackerHashKind> ParseNutcrackerHash(std::string_view name) {
  for (const NamedKind& entry : kNames) {
    if (EqualsIgnoreCase(entry.name, name)) return entry.kind;
  }
  std::string known;
  for (const NamedKind& entry : kNames) {
    if (!known.empty()) known += ", ";
    known += entry.name;
  }
  return Status::InvalidArgument("unknown hash function \"" + std::string(name) +
                                 "\" (known: " + known + ")");
}

uint32_t NutcrackerHash(NutcrackerHashKind kind, std::string_view key) {
  switch (kind) {
    case NutcrackerHashKind::kOneAtATime:
      return OneAtATime(key);
    case NutcrackerHashKind::kMd5:
      return Md5Hash(key);
    case NutcrackerHashKind::kCrc16:
      return Crc16(key);
    case NutcrackerHashKind::kCrc32:
      return Crc32Libmemcached(key);
    case NutcrackerHashKind::kCrc32a:
      return Crc32(key);
    case NutcrackerHashKind::kFnv1_64:
      return Fnv1_64(key);
    case NutcrackerHashKind::kFnv1a_64:
      return Fnv1a_64(key);
    case NutcrackerHashKind::kFnv1_32:
      return Fnv1_32(key);
    case NutcrackerHashKind::kFnv1a_32:
      return Fnv1a_32(key);
    case NutcrackerHashKind::kHsieh:
      return Hsieh(key);
    case NutcrackerHashKind::kMurmur:
      return Murmur(key);
    case NutcrackerHashKind::kJenkins:
      return Jenkins(key);
  }
  return 0;
}

Result<uint32_t> NutcrackerHash(std::string_view name, std::string_view key) {
  Result<NutcrackerHashKind> kind = ParseNutcrackerHash(name);
  if (!kind.ok()) return kind.status();
  return NutcrackerHash(kind.value(), key);
}

}  // namespace memfleet::router::hash
