#include "router/upstream/upstream_connection.h"

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "protocol/text/client.h"
#include "protocol/translate.h"

namespace memfleet::router {
namespace {

// What ParseUpstreamReply needs of the request an in-flight record stands for.
protocol::Request ShapeOf(protocol::Op op, protocol::Protocol protocol, bool noreply, bool create) {
  protocol::Request s;
  s.op = op;
  s.protocol = protocol;
  s.noreply = noreply;
  s.create = create;
  return s;
}

}  // namespace

UpstreamConnection::UpstreamConnection(net::EventLoop* loop, net::Connector* connector,
                                       CoarseClock* clock, std::string address,
                                       const UpstreamOptions& options, UpstreamObserver* observer)
    : loop_(loop),
      connector_(connector),
      clock_(clock),
      address_(std::move(address)),
      options_(options),
      observer_(observer),
      in_(16 * 1024, options.max_reply_bytes) {}

UpstreamConnection::~UpstreamConnection() { Close(); }

void UpstreamConnection::Connect() {
  if (state_ == State::kDisconnected) StartConnect();
}

void UpstreamConnection::ConnectNow() {
  if (state_ == State::kBackoff) {
    if (reconnect_timer_ != net::kNoTimer) loop_->CancelTimer(reconnect_timer_);
    reconnect_timer_ = net::kNoTimer;
    StartConnect();
  } else if (state_ == State::kDisconnected) {
    StartConnect();
  }
}

void UpstreamConnection::StartConnect() {
  state_ = State::kConnecting;
  connect_id_ = connector_->Connect(address_, options_.connect_timeout_ms,
                                    [this](int fd, int error) { OnConnected(fd, error); });
  observer_->OnStateChange();
}

void UpstreamConnection::OnConnected(int fd, int error) {
  clock_->Refresh();
  connect_id_ = 0;
  if (fd < 0) {
    Fail(error == ETIMEDOUT ? ResultCode::kConnectTimeout : ResultCode::kConnectError);
    return;
  }
  fd_ = fd;
  state_ = State::kUp;
  backoff_ms_ = 0;
  CloseBatch();
  want_write_ = out_.size() > out_sent_;
  if (!loop_->Add(fd_, EPOLLIN | EPOLLRDHUP | (want_write_ ? uint32_t{EPOLLOUT} : 0u), this).ok()) {
    Fail(ResultCode::kConnectError);
    return;
  }
  observer_->OnStateChange();
  if (want_write_) Flush();
}

void UpstreamConnection::Send(const Request& req, ReplyReceiver& done) {
  switch (state_) {
    case State::kBackoff:
      // Down and waiting to reconnect: fail fast rather than queue behind a dead server.
      FailOne(&done, ResultCode::kConnectError, NowUs());
      return;
    case State::kDisconnected:
      StartConnect();
      break;
    case State::kConnecting:
    case State::kUp:
      break;
  }
  const bool batched = Batchable(req);
  if (batched) {
    AppendToBatch(req);
  } else {
    CloseBatch();
    protocol::ComposeUpstreamRequest(req, &out_);
  }
  const int64_t now_ms = clock_->now_ms();
  last_send_ms_ = now_ms;
  int64_t timeout = options_.server_timeout_ms;
  if (state_ == State::kConnecting) timeout += options_.connect_timeout_ms;
  InFlight f{&done, now_ms + timeout, NowUs(), req.op, req.protocol, req.noreply, req.create};
  if (batched) {
    f.batched = true;
    f.key_hash = KeyHash(req.key);
  }
  inflight_.push_back(f);
  if (timeout_timer_ == net::kNoTimer) ArmTimer();
  if (state_ == State::kUp && !flush_queued_) {
    flush_queued_ = true;
    observer_->WantFlush(this);
  }
}

void UpstreamConnection::Flush() {
  flush_queued_ = false;
  if (fd_ < 0) return;
  CloseBatch();
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Fail(ResultCode::kConnectError);
    return;
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  } else if (out_sent_ > 64 * 1024 && out_sent_ * 2 > out_.size()) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
  UpdateEvents();
}

void UpstreamConnection::UpdateEvents() {
  bool want = out_sent_ < out_.size();
  if (want == want_write_ || fd_ < 0) return;
  want_write_ = want;
  (void)loop_->Modify(fd_, EPOLLIN | EPOLLRDHUP | (want ? uint32_t{EPOLLOUT} : 0u), this);
}

void UpstreamConnection::Prepare(uint32_t events) {
  pre_read_ = false;
  if (options_.io_batch == nullptr || fd_ < 0 || state_ != State::kUp ||
      !(events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
    return;
  }
  pre_room_ = in_.MakeRoom();
  if (pre_room_ == 0) return;  // ReadReplies' own read reports why
  pre_read_ = true;
  options_.io_batch->DeferRead(this);
}

void UpstreamConnection::BatchReadDone(int result) {
  pre_result_ = result;
  pre_full_ = result > 0 && static_cast<size_t>(result) == pre_room_;
  if (result > 0) in_.Commit(static_cast<size_t>(result));
}

bool UpstreamConnection::BatchContiguousOutput(const char** data, size_t* len) {
  flush_queued_ = false;
  if (fd_ < 0) return false;
  CloseBatch();
  if (out_sent_ >= out_.size()) return false;
  *data = out_.data() + out_sent_;
  *len = out_.size() - out_sent_;
  return true;
}

void UpstreamConnection::BatchSendDone(int result) {
  if (fd_ < 0) return;
  if (result > 0) {
    out_sent_ += static_cast<size_t>(result);
  } else if (result < 0 && result != -EAGAIN && result != -EWOULDBLOCK && result != -EINTR) {
    Fail(ResultCode::kConnectError);
    return;
  }
  Flush();  // the rest, if the send was short; then the write interest
}

void UpstreamConnection::OnEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (events & EPOLLOUT) {
    Flush();
    if (fd_ < 0) return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) ReadReplies();
}

void UpstreamConnection::ReadReplies() {
  clock_->Refresh();
  bool pre = pre_read_;  // the batch's read (Prepare): its bytes are in
  pre_read_ = false;
  for (int round = 0; round < 16 && fd_ >= 0; ++round) {
    bool filled = false;
    ssize_t n;
    if (pre) {
      pre = false;
      n = pre_result_ >= 0 ? pre_result_ : -1;
      errno = pre_result_ >= 0 ? 0 : -pre_result_;
      filled = pre_full_;
    } else {
      n = in_.ReadFrom(fd_, &filled);
    }
    if (n == 0) {
      Fail(ResultCode::kConnectError);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Fail(ResultCode::kConnectError);
      return;
    }
    // Parse every whole reply in the buffer.
    while (!in_.empty()) {
      if (inflight_.empty()) {
        // A reply nobody asked for: the stream is out of step.
        Fail(ResultCode::kConnectError);
        return;
      }
      if (inflight_.front().batched) {
        const BatchStep step = ReadBatchReply();
        if (step == BatchStep::kIncomplete) break;
        if (step == BatchStep::kFailed) return;
        continue;
      }
      protocol::Result r;
      const InFlight& head = inflight_.front();
      protocol::ReplyParse pr = protocol::ParseUpstreamReply(
          in_.view(), ShapeOf(head.op, head.protocol, head.noreply, head.create), &r);
      if (pr.status == protocol::ReplyStatus::kIncomplete) break;
      if (pr.status == protocol::ReplyStatus::kMalformed) {
        Fail(ResultCode::kRemoteError);
        return;
      }
      // ParseUpstreamReply answers "incomplete" until the value is whole; consumed covers it.
      const size_t used = pr.consumed;
      if (pr.part == protocol::ReplyPart::kValue || pr.part == protocol::ReplyPart::kStat) {
        // Parts of a multi-part text reply (not asked for by the router): skip to its end.
        in_.Consume(used);
        continue;
      }
      InFlight f = inflight_.front();
      inflight_.pop_front();
      // The views in r point into in_; consume after the receiver has seen them.
      Complete(f, r);
      if (fd_ < 0) return;
      in_.Consume(used);
    }
    if (!filled) break;
  }
  // The timeout timer stays armed when the queue empties: it finds nothing due when it fires
  // and re-arms only for requests still waiting, so a busy connection sets about one timer per
  // timeout period instead of one per request.
}

bool UpstreamConnection::Batchable(const Request& req) {
  // A text client's get/gets: the reply it gets is built from flags, value and cas, all of
  // which a text "get"/"gets" returns (the translation layer would send "mg <key> f v [c]").
  return req.protocol == protocol::Protocol::kText &&
         (req.op == protocol::Op::kGet || req.op == protocol::Op::kGets) && !req.noreply &&
         !req.meta.base64_key && !req.key.empty();
}

uint64_t UpstreamConnection::KeyHash(std::string_view key) {
  // Eight bytes per step (keys are 1..250 bytes): tells the keys of one batch apart.
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h = key.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    memcpy(&w, key.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  memcpy(&tail, key.data() + i, key.size() - i);
  h = (h ^ tail) * kMul;
  return h ^ (h >> 32);
}

void UpstreamConnection::AppendToBatch(const Request& req) {
  if (batch_keys_ > 0 && (batch_op_ != req.op || batch_keys_ >= kMaxBatchKeys ||
                          out_.size() - batch_start_ + req.key.size() > kMaxBatchLine)) {
    CloseBatch();
  }
  if (batch_keys_ == 0) {
    batch_start_ = out_.size();
    batch_op_ = req.op;
    protocol::text::ComposeMultiGetStart(req.op, &out_);
  }
  protocol::text::ComposeMultiGetKey(req.key, &out_);
  ++batch_keys_;
}

void UpstreamConnection::CloseBatch() {
  if (batch_keys_ == 0) return;
  protocol::text::ComposeMultiGetEnd(&out_);
  inflight_[inflight_.size() - 1].batch_end = true;
  batch_keys_ = 0;
}

UpstreamConnection::BatchStep UpstreamConnection::ReadBatchReply() {
  // A batch's reply: "VALUE <key> ..." for the keys found, in request order, then "END" (or
  // one error line for the whole command).
  InFlight head = inflight_.front();
  if (!head.batch_end && inflight_.size() == 1) {
    // The rest of the batch is not even queued: the command has not been terminated yet.
    return BatchStep::kIncomplete;
  }
  protocol::Result r;
  protocol::ReplyParse pr = protocol::text::ParseReply(in_.view(), head.op, &r);
  if (pr.status == protocol::ReplyStatus::kIncomplete) return BatchStep::kIncomplete;
  if (pr.status == protocol::ReplyStatus::kMalformed) {
    Fail(ResultCode::kRemoteError);
    return BatchStep::kFailed;
  }
  const size_t used = pr.consumed;
  if (pr.part == protocol::ReplyPart::kValue) {
    const uint64_t h = KeyHash(r.key);
    // Keys before the one found were misses.
    while (!inflight_.front().answered_hit && inflight_.front().key_hash != h) {
      InFlight miss = inflight_.front();
      if (miss.batch_end) {
        Fail(ResultCode::kRemoteError);  // a value for a key this batch did not ask for
        return BatchStep::kFailed;
      }
      inflight_.pop_front();
      CompleteMiss(miss);
      if (fd_ < 0) return BatchStep::kFailed;
    }
    InFlight& found = inflight_.front();
    if (found.answered_hit) {
      Fail(ResultCode::kRemoteError);
      return BatchStep::kFailed;
    }
    InFlight hit = found;
    if (hit.batch_end) {
      // Keep the last entry until the END that closes the batch.
      found.answered_hit = true;
      found.done = nullptr;
    } else {
      inflight_.pop_front();
    }
    r.code = ResultCode::kFound;
    Complete(hit, r);
    if (fd_ < 0) return BatchStep::kFailed;
    in_.Consume(used);
    return BatchStep::kContinue;
  }
  // END (every key not found so far is a miss) or an error line (the whole batch failed).
  const bool end = pr.part == protocol::ReplyPart::kEnd;
  protocol::Result failure = r;
  for (;;) {
    InFlight f = inflight_.front();
    inflight_.pop_front();
    if (end) {
      if (!f.answered_hit) CompleteMiss(f);
    } else {
      Complete(f, failure);
    }
    if (fd_ < 0) return BatchStep::kFailed;
    if (f.batch_end) break;
  }
  in_.Consume(used);
  return BatchStep::kContinue;
}

void UpstreamConnection::CompleteMiss(InFlight& f) {
  protocol::Result miss;
  miss.code = ResultCode::kNotFound;
  Complete(f, miss);
}

void UpstreamConnection::Complete(InFlight& f, const protocol::Result& r) {
  if (f.done == nullptr) return;  // answered by a timeout already
  observer_->OnCompleted(r.code, NowUs() - f.start_us, f.done);
  f.done->OnReply(r);
}

void UpstreamConnection::FailOne(ReplyReceiver* done, ResultCode code, int64_t start_us) {
  protocol::Result r;
  r.code = code;
  observer_->OnCompleted(code, NowUs() - start_us, done);
  done->OnReply(r);
}

void UpstreamConnection::ArmTimer() {
  // The oldest request still waiting for an answer sets the deadline (deadlines grow with
  // the queue: one timeout per connection).
  for (size_t i = 0; i < inflight_.size(); ++i) {
    const InFlight& f = inflight_[i];
    if (f.done == nullptr) continue;
    timer_deadline_ms_ = f.deadline_ms;
    timeout_timer_ = loop_->AddTimerAt(f.deadline_ms, [this] { OnTimer(); });
    return;
  }
  timeout_timer_ = net::kNoTimer;
}

void UpstreamConnection::OnTimer() {
  timeout_timer_ = net::kNoTimer;
  clock_->Refresh();
  const int64_t now = clock_->now_ms();
  size_t waiting = 0;
  for (size_t i = 0; i < inflight_.size(); ++i) {
    InFlight& f = inflight_[i];
    if (f.done == nullptr) continue;
    if (f.deadline_ms > now) break;
    ReplyReceiver* done = f.done;
    f.done = nullptr;
    FailOne(done, ResultCode::kTimeout, f.start_us);
    if (fd_ < 0 && state_ != State::kConnecting) return;  // the receiver closed us
  }
  for (size_t i = 0; i < inflight_.size(); ++i) waiting += inflight_[i].done != nullptr;
  if (state_ == State::kConnecting && waiting == 0 && !inflight_.empty()) {
    // Everything queued behind a connect that has not finished has timed out: drop the queue
    // (nothing was sent) so that it cannot grow without bound.
    inflight_.clear();
    out_.clear();
    out_sent_ = 0;
    batch_keys_ = 0;
  }
  if (waiting > 0) ArmTimer();
}

void UpstreamConnection::Fail(ResultCode code) {
  if (fd_ >= 0) {
    loop_->Remove(fd_);
    close(fd_);
    fd_ = -1;
  }
  if (connect_id_ != 0) {
    connector_->Cancel(connect_id_);
    connect_id_ = 0;
  }
  if (timeout_timer_ != net::kNoTimer) {
    loop_->CancelTimer(timeout_timer_);
    timeout_timer_ = net::kNoTimer;
  }
  want_write_ = false;
  out_.clear();
  out_sent_ = 0;
  batch_keys_ = 0;
  while (in_.size() > 0) in_.Consume(in_.size());
  InFlightQueue<InFlight> failed;
  failed.swap(inflight_);
  backoff_ms_ = backoff_ms_ == 0 ? options_.reconnect_initial_ms
                                 : std::min(backoff_ms_ * 2, options_.reconnect_max_ms);
  state_ = State::kBackoff;
  if (reconnect_timer_ != net::kNoTimer) loop_->CancelTimer(reconnect_timer_);
  reconnect_timer_ = loop_->AddTimer(backoff_ms_, [this] {
    reconnect_timer_ = net::kNoTimer;
    if (state_ == State::kBackoff) StartConnect();
  });
  observer_->OnStateChange();
  for (size_t i = 0; i < failed.size(); ++i) {
    if (failed[i].done != nullptr) FailOne(failed[i].done, code, failed[i].start_us);
  }
}

void UpstreamConnection::Close() {
  if (reconnect_timer_ != net::kNoTimer) {
    loop_->CancelTimer(reconnect_timer_);
    reconnect_timer_ = net::kNoTimer;
  }
  if (fd_ >= 0 || connect_id_ != 0 || !inflight_.empty()) Fail(ResultCode::kConnectError);
  if (reconnect_timer_ != net::kNoTimer) {
    loop_->CancelTimer(reconnect_timer_);
    reconnect_timer_ = net::kNoTimer;
  }
  state_ = State::kDisconnected;
}

}  // namespace memfleet::router
