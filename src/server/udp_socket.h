// The UDP sockets of -U: for one -l address, one socket per worker, all bound to the same
// address and port with SO_REUSEPORT.
//
// memcached binds one UDP socket per address and lets every worker thread read it (it hands
// each worker a dup of the descriptor). Here each worker gets a socket of its own: the kernel
// then spreads datagrams over the workers by the sender's address and port, instead of waking
// every worker for each datagram and letting them race for it, and one client's datagrams stay
// in order on one worker. Called once by the main thread at startup.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace memfleet::server {

struct UdpSocket {
  int fd = -1;
  std::string description;  // as `stats conns` shows it: "udp:127.0.0.1:11211"
};

// Binds `copies` non-blocking sockets to every address `host` resolves to ("": every local
// address) and `port` (0: one ephemeral port, the same for all copies). Returns one group of
// `copies` sockets per address; an error when no address could be bound.
Result<std::vector<std::vector<UdpSocket>>> BindUdp(const std::string& host, int port, int copies);

}  // namespace memfleet::server
