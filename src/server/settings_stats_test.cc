// Tests for AppendSettingsStats. The expected lines are `stats settings` of memcached 1.6.18
// (Debian) started with the same arguments, minus its ext_*, slab_automove_freeratio and ssl_*
// lines (a memcached built without extstore and TLS prints none of them).
#include "server/settings_stats.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "server/command_line.h"

namespace memfleet::server {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

Lines Collect(const Settings& s, uint32_t oldest_live = 0) {
  Lines out;
  AppendSettingsStats(
      s, [&out](std::string_view n, std::string_view v) { out.emplace_back(n, v); }, oldest_live);
  return out;
}

Settings Parsed(std::vector<std::string> args) {
  args.insert(args.begin(), "memfleetd");
  Result<CommandLine> r = ParseCommandLine(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  return r.ok() ? r->settings : Settings{};
}

void ExpectLines(const Lines& got, const Lines& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "line " << i;
  }
}

// `memcached -u nobody` (tcpport as given).
const Lines kDefaults = {
    {"maxbytes", "67108864"},
    {"maxconns", "1024"},
    {"tcpport", "11211"},
    {"udpport", "0"},
    {"inter", "NULL"},
    {"verbosity", "0"},
    {"oldest", "0"},
    {"evictions", "on"},
    {"domain_socket", "NULL"},
    {"umask", "700"},
    {"shutdown_command", "no"},
    {"growth_factor", "1.25"},
    {"chunk_size", "48"},
    {"num_threads", "4"},
    {"num_threads_per_udp", "4"},
    {"stat_key_prefix", ":"},
    {"detail_enabled", "no"},
    {"reqs_per_event", "20"},
    {"cas_enabled", "yes"},
    {"tcp_backlog", "1024"},
    {"binding_protocol", "auto-negotiate"},
    {"auth_enabled_sasl", "no"},
    {"auth_enabled_ascii", "no"},
    {"item_size_max", "1048576"},
    {"maxconns_fast", "yes"},
    {"hashpower_init", "0"},
    {"slab_reassign", "yes"},
    {"slab_automove", "1"},
    {"slab_automove_ratio", "0.80"},
    {"slab_automove_window", "30"},
    {"slab_chunk_max", "524288"},
    {"lru_crawler", "yes"},
    {"lru_crawler_sleep", "100"},
    {"lru_crawler_tocrawl", "0"},
    {"tail_repair_time", "0"},
    {"flush_enabled", "yes"},
    {"dump_enabled", "yes"},
    {"hash_algorithm", "murmur3"},
    {"lru_maintainer_thread", "yes"},
    {"lru_segmented", "yes"},
    {"hot_lru_pct", "20"},
    {"warm_lru_pct", "40"},
    {"hot_max_factor", "0.20"},
    {"warm_max_factor", "2.00"},
    {"temp_lru", "no"},
    {"temporary_ttl", "61"},
    {"idle_timeout", "0"},
    {"watcher_logbuf_size", "262144"},
    {"worker_logbuf_size", "65536"},
    {"read_buf_mem_limit", "0"},
    {"track_sizes", "no"},
    {"inline_ascii_response", "no"},
    {"num_napi_ids", "(null)"},
    {"memory_file", "(null)"},
};

Lines With(Lines lines, const Lines& changes) {
  for (const auto& [name, value] : changes) {
    bool found = false;
    for (auto& line : lines) {
      if (line.first == name) {
        line.second = value;
        found = true;
      }
    }
    EXPECT_TRUE(found) << name;
  }
  return lines;
}

TEST(SettingsStatsTest, DefaultsMatchMemcached) { ExpectLines(Collect(Settings{}), kDefaults); }

TEST(SettingsStatsTest, ManyOptionsMatchMemcached) {
  // memcached -p 23499 -Y /tmp/auth.txt -o read_buf_mem_limit=10 -D '#' -a 755
  //   -l 127.0.0.2,127.0.0.1 -l 127.0.0.1 -f 1.5 -o slab_automove_ratio=0.333,
  //   hot_max_factor=0.125,temporary_ttl=30,watcher_logbuf_size=3,inline_ascii_resp -v
  Settings s =
      Parsed({"-p", "23499", "-Y", "/tmp/auth.txt", "-o", "read_buf_mem_limit=10", "-D", "#", "-a",
              "755", "-l", "127.0.0.2,127.0.0.1", "-l", "127.0.0.1", "-f", "1.5", "-o",
              "slab_automove_ratio=0.333,hot_max_factor=0.125,temporary_ttl=30,"
              "watcher_logbuf_size=3,inline_ascii_resp",
              "-v"});
  ExpectLines(Collect(s), With(kDefaults, {{"tcpport", "23499"},
                                           {"inter", "127.0.0.2,127.0.0.1"},
                                           {"verbosity", "1"},
                                           {"umask", "755"},
                                           {"growth_factor", "1.50"},
                                           {"num_threads_per_udp", "1"},
                                           {"stat_key_prefix", "#"},
                                           {"detail_enabled", "yes"},
                                           {"binding_protocol", "ascii"},
                                           {"auth_enabled_ascii", "/tmp/auth.txt"},
                                           {"slab_automove_ratio", "0.33"},
                                           {"hot_max_factor", "0.12"},
                                           {"temp_lru", "yes"},
                                           {"temporary_ttl", "30"},
                                           {"watcher_logbuf_size", "3072"},
                                           {"read_buf_mem_limit", "10485760"}}));
}

TEST(SettingsStatsTest, NoModernMatchesMemcached) {
  ExpectLines(Collect(Parsed({"-o", "no_modern"})),
              With(kDefaults, {{"maxconns_fast", "no"},
                               {"slab_reassign", "no"},
                               {"slab_automove", "0"},
                               {"slab_chunk_max", "1048576"},
                               {"lru_crawler", "no"},
                               {"hash_algorithm", "jenkins"},
                               {"lru_maintainer_thread", "no"},
                               {"lru_segmented", "no"}}));
}

TEST(SettingsStatsTest, SubOptionsMatchMemcached) {
  // memcached -o hash_algorithm=jenkins,no_lru_crawler,lru_crawler_tocrawl=7,track_sizes,
  //   no_maxconns_fast (its idle_timeout=-1 is refused here)
  ExpectLines(Collect(Parsed({"-o",
                              "hash_algorithm=jenkins,no_lru_crawler,lru_crawler_tocrawl=7,"
                              "track_sizes,no_maxconns_fast"})),
              With(kDefaults, {{"maxconns_fast", "no"},
                               {"lru_crawler", "no"},
                               {"lru_crawler_tocrawl", "7"},
                               {"hash_algorithm", "jenkins"},
                               {"track_sizes", "yes"}}));
}

TEST(SettingsStatsTest, FlagsAndRunTimeValues) {
  Settings s = Parsed({"-s",
                       "/tmp/mcx.sock",
                       "-a",
                       "666",
                       "-M",
                       "-C",
                       "-A",
                       "-F",
                       "-X",
                       "-B",
                       "binary",
                       "-m",
                       "2g",
                       "-I",
                       "2m",
                       "-c",
                       "10",
                       "-t",
                       "2",
                       "-R",
                       "5",
                       "-b",
                       "7",
                       "-n",
                       "64",
                       "-o",
                       "hashpower=20,tail_repair_time=30,idle_timeout=9"});
  ExpectLines(Collect(s, 1234), With(kDefaults, {{"maxbytes", "2147483648"},
                                                 {"maxconns", "10"},
                                                 {"oldest", "1234"},
                                                 {"evictions", "off"},
                                                 {"domain_socket", "/tmp/mcx.sock"},
                                                 {"umask", "666"},
                                                 {"shutdown_command", "yes"},
                                                 {"chunk_size", "64"},
                                                 {"num_threads", "2"},
                                                 {"num_threads_per_udp", "2"},
                                                 {"reqs_per_event", "5"},
                                                 {"cas_enabled", "no"},
                                                 {"tcp_backlog", "7"},
                                                 {"binding_protocol", "binary"},
                                                 {"item_size_max", "2097152"},
                                                 {"hashpower_init", "20"},
                                                 {"tail_repair_time", "30"},
                                                 {"flush_enabled", "no"},
                                                 {"dump_enabled", "no"},
                                                 {"idle_timeout", "9"}}));
}

TEST(SettingsStatsTest, SingleListenerKeepsThreadsPerUdp) {
  Lines got = Collect(Parsed({"-l", "127.0.0.1", "-t", "3"}));
  ExpectLines(got,
              With(kDefaults,
                   {{"inter", "127.0.0.1"}, {"num_threads", "3"}, {"num_threads_per_udp", "3"}}));
}

}  // namespace
}  // namespace memfleet::server
