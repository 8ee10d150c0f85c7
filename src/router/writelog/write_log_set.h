// WriteLogSet: the write logs of every upstream server, one file per server in one directory
// (--write-log-dir), and the background thread that syncs them under the interval fsync policy.
//
// A log is opened when a server first needs one (ForServer) or, after a restart, for every log
// file found in the directory (Open reads them all, so that logs left by the previous run are
// replayed: All() lists them). Logs live as long as the set; ForServer's pointer stays
// valid until the set is destroyed.
//
// Threads: every method is thread-safe. ForServer takes the set's mutex (a map lookup); callers
// on a hot path look their server's log up once (when a config is loaded) and keep the pointer.
// The flusher thread (interval policy only) calls WriteLog::SyncIfDirty on each log once per
// interval; it holds the set's mutex only to copy the list of logs.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "router/writelog/write_log.h"

namespace memfleet::router::writelog {

class WriteLogSet {
 public:
  // Creates options.dir if needed and opens every log file in it. A file that is not a valid
  // write log fails the whole open with its path and problem (a router must not start
  // without knowing what its servers missed).
  static Result<std::unique_ptr<WriteLogSet>> Open(const WriteLogOptions& options);
  ~WriteLogSet();
  WriteLogSet(const WriteLogSet&) = delete;
  WriteLogSet& operator=(const WriteLogSet&) = delete;

  // The log of the server at address, opened (or created) on first use.
  Result<WriteLog*> ForServer(std::string_view address);
  // The logs found in the directory when the set was opened, and any opened since.
  std::vector<WriteLog*> All() const;
  const WriteLogOptions& options() const { return options_; }

 private:
  explicit WriteLogSet(const WriteLogOptions& options) : options_(options) {}
  void RunFlusher();

  const WriteLogOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<WriteLog>, std::less<>> logs_;  // by address
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace memfleet::router::writelog
