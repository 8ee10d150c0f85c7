// ServerWriteLog: one logged upstream server's write log as the workers see it — the WriteLog
// (router/writelog/write_log.h) and the claim that lets one worker at a time replay it.
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
  explicit ServerWriteLog(writelog::WriteLog* log) : log_(log) {}
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

 private:
  writelog::WriteLog* const log_;
  std::atomic<bool> replaying_{false};
};

}  // namespace memfleet::router
