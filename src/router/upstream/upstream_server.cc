#include "router/upstream/upstream_server.h"

#include <cstdio>
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

// A write that may not have reached the server: the write log keeps it.
bool IsUndelivered(ResultCode code) {
  return code == ResultCode::kTimeout || code == ResultCode::kConnectError ||
         code == ResultCode::kConnectTimeout;
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

UpstreamServer::~UpstreamServer() {
  CloseAll();
  // The replay's requests have failed (CloseAll): another worker may replay.
  if (replay_ != nullptr) replay_->wlog->ReleaseReplay();
}

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
  if (wlog_ != nullptr && writelog::IsLogged(req.op)) {
    SendLoggedWrite(w, req, done);
    return;
  }
  if (w != up_word_ && !AdmitSlow(w, req)) [[unlikely]] {
    // Down: fail fast, never queue behind a server known to be dead or hung.
    counters_.fail_fast.Add();
    protocol::Result r;
    r.code = ResultCode::kTko;
    done.OnReply(r);
    return;
  }
  SendOnConnection(req, done);
}

void UpstreamServer::SendOnConnection(const Request& req, ReplyReceiver& done) {
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
    case HealthState::kResyncing:
      // Logged writes went to the log before they got here; reads wait for the replay.
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
  if (wlog_ != nullptr || replay_ != nullptr) WriteLogTick();
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
    // The RecoveryHook kept the server recovering: its log has writes to replay first.
    if (good && wlog_ != nullptr && health_->state() == HealthState::kRecovering) StartReplay();
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

// --- write log

void UpstreamServer::SendLoggedWrite(uint32_t word, const Request& req, ReplyReceiver& done) {
  writelog::WriteLog& log = wlog_->log();
  if (word != up_word_) (void)AdmitSlow(word, req);  // reconnects after a comeback
  if (ServerHealth::StateOf(word) != HealthState::kUp || log.HasWork()) {
    // Down, recovering (the replay runs) or writes waiting in the log: this one goes behind
    // them. Older writes of this worker still in flight go first.
    if (logged_inflight_ > 0) FailLoggedInFlight();
    const writelog::AppendOutcome o = log.Append(
        req, [this, &log] { return health_->state() != HealthState::kUp || log.HasWork(); });
    if (o != writelog::AppendOutcome::kServerUp) {
      counters_.wlog_deferred.Add();
      counters_.fail_fast.Add();
      protocol::Result r;
      r.code = ResultCode::kTko;
      done.OnReply(r);
      return;
    }
    // The replay caught up meanwhile: the server takes it now.
  }
  if (logged_free_.empty()) {
    logged_all_.push_back(std::make_unique<LoggedSend>());
    logged_all_.back()->server = this;
    logged_free_.push_back(logged_all_.back().get());
  }
  LoggedSend* ls = logged_free_.back();
  logged_free_.pop_back();
  ls->req = &req;
  ls->inner = &done;
  ++logged_inflight_;
  SendOnConnection(req, *ls);
}

void UpstreamServer::OnLoggedReply(LoggedSend& ls, const protocol::Result& r) {
  const Request* req = ls.req;
  ReplyReceiver* inner = ls.inner;
  --logged_inflight_;
  logged_free_.push_back(&ls);
  if (IsUndelivered(r.code) && wlog_ != nullptr) {
    // The server may have missed it: log it (a replay applying it twice is harmless for all
    // but append/prepend/incr/decr, see replayer.h), and keep reads away until the replay.
    wlog_->log().Append(*req);
    counters_.wlog_failed.Add();
    health_->MarkDownForWriteLog(clock_->now_ms());
    // Later writes still in flight are logged behind this one, in the order they were sent.
    if (logged_inflight_ > 0) FailLoggedInFlight();
  }
  inner->OnReply(r);
}

void UpstreamServer::FailLoggedInFlight() {
  if (failing_logged_) return;  // a receiver failed by this call asks again
  failing_logged_ = true;
  const bool quiet = quiet_failures_;
  quiet_failures_ = true;  // on purpose: not a hard error
  for (auto& c : conns_) {
    if (c->in_flight() > 0) c->Reset();
  }
  quiet_failures_ = quiet;
  failing_logged_ = false;
}

void UpstreamServer::WriteLogTick() {
  if (replay_ != nullptr) {
    if (!replay_->finished || !replay_->replayer.idle()) return;
    ServerWriteLog* claimed = replay_->wlog;
    replay_.reset();
    claimed->ReleaseReplay();
  }
  if (wlog_ == nullptr || wlog_->replaying()) return;
  const HealthState state = health_->state();
  if (state == HealthState::kUp && wlog_->log().HasWork()) {
    // Writes failed while it was up, or the previous run left them: no reads until replayed.
    health_->MarkDownForWriteLog(clock_->now_ms());
  } else if (state == HealthState::kRecovering) {
    // The probing worker starts the replay at once if the hook allows it already; this catches
    // one that could not, and the replay the hook allows later (after a check or a copy).
    StartReplay();
  }
}

void UpstreamServer::StartReplay() {
  // The RecoveryHook allows the replay once it knows the server (and has resynced it if need be).
  if (replay_ != nullptr || !wlog_->replay_allowed(health_->recoveries()) ||
      !wlog_->ClaimReplay()) {
    return;
  }
  if (logged_inflight_ > 0) FailLoggedInFlight();
  counters_.wlog_replays.Add();
  replay_ = std::make_unique<ReplayRun>(this, wlog_);
  replay_->replayer.Start();
}

UpstreamServer::ReplayRun::ReplayRun(UpstreamServer* s, ServerWriteLog* w)
    : server(s),
      wlog(w),
      replayer(
          w->log(), *this, writelog::ReplayOptions{},
          // Under the log's mutex: a write is logged before the switch or sent after it.
          [h = s->health_.get()] { h->FinishRecovery(); },
          [this](writelog::ReplayOutcome o, std::string_view error) {
            finished = true;
            server->OnReplayDone(o, error);
          }) {}

void UpstreamServer::ReplayRun::Send(const Request& req, ReplyReceiver& done) {
  // One connection: the server applies the records in the order sent.
  UpstreamConnection* c = server->conns_[0].get();
  server->counters_.requests.Add();
  server->counters_.in_flight.Add();
  c->Send(req, done);
}

void UpstreamServer::OnReplayDone(writelog::ReplayOutcome outcome, std::string_view error) {
  if (outcome == writelog::ReplayOutcome::kCaughtUp ||
      outcome == writelog::ReplayOutcome::kResynced) {
    return;
  }
  counters_.wlog_replay_failures.Add();
  fprintf(stderr, "write log: replay to %s failed (%s): %.*s\n", spec_.address.c_str(),
          std::string(writelog::ReplayOutcomeName(outcome)).c_str(), static_cast<int>(error.size()),
          error.data());
  // Down again: the probes go on, and the next good one replays what is left. A record whose
  // reply timed out may still reach the server: drop the connection it waits on.
  health_->MarkDownForWriteLog(clock_->now_ms());
  const bool quiet = quiet_failures_;
  quiet_failures_ = true;
  if (conns_[0]->in_flight() > 0) conns_[0]->Reset();
  quiet_failures_ = quiet;
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
