// WriteLog: the writes one upstream server missed while it was down, in an append-only file,
// kept until a replay has delivered them (WriteLogReplayer) or the server is resynced.
//
// Appends come from every worker thread, but only while the server is not up: when the server
// is up and its log has no work (HasWork() false, one relaxed atomic load), nothing of the log is
// touched per request. One mutex per log serializes appends, reads for a replay, the replay's
// switch to "caught up", the resync mark and syncing; the appends' write(2) (and fdatasync under
// --write-log-fsync always) happen under it, which is fine because they happen only while the
// server is down or recovering, never on the path of an up server's requests.
//
// Bound: an append that would make the file pass max_bytes instead marks the log "needs full
// resync" (persisted in the header, fsynced), drops every record not yet replayed (counted) and
// drops every further append (counted) until ClearResync — the server then holds a state no
// replay can repair, and must be flushed and refilled (by a copy from a healthy replica, or by
// the traffic). An append that fails to reach the file
// (ENOSPC, EIO) does the same: the server missed a write the log could not keep.
//
// Durability (--write-log-fsync): always — fdatasync before Append returns; interval — when an
// append finds the last sync older than the interval, and from WriteLogSet's flusher thread once
// per interval; never — the kernel writes back when it likes. Every appended record is in the
// page cache before Append returns, so a crash of the router alone loses nothing; an OS crash or
// power loss loses what was not synced (docs/router.md "Write log" gives each policy's window).
//
// Recovery on open: records are validated in order; the file is cut at the first one that is
// torn (the file ends inside it: an append the crash interrupted) or corrupt (checksum mismatch,
// impossible field, sequence gap). Both are counted and reported with their file offset
// (stats().last_error); corruption also marks the log "needs full resync", since the records cut
// away after it were writes the server missed.
//
// Lifetime: owned by a WriteLogSet (or a test); every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocol/model.h"
#include "router/writelog/record.h"

namespace memfleet::router::writelog {

enum class FsyncPolicy { kAlways, kInterval, kNever };
// "always", "interval" or "never".
Result<FsyncPolicy> ParseFsyncPolicy(std::string_view s);
std::string_view FsyncPolicyName(FsyncPolicy p);

// The write log's command-line options (the router's --write-log-* flags).
struct WriteLogOptions {
  std::string dir;                             // --write-log-dir; empty: no write log
  uint64_t max_bytes = uint64_t{64} << 20;     // --write-log-max-bytes, per server
  FsyncPolicy fsync = FsyncPolicy::kInterval;  // --write-log-fsync
  int64_t fsync_interval_ms = 1000;            // the interval policy's period
  // Clocks, injectable for tests. wall_ms: the time a record carries (unix milliseconds);
  // steady_ms: what the fsync interval is measured with. Null: the system's clocks.
  std::function<int64_t()> wall_ms;
  std::function<int64_t()> steady_ms;
};

struct WriteLogStats {
  std::string address;
  uint64_t bytes = 0;            // file size, header included
  uint64_t records = 0;          // records not yet replayed
  uint64_t appended = 0;         // records appended since the log was opened
  uint64_t replayed = 0;         // records replayed since the log was opened
  uint64_t dropped = 0;          // writes lost to the bound or an I/O error (persisted)
  uint64_t truncated_bytes = 0;  // torn or corrupt bytes cut away when the log was opened
  uint64_t syncs = 0;            // fdatasync calls
  bool needs_resync = false;
  std::string last_error;  // empty: none
};

enum class AppendOutcome {
  kAppended,  // in the log, in order behind every earlier write
  kDropped,   // lost: the log needs a full resync (stats: dropped, needs_resync)
  kServerUp,  // the gate said the server is up again: send the write to it instead
};

// The records a replay reads at a time, each with the offset where the next one starts.
struct ReplayBatch {
  struct Entry {
    LogRecord record;
    uint64_t end_offset = 0;
  };
  std::vector<Entry> entries;
  uint64_t epoch = 0;  // changes whenever the log is emptied; stale commits are ignored
};

class WriteLog {
 public:
  // Opens (or creates) the log at path for the server at address and validates it (see the
  // header). Fails when the file is not a write log, is another server's, or cannot be read.
  static Result<std::unique_ptr<WriteLog>> Open(const std::string& path, std::string_view address,
                                                const WriteLogOptions& options);
  ~WriteLog();
  WriteLog(const WriteLog&) = delete;
  WriteLog& operator=(const WriteLog&) = delete;

  // Appends req (REQUIRES: IsLogged(req.op)) if still_down(), called under the log's mutex,
  // says the server is still not up. The replay's switch to up (FinishIfCaughtUp's callback)
  // runs under the same mutex, so a write is either logged before the switch (and replayed) or
  // answered kServerUp after it (and sent by the caller): none is left behind in the log.
  template <class StillDown>
  AppendOutcome Append(const protocol::Request& req, StillDown&& still_down) {
    LogRecord rec;
    Status st = FromRequest(req, &rec);  // copies key and value outside the lock
    std::lock_guard lock(mu_);
    if (!still_down()) return AppendOutcome::kServerUp;
    return AppendLocked(st, rec);
  }
  AppendOutcome Append(const protocol::Request& req) {
    return Append(req, [] { return true; });
  }

  // True when the log holds records not yet replayed or needs a resync: the server has work to
  // do before it may serve reads. One atomic load; no lock.
  bool HasWork() const { return has_work_.load(std::memory_order_acquire); }
  bool needs_resync() const;
  // Changes whenever the log is emptied (caught up, resync): a replay's batch read under an
  // older epoch is stale. One atomic load.
  uint64_t epoch() const { return epoch_mirror_.load(std::memory_order_acquire); }
  WriteLogStats stats() const;
  const std::string& address() const { return address_; }
  const std::string& path() const { return path_; }

  // Replay side (WriteLogReplayer).
  // Up to max_records records from offset (0: the first not yet replayed), into *batch.
  Status ReadForReplay(uint64_t offset, size_t max_records, ReplayBatch* batch);
  // Records before offset have been replayed (n of them since the last call): the header's
  // start offset moves there, so that a restart does not replay them again.
  void CommitReplayed(uint64_t epoch, uint64_t offset, uint64_t n);
  // If every record up to the end has been replayed (offset is the end and the epoch is
  // current) and no resync is needed: empties the file and calls on_caught_up under the log's
  // mutex (this is where the server is switched to up), and returns true. Otherwise false:
  // writes arrived meanwhile, read on. REQUIRES: on_caught_up does not call into this log.
  bool FinishIfCaughtUp(uint64_t epoch, uint64_t offset, const std::function<void()>& on_caught_up);

  // The remedy for "needs full resync": empties the log, clears the mark (persisted) and calls
  // under_lock under the log's mutex (switch the server to up there, as in FinishIfCaughtUp).
  // The replayer calls it once the server has been flushed; the resync (router/resync/) calls
  // it just before it flushes the server and copies a healthy replica to it, so that every
  // write from then on is logged and replayed after the copy.
  Status ClearResync(const std::function<void()>& under_lock = {});

  // fdatasync if anything was appended since the last sync (the interval flusher; tests).
  void SyncIfDirty();

 private:
  WriteLog(std::string path, std::string address, const WriteLogOptions& options, int fd);
  Status Recover(uint64_t size);
  AppendOutcome AppendLocked(const Status& from_request, LogRecord& rec);
  // Persists the header fields (flags, first_seq, start_offset, dropped).
  Status WriteHeaderLocked(bool sync);
  // Empties the file down to its header; records not replayed are lost (counted by the caller).
  Status EmptyLocked();
  void MarkResyncLocked(const std::string& why);
  void SyncLocked();
  void UpdateHasWorkLocked() {
    has_work_.store(records_ > 0 || header_.needs_resync(), std::memory_order_release);
  }
  int64_t SteadyMs() const;
  int64_t WallMs() const;

  const std::string path_;
  const std::string address_;
  const WriteLogOptions options_;
  const int fd_;

  mutable std::mutex mu_;
  LogHeader header_;
  uint64_t end_ = 0;  // the end of the last whole record: where the next append goes
  uint64_t next_seq_ = 1;
  uint64_t records_ = 0;  // not yet replayed (from header_.start_offset to end_)
  uint64_t epoch_ = 1;
  bool dirty_ = false;      // appended since the last sync
  bool recovered_ = false;  // Open accepted the file
  int64_t last_sync_ms_ = 0;
  std::string scratch_;  // the record being encoded
  // Stats.
  uint64_t appended_ = 0;
  uint64_t replayed_ = 0;
  uint64_t truncated_bytes_ = 0;
  uint64_t syncs_ = 0;
  std::string last_error_;

  std::atomic<bool> has_work_{false};
  std::atomic<uint64_t> epoch_mirror_{1};
};

}  // namespace memfleet::router::writelog
