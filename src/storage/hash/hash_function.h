// HashFunction: the key hash used by the hash table and the item lock stripes.
//
// Pure functions with no state; any thread may call them. "murmur3" (MurmurHash3_x86_32, seed 0,
// memcached's default), "jenkins" (Bob Jenkins' lookup3 hashlittle, initval 0) and "xxh3" (the
// low 32 bits of XXH3_64bits, available when <xxhash.h> is installed; used header-only, so no
// link line is needed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace memfleet::storage {

using HashFn = uint32_t (*)(const void* key, size_t len);

uint32_t Murmur3Hash(const void* key, size_t len);
uint32_t JenkinsHash(const void* key, size_t len);
// Falls back to Murmur3Hash when xxhash is not available at build time.
uint32_t Xxh3Hash(const void* key, size_t len);
bool Xxh3Available();

// Returns the function for a settings name, or nullptr for an unknown name.
HashFn HashFunctionByName(std::string_view name);

}  // namespace memfleet::storage
