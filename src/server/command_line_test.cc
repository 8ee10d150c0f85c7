// Tests for ParseCommandLine, UsageText and VersionText. The expected rejection messages are
// the ones memcached 1.6.18 (Debian) prints for the same arguments, unless the row says "ours".
#include "server/command_line.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace memfleet::server {
namespace {

using Args = std::vector<std::string>;

Result<CommandLine> Parse(const Args& args) {
  Args argv = {"memfleetd"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ParseCommandLine(argv);
}

// Parses args that must be accepted; fails the test (and returns defaults) otherwise.
Settings ParseOk(const Args& args) {
  Result<CommandLine> r = Parse(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  if (!r.ok()) return Settings{};
  EXPECT_EQ(r->action, CommandLine::Action::kRun);
  return r->settings;
}

std::string ParseError(const Args& args) {
  Result<CommandLine> r = Parse(args);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST(CommandLineTest, NoArgumentsGivesMemcachedDefaults) {
  Result<CommandLine> r = Parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, CommandLine::Action::kRun);
  EXPECT_TRUE(r->warnings.empty());
  const Settings& s = r->settings;
  EXPECT_EQ(s.port, 11211);
  EXPECT_EQ(s.udp_port, 0);
  EXPECT_TRUE(s.listen.empty());
  EXPECT_EQ(s.max_bytes, 64u << 20);
  EXPECT_EQ(s.max_conns, 1024);
  EXPECT_EQ(s.num_threads, 4);
  EXPECT_EQ(s.item_size_max, 1 << 20);
  EXPECT_EQ(s.slab_chunk_size_max, 512 * 1024);
  EXPECT_EQ(s.protocol, BindingProtocol::kAuto);
  EXPECT_EQ(s.hash_algorithm, "murmur3");
  EXPECT_TRUE(s.user.empty());  // not required, even as root
}

TEST(CommandLineTest, EmptyArgvIsAccepted) {
  Result<CommandLine> r = ParseCommandLine(Args{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, CommandLine::Action::kRun);
}

// ---- every flag, short and long --------------------------------------------------------------

struct FlagCase {
  std::string name;
  Args args;
  std::function<void(const Settings&)> check;
};

class FlagTest : public testing::TestWithParam<FlagCase> {};

TEST_P(FlagTest, Applies) { GetParam().check(ParseOk(GetParam().args)); }

#define CHECK_FIELD(field, value) [](const Settings& s) { EXPECT_EQ(s.field, value); }

INSTANTIATE_TEST_SUITE_P(
    Flags, FlagTest,
    testing::Values(
        FlagCase{"p", {"-p", "12345"}, CHECK_FIELD(port, 12345)},
        FlagCase{"port", {"--port=0"}, CHECK_FIELD(port, 0)},
        FlagCase{"p_attached", {"-p2000"}, CHECK_FIELD(port, 2000)},
        FlagCase{"p_leading_space", {"-p", " 99"}, CHECK_FIELD(port, 99)},
        FlagCase{"U0", {"-U", "0"}, CHECK_FIELD(udp_port, 0)},
        FlagCase{"udp_port0", {"--udp-port", "0"}, CHECK_FIELD(udp_port, 0)},
        FlagCase{"s", {"-s", "/tmp/mf.sock"}, CHECK_FIELD(socket_path, "/tmp/mf.sock")},
        FlagCase{"unix_socket", {"--unix-socket=/tmp/x"}, CHECK_FIELD(socket_path, "/tmp/x")},
        FlagCase{"a", {"-a", "755"}, CHECK_FIELD(socket_access_mask, 0755)},
        FlagCase{"unix_mask", {"--unix-mask=0600"}, CHECK_FIELD(socket_access_mask, 0600)},
        FlagCase{"A", {"-A"}, CHECK_FIELD(shutdown_command, true)},
        FlagCase{"enable_shutdown", {"--enable-shutdown"}, CHECK_FIELD(shutdown_command, true)},
        FlagCase{"l", {"-l", "127.0.0.1"}, CHECK_FIELD(listen, Args{"127.0.0.1"})},
        FlagCase{"listen", {"--listen=::1"}, CHECK_FIELD(listen, Args{"::1"})},
        FlagCase{"l_repeated_deduped",
                 {"-l", "127.0.0.2,127.0.0.1", "-l", "127.0.0.1", "-l", "10.0.0.1"},
                 CHECK_FIELD(listen, (Args{"127.0.0.2", "127.0.0.1", "10.0.0.1"}))},
        FlagCase{"l_not_substring_deduped",
                 {"-l", "127.0.0.10", "-l", "127.0.0.1"},
                 CHECK_FIELD(listen, (Args{"127.0.0.10", "127.0.0.1"}))},
        FlagCase{"l_semicolons_spaces_empty",
                 {"-l", " a.example ; [::1]:11211,,b:80 "},
                 CHECK_FIELD(listen, (Args{"a.example", "[::1]:11211", "b:80"}))},
        FlagCase{"l_empty", {"-l", ""}, CHECK_FIELD(listen, Args{})},
        FlagCase{"d", {"-d"}, CHECK_FIELD(daemonize, true)},
        FlagCase{"daemon", {"--daemon"}, CHECK_FIELD(daemonize, true)},
        FlagCase{"r", {"-r"}, CHECK_FIELD(enable_core_files, true)},
        FlagCase{"enable_coredumps", {"--enable-coredumps"}, CHECK_FIELD(enable_core_files, true)},
        FlagCase{"u", {"-u", "nobody"}, CHECK_FIELD(user, "nobody")},
        FlagCase{"user", {"--user=memcache"}, CHECK_FIELD(user, "memcache")},
        FlagCase{"m", {"-m", "128"}, CHECK_FIELD(max_bytes, 128ull << 20)},
        FlagCase{"m_suffix_m", {"-m", "100M"}, CHECK_FIELD(max_bytes, 100ull << 20)},
        FlagCase{"m_suffix_g", {"--memory-limit=2g"}, CHECK_FIELD(max_bytes, 2ull << 30)},
        FlagCase{"m_huge", {"-m", "1048576"}, CHECK_FIELD(max_bytes, 1ull << 40)},
        FlagCase{"M", {"-M"}, CHECK_FIELD(evict_to_free, false)},
        FlagCase{"disable_evictions", {"--disable-evictions"}, CHECK_FIELD(evict_to_free, false)},
        FlagCase{"c", {"-c", "5000"}, CHECK_FIELD(max_conns, 5000)},
        FlagCase{"conn_limit", {"--conn-limit=10"}, CHECK_FIELD(max_conns, 10)},
        FlagCase{"k", {"-k"}, CHECK_FIELD(lock_memory, true)},
        FlagCase{"lock_memory", {"--lock-memory"}, CHECK_FIELD(lock_memory, true)},
        FlagCase{"v", {"-v"}, CHECK_FIELD(verbose, 1)},
        FlagCase{"vv", {"-vv"}, CHECK_FIELD(verbose, 2)},
        FlagCase{"vvv", {"-vvv"}, CHECK_FIELD(verbose, 3)},
        FlagCase{"v_v", {"-v", "-v"}, CHECK_FIELD(verbose, 2)},
        FlagCase{"verbose", {"--verbose"}, CHECK_FIELD(verbose, 1)},
        FlagCase{"verbose_arg_counts_once", {"--verbose=3"}, CHECK_FIELD(verbose, 1)},
        FlagCase{"P", {"-P", "/run/mf.pid"}, CHECK_FIELD(pid_file, "/run/mf.pid")},
        FlagCase{"pidfile", {"--pidfile=/tmp/p"}, CHECK_FIELD(pid_file, "/tmp/p")},
        FlagCase{"f", {"-f", "1.5"}, CHECK_FIELD(factor, 1.5)},
        FlagCase{"slab_growth_factor", {"--slab-growth-factor=1.08"}, CHECK_FIELD(factor, 1.08)},
        FlagCase{"n", {"-n", "96"}, CHECK_FIELD(chunk_size, 96)},
        FlagCase{"slab_min_size", {"--slab-min-size=64"}, CHECK_FIELD(chunk_size, 64)},
        FlagCase{"t", {"-t", "8"}, CHECK_FIELD(num_threads, 8)},
        FlagCase{"threads", {"--threads=1"}, CHECK_FIELD(num_threads, 1)},
        FlagCase{"D",
                 {"-D", "#"},
                 [](const Settings& s) {
                   EXPECT_EQ(s.prefix_delimiter, '#');
                   EXPECT_TRUE(s.detail_enabled);
                 }},
        FlagCase{"D_first_char", {"-D", "/x"}, CHECK_FIELD(prefix_delimiter, '/')},
        FlagCase{"L", {"-L"}, CHECK_FIELD(large_pages, true)},
        FlagCase{"enable_largepages", {"--enable-largepages"}, CHECK_FIELD(large_pages, true)},
        FlagCase{"R", {"-R", "5"}, CHECK_FIELD(reqs_per_event, 5)},
        FlagCase{"max_reqs_per_event", {"--max-reqs-per-event=7"}, CHECK_FIELD(reqs_per_event, 7)},
        FlagCase{"C", {"-C"}, CHECK_FIELD(use_cas, false)},
        FlagCase{"disable_cas", {"--disable-cas"}, CHECK_FIELD(use_cas, false)},
        FlagCase{"b", {"-b", "64"}, CHECK_FIELD(backlog, 64)},
        FlagCase{"b0", {"-b", "0"}, CHECK_FIELD(backlog, 0)},
        FlagCase{"listen_backlog", {"--listen-backlog=2048"}, CHECK_FIELD(backlog, 2048)},
        FlagCase{"B_ascii", {"-B", "ascii"}, CHECK_FIELD(protocol, BindingProtocol::kAscii)},
        FlagCase{"B_binary", {"-B", "binary"}, CHECK_FIELD(protocol, BindingProtocol::kBinary)},
        FlagCase{"protocol_auto", {"--protocol=auto"}, CHECK_FIELD(protocol, BindingProtocol::kAuto)},
        FlagCase{"I_bytes", {"-I", "524288"}, CHECK_FIELD(item_size_max, 524288)},
        FlagCase{"I_k", {"-I", "512k"}, CHECK_FIELD(item_size_max, 512 * 1024)},
        FlagCase{"I_K", {"-I", "1024K"}, CHECK_FIELD(item_size_max, 1 << 20)},
        FlagCase{"I_m", {"-I", "2m"},
                 [](const Settings& s) {
                   EXPECT_EQ(s.item_size_max, 2 << 20);
                   EXPECT_EQ(s.slab_chunk_size_max, 512 * 1024);
                 }},
        FlagCase{"I_M", {"--max-item-size=32M"}, CHECK_FIELD(item_size_max, 32 << 20)},
        FlagCase{"I_1536k", {"-I", "1536k"}, CHECK_FIELD(item_size_max, 1536 * 1024)},
        FlagCase{"I_1g", {"-I", "1g", "-m", "2048"}, CHECK_FIELD(item_size_max, 1 << 30)},
        FlagCase{"I_small_with_chunk", {"-I", "1k", "-o", "slab_chunk_max=1024"},
                 CHECK_FIELD(item_size_max, 1024)},
        FlagCase{"chunk_max_512", {"-o", "slab_chunk_max=512"},
                 CHECK_FIELD(slab_chunk_size_max, 512)},
        FlagCase{"slab_classes_memcached", {"-o", "slab_classes=memcached"},
                 CHECK_FIELD(memcached_slab_classes, true)},
        FlagCase{"slab_classes_fine", {"-o", "slab_classes=memcached,slab_classes=fine"},
                 CHECK_FIELD(memcached_slab_classes, false)},
        FlagCase{"F", {"-F"}, CHECK_FIELD(flush_enabled, false)},
        FlagCase{"disable_flush_all", {"--disable-flush-all"}, CHECK_FIELD(flush_enabled, false)},
        FlagCase{"X", {"-X"}, CHECK_FIELD(dump_enabled, false)},
        FlagCase{"disable_dumping", {"--disable-dumping"}, CHECK_FIELD(dump_enabled, false)},
        FlagCase{"W", {"-W"}, CHECK_FIELD(watch_enabled, false)},
        FlagCase{"disable_watch", {"--disable-watch"}, CHECK_FIELD(watch_enabled, false)},
        FlagCase{"Y",
                 {"-Y", "/etc/mf.auth"},
                 [](const Settings& s) {
                   EXPECT_EQ(s.auth_file, "/etc/mf.auth");
                   EXPECT_EQ(s.protocol, BindingProtocol::kAscii);  // implied, as memcached
                 }},
        FlagCase{"auth_file_with_ascii",
                 {"--auth-file=/a", "-B", "ascii"},
                 CHECK_FIELD(protocol, BindingProtocol::kAscii)},
        FlagCase{"o", {"-o", "hashpower=20"}, CHECK_FIELD(hashpower_init, 20)},
        FlagCase{"extended", {"--extended=track_sizes"}, CHECK_FIELD(track_sizes, true)},
        FlagCase{"o_repeated",
                 {"-o", "hashpower=20", "-o", "hashpower=21"},
                 CHECK_FIELD(hashpower_init, 21)},
        FlagCase{"combined_bundle",
                 {"-dkrv", "-p11", "-MC"},
                 [](const Settings& s) {
                   EXPECT_TRUE(s.daemonize);
                   EXPECT_TRUE(s.lock_memory);
                   EXPECT_TRUE(s.enable_core_files);
                   EXPECT_EQ(s.verbose, 1);
                   EXPECT_EQ(s.port, 11);
                   EXPECT_FALSE(s.evict_to_free);
                   EXPECT_FALSE(s.use_cas);
                 }},
        FlagCase{"long_prefix", {"--memory-l=8"}, CHECK_FIELD(max_bytes, 8ull << 20)},
        FlagCase{"m1_with_I_512k", {"-m", "1", "-I", "512k"},
                 CHECK_FIELD(max_bytes, 1ull << 20)}),
    [](const testing::TestParamInfo<FlagCase>& i) { return i.param.name; });

// ---- every -o sub-option ---------------------------------------------------------------------

INSTANTIATE_TEST_SUITE_P(
    SubOptions, FlagTest,
    testing::Values(
        FlagCase{"maxconns_fast",
                 {"-o", "no_maxconns_fast,maxconns_fast"},
                 CHECK_FIELD(maxconns_fast, true)},
        FlagCase{"no_maxconns_fast", {"-o", "no_maxconns_fast"}, CHECK_FIELD(maxconns_fast, false)},
        FlagCase{"hashpower_low", {"-o", "hashpower=12"}, CHECK_FIELD(hashpower_init, 12)},
        FlagCase{"hashpower_high", {"-o", "hashpower=32"}, CHECK_FIELD(hashpower_init, 32)},
        FlagCase{"no_hashexpand", {"-o", "no_hashexpand"}, CHECK_FIELD(hash_expand, false)},
        FlagCase{
            "tail_repair_time", {"-o", "tail_repair_time=10"}, CHECK_FIELD(tail_repair_time, 10)},
        FlagCase{"hash_jenkins",
                 {"-o", "hash_algorithm=jenkins"},
                 CHECK_FIELD(hash_algorithm, "jenkins")},
        FlagCase{"hash_murmur3",
                 {"-o", "hash_algorithm=murmur3"},
                 CHECK_FIELD(hash_algorithm, "murmur3")},
        FlagCase{"hash_xxh3", {"-o", "hash_algorithm=xxh3"}, CHECK_FIELD(hash_algorithm, "xxh3")},
        FlagCase{
            "lru_crawler", {"-o", "no_lru_crawler,lru_crawler"}, CHECK_FIELD(lru_crawler, true)},
        FlagCase{"no_lru_crawler", {"-o", "no_lru_crawler"}, CHECK_FIELD(lru_crawler, false)},
        FlagCase{
            "lru_crawler_sleep0", {"-o", "lru_crawler_sleep=0"}, CHECK_FIELD(lru_crawler_sleep, 0)},
        FlagCase{"lru_crawler_sleep_max",
                 {"-o", "lru_crawler_sleep=1000000"},
                 CHECK_FIELD(lru_crawler_sleep, 1000000)},
        FlagCase{"lru_crawler_tocrawl",
                 {"-o", "lru_crawler_tocrawl=4294967295"},
                 CHECK_FIELD(lru_crawler_tocrawl, 4294967295u)},
        FlagCase{"no_io_uring", {"-o", "no_io_uring"}, CHECK_FIELD(io_uring, false)},
        FlagCase{"io_uring", {"-o", "no_io_uring,io_uring"}, CHECK_FIELD(io_uring, true)},
        FlagCase{"lru_maintainer",
                 {"-o", "no_lru_maintainer,lru_maintainer"},
                 [](const Settings& s) {
                   EXPECT_TRUE(s.lru_maintainer_thread);
                   EXPECT_TRUE(s.lru_segmented);
                 }},
        FlagCase{"no_lru_maintainer",
                 {"-o", "no_lru_maintainer"},
                 [](const Settings& s) {
                   EXPECT_FALSE(s.lru_maintainer_thread);
                   EXPECT_FALSE(s.lru_segmented);
                 }},
        FlagCase{"hot_lru_pct", {"-o", "hot_lru_pct=1"}, CHECK_FIELD(hot_lru_pct, 1)},
        FlagCase{"warm_lru_pct", {"-o", "warm_lru_pct=60"}, CHECK_FIELD(warm_lru_pct, 60)},
        FlagCase{"lru_pct_sum_80",
                 {"-o", "hot_lru_pct=40,warm_lru_pct=40"},
                 [](const Settings& s) {
                   EXPECT_EQ(s.hot_lru_pct, 40);
                   EXPECT_EQ(s.warm_lru_pct, 40);
                 }},
        FlagCase{"hot_max_factor", {"-o", "hot_max_factor=0.5"}, CHECK_FIELD(hot_max_factor, 0.5)},
        FlagCase{"warm_max_factor", {"-o", "warm_max_factor=3"}, CHECK_FIELD(warm_max_factor, 3.0)},
        FlagCase{"temporary_ttl",
                 {"-o", "temporary_ttl=30"},
                 [](const Settings& s) {
                   EXPECT_TRUE(s.temp_lru);
                   EXPECT_EQ(s.temporary_ttl, 30);
                 }},
        FlagCase{"idle_timeout", {"-o", "idle_timeout=600"}, CHECK_FIELD(idle_timeout, 600)},
        FlagCase{"watcher_logbuf_size_kb",
                 {"-o", "watcher_logbuf_size=3"},
                 CHECK_FIELD(watcher_logbuf_size, 3072)},
        FlagCase{"worker_logbuf_size_kb",
                 {"-o", "worker_logbuf_size=10"},
                 CHECK_FIELD(worker_logbuf_size, 10240)},
        FlagCase{"read_buf_mem_limit_mb",
                 {"-o", "read_buf_mem_limit=10"},
                 CHECK_FIELD(read_buf_mem_limit, 10ull << 20)},
        FlagCase{"slab_sizes",
                 {"-o", "slab_sizes=100-200--400"},
                 CHECK_FIELD(slab_sizes, (std::vector<uint32_t>{100, 200, 400}))},
        FlagCase{"slab_chunk_max_bytes",
                 {"-o", "slab_chunk_max=16384"},
                 CHECK_FIELD(slab_chunk_size_max, 16384)},
        FlagCase{"slab_chunk_max_kept_with_big_I",
                 {"-o", "slab_chunk_max=16384", "-I", "4m"},
                 CHECK_FIELD(slab_chunk_size_max, 16384)},
        FlagCase{"no_chunked_items",
                 {"-o", "no_chunked_items"},
                 CHECK_FIELD(slab_chunk_size_max, 1 << 20)},
        FlagCase{"no_chunked_items_big_I",
                 {"-o", "no_chunked_items", "-I", "2m"},
                 CHECK_FIELD(slab_chunk_size_max, 512 * 1024)},
        FlagCase{"track_sizes", {"-o", "track_sizes"}, CHECK_FIELD(track_sizes, true)},
        FlagCase{"inline_ascii_resp_noops",
                 {"-o", "inline_ascii_resp,no_inline_ascii_resp,modern"},
                 CHECK_FIELD(hash_algorithm, "murmur3")},
        FlagCase{"no_modern",
                 {"-o", "no_modern"},
                 [](const Settings& s) {
                   EXPECT_EQ(s.slab_chunk_size_max, 1 << 20);
                   EXPECT_FALSE(s.slab_reassign);
                   EXPECT_EQ(s.slab_automove, 0);
                   EXPECT_FALSE(s.maxconns_fast);
                   EXPECT_FALSE(s.lru_segmented);
                   EXPECT_FALSE(s.lru_crawler);
                   EXPECT_FALSE(s.lru_maintainer_thread);
                   EXPECT_EQ(s.hash_algorithm, "jenkins");
                 }},
        FlagCase{"no_modern_keeps_chunk_max",
                 {"-o", "slab_chunk_max=4096,no_modern"},
                 CHECK_FIELD(slab_chunk_size_max, 4096)},
        FlagCase{"slab_reassign",
                 {"-o", "no_slab_reassign,slab_reassign"},
                 CHECK_FIELD(slab_reassign, true)},
        FlagCase{"no_slab_reassign", {"-o", "no_slab_reassign"}, CHECK_FIELD(slab_reassign, false)},
        FlagCase{"slab_automove_bare",
                 {"-o", "no_slab_automove,slab_automove"},
                 CHECK_FIELD(slab_automove, 1)},
        FlagCase{"slab_automove2", {"-o", "slab_automove=2"}, CHECK_FIELD(slab_automove, 2)},
        FlagCase{"no_slab_automove", {"-o", "no_slab_automove"}, CHECK_FIELD(slab_automove, 0)},
        FlagCase{"slab_automove_ratio",
                 {"-o", "slab_automove_ratio=1"},
                 CHECK_FIELD(slab_automove_ratio, 1.0)},
        FlagCase{"slab_automove_window",
                 {"-o", "slab_automove_window=3"},
                 CHECK_FIELD(slab_automove_window, 3)},
        FlagCase{"no_drop_privileges", {"-o", "no_drop_privileges"}, CHECK_FIELD(port, 11211)},
        FlagCase{
            "bool_with_value_ignored", {"-o", "maxconns_fast=0"}, CHECK_FIELD(maxconns_fast, true)},
        FlagCase{"empty_list", {"-o", ""}, CHECK_FIELD(hashpower_init, 0)},
        FlagCase{"trailing_comma", {"-o", "hashpower=16,"}, CHECK_FIELD(hashpower_init, 16)},
        FlagCase{"value_with_equals",
                 {"-o", "hash_algorithm=xxh3,idle_timeout=5"},
                 CHECK_FIELD(idle_timeout, 5)}),
    [](const testing::TestParamInfo<FlagCase>& i) { return i.param.name; });

#undef CHECK_FIELD

// ---- rejections --------------------------------------------------------------------------------

struct RejectCase {
  std::string name;
  Args args;
  std::string message;
};

class RejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, FailsWithMessage) { EXPECT_EQ(ParseError(GetParam().args), GetParam().message); }

const char kHint[] = "\nTry 'memfleetd -h' for more information.";

INSTANTIATE_TEST_SUITE_P(
    Flags, RejectTest,
    testing::Values(
        RejectCase{"c0", {"-c", "0"}, "Maximum connections must be greater than 0"},
        RejectCase{"c_negative", {"-c", "-1"}, "Maximum connections must be greater than 0"},
        RejectCase{"c_text", {"-c", "abc"}, "Maximum connections must be greater than 0"},
        RejectCase{"c_overflow", {"-c", "99999999999"}, "Invalid value for -c: \"99999999999\""},
        RejectCase{"t0", {"-t", "0"}, "Number of threads must be greater than 0"},
        RejectCase{"t_text", {"--threads=abc"}, "Number of threads must be greater than 0"},
        RejectCase{"R0", {"-R", "0"}, "Number of requests per event must be greater than 0"},
        RejectCase{"R_negative",
                   {"-R", "-1"},  // ours: memcached accepts
                   "Number of requests per event must be greater than 0"},
        RejectCase{"n0", {"-n", "0"}, "Chunk size must be greater than 0"},
        RejectCase{"n_negative", {"-n", "-1"}, "Chunk size must be greater than 0"},  // ours
        RejectCase{"f1", {"-f", "1.0"}, "Factor must be greater than 1"},
        RejectCase{"f_below", {"-f", "0.5"}, "Factor must be greater than 1"},
        RejectCase{"f_text", {"-f", "abc"}, "Factor must be greater than 1"},
        RejectCase{"f_inf", {"-f", "inf"}, "Factor must be greater than 1"},
        RejectCase{"B_http",
                   {"-B", "http"},
                   "Invalid value for binding protocol: http\n"
                   " -- should be one of auto, binary, or ascii"},
        RejectCase{"D_empty", {"-D", ""}, "No delimiter specified"},
        RejectCase{"D_space", {"-D", " "}, "No delimiter specified"},
        RejectCase{"U_too_big", {"-U", "65536"}, "ERROR: Invalid port number 65536."},
        RejectCase{"U_negative", {"-U", "-2"}, "ERROR: Invalid port number -2."},
        RejectCase{"U_sasl",
                   {"-S", "-U", "11211"},
                   "ERROR: Cannot enable UDP while using binary SASL authentication."},
        RejectCase{"U_ascii_auth",
                   {"-Y", "/a", "-U", "11211"},
                   "Cannot use UDP with ascii authentication enabled (-U 0 to disable)"},
        RejectCase{"U_text", {"-U", "x"}, "ERROR: Invalid port number x."},
        RejectCase{"p_too_big", {"-p", "65536"}, "ERROR: Invalid port number 65536."},
        RejectCase{"p_negative", {"-p", "-2"}, "ERROR: Invalid port number -2."},
        RejectCase{"p_text", {"-p", "abc"}, "ERROR: Invalid port number abc."},
        RejectCase{"a_not_octal",
                   {"-a", "999"},
                   "Invalid value for -a (an octal mask such as 700): \"999\""},
        RejectCase{"a_too_big",
                   {"-a", "1777"},
                   "Invalid value for -a (an octal mask such as 700): \"1777\""},
        RejectCase{"s_too_long",
                   {"-s", std::string(108, 'x')},
                   "UNIX socket path is longer than 107 bytes: " + std::string(108, 'x')},
        RejectCase{"l_bad_v6", {"-l", "[::1"}, "Invalid IPV6 address: \"[::1\""},
        RejectCase{"l_bad_v6_tail", {"-l", "[::1]x"}, "Invalid IPV6 address: \"[::1]x\""},
        RejectCase{"l_bad_port", {"-l", "127.0.0.1:abc"}, "Invalid port number: \"abc\""},
        RejectCase{"l_port_range", {"-l", "h:70000"}, "Invalid port number: \"70000\""},
        RejectCase{"l_v6_bad_port", {"-l", "[::1]:x"}, "Invalid port number: \"x\""},
        RejectCase{"m0", {"-m", "0"}, "Cannot set item size limit higher than 1/2 of memory max."},
        RejectCase{"m1", {"-m", "1"}, "Cannot set item size limit higher than 1/2 of memory max."},
        RejectCase{"m_text",
                   {"-m", "abc"},
                   "Invalid value for -m (megabytes, or with an m or g suffix): \"abc\""},
        RejectCase{"m_negative",
                   {"-m", "-5"},
                   "Invalid value for -m (megabytes, or with an m or g suffix): \"-5\""},
        RejectCase{"m_bad_suffix",
                   {"-m", "5k"},
                   "Invalid value for -m (megabytes, or with an m or g suffix): \"5k\""},
        RejectCase{"m_overflow",
                   {"-m", "99999999999999999g"},
                   "Invalid value for -m (megabytes, or with an m or g suffix): "
                   "\"99999999999999999g\""},
        RejectCase{"b_negative", {"-b", "-1"}, "Invalid value for -b: \"-1\""},
        RejectCase{"I_small", {"-I", "1023"}, "Item max size cannot be less than 1024 bytes."},
        RejectCase{"I_zero", {"-I", "0k"}, "Item max size cannot be less than 1024 bytes."},
        RejectCase{"I_text",
                   {"-I", "abc"},
                   "Invalid value for -I (bytes, or with a k, m or g suffix): \"abc\""},
        RejectCase{"I_half_of_m",
                   {"-I", "33m"},
                   "Cannot set item size limit higher than 1/2 of memory max."},
        RejectCase{"I_gigabyte",
                   {"-I", "1025m", "-m", "4096"},
                   "Cannot set item size limit higher than a gigabyte."},
        RejectCase{"I_below_chunk",
                   {"-I", "100k"},
                   "slab_chunk_max (bytes: 524288) cannot be larger than -I (item_size_max "
                   "102400)"},
        RejectCase{"I_1k",
                   {"-I", "1k"},
                   "slab_chunk_max (bytes: 524288) cannot be larger than -I (item_size_max "
                   "1024)"},
        RejectCase{"I_not_multiple",
                   {"-I", "1000k"},
                   "-I (item_size_max: 1024000) must be evenly divisible by slab_chunk_max "
                   "(bytes: 524288)"},
        RejectCase{"Y_binary",
                   {"-Y", "/a", "-B", "binary"},
                   "ERROR: You cannot allow the BINARY protocol while using ascii authentication "
                   "tokens."},
        RejectCase{"Y_auto",
                   {"-B", "auto", "-Y", "/a"},
                   "ERROR: You cannot allow the BINARY protocol while using ascii authentication "
                   "tokens."},
        RejectCase{"S_ascii",
                   {"-S", "-B", "ascii"},
                   "ERROR: You cannot allow the ASCII protocol while using SASL."},
        RejectCase{"S_auto",
                   {"-B", "auto", "-S"},
                   "ERROR: You cannot allow the ASCII protocol while using SASL."},
        RejectCase{"Z", {"--enable-ssl"}, "This server is not built with TLS support."},
        RejectCase{"e",
                   {"-e", "/dev/shm/x"},
                   "-e (restartable cache memory file) is not supported by memfleetd"},
        RejectCase{"N", {"-N", "1"}, "-N (NAPI ids) is not supported by memfleetd"},
        RejectCase{"i", {"-i"}, "-i (print the license) is not supported by memfleetd"},
        RejectCase{
            "unknown_short", {"-q"}, "memfleetd: invalid option -- 'q'" + std::string(kHint)},
        RejectCase{"unknown_in_bundle",
                   {"--port=1", "-qd"},
                   "memfleetd: invalid option -- 'q'" + std::string(kHint)},
        RejectCase{"unknown_long",
                   {"--bogus=1"},
                   "memfleetd: unrecognized option '--bogus=1'" + std::string(kHint)},
        RejectCase{"ambiguous_long",
                   {"--mem=5"},
                   "memfleetd: option '--mem' is ambiguous" + std::string(kHint)},
        RejectCase{"missing_short_arg",
                   {"-p"},
                   "memfleetd: option requires an argument -- 'p'" + std::string(kHint)},
        RejectCase{"missing_long_arg",
                   {"--port"},
                   "memfleetd: option '--port' requires an argument" + std::string(kHint)},
        RejectCase{"long_takes_no_arg",
                   {"--daemon=yes"},
                   "memfleetd: option '--daemon' doesn't allow an argument" + std::string(kHint)},
        RejectCase{"positional",
                   {"-p", "1", "extra"},
                   "memfleetd: unexpected argument 'extra'" + std::string(kHint)},
        RejectCase{"after_double_dash",
                   {"--", "-p", "5"},
                   "memfleetd: unexpected argument '-p'" + std::string(kHint)}),
    [](const testing::TestParamInfo<RejectCase>& i) { return i.param.name; });

INSTANTIATE_TEST_SUITE_P(
    SubOptions, RejectTest,
    testing::Values(
        RejectCase{"unknown", {"-o", "foo"}, "Illegal suboption \"foo\""},
        RejectCase{"unknown_value", {"-o", "foo=1"}, "Illegal suboption \"foo=1\""},
        RejectCase{"empty_token", {"-o", "hashpower=16,,modern"}, "Illegal suboption \"\""},
        RejectCase{"comma_only", {"-o", ","}, "Illegal suboption \"\""},
        RejectCase{"case_sensitive", {"-o", "HASHPOWER=16"}, "Illegal suboption \"HASHPOWER=16\""},
        RejectCase{
            "hashpower_missing", {"-o", "hashpower"}, "Missing numeric argument for hashpower"},
        RejectCase{"hashpower_low",
                   {"-o", "hashpower=11"},
                   "Initial hashtable multiplier of 11 is too low"},
        RejectCase{"hashpower_high",
                   {"-o", "hashpower=33"},
                   "Initial hashtable multiplier of 33 is too high\nChoose a value based on "
                   "\"STAT hash_power_level\" from a running instance"},
        RejectCase{
            "hashpower_text", {"-o", "hashpower=abc"}, "could not parse argument to hashpower"},
        RejectCase{"tail_missing",
                   {"-o", "tail_repair_time"},
                   "Missing numeric argument for tail_repair_time"},
        RejectCase{"tail_low",
                   {"-o", "tail_repair_time=9"},
                   "Cannot set tail_repair_time to less than 10 seconds"},
        RejectCase{"hash_missing", {"-o", "hash_algorithm"}, "Missing hash_algorithm argument"},
        RejectCase{"hash_unknown",
                   {"-o", "hash_algorithm=md5"},
                   "Unknown hash_algorithm option (jenkins, murmur3, xxh3)"},
        RejectCase{"crawler_sleep_missing",
                   {"-o", "lru_crawler_sleep"},
                   "Missing lru_crawler_sleep value"},
        RejectCase{"crawler_sleep_high",
                   {"-o", "lru_crawler_sleep=1000001"},
                   "LRU crawler sleep must be between 0 and 1 second"},
        RejectCase{"crawler_sleep_negative",
                   {"-o", "lru_crawler_sleep=-1"},
                   "LRU crawler sleep must be between 0 and 1 second"},
        RejectCase{
            "tocrawl_missing", {"-o", "lru_crawler_tocrawl"}, "Missing lru_crawler_tocrawl value"},
        RejectCase{"tocrawl_text",
                   {"-o", "lru_crawler_tocrawl=abc"},
                   "lru_crawler_tocrawl takes a numeric 32bit value"},
        RejectCase{"tocrawl_negative",
                   {"-o", "lru_crawler_tocrawl=-1"},
                   "lru_crawler_tocrawl takes a numeric 32bit value"},
        RejectCase{"tocrawl_too_big",
                   {"-o", "lru_crawler_tocrawl=4294967296"},
                   "lru_crawler_tocrawl takes a numeric 32bit value"},
        RejectCase{"hot_pct_missing", {"-o", "hot_lru_pct"}, "Missing hot_lru_pct argument"},
        RejectCase{"hot_pct_zero", {"-o", "hot_lru_pct=0"}, "hot_lru_pct must be > 1 and < 80"},
        RejectCase{"hot_pct_80", {"-o", "hot_lru_pct=80"}, "hot_lru_pct must be > 1 and < 80"},
        RejectCase{"warm_pct_missing", {"-o", "warm_lru_pct"}, "Missing warm_lru_pct argument"},
        RejectCase{"warm_pct_zero", {"-o", "warm_lru_pct=0"}, "warm_lru_pct must be > 1 and < 80"},
        RejectCase{"warm_pct_80", {"-o", "warm_lru_pct=80"}, "warm_lru_pct must be > 1 and < 80"},
        RejectCase{"pct_sum",
                   {"-o", "hot_lru_pct=50,warm_lru_pct=31"},
                   "hot_lru_pct + warm_lru_pct cannot be more than 80% combined"},
        RejectCase{"pct_sum_default_warm",
                   {"-o", "hot_lru_pct=79"},
                   "hot_lru_pct + warm_lru_pct cannot be more than 80% combined"},
        RejectCase{
            "hot_factor_missing", {"-o", "hot_max_factor"}, "Missing hot_max_factor argument"},
        RejectCase{"hot_factor_zero", {"-o", "hot_max_factor=0"}, "hot_max_factor must be > 0"},
        RejectCase{
            "warm_factor_missing", {"-o", "warm_max_factor"}, "Missing warm_max_factor argument"},
        RejectCase{"warm_factor_zero", {"-o", "warm_max_factor=0"}, "warm_max_factor must be > 0"},
        RejectCase{"factor_text",
                   {"-o", "warm_max_factor=x"},
                   "could not parse argument to warm_max_factor"},
        RejectCase{
            "temporary_ttl_missing", {"-o", "temporary_ttl"}, "Missing temporary_ttl argument"},
        RejectCase{"temporary_ttl_text",
                   {"-o", "temporary_ttl=abc"},  // ours: memcached reads 0
                   "could not parse argument to temporary_ttl"},
        RejectCase{"temporary_ttl_no_maintainer",
                   {"-o", "temporary_ttl=30,no_lru_maintainer"},
                   "temporary_ttl requires lru_maintainer to be enabled"},
        RejectCase{"temporary_ttl_no_modern",
                   {"-o", "no_modern,temporary_ttl=30"},
                   "temporary_ttl requires lru_maintainer to be enabled"},
        RejectCase{
            "idle_missing", {"-o", "idle_timeout"}, "Missing numeric argument for idle_timeout"},
        RejectCase{"idle_negative",
                   {"-o", "idle_timeout=-1"},  // ours: memcached accepts
                   "could not parse argument to idle_timeout"},
        RejectCase{"watcher_missing",
                   {"-o", "watcher_logbuf_size"},
                   "Missing watcher_logbuf_size argument"},
        RejectCase{"watcher_text",
                   {"-o", "watcher_logbuf_size=abc"},
                   "could not parse argument to watcher_logbuf_size"},
        RejectCase{"watcher_negative",
                   {"-o", "watcher_logbuf_size=-1"},
                   "could not parse argument to watcher_logbuf_size"},
        RejectCase{"watcher_overflow",
                   {"-o", "watcher_logbuf_size=2097152"},
                   "could not parse argument to watcher_logbuf_size"},
        RejectCase{
            "worker_missing", {"-o", "worker_logbuf_size"}, "Missing worker_logbuf_size argument"},
        RejectCase{"worker_text",
                   {"-o", "worker_logbuf_size=x"},
                   "could not parse argument to worker_logbuf_size"},
        RejectCase{"read_buf_missing",
                   {"-o", "read_buf_mem_limit"},
                   "Missing read_buf_mem_limit argument"},
        RejectCase{"read_buf_text",
                   {"-o", "read_buf_mem_limit=abc"},
                   "could not parse argument to read_buf_mem_limit"},
        RejectCase{"slab_sizes_missing", {"-o", "slab_sizes"}, "Missing slab_sizes argument"},
        RejectCase{
            "slab_sizes_only_dashes", {"-o", "slab_sizes=--"}, "Missing slab_sizes argument"},
        RejectCase{
            "slab_sizes_small", {"-o", "slab_sizes=10"}, "slab size 10 is out of valid range"},
        RejectCase{"slab_sizes_large",
                   {"-o", "slab_sizes=100-600000"},
                   "slab size 600000 is out of valid range"},
        RejectCase{
            "slab_sizes_text", {"-o", "slab_sizes=100-x"}, "slab size x is out of valid range"},
        RejectCase{"slab_sizes_order",
                   {"-o", "slab_sizes=200-100"},
                   "slab size 100 cannot be lower than or equal to a previous class size"},
        RejectCase{"slab_sizes_align",
                   {"-o", "slab_sizes=100-108"},
                   "slab size 108 must be at least 8 bytes larger than previous class"},
        RejectCase{
            "chunk_max_missing", {"-o", "slab_chunk_max"}, "Missing slab_chunk_max argument"},
        RejectCase{"chunk_max_text",
                   {"-o", "slab_chunk_max=abc"},
                   "could not parse argument to slab_chunk_max"},
        RejectCase{"chunk_max_zero",
                   {"-o", "slab_chunk_max=0"},
                   "could not parse argument to slab_chunk_max"},
        RejectCase{"chunk_max_not_divisor",
                   {"-o", "slab_chunk_max=100"},
                   "-I (item_size_max: 1048576) must be evenly divisible by slab_chunk_max (bytes: "
                   "100)"},
        RejectCase{"chunk_max_above_item",
                   {"-o", "slab_chunk_max=2097152", "-I", "1m"},
                   "slab_chunk_max (bytes: 2097152) cannot be larger than -I (item_size_max "
                   "1048576)"},
        RejectCase{"chunk_max_not_page_divisor",
                   {"-o", "slab_chunk_max=3145728", "-I", "3m"},
                   "slab_chunk_max (bytes: 3145728) must divide evenly into 1048576 "
                   "(slab_page_size)"},
        RejectCase{"chunk_max_tiny",
                   {"-o", "slab_chunk_max=16"},  // ours: memcached accepts
                   "slab_chunk_max (bytes: 16) must be at least 512"},
        RejectCase{"chunk_max_256",
                   {"-o", "slab_chunk_max=256"},  // ours: memcached accepts
                   "slab_chunk_max (bytes: 256) must be at least 512"},
        RejectCase{"slab_classes_unknown",
                   {"-o", "slab_classes=coarse"},
                   "slab_classes must be memcached or fine"},
        RejectCase{
            "automove_range", {"-o", "slab_automove=3"}, "slab_automove must be between 0 and 2"},
        RejectCase{"automove_negative",
                   {"-o", "slab_automove=-1"},
                   "slab_automove must be between 0 and 2"},
        RejectCase{"automove_ratio_missing",
                   {"-o", "slab_automove_ratio"},
                   "Missing slab_automove_ratio argument"},
        RejectCase{"automove_ratio_zero",
                   {"-o", "slab_automove_ratio=0"},
                   "slab_automove_ratio must be > 0 and < 1"},
        RejectCase{"automove_ratio_high",
                   {"-o", "slab_automove_ratio=1.5"},
                   "slab_automove_ratio must be > 0 and < 1"},
        RejectCase{"automove_window_missing",
                   {"-o", "slab_automove_window"},
                   "Missing slab_automove_window argument"},
        RejectCase{"automove_window_low",
                   {"-o", "slab_automove_window=2"},
                   "slab_automove_window must be > 2"},
        RejectCase{"ext_path",
                   {"-o", "ext_path=/mnt/x:1G"},
                   "extstore is not supported by memfleetd (-o ext_path)"},
        RejectCase{"freeratio",
                   {"-o", "slab_automove_freeratio=0.1"},
                   "extstore is not supported by memfleetd (-o slab_automove_freeratio)"},
        RejectCase{"ssl", {"-o", "ssl_key=/k"}, "TLS is not supported by memfleetd (-o ssl_key)"},
        RejectCase{"proxy",
                   {"-o", "proxy_config=/c"},
                   "the proxy is not supported by memfleetd (-o proxy_config)"},
        RejectCase{"sock_cookie",
                   {"-o", "sock_cookie_id=1"},
                   "sock_cookie_id is not supported by memfleetd"},
        RejectCase{"first_error_wins",
                   {"-o", "hashpower=11,foo"},
                   "Initial hashtable multiplier of 11 is too low"}),
    [](const testing::TestParamInfo<RejectCase>& i) { return i.param.name; });

// ---- actions, warnings, state -------------------------------------------------------------------

TEST(CommandLineTest, HelpAndVersionActions) {
  for (const char* a : {"-h", "--help"}) {
    Result<CommandLine> r = Parse({a});
    ASSERT_TRUE(r.ok()) << a;
    EXPECT_EQ(r->action, CommandLine::Action::kHelp) << a;
  }
  for (const char* a : {"-V", "--version"}) {
    Result<CommandLine> r = Parse({a});
    ASSERT_TRUE(r.ok()) << a;
    EXPECT_EQ(r->action, CommandLine::Action::kVersion) << a;
  }
}

TEST(CommandLineTest, HelpStopsParsingWhereItAppears) {
  // memcached exits at -h before it reads what follows, but not before what precedes.
  Result<CommandLine> r = Parse({"-h", "-c", "0"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, CommandLine::Action::kHelp);
  EXPECT_EQ(ParseError({"-c", "0", "-h"}), "Maximum connections must be greater than 0");
  r = Parse({"-V", "-m", "0"});  // the post-parse checks are skipped too
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->action, CommandLine::Action::kVersion);
}

TEST(CommandLineTest, ManyThreadsWarns) {
  Result<CommandLine> r = Parse({"-t", "65"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.num_threads, 65);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("high number of worker threads"), std::string::npos);
  r = Parse({"-t", "64"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->warnings.empty());
}

TEST(CommandLineTest, IgnoredSubOptionsWarn) {
  Result<CommandLine> r = Parse({"-o", "drop_privileges,resp_obj_mem_limit=5"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("drop_privileges"), std::string::npos);
  EXPECT_EQ(r->warnings[1],
            "DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,");
}

TEST(CommandLineTest, RepeatedCallsStartAfresh) {
  EXPECT_EQ(ParseOk({"-p", "1", "-v"}).port, 1);
  // A failure mid-bundle leaves getopt half way through "-qd"; the next call must not resume it.
  EXPECT_FALSE(Parse({"-qd", "-p", "7"}).ok());
  Settings s = ParseOk({"-p", "2"});
  EXPECT_EQ(s.port, 2);
  EXPECT_EQ(s.verbose, 0);
  EXPECT_FALSE(s.daemonize);
  EXPECT_EQ(ParseOk({"-vv"}).verbose, 2);
}

TEST(CommandLineTest, ArgvOverloadLeavesArgvUntouched) {
  const char* argv[] = {"memfleetd", "extra", "-p", "5", nullptr};
  const char* before[] = {argv[0], argv[1], argv[2], argv[3]};
  Result<CommandLine> r = ParseCommandLine(4, argv);
  ASSERT_FALSE(r.ok());  // "extra" is refused, after getopt permuted its own copy
  for (int i = 0; i < 4; ++i) EXPECT_EQ(argv[i], before[i]);
  char prog[] = "memfleetd", p[] = "-p", v[] = "6";
  char* mutable_argv[] = {prog, p, v, nullptr};
  r = ParseCommandLine(3, mutable_argv);  // main's char** converts
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->settings.port, 6);
}

TEST(CommandLineTest, SplitListenEntry) {
  struct Case {
    const char* entry;
    const char* host;
    int port;
  };
  for (const Case& c :
       {Case{"127.0.0.1", "127.0.0.1", -1}, Case{"127.0.0.1:11311", "127.0.0.1", 11311},
        Case{"localhost:0", "localhost", 0}, Case{"::1", "::1", -1},
        Case{"fe80::1:2", "fe80::1:2", -1}, Case{"[::1]", "::1", -1},
        Case{"[::1]:11411", "::1", 11411}, Case{":11511", "", 11511}}) {
    ListenAddress a = SplitListenEntry(c.entry);
    EXPECT_EQ(a.host, c.host) << c.entry;
    EXPECT_EQ(a.port, c.port) << c.entry;
  }
  // Every entry ParseCommandLine keeps splits the same way.
  Settings s = ParseOk({"-l", "[::1]:5,10.1.1.1:6,host"});
  ASSERT_EQ(s.listen.size(), 3u);
  EXPECT_EQ(SplitListenEntry(s.listen[0]).port, 5);
  EXPECT_EQ(SplitListenEntry(s.listen[1]).host, "10.1.1.1");
  EXPECT_EQ(SplitListenEntry(s.listen[2]).port, -1);
}

// ---- usage and version ------------------------------------------------------------------------

TEST(CommandLineTest, VersionText) {
  EXPECT_EQ(VersionText(), "memfleetd 0.1.0 (memcached 1.6.18 compatible)\n");
  EXPECT_EQ(kVersion, "1.6.18");
}

TEST(CommandLineTest, UsageListsEveryFlagAndSubOption) {
  std::string u = UsageText();
  EXPECT_EQ(u.rfind("memfleetd 0.1.0 (memcached 1.6.18 compatible)\n", 0), 0u);
  EXPECT_EQ(u.back(), '\n');
  for (const char* flag : {"-p, --port=",
                           "-U, --udp-port=",
                           "-s, --unix-socket=",
                           "-a, --unix-mask=",
                           "-A, --enable-shutdown",
                           "-l, --listen=",
                           "-d, --daemon",
                           "-r, --enable-coredumps",
                           "-u, --user=",
                           "-m, --memory-limit=",
                           "-M, --disable-evictions",
                           "-c, --conn-limit=",
                           "-k, --lock-memory",
                           "-v, --verbose",
                           "-vv ",
                           "-vvv ",
                           "-h, --help",
                           "-V, --version",
                           "-P, --pidfile=",
                           "-f, --slab-growth-factor=",
                           "-n, --slab-min-size=",
                           "-L, --enable-largepages",
                           "-D <char>",
                           "-t, --threads=",
                           "-R, --max-reqs-per-event",
                           "-C, --disable-cas",
                           "-b, --listen-backlog=",
                           "-B, --protocol=",
                           "-I, --max-item-size=",
                           "-F, --disable-flush-all",
                           "-X, --disable-dumping",
                           "-W  --disable-watch",
                           "-Y, --auth-file=",
                           "-o, --extended"}) {
    EXPECT_NE(u.find(std::string("\n") + flag), std::string::npos) << flag;
  }
  for (const char* key : {"maxconns_fast",
                          "hashpower",
                          "tail_repair_time",
                          "hash_algorithm",
                          "no_lru_crawler",
                          "lru_crawler_sleep",
                          "lru_crawler_tocrawl",
                          "read_buf_mem_limit",
                          "no_lru_maintainer",
                          "hot_lru_pct",
                          "warm_lru_pct",
                          "hot_max_factor",
                          "warm_max_factor",
                          "temporary_ttl",
                          "idle_timeout",
                          "slab_chunk_max",
                          "slab_sizes",
                          "no_chunked_items",
                          "slab_reassign",
                          "slab_automove",
                          "slab_automove_ratio",
                          "slab_automove_window",
                          "watcher_logbuf_size",
                          "worker_logbuf_size",
                          "track_sizes",
                          "no_hashexpand",
                          "modern",
                          "no_modern"}) {
    EXPECT_NE(u.find(std::string("   - ") + key + ":"), std::string::npos) << key;
  }
  // Options memfleetd does not have are not advertised.
  for (const char* absent :
       {"--enable-ssl", "--memory-file", "ext_path", "ssl_", "--license", "--napi"}) {
    EXPECT_EQ(u.find(absent), std::string::npos) << absent;
  }
  // Defaults come from Settings.
  EXPECT_NE(u.find("TCP port to listen on (default: 11211)"), std::string::npos);
  EXPECT_NE(u.find("chunk size growth factor (default: 1.25)"), std::string::npos);
  EXPECT_NE(u.find("(requires lru_maintainer, default pct: 20)"), std::string::npos);
}

// -U and -p together, as memcached 1.6.18 sets them (its t/issue_67.t): -U alone moves the TCP
// port to the UDP port; -1 is an ephemeral port; 0 turns UDP off.
TEST(CommandLineTest, UdpPortAndTheTcpPortItImplies) {
  struct Case {
    Args args;
    int tcp;
    int udp;
  };
  for (const Case& c : std::vector<Case>{
           {{}, 11211, 0},
           {{"-U", "0"}, 11211, 0},
           {{"-U", "11222"}, 11222, 11222},
           {{"-U", "-1"}, -1, -1},
           {{"--udp-port=11223"}, 11223, 11223},
           {{"-p", "11232", "-U", "11233"}, 11232, 11233},
           {{"-U", "11233", "-p", "11232"}, 11232, 11233},
           {{"-p", "11242", "-U", "0"}, 11242, 0},
           {{"-p", "0", "-U", "11252"}, 0, 11252},
           {{"-S", "-U", "0"}, 11211, 0},
           {{"-p", "-1"}, -1, 0},
           {{"-p", "-1", "-U", "11252"}, -1, 11252},
           {{"-p", "11262", "-U", "-1"}, 11262, -1},
       }) {
    Settings s = ParseOk(c.args);
    EXPECT_EQ(s.port, c.tcp) << testing::PrintToString(c.args);
    EXPECT_EQ(s.udp_port, c.udp) << testing::PrintToString(c.args);
  }
}

// -o metrics_port / metrics_host: memfleetd's Prometheus endpoint (no memcached counterpart).
TEST(CommandLineTest, MetricsOptions) {
  Settings d = ParseOk({});
  EXPECT_EQ(d.metrics_port, 0);  // off by default
  EXPECT_TRUE(d.metrics_host.empty());

  Settings s = ParseOk({"-o", "metrics_port=9150"});
  EXPECT_EQ(s.metrics_port, 9150);
  EXPECT_TRUE(s.metrics_host.empty());
  s = ParseOk({"-o", "metrics_port=9150,metrics_host=0.0.0.0"});
  EXPECT_EQ(s.metrics_host, "0.0.0.0");
  s = ParseOk({"-o", "metrics_host=[::1],metrics_port=1"});
  EXPECT_EQ(s.metrics_host, "::1");  // brackets as -l writes them
  EXPECT_EQ(s.metrics_port, 1);

  EXPECT_EQ(ParseError({"-o", "metrics_port"}), "Missing metrics_port argument");
  EXPECT_EQ(ParseError({"-o", "metrics_port=0"}), "metrics_port must be between 1 and 65535");
  EXPECT_EQ(ParseError({"-o", "metrics_port=65536"}), "metrics_port must be between 1 and 65535");
  EXPECT_EQ(ParseError({"-o", "metrics_port=-1"}), "metrics_port must be between 1 and 65535");
  EXPECT_EQ(ParseError({"-o", "metrics_port=http"}), "could not parse argument to metrics_port");
  EXPECT_EQ(ParseError({"-o", "metrics_host"}), "Missing metrics_host argument");
  EXPECT_EQ(ParseError({"-o", "metrics_host="}), "Missing metrics_host argument");
  EXPECT_EQ(ParseError({"-o", "metrics_host=127.0.0.1"}),
            "metrics_host needs metrics_port (-o metrics_port=N,metrics_host=ADDR)");

  std::string u = UsageText();
  EXPECT_NE(u.find("   - metrics_port:"), std::string::npos);
  EXPECT_NE(u.find("   - metrics_host:"), std::string::npos);
}

}  // namespace
}  // namespace memfleet::server
