#include "router/writelog/write_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "router/writelog/record_scanner.h"

namespace memfleet::router::writelog {
namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

bool WriteAll(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t w = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(w));
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

// Creates path holding only a header: written to a temporary name, synced and renamed, so that
// a crash never leaves a half-written header behind.
Status CreateLogFile(const std::string& path, std::string_view address) {
  LogHeader h;
  h.address = std::string(address);
  std::string bytes;
  EncodeHeader(h, &bytes);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(Errno(tmp));
  bool ok = WriteAll(fd, bytes, 0) && ::fdatasync(fd) == 0;
  std::string error = ok ? "" : Errno(tmp);
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    error = Errno(path);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return Status::IoError(error);
  }
  // The rename is durable once the directory is synced.
  std::string dir = path.substr(0, path.find_last_of('/') + 1);
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view s) {
  if (s == "always") return FsyncPolicy::kAlways;
  if (s == "interval") return FsyncPolicy::kInterval;
  if (s == "never") return FsyncPolicy::kNever;
  return Status::InvalidArgument("--write-log-fsync must be always, interval or never, not '" +
                                 std::string(s) + "'");
}

std::string_view FsyncPolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "interval";
}

WriteLog::WriteLog(std::string path, std::string address, const WriteLogOptions& options, int fd)
    : path_(std::move(path)), address_(std::move(address)), options_(options), fd_(fd) {}

WriteLog::~WriteLog() {
  {
    std::lock_guard lock(mu_);
    // Drops counted while the mark was set are persisted here (not one header write per drop).
    // A file Open refused (another server's, unreadable) is left exactly as it was.
    const bool mark = recovered_ && header_.needs_resync();
    if (mark) WriteHeaderLocked(false);
    if ((dirty_ || mark) && options_.fsync != FsyncPolicy::kNever) SyncLocked();
  }
  ::close(fd_);
}

Result<std::unique_ptr<WriteLog>> WriteLog::Open(const std::string& path, std::string_view address,
                                                 const WriteLogOptions& options) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    Status created = CreateLogFile(path, address);
    if (!created.ok()) return created;
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0) return Status::IoError(Errno(path));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IoError(Errno(path));
    ::close(fd);
    return s;
  }
  std::unique_ptr<WriteLog> log(new WriteLog(path, std::string(address), options, fd));
  Status s = log->Recover(static_cast<uint64_t>(st.st_size));
  if (!s.ok()) return s;
  return log;
}

Status WriteLog::Recover(uint64_t size) {
  std::lock_guard lock(mu_);
  Result<LogHeader> h = ReadHeader(fd_, size);
  if (!h.ok()) return Status::InvalidArgument(path_ + ": " + h.status().message());
  header_ = std::move(h.value());
  if (header_.address != address_) {
    return Status::InvalidArgument(path_ + ": the log is for server '" + header_.address +
                                   "', not '" + address_ + "'");
  }
  const uint64_t header_size = header_.size();
  if (header_.start_offset < header_size) header_.start_offset = header_size;

  RecordScanner scan(fd_, header_size, size);
  LogRecord rec;
  uint64_t seq = header_.first_seq;
  uint64_t pending = 0;
  RecordScanner::Step step;
  for (;;) {
    uint64_t at = scan.offset();
    step = scan.Next(&rec);
    if (step == RecordScanner::Step::kRecord && rec.seq != seq) {
      step = RecordScanner::Step::kCorrupt;
      last_error_ = "corrupt record at offset " + std::to_string(at) + ": sequence " +
                    std::to_string(rec.seq) + ", expected " + std::to_string(seq);
      scan = RecordScanner(fd_, at, size);  // offset() back at the bad record
    }
    if (step != RecordScanner::Step::kRecord) break;
    ++seq;
    if (at >= header_.start_offset) ++pending;
  }
  if (step == RecordScanner::Step::kIoError) return Status::IoError(path_ + ": " + scan.error());
  end_ = scan.offset();
  if (step != RecordScanner::Step::kEnd) {
    truncated_bytes_ = size - end_;
    if (last_error_.empty()) {
      last_error_ = std::string(step == RecordScanner::Step::kTorn ? "torn" : "corrupt") +
                    " record at offset " + std::to_string(end_) + ": " + scan.error();
    }
    last_error_ += "; truncated " + std::to_string(truncated_bytes_) + " bytes";
    if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0) {
      return Status::IoError(Errno(path_ + ": truncating a damaged tail"));
    }
  }
  if (header_.start_offset > end_) header_.start_offset = end_;
  next_seq_ = seq;
  records_ = pending;
  // A torn tail is the one append a crash interrupted; anything else cut away was a write the
  // server missed and no replay can give it.
  if (step == RecordScanner::Step::kCorrupt) MarkResyncLocked(last_error_);
  last_sync_ms_ = SteadyMs();
  recovered_ = true;
  UpdateHasWorkLocked();
  return Status::Ok();
}

int64_t WriteLog::SteadyMs() const {
  if (options_.steady_ms) return options_.steady_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WriteLog::WallMs() const {
  if (options_.wall_ms) return options_.wall_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AppendOutcome WriteLog::AppendLocked(const Status& from_request, LogRecord& rec) {
  if (header_.needs_resync()) {
    ++header_.dropped;  // persisted with the next header write
    return AppendOutcome::kDropped;
  }
  if (!from_request.ok()) {
    ++header_.dropped;
    MarkResyncLocked(from_request.message());
    return AppendOutcome::kDropped;
  }
  if (end_ + rec.encoded_size() > options_.max_bytes) {
    ++header_.dropped;
    MarkResyncLocked("the log reached --write-log-max-bytes (" +
                     std::to_string(options_.max_bytes) + ")");
    return AppendOutcome::kDropped;
  }
  rec.seq = next_seq_;
  rec.time_ms = WallMs();
  scratch_.clear();
  EncodeRecord(rec, &scratch_);
  if (!WriteAll(fd_, scratch_, end_)) {
    std::string why = Errno("append failed");
    // Cut off whatever part of the record reached the file before marking.
    if (::ftruncate(fd_, static_cast<off_t>(end_)) != 0) why += "; " + Errno("truncate failed");
    ++header_.dropped;
    MarkResyncLocked(why);
    return AppendOutcome::kDropped;
  }
  end_ += scratch_.size();
  ++next_seq_;
  ++records_;
  ++appended_;
  dirty_ = true;
  if (options_.fsync == FsyncPolicy::kAlways) {
    SyncLocked();
  } else if (options_.fsync == FsyncPolicy::kInterval &&
             SteadyMs() - last_sync_ms_ >= options_.fsync_interval_ms) {
    SyncLocked();
  }
  UpdateHasWorkLocked();
  return AppendOutcome::kAppended;
}

void WriteLog::SyncLocked() {
  if (::fdatasync(fd_) != 0) last_error_ = Errno("fdatasync");
  ++syncs_;
  dirty_ = false;
  last_sync_ms_ = SteadyMs();
}

void WriteLog::SyncIfDirty() {
  std::lock_guard lock(mu_);
  if (dirty_) SyncLocked();
}

Status WriteLog::WriteHeaderLocked(bool sync) {
  std::string bytes;
  EncodeHeader(header_, &bytes);
  if (!WriteAll(fd_, bytes, 0)) {
    last_error_ = Errno("writing the header");
    return Status::IoError(path_ + ": " + last_error_);
  }
  if (sync) {
    if (::fdatasync(fd_) != 0) last_error_ = Errno("fdatasync");
    ++syncs_;
  }
  return Status::Ok();
}

Status WriteLog::EmptyLocked() {
  const uint64_t header_size = header_.size();
  if (::ftruncate(fd_, static_cast<off_t>(header_size)) != 0) {
    last_error_ = Errno("truncate failed");
    return Status::IoError(path_ + ": " + last_error_);
  }
  end_ = header_size;
  header_.first_seq = next_seq_;
  header_.start_offset = header_size;
  records_ = 0;
  ++epoch_;
  epoch_mirror_.store(epoch_, std::memory_order_release);
  dirty_ = false;
  return Status::Ok();
}

void WriteLog::MarkResyncLocked(const std::string& why) {
  if (!header_.needs_resync()) {
    header_.dropped += records_;
    header_.flags |= kHeaderNeedsResync;
    EmptyLocked();
  }
  last_error_ = why;
  UpdateHasWorkLocked();
  WriteHeaderLocked(true);
}

bool WriteLog::needs_resync() const {
  std::lock_guard lock(mu_);
  return header_.needs_resync();
}

WriteLogStats WriteLog::stats() const {
  std::lock_guard lock(mu_);
  WriteLogStats s;
  s.address = address_;
  s.bytes = end_;
  s.records = records_;
  s.appended = appended_;
  s.replayed = replayed_;
  s.dropped = header_.dropped;
  s.truncated_bytes = truncated_bytes_;
  s.syncs = syncs_;
  s.needs_resync = header_.needs_resync();
  s.last_error = last_error_;
  return s;
}

Status WriteLog::ReadForReplay(uint64_t offset, size_t max_records, ReplayBatch* batch) {
  std::lock_guard lock(mu_);
  batch->entries.clear();
  batch->epoch = epoch_;
  if (offset < header_.start_offset) offset = header_.start_offset;
  RecordScanner scan(fd_, offset, end_);
  while (batch->entries.size() < max_records) {
    ReplayBatch::Entry e;
    RecordScanner::Step step = scan.Next(&e.record);
    if (step == RecordScanner::Step::kEnd) break;
    if (step != RecordScanner::Step::kRecord) {
      // Bytes this log wrote itself no longer read back: the disk lost them.
      last_error_ =
          "reading for replay at offset " + std::to_string(scan.offset()) + ": " + scan.error();
      return Status::IoError(path_ + ": " + last_error_);
    }
    e.end_offset = scan.offset();
    batch->entries.push_back(std::move(e));
  }
  return Status::Ok();
}

void WriteLog::CommitReplayed(uint64_t epoch, uint64_t offset, uint64_t n) {
  std::lock_guard lock(mu_);
  if (epoch != epoch_ || offset <= header_.start_offset || offset > end_) return;
  header_.start_offset = offset;
  records_ = n > records_ ? 0 : records_ - n;
  replayed_ += n;
  WriteHeaderLocked(options_.fsync == FsyncPolicy::kAlways);
  UpdateHasWorkLocked();
}

bool WriteLog::FinishIfCaughtUp(uint64_t epoch, uint64_t offset,
                                const std::function<void()>& on_caught_up) {
  std::lock_guard lock(mu_);
  if (epoch != epoch_ || header_.needs_resync()) return false;
  if (offset < header_.start_offset) offset = header_.start_offset;
  if (offset != end_) return false;
  if (EmptyLocked().ok()) WriteHeaderLocked(options_.fsync == FsyncPolicy::kAlways);
  UpdateHasWorkLocked();
  if (on_caught_up) on_caught_up();
  return true;
}

Status WriteLog::ClearResync(const std::function<void()>& under_lock) {
  std::lock_guard lock(mu_);
  header_.dropped += records_;
  Status s = EmptyLocked();
  if (!s.ok()) return s;
  header_.flags &= ~kHeaderNeedsResync;
  s = WriteHeaderLocked(true);
  UpdateHasWorkLocked();
  if (under_lock) under_lock();
  return s;
}

}  // namespace memfleet::router::writelog
