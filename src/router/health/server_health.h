// ServerHealth: what the router as a whole believes about one upstream server — up, down (TKO:
// requests fail fast without being sent), recovering (back, but a RecoveryHook has work to do
// before it serves reads) or resyncing (back as a new, empty process: the hook copies a healthy
// replica's keys to it before the replay) — and the rules that move it between those states.
//
// One record per server of the running config, keyed by UpstreamSpec::key(), shared by every
// worker's UpstreamServer for that server and kept across config reloads while the new config
// still has the server (HealthRegistry). Workers report what they see (replies, timeouts, lost
// connections, heartbeats, probes) and read the state on every send; the state is one atomic word
// read with a relaxed load, so the hot path costs a load of a line that changes only when the
// state does. Transitions take the record's own small mutex (never held while calling out,
// except to the registry's pool guard, which takes the registry's mutex: lock order is record,
// then registry).
//
// How a server goes down depends on its mode (chosen from its config):
// - kTko (mcrouter JSON configs): a hard error (a connection refused, reset or closed, a connect
//   timeout) marks it down at once; soft errors (request timeouts) after timeouts_until_tko in a
//   row; any good reply resets the streak. The pool guard may refuse (HealthRegistry). A down
//   server is probed with backoff (probe_delay_initial_ms, x probe_delay_factor up to
//   probe_delay_max_ms, +- probe_jitter); the first good probe brings it back. A server that
//   goes down again within the flap window of coming back resumes its backoff where it was.
// - kEject (a nutcracker.yml pool with auto_eject_hosts: true): ejected after
//   server_failure_limit failures in a row (timeouts and connection errors alike), probed every
//   server_retry_timeout (fixed, no backoff, no jitter: as nutcracker retries); while ejected the
//   pool places its keys over the other servers (NutcrackerPoolRoute).
// - kNever (a nutcracker.yml pool without auto_eject_hosts): never marked down; errors reach the
//   client as nutcracker returns them.
//
// Times are the workers' monotonic milliseconds (CoarseClock), passed in by the caller, so that
// tests drive the record with a fake clock; the unix time of the last change comes from the
// registry's wall clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "protocol/model.h"
#include "router/config/route_tree.h"

namespace memfleet::router::health {

// The two low bits of the health word: every state fits.
enum class HealthState : uint8_t { kUp = 0, kDown = 1, kRecovering = 2, kResyncing = 3 };
const char* HealthStateName(HealthState s);

enum class HealthMode : uint8_t { kTko, kEject, kNever };

// The router's health settings (memfleet-router's flags; mcrouter's names where it has them).
struct HealthOptions {
  int timeouts_until_tko = 3;            // --timeouts-until-tko
  int64_t heartbeat_interval_ms = 1000;  // --heartbeat-interval-ms; 0: no heartbeats
  int64_t probe_delay_initial_ms = 250;  // --probe-delay-initial-ms
  double probe_delay_factor = 2.0;       // --probe-delay-factor
  int64_t probe_delay_max_ms = 10000;    // --probe-delay-max-ms
  double probe_jitter = 0.2;             // --probe-jitter: each delay is d * (1 +- jitter)
  double max_down_share = 0.5;           // --max-down-share: 1.0 lets a whole pool go down
};

class ServerHealth;
class HealthRegistry;

// The seam for the write log (built elsewhere): when a probe brings a down server back, the
// registry's hook, if any, is asked first. BeginRecovery returns true when it has work to do
// before the server may serve reads (a log of writes the server missed to replay): the server is
// then `recovering` — retrievals sent to it fail fast with kTko as if it were down, while every
// other request passes (the hook intercepts the writes it must order behind its replay before
// they reach the UpstreamServer, and sends its replay through the UpstreamServer like any write)
// — until the hook calls server.FinishRecovery(), from any thread, which makes it up. Returning
// false makes it up at once. BeginRecovery is called on the thread of the worker whose probe
// succeeded, with no lock held; it may call FinishRecovery before returning. A server that fails
// again while recovering goes down as usual (the hook sees BeginRecovery again after the next
// good probe). While recovering, the hook may move the server to resyncing (BeginResync) and
// back (EndResync): reads fail fast there too, and only a recovering server can finish.
// The hook must outlive the registry.
class RecoveryHook {
 public:
  virtual bool BeginRecovery(ServerHealth& server) = 0;

 protected:
  ~RecoveryHook() = default;
};

class ServerHealth {
 public:
  // REQUIRES: registry outlives the record (records are made by the registry).
  ServerHealth(const UpstreamSpec& spec, HealthMode mode, const HealthOptions& options,
               HealthRegistry* registry);
  ServerHealth(const ServerHealth&) = delete;
  ServerHealth& operator=(const ServerHealth&) = delete;

  // Any thread, hot path: the state and a count of comebacks packed in one word (word()), so
  // that a worker sees with one load both "down?" and "came back since I last looked?".
  uint32_t word() const { return word_.load(std::memory_order_relaxed); }
  static HealthState StateOf(uint32_t word) { return static_cast<HealthState>(word & 3); }
  static uint32_t ComebacksOf(uint32_t word) { return word >> 2; }
  HealthState state() const { return StateOf(word()); }

  // What workers saw (any thread). now_ms: monotonic milliseconds.
  // A good reply (any reply from the server, a miss or an error line included): resets streaks.
  void OnGoodReply() {
    if (streak_.load(std::memory_order_relaxed) != 0) streak_.store(0, std::memory_order_relaxed);
  }
  // A request or heartbeat timed out.
  void OnSoftError(int64_t now_ms);
  // A connection was lost or could not be made.
  void OnHardError(int64_t now_ms);

  // Probing a down server. ClaimProbe is true for at most one caller at a time, once the
  // current probe delay has passed; that caller sends one probe and reports it with ProbeDone.
  bool ClaimProbe(int64_t now_ms);
  // REQUIRES: the caller's ClaimProbe returned true. ok: the probe had a good reply.
  void ProbeDone(bool ok, int64_t now_ms);
  // While recovering (see RecoveryHook): the hook is done; the server serves reads again.
  void FinishRecovery();
  // Recovering -> resyncing (the hook copies another replica's keys to the server); false, and
  // nothing changes, when the server is not recovering (it went down again meanwhile).
  bool BeginResync();
  // Resyncing -> recovering (the copy is done; the replay comes next); false when the server is
  // not resyncing (it went down during the copy).
  bool EndResync();
  // How many times a probe has made the server recovering (each is one recovery, which a hook
  // may allow its work for: ServerWriteLog::AllowReplay). Incremented before the state changes.
  uint64_t recoveries() const { return recoveries_.load(std::memory_order_acquire); }
  // The write log holds writes this server missed (a write timed out or found no connection, a
  // replay failed, a log left by the previous run): down now, whatever its state, without
  // asking the pool guard — a server that lacks writes must not serve reads, and the first good
  // probe makes the hook replay them. kTko and kEject modes only (kNever is never down).
  void MarkDownForWriteLog(int64_t now_ms);

  const std::string& key() const { return key_; }
  const std::string& address() const { return address_; }
  HealthMode mode() const { return mode_; }
  // Unix seconds of the last state change (0: never changed since the router started).
  int64_t last_change_unix() const { return last_change_unix_.load(std::memory_order_relaxed); }
  // The delay before the next probe (for tests and stats), ms.
  int64_t probe_delay_ms() const;
  // The pool the guard counts the server in (the pool that named it first); set by the registry.
  std::string pool() const;

 private:
  friend class HealthRegistry;
  // REQUIRES: mu_ held. Goes down (consulting the pool guard in kTko mode unless ask_guard is
  // false); false if refused.
  bool MarkDownLocked(int64_t now_ms, bool ask_guard = true);
  void SetStateLocked(HealthState s, bool comeback);
  int64_t JitteredLocked(int64_t delay_ms);
  // The probe delay after delay_ms: x factor, capped.
  int64_t NextDelay(int64_t delay_ms) const;

  const std::string key_;
  const std::string address_;
  const HealthMode mode_;
  const HealthOptions options_;
  const int failure_limit_;      // kEject: failures in a row that eject
  const int64_t retry_timeout_;  // kEject: ms between probes
  HealthRegistry* const registry_;

  std::atomic<uint32_t> word_{0};  // state | comebacks << 2
  std::atomic<int> streak_{0};     // soft errors (kTko) or failures (kEject) in a row
  std::atomic<int64_t> last_change_unix_{0};
  std::atomic<uint64_t> recoveries_{0};

  mutable std::mutex mu_;
  std::string pool_;            // guarded by mu_
  bool probing_ = false;        // guarded by mu_: a claimed probe has not been reported
  int64_t next_probe_ms_ = 0;   // guarded by mu_
  int64_t probe_delay_ms_ = 0;  // guarded by mu_: the delay that set next_probe_ms_
  int64_t up_since_ms_ = -1;    // guarded by mu_: when a probe last brought it back
  int64_t last_delay_ms_ = 0;   // guarded by mu_: the probe delay in force when it came back
  std::minstd_rand rng_;        // guarded by mu_: jitter
};

}  // namespace memfleet::router::health
