// KeyScan: a quick look ahead over pipelined text and meta requests, to find the keys that are
// about to be looked up so that the engine can prefetch them (storage::Engine::Prefetch).
//
// It is not a parser: it recognises the common commands by their first token, takes their first
// key, skips the data block of storage commands by its announced length, and stops at the first
// line it does not know, an incomplete request, or a malformed length. Whatever it returns is only
// a hint; ParseRequest decides what every line means.
#pragma once

#include <cstddef>
#include <string_view>

namespace memfleet::protocol::text {

struct KeyScanResult {
  size_t keys = 0;     // keys stored
  size_t scanned = 0;  // bytes of whole requests looked at (a resume point)
};

// Scans the requests at the start of buf and stores the first key of each in keys[0..max_keys).
KeyScanResult ScanKeys(std::string_view buf, std::string_view* keys, size_t max_keys);

}  // namespace memfleet::protocol::text
