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
  if (!c.spare_pages.empty()) {
    // Already counted in c.pages and pages_in_use_ when the mover handed it over.
    c.cur_page = c.spare_pages.back();
    c.spare_pages.pop_back();
    c.cur_next = 0;
    return true;
  }
  std::lock_guard<std::mutex> g(page_mu_);
  const uint64_t limit = limit_bytes_.load(std::memory_order_relaxed);
  const uint64_t in_use = static_cast<uint64_t>(pages_in_use_.load(std::memory_order_relaxed));
  // As memcached: a class may always get its first page. Reserve pages count as in use.
  if (c.pages > 0 && (in_use + reserve_ + 1) * Arena::kPageSize > limit) return false;
  uint32_t page;
  if (pool_.size() > reserve_) {
    page = pool_.back();
    pool_.pop_back();
    PoolChangedLocked();
  } else if (next_page_ <= arena_->max_pages()) {
    page = next_page_++;
  } else {
    malloc_fails_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  StartPageLocked(cls, c, page);
  return true;
}

ItemId SlabAllocator::PopFreeLocked(SlabClass& c) {
  const ItemId id = c.free_head;
  if (id == kNoItem) return kNoItem;
  std::memcpy(&c.free_head, arena_->Ptr(id), sizeof(ItemId));
  c.free_count--;
  c.used++;
  return id;
}

ItemId SlabAllocator::CarveLocked(int cls, SlabClass& c) {
  if (c.cur_page == 0 || c.cur_next >= PerPage(cls)) return kNoItem;
  c.used++;
  return Arena::MakeId(c.cur_page, c.cur_next++);
}

void SlabAllocator::StartPageLocked(int cls, SlabClass& c, uint32_t page) {
  arena_->SetPage(page, ChunkSize(cls), static_cast<uint8_t>(cls));
  pages_in_use_.fetch_add(1, std::memory_order_relaxed);
  c.cur_page = page;
  c.cur_next = 0;
  c.pages++;
  c.page_list.push_back(page);
}

ItemId SlabAllocator::AllocNoGrow(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  ItemId id = PopFreeLocked(c);
  return id != kNoItem ? id : CarveLocked(cls, c);
}

ItemId SlabAllocator::Alloc(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  ItemId id = PopFreeLocked(c);
  if (id != kNoItem) return id;
  id = CarveLocked(cls, c);
  if (id != kNoItem || !GrabPage(cls, c)) return id;
  return CarveLocked(cls, c);
}

ItemId SlabAllocator::AllocFromReserve(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  ItemId id = PopFreeLocked(c);
  if (id != kNoItem) return id;
  id = CarveLocked(cls, c);
  if (id != kNoItem) return id;
  if (!c.spare_pages.empty()) {
    if (!GrabPage(cls, c)) return kNoItem;
  } else {
    std::lock_guard<std::mutex> pg(page_mu_);
    if (reserve_ == 0) return kNoItem;
    const uint32_t page = pool_.back();
    pool_.pop_back();
    reserve_--;
    PoolChangedLocked();
    StartPageLocked(cls, c, page);
  }
  return CarveLocked(cls, c);
}

void SlabAllocator::PoolChangedLocked() {
  if (reserve_ > pool_.size()) reserve_ = static_cast<uint32_t>(pool_.size());
  pool_size_.store(static_cast<uint32_t>(pool_.size()), std::memory_order_relaxed);
  reserve_size_.store(reserve_, std::memory_order_relaxed);
}

void SlabAllocator::Free(ItemId id) {
  int cls = arena_->ClassOf(id);
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  if (c.evac_page != 0 && Arena::PageOf(id) == c.evac_page) {
    // Being evacuated: the chunk is not handed out again.
    c.evac_free[Arena::SlotOf(id)] = 1;
    c.evac_in_use--;
    c.used--;
    return;
  }
  std::memcpy(arena_->Ptr(id), &c.free_head, sizeof(ItemId));
  c.free_head = id;
  c.free_count++;
  c.used--;
}

bool SlabAllocator::SetLimit(uint64_t bytes) {
  std::lock_guard<std::mutex> g(page_mu_);
  limit_bytes_.store(bytes, std::memory_order_relaxed);
  // The reserve was sized for the old limit; the mover sets a new one aside when needed.
  reserve_ = 0;
  PoolChangedLocked();
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
  s.free_chunks_end = (c.cur_page != 0 ? s.chunks_per_page - c.cur_next : 0) +
                      c.spare_pages.size() * s.chunks_per_page;
  return s;
}

uint64_t SlabAllocator::Pages(int cls) const {
  const SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  return c.pages;
}

uint32_t SlabAllocator::BeginEvacuation(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  if (c.pages < 2 || c.evac_page != 0) return 0;
  uint32_t page = 0;
  if (!c.spare_pages.empty()) {
    // An uncarved spare page: nothing on it.
    page = c.spare_pages.back();
    c.spare_pages.pop_back();
    c.evac_page = page;
    c.evac_free.assign(PerPage(cls), 1);
    c.evac_in_use = 0;
    return page;
  }
  for (uint32_t p : c.page_list) {
    if (p != c.cur_page) {
      page = p;
      break;
    }
  }
  if (page == 0) return 0;
  const uint32_t per = PerPage(cls);
  c.evac_page = page;
  c.evac_free.assign(per, 0);
  // Take the page's chunks off the free list.
  uint32_t free_on_page = 0;
  ItemId* link = &c.free_head;
  while (*link != kNoItem) {
    ItemId id = *link;
    ItemId next;
    std::memcpy(&next, arena_->Ptr(id), sizeof(ItemId));
    if (Arena::PageOf(id) == page) {
      *link = next;
      c.free_count--;
      c.evac_free[Arena::SlotOf(id)] = 1;
      free_on_page++;
    } else {
      link = reinterpret_cast<ItemId*>(arena_->Ptr(id));
    }
  }
  c.evac_in_use = per - free_on_page;
  return page;
}

uint32_t SlabAllocator::EvacInUse(int cls) const {
  const SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  return c.evac_in_use;
}

void SlabAllocator::FinishEvacuation(int cls, int dst) {
  uint32_t page;
  {
    SlabClass& c = classes_[cls];
    std::lock_guard<std::mutex> g(c.mu);
    page = c.evac_page;
    if (page == 0) return;
    c.evac_page = 0;
    c.evac_free.clear();
    c.pages--;
    c.page_list.erase(std::find(c.page_list.begin(), c.page_list.end(), page));
  }
  arena_->DiscardPage(page);
  if (dst <= 0) {
    std::lock_guard<std::mutex> g(page_mu_);
    pool_.push_back(page);
    if (dst == kToReserve) reserve_++;
    PoolChangedLocked();
    pages_in_use_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  SlabClass& d = classes_[dst];
  std::lock_guard<std::mutex> g(d.mu);
  arena_->SetPage(page, ChunkSize(dst), static_cast<uint8_t>(dst));
  d.pages++;
  d.page_list.push_back(page);
  d.spare_pages.push_back(page);
}

void SlabAllocator::AbortEvacuation(int cls) {
  SlabClass& c = classes_[cls];
  std::lock_guard<std::mutex> g(c.mu);
  if (c.evac_page == 0) return;
  if (c.evac_in_use == PerPage(cls)) {
    c.evac_page = 0;
    return;
  }
  for (uint32_t slot = 0; slot < c.evac_free.size(); slot++) {
    if (!c.evac_free[slot]) continue;
    ItemId id = Arena::MakeId(c.evac_page, slot);
    std::memcpy(arena_->Ptr(id), &c.free_head, sizeof(ItemId));
    c.free_head = id;
    c.free_count++;
  }
  c.evac_page = 0;
  c.evac_free.clear();
}

bool SlabAllocator::ReservePoolPage() {
  std::lock_guard<std::mutex> g(page_mu_);
  if (pool_.size() <= reserve_) return false;
  reserve_++;
  PoolChangedLocked();
  return true;
}

bool SlabAllocator::TakePoolPage(int dst, uint32_t min_pool) {
  uint32_t page;
  {
    std::lock_guard<std::mutex> g(page_mu_);
    if (pool_.size() < min_pool || pool_.empty()) return false;
    page = pool_.back();
    pool_.pop_back();
    PoolChangedLocked();
    pages_in_use_.fetch_add(1, std::memory_order_relaxed);
  }
  SlabClass& d = classes_[dst];
  std::lock_guard<std::mutex> g(d.mu);
  arena_->SetPage(page, ChunkSize(dst), static_cast<uint8_t>(dst));
  d.pages++;
  d.page_list.push_back(page);
  d.spare_pages.push_back(page);
  return true;
}

}  // namespace memfleet::storage
