#include "net/out_buffer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace memfleet::net {
namespace {
constexpr size_t kInitialCapacity = 16 * 1024;
constexpr size_t kShrinkAbove = 256 * 1024;
constexpr size_t kMaxIov = 256;
}  // namespace

OutBuffer::OutBuffer() : bytes_(new char[kInitialCapacity]), capacity_(kInitialCapacity) {}

void OutBuffer::Grow(size_t n) {
  size_t want = std::max(capacity_ * 2, size_ + n);
  std::unique_ptr<char[]> bigger(new char[want]);
  memcpy(bigger.get(), bytes_.get(), size_);
  bytes_ = std::move(bigger);
  capacity_ = want;
}

void OutBuffer::Commit(size_t n) {
  size_ += n;
  pending_ += n;
  // Extend the last piece when it is an internal one that ends where these bytes begin.
  if (!pieces_.empty() && pieces_.back().external == nullptr &&
      pieces_.back().offset + pieces_.back().len == committed_ && pieces_.size() > first_piece_) {
    pieces_.back().len += n;
  } else {
    pieces_.push_back(Piece{nullptr, committed_, n});
  }
  committed_ = size_;
}

void OutBuffer::AppendPinned(const char* data, size_t len, Pin pin) {
  pins_.push_back(std::move(pin));
  AppendExternal(data, len);
}

void OutBuffer::AppendExternal(const char* data, size_t len) {
  if (len == 0) return;
  pieces_.push_back(Piece{data, 0, len});
  pending_ += len;
}

void OutBuffer::Clear() {
  pieces_.clear();
  pins_.clear();
  first_piece_ = 0;
  first_offset_ = 0;
  pending_ = 0;
  size_ = 0;
  committed_ = 0;
}

void OutBuffer::Compact() {
  // Everything was sent: reset, and give back memory a burst of large replies took.
  pieces_.clear();
  pins_.clear();
  first_piece_ = 0;
  first_offset_ = 0;
  size_ = 0;
  committed_ = 0;
  if (capacity_ > kShrinkAbove) {
    bytes_.reset(new char[kInitialCapacity]);
    capacity_ = kInitialCapacity;
  }
}

bool OutBuffer::Contiguous(const char** data, size_t* len) const {
  if (pending_ == 0 || pieces_.size() != first_piece_ + 1) return false;
  const Piece& p = pieces_[first_piece_];
  *data = (p.external != nullptr ? p.external : bytes_.get() + p.offset) + first_offset_;
  *len = p.len - first_offset_;
  return true;
}

void OutBuffer::Consume(size_t n) {
  pending_ -= n;
  while (n > 0) {
    Piece& p = pieces_[first_piece_];
    const size_t rest = p.len - first_offset_;
    if (n >= rest) {
      n -= rest;
      ++first_piece_;
      first_offset_ = 0;
    } else {
      first_offset_ += n;
      n = 0;
    }
  }
  if (pending_ == 0) Compact();
}

void OutBuffer::CopyOut(size_t from, size_t len, char* dst) const {
  size_t skip = first_offset_ + from;  // bytes of pieces_[i] before the ones wanted
  for (size_t i = first_piece_; i < pieces_.size() && len > 0; ++i) {
    const Piece& p = pieces_[i];
    if (skip >= p.len) {
      skip -= p.len;
      continue;
    }
    const char* base = p.external != nullptr ? p.external : bytes_.get() + p.offset;
    const size_t n = std::min(p.len - skip, len);
    memcpy(dst, base + skip, n);
    dst += n;
    len -= n;
    skip = 0;
  }
}

ssize_t OutBuffer::Flush(int fd) {
  size_t total = 0;
  while (pending_ > 0) {
    iovec iov[kMaxIov];
    size_t n = 0;
    for (size_t i = first_piece_; i < pieces_.size() && n < kMaxIov; ++i, ++n) {
      const Piece& p = pieces_[i];
      const char* base = p.external != nullptr ? p.external : bytes_.get() + p.offset;
      size_t skip = (i == first_piece_) ? first_offset_ : 0;
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
  if (pending_ == 0) Compact();
  return static_cast<ssize_t>(total);
}

}  // namespace memfleet::net
