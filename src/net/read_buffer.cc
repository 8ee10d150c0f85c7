#include "net/read_buffer.h"

#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>

namespace memfleet::net {

ReadBuffer::ReadBuffer(size_t initial, size_t max)
    : pool_(nullptr), initial_(static_cast<uint32_t>(initial)), max_(static_cast<uint32_t>(max)) {
  assert(initial > 0 && initial <= max && max < (size_t{1} << 31));
}

ReadBuffer::ReadBuffer(BufferPool* pool, size_t max)
    : pool_(pool),
      initial_(static_cast<uint32_t>(pool->read_block())),
      max_(static_cast<uint32_t>(max)) {
  assert(initial_ > 0 && initial_ <= max && max < (size_t{1} << 31));
}

ReadBuffer::~ReadBuffer() { DropBuffer(); }

std::unique_ptr<char[]> ReadBuffer::TakeInitial() {
  if (pool_ != nullptr) return pool_->LendReadBlock();
  return std::make_unique_for_overwrite<char[]>(initial_);
}

void ReadBuffer::DropBuffer() {
  if (buf_ == nullptr) return;
  if (pool_ != nullptr && cap_ == initial_) {
    pool_->ReturnReadBlock(std::move(buf_));
  } else {
    buf_.reset();
  }
  cap_ = 0;
}

void ReadBuffer::Resize(size_t new_cap) {
  std::unique_ptr<char[]> other =
      new_cap == initial_ ? TakeInitial() : std::make_unique_for_overwrite<char[]>(new_cap);
  const uint32_t n = end_ - start_;
  if (n > 0) memcpy(other.get(), buf_.get() + start_, n);
  DropBuffer();
  buf_ = std::move(other);
  cap_ = static_cast<uint32_t>(new_cap);
  start_ = 0;
  end_ = n;
}

size_t ReadBuffer::MakeRoom() {
  if (buf_ == nullptr) {
    buf_ = TakeInitial();
    cap_ = initial_;
    start_ = end_ = 0;
    return cap_;
  }
  if (start_ == end_) {
    start_ = end_ = 0;
  } else if (end_ == cap_ && start_ > 0) {
    memmove(buf_.get(), buf_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == cap_) {
    // A single line (a long multi-get) fills the buffer: grow it, within a bound.
    if (size_t{cap_} * 2 > max_) {
      errno = EMSGSIZE;
      return 0;
    }
    Resize(size_t{cap_} * 2);
  } else if (cap_ > initial_ && end_ - start_ < initial_ / 2) {
    // Give back a buffer a long line grew, once it is no longer needed.
    Resize(initial_);
  }
  return cap_ - end_;
}

void ReadBuffer::Release() {
  if (buf_ == nullptr) return;
  if (start_ == end_) {
    DropBuffer();
    start_ = end_ = 0;
  } else if (cap_ > initial_ && end_ - start_ < initial_ / 2) {
    Resize(initial_);
  }
}

ssize_t ReadBuffer::ReadFrom(int fd, bool* filled) {
  const size_t room = MakeRoom();
  if (room == 0) return -1;
  ssize_t n = read(fd, buf_.get() + end_, room);
  if (n > 0) {
    end_ += static_cast<uint32_t>(n);
    *filled = static_cast<size_t>(n) == room;
  }
  return n;
}

}  // namespace memfleet::net
