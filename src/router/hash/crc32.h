// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's crc32): mcrouter's Crc32 hash and
// twemproxy's crc32/crc32a start from it.
//
// Pure function; thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace memfleet::router::hash {

// The standard CRC-32 of data (initial value and final xor 0xFFFFFFFF): "123456789" -> 0xCBF43926.
uint32_t Crc32(std::string_view data);

}  // namespace memfleet::router::hash
