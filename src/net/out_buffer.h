// OutBuffer: the pending replies of one connection, sent with as few syscalls as possible.
//
// Small replies are copied into one growable byte area; large values are not copied but
// referenced in place, kept alive by a net::Pin (for the server: the cache item's reference,
// server/item_pin.h) until their bytes have been written. Flush() sends everything pending with
// sendmsg() over an iovec array, so the replies to a whole pipeline of requests leave in one
// syscall; a router or client queues its requests to a server the same way.
//
// All of that state (byte area, piece list, pins) lives in an OutArea that the buffer holds only
// while something is queued: an idle OutBuffer is two pointers. Built over a BufferPool (the
// server's connections), the area is borrowed from the pool with the first reply and returned,
// reset, once everything has been sent (or on Clear), so idle connections share a few areas
// instead of holding one each. Without a pool the area is the buffer's own and is kept. Owned
// and used by one connection on one thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "net/buffer_pool.h"
#include "net/pin.h"

namespace memfleet::net {

// The state of an OutBuffer that has something to send. Only OutBuffer and BufferPool use it.
struct OutArea {
  struct Piece {
    const char* external;  // nullptr: bytes are bytes[offset, offset + len)
    size_t offset;
    size_t len;
  };
  std::unique_ptr<char[]> bytes;  // allocated with the first copied reply, kept while pooled
  size_t capacity = 0;
  size_t size = 0;       // bytes used in bytes
  size_t committed = 0;  // bytes of bytes already covered by pieces
  std::vector<Piece> pieces;
  size_t first_piece = 0;   // pieces before this are fully sent
  size_t first_offset = 0;  // bytes of pieces[first_piece] already sent
  size_t pending = 0;
  std::vector<Pin> pins;
};

class OutBuffer {
 public:
  // pool: where the area is borrowed from while something is queued; nullptr: an area of its
  // own, allocated with the first reply and kept. REQUIRES: pool outlives the buffer.
  explicit OutBuffer(BufferPool* pool = nullptr);
  ~OutBuffer();
  OutBuffer(const OutBuffer&) = delete;
  OutBuffer& operator=(const OutBuffer&) = delete;

  // Copies bytes to the end of the pending output.
  void Append(const char* data, size_t len) {
    char* dst = Reserve(len);
    memcpy(dst, data, len);
    Commit(len);
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  // Returns room for at least n bytes at the end; call Commit with what was used.
  char* Reserve(size_t n) {
    OutArea* a = area_.get();
    if (a == nullptr || a->size + n > a->capacity) a = Grow(n);
    return a->bytes.get() + a->size;
  }
  // REQUIRES: Reserve(m) with m >= n since the last Commit.
  void Commit(size_t n);
  // Queues len bytes that live elsewhere; the pin keeps them valid until sent (it is dropped
  // once everything queued so far has been sent, or on Clear).
  void AppendPinned(const char* data, size_t len, Pin pin);
  // Queues len bytes that stay valid until sent without a pin of their own: covered by a pin
  // handed to AppendPinned (for chunked values made of several pieces), or owned by the caller.
  void AppendExternal(const char* data, size_t len);

  // Number of bytes not yet sent.
  size_t pending() const { return area_ != nullptr ? area_->pending : 0; }
  bool empty() const { return pending() == 0; }

  // Sends as much as the socket takes. Returns bytes written, 0 if the socket is full, or -1 on
  // a socket error (the connection must close).
  ssize_t Flush(int fd);
  // The pending bytes, when they are one contiguous piece (the usual reply to one request).
  bool Contiguous(const char** data, size_t* len) const;
  // Marks n pending bytes sent (by someone else than Flush: IoBatch). REQUIRES: n <= pending().
  void Consume(size_t n);
  // Copies len pending bytes, starting `from` bytes after the first unsent one, to dst; for a
  // sender that frames the output itself (the server's UDP datagrams).
  // REQUIRES: from + len <= pending().
  void CopyOut(size_t from, size_t len, char* dst) const;

  // Drops everything pending (used when closing).
  void Clear();
  // Returns the area to the pool when nothing is pending (a reply reserved but never
  // committed leaves it lent otherwise). Call it only where no Reserve()d room is in use.
  void Release();
  // Whether an area is held (for tests and the pool's accounting).
  bool holds_area() const { return area_ != nullptr; }

 private:
  // Makes room for n more bytes (borrowing or allocating the area first); returns the area.
  OutArea* Grow(size_t n);
  OutArea& Area();
  // Everything was sent: resets the area and gives it back (pooled) or keeps it.
  void Compact();

  BufferPool* pool_;
  std::unique_ptr<OutArea> area_;
};

}  // namespace memfleet::net
