#include "storage/slab/slab_allocator.h"

#include <algorithm>
#include <cstring>

namespace memfleet::storage {

SlabAllocator::SlabAllocator(Arena* arena, SlabClassSizes sizes, uint64_t limit_bytes)
    : arena_(arena),
      sizes_(std::move(sizes)),
      classes_(sizes_.sizes.size()),
      limit_bytes_(limit_bytes) {}

int SlabAllocator::ClassFor(uint32_t size) const {
  const auto& s = sizes_.sizes;
  if (size > s.back()) return 0;
  // First class with sizes[i] >= size (sizes ascending from index 1).
  auto it = std::lower_bound(s.begin() + 1, s.end(), size);
  return static_cast<int>(it - s.begin());
}

bool SlabAllocator::GrabPage(int cls, SlabClass& c) {
  std::lock_guard<std::mutex> g(page_mu_);
  const uint64_t limit = limit_bytes_.load(std::memory_order_relaxed);
  const uint64_t in_use = static_cast<uint64_t>(pages_in_use_.load(std::memory_order_relaxed));
  // As memcached: a class may always get its first page.
  if (c.pages > 0 && (in_use + 1) * Arena::kPageSize > limit) return false;
  uint32_t page;
  if (!pool_.empty()) {
    page = pool_.back();
    pool_.pop_back();
    pool_size_.store(static_cast<uint32_t>(pool_.size()), std::memory_order_relaxed);
  } else if (next_page_ <= arena_->max_pages()) {
    page = next_page_++;
  } else {
    malloc_fails_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  arena_->SetPage(page, ChunkSize(cls), static_cast<uint8_t>(cls));
  pages_in_use_.fetch_add(1, std::memory_order_relaxed);
  c.cur_page = page;
  c.cur_next = 0;
  c.pages++;
  return true;
}

ItemId SlabAllocator::Alloc(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  ItemId id = c.free_head;
  if (id != kNoItem) {
    std::memcpy(&c.free_head, arena_->Ptr(id), sizeof(ItemId));
    c.free_count--;
    c.used++;
    return id;
  }
  if (c.cur_page == 0 || c.cur_next >= PerPage(cls)) {
    if (!GrabPage(cls, c)) return kNoItem;
  }
  id = Arena::MakeId(c.cur_page, c.cur_next++);
  c.used++;
  return id;
}

void SlabAllocator::Free(ItemId id) {
  int cls = arena_->ClassOf(id);
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  std::memcpy(arena_->Ptr(id), &c.free_head, sizeof(ItemId));
  c.free_head = id;
  c.free_count++;
  c.used--;
}

bool SlabAllocator::SetLimit(uint64_t bytes) {
  std::lock_guard<std::mutex> g(page_mu_);
  limit_bytes_.store(bytes, std::memory_order_relaxed);
  uint64_t in_use = pages_in_use_.load(std::memory_order_relaxed);
  // Pages in the pool are free; those past the new limit are returned to the kernel (they are
  // already discarded when they enter the pool, so nothing else to do here).
  return in_use * Arena::kPageSize <= bytes;
}

SlabAllocator::ClassStats SlabAllocator::Stats(int cls) const {
  const SlabClass& c = classes_[cls];
  ClassStats s;
  s.chunk_size = ChunkSize(cls);
  s.chunks_per_page = PerPage(cls);
  std::lock_guard<std::mutex> g(c.mu);
  s.total_pages = c.pages;
  s.total_chunks = c.pages * s.chunks_per_page;
  s.used_chunks = c.used;
  s.free_chunks = c.free_count;
  s.free_chunks_end = c.cur_page != 0 ? s.chunks_per_page - c.cur_next : 0;
  return s;
}

}  // namespace memfleet::storage
