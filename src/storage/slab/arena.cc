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
      class_(std::make_unique<std::atomic<uint8_t>[]>(max_pages + 1)) {}

Arena::~Arena() { munmap(base_, bytes_); }

void Arena::DiscardPage(uint32_t page) { madvise(PagePtr(page), kPageSize, MADV_DONTNEED); }

}  // namespace memfleet::storage
