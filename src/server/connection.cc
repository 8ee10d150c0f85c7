#include "server/connection.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "net/socket.h"
#include "protocol/binary/binary.h"
#include "protocol/text/key_scan.h"
#include "protocol/text/vocabulary.h"
#include "server/ascii_auth_handler.h"
#include "server/binary_handler.h"
#include "server/server.h"
#include "server/watch_state.h"
#include "server/worker.h"

namespace memfleet::server {
namespace {

// Lines of get/gets may be longer than the read buffer; beyond this they close the connection.
constexpr size_t kMaxLineBuffer = net::ReadBuffer::kDefaultMax;
// Above this much unsent output the connection stops reading until the client drains it.
constexpr size_t kOutputHighWater = 4 * 1024 * 1024;
// Reads per readiness event before yielding to other connections.
constexpr int kReadsPerEvent = 4;

// A watcher and a running metadump/mgdump show as memcached's conn_watch: memcached hands both to
// a side thread (logger, crawler) in that state, and keeps it while their output is written.
enum ConnState : uint8_t {
  kStateParse,
  kStateNread,
  kStateSwallow,
  kStateWrite,
  kStateClosing,
  kStateWatch
};

}  // namespace

Connection::Connection(Worker* worker, int fd, std::string listen_addr)
    : worker_(worker),
      server_(worker->server()),
      engine_(&worker->server()->engine()),
      fd_(fd),
      listen_addr_(std::move(listen_addr)),
      peer_(net::PeerName(fd)),
      rbuf_(&worker->buffers(), kMaxLineBuffer),
      out_(&worker->buffers()),
      tcp_(net::IsTcp(fd)) {
  ctx_ = worker->ContextFor(&out_, &rbuf_, this);
  last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
}

Connection::~Connection() {
  if (!closed_) close(fd_);
  if (value_ != nullptr) worker_->ReturnPendingValue(std::move(value_));
}

const char* Connection::state_name() const {
  switch (state_.load(std::memory_order_relaxed)) {
    case kStateNread:
      return "conn_nread";
    case kStateSwallow:
      return "conn_swallow";
    case kStateWrite:
      return "conn_mwrite";
    case kStateClosing:
      return "conn_closing";
    case kStateWatch:
      return "conn_watch";
    default:
      return "conn_parse_cmd";
  }
}

bool Connection::Start() {
  interest_ = EPOLLIN;
  if (!worker_->loop().Add(fd_, interest_, this).ok()) return false;
  if (server_->logger().Wants(log_type::kConnEvents)) LogConnEvent(true, CloseReason::kNormal);
  return true;
}

void Connection::Close(CloseReason reason) {
  if (closed_) return;
  if (server_->logger().Wants(log_type::kConnEvents)) LogConnEvent(false, reason);
  closed_ = true;
  state_.store(kStateClosing, std::memory_order_relaxed);
  worker_->loop().Remove(fd_);
  close(fd_);
  out_.Clear();
  // The read buffer may still be under a request being executed: it goes back with this object.
  if (value_ != nullptr) worker_->ReturnPendingValue(std::move(value_));
  worker_->Remove(this);
}

bool Connection::awaiting_command() const {
  return !closed_ && !watch_ && !close_after_write_ && in_state_ == InState::kCommand &&
         out_.empty();
}

void Connection::Drain() {
  if (closed_) return;
  if (dump_) {
    // ContinueDump closes the connection once the dump has ended and been sent.
    drain_after_dump_ = true;
    return;
  }
  ProcessInput();
  close_after_write_ = true;
  FlushOutput();
}

void Connection::Prepare(uint32_t events) {
  pre_read_ = false;
  pre_keys_ = 0;
  if (closed_ || paused_ || close_after_write_ || !(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
    return;
  }
  pre_read_ = true;
  if (net::IoBatch* batch = worker_->io_batch(); batch != nullptr) {
    pre_room_ = static_cast<uint32_t>(MakeReadRoom());
    if (pre_room_ > 0) {
      batch->DeferRead(this);  // read with the others of this batch; then FinishDeferredRead
      return;
    }
    FinishPreparedRead(-1, errno);
    return;
  }
  ssize_t n = ReadSome(&pre_full_);
  FinishPreparedRead(n, errno);
}

void Connection::FinishDeferredRead(int result) {
  if (result > 0) {
    rbuf_.Commit(static_cast<size_t>(result));
    pre_full_ = static_cast<size_t>(result) == pre_room_;
  }
  FinishPreparedRead(result >= 0 ? result : -1, result >= 0 ? 0 : -result);
}

void Connection::FinishPreparedRead(ssize_t n, int err) {
  pre_n_ = static_cast<int32_t>(n);  // at most the room: below 2^31
  pre_errno_ = err;
  // Only where ProcessTextInput would look ahead itself: commands of an authenticated text
  // connection.
  if (pre_n_ <= 0 || protocol_ != Protocol::kText || in_state_ != InState::kCommand || watch_ ||
      (!authenticated_ && !server_->settings().auth_file.empty())) {
    return;
  }
  uint32_t* hv = worker_->PrefetchSlot(&pre_slot_);
  pre_keys_ = static_cast<uint8_t>(ScanAndStartPrefetch(hv));
}

void Connection::PrepareMore() {
  if (pre_keys_ > 0) engine_->PrefetchFinish(worker_->prefetch_slot(pre_slot_), pre_keys_);
  pre_keys_ = 0;
}

void Connection::OnEvent(uint32_t events) {
  bool pre_read = pre_read_;
  pre_read_ = false;
  if (closed_) return;
  if (events & EPOLLOUT) {
    FlushOutput();
    if (closed_) return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !paused_ && !close_after_write_) {
    for (int i = 0; i < kReadsPerEvent; ++i) {
      bool was_full = false;
      ssize_t n;
      if (pre_read) {  // Prepare() made this read
        pre_read = false;
        n = pre_n_;
        was_full = pre_full_;
        errno = pre_errno_;
      } else {
        n = ReadSome(&was_full);
      }
      if (n == 0) {  // peer closed; replies it can no longer read are dropped
        Close();
        return;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        Close(CloseReason::kError);
        return;
      }
      worker_->stats().bytes_read.Add(static_cast<uint64_t>(n));
      ProcessInput();
      if (closed_) return;
      if (paused_ || close_after_write_ || !was_full) break;
      if (i == kReadsPerEvent - 1) worker_->stats().conn_yields.Add();
    }
    if (net::IoBatch* batch = worker_->io_batch(); batch != nullptr && !out_.empty()) {
      batch->Defer(this);  // sent with the other replies of this batch of events
      ReleaseIdleBuffers();
      return;
    }
    FlushOutput();
  }
}

void Connection::FinishDeferredSend(int result) {
  if (result > 0) {
    out_.Consume(static_cast<size_t>(result));
    worker_->stats().bytes_written.Add(static_cast<uint64_t>(result));
  } else if (result < 0 && result != -EAGAIN && result != -EWOULDBLOCK && result != -EINTR) {
    Close(CloseReason::kError);
    return;
  }
  FlushOutput();  // the rest, if the send was short; then interest and backpressure as usual
}

void Connection::ReleaseIdleBuffers() {
  // An empty read buffer goes back to the worker's pool; a partial request keeps it.
  rbuf_.Release();
  out_.Release();
}

ssize_t Connection::ReadSome(bool* buffer_was_full) {
  scan_end_ = 0;
  return rbuf_.ReadFrom(fd_, buffer_was_full);
}

size_t Connection::MakeReadRoom() {
  scan_end_ = 0;
  return rbuf_.MakeRoom();
}

void Connection::ProcessInput() {
  if (protocol_ == Protocol::kUndecided) {
    if (rbuf_.empty()) return;
    switch (server_->settings().protocol) {
      case BindingProtocol::kAscii:
        protocol_ = Protocol::kText;
        break;
      case BindingProtocol::kBinary:
        protocol_ = Protocol::kBinary;
        break;
      case BindingProtocol::kAuto:
        protocol_ =
            static_cast<uint8_t>(rbuf_.data()[0]) == 0x80 ? Protocol::kBinary : Protocol::kText;
        break;
    }
  }
  if (protocol_ == Protocol::kBinary) {
    ProcessBinaryInput();
  } else {
    ProcessTextInput();
  }
}

Connection::InputStep Connection::ContinuePending() {
  if (out_.pending() > kOutputHighWater) {
    paused_ = true;  // backpressure: resumed by FlushOutput once the client has read
    return InputStep::kStop;
  }
  if (in_state_ == InState::kValue) return ContinueValue() ? InputStep::kAgain : InputStep::kStop;
  if (in_state_ == InState::kDump) return ContinueDump() ? InputStep::kAgain : InputStep::kStop;
  if (in_state_ == InState::kSwallow) {
    size_t n = std::min(rbuf_.size(), swallow_left_);
    rbuf_.Consume(n);
    swallow_left_ -= n;
    if (swallow_left_ > 0) return InputStep::kStop;
    in_state_ = InState::kCommand;
    state_.store(kStateParse, std::memory_order_relaxed);
    return InputStep::kAgain;
  }
  return rbuf_.empty() ? InputStep::kStop : InputStep::kCommand;
}

void Connection::ProcessTextInput() {
  namespace text = protocol::text;
  while (!closed_ && !close_after_write_) {
    if (watch_) {
      // A watcher only receives log lines: like memcached, it no longer executes what it is
      // sent (the bytes are read and dropped, so the peer closing is still seen).
      rbuf_.Consume(rbuf_.size());
      break;
    }
    const InputStep step = ContinuePending();
    if (step == InputStep::kStop) break;
    if (step == InputStep::kAgain) continue;
    if (!authenticated_ && !server_->settings().auth_file.empty()) {
      if (!auth_) auth_ = std::make_unique<AsciiAuthHandler>(ctx_);
      if (!auth_->Execute()) break;
      continue;
    }
    if (rbuf_.offset() >= scan_end_) PrefetchAhead();
    text::Request req;
    text::ParseResult r = text::ParseRequest(rbuf_.view(), &req);
    if (r.status == text::ParseStatus::kIncomplete) break;
    if (r.status == text::ParseStatus::kClose) {
      Close(CloseReason::kError);  // memcached logs a web request's close as reason=error
      return;
    }
    TouchLastCommand();
    if (r.status == text::ParseStatus::kError) {
      rbuf_.Consume(r.consumed);
      noreply_ = req.noreply;
      // With -F, memcached refuses flush_all before it looks at the arguments.
      if (req.command == text::Command::kFlushAll && !server_->settings().flush_enabled) {
        Reply(text::kErrorFlushNotAllowed);
      } else {
        Reply(r.error);
      }
      continue;
    }
    // Execute before consuming: the request's views point into the read buffer, which is not
    // moved until the next read.
    rbuf_.Consume(r.consumed);
    handlers_.ExecuteText(req);
  }
}

void Connection::ProcessBinaryInput() {
  namespace bin = protocol::binary;
  BinaryHandler& binary = handlers_.binary();
  while (!closed_ && !close_after_write_) {
    const InputStep step = ContinuePending();
    if (step == InputStep::kStop) break;
    if (step == InputStep::kAgain) continue;
    bin::Request req;
    bin::ParseResult r = bin::ParseRequest(rbuf_.view(), &req);
    if (r.status == bin::ParseStatus::kIncomplete) break;
    if (r.status == bin::ParseStatus::kBadMagic) {
      Close();  // memcached closes without a reply
      return;
    }
    TouchLastCommand();
    if (r.status == bin::ParseStatus::kKeyPastBody) {
      binary.RejectKeyPastBody(req);
      return;
    }
    // The request's views point into the read buffer, which is not moved until the next read.
    rbuf_.Consume(r.consumed);
    if (!binary.Execute(req)) {
      rbuf_.Unconsume(r.consumed);  // wait for the rest of the request
      break;
    }
  }
}

bool Connection::ContinueValue() {
  PendingValue& v = *value_;
  size_t avail = rbuf_.size();
  if (v.left > 0) {
    size_t n = std::min<size_t>(avail, v.left);
    if (n > 0) {
      v.writer->Write(rbuf_.data(), n);
      rbuf_.Consume(n);
      v.left -= static_cast<uint32_t>(n);
      avail -= n;
    }
    if (v.left > 0) return false;
  }
  while (v.crlf_got < 2 && avail > 0) {
    v.crlf[v.crlf_got++] = rbuf_.data()[0];
    rbuf_.Consume(1);
    --avail;
  }
  if (v.crlf_got < 2) return false;
  FinishStore();
  return true;
}

void Connection::FinishStore() {
  in_state_ = InState::kCommand;
  // Everything is taken out of the pending value before it goes back: the handler below may
  // start the next storage request (or close the connection).
  value_->writer.reset();
  const bool data_ok = value_->crlf[0] == '\r' && value_->crlf[1] == '\n';
  const ValueOwner owner = value_->owner;
  storage::ItemRef item = std::move(value_->item);
  worker_->ReturnPendingValue(std::move(value_));
  handlers_.FinishStore(owner, std::move(item), data_ok);
}

void Connection::ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                           bool crlf_terminated) {
  if (value_ == nullptr) value_ = worker_->LendPendingValue();
  PendingValue& v = *value_;
  v.owner = owner;
  v.item = std::move(item);
  v.writer.emplace(v.item);
  v.left = length;
  if (crlf_terminated) {
    v.crlf_got = 0;
  } else {
    // No terminator to read: mark it as already read and good.
    v.crlf[0] = '\r';
    v.crlf[1] = '\n';
    v.crlf_got = 2;
  }
  in_state_ = InState::kValue;
}

void Connection::TouchLastCommand() {
  last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
}

void Connection::Swallow(size_t n) {
  if (n == 0) return;
  swallow_left_ = n;
  in_state_ = InState::kSwallow;
}

void Connection::PrefetchAhead() {
  uint32_t hv[storage::Engine::kMaxPrefetch];
  const size_t n = ScanAndStartPrefetch(hv);
  // One key alone gains nothing from the second step: its lock and bucket lines would be waited
  // for right here instead of in the lookup (see Engine::Prefetch).
  if (n >= 2) engine_->PrefetchFinish(hv, n);
}

size_t Connection::ScanAndStartPrefetch(uint32_t* hv) {
  std::string_view keys[storage::Engine::kMaxPrefetch];
  protocol::text::KeyScanResult r = protocol::text::ScanKeys(rbuf_.view(), keys, std::size(keys));
  // Past the scanned requests (at least one byte on), so that the next scan starts after them.
  scan_end_ = static_cast<uint32_t>(rbuf_.offset() + std::max<size_t>(r.scanned, 1));
  return r.keys > 0 ? engine_->PrefetchStart(keys, r.keys, hv) : 0;
}

void Connection::FlushOutput() {
  for (;;) {
    if (closed_) return;
    if (!out_.empty()) {
      ssize_t w = out_.Flush(fd_);
      if (w < 0) {
        Close(CloseReason::kError);
        return;
      }
      worker_->stats().bytes_written.Add(static_cast<uint64_t>(w));
    }
    if (!out_.empty()) break;
    if (close_after_write_) {
      Close();
      return;
    }
    if (!paused_) break;
    // Backpressure is over: execute the requests that waited in the read buffer.
    paused_ = false;
    ProcessInput();
  }
  UpdateInterest();
  // Every caller is at the top of a loop turn (an event, a posted task, an IoBatch result):
  // no parsed request points into the buffers any more.
  ReleaseIdleBuffers();
}

void Connection::UpdateInterest() {
  uint32_t want = 0;
  if (!paused_ && !close_after_write_) want |= EPOLLIN;
  if (!out_.empty()) want |= EPOLLOUT;
  state_.store(watch_ || dump_                ? kStateWatch
               : !out_.empty()                ? kStateWrite
               : in_state_ == InState::kValue ? kStateNread
                                              : kStateParse,
               std::memory_order_relaxed);
  if (want != interest_) {
    interest_ = want;
    worker_->loop().Modify(fd_, want, this);
  }
}

void Connection::Reply(std::string_view line) {
  if (noreply_) return;
  ReplyAlways(line);
}

void Connection::ReplyAlways(std::string_view line) {
  char* dst = out_.Reserve(line.size() + 2);
  memcpy(dst, line.data(), line.size());
  dst[line.size()] = '\r';
  dst[line.size() + 1] = '\n';
  out_.Commit(line.size() + 2);
}

void Connection::ReplyLine(std::string_view line_with_crlf) {
  if (noreply_) return;
  out_.Append(line_with_crlf);
}

void Connection::ReplyLineAlways(std::string_view line_with_crlf) { out_.Append(line_with_crlf); }

}  // namespace memfleet::server
