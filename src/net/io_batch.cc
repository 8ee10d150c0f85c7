#include "net/io_batch.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#if MEMFLEET_HAVE_LIBURING
#include <liburing.h>
#endif

namespace memfleet::net {

#if MEMFLEET_HAVE_LIBURING

struct IoBatch::Ring {
  io_uring ring;
  bool ok = false;
  ~Ring() {
    if (ok) io_uring_queue_exit(&ring);
  }
};

std::unique_ptr<IoBatch> IoBatch::Create(unsigned entries) {
  auto r = std::make_unique<Ring>();
  if (io_uring_queue_init(entries, &r->ring, 0) != 0) return nullptr;
  r->ok = true;
  return std::unique_ptr<IoBatch>(new IoBatch(std::move(r)));
}

void IoBatch::Flush() {
  if (pending_.empty()) return;
  flushing_.swap(pending_);
  unsigned queued = 0;
  for (size_t i = 0; i < flushing_.size(); i++) {
    Client* c = flushing_[i];
    c->send_queued_ = false;
    const char* data = nullptr;
    size_t len = 0;
    io_uring_sqe* sqe = nullptr;
    if (c->BatchContiguousOutput(&data, &len)) sqe = io_uring_get_sqe(&ring_->ring);
    if (sqe == nullptr) {
      c->BatchSendSelf();  // closed, several pieces, nothing to send, ring full
      flushing_[i] = nullptr;
      continue;
    }
    io_uring_prep_send(sqe, c->BatchFd(), data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, i);
    queued++;
  }
  if (queued > 0) {
    int submitted = io_uring_submit_and_wait(&ring_->ring, queued);
    unsigned done = 0;
    while (done < queued && submitted >= 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&ring_->ring, &cqe) != 0) break;
      const size_t i = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring_->ring, cqe);
      done++;
      Client* c = flushing_[i];
      flushing_[i] = nullptr;
      if (c != nullptr) c->BatchSendDone(res);
    }
    // Should the ring fail, the clients still queued send on their own.
    for (Client* c : flushing_) {
      if (c != nullptr) c->BatchSendSelf();
    }
  }
  flushing_.clear();
}

void IoBatch::FlushReads() {
  if (reads_.empty()) return;
  unsigned queued = 0;
  for (size_t i = 0; i < reads_.size(); i++) {
    Client* c = reads_[i];
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);
    if (sqe == nullptr) break;  // the rest read on their own, below
    const std::span<char> room = c->BatchReadRoom();
    io_uring_prep_recv(sqe, c->BatchFd(), room.data(), room.size(), MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, i);
    queued++;
  }
  if (queued > 0 && io_uring_submit_and_wait(&ring_->ring, queued) >= 0) {
    for (unsigned done = 0; done < queued; done++) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&ring_->ring, &cqe) != 0) break;
      const size_t i = static_cast<size_t>(io_uring_cqe_get_data64(cqe));
      const int res = cqe->res;
      io_uring_cqe_seen(&ring_->ring, cqe);
      reads_[i]->BatchReadDone(res);
      reads_[i] = nullptr;
    }
  }
  // Not submitted or not completed (ring full or failing): a plain read, as without the ring.
  for (Client* c : reads_) {
    if (c == nullptr) continue;
    const std::span<char> room = c->BatchReadRoom();
    ssize_t n = read(c->BatchFd(), room.data(), room.size());
    c->BatchReadDone(n >= 0 ? static_cast<int>(n) : -errno);
  }
  reads_.clear();
}

#else  // !MEMFLEET_HAVE_LIBURING

struct IoBatch::Ring {};

std::unique_ptr<IoBatch> IoBatch::Create(unsigned) { return nullptr; }

void IoBatch::Flush() {
  flushing_.swap(pending_);
  for (Client* c : flushing_) {
    c->send_queued_ = false;
    c->BatchSendSelf();
  }
  flushing_.clear();
}

void IoBatch::FlushReads() {}

#endif

IoBatch::IoBatch(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}
IoBatch::~IoBatch() = default;

void IoBatch::DeferRead(Client* c) { reads_.push_back(c); }

void IoBatch::Defer(Client* c) {
  if (c->send_queued_) return;
  c->send_queued_ = true;
  pending_.push_back(c);
}

}  // namespace memfleet::net
