#include "router/proxy/client_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "protocol/binary/response.h"
#include "protocol/binary/vocabulary.h"
#include "protocol/text/client.h"
#include "protocol/translate.h"
#include "router/proxy/proxy_request.h"
#include "router/proxy/router.h"

namespace memfleet::router {
namespace {

constexpr size_t kMaxPendingOutput = 4 * 1024 * 1024;
constexpr protocol::Protocol kText = protocol::Protocol::kText;
constexpr protocol::Protocol kBinary = protocol::Protocol::kBinary;

}  // namespace

ClientConnection::ClientConnection(ProxyWorker* worker, int fd, int listener)
    : worker_(worker), fd_(fd), listener_(listener) {}

ClientConnection::~ClientConnection() { Close(); }

bool ClientConnection::Start() {
  interest_ = EPOLLIN | EPOLLRDHUP;
  return worker_->loop()->Add(fd_, interest_, this).ok();
}

bool ClientConnection::OutputFull() const { return out_.size() - out_sent_ > kMaxPendingOutput; }

bool ClientConnection::Paused() const {
  return pending_.size() >= worker_->options().max_client_inflight || OutputFull();
}

void ClientConnection::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t want = EPOLLRDHUP;
  if (!Paused() && !close_after_write_) want |= EPOLLIN;
  if (out_sent_ < out_.size()) want |= EPOLLOUT;
  if (want != interest_) {
    interest_ = want;
    (void)worker_->loop()->Modify(fd_, want, this);
  }
}

void ClientConnection::Prepare(uint32_t events) {
  pre_read_ = false;
  net::IoBatch* batch = worker_->io_batch();
  if (batch == nullptr || fd_ < 0 || Paused() || close_after_write_ ||
      !(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
    return;
  }
  pre_room_ = in_.MakeRoom();
  if (pre_room_ == 0) return;  // a line past the buffer's limit: ReadInput's ReadFrom says so
  pre_read_ = true;
  batch->DeferRead(this);
}

std::span<char> ClientConnection::BatchReadRoom() { return {in_.room(), pre_room_}; }

void ClientConnection::BatchReadDone(int result) {
  pre_result_ = result;
  pre_full_ = result > 0 && static_cast<size_t>(result) == pre_room_;
  if (result > 0) in_.Commit(static_cast<size_t>(result));
}

bool ClientConnection::BatchContiguousOutput(const char** data, size_t* len) {
  if (fd_ < 0 || out_sent_ >= out_.size()) return false;
  *data = out_.data() + out_sent_;
  *len = out_.size() - out_sent_;
  return true;
}

void ClientConnection::BatchSendDone(int result) {
  if (fd_ < 0) return;
  if (result > 0) {
    out_sent_ += static_cast<size_t>(result);
    worker_->stats().bytes_written.Add(static_cast<uint64_t>(result));
  } else if (result < 0 && result != -EAGAIN && result != -EWOULDBLOCK && result != -EINTR) {
    Close();
    return;
  }
  Flush();  // the rest, if the send was short; then what waited for room, interest, input
}

void ClientConnection::OnEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (events & EPOLLOUT) {
    Flush();
    if (fd_ < 0) return;
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ReadInput();
  if (fd_ >= 0 && (events & EPOLLRDHUP) && !(events & EPOLLIN)) {
    // The client shut its side: finish what it sent, then close once replies are out.
    ReadInput();
  }
}

void ClientConnection::ReadInput() {
  worker_->clock().Refresh();
  // The batch's read (Prepare) is handled first whatever else changed since: its bytes are in.
  bool pre = pre_read_;
  pre_read_ = false;
  for (int round = 0; round < 8 && fd_ >= 0 && (pre || (!Paused() && !close_after_write_));
       ++round) {
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
      Close();
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EMSGSIZE) {
        // A line longer than the read buffer's limit: memcached closes such a client.
        close_after_write_ = true;
        break;
      }
      Close();
      return;
    }
    worker_->stats().bytes_read.Add(static_cast<uint64_t>(n));
    ProcessInput();
    if (!filled) break;
  }
  UpdateInterest();
  QueueFlush();
}

void ClientConnection::ProcessInput() {
  if (processing_) return;
  processing_ = true;
  while (fd_ >= 0 && !close_after_write_ && !Paused() && !in_.empty()) {
    if (!ProcessOne()) break;
  }
  processing_ = false;
}

bool ClientConnection::ProcessOne() {
  if (swallow_ > 0) {
    size_t n = std::min(swallow_, in_.size());
    in_.Consume(n);
    swallow_ -= n;
    return swallow_ == 0;
  }
  if (!protocol_known_) {
    protocol_ =
        static_cast<uint8_t>(in_.data()[0]) == protocol::binary::kRequestMagic ? kBinary : kText;
    protocol_known_ = true;
  }
  protocol::ClientParse p = protocol::ParseClientRequest(protocol_, in_.view(), &parsed_);
  switch (p.status) {
    case protocol::ClientParseStatus::kIncomplete:
      return false;
    case protocol::ClientParseStatus::kError:
      ReplyParseError(p);
      in_.Consume(p.consumed);
      swallow_ = p.skip;
      return true;
    case protocol::ClientParseStatus::kClose:
      ReplyParseError(p);
      close_after_write_ = true;
      return false;
    case protocol::ClientParseStatus::kUnsupported: {
      // A valid memcached command with no meaning through a router (slabs, lru_crawler, watch,
      // SASL...): answered like an unknown command.
      protocol::Result r;
      r.code = ResultCode::kClientError;
      r.detail = protocol::ErrorDetail::kUnknownCommand;
      protocol::Request req = parsed_.req;
      req.protocol = protocol_;
      if (protocol_ == kBinary) {
        req.opaque = parsed_.binary.header.opaque;
        req.binary_opcode = parsed_.binary.header.opcode;
      }
      req.noreply = false;
      in_.Consume(p.consumed);
      if (protocol_ == kBinary) swallow_ = parsed_.binary.value_length;
      ReplyResult(req, r);
      return true;
    }
    case protocol::ClientParseStatus::kOk:
      break;
  }
  const protocol::Request& req = parsed_.req;
  const bool storage = protocol::IsStorage(req.op);
  const size_t trailer = protocol_ == kBinary ? 0 : 2;
  if (storage && req.value_length > worker_->options().max_item_size) {
    // memcached reads and drops a value over the item size limit, then answers; a set (and any
    // meta ms) also unlinks the item it would have replaced, so that no stale value stays.
    protocol::Result r;
    r.code = ResultCode::kRemoteError;
    r.detail = protocol::ErrorDetail::kTooLarge;
    protocol::Request copy = req;
    copy.value = {};
    in_.Consume(p.consumed);
    swallow_ = req.value_length + trailer;
    if (req.op == Op::kSet || req.protocol == protocol::Protocol::kMeta) {
      ProxyRequest* pr = worker_->NewRequest();
      pr->Begin(this, worker_->AcquireTree(), listener_);
      pr->SetRequest(copy);
      pending_.push_back(pr);
      pr->DropKeyThenAnswer(r);
    } else {
      ReplyResult(copy, r);
    }
    return true;
  }
  size_t total = p.consumed;
  if (storage) {
    if (in_.size() - p.consumed < req.value_length + trailer) return false;  // read the value
    total += req.value_length + trailer;
    if (trailer > 0) {
      const char* end = in_.data() + p.consumed + req.value_length;
      if (end[0] != '\r' || end[1] != '\n') {
        protocol::Result r;
        r.code = ResultCode::kClientError;
        r.detail = protocol::ErrorDetail::kBadDataChunk;
        protocol::Request copy = req;
        ReplyResult(copy, r);
        in_.Consume(total);
        return true;
      }
    }
  }
  ProxyRequest* pr = worker_->NewRequest();
  pr->Begin(this, worker_->AcquireTree(), listener_);
  pr->SetRequest(req);
  in_.Consume(total);
  pending_.push_back(pr);
  Execute(pr);
  return true;
}

void ClientConnection::Execute(ProxyRequest* pr) {
  const protocol::Request& req = pr->request();
  switch (req.op) {
    case Op::kVersion: {
      protocol::Result r;
      r.code = ResultCode::kOk;
      r.text = kRouterVersion;
      pr->Answer(r);
      return;
    }
    case Op::kVerbosity:
    case Op::kNoop: {
      protocol::Result r;
      r.code = ResultCode::kOk;
      pr->Answer(r);
      return;
    }
    case Op::kQuit: {
      protocol::Result r;
      r.code = ResultCode::kOk;
      pr->Answer(r);
      close_after_write_ = true;
      return;
    }
    case Op::kStats:
      // Counted when the requests before it are done, as memcached (which runs them in order)
      // would count them.
      if (pending_.size() > 1) {
        deferred_stats_ = pr;
        return;
      }
      AnswerStats(pr);
      return;
    case Op::kFlushAll:
      if (!worker_->options().enable_flush_cmd) {
        pr->Answer(ErrorReply(kFlushDisabledLine));
        return;
      }
      pr->RouteToAll();
      return;
    default:
      pr->Route();
      return;
  }
}

void ClientConnection::AnswerStats(ProxyRequest* pr) {
  const protocol::Request& req = pr->request();
  std::vector<std::pair<std::string, std::string>> lines;
  if (!worker_->router()->CollectStats(req.args, &lines)) {
    protocol::Result r;
    r.code = ResultCode::kClientError;
    r.detail = protocol::ErrorDetail::kUnknownCommand;
    pr->Answer(r);
    return;
  }
  std::string* out = pr->out();
  for (const auto& [name, value] : lines) {
    protocol::Result r;
    r.code = ResultCode::kOk;
    std::string text = name + " " + value;
    if (req.protocol == kBinary) {
      r.key = name;
      r.value = value;
      r.has_value = true;
      protocol::ComposeClientReply(req, r, out);
    } else {
      r.text = text;
      protocol::text::ComposeStat(r, out);
    }
  }
  protocol::Result end;
  end.code = ResultCode::kOk;
  protocol::ComposeClientReply(req, end, out);
  pr->Finish();
}

void ClientConnection::ReplyResult(const protocol::Request& req, const protocol::Result& r) {
  ProxyRequest* pr = worker_->NewRequest();
  pr->Begin(this, worker_->AcquireTree(), listener_);
  pr->SetRequest(req);
  pending_.push_back(pr);
  pr->Answer(r);
}

void ClientConnection::ReplyParseError(const protocol::ClientParse& p) {
  ProxyRequest* pr = worker_->NewRequest();
  pr->Begin(this, worker_->AcquireTree(), listener_);
  pending_.push_back(pr);
  std::string* out = pr->out();
  if (protocol_ == kBinary) {
    if (p.binary_status != protocol::binary::Status::kSuccess) {
      const auto& h = parsed_.binary.header;
      std::string_view text = protocol::binary::StatusText(p.binary_status);
      size_t at = out->size();
      out->resize(at + protocol::binary::kHeaderSize + text.size());
      size_t n = protocol::binary::EncodeErrorResponse(out->data() + at, h.opcode, h.opaque,
                                                       p.binary_status, text);
      out->resize(at + n);
    }
  } else if (!p.noreply && !p.error.empty()) {
    out->append(p.error);
    out->append("\r\n");
  }
  pr->Finish();
}

void ClientConnection::RequestDone(ProxyRequest* r) {
  r->Hold();  // kept until the requests before it are done and its bytes are moved out
  if (!IsHead(r)) return;
  MoveDone();
  QueueFlush();
  if (!processing_ && !in_.empty() && !Paused()) {
    ProcessInput();
  }
}

void ClientConnection::MoveDone() {
  while (!pending_.empty() && pending_.front()->done() && !OutputFull()) {
    ProxyRequest* next = pending_.front();
    pending_.pop_front();
    out_.append(next->composed());  // empty when it was composed in place
    next->composed().clear();
    next->Release();
    if (!pending_.empty() && pending_.front() == deferred_stats_) {
      ProxyRequest* stats = deferred_stats_;
      deferred_stats_ = nullptr;
      AnswerStats(stats);  // at the head now: composed in place, done
    }
  }
}

void ClientConnection::QueueFlush() {
  if (fd_ < 0 || flush_queued_ || out_sent_ == out_.size()) {
    if (fd_ >= 0 && close_after_write_ && pending_.empty() && out_sent_ == out_.size() &&
        !flush_queued_) {
      flush_queued_ = true;
      worker_->QueueClientFlush(this);
    }
    return;
  }
  flush_queued_ = true;
  worker_->QueueClientFlush(this);
}

void ClientConnection::Flush() {
  flush_queued_ = false;
  if (fd_ < 0) return;
  bool blocked = false;
  while (!blocked) {
    while (out_sent_ < out_.size()) {
      ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
      if (n > 0) {
        out_sent_ += static_cast<size_t>(n);
        worker_->stats().bytes_written.Add(static_cast<uint64_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        blocked = true;
        break;
      }
      Close();
      return;
    }
    if (blocked || pending_.empty() || !pending_.front()->done()) break;
    // Replies that waited for room in out_.
    out_.clear();
    out_sent_ = 0;
    MoveDone();
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    if (out_.capacity() > 1024 * 1024) std::string().swap(out_);
    if (close_after_write_ && pending_.empty()) {
      Close();
      return;
    }
  } else if (out_sent_ > 256 * 1024) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
    MoveDone();
  }
  UpdateInterest();
  // Output drained below the limit: go on with input that was waiting.
  if (!processing_ && !in_.empty() && !Paused()) {
    ProcessInput();
    UpdateInterest();
    if (out_sent_ < out_.size()) QueueFlush();
  }
}

void ClientConnection::Close() {
  if (fd_ < 0) return;
  worker_->loop()->Remove(fd_);
  close(fd_);
  fd_ = -1;
  std::deque<ProxyRequest*> pending;
  pending.swap(pending_);
  for (ProxyRequest* r : pending) {
    if (r->done()) {
      r->Release();  // the reference RequestDone took
    } else {
      r->Detach();
      if (r == deferred_stats_) r->Finish();  // nothing else would ever finish it
    }
  }
  deferred_stats_ = nullptr;
  worker_->ClientClosed(this);
}

}  // namespace memfleet::router
