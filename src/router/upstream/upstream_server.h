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
#include "router/upstream/upstream_connection.h"

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
};

}  // namespace memfleet::router
