// Arena: one big reservation of virtual memory, cut into 1 MiB pages, plus the page table.
//
// The arena is reserved once with mmap(MAP_NORESERVE), so untouched pages cost no resident
// memory, and items anywhere in it can be named by a 32-bit ItemId = (page << 15) | slot. The
// page table records, per page, the chunk size and slab class it was carved for; ItemId <->
// address conversion and "which class is this chunk in" are answered from it. Page 0 is never
// handed out, so ItemId 0 means "no item".
//
// Thread safety: the page table is written only by the slab allocator (under its page lock)
// before any chunk of the page is handed out, and read lock-free by any thread (relaxed atomics:
// a reader only asks about pages it reached through properly synchronised item references).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "storage/item.h"

namespace memfleet::storage {

class Arena {
 public:
  static constexpr size_t kPageSize = 1 << 20;
  static constexpr int kSlotBits = 15;  // up to 32768 chunks per page: chunks are >= 32 bytes
  static constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
  static constexpr uint32_t kMaxPages = (1u << (32 - kSlotBits)) - 1;  // 128 GiB
  static constexpr uint32_t kMinChunkSize = kPageSize >> kSlotBits;

  // Reserves room for up to max_pages pages (fewer if the kernel refuses; see max_pages()).
  // Returns nullptr if not even one page can be reserved.
  static std::unique_ptr<Arena> Create(uint32_t max_pages);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Usable pages are 1..max_pages().
  uint32_t max_pages() const { return max_pages_; }

  char* PagePtr(uint32_t page) const { return base_ + static_cast<size_t>(page) * kPageSize; }

  // Records the carving of a page. REQUIRES: no chunk of the page is in use.
  void SetPage(uint32_t page, uint32_t chunk_size, uint8_t slab_class) {
    chunk_size_[page].store(chunk_size, std::memory_order_relaxed);
    class_[page].store(slab_class, std::memory_order_relaxed);
  }
  uint32_t PageChunkSize(uint32_t page) const {
    return chunk_size_[page].load(std::memory_order_relaxed);
  }
  uint8_t PageClass(uint32_t page) const { return class_[page].load(std::memory_order_relaxed); }

  static uint32_t PageOf(ItemId id) { return id >> kSlotBits; }
  static uint32_t SlotOf(ItemId id) { return id & kSlotMask; }
  static ItemId MakeId(uint32_t page, uint32_t slot) { return (page << kSlotBits) | slot; }

  char* Ptr(ItemId id) const {
    uint32_t page = PageOf(id);
    return PagePtr(page) + static_cast<size_t>(SlotOf(id)) * PageChunkSize(page);
  }
  ItemHeader* Item(ItemId id) const { return reinterpret_cast<ItemHeader*>(Ptr(id)); }
  ItemId IdOf(const void* p) const {
    size_t off = static_cast<size_t>(static_cast<const char*>(p) - base_);
    uint32_t page = static_cast<uint32_t>(off / kPageSize);
    uint32_t slot = static_cast<uint32_t>((off % kPageSize) / PageChunkSize(page));
    return MakeId(page, slot);
  }
  uint8_t ClassOf(ItemId id) const { return PageClass(PageOf(id)); }
  uint8_t ClassOfPtr(const void* p) const {
    size_t off = static_cast<size_t>(static_cast<const char*>(p) - base_);
    return PageClass(static_cast<uint32_t>(off / kPageSize));
  }

  // Gives a page's memory back to the kernel (its contents become zero).
  void DiscardPage(uint32_t page);

 private:
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  Arena(PrivateTag, char* base, size_t bytes, uint32_t max_pages);

 private:
  char* base_;
  size_t bytes_;
  uint32_t max_pages_;
  std::unique_ptr<std::atomic<uint32_t>[]> chunk_size_;
  std::unique_ptr<std::atomic<uint8_t>[]> class_;
};

}  // namespace memfleet::storage
