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
//
// Each page also has one bit per chunk slot that says "this chunk is the head of a linked item"
// (set and cleared by the engine under the key's stripe lock, with the item's LINKED flag). The
// page mover reads it to find the items of a page it empties without reading the chunks
// themselves, some of which an upload may be writing (a value chunk, an item not yet linked).
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
  // REQUIRES: no chunk of the page is in use (its head bits are all clear).
  void SetPage(uint32_t page, uint32_t chunk_size, uint8_t slab_class);
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

  // The "head of a linked item" bit of id's slot (see above). Set publishes (release) what was
  // written to the item before it; IsHead (acquire) makes that visible.
  void SetHead(ItemId id, bool on) {
    std::atomic<uint64_t>& w = head_bits_[PageOf(id)][SlotOf(id) / 64];
    const uint64_t bit = uint64_t{1} << (SlotOf(id) % 64);
    if (on) {
      w.fetch_or(bit, std::memory_order_release);
    } else {
      w.fetch_and(~bit, std::memory_order_release);
    }
  }
  bool IsHead(ItemId id) const {
    return (head_bits_[PageOf(id)][SlotOf(id) / 64].load(std::memory_order_acquire) >>
            (SlotOf(id) % 64)) &
           1;
  }
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
  // Per page: one bit per slot of its current chunk size, grown (never shrunk) by SetPage.
  std::unique_ptr<std::unique_ptr<std::atomic<uint64_t>[]>[]> head_bits_;
  std::unique_ptr<uint32_t[]> head_words_;  // the size of each page's bit array, in words
};

}  // namespace memfleet::storage
