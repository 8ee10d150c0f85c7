// SlabAllocator: hands out fixed-size chunks from 1 MiB pages, one free list per slab class.
//
// It owns the assignment of arena pages to classes: a class gets a new page when its free list
// and its current page are exhausted and the memory limit allows (as in memcached, a class may
// always take its first page, even over the limit). Pages are carved lazily, chunk by chunk, so
// resident memory follows use. Freed chunks go to the class free list, linked through their
// first 4 bytes. It knows nothing about items, LRUs or eviction: Alloc() simply fails when the
// class is full, and the engine decides what to evict.
//
// Page moves (the slab page mover, cache_engine_mover.cc): one page of a class at a time can be
// "evacuated": BeginEvacuation() takes its free chunks off the free list and stops carving it,
// chunks of it freed afterwards are only marked free, and once every chunk is free
// FinishEvacuation() hands the page to another class (as a spare page, carved lazily) or back
// to the global pool (its memory returned to the kernel). The allocator never frees chunks
// itself: the engine relinks or evicts the items on the page.
//
// The reserve: the mover may set a few pages of the global pool aside (FinishEvacuation with
// kToReserve) for classes that cannot allocate even after evicting, i.e. whose chunks are all
// held by uploads in flight or pinned by readers. Reserved pages count against the memory limit,
// so ordinary growth never takes them; AllocFromReserve() hands one to a class at once, and the
// mover refills the reserve from a class with old items. memcached's global page pool plays the
// same part: any class may take a pool page whatever the limit.
//
// Thread safety: every method may be called from any thread. Lock order: a class lock, then the
// page lock; callers may hold item stripe and LRU locks (those come before these). The
// evacuation calls are made by one thread at a time (the mover).
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

  // FinishEvacuation's dst for a page that goes to the reserve.
  static constexpr int kToReserve = -1;

  // A free chunk of class cls, or kNoItem if the class has none and may not grow.
  ItemId Alloc(int cls);
  // A chunk of cls from its free list or current page, or else from a reserve page given to cls;
  // kNoItem if the reserve is empty too.
  ItemId AllocFromReserve(int cls);
  // A chunk from the free list or the page being carved, never a new page; kNoItem if none.
  ItemId AllocNoGrow(int cls);
  // Returns a chunk to its class.
  void Free(ItemId id);

  // Changes the memory limit. Pages already handed to classes stay there; free pages in the
  // global pool beyond the limit are given back to the kernel. Returns true if the pages in use
  // fit the new limit.
  bool SetLimit(uint64_t bytes);
  uint64_t limit() const { return limit_bytes_.load(std::memory_order_relaxed); }

  ClassStats Stats(int cls) const;
  uint64_t Pages(int cls) const;

  // --- Page evacuation (the mover thread only).
  // Starts emptying one page of cls (the oldest that is not being carved). Returns the page, or
  // 0 when cls has fewer than two pages.
  uint32_t BeginEvacuation(int cls);
  // Chunks of the page being evacuated still in use.
  uint32_t EvacInUse(int cls) const;
  // REQUIRES: EvacInUse(cls) == 0. The page leaves cls; dst > 0 gets it as a spare page (it
  // may use it even at the memory limit), dst == 0 returns it to the global pool, kToReserve
  // to the global pool as a reserve page.
  void FinishEvacuation(int cls, int dst);
  // Gives the page back to cls (its free chunks to the free list), e.g. on shutdown.
  void AbortEvacuation(int cls);
  // Sets one free page of the global pool aside as a reserve page; false if every pool page
  // already is one.
  bool ReservePoolPage();
  // Moves one page of the global pool to class dst as a spare page; false if the pool has
  // fewer than `min_pool` pages.
  bool TakePoolPage(int dst, uint32_t min_pool);
  uint64_t total_malloced() const {
    return static_cast<uint64_t>(pages_in_use_.load(std::memory_order_relaxed)) * Arena::kPageSize;
  }
  uint32_t pages_in_use() const { return pages_in_use_.load(std::memory_order_relaxed); }
  uint32_t global_page_pool() const { return pool_size_.load(std::memory_order_relaxed); }
  // Pages of the global pool set aside as the reserve (included in global_page_pool()).
  uint32_t reserve_pages() const { return reserve_size_.load(std::memory_order_relaxed); }
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
    std::vector<uint32_t> page_list;    // every page of the class, oldest first
    std::vector<uint32_t> spare_pages;  // given by the mover, not yet carved
    uint32_t evac_page = 0;             // page being evacuated, 0 = none
    uint32_t evac_in_use = 0;
    std::vector<uint8_t> evac_free;  // per slot of evac_page: 1 = free
  };

  // REQUIRES: c.mu held.
  bool GrabPage(int cls, SlabClass& c);
  // REQUIRES: c.mu held. A chunk from the free list / carved from the current page, or kNoItem.
  ItemId PopFreeLocked(SlabClass& c);
  ItemId CarveLocked(int cls, SlabClass& c);
  // REQUIRES: c.mu and page_mu_ held. Gives the page to the class as its current page.
  void StartPageLocked(int cls, SlabClass& c, uint32_t page);

  Arena* arena_;
  SlabClassSizes sizes_;
  std::vector<SlabClass> classes_;
  std::atomic<uint64_t> limit_bytes_;

  // REQUIRES: page_mu_ held. Publishes pool_.size() and reserve_ to the lock-free readers.
  void PoolChangedLocked();

  std::mutex page_mu_;  // guards next_page_, pool_ and reserve_
  uint32_t next_page_ = 1;
  std::vector<uint32_t> pool_;
  uint32_t reserve_ = 0;  // pages of pool_ set aside; always <= pool_.size()
  std::atomic<uint32_t> pages_in_use_{0};
  std::atomic<uint32_t> pool_size_{0};
  std::atomic<uint32_t> reserve_size_{0};
  std::atomic<uint64_t> malloc_fails_{0};
};

}  // namespace memfleet::storage
