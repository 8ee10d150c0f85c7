// MD5 (RFC 1321): the digest libmemcached's and twemproxy's ketama continua are built from, and
// their "md5" key hash. Not for security: placement only.
//
// Pure functions over bytes; thread-safe; no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace memfleet::router::hash {

using Md5Digest = std::array<uint8_t, 16>;

// The 16-byte MD5 digest of data.
Md5Digest Md5(std::string_view data);

// Word `alignment` (0..3) of an MD5 digest read little-endian: bytes 4*alignment .. 4*alignment+3.
// libmemcached and twemproxy take ketama points and the md5 key hash this way.
inline uint32_t Md5Word(const Md5Digest& digest, unsigned alignment) {
  const uint8_t* p = digest.data() + 4 * alignment;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

}  // namespace memfleet::router::hash
