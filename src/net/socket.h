// Socket helpers: create listening sockets and describe peers. Plain functions over file
// descriptors; callable from any thread. The caller owns every descriptor returned.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace memfleet::net {

struct Listener {
  int fd = -1;
  bool unix_socket = false;
  std::string description;  // "tcp:127.0.0.1:11211", "unix:/path"
};

// Binds TCP listeners on every address that `host` resolves to (all interfaces when empty),
// port `port` (0 = any). Fails with a clear message for an unknown host or a busy port.
Result<std::vector<Listener>> ListenTcp(const std::string& host, int port, int backlog);
// Binds a unix stream socket at path with the given access mask (e.g. 0700).
Result<Listener> ListenUnix(const std::string& path, int access_mask, int backlog);

bool SetNonBlocking(int fd);
void SetTcpNoDelay(int fd);
// "tcp:1.2.3.4:5678", "tcp6:[::1]:5678" or "unix:/path" for the peer of fd.
std::string PeerName(int fd);
// Same for the local side.
std::string LocalName(int fd);
// True if fd is an IPv4 or IPv6 socket (false for a unix socket, or on error).
bool IsTcp(int fd);
// The port a TCP listener is bound to (for -p 0).
int BoundPort(int fd);

}  // namespace memfleet::net
