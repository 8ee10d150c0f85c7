// Worker: one thread with its own event loop, its connections, its storage Session and its stats.
//
// The listener hands a new socket to a worker with Adopt() (any thread); from then on only the
// worker's thread touches that connection. The connection table is guarded by a mutex that the
// worker takes only to add or remove a connection, so that `stats conns` on another worker can
// list connections safely.
//
// What a connection needs only now and then is the worker's, lent to a connection while it needs
// it (docs/architecture.md, "Buffers"): read blocks and output areas (a net::BufferPool), the
// state of a data block being read (PendingValue), and the key hashes between the two prefetch
// steps of an event batch (PrefetchSlot). An idle connection holds none of them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/buffer_pool.h"
#include "net/event_loop.h"
#include "net/io_batch.h"
#include "server/connection.h"
#include "server/udp_port.h"
#include "server/udp_socket.h"
#include "server/worker_stats.h"
#include "storage/engine.h"

namespace memfleet::server {

class Server;

struct ConnInfo {
  int fd;
  std::string addr;
  std::string listen_addr;
  const char* state;
  RelTime last_cmd_time;
};

class Worker {
 public:
  Worker(Server* server, int id);
  ~Worker();

  bool Start();  // spawns the thread
  void Stop();   // any thread: ends the loop, closing every connection
  void Join();
  // Any thread: the worker takes ownership of fd.
  void Adopt(int fd, std::string listen_addr);
  // Before Start(): the worker serves this UDP socket (-U) and owns it.
  void AddUdp(UdpSocket socket);
  // The UDP sockets it serves; fixed once the worker has started (any thread).
  const std::vector<std::unique_ptr<UdpPort>>& udp_ports() const { return udp_; }
  // Any thread: finish what each connection has read, flush, close, then report via on_done.
  void Drain();

  // Worker thread only.
  void Remove(Connection* conn);
  // The read blocks and output areas its connections borrow.
  net::BufferPool& buffers() { return buffers_; }
  // The state of a data block being read, lent to a connection until its item is complete.
  std::unique_ptr<PendingValue> LendPendingValue();
  void ReturnPendingValue(std::unique_ptr<PendingValue> value);
  // Room for Engine::kMaxPrefetch key hashes, from a connection's Prepare step to its
  // PrepareMore step in the same batch of events; *slot names it for prefetch_slot.
  uint32_t* PrefetchSlot(uint16_t* slot);
  uint32_t* prefetch_slot(uint16_t slot) { return prefetch_[slot].data(); }
  // The HandlerContext of a client of this worker (a connection or a UDP port) with these
  // buffers: this worker's session and stats, the server's engine, settings, clock and logger.
  HandlerContext ContextFor(net::OutBuffer* out, net::ReadBuffer* in, ConnectionControl* conn);

  // Any thread.
  void ListConnections(std::vector<ConnInfo>* out) const;
  size_t connection_count() const;

  Server* server() const { return server_; }
  net::EventLoop& loop() { return loop_; }
  storage::Session& session() { return *session_; }
  WorkerStats& stats() { return stats_; }
  // Worker thread only: the batcher for replies, or nullptr (no io_uring, -o no_io_uring).
  net::IoBatch* io_batch() { return io_batch_.get(); }
  const WorkerStats& stats() const { return stats_; }
  int id() const { return id_; }

 private:
  void CheckIdle();

  Server* server_;
  int id_;
  // Before the connections and the loop: whatever they hold goes back here when they go.
  net::BufferPool buffers_;
  std::vector<std::unique_ptr<PendingValue>> free_values_;
  std::vector<std::array<uint32_t, storage::Engine::kMaxPrefetch>> prefetch_;
  size_t prefetch_used_ = 0;  // slots taken in the current batch of events
  net::EventLoop loop_;
  std::unique_ptr<net::IoBatch> io_batch_;
  storage::Session* session_;
  std::vector<std::unique_ptr<UdpPort>> udp_;  // after loop_: closed before it
  WorkerStats stats_;
  std::thread thread_;
  mutable std::mutex mu_;
  // Guarded by mu_. Connection::worker_slot_ is each one's index here (a removal moves the last
  // one into the hole): a pointer per connection, where a hash map would take a node as well.
  std::vector<std::unique_ptr<Connection>> conns_;
};

}  // namespace memfleet::server
