// ServerWriteLog: one logged upstream server's write log as the workers see it — the WriteLog
// (router/writelog/write_log.h), the claim that lets one worker at a time replay it, and the
// RecoveryHook's permission to replay (given once it has checked who the server is, and copied
// a healthy replica's keys to it when it came back empty: router/resync/).
//
// Owned by the Router (one per address of a server with UpstreamSpec::write_log, made when a
// config naming it is loaded and kept until the router ends, so that a reload never leaves a
// worker with a dangling pointer); every worker's UpstreamServer for the server points to it.
// Thread-safe: the log is, and the claim is one atomic flag.
#pragma once

#include <atomic>

#include "router/writelog/write_log.h"

namespace memfleet::router {

class ServerWriteLog {
 public:
  // gated: a replay waits for the hook's permission for the server's current recovery
  // (AllowReplay with ServerHealth::recoveries()), so that a permission given to one comeback
  // never lets an unchecked later one replay; ungated logs replay whenever recovering.
  explicit ServerWriteLog(writelog::WriteLog* log, bool gated = false) : log_(log), gated_(gated) {}
  ServerWriteLog(const ServerWriteLog&) = delete;
  ServerWriteLog& operator=(const ServerWriteLog&) = delete;

  writelog::WriteLog& log() const { return *log_; }
  // True for one caller until it calls ReleaseReplay: that worker runs the replay.
  bool ClaimReplay() {
    bool expected = false;
    return replaying_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
  }
  void ReleaseReplay() { replaying_.store(false, std::memory_order_release); }
  bool replaying() const { return replaying_.load(std::memory_order_acquire); }
  // Whether the log may be replayed in recovery number `recovery` (ServerHealth::recoveries()).
  bool replay_allowed(uint64_t recovery) const {
    return !gated_ || allowed_recovery_.load(std::memory_order_acquire) == recovery;
  }
  // The hook's permission for recovery number `recovery`.
  void AllowReplay(uint64_t recovery) {
    allowed_recovery_.store(recovery, std::memory_order_release);
  }

 private:
  writelog::WriteLog* const log_;
  const bool gated_;
  std::atomic<bool> replaying_{false};
  std::atomic<uint64_t> allowed_recovery_{0};  // recoveries count from 1: none allowed yet
};

}  // namespace memfleet::router
