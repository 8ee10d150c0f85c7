#include "server/udp_port.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "protocol/binary/binary.h"
#include "protocol/binary/vocabulary.h"
#include "protocol/text/vocabulary.h"
#include "server/binary_handler.h"
#include "server/server.h"
#include "server/watch_lines.h"
#include "server/worker.h"

namespace memfleet::server {
namespace {

// Datagrams served per readiness event before the worker's other connections get a turn.
constexpr int kDatagramsPerEvent = 16;
// Datagrams handed to one sendmmsg.
constexpr size_t kSendBatch = 32;

bool IsRetrieval(protocol::text::Command c) {
  using protocol::text::Command;
  return c == Command::kGet || c == Command::kGets || c == Command::kGat || c == Command::kGats;
}

}  // namespace

UdpPort::UdpPort(Worker* worker, int fd, std::string description)
    : worker_(worker),
      server_(worker->server()),
      fd_(fd),
      description_(std::move(description)),
      rbuf_(udp::kReadBufferSize, udp::kReadBufferSize),
      send_buf_(new char[kSendBatch * udp::kMaxDatagram]) {
  ctx_ = worker->ContextFor(&out_, &rbuf_, this);
  ctx_.reply_marks = &key_marks_;
  last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
}

UdpPort::~UdpPort() {
  if (registered_) worker_->loop().Remove(fd_);
  close(fd_);
}

bool UdpPort::Start() {
  registered_ = worker_->loop().Add(fd_, EPOLLIN, this).ok();
  return registered_;
}

void UdpPort::OnEvent(uint32_t events) {
  if (!(events & (EPOLLIN | EPOLLERR))) return;
  for (int i = 0; i < kDatagramsPerEvent; ++i) {
    rbuf_.Consume(rbuf_.size());
    const size_t room = rbuf_.MakeRoom();
    peer_len_ = sizeof(peer_);
    ssize_t n =
        recvfrom(fd_, rbuf_.room(), room, 0, reinterpret_cast<sockaddr*>(&peer_), &peer_len_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // drained (EAGAIN), or an error reported for an earlier datagram
    }
    rbuf_.Commit(static_cast<size_t>(n));
    std::optional<udp::Header> h = udp::ParseRequestHeader(rbuf_.view());
    if (!h) continue;
    worker_->stats().bytes_read.Add(static_cast<uint64_t>(n));
    request_id_ = h->request_id;
    if (!udp::Serves(*h)) continue;  // a request spanning datagrams: dropped, as memcached
    rbuf_.Consume(udp::kHeaderSize);
    ServeDatagram();
  }
}

void UdpPort::ServeDatagram() {
  stop_ = false;
  stop_after_reply_ = false;
  if (static_cast<uint8_t>(rbuf_.data()[0]) == protocol::binary::kRequestMagic) {
    ServeBinary();
  } else {
    ServeText();
  }
  pending_item_.Reset();
  Transmit();
}

void UdpPort::ServeText() {
  namespace text = protocol::text;
  while (!stop_ && !rbuf_.empty()) {
    text::Request req;
    text::ParseResult r = text::ParseRequest(rbuf_.view(), &req);
    // A line the datagram does not finish is dropped with it.
    if (r.status == text::ParseStatus::kIncomplete) return;
    if (r.status == text::ParseStatus::kClose) {
      CloseNow();
      return;
    }
    TouchLastCommand();
    BeginReply();
    rbuf_.Consume(r.consumed);
    if (r.status == text::ParseStatus::kError) {
      // With -F, memcached refuses flush_all before it looks at the arguments.
      std::string_view error =
          req.command == text::Command::kFlushAll && !server_->settings().flush_enabled
              ? text::kErrorFlushNotAllowed
              : r.error;
      if (!req.noreply) {
        out_.Append(error);
        out_.Append(text::kCrlf);
      }
      EndReply(req.noreply);
      continue;
    }
    // The request's views point into rbuf_, which does not move until the next datagram.
    handlers_.ExecuteText(req);
    CompleteValue();
    // A meta request that says nothing was quiet (q): memcached skips its reply.
    const bool meta =
        req.command >= text::Command::kMetaGet && req.command <= text::Command::kMetaDebug;
    EndReply(meta || req.noreply);
    if (stop_after_reply_ || IsRetrieval(req.command) || req.command == text::Command::kMetaNoop) {
      Transmit();
    }
    if (stop_after_reply_) stop_ = true;
  }
}

void UdpPort::ServeBinary() {
  namespace bin = protocol::binary;
  BinaryHandler& binary = handlers_.binary();
  while (!stop_ && !rbuf_.empty()) {
    bin::Request req;
    bin::ParseResult r = bin::ParseRequest(rbuf_.view(), &req);
    if (r.status == bin::ParseStatus::kIncomplete) return;
    if (r.status == bin::ParseStatus::kBadMagic) {
      CloseNow();
      return;
    }
    TouchLastCommand();
    BeginReply();
    if (r.status == bin::ParseStatus::kKeyPastBody) {
      binary.RejectKeyPastBody(req);
      EndReply(false);
      Transmit();
      stop_ = true;
      return;
    }
    rbuf_.Consume(r.consumed);
    if (!binary.Execute(req)) return;  // the request's body runs past the datagram
    CompleteValue();
    // A quiet request that says nothing leaves an empty reply, not a skipped one (memcached).
    EndReply(false);
    const auto op = static_cast<bin::Opcode>(req.header.opcode);
    if (stop_after_reply_ || op == bin::Opcode::kNoop) Transmit();
    if (stop_after_reply_) stop_ = true;
  }
}

void UdpPort::ReadValue(ValueOwner owner, storage::ItemRef item, uint32_t length,
                        bool crlf_terminated) {
  pending_owner_ = owner;
  pending_item_ = std::move(item);
  pending_length_ = length;
  pending_crlf_ = crlf_terminated;
}

void UdpPort::CompleteValue() {
  if (!pending_item_) return;
  const size_t need = pending_length_ + (pending_crlf_ ? 2 : 0);
  if (rbuf_.size() < need) {
    // memcached would take the next datagram, header and all, as the rest of the data.
    pending_item_.Reset();
    silent_ = true;
    rbuf_.Consume(rbuf_.size());
    stop_ = true;
    return;
  }
  {
    storage::ValueWriter writer(pending_item_);
    writer.Write(rbuf_.data(), pending_length_);
  }
  rbuf_.Consume(pending_length_);
  bool data_ok = true;
  if (pending_crlf_) {
    data_ok = rbuf_.data()[0] == '\r' && rbuf_.data()[1] == '\n';
    rbuf_.Consume(2);
  }
  handlers_.FinishStore(pending_owner_, std::move(pending_item_), data_ok);
  pending_item_.Reset();
}

void UdpPort::Swallow(size_t n) {
  if (n <= rbuf_.size()) {
    rbuf_.Consume(n);
    return;
  }
  rbuf_.Consume(rbuf_.size());  // the rest would be in later datagrams: nothing more to run
  stop_ = true;
}

void UdpPort::TouchLastCommand() {
  last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
}

void UdpPort::BeginReply() {
  reply_start_ = out_.pending();
  key_marks_.clear();
  silent_ = false;
}

void UdpPort::EndReply(bool skip_if_empty) {
  size_t start = reply_start_;
  const size_t end = out_.pending();
  if (!key_marks_.empty()) {
    // Each key of a multi-get is a reply of its own; END goes with the last key's.
    key_marks_.pop_back();
    for (size_t mark : key_marks_) {
      replies_.push_back(udp::Reply{mark - start, silent_});
      start = mark;
    }
    key_marks_.clear();
  }
  const size_t len = end - start;
  replies_.push_back(udp::Reply{len, silent_ || (len == 0 && skip_if_empty)});
}

void UdpPort::Cull() {
  out_.Clear();
  replies_.clear();
}

void UdpPort::Transmit() {
  plan_.clear();
  udp::PlanDatagrams(request_id_, replies_, &plan_);
  uint64_t written = 0;
  size_t next = 0;
  while (next < plan_.size()) {
    const size_t n = std::min(plan_.size() - next, kSendBatch);
    mmsghdr msgs[kSendBatch];
    iovec iov[kSendBatch];
    for (size_t k = 0; k < n; ++k) {
      const udp::Datagram& d = plan_[next + k];
      char* buf = send_buf_.get() + k * udp::kMaxDatagram;
      udp::WriteHeader(d.header, buf);
      out_.CopyOut(d.offset, d.length, buf + udp::kHeaderSize);
      iov[k].iov_base = buf;
      iov[k].iov_len = udp::kHeaderSize + d.length;
      msgs[k] = mmsghdr{};
      msgs[k].msg_hdr.msg_name = &peer_;
      msgs[k].msg_hdr.msg_namelen = peer_len_;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd_, msgs, static_cast<unsigned>(n), 0);
    if (sent < 0 && errno == EINTR) continue;
    // A full socket buffer or an unreachable peer loses the rest, as UDP may lose any datagram.
    if (sent <= 0) break;
    for (int k = 0; k < sent; ++k) written += msgs[k].msg_len;
    next += static_cast<size_t>(sent);
  }
  if (written > 0) worker_->stats().bytes_written.Add(written);
  Cull();
}

void UdpPort::LogFetch(std::string_view key, const storage::ItemRef& item) {
  std::string line;
  AppendFetchLine(line, key, item ? std::optional(WatchItemOf(item)) : std::nullopt, fd_);
  server_->logger().Log(log_type::kFetchers, line);
}

void UdpPort::LogDeletion(std::string_view cmd, const storage::ItemRef& item) {
  if (!item) return;
  std::string line;
  AppendDeletionLine(line, cmd, WatchItemOf(item));
  server_->logger().Log(log_type::kDeletions, line);
}

// Unlike Connection::LogStore, an append or prepend logs the item it was given, not the joined
// one: watching appends sent over UDP is not worth a second lookup here.
void UdpPort::LogStore(storage::StoreOp op, const storage::ItemRef& item, storage::StoreResult r,
                       bool ttl_zero) {
  std::string line;
  AppendStoreLine(line, op, r, WatchItemOf(item), ttl_zero, server_->clock().Now(), fd_);
  server_->logger().Log(log_type::kMutations, line);
}

}  // namespace memfleet::server
