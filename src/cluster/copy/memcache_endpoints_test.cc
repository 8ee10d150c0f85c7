// The copier's memcached-protocol roles against a scripted fake server on loopback: the dump
// retried while the crawler is BUSY, a URI-encoded key fetched and stored base64, a key gone
// before its fetch skipped, add semantics on the target, and what goes on the wire.
#include "cluster/copy/memcache_endpoints.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "net/socket.h"

namespace memfleet::cluster {
namespace {

// Accepts three connections (the copy's dump, fetch and store, in that order) and answers each
// line it reads from a fixed script; records every line.
class ScriptedServer {
 public:
  ScriptedServer() {
    auto ls = net::ListenTcp("127.0.0.1", 0, 8);
    EXPECT_TRUE(ls.ok());
    fd_ = (*ls)[0].fd;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);  // accept waits
    port_ = net::BoundPort(fd_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> lines[3];

 private:
  // One line (without "\r\n"/"\n") from fd, or false at its end.
  static bool ReadLine(int fd, std::string* line) {
    line->clear();
    char c;
    while (::read(fd, &c, 1) == 1) {
      if (c == '\n') {
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      line->push_back(c);
    }
    return false;
  }
  static void Write(int fd, const std::string& s) {
    ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void Serve() {
    int busy = 0;
    for (int role = 0; role < 3; ++role) {
      const int c = ::accept4(fd_, nullptr, nullptr, 0);
      if (c < 0) return;
      conns_.push_back(c);
    }
    std::string line;
    // The dump: BUSY once, then two keys and a line that is not one.
    while (ReadLine(conns_[0], &line)) {
      lines[0].push_back(line);
      if (busy++ == 0) {
        Write(conns_[0], "BUSY currently processing crawler request\r\n");
        continue;
      }
      Write(conns_[0],
            "key=a%20b exp=-1 la=1 cas=1 fetch=no cls=1 size=60\n"
            "key=gone exp=-1 la=1 cas=2 fetch=no cls=1 size=60\n"
            "key=kept exp=-1 la=1 cas=3 fetch=no cls=1 size=60\nEND\r\n");
      break;
    }
    // The fetches: "a b" (asked base64) and "kept" are there, "gone" is not.
    for (int i = 0; i < 3 && ReadLine(conns_[1], &line); ++i) {
      lines[1].push_back(line);
      if (line.find("YSBi") != std::string::npos) {
        Write(conns_[1], "VA 2 f3 t-1\r\nhi\r\n");
      } else if (line.find("kept") != std::string::npos) {
        Write(conns_[1], "VA 3 f0 t100\r\nold\r\n");
      } else {
        Write(conns_[1], "EN\r\n");
      }
    }
    // The stores: "kept" exists on the target already.
    for (int i = 0; i < 2 && ReadLine(conns_[2], &line); ++i) {
      lines[2].push_back(line);
      std::string data;
      ReadLine(conns_[2], &data);
      Write(conns_[2], line.find("kept") != std::string::npos ? "NS\r\n" : "HD\r\n");
    }
    for (int c : conns_) ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::vector<int> conns_;
  std::thread thread_;
};

TEST(MemcacheEndpoints, CopyBetweenSpeaksMetadumpMgAndMsAdd) {
  ScriptedServer server;
  KeyCopier copier(CopyOptions{});
  Status s = CopyBetween(copier, server.address(), server.address(), 5000);
  ASSERT_TRUE(s.ok()) << s.message();
  const CopyProgress& p = copier.progress();
  EXPECT_EQ(p.listed.load(), 3u);
  EXPECT_EQ(p.vanished.load(), 1u);
  EXPECT_EQ(p.copied.load(), 1u);
  EXPECT_EQ(p.existed.load(), 1u);
  EXPECT_EQ(p.bytes.load(), 5u);
  ASSERT_EQ(server.lines[0].size(), 2u);  // asked again after BUSY
  EXPECT_EQ(server.lines[0][0], "lru_crawler metadump all");
  ASSERT_EQ(server.lines[1].size(), 3u);
  EXPECT_EQ(server.lines[1][0], "mg YSBi v f t b");
  EXPECT_EQ(server.lines[1][1], "mg gone v f t");
  ASSERT_EQ(server.lines[2].size(), 2u);
  // Flags and TTL kept; add mode; the key base64 again.
  EXPECT_EQ(server.lines[2][0].substr(0, 10), "ms YSBi 2 ");
  EXPECT_NE(server.lines[2][0].find(" F3"), std::string::npos);
  EXPECT_NE(server.lines[2][0].find(" T0"), std::string::npos);
  EXPECT_NE(server.lines[2][0].find(" ME"), std::string::npos);
  EXPECT_NE(server.lines[2][1].find(" T100"), std::string::npos);
}

}  // namespace
}  // namespace memfleet::cluster
