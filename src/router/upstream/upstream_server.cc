#include "router/upstream/upstream_server.h"

#include <utility>

namespace memfleet::router {
namespace {

using health::HealthState;
using health::ServerHealth;

// What heartbeats and probes send: `mn`, which every server answers with MN at once.
Request NoopRequest() {
  Request r;
  r.op = Op::kNoop;
  r.protocol = protocol::Protocol::kMeta;
  return r;
}

// A reply that shows the server alive: anything but the router's own failures.
bool IsGoodReply(ResultCode code) {
  return code != ResultCode::kTimeout && code != ResultCode::kConnectError &&
         code != ResultCode::kConnectTimeout && code != ResultCode::kTko;
}

}  // namespace

UpstreamServer::UpstreamServer(net::EventLoop* loop, net::Connector* connector, CoarseClock* clock,
                               const UpstreamSpec& spec, const UpstreamOptions& options,
                               int connections, std::vector<UpstreamConnection*>* flush_list,
                               std::shared_ptr<health::ServerHealth> health,
                               int64_t heartbeat_interval_ms)
    : spec_(spec),
      clock_(clock),
      flush_list_(flush_list),
      health_(std::move(health)),
      heartbeat_interval_ms_(heartbeat_interval_ms) {
  UpstreamOptions o = options;
  if (spec.server_timeout_ms > 0) o.server_timeout_ms = spec.server_timeout_ms;
  if (spec.connect_timeout_ms > 0) o.connect_timeout_ms = spec.connect_timeout_ms;
  if (spec.connections > 0) connections = spec.connections;
  if (connections < 1) connections = 1;
  for (int i = 0; i < connections; ++i) {
    conns_.push_back(
        std::make_unique<UpstreamConnection>(loop, connector, clock, spec.address, o, this));
    conn_states_.push_back(UpstreamConnection::State::kDisconnected);
    heartbeat_rx_.push_back(std::make_unique<InternalReceiver>());
    heartbeat_rx_.back()->server = this;
    heartbeat_rx_.back()->conn = static_cast<size_t>(i);
  }
  probe_rx_.server = this;
  probe_rx_.probe = true;
  const uint32_t w = health_->word();
  comebacks_ = ServerHealth::ComebacksOf(w);
  if (ServerHealth::StateOf(w) == HealthState::kUp) up_word_ = w;
}

UpstreamServer::~UpstreamServer() { CloseAll(); }

void UpstreamServer::ConnectAll() {
  for (auto& c : conns_) c->Connect();
}

void UpstreamServer::CloseAll() {
  quiet_failures_ = true;
  for (auto& c : conns_) c->Close();
  quiet_failures_ = false;
  // A closed connection may still sit in the worker's flush list for this batch.
  for (auto& c : conns_) {
    for (auto*& p : *flush_list_) {
      if (p == c.get()) p = nullptr;
    }
  }
}

void UpstreamServer::Send(const Request& req, ReplyReceiver& done) {
  const uint32_t w = health_->word();
  if (w != up_word_ && !AdmitSlow(w, req)) [[unlikely]] {
    // Down: fail fast, never queue behind a server known to be dead or hung.
    counters_.fail_fast.Add();
    protocol::Result r;
    r.code = ResultCode::kTko;
    done.OnReply(r);
    return;
  }
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

bool UpstreamServer::AdmitSlow(uint32_t word, const Request& req) {
  const uint32_t comebacks = ServerHealth::ComebacksOf(word);
  if (comebacks != comebacks_) {
    // Back up: connections still waiting out their reconnect backoff (up to 2 s) would fail
    // this request at once; connect them now, and the request waits for the connect instead.
    comebacks_ = comebacks;
    for (auto& c : conns_) c->ConnectNow();
  }
  switch (ServerHealth::StateOf(word)) {
    case HealthState::kUp:
      up_word_ = word;
      return true;
    case HealthState::kRecovering:
      // The RecoveryHook orders writes behind its replay before they get here; reads wait.
      return !protocol::IsRetrieval(req.op);
    case HealthState::kDown:
      return false;
  }
  return false;
}

bool UpstreamServer::IsInternal(const ReplyReceiver* done) const {
  if (done == &probe_rx_) return true;
  for (const auto& rx : heartbeat_rx_) {
    if (done == rx.get()) return true;
  }
  return false;
}

void UpstreamServer::OnCompleted(ResultCode code, int64_t latency_us, const ReplyReceiver* done) {
  // Heartbeats and probes: accounted for by OnInternalReply.
  if (IsInternal(done)) return;
  if (code == ResultCode::kTimeout) {
    counters_.soft_errors.Add();
    health_->OnSoftError(clock_->now_ms());
  } else if (IsGoodReply(code)) {
    health_->OnGoodReply();
  }
  // Connection errors reach the health record as the connection's failure (OnStateChange).
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
  for (size_t i = 0; i < conns_.size(); ++i) {
    const auto& c = conns_[i];
    if (!c) continue;
    const UpstreamConnection::State now = c->state();
    if (now == UpstreamConnection::State::kBackoff &&
        conn_states_[i] != UpstreamConnection::State::kBackoff && !quiet_failures_) {
      // The connection was lost or could not be made: a hard error.
      counters_.hard_errors.Add();
      health_->OnHardError(clock_->now_ms());
    }
    conn_states_[i] = now;
    up += c->state() == UpstreamConnection::State::kUp;
    connecting |= c->state() == UpstreamConnection::State::kConnecting;
  }
  counters_.up_connections.store(up, std::memory_order_relaxed);
  state_.store(up > 0 ? 2 : connecting ? 1 : 0, std::memory_order_relaxed);
}

void UpstreamServer::Tick() {
  const int64_t now = clock_->now_ms();
  const uint32_t w = health_->word();
  if (ServerHealth::ComebacksOf(w) != comebacks_) {
    comebacks_ = ServerHealth::ComebacksOf(w);
    for (auto& c : conns_) c->ConnectNow();
  }
  if (ServerHealth::StateOf(w) == HealthState::kDown) {
    if (!probe_rx_.pending && health_->ClaimProbe(now)) SendProbe();
    return;
  }
  if (heartbeat_interval_ms_ <= 0) return;
  static const Request kNoop = NoopRequest();
  for (size_t i = 0; i < conns_.size(); ++i) {
    UpstreamConnection* c = conns_[i].get();
    InternalReceiver& rx = *heartbeat_rx_[i];
    if (rx.pending || c->state() != UpstreamConnection::State::kUp ||
        now - c->last_send_ms() < heartbeat_interval_ms_) {
      continue;
    }
    rx.pending = true;
    counters_.heartbeats.Add();
    c->Send(kNoop, rx);
  }
}

void UpstreamServer::SendProbe() {
  // A connect (now, not after the connection's backoff) and an `mn` on it.
  static const Request kNoop = NoopRequest();
  UpstreamConnection* c = conns_[0].get();
  probe_rx_.pending = true;
  probe_rx_.conn = 0;
  counters_.probes.Add();
  c->ConnectNow();
  c->Send(kNoop, probe_rx_);
}

void UpstreamServer::OnInternalReply(InternalReceiver& rx, const protocol::Result& r) {
  rx.pending = false;
  const int64_t now = clock_->now_ms();
  const bool good = IsGoodReply(r.code);
  if (rx.probe) {
    if (!good) counters_.probes_failed.Add();
    if (r.code == ResultCode::kTimeout) ResetConnection(rx.conn);
    health_->ProbeDone(good, now);
    return;
  }
  if (good) {
    health_->OnGoodReply();
    return;
  }
  counters_.heartbeat_failures.Add();
  if (r.code == ResultCode::kTimeout) {
    counters_.soft_errors.Add();
    health_->OnSoftError(now);
    // No answer within the timeout: the connection may be half-open. Replace it before it eats
    // a client's request (its requests in flight fail: they were waiting on it too).
    ResetConnection(rx.conn);
  }
  // A lost connection was a hard error already (OnStateChange).
}

void UpstreamServer::ResetConnection(size_t i) {
  UpstreamConnection* c = conns_[i].get();
  if (c->state() != UpstreamConnection::State::kUp) return;
  // Not a hard error: the timeout that led here was counted already.
  quiet_failures_ = true;
  c->Reset();
  quiet_failures_ = false;
  c->ConnectNow();
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
