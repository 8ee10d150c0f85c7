// Tests for the Prometheus rendering of the stats (server/metrics.h): the exporter's names,
// types and labels on a fixed snapshot, and, on a running Server, that a scrape taken while
// workers serve traffic says what `stats` says (run under TSan: the scrape reads the workers'
// counters from the main thread).
#include "server/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "server/server.h"

namespace memfleet::server {
namespace {

StatsSnapshot Sample() {
  StatsSnapshot s;
  s.general = {{"pid", "42"},
               {"uptime", "12"},
               {"time", "1700000000"},
               {"version", "1.6.18"},
               {"libevent", "none"},
               {"rusage_user", "1.250000"},
               {"max_connections", "1024"},
               {"curr_connections", "3"},
               {"total_connections", "9"},
               {"cmd_get", "10"},
               {"cmd_set", "8"},
               {"cmd_flush", "1"},
               {"get_hits", "6"},
               {"get_misses", "4"},
               {"cas_misses", "1"},
               {"cas_hits", "2"},
               {"cas_badval", "1"},
               {"bytes_read", "18446744073709551615"},  // printed exactly, not as a double
               {"time_in_listen_disabled_us", "1500000"},
               {"curr_items", "5"},
               {"evictions", "0"},
               {"some_new_stat", "77"}};
  s.settings = {{"maxconns", "1024"},
                {"lru_crawler", "yes"},
                {"lru_maintainer_thread", "no"},
                {"hot_max_factor", "0.20"},
                {"item_size_max", "1048576"}};
  s.slabs = {{"1:chunk_size", "96"},  {"1:total_pages", "1"},       {"1:get_hits", "6"},
             {"1:cmd_set", "7"},      {"1:cas_hits", "2"},          {"1:cas_badval", "1"},
             {"2:chunk_size", "120"}, {"2:total_pages", "2"},       {"2:cmd_set", "1"},
             {"active_slabs", "2"},   {"total_malloced", "3145728"}};
  s.items = {{"items:1:number", "4"},      {"items:1:age", "9"},
             {"items:1:evicted", "0"},     {"items:1:moves_to_cold", "3"},
             {"items:1:hits_to_hot", "2"}, {"items:1:hits_to_temp", "0"},
             {"items:2:number", "1"},      {"items:2:brand_new", "5"}};
  s.memfleet_version = "0.1.0";
  return s;
}

struct Page {
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, std::string> helps;
  std::map<std::string, std::string> samples;  // "name{labels}" -> value text
  std::vector<std::string> order;              // sample names as they come
};

Page Parse(const std::string& text) {
  Page p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      EXPECT_FALSE(p.types.contains(name)) << "family twice: " << name;
      p.types[name] = rest.substr(rest.find(' ') + 1);
    } else if (line.starts_with("# HELP ")) {
      std::string rest = line.substr(7);
      p.helps[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
    } else if (!line.empty()) {
      size_t sp = line.rfind(' ');
      std::string key = line.substr(0, sp);
      EXPECT_FALSE(p.samples.contains(key)) << "sample twice: " << key;
      p.samples[key] = line.substr(sp + 1);
      p.order.push_back(key.substr(0, key.find('{')));
    }
  }
  return p;
}

TEST(MetricsRenderTest, ExporterNamesTypesAndLabels) {
  std::vector<std::string> unmapped;
  Page p = Parse(RenderMetrics(Sample(), &unmapped));
  auto v = [&](const std::string& key) {
    EXPECT_TRUE(p.samples.contains(key)) << key;
    return p.samples[key];
  };
  EXPECT_EQ(v("memcached_up"), "1");
  EXPECT_EQ(v("memcached_version{version=\"1.6.18\"}"), "1");
  EXPECT_EQ(v("memfleetd_build_info{version=\"0.1.0\"}"), "1");
  EXPECT_EQ(v("memcached_uptime_seconds"), "12");
  EXPECT_EQ(v("memcached_time_seconds"), "1700000000");
  EXPECT_EQ(v("memcached_process_user_cpu_seconds_total"), "1.250000");
  EXPECT_EQ(v("memcached_current_connections"), "3");
  EXPECT_EQ(v("memcached_connections_total"), "9");
  EXPECT_EQ(v("memcached_max_connections"), "1024");
  EXPECT_EQ(v("memcached_read_bytes_total"), "18446744073709551615");
  EXPECT_EQ(v("memcached_current_items"), "5");
  EXPECT_EQ(v("memcached_items_evicted_total"), "0");
  EXPECT_EQ(v("memcached_listen_disabled_seconds_total"), "1.500000");
  EXPECT_EQ(v("memcached_cmd_get_total"), "10");
  // commands_total{command,status}: hits and misses as they are, set = cmd_set less every cas.
  EXPECT_EQ(v("memcached_commands_total{command=\"get\",status=\"hit\"}"), "6");
  EXPECT_EQ(v("memcached_commands_total{command=\"get\",status=\"miss\"}"), "4");
  EXPECT_EQ(v("memcached_commands_total{command=\"cas\",status=\"badval\"}"), "1");
  EXPECT_EQ(v("memcached_commands_total{command=\"flush\",status=\"hit\"}"), "1");
  EXPECT_EQ(v("memcached_commands_total{command=\"set\",status=\"hit\"}"), "4");
  // stats settings: booleans as 1/0.
  EXPECT_EQ(v("memcached_lru_crawler_enabled"), "1");
  EXPECT_EQ(v("memcached_lru_crawler_maintainer_thread"), "0");
  EXPECT_EQ(v("memcached_lru_crawler_hot_max_factor"), "0.20");
  // stats slabs, by slab; set per class is cmd_set less cas hits and badvals.
  EXPECT_EQ(v("memcached_slab_chunk_size_bytes{slab=\"1\"}"), "96");
  EXPECT_EQ(v("memcached_slab_chunk_size_bytes{slab=\"2\"}"), "120");
  EXPECT_EQ(v("memcached_slab_current_pages{slab=\"2\"}"), "2");
  EXPECT_EQ(v("memcached_slab_commands_total{slab=\"1\",command=\"get\",status=\"hit\"}"), "6");
  EXPECT_EQ(v("memcached_slab_commands_total{slab=\"1\",command=\"set\",status=\"hit\"}"), "4");
  EXPECT_EQ(v("memcached_slab_commands_total{slab=\"2\",command=\"set\",status=\"hit\"}"), "1");
  EXPECT_EQ(v("memcached_malloced_bytes"), "3145728");
  EXPECT_EQ(v("memcached_active_slabs"), "2");
  // stats items, by slab.
  EXPECT_EQ(v("memcached_slab_current_items{slab=\"1\"}"), "4");
  EXPECT_EQ(v("memcached_slab_current_items{slab=\"2\"}"), "1");
  EXPECT_EQ(v("memcached_slab_items_age_seconds{slab=\"1\"}"), "9");
  EXPECT_EQ(v("memcached_slab_items_moves_to_cold{slab=\"1\"}"), "3");
  EXPECT_EQ(v("memcached_slab_lru_hits_total{slab=\"1\",lru=\"hot\"}"), "2");
  EXPECT_EQ(v("memcached_slab_lru_hits_total{slab=\"1\",lru=\"temporary\"}"), "0");

  // Text and constants have no sample of their own.
  EXPECT_FALSE(p.types.contains("memcached_pid"));
  EXPECT_FALSE(p.types.contains("memcached_libevent"));
  // Stats without a mapping are still exposed, untyped, and reported.
  EXPECT_EQ(v("memcached_some_new_stat"), "77");
  EXPECT_EQ(v("memcached_slab_items_brand_new{slab=\"2\"}"), "5");
  EXPECT_EQ(p.types["memcached_some_new_stat"], "untyped");
  EXPECT_EQ(unmapped, (std::vector<std::string>{"some_new_stat", "brand_new"}));

  // Types: counters end in _total and nothing else does; the exporter's suffix-less counters
  // are untyped; every family has a help text.
  EXPECT_EQ(p.types["memcached_commands_total"], "counter");
  EXPECT_EQ(p.types["memcached_uptime_seconds"], "gauge");
  EXPECT_EQ(p.types["memcached_slab_items_moves_to_cold"], "untyped");
  for (const auto& [name, type] : p.types) {
    EXPECT_EQ(type == "counter", name.ends_with("_total")) << name << " " << type;
    EXPECT_FALSE(p.helps[name].empty()) << name;
  }
  // Each family's samples come together, right after its TYPE line.
  std::set<std::string> finished;
  for (size_t i = 0; i < p.order.size(); ++i) {
    EXPECT_FALSE(finished.contains(p.order[i])) << "split family " << p.order[i];
    if (i + 1 < p.order.size() && p.order[i + 1] != p.order[i]) finished.insert(p.order[i]);
  }
}

// ---- a live server ------------------------------------------------------------------------------

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  timeval tv{20, 0};  // every read is bounded
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends request and reads until the reply ends with `end` (or the peer closes: end empty).
std::string Roundtrip(int fd, const std::string& request, std::string_view end) {
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return "";
  std::string out;
  char buf[8192];
  while (end.empty() || !out.ends_with(end)) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Scrape(int port) {
  int fd = Connect(port);
  if (fd < 0) return "";
  std::string r = Roundtrip(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", "");
  close(fd);
  size_t body = r.find("\r\n\r\n");
  return body == std::string::npos ? "" : r.substr(body + 4);
}

std::map<std::string, std::string> Stats(int fd, const std::string& command) {
  std::map<std::string, std::string> out;
  std::istringstream in(Roundtrip(fd, command + "\r\n", "END\r\n"));
  std::string stat, name, value;
  while (in >> stat >> name >> value) out[name] = value;
  return out;
}

class LiveServerTest : public testing::Test {
 protected:
  void SetUp() override {
    Settings s;
    s.listen = {"127.0.0.1"};
    s.num_threads = 2;
    s.max_bytes = 16ull << 20;
    for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
      s.port = FreePort();
      s.metrics_port = FreePort();
      auto server = std::make_unique<Server>(s);
      if (server->Start().ok()) server_ = std::move(server);
    }
    ASSERT_TRUE(server_);
    runner_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (!server_) return;
    server_->RequestShutdown(false);
    runner_.join();
    server_.reset();
  }

  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(LiveServerTest, ScrapesDuringTrafficAgreeWithStatsAfterIt) {
  const int port = server_->bound_port();
  const int metrics_port = server_->metrics_port();
  ASSERT_GT(metrics_port, 0);
  constexpr int kKeys = 300;
  std::atomic<bool> traffic_ok{true};
  std::thread client([&] {
    int fd = Connect(port);
    if (fd < 0) {
      traffic_ok = false;
      return;
    }
    for (int i = 0; i < kKeys; ++i) {
      std::string k = "key" + std::to_string(i);
      if (Roundtrip(fd, "set " + k + " 0 0 5\r\nhello\r\n", "\r\n") != "STORED\r\n" ||
          Roundtrip(fd, "get " + k + " nokey" + std::to_string(i) + "\r\n", "END\r\n").empty()) {
        traffic_ok = false;
        break;
      }
    }
    close(fd);
  });
  // Scrapes while the workers count: the renderer reads their counters from the main thread.
  int scrapes = 0;
  for (int i = 0; i < 20; ++i)
    scrapes += Scrape(metrics_port).find("\nmemcached_up 1\n") != std::string::npos;
  client.join();
  ASSERT_TRUE(traffic_ok.load());
  EXPECT_EQ(scrapes, 20);

  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  std::map<std::string, std::string> general = Stats(fd, "stats");
  std::map<std::string, std::string> items = Stats(fd, "stats items");
  Page p = Parse(Scrape(metrics_port));
  close(fd);
  EXPECT_EQ(general["get_hits"], std::to_string(kKeys));
  EXPECT_EQ(p.samples["memcached_commands_total{command=\"get\",status=\"hit\"}"],
            general["get_hits"]);
  EXPECT_EQ(p.samples["memcached_commands_total{command=\"get\",status=\"miss\"}"],
            general["get_misses"]);
  EXPECT_EQ(p.samples["memcached_commands_total{command=\"set\",status=\"hit\"}"],
            general["cmd_set"]);
  EXPECT_EQ(p.samples["memcached_current_items"], general["curr_items"]);
  EXPECT_EQ(p.samples["memcached_items_total"], general["total_items"]);
  EXPECT_EQ(p.samples["memcached_current_bytes"], general["bytes"]);
  int classes = 0;
  for (const auto& [name, value] : items) {
    if (!name.ends_with(":number")) continue;
    std::string cls = name.substr(6, name.size() - 6 - 7);  // items:N:number
    EXPECT_EQ(p.samples["memcached_slab_current_items{slab=\"" + cls + "\"}"], value) << cls;
    ++classes;
  }
  EXPECT_GE(classes, 1);

  // Every numeric stat this server prints has a typed mapping.
  std::vector<std::string> unmapped;
  RenderMetrics(CollectStats(*server_), &unmapped);
  EXPECT_TRUE(unmapped.empty()) << "add these stats to the tables in server/metrics.cc: "
                                << testing::PrintToString(unmapped);
}

}  // namespace
}  // namespace memfleet::server
