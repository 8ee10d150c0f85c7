#include "storage/slab/arena.h"

#include <sys/mman.h>

namespace memfleet::storage {

std::unique_ptr<Arena> Arena::Create(uint32_t max_pages) {
  if (max_pages > kMaxPages) max_pages = kMaxPages;
  while (max_pages >= 1) {
    size_t bytes = (static_cast<size_t>(max_pages) + 1) * kPageSize;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      return std::make_unique<Arena>(PrivateTag{}, static_cast<char*>(p), bytes, max_pages);
    }
    max_pages /= 2;
  }
  return nullptr;
}

Arena::Arena(PrivateTag, char* base, size_t bytes, uint32_t max_pages)
    : base_(base),
      bytes_(bytes),
      max_pages_(max_pages),
      chunk_size_(std::make_unique<std::atomic<uint32_t>[]>(max_pages + 1)),
      class_(std::make_unique<std::atomic<uint8_t>[]>(max_pages + 1)),
      head_bits_(std::make_unique<std::unique_ptr<std::atomic<uint64_t>[]>[]>(max_pages + 1)),
      head_words_(std::make_unique<uint32_t[]>(max_pages + 1)) {}

void Arena::SetPage(uint32_t page, uint32_t chunk_size, uint8_t slab_class) {
  chunk_size_[page].store(chunk_size, std::memory_order_relaxed);
  class_[page].store(slab_class, std::memory_order_relaxed);
  // A page is (re)assigned only when empty: its bits are clear, and nobody reads them until
  // the allocator (whose lock orders this) hands out a chunk of it.
  const uint32_t words = (kPageSize / chunk_size + 63) / 64;
  if (words > head_words_[page]) {
    head_bits_[page] = std::make_unique<std::atomic<uint64_t>[]>(words);  // zeroed
    head_words_[page] = words;
  } else {
    for (uint32_t i = 0; i < words; i++) head_bits_[page][i].store(0, std::memory_order_relaxed);
  }
}

Arena::~Arena() { munmap(base_, bytes_); }

void Arena::DiscardPage(uint32_t page) { madvise(PagePtr(page), kPageSize, MADV_DONTNEED); }

}  // namespace memfleet::storage
