// ReadBuffer: the bytes read from one socket and not yet consumed by a parser.
//
// Bytes arrive at the end (MakeRoom, then a read into room(), then Commit) and leave from the
// front (Consume) as requests or replies are parsed. The unread bytes are always one contiguous
// span, so a parser sees whole lines without copying. The buffer is `initial` bytes; when a
// single unconsumed line fills it (a long multi-get), it doubles, up to `max`, and once the
// unread part is small again it shrinks back. Making room invalidates pointers into the buffer
// (it may compact, grow or shrink); views handed to a parser are valid until the next MakeRoom
// or Release.
//
// Memory is taken only when it is needed: the first MakeRoom allocates the buffer. Built over a
// BufferPool (the server's connections), the buffer is a block borrowed from the pool, and
// Release gives it back once everything read has been consumed, so an idle connection holds
// no buffer at all; a partial request keeps its bytes (and its block) until the rest arrives.
// Without a pool the buffer is the reader's own and stays allocated unless Release is called.
// Owned by one connection and used on one thread; not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "net/buffer_pool.h"

namespace memfleet::net {

class ReadBuffer {
 public:
  static constexpr size_t kDefaultInitial = BufferPool::kDefaultReadBlock;
  static constexpr size_t kDefaultMax = 64 * 1024 * 1024;

  // A buffer of its own. REQUIRES: 0 < initial <= max < 2^31.
  explicit ReadBuffer(size_t initial = kDefaultInitial, size_t max = kDefaultMax);
  // A buffer of pool->read_block() bytes borrowed from pool while there is something to read or
  // parse. REQUIRES: 0 < pool->read_block() <= max < 2^31; pool outlives the buffer.
  ReadBuffer(BufferPool* pool, size_t max);
  ~ReadBuffer();
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  // The unread bytes: data()[0, size()).
  const char* data() const { return buf_.get() + start_; }
  size_t size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  std::string_view view() const { return std::string_view(data(), size()); }
  // Drops the first n unread bytes. REQUIRES: n <= size().
  void Consume(size_t n) { start_ += static_cast<uint32_t>(n); }
  // Gives back the last n consumed bytes (a request found incomplete after its header was
  // consumed). REQUIRES: they were consumed since the last MakeRoom or Release.
  void Unconsume(size_t n) { start_ -= static_cast<uint32_t>(n); }
  // Where data() lies in the buffer: an offset that only grows between two MakeRoom calls, for
  // callers that remember how far they have looked ahead.
  size_t offset() const { return start_; }

  // Makes room after the unread bytes (allocating or borrowing the buffer, compacting, growing
  // for a long line, or shrinking back a grown buffer) and returns how much there is. Returns 0
  // with errno = EMSGSIZE when the unread bytes already fill a buffer of the largest size: a
  // line longer than `max`.
  size_t MakeRoom();
  // Where the next bytes go; room() is valid until the next MakeRoom or Release.
  char* room() { return buf_.get() + end_; }
  size_t room_size() const { return cap_ - end_; }
  // n bytes were written at room(). REQUIRES: n <= room_size().
  void Commit(size_t n) { end_ += static_cast<uint32_t>(n); }

  // MakeRoom, then one read(2) from fd into the room. Returns what read() returned (-1 with
  // errno EMSGSIZE when no room could be made); *filled tells whether the read filled the room,
  // i.e. the socket may hold more.
  ssize_t ReadFrom(int fd, bool* filled);

  // Gives the memory back once it is not needed: when nothing is unread, the buffer returns to
  // its pool (or is freed); when a few unread bytes sit in a buffer a long line grew, they move
  // to one of the initial size. Call it when the reader has parsed all it can (no view into
  // the buffer is in use); the next MakeRoom takes a buffer again.
  void Release();
  // Whether a buffer is held (for tests and the pool's accounting).
  bool holds_buffer() const { return buf_ != nullptr; }
  size_t capacity() const { return cap_; }

 private:
  // A buffer of initial_ bytes: borrowed from pool_, or allocated.
  std::unique_ptr<char[]> TakeInitial();
  // Frees buf_, or returns it to pool_ when it is one of its blocks.
  void DropBuffer();
  // Moves the unread bytes into a new buffer of new_cap bytes (TakeInitial's when it is
  // initial_).
  void Resize(size_t new_cap);

  std::unique_ptr<char[]> buf_;  // null until the first MakeRoom, and after Release
  BufferPool* pool_;
  // 32 bits each: max < 2^31, so that a connection's buffer state stays small.
  uint32_t initial_;
  uint32_t max_;
  uint32_t cap_ = 0;
  uint32_t start_ = 0;  // first unread byte
  uint32_t end_ = 0;    // one past the last unread byte
};

}  // namespace memfleet::net
