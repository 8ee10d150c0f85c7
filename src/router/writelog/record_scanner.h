// RecordScanner: reads a write log's records in order from an open file, between two offsets,
// telling a clean end from a torn tail (the file ends inside a record) and from corruption (a
// checksum mismatch or an impossible field), with the offset of the record that failed.
//
// The scanner reads with pread into its own buffer (1 MiB at a time, more for a larger record);
// it never changes the file. It is used by WriteLog (validation on open, reads for a replay)
// and by the memfleet-writelog tool (LogFile). One thread at a time; the fd stays the caller's.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "router/writelog/record.h"

namespace memfleet::router::writelog {

class RecordScanner {
 public:
  enum class Step { kRecord, kEnd, kTorn, kCorrupt, kIoError };

  // Scans [offset, limit) of fd.
  RecordScanner(int fd, uint64_t offset, uint64_t limit)
      : fd_(fd), offset_(offset), limit_(limit) {}

  // The next record into *r. kEnd: offset() == limit. kTorn / kCorrupt / kIoError: the record
  // at offset() could not be read; error() says why.
  Step Next(LogRecord* r);
  // Where the next record starts (after kRecord: the end of the one returned).
  uint64_t offset() const { return offset_; }
  const std::string& error() const { return error_; }

 private:
  // Makes buf_ hold at least n bytes from offset_ (fewer only at limit_). False on a read error.
  bool Fill(size_t n);

  int fd_;
  uint64_t offset_;
  uint64_t limit_;
  std::string buf_;
  size_t buf_pos_ = 0;  // buf_[buf_pos_] is the byte at offset_
  std::string error_;
};

// A write log opened read-only, for the tool: its header and a scanner over its records.
class LogFile {
 public:
  static Result<LogFile> Open(const std::string& path);
  LogFile(LogFile&& other) noexcept;
  LogFile& operator=(LogFile&&) = delete;
  ~LogFile();

  const LogHeader& header() const { return header_; }
  uint64_t size() const { return size_; }
  // Every record of the file (from the end of the header, replayed ones included).
  RecordScanner Records() const;

 private:
  LogFile(int fd, LogHeader header, uint64_t size)
      : fd_(fd), header_(std::move(header)), size_(size) {}
  int fd_;
  LogHeader header_;
  uint64_t size_;
};

// Reads the header of fd (size: the file's size). Errors name the problem.
Result<LogHeader> ReadHeader(int fd, uint64_t size);

}  // namespace memfleet::router::writelog
