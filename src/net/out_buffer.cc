#include "net/out_buffer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace memfleet::net {
namespace {
// A new area's byte area: most replies are small, and a pooled area keeps what it grew to.
constexpr size_t kInitialCapacity = 4 * 1024;
constexpr size_t kShrinkAbove = 256 * 1024;
// A piece list this long (a multi-get of hundreds of large values) is freed rather than kept
// with an idle area.
constexpr size_t kKeepPieces = 512;
constexpr size_t kMaxIov = 256;
}  // namespace

OutBuffer::OutBuffer(BufferPool* pool) : pool_(pool) {}

OutBuffer::~OutBuffer() {
  if (area_ != nullptr) {
    Clear();  // drops the pins; a pooled area goes back
  }
}

OutArea& OutBuffer::Area() {
  if (area_ == nullptr)
    area_ = pool_ != nullptr ? pool_->LendOutArea() : std::make_unique<OutArea>();
  return *area_;
}

OutArea* OutBuffer::Grow(size_t n) {
  OutArea& a = Area();
  if (a.size + n <= a.capacity) return &a;  // a pooled area that already has room
  size_t want = std::max({a.capacity * 2, a.size + n, kInitialCapacity});
  auto bigger = std::make_unique_for_overwrite<char[]>(want);
  if (a.size > 0) memcpy(bigger.get(), a.bytes.get(), a.size);
  a.bytes = std::move(bigger);
  a.capacity = want;
  return &a;
}

void OutBuffer::Commit(size_t n) {
  OutArea& a = *area_;
  a.size += n;
  a.pending += n;
  // Extend the last piece when it is an internal one that ends where these bytes begin.
  if (!a.pieces.empty() && a.pieces.back().external == nullptr &&
      a.pieces.back().offset + a.pieces.back().len == a.committed &&
      a.pieces.size() > a.first_piece) {
    a.pieces.back().len += n;
  } else {
    a.pieces.push_back(OutArea::Piece{nullptr, a.committed, n});
  }
  a.committed = a.size;
}

void OutBuffer::AppendPinned(const char* data, size_t len, Pin pin) {
  Area().pins.push_back(std::move(pin));
  AppendExternal(data, len);
}

void OutBuffer::AppendExternal(const char* data, size_t len) {
  if (len == 0) return;
  OutArea& a = Area();
  a.pieces.push_back(OutArea::Piece{data, 0, len});
  a.pending += len;
}

void OutBuffer::Clear() {
  if (area_ == nullptr) return;
  area_->pending = 0;
  Compact();
}

void OutBuffer::Release() {
  if (area_ != nullptr && area_->pending == 0) Compact();
}

void OutBuffer::Compact() {
  // Everything was sent: reset, and give back memory a burst of large replies took.
  OutArea& a = *area_;
  a.pins.clear();
  a.first_piece = 0;
  a.first_offset = 0;
  a.pending = 0;
  a.size = 0;
  a.committed = 0;
  if (a.pieces.capacity() > kKeepPieces) {
    std::vector<OutArea::Piece>().swap(a.pieces);
  } else {
    a.pieces.clear();
  }
  if (a.pins.capacity() > kKeepPieces) std::vector<Pin>().swap(a.pins);
  if (a.capacity > kShrinkAbove) {
    a.bytes = std::make_unique_for_overwrite<char[]>(kInitialCapacity);
    a.capacity = kInitialCapacity;
  }
  if (pool_ != nullptr) pool_->ReturnOutArea(std::move(area_));
}

bool OutBuffer::Contiguous(const char** data, size_t* len) const {
  const OutArea* a = area_.get();
  if (a == nullptr || a->pending == 0 || a->pieces.size() != a->first_piece + 1) return false;
  const OutArea::Piece& p = a->pieces[a->first_piece];
  *data = (p.external != nullptr ? p.external : a->bytes.get() + p.offset) + a->first_offset;
  *len = p.len - a->first_offset;
  return true;
}

void OutBuffer::Consume(size_t n) {
  OutArea& a = *area_;
  a.pending -= n;
  while (n > 0) {
    OutArea::Piece& p = a.pieces[a.first_piece];
    const size_t rest = p.len - a.first_offset;
    if (n >= rest) {
      n -= rest;
      ++a.first_piece;
      a.first_offset = 0;
    } else {
      a.first_offset += n;
      n = 0;
    }
  }
  if (a.pending == 0) Compact();
}

void OutBuffer::CopyOut(size_t from, size_t len, char* dst) const {
  if (len == 0) return;
  const OutArea& a = *area_;
  size_t skip = a.first_offset + from;  // bytes of pieces[i] before the ones wanted
  for (size_t i = a.first_piece; i < a.pieces.size() && len > 0; ++i) {
    const OutArea::Piece& p = a.pieces[i];
    if (skip >= p.len) {
      skip -= p.len;
      continue;
    }
    const char* base = p.external != nullptr ? p.external : a.bytes.get() + p.offset;
    const size_t n = std::min(p.len - skip, len);
    memcpy(dst, base + skip, n);
    dst += n;
    len -= n;
    skip = 0;
  }
}

ssize_t OutBuffer::Flush(int fd) {
  if (area_ == nullptr) return 0;
  size_t total = 0;
  // Consume() may hand the area back once everything is sent: look it up on every turn.
  while (area_ != nullptr && area_->pending > 0) {
    const OutArea& a = *area_;
    iovec iov[kMaxIov];
    size_t n = 0;
    for (size_t i = a.first_piece; i < a.pieces.size() && n < kMaxIov; ++i, ++n) {
      const OutArea::Piece& p = a.pieces[i];
      const char* base = p.external != nullptr ? p.external : a.bytes.get() + p.offset;
      size_t skip = (i == a.first_piece) ? a.first_offset : 0;
      iov[n].iov_base = const_cast<char*>(base + skip);
      iov[n].iov_len = p.len - skip;
    }
    ssize_t w;
    if (n == 1) {
      // One contiguous piece (the usual reply to one small request): send() spares the kernel
      // copying in and checking a msghdr and an iovec.
      w = send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
    } else {
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = n;
      w = sendmsg(fd, &msg, MSG_NOSIGNAL);
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    total += static_cast<size_t>(w);
    if (w == 0) break;
    Consume(static_cast<size_t>(w));
  }
  Release();
  return static_cast<ssize_t>(total);
}

}  // namespace memfleet::net
