// SlabClasses: the chunk sizes of the slab classes, computed from -f, -n and slab_chunk_max.
//
// A pure function of the settings; the result is immutable and shared by every thread.
// Class ids start at 1 (0 means "no class"), as in memcached's `stats slabs`.
#pragma once

#include <cstdint>
#include <vector>

#include "common/settings.h"

namespace memfleet::storage {

inline constexpr uint32_t kChunkAlign = 4;
// memcached's limit (MAX_NUMBER_OF_SLAB_CLASSES - 1) applies to explicit -f/-n; the finer default
// classes may use more ids.
inline constexpr int kMaxClassesExplicit = 63;
inline constexpr int kMaxClasses = 200;

struct SlabClassSizes {
  // sizes[i] is the chunk size of class i; sizes[0] is unused (0).
  std::vector<uint32_t> sizes;
  int largest() const { return static_cast<int>(sizes.size()) - 1; }
};

// slab_chunk_max: the largest chunk (min of settings.slab_chunk_size_max, -I and the page size).
// header_base: the fixed item header size (24, or 32 with CAS).
//
// With memcached's defaults (-f 1.25 -n 48) the classes are finer than memcached's: 4-byte steps
// from header_base + 16 up to 256 bytes, then x1.25 steps. With any other -f/-n the classes are
// computed as memcached computes them (first = header_base + n, then x factor, truncated and
// aligned, the last one exactly slab_chunk_max), with 4-byte instead of 8-byte alignment.
SlabClassSizes ComputeSlabClassSizes(double factor, int min_chunk, uint32_t slab_chunk_max,
                                     uint32_t header_base);

// -o slab_classes=memcached: exactly the chunk sizes memcached 1.6.18 computes for -f, -n and
// slab_chunk_max (its 48-byte item header in the first size, 8-byte alignment), so class ids
// and chunk sizes match memcached's; our smaller items still fit the same or a lower class.
SlabClassSizes MemcachedSlabClassSizes(double factor, int min_chunk, uint32_t slab_chunk_max);

// Explicit chunk sizes (-o slab_sizes), as memcached: each size is one class (aligned, and
// ignored unless larger than the previous one and smaller than slab_chunk_max), then
// slab_chunk_max last. The sizes are whole chunks, so they include our (smaller) item header.
SlabClassSizes ExplicitSlabClassSizes(const std::vector<uint32_t>& sizes, uint32_t slab_chunk_max);

// The classes for these settings (slab_sizes if given, else -f/-n).
SlabClassSizes SlabClassSizesFor(const Settings& settings, uint32_t header_base);

// The effective largest chunk size for these settings.
uint32_t EffectiveSlabChunkMax(const Settings& settings);

}  // namespace memfleet::storage
