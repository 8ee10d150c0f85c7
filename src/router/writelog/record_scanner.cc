#include "router/writelog/record_scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace memfleet::router::writelog {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;

// pread until n bytes or the end of the file; -1 on an error.
ssize_t ReadFully(int fd, char* dst, size_t n, uint64_t offset) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, dst + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

bool RecordScanner::Fill(size_t n) {
  size_t have = buf_.size() - buf_pos_;
  if (have >= n) return true;
  uint64_t left = limit_ - offset_;
  if (have >= left) return true;  // at the limit already
  // Keep the unread bytes, read the rest in one go.
  buf_.erase(0, buf_pos_);
  buf_pos_ = 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(left, std::max(n, kReadChunk)));
  size_t at = buf_.size();
  buf_.resize(want);
  ssize_t r = ReadFully(fd_, buf_.data() + at, want - at, offset_ + at);
  if (r < 0) {
    error_ = std::string("read failed: ") + std::strerror(errno);
    buf_.resize(at);
    return false;
  }
  buf_.resize(at + static_cast<size_t>(r));
  return true;
}

RecordScanner::Step RecordScanner::Next(LogRecord* r) {
  if (offset_ >= limit_) return Step::kEnd;
  size_t need = kRecordFixedSize;
  for (;;) {
    if (!Fill(need)) return Step::kIoError;
    std::string_view avail(buf_.data() + buf_pos_, buf_.size() - buf_pos_);
    size_t size = 0;
    switch (DecodeRecord(avail, r, &size, &error_)) {
      case DecodeStatus::kOk:
        buf_pos_ += size;
        offset_ += size;
        return Step::kRecord;
      case DecodeStatus::kCorrupt:
        return Step::kCorrupt;
      case DecodeStatus::kShort:
        // Read on when the record's length is known, more than the buffer holds, and the bytes
        // before the limit were all there; otherwise the file ends inside this record.
        if (size > avail.size() && size > need &&
            avail.size() >= std::min<uint64_t>(need, limit_ - offset_) &&
            avail.size() < limit_ - offset_) {
          need = size;
          continue;
        }
        error_ = "torn record (the file ends " + std::to_string(avail.size()) + " bytes into it)";
        return Step::kTorn;
    }
  }
}

Result<LogHeader> ReadHeader(int fd, uint64_t size) {
  std::string buf(static_cast<size_t>(std::min<uint64_t>(size, kHeaderFixedSize + 4096)), '\0');
  ssize_t r = ReadFully(fd, buf.data(), buf.size(), 0);
  if (r < 0) return Status::IoError(std::string("read failed: ") + std::strerror(errno));
  buf.resize(static_cast<size_t>(r));
  LogHeader h;
  size_t need = 0;
  std::string error;
  switch (DecodeHeader(buf, &h, &need, &error)) {
    case DecodeStatus::kOk:
      return h;
    case DecodeStatus::kShort:
      return Status::InvalidArgument("corrupt header at offset 0 (the file ends inside it, " +
                                     std::to_string(buf.size()) + " bytes)");
    case DecodeStatus::kCorrupt:
      break;
  }
  return Status::InvalidArgument(error + " at offset 0");
}

Result<LogFile> LogFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IoError(path + ": " + std::strerror(errno));
    ::close(fd);
    return s;
  }
  Result<LogHeader> h = ReadHeader(fd, static_cast<uint64_t>(st.st_size));
  if (!h.ok()) {
    ::close(fd);
    return Status::InvalidArgument(path + ": " + h.status().message());
  }
  return LogFile(fd, std::move(h.value()), static_cast<uint64_t>(st.st_size));
}

LogFile::LogFile(LogFile&& other) noexcept
    : fd_(other.fd_), header_(std::move(other.header_)), size_(other.size_) {
  other.fd_ = -1;
}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
}

RecordScanner LogFile::Records() const { return RecordScanner(fd_, header_.size(), size_); }

}  // namespace memfleet::router::writelog
