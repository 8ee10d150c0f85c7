// KeySpace and ValuePattern: how memfleet-bench names its keys and fills its values so that every
// hit can be verified without remembering anything per key.
//
// Key i (0 <= i < count) is "k" followed by i in decimal, left-padded with '0' to key_size bytes,
// so a key is formatted in place with no allocation. The value of a key of a given length is a
// slice of one fixed pseudo-random pool, starting at an offset derived from a hash of the key text
// and the length: the value is a checksum of its key. Verify() recomputes the offset and compares,
// so a value stored under the wrong key, truncated, or corrupted fails. The pool is built from a
// fixed seed, so separate runs (prefill now, verify later) agree. Both are immutable after
// construction and may be shared by all threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace memfleet::bench {

class KeySpace {
 public:
  // REQUIRES: key_size is large enough for "k" plus the digits of count - 1, and <= 250.
  KeySpace(uint64_t count, size_t key_size) : count_(count), key_size_(key_size) {}
  // The smallest key_size that can name `count` keys.
  static size_t MinKeySize(uint64_t count);

  uint64_t count() const { return count_; }
  size_t key_size() const { return key_size_; }
  // Writes key `index` at dst (key_size() bytes, no terminator).
  void Format(uint64_t index, char* dst) const;

 private:
  uint64_t count_;
  size_t key_size_;
};

class ValuePattern {
 public:
  static constexpr size_t kPoolSize = size_t{1} << 20;

  // REQUIRES: max_value_size <= 64 MiB.
  explicit ValuePattern(size_t max_value_size);

  // The value of `key` with `length` bytes (a view into the pool). REQUIRES: length <= max.
  std::string_view ValueFor(std::string_view key, size_t length) const {
    return std::string_view(pool_.data() + Offset(key, length), length);
  }
  // True when `value` is exactly what ValueFor(key, value.size()) returns.
  bool Verify(std::string_view key, std::string_view value) const;
  size_t max_value_size() const { return max_value_size_; }

  static uint64_t HashKey(std::string_view key);

 private:
  static size_t Offset(std::string_view key, size_t length) {
    return static_cast<size_t>((HashKey(key) ^ (length * 0x9e3779b97f4a7c15ULL)) % kPoolSize);
  }
  size_t max_value_size_;
  std::vector<char> pool_;
};

}  // namespace memfleet::bench
