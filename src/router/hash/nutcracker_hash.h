// The 32-bit key hashes of twemproxy (nutcracker's `hash:` setting, src/hashkit/) and, under the
// same names, of libmemcached's libhashkit (MEMCACHED_BEHAVIOR_HASH): one_at_a_time, md5, crc16,
// crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins.
//
// They reproduce the references bit for bit on x86-64, including their quirks, which decide
// placement: bytes are read as signed `char` where the references do (so bytes >= 0x80 are
// sign-extended: fnv*, one_at_a_time, hsieh's 3-byte tail), "fnv1a_64" is FNV-1a on 32 bits with
// the truncated 64-bit offset basis and prime, "crc32" is libmemcached's 15-bit
// ((~crc >> 16) & 0x7fff) while "crc32a" is the plain CRC-32, "md5" is the first digest word read
// little-endian, and crc16 keeps the bits it shifts past 16.
//
// Pure functions; thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace memfleet::router::hash {

enum class NutcrackerHashKind {
  kOneAtATime,
  kMd5,
  kCrc16,
  kCrc32,
  kCrc32a,
  kFnv1_64,
  kFnv1a_64,
  kFnv1_32,
  kFnv1a_32,
  kHsieh,
  kMurmur,
  kJenkins,
};

// The kind a twemproxy/libhashkit name stands for ("fnv1a_64", "md5"... case-insensitive);
// InvalidArgument naming the known ones otherwise.
Result<NutcrackerHashKind> ParseNutcrackerHash(std::string_view name);

// The hash of key by the given function.
uint32_t NutcrackerHash(NutcrackerHashKind kind, std::string_view key);

// The hash of key by the function named name (as twemproxy's yml spells it).
Result<uint32_t> NutcrackerHash(std::string_view name, std::string_view key);

}  // namespace memfleet::router::hash
