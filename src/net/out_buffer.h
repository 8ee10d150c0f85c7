// OutBuffer: the pending replies of one connection, sent with as few syscalls as possible.
//
// Small replies are copied into one growable byte area; large values are not copied but
// referenced in place, kept alive by a net::Pin (for the server: the cache item's reference,
// server/item_pin.h) until their bytes have been written. Flush() sends everything pending with
// sendmsg() over an iovec array, so the replies to a whole pipeline of requests leave in one
// syscall; a router or client queues its requests to a server the same way. Owned and used by
// one connection on one thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "net/pin.h"

namespace memfleet::net {

class OutBuffer {
 public:
  OutBuffer();

  // Copies bytes to the end of the pending output.
  void Append(const char* data, size_t len) {
    char* dst = Reserve(len);
    memcpy(dst, data, len);
    Commit(len);
  }
  void Append(std::string_view s) { Append(s.data(), s.size()); }
  // Returns room for at least n bytes at the end; call Commit with what was used.
  char* Reserve(size_t n) {
    if (size_ + n > capacity_) Grow(n);
    return bytes_.get() + size_;
  }
  void Commit(size_t n);
  // Queues len bytes that live elsewhere; the pin keeps them valid until sent (it is dropped
  // once everything queued so far has been sent, or on Clear).
  void AppendPinned(const char* data, size_t len, Pin pin);
  // Queues len bytes that stay valid until sent without a pin of their own: covered by a pin
  // handed to AppendPinned (for chunked values made of several pieces), or owned by the caller.
  void AppendExternal(const char* data, size_t len);

  // Number of bytes not yet sent.
  size_t pending() const { return pending_; }
  bool empty() const { return pending_ == 0; }

  // Sends as much as the socket takes. Returns bytes written, 0 if the socket is full, or -1 on
  // a socket error (the connection must close).
  ssize_t Flush(int fd);
  // The pending bytes, when they are one contiguous piece (the usual reply to one request).
  bool Contiguous(const char** data, size_t* len) const;
  // Marks n pending bytes sent (by someone else than Flush: IoBatch).
  void Consume(size_t n);
  // Copies len pending bytes, starting `from` bytes after the first unsent one, to dst; for a
  // sender that frames the output itself (the server's UDP datagrams).
  // REQUIRES: from + len <= pending().
  void CopyOut(size_t from, size_t len, char* dst) const;

  // Drops everything pending (used when closing).
  void Clear();

 private:
  struct Piece {
    const char* external;  // nullptr: bytes are bytes_[offset, offset + len)
    size_t offset;
    size_t len;
  };
  void Grow(size_t n);
  void Compact();

  std::unique_ptr<char[]> bytes_;
  size_t capacity_ = 0;
  size_t size_ = 0;       // bytes used in bytes_
  size_t committed_ = 0;  // bytes of bytes_ already covered by pieces
  std::vector<Piece> pieces_;
  size_t first_piece_ = 0;   // pieces before this are fully sent
  size_t first_offset_ = 0;  // bytes of pieces_[first_piece_] already sent
  size_t pending_ = 0;
  std::vector<Pin> pins_;
};

}  // namespace memfleet::net
