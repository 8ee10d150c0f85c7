// UpstreamServer: one worker's view of one upstream server — its few pipelined connections, its
// counters, and its part in tracking the server's health.
//
// Each worker thread has one UpstreamServer per server of the route trees it runs, built from the
// server's UpstreamSpec; a config reload keeps the UpstreamServer (and its connections) of every
// server the new tree still has. Requests are spread over the connections by fewest in flight.
//
// Health (router/health/server_health.h): every worker's UpstreamServer for a server shares its
// process-wide ServerHealth. Send reads it (one relaxed load) and answers kTko at once, without
// sending, while the server is down (and retrievals while it is recovering). What the
// connections see feeds it: timeouts are soft errors, a lost connection or a failed connect a
// hard error, any reply a good one. The worker calls Tick periodically: an idle connection (no
// request queued for a heartbeat interval) gets an `mn` heartbeat, whose timeout is a soft error
// and resets that connection (it may be half-open); while the server is down, the UpstreamServer
// that wins ClaimProbe sends the probe (a connect now plus `mn`); when the server comes back,
// every worker reconnects its backed-off connections at once instead of waiting out the backoff.
// Heartbeats and probes are counted apart from client requests.
//
// Write log (router/writelog/, docs/router.md "Write log"): a server with UpstreamSpec::write_log
// gets its ServerWriteLog (SetWriteLog). Every write to a server passes through Send, so the log
// is kept here, where the health word is read anyway and the reply of each write is seen:
// - a logged write (writelog::IsLogged) while the server is down or recovering, or while its log
//   holds records, is appended to the log (behind them, with the "still not up" gate) instead
//   of being sent, and answered kTko; the route's other replicas answer the client;
// - a logged write sent while the server is up goes with a small receiver of ours (pooled, not
//   allocated per request) that appends it to the log when it fails with a timeout or a
//   connection error, marks the server down (ServerHealth::MarkDownForWriteLog) and fails the
//   logged writes still in flight so that they are logged behind it, in the order they were sent;
// - the replay: when a probe of this worker brings the server back and the RecoveryHook keeps it
//   recovering, this UpstreamServer claims the replay and runs a WriteLogReplayer over its first
//   connection (a ReplaySink); its on_caught_up calls FinishRecovery under the log's mutex. A
//   failed replay marks the server down again, so the probes go on; the next good probe replays
//   what is left. Tick starts a replay a probe did not, and takes down a server that is up while
//   its log has work (a failed write, a log left by the previous run).
// Hot path of a server that is up with an empty log: one more load (HasWork) per logged write,
// and the pooled receiver; servers without a log pay one pointer test.
// REQUIRES (logged servers): a write's Request stays valid until its receiver is called (the
// routes' RequestContext guarantees it: it lives until every send has completed).
//
// The counters are written by the worker's thread only (common/counter.h) and read by any
// thread: `stats servers` and the metrics sum them over workers. Loop thread only otherwise.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/counter.h"
#include "router/config/route_tree.h"
#include "router/health/server_health.h"
#include "router/upstream/server_write_log.h"
#include "router/upstream/upstream_connection.h"
#include "router/writelog/replayer.h"

namespace memfleet::router {

// Upper bounds (microseconds) of the request latency histogram's buckets; the last bucket is
// everything above (+Inf).
inline constexpr int64_t kLatencyBucketsUs[] = {100,    250,    500,     1000,    2500,
                                                5000,   10000,  25000,   50000,   100000,
                                                250000, 500000, 1000000, 2500000, 5000000};
inline constexpr size_t kLatencyBuckets = sizeof(kLatencyBucketsUs) / sizeof(int64_t) + 1;

struct UpstreamCounters {
  Counter requests;
  Counter errors;  // IsError results other than client errors
  Counter timeouts;
  Counter connect_errors;
  Counter latency_us_total;
  Counter in_flight;  // Add/Sub (wraps below zero never: every request completes once)
  std::atomic<int> up_connections{0};
  std::array<Counter, kLatencyBuckets> latency_buckets{};  // not cumulative
  // Health (heartbeats and probes are in none of the counters above).
  Counter soft_errors;         // timeouts of requests and heartbeats
  Counter hard_errors;         // connections lost or connects failed
  Counter fail_fast;           // requests answered kTko without being sent
  Counter heartbeats;          // heartbeats sent
  Counter heartbeat_failures;  // heartbeats that timed out or lost their connection
  Counter probes;              // probes sent
  Counter probes_failed;
  // Write log (logged servers only).
  Counter wlog_deferred;  // writes appended to the log instead of being sent
  Counter wlog_failed;    // writes sent that failed (timeout, connection) and were appended
  Counter wlog_replays;   // replays this worker ran
  Counter wlog_replay_failures;
};

class UpstreamServer final : public UpstreamObserver {
 public:
  // flush_list: the worker's list of connections to flush at the end of the batch.
  // health: the server's record (shared with the other workers); heartbeat_interval_ms: 0 for
  // none.
  UpstreamServer(net::EventLoop* loop, net::Connector* connector, CoarseClock* clock,
                 const UpstreamSpec& spec, const UpstreamOptions& options, int connections,
                 std::vector<UpstreamConnection*>* flush_list,
                 std::shared_ptr<health::ServerHealth> health, int64_t heartbeat_interval_ms);
  ~UpstreamServer();

  // Sends req on a connection, or answers kTko at once (before returning) while the server is
  // down.
  void Send(const Request& req, ReplyReceiver& done);
  void ConnectAll();
  void CloseAll();
  // The server's write log (nullptr: not logged). At every tree install: a reload may turn it
  // on or off.
  void SetWriteLog(ServerWriteLog* wlog) { wlog_ = wlog; }
  const ServerWriteLog* write_log() const { return wlog_; }
  // True while this worker runs (or waits for the last replies of) a replay.
  bool replaying() const { return replay_ != nullptr; }
  // Heartbeats, probes, reconnecting after a comeback (the worker's health timer).
  void Tick();

  const UpstreamSpec& spec() const { return spec_; }
  const UpstreamCounters& counters() const { return counters_; }
  const health::ServerHealth& health() const { return *health_; }
  // The connections: "up" when one is up, "connecting", or "down".
  const char* state_name() const;

  void OnCompleted(ResultCode code, int64_t latency_us, const ReplyReceiver* done) override;
  void WantFlush(UpstreamConnection* c) override { flush_list_->push_back(c); }
  void OnStateChange() override;

 private:
  // The receiver of one heartbeat (one per connection) or of the probe.
  struct InternalReceiver final : ReplyReceiver {
    UpstreamServer* server = nullptr;
    size_t conn = 0;
    bool probe = false;
    bool pending = false;
    void OnReply(const protocol::Result& r) override { server->OnInternalReply(*this, r); }
  };
  // Send's way when the health word is not the "up" one last seen: false to fail fast.
  bool AdmitSlow(uint32_t word, const Request& req);
  void OnInternalReply(InternalReceiver& rx, const protocol::Result& r);
  void SendProbe();
  // Closes connection i and connects it again at once (a heartbeat or probe timed out on it).
  void ResetConnection(size_t i);
  bool IsInternal(const ReplyReceiver* done) const;
  // Picks a connection and sends req on it (counted as a request).
  void SendOnConnection(const Request& req, ReplyReceiver& done);

  // Write log.
  // A logged write sent while the server is up: appends it if it fails undelivered.
  struct LoggedSend final : ReplyReceiver {
    UpstreamServer* server = nullptr;
    const Request* req = nullptr;
    ReplyReceiver* inner = nullptr;
    void OnReply(const protocol::Result& r) override { server->OnLoggedReply(*this, r); }
  };
  // The replay's way to the server: this worker's first connection.
  struct ReplayRun final : writelog::ReplaySink {
    ReplayRun(UpstreamServer* s, ServerWriteLog* w);
    void Send(const Request& req, ReplyReceiver& done) override;
    UpstreamServer* server;
    ServerWriteLog* wlog;  // whose claim this replay holds
    bool finished = false;
    writelog::WriteLogReplayer replayer;
  };
  void SendLoggedWrite(uint32_t word, const Request& req, ReplyReceiver& done);
  void OnLoggedReply(LoggedSend& ls, const protocol::Result& r);
  // Fails the logged writes in flight on this worker's connections (they are appended, in order,
  // by their receivers) before a later write is appended.
  void FailLoggedInFlight();
  void WriteLogTick();
  void StartReplay();
  void OnReplayDone(writelog::ReplayOutcome outcome, std::string_view error);

  UpstreamSpec spec_;
  CoarseClock* clock_;
  std::vector<std::unique_ptr<UpstreamConnection>> conns_;
  std::vector<UpstreamConnection::State> conn_states_;  // as last seen by OnStateChange
  std::vector<UpstreamConnection*>* flush_list_;
  UpstreamCounters counters_;
  size_t next_ = 0;
  std::atomic<int> state_{0};  // 0 down, 1 connecting, 2 up: read by `stats servers`

  std::shared_ptr<health::ServerHealth> health_;
  int64_t heartbeat_interval_ms_;
  uint32_t up_word_ = 0;         // the health word Send lets through without a second look
  uint32_t comebacks_ = 0;       // comebacks of the server this worker has reconnected for
  bool quiet_failures_ = false;  // closing or resetting on purpose: not a hard error
  std::vector<std::unique_ptr<InternalReceiver>> heartbeat_rx_;  // by connection
  InternalReceiver probe_rx_;

  ServerWriteLog* wlog_ = nullptr;
  size_t logged_inflight_ = 0;
  bool failing_logged_ = false;
  std::vector<std::unique_ptr<LoggedSend>> logged_all_;  // the pool, grown on demand
  std::vector<LoggedSend*> logged_free_;
  std::unique_ptr<ReplayRun> replay_;  // kept until its last reply (replayer idle)
};

}  // namespace memfleet::router
