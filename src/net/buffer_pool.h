// BufferPool: the read blocks and output areas that one thread's connections borrow only while
// they need them.
//
// An idle connection (nothing unread, nothing unsent) holds no buffer: with 100,000 connections
// a 16 KiB read buffer each would be 1.6 GB, most of it waiting for requests that are not
// coming. A ReadBuffer built over a pool borrows a block of read_block() bytes when it is about to
// read and gives it back once everything in it has been parsed (ReadBuffer::Release); a partial
// request keeps its block. An OutBuffer built over a pool borrows an OutArea (its byte area and
// its piece list, see out_buffer.h) when a reply is queued and gives it back once everything has
// been sent. The pool keeps up to max_free returned blocks and areas for the next borrower, so a
// busy worker allocates nothing per request; past that they are freed, so what the pool keeps
// is bounded by max_free, never by the number of connections. Whatever is larger than usual (a
// read buffer a long line grew, an area a burst of large replies grew) is freed or shrunk by its
// buffer before it comes back here.
//
// One pool per worker thread, used only on that thread (not thread-safe). It must outlive every
// buffer built over it.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace memfleet::net {

struct OutArea;  // out_buffer.h

class BufferPool {
 public:
  static constexpr size_t kDefaultReadBlock = 16 * 1024;
  // Enough for every connection of a full epoll batch of a busy worker to read and reply
  // without an allocation, and small next to the per-connection cost it saves (at most
  // 64 x (16 + 16) KiB = 2 MiB per worker).
  static constexpr size_t kDefaultMaxFree = 64;

  // REQUIRES: read_block > 0.
  explicit BufferPool(size_t read_block = kDefaultReadBlock, size_t max_free = kDefaultMaxFree);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  size_t read_block() const { return read_block_; }
  // A block of read_block() bytes (contents unspecified).
  std::unique_ptr<char[]> LendReadBlock();
  // Takes back a block from LendReadBlock (kept for the next borrower, or freed).
  void ReturnReadBlock(std::unique_ptr<char[]> block);

  // An empty OutArea (its byte area may already be allocated: see out_buffer.h).
  std::unique_ptr<OutArea> LendOutArea();
  // Takes back an area from LendOutArea. REQUIRES: nothing pending in it (OutBuffer resets it).
  void ReturnOutArea(std::unique_ptr<OutArea> area);

  // What is lent out and what is kept, for tests and `stats`.
  size_t read_blocks_lent() const { return read_lent_; }
  size_t read_blocks_free() const { return free_blocks_.size(); }
  size_t out_areas_lent() const { return out_lent_; }
  size_t out_areas_free() const { return free_areas_.size(); }

 private:
  size_t read_block_;
  size_t max_free_;
  size_t read_lent_ = 0;
  size_t out_lent_ = 0;
  std::vector<std::unique_ptr<char[]>> free_blocks_;
  std::vector<std::unique_ptr<OutArea>> free_areas_;
};

}  // namespace memfleet::net
