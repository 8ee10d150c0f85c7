// ReplicaResync: makes a replica that came back empty equal to its healthy replicas before it
// serves reads again — the router's RecoveryHook when it has write logs (--write-log-dir).
//
// The write log gives a returning server the writes it missed while down; that is enough only if
// the server kept its memory. A replica killed and restarted holds none of what was written
// before its death, so ReplicaResync tells the two apart and repairs the second:
//  - Identity. It learns each logged server's identity (server_identity.h: pid, start time,
//    flushes) from `stats` on a connection of its own, once per check interval while the server
//    is up; a server found up as another process (its restart went unnoticed by the health
//    tracking: the pool guard kept it up) is marked down for a resync at once.
//  - Recovery. When a probe brings a logged server back, BeginRecovery keeps it recovering (reads
//    fail fast, logged writes go to its log) and withholds the log's replay (the Router's
//    ServerWriteLogs are gated: AllowReplay for this recovery) until this thread has asked the
//    server who it is:
//    the same process — the replay runs and the server is up; a new process, a flushed one, or a
//    log that overflowed (needs a full resync) — the server is resyncing while a healthy replica's
//    keys are copied to it (cluster::KeyCopier, add-only so that nothing newer is overwritten; a
//    log that dropped writes means stale values, so the server is flushed first), then the log
//    is replayed (every write since the server went down, in order, on top of the copy) and it
//    is up. resync_plan.h is the decision.
//  - Sources. A healthy replica is another logged server of the config that is up with nothing
//    in its log and shares the server's writes: the route tree's `set` destinations for sample
//    keys show which servers are written together with it; one that is written with it for every
//    sample is a full replica and the copy takes it alone, else every such server is copied
//    from. Each key copied is checked against the tree (a `set` of it goes to the server), so a
//    source that holds other keys too gives only the server's. No healthy replica: the fallback
//    the write log allows (replay what it missed and let it refill; a stale one is flushed),
//    counted.
//  - A copy that fails (either end) marks the server down; the next good probe checks it again
//    and, the resync still pending, copies again.
//
// Threads: one thread of its own for identity checks, and one per running copy; BeginRecovery is
// called on a worker thread and only queues; Configure on the main thread; StatsFor from any.
// The members' ServerWriteLogs and health records must outlive it (the Router's do).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/copy/blocking_connection.h"
#include "cluster/copy/key_copier.h"
#include "router/config/route_tree.h"
#include "router/health/server_health.h"
#include "router/resync/resync_plan.h"
#include "router/resync/server_identity.h"
#include "router/upstream/server_write_log.h"

namespace memfleet::router::resync {

struct ResyncOptions {
  int64_t check_interval_ms = 1000;  // identity checks of servers that are up
  int timeout_ms = 2000;             // connect, send and read bound of every connection
  size_t batch_keys = 128;           // keys listed and fetched at a time
};

class ReplicaResync final : public health::RecoveryHook {
 public:
  struct Member {
    std::string address;
    std::shared_ptr<health::ServerHealth> health;
    ServerWriteLog* wlog = nullptr;  // gated (ServerWriteLog(log, true))
  };
  struct Stats {
    const char* phase = "idle";  // idle, checking, copying
    uint64_t restarts = 0;       // restarts seen (a new process where the old one was)
    uint64_t flushes = 0;        // flushes seen while it was away
    uint64_t resyncs = 0;        // copies completed
    uint64_t failures = 0;       // copies failed
    uint64_t fallbacks = 0;      // returned without a replica to copy from
    uint64_t keys = 0;           // keys added by copies (the running one included)
    uint64_t existed = 0;        // keys a copy found there already (kept)
    uint64_t bytes = 0;          // value bytes sent by copies
  };

  explicit ReplicaResync(const ResyncOptions& options);
  ~ReplicaResync();
  ReplicaResync(const ReplicaResync&) = delete;
  ReplicaResync& operator=(const ReplicaResync&) = delete;

  // Starts the checking thread.
  void Start();
  // Main thread, for every loaded config before the workers take it: its logged servers, and
  // the tree that says who is written with whom.
  void Configure(std::shared_ptr<const RouteTree> tree, std::vector<Member> members);
  bool BeginRecovery(health::ServerHealth& server) override;
  // Any thread. False for an address that is not a member.
  bool StatsFor(std::string_view address, Stats* out) const;

 private:
  struct Server;
  void Run();
  void Check(Server& s);
  void Poll(Server& s);
  Status Identify(Server& s, ServerIdentity* seen);
  // s's record and log as the last Configure gave them.
  Member MemberOf(const Server& s) const;
  std::vector<std::string> ChooseSources(const Server& s, const RouteTree* tree,
                                         std::vector<Server*>& all);
  void StartCopy(Server& s, const Member& m, Plan plan, uint64_t recovery,
                 std::vector<std::string> sources, std::shared_ptr<const RouteTree> tree);
  void CopyRun(Server* s, const Member& m, Plan plan, uint64_t recovery,
               const std::vector<std::string>& sources);
  std::vector<Server*> Snapshot() const;

  const ResyncOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Server>, std::less<>> servers_;  // guarded; never erased
  std::shared_ptr<const RouteTree> tree_;                                // guarded by mu_
  std::deque<Server*> queue_;                                            // guarded by mu_
  bool stop_ = false;                                                    // guarded by mu_
  std::thread thread_;
};

}  // namespace memfleet::router::resync
