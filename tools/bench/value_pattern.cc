#include "value_pattern.h"

#include <cstring>

namespace memfleet::bench {

size_t KeySpace::MinKeySize(uint64_t count) {
  size_t digits = 1;
  for (uint64_t v = count > 0 ? count - 1 : 0; v >= 10; v /= 10) ++digits;
  return 1 + digits;
}

void KeySpace::Format(uint64_t index, char* dst) const {
  dst[0] = 'k';
  char* p = dst + key_size_;
  while (p > dst + 1) {
    *--p = static_cast<char>('0' + index % 10);
    index /= 10;
    if (index == 0) break;
  }
  if (p > dst + 1) std::memset(dst + 1, '0', static_cast<size_t>(p - (dst + 1)));
}

uint64_t ValuePattern::HashKey(std::string_view key) {
  // FNV-1a, then a final avalanche so that neighbouring keys land far apart in the pool.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

ValuePattern::ValuePattern(size_t max_value_size)
    : max_value_size_(max_value_size), pool_(kPoolSize + max_value_size) {
  uint64_t x = 0x6d656d666c656574ULL;  // "memfleet": fixed so that separate runs agree
  for (size_t i = 0; i < pool_.size(); i += 8) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::memcpy(pool_.data() + i, &z, std::min<size_t>(8, pool_.size() - i));
  }
}

bool ValuePattern::Verify(std::string_view key, std::string_view value) const {
  if (value.size() > max_value_size_) return false;
  return std::memcmp(pool_.data() + Offset(key, value.size()), value.data(), value.size()) == 0;
}

}  // namespace memfleet::bench
