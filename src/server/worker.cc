#include "server/worker.h"

#include <unistd.h>

#include "net/socket.h"
#include "server/server.h"

namespace memfleet::server {
namespace {

constexpr unsigned kIoBatchEntries = 256;  // as many as one epoll_wait returns
// PendingValues kept for the next storage request: as many as a batch of events will want.
constexpr size_t kMaxFreeValues = net::BufferPool::kDefaultMaxFree;

}  // namespace

Worker::Worker(Server* server, int id)
    : server_(server), id_(id), session_(server->engine().NewSession()) {}

Worker::~Worker() { Join(); }

bool Worker::Start() {
  if (!loop_.ok()) return false;
  int idle = server_->settings().idle_timeout;
  if (idle > 0) loop_.Every(1000, [this] { CheckIdle(); });
  thread_ = std::thread([this] {
    // The ring belongs to this thread's loop: one submission per batch of events.
    if (server_->settings().io_uring) io_batch_ = net::IoBatch::Create(kIoBatchEntries);
    if (io_batch_ != nullptr) loop_.SetAfterPrepare([this] { io_batch_->FlushReads(); });
    loop_.SetAfterEvents([this] {
      if (io_batch_ != nullptr) io_batch_->Flush();
      prefetch_used_ = 0;  // the batch is over: every PrepareMore has run
    });
    for (auto& port : udp_) port->Start();
    loop_.Run();
  });
  return true;
}

void Worker::Stop() {
  loop_.Post([this] {
    std::vector<Connection*> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& conn : conns_) all.push_back(conn.get());
    }
    for (Connection* c : all) c->Close(Connection::CloseReason::kShutdown);
  });
  loop_.Stop();
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  conns_.clear();
}

void Worker::Adopt(int fd, std::string listen_addr) {
  loop_.Post([this, fd, addr = std::move(listen_addr)]() mutable {
    auto conn = std::make_unique<Connection>(this, fd, std::move(addr));
    Connection* raw = conn.get();
    {
      std::lock_guard<std::mutex> lock(mu_);
      raw->worker_slot_ = static_cast<uint32_t>(conns_.size());
      conns_.push_back(std::move(conn));
    }
    if (!raw->Start()) raw->Close();
  });
}

void Worker::AddUdp(UdpSocket socket) {
  udp_.push_back(std::make_unique<UdpPort>(this, socket.fd, std::move(socket.description)));
}

void Worker::Drain() {
  loop_.Post([this] {
    std::vector<Connection*> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& conn : conns_) all.push_back(conn.get());
    }
    for (Connection* c : all) c->Drain();
  });
}

void Worker::Remove(Connection* conn) {
  // Called from inside the connection's own handler: delete it on a later turn of the loop.
  loop_.Post([this, conn] {
    std::unique_ptr<Connection> dead;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const size_t slot = conn->worker_slot_;
      if (slot >= conns_.size() || conns_[slot].get() != conn) return;
      dead = std::move(conns_[slot]);
      if (slot + 1 != conns_.size()) {
        conns_[slot] = std::move(conns_.back());
        conns_[slot]->worker_slot_ = static_cast<uint32_t>(slot);
      }
      conns_.pop_back();
      // Give back what a crowd of connections that has gone took.
      if (conns_.capacity() > 64 && conns_.size() < conns_.capacity() / 4) conns_.shrink_to_fit();
    }
    server_->OnConnectionClosed();
  });
}

std::unique_ptr<PendingValue> Worker::LendPendingValue() {
  if (free_values_.empty()) return std::make_unique<PendingValue>();
  std::unique_ptr<PendingValue> v = std::move(free_values_.back());
  free_values_.pop_back();
  return v;
}

void Worker::ReturnPendingValue(std::unique_ptr<PendingValue> value) {
  value->writer.reset();
  value->item.Reset();  // the item's reference is not kept with a free value
  if (free_values_.size() < kMaxFreeValues) free_values_.push_back(std::move(value));
}

uint32_t* Worker::PrefetchSlot(uint16_t* slot) {
  if (prefetch_used_ == prefetch_.size()) prefetch_.emplace_back();
  *slot = static_cast<uint16_t>(prefetch_used_);
  return prefetch_[prefetch_used_++].data();
}

HandlerContext Worker::ContextFor(net::OutBuffer* out, net::ReadBuffer* in,
                                  ConnectionControl* conn) {
  HandlerContext ctx;
  ctx.engine = &server_->engine();
  ctx.session = session_;
  ctx.stats = &stats_;
  ctx.settings = &server_->settings();
  ctx.clock = &server_->clock();
  ctx.logger = &server_->logger();
  ctx.out = out;
  ctx.in = in;
  ctx.server = server_;
  ctx.conn = conn;
  return ctx;
}

void Worker::ListConnections(std::vector<ConnInfo>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& conn : conns_) {
    const Connection* ptr = conn.get();
    out->push_back(ConnInfo{ptr->fd(), ptr->peer(), ptr->listen_addr(), ptr->state_name(),
                            ptr->last_cmd_time()});
  }
}

size_t Worker::connection_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conns_.size();
}

void Worker::CheckIdle() {
  RelTime now = server_->clock().Now();
  RelTime limit = static_cast<RelTime>(server_->settings().idle_timeout);
  std::vector<Connection*> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& conn : conns_) {
      Connection* ptr = conn.get();
      if (ptr->tcp() && ptr->awaiting_command() && now - ptr->last_cmd_time() > limit) {
        idle.push_back(ptr);
      }
    }
  }
  for (Connection* c : idle) {
    stats_.idle_kicks.Add();
    c->Close(Connection::CloseReason::kIdleTimeout);
  }
}

}  // namespace memfleet::server
