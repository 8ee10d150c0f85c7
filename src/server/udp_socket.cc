#include "server/udp_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/socket.h"

namespace memfleet::server {
namespace {

// memcached raises the send buffer as far as the kernel lets it (maximize_sndbuf): a reply of
// many datagrams leaves in one go. The kernel caps the value at net.core.wmem_max.
constexpr int kSendBuffer = 256 * 1024 * 1024;

void CloseAll(const std::vector<UdpSocket>& group) {
  for (const UdpSocket& s : group) close(s.fd);
}

// One socket bound to addr with SO_REUSEPORT, or -1 with *error set.
int BindOne(const addrinfo* ai, const sockaddr* addr, socklen_t addr_len, std::string* error) {
  int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  int sndbuf = kSendBuffer;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  if (bind(fd, addr, addr_len) != 0) {
    *error = std::string("bind: ") + strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

// For an ephemeral port: a port no socket holds, found by binding a plain socket (no
// SO_REUSEPORT) to port 0 and releasing it. Binding port 0 with SO_REUSEPORT would let the
// kernel hand out a port another process's SO_REUSEPORT sockets (same user) already share, and
// datagrams would then be split between the two servers. 0 if none was found.
void PickFreePort(const addrinfo* ai, sockaddr_storage* addr) {
  int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return;
  socklen_t len = sizeof(*addr);
  if (bind(fd, reinterpret_cast<const sockaddr*>(addr), ai->ai_addrlen) == 0) {
    getsockname(fd, reinterpret_cast<sockaddr*>(addr), &len);
  }
  close(fd);
}

}  // namespace

Result<std::vector<std::vector<UdpSocket>>> BindUdp(const std::string& host, int port, int copies) {
  addrinfo hints{};
  hints.ai_flags = AI_PASSIVE;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const std::string port_str = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::InvalidArgument("getaddrinfo(\"" + host + "\"): " + gai_strerror(rc));
  }
  std::vector<std::vector<UdpSocket>> out;
  std::string error;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    std::vector<UdpSocket> group;
    // The first socket fixes the port (when PickFreePort found none, the kernel picks one);
    // the others bind to it.
    sockaddr_storage addr{};
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    if (port == 0) PickFreePort(ai, &addr);
    for (int i = 0; i < copies; ++i) {
      int fd = BindOne(ai, reinterpret_cast<sockaddr*>(&addr), ai->ai_addrlen, &error);
      if (fd < 0) break;
      if (i == 0) {
        socklen_t len = sizeof(addr);
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      }
      std::string name = net::LocalName(fd);
      if (name.starts_with("tcp")) name.replace(0, 3, "udp");
      group.push_back(UdpSocket{fd, std::move(name)});
    }
    if (static_cast<int>(group.size()) != copies) {
      CloseAll(group);
      continue;
    }
    out.push_back(std::move(group));
  }
  freeaddrinfo(res);
  if (out.empty()) {
    return Status::IoError("failed to listen on UDP " + (host.empty() ? std::string("*") : host) +
                           ":" + port_str + ": " + error);
  }
  return out;
}

}  // namespace memfleet::server
