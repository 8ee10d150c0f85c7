#include "server/udp_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>

#include "net/socket.h"

namespace memfleet::server {
namespace {

void CloseGroups(const std::vector<std::vector<UdpSocket>>& groups) {
  for (const auto& g : groups) {
    for (const UdpSocket& s : g) close(s.fd);
  }
}

TEST(UdpSocketTest, CopiesShareOneEphemeralPort) {
  auto groups = BindUdp("127.0.0.1", 0, 3);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 1u);
  const std::vector<UdpSocket>& g = groups->front();
  ASSERT_EQ(g.size(), 3u);
  const int port = net::BoundPort(g[0].fd);
  ASSERT_GT(port, 0);
  std::set<int> fds;
  for (const UdpSocket& s : g) {
    EXPECT_EQ(net::BoundPort(s.fd), port);
    EXPECT_EQ(s.description, "udp:127.0.0.1:" + std::to_string(port));
    fds.insert(s.fd);
  }
  EXPECT_EQ(fds.size(), 3u);

  // A datagram to the port reaches one of the copies.
  int client = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(sendto(client, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 1);
  int received = 0;
  for (int attempt = 0; attempt < 1000 && received == 0; ++attempt) {
    for (const UdpSocket& s : g) {
      char c;
      if (recv(s.fd, &c, 1, 0) == 1) ++received;
    }
    if (received == 0) usleep(1000);
  }
  EXPECT_EQ(received, 1);
  close(client);
  CloseGroups(*groups);
}

TEST(UdpSocketTest, APortTakenWithoutReusePortIsAnError) {
  int other = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(other, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const int port = net::BoundPort(other);
  auto groups = BindUdp("127.0.0.1", port, 2);
  EXPECT_FALSE(groups.ok());
  if (groups.ok()) CloseGroups(*groups);
  close(other);
}

}  // namespace
}  // namespace memfleet::server
