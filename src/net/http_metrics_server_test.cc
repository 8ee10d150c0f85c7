#include "net/http_metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "net/http_exposition.h"

namespace memfleet::net {
namespace {

TEST(ExpositionTest, WritesFamiliesSamplesAndEscapes) {
  Exposition e;
  e.Family("x_total", MetricType::kCounter, "Help with \\ and\nnewline.");
  e.SampleInteger("x_total", Exposition::Label("k", "a\"b\\c\nd"), 18446744073709551615ull);
  e.Family("y", MetricType::kGauge, "Y.");
  e.Sample("y", "", 0.5);
  e.Family("z", MetricType::kUntyped, "Z.");
  e.SampleText("z", "", "1.000001");
  e.Family("h", MetricType::kHistogram, "H.");
  EXPECT_EQ(e.Take(),
            "# HELP x_total Help with \\\\ and\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{k=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
            "# HELP y Y.\n# TYPE y gauge\ny 0.5\n"
            "# HELP z Z.\n# TYPE z untyped\nz 1.000001\n"
            "# HELP h H.\n# TYPE h histogram\n");
}

// A blocking client on its own thread; the test thread turns the server's loop.
class HttpMetricsServerTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(loop_.ok());
    ASSERT_TRUE(server_.Listen("127.0.0.1", 0).ok());
    ASSERT_GT(server_.port(), 0);
  }

  // Sends request (if any) and reads the response until the server closes; loops meanwhile.
  // half_close: shut the client's sending side after the request, as `nc -N` or a pipe does.
  std::string Exchange(const std::string& request, bool half_close = false) {
    std::string response;
    std::atomic<bool> done{false};
    std::thread client([&] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(server_.port()));
      inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
      timeval tv{20, 0};  // bounded: a server that never answers fails the test
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
        size_t sent = 0;
        while (sent < request.size()) {
          ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
          if (n <= 0) break;
          sent += static_cast<size_t>(n);
        }
        if (half_close) shutdown(fd, SHUT_WR);
        char buf[4096];
        for (;;) {
          ssize_t n = recv(fd, buf, sizeof(buf), 0);
          if (n <= 0) break;
          response.append(buf, static_cast<size_t>(n));
        }
      }
      close(fd);
      done.store(true);
    });
    for (int i = 0; i < 4000 && !done.load(); ++i) loop_.RunOnce(10);
    client.join();
    return response;
  }

  EventLoop loop_;
  int renders_ = 0;
  HttpMetricsServer server_{&loop_, [this] {
                              ++renders_;
                              return std::string("m_total 7\n");
                            }};
};

TEST_F(HttpMetricsServerTest, ServesMetrics) {
  std::string r = Exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 10\r\nConnection: close\r\n\r\nm_total 7\n");
  EXPECT_EQ(renders_, 1);
  // A query string and the root path are the metrics too; a bare-LF request is understood.
  EXPECT_NE(Exchange("GET /metrics?x=1 HTTP/1.0\n\n").find("\r\n\r\nm_total 7\n"),
            std::string::npos);
  EXPECT_NE(Exchange("GET / HTTP/1.1\r\n\r\n").find("200 OK"), std::string::npos);
  EXPECT_NE(Exchange("GET /metrics HTTP/1.0\r\n\r\n", true).find("\r\n\r\nm_total 7\n"),
            std::string::npos);
  EXPECT_EQ(renders_, 4);
  EXPECT_EQ(Exchange("GET /metrics HTTP/1.0\r\n", true), "");  // closed before the head ended
  EXPECT_EQ(renders_, 4);
}

TEST_F(HttpMetricsServerTest, OtherRequestsGet404WithoutRendering) {
  for (const char* req : {"GET /metricsx HTTP/1.1\r\n\r\n", "POST /metrics HTTP/1.1\r\n\r\n",
                          "GET /favicon.ico HTTP/1.1\r\n\r\n"}) {
    std::string r = Exchange(req);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 404 Not Found\r\n")) << req << " -> " << r;
  }
  EXPECT_EQ(renders_, 0);
}

TEST_F(HttpMetricsServerTest, DropsOversizedRequests) {
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Exchange(big), "");
  EXPECT_EQ(renders_, 0);
}

TEST(HttpMetricsServerListenTest, BusyPortIsAClearError) {
  EventLoop loop;
  HttpMetricsServer a(&loop, [] { return std::string(); });
  ASSERT_TRUE(a.Listen("127.0.0.1", 0).ok());
  HttpMetricsServer b(&loop, [] { return std::string(); });
  Status s = b.Listen("127.0.0.1", a.port());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Address already in use"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace memfleet::net
