// UpstreamServer: one worker's view of one upstream server — its few pipelined connections and
// its counters.
//
// Each worker thread has one UpstreamServer per server of the route trees it runs, built from the
// server's UpstreamSpec; a config reload keeps the UpstreamServer (and its connections) of every
// server the new tree still has. Requests are spread over the connections by fewest in flight.
// The counters are written by the worker's thread only (common/counter.h) and read by any
// thread:
// `stats servers` and the metrics sum them over workers. Loop thread only otherwise.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/counter.h"
#include "router/config/route_tree.h"
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
};

class UpstreamServer final : public UpstreamObserver {
 public:
  // flush_list: the worker's list of connections to flush at the end of the batch.
  UpstreamServer(net::EventLoop* loop, net::Connector* connector, CoarseClock* clock,
                 const UpstreamSpec& spec, const UpstreamOptions& options, int connections,
                 std::vector<UpstreamConnection*>* flush_list);
  ~UpstreamServer();

  void Send(const Request& req, ReplyReceiver& done);
  void ConnectAll();
  void CloseAll();

  const UpstreamSpec& spec() const { return spec_; }
  const UpstreamCounters& counters() const { return counters_; }
  // "up" when a connection is up, "connecting", or "down".
  const char* state_name() const;

  void OnCompleted(ResultCode code, int64_t latency_us) override;
  void WantFlush(UpstreamConnection* c) override { flush_list_->push_back(c); }
  void OnStateChange() override;

 private:
  UpstreamSpec spec_;
  std::vector<std::unique_ptr<UpstreamConnection>> conns_;
  std::vector<UpstreamConnection*>* flush_list_;
  UpstreamCounters counters_;
  size_t next_ = 0;
  std::atomic<int> state_{0};  // 0 down, 1 connecting, 2 up: read by `stats servers`
};

}  // namespace memfleet::router
