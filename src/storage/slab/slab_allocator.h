// SlabAllocator: hands out fixed-size chunks from 1 MiB pages, one free list per slab class.
//
// It owns the assignment of arena pages to classes: a class gets a new page when its free list
// and its current page are exhausted and the memory limit allows (as in memcached, a class may
// always take its first page, even over the limit). Pages are carved lazily, chunk by chunk, so
// resident memory follows use. Freed chunks go to the class free list, linked through their
// first 4 bytes. It knows nothing about items, LRUs or eviction: Alloc() simply fails when the
// class is full, and the engine decides what to evict.
//
// Thread safety: every method may be called from any thread. Lock order: a class lock, then the
// page lock; callers may hold item stripe and LRU locks (those come before these).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "storage/slab/arena.h"
#include "storage/slab/slab_classes.h"

namespace memfleet::storage {

class SlabAllocator {
 public:
  struct ClassStats {
    uint32_t chunk_size = 0;
    uint32_t chunks_per_page = 0;
    uint64_t total_pages = 0;
    uint64_t total_chunks = 0;
    uint64_t used_chunks = 0;
    uint64_t free_chunks = 0;      // on the free list
    uint64_t free_chunks_end = 0;  // not yet carved from the current page
  };

  SlabAllocator(Arena* arena, SlabClassSizes sizes, uint64_t limit_bytes);

  int largest_class() const { return sizes_.largest(); }
  uint32_t ChunkSize(int cls) const { return sizes_.sizes[cls]; }
  uint32_t PerPage(int cls) const {
    return static_cast<uint32_t>(Arena::kPageSize / ChunkSize(cls));
  }
  // The smallest class whose chunks hold `size` bytes; 0 if larger than the largest class.
  int ClassFor(uint32_t size) const;

  // A free chunk of class cls, or kNoItem if the class has none and may not grow.
  ItemId Alloc(int cls);
  // Returns a chunk to its class.
  void Free(ItemId id);

  // Changes the memory limit. Pages already handed to classes stay there; free pages in the
  // global pool beyond the limit are given back to the kernel. Returns true if the pages in use
  // fit the new limit.
  bool SetLimit(uint64_t bytes);
  uint64_t limit() const { return limit_bytes_.load(std::memory_order_relaxed); }

  ClassStats Stats(int cls) const;
  uint64_t total_malloced() const {
    return static_cast<uint64_t>(pages_in_use_.load(std::memory_order_relaxed)) * Arena::kPageSize;
  }
  uint32_t pages_in_use() const { return pages_in_use_.load(std::memory_order_relaxed); }
  uint32_t global_page_pool() const { return pool_size_.load(std::memory_order_relaxed); }
  uint64_t malloc_fails() const { return malloc_fails_.load(std::memory_order_relaxed); }
  // Chunks handed out by a class and not freed (for tests and stats).
  uint64_t UsedChunks(int cls) const { return Stats(cls).used_chunks; }

 private:
  struct alignas(64) SlabClass {
    mutable std::mutex mu;
    ItemId free_head = kNoItem;
    uint64_t free_count = 0;
    uint32_t cur_page = 0;  // page being carved, 0 = none
    uint32_t cur_next = 0;  // next uncarved slot of cur_page
    uint64_t pages = 0;
    uint64_t used = 0;
  };

  // REQUIRES: c.mu held.
  bool GrabPage(int cls, SlabClass& c);

  Arena* arena_;
  SlabClassSizes sizes_;
  std::vector<SlabClass> classes_;
  std::atomic<uint64_t> limit_bytes_;

  std::mutex page_mu_;  // guards next_page_ and pool_
  uint32_t next_page_ = 1;
  std::vector<uint32_t> pool_;
  std::atomic<uint32_t> pages_in_use_{0};
  std::atomic<uint32_t> pool_size_{0};
  std::atomic<uint64_t> malloc_fails_{0};
};

}  // namespace memfleet::storage
