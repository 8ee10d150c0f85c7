#include "net/read_buffer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace memfleet::net {

ReadBuffer::ReadBuffer(size_t initial, size_t max)
    : buf_(std::make_unique_for_overwrite<char[]>(initial)),
      initial_(initial),
      max_(max),
      cap_(initial) {}

size_t ReadBuffer::MakeRoom() {
  if (start_ == end_) {
    start_ = end_ = 0;
  } else if (end_ == cap_ && start_ > 0) {
    memmove(buf_.get(), buf_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == cap_) {
    // A single line (a long multi-get) fills the buffer: grow it, within a bound.
    if (cap_ * 2 > max_) {
      errno = EMSGSIZE;
      return 0;
    }
    auto bigger = std::make_unique_for_overwrite<char[]>(cap_ * 2);
    memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ *= 2;
  } else if (cap_ > initial_ && end_ - start_ < initial_ / 2) {
    // Give back a buffer a long line grew, once it is no longer needed.
    auto smaller = std::make_unique_for_overwrite<char[]>(initial_);
    memcpy(smaller.get(), buf_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
    buf_ = std::move(smaller);
    cap_ = initial_;
  }
  return cap_ - end_;
}

ssize_t ReadBuffer::ReadFrom(int fd, bool* filled) {
  const size_t room = MakeRoom();
  if (room == 0) return -1;
  ssize_t n = read(fd, buf_.get() + end_, room);
  if (n > 0) {
    end_ += static_cast<size_t>(n);
    *filled = static_cast<size_t>(n) == room;
  }
  return n;
}

}  // namespace memfleet::net
