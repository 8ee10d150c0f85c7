#include "storage/slab/slab_classes.h"

#include <algorithm>

#include "storage/slab/arena.h"

namespace memfleet::storage {
namespace {

uint32_t AlignUp(uint32_t v) { return (v + kChunkAlign - 1) / kChunkAlign * kChunkAlign; }

}  // namespace

uint32_t EffectiveSlabChunkMax(const Settings& settings) {
  uint64_t m = static_cast<uint64_t>(std::max(settings.slab_chunk_size_max, 512));
  m = std::min<uint64_t>(m, Arena::kPageSize);
  if (settings.item_size_max > 0) m = std::min<uint64_t>(m, settings.item_size_max);
  return AlignUp(static_cast<uint32_t>(m));
}

SlabClassSizes ComputeSlabClassSizes(double factor, int min_chunk, uint32_t slab_chunk_max,
                                     uint32_t header_base) {
  SlabClassSizes out;
  out.sizes.push_back(0);
  const bool fine = factor == 1.25 && min_chunk == 48;
  if (factor <= 1.0) factor = 1.25;
  if (min_chunk < 1) min_chunk = 1;
  uint32_t size = fine ? header_base + 16 : header_base + static_cast<uint32_t>(min_chunk);
  size = std::max(size, Arena::kMinChunkSize);
  const int max_classes = fine ? kMaxClasses : kMaxClassesExplicit;
  while (static_cast<int>(out.sizes.size()) < max_classes) {
    if (size >= slab_chunk_max / factor) break;
    size = AlignUp(size);
    out.sizes.push_back(size);
    if (fine && size < 256) {
      size += kChunkAlign;
    } else {
      uint32_t next = static_cast<uint32_t>(size * factor);
      size = std::max(next, size + kChunkAlign);
    }
  }
  out.sizes.push_back(slab_chunk_max);
  return out;
}

SlabClassSizes MemcachedSlabClassSizes(double factor, int min_chunk, uint32_t slab_chunk_max) {
  constexpr uint32_t kMemcachedItemHeader = 48;  // sizeof(item) in a 64-bit memcached
  constexpr uint32_t kMemcachedAlign = 8;        // CHUNK_ALIGN_BYTES
  SlabClassSizes out;
  out.sizes.push_back(0);
  if (factor <= 1.0) factor = 1.25;
  uint32_t size = kMemcachedItemHeader + static_cast<uint32_t>(std::max(min_chunk, 1));
  while (static_cast<int>(out.sizes.size()) < kMaxClassesExplicit) {
    if (size >= slab_chunk_max / factor) break;
    if (size % kMemcachedAlign) size += kMemcachedAlign - size % kMemcachedAlign;
    out.sizes.push_back(size);
    size = static_cast<uint32_t>(size * factor);  // truncated, as memcached's unsigned int
  }
  out.sizes.push_back(slab_chunk_max);
  return out;
}

SlabClassSizes ExplicitSlabClassSizes(const std::vector<uint32_t>& sizes, uint32_t slab_chunk_max) {
  SlabClassSizes out;
  out.sizes.push_back(0);
  for (uint32_t s : sizes) {
    if (static_cast<int>(out.sizes.size()) >= kMaxClassesExplicit) break;
    uint32_t size = AlignUp(std::max(s, Arena::kMinChunkSize));
    if (size >= slab_chunk_max || size <= out.sizes.back()) continue;
    out.sizes.push_back(size);
  }
  out.sizes.push_back(slab_chunk_max);
  return out;
}

SlabClassSizes SlabClassSizesFor(const Settings& settings, uint32_t header_base) {
  const uint32_t chunk_max = EffectiveSlabChunkMax(settings);
  if (!settings.slab_sizes.empty()) return ExplicitSlabClassSizes(settings.slab_sizes, chunk_max);
  if (settings.memcached_slab_classes) {
    return MemcachedSlabClassSizes(settings.factor, settings.chunk_size, chunk_max);
  }
  return ComputeSlabClassSizes(settings.factor, settings.chunk_size, chunk_max, header_base);
}

}  // namespace memfleet::storage
