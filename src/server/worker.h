// Worker: one thread with its own event loop, its connections, its storage Session and its stats.
//
// The listener hands a new socket to a worker with Adopt() (any thread); from then on only the
// worker's thread touches that connection. The connection table is guarded by a mutex that the
// worker takes only to add or remove a connection, so that `stats conns` on another worker can
// list connections safely.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

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
  net::EventLoop loop_;
  std::unique_ptr<net::IoBatch> io_batch_;
  storage::Session* session_;
  std::vector<std::unique_ptr<UdpPort>> udp_;  // after loop_: closed before it
  WorkerStats stats_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> conns_;  // guarded by mu_
};

}  // namespace memfleet::server
