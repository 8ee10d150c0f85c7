// ReadBuffer: the bytes read from one socket and not yet consumed by a parser.
//
// Bytes arrive at the end (MakeRoom, then a read into room(), then Commit) and leave from the
// front (Consume) as requests or replies are parsed. The unread bytes are always one contiguous
// span, so a parser sees whole lines without copying. The buffer starts at `initial` bytes;
// when a single unconsumed line fills it (a long multi-get), it doubles, up to `max`, and once
// the unread part is small again it shrinks back, so an idle connection holds only `initial`
// bytes. Making room invalidates pointers into the buffer (it may compact, grow or shrink);
// views handed to a parser are valid until the next MakeRoom. Owned by one connection and used
// on one thread; not thread-safe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace memfleet::net {

class ReadBuffer {
 public:
  static constexpr size_t kDefaultInitial = 16 * 1024;
  static constexpr size_t kDefaultMax = 64 * 1024 * 1024;

  // REQUIRES: 0 < initial <= max.
  explicit ReadBuffer(size_t initial = kDefaultInitial, size_t max = kDefaultMax);
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  // The unread bytes: data()[0, size()).
  const char* data() const { return buf_.get() + start_; }
  size_t size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  std::string_view view() const { return std::string_view(data(), size()); }
  // Drops the first n unread bytes. REQUIRES: n <= size().
  void Consume(size_t n) { start_ += n; }
  // Gives back the last n consumed bytes (a request found incomplete after its header was
  // consumed). REQUIRES: they were consumed since the last MakeRoom.
  void Unconsume(size_t n) { start_ -= n; }
  // Where data() lies in the buffer: an offset that only grows between two MakeRoom calls, for
  // callers that remember how far they have looked ahead.
  size_t offset() const { return start_; }

  // Makes room after the unread bytes (compacting, growing for a long line, or shrinking back
  // a grown buffer) and returns how much there is. Returns 0 with errno = EMSGSIZE when the
  // unread bytes already fill a buffer of the largest size: a line longer than `max`.
  size_t MakeRoom();
  // Where the next bytes go; room() is valid until the next MakeRoom.
  char* room() { return buf_.get() + end_; }
  size_t room_size() const { return cap_ - end_; }
  // n bytes were written at room(). REQUIRES: n <= room_size().
  void Commit(size_t n) { end_ += n; }

  // MakeRoom, then one read(2) from fd into the room. Returns what read() returned (-1 with
  // errno EMSGSIZE when no room could be made); *filled tells whether the read filled the room,
  // i.e. the socket may hold more.
  ssize_t ReadFrom(int fd, bool* filled);

  size_t capacity() const { return cap_; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t initial_;
  size_t max_;
  size_t cap_;
  size_t start_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last unread byte
};

}  // namespace memfleet::net
