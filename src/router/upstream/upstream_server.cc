#include "router/upstream/upstream_server.h"

namespace memfleet::router {

UpstreamServer::UpstreamServer(net::EventLoop* loop, net::Connector* connector, CoarseClock* clock,
                               const UpstreamSpec& spec, const UpstreamOptions& options,
                               int connections, std::vector<UpstreamConnection*>* flush_list)
    : spec_(spec), flush_list_(flush_list) {
  UpstreamOptions o = options;
  if (spec.server_timeout_ms > 0) o.server_timeout_ms = spec.server_timeout_ms;
  if (spec.connect_timeout_ms > 0) o.connect_timeout_ms = spec.connect_timeout_ms;
  if (spec.connections > 0) connections = spec.connections;
  if (connections < 1) connections = 1;
  for (int i = 0; i < connections; ++i) {
    conns_.push_back(
        std::make_unique<UpstreamConnection>(loop, connector, clock, spec.address, o, this));
  }
}

UpstreamServer::~UpstreamServer() { CloseAll(); }

void UpstreamServer::ConnectAll() {
  for (auto& c : conns_) c->Connect();
}

void UpstreamServer::CloseAll() {
  for (auto& c : conns_) c->Close();
  // A closed connection may still sit in the worker's flush list for this batch.
  for (auto& c : conns_) {
    for (auto*& p : *flush_list_) {
      if (p == c.get()) p = nullptr;
    }
  }
}

void UpstreamServer::Send(const Request& req, ReplyReceiver& done) {
  counters_.requests.Add();
  counters_.in_flight.Add();
  UpstreamConnection* best = conns_[0].get();
  if (conns_.size() > 1) {
    // Fewest in flight among the connections that are up; round robin breaks ties.
    size_t n = conns_.size();
    size_t start = next_++ % n;
    best = nullptr;
    for (size_t i = 0; i < n; ++i) {
      UpstreamConnection* c = conns_[(start + i) % n].get();
      if (best == nullptr || (c->state() == UpstreamConnection::State::kUp &&
                              (best->state() != UpstreamConnection::State::kUp ||
                               c->in_flight() < best->in_flight()))) {
        best = c;
      }
    }
  }
  best->Send(req, done);
}

void UpstreamServer::OnCompleted(ResultCode code, int64_t latency_us) {
  counters_.in_flight.Sub();
  counters_.latency_us_total.Add(static_cast<uint64_t>(latency_us));
  size_t b = 0;
  while (b + 1 < kLatencyBuckets && latency_us > kLatencyBucketsUs[b]) ++b;
  counters_.latency_buckets[b].Add();
  if (code == ResultCode::kTimeout) counters_.timeouts.Add();
  if (code == ResultCode::kConnectError || code == ResultCode::kConnectTimeout) {
    counters_.connect_errors.Add();
  }
  if (protocol::IsError(code) && code != ResultCode::kClientError) {
    counters_.errors.Add();
  }
}

void UpstreamServer::OnStateChange() {
  int up = 0;
  bool connecting = false;
  for (auto& c : conns_) {
    if (!c) continue;
    up += c->state() == UpstreamConnection::State::kUp;
    connecting |= c->state() == UpstreamConnection::State::kConnecting;
  }
  counters_.up_connections.store(up, std::memory_order_relaxed);
  state_.store(up > 0 ? 2 : connecting ? 1 : 0, std::memory_order_relaxed);
}

const char* UpstreamServer::state_name() const {
  switch (state_.load(std::memory_order_relaxed)) {
    case 2:
      return "up";
    case 1:
      return "connecting";
    default:
      return "down";
  }
}

}  // namespace memfleet::router
