#include "protocol/text/request.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace memfleet::protocol::text {
namespace {

using namespace std::string_literals;

// A parse of a private copy of the input, so that the request's views stay valid however the
// input was made (tests that look at addresses call ParseRequest directly).
struct Parsed {
  std::unique_ptr<std::string> buf;
  ParseResult result;
  Request req;
};

Parsed Parse(std::string_view input) {
  Parsed p;
  p.buf = std::make_unique<std::string>(input);
  p.result = ParseRequest(*p.buf, &p.req);
  return p;
}

std::string Key(size_t n, char c = 'k') { return std::string(n, c); }

// ---------------------------------------------------------------------------------------------
// Lines memcached refuses. Each row was checked against memcached 1.6.18 by sending the line
// followed by "mn\r\n": the expected reply is `error` + "\r\n" (nothing at all when `noreply`,
// the connection closed for kClose). reference_check.py in this directory re-runs the check.
struct ErrorCase {
  std::string line;
  ParseStatus status;
  std::string error;
  bool noreply;
};

std::vector<ErrorCase> ErrorCases() {
  const std::string bad = "CLIENT_ERROR bad command line format";
  const std::string delta = "CLIENT_ERROR invalid numeric delta argument";
  const std::string exptime = "CLIENT_ERROR invalid exptime argument";
  const std::string usage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
  const ParseStatus e = ParseStatus::kError;
  const ParseStatus close = ParseStatus::kClose;
  return {
      // Empty and too-short lines, unknown commands.
      {"\r\n", e, "ERROR", false},
      {"\n", e, "ERROR", false},
      {"   \r\n", e, "ERROR", false},
      {"x\r\n", e, "ERROR", false},
      {"x y z\r\n", e, "ERROR", false},
      {"foo\r\n", e, "ERROR", false},
      {"GET\r\n", e, "ERROR", false},
      {"STATS\r\n", e, "ERROR", false},
      {"misbehave\r\n", e, "ERROR", false},
      {"debugtime 1\r\n", e, "ERROR", false},
      {"get\ta\r\n", e, "ERROR", false},
      {"foo HTTP\r\n", e, "ERROR", false},
      {"gxx HTTP/1.1\r\n", e, "ERROR", false},
      {"sxyz HTTP/1.1\r\n", e, "ERROR", false},
      {"mx HTTP/1.1\r\n", e, "ERROR", false},
      {"mx\r\n", e, "ERROR", false},
      {"GET / HTTP/1.1\r\n", close, "", false},
      {"HTTP/1.0\r\n", close, "", false},
      {"rxyz HTTP/1.1\r\n", close, "", false},
      {"mxyz HTTP/1.1\r\n", close, "", false},
      {"misbehave HTTP/1.0\r\n", close, "", false},
      // Retrieval.
      {"get\r\n", e, "ERROR", false},
      {"get \r\n", e, "ERROR", false},
      {"gets\r\n", e, "ERROR", false},
      {"gat\r\n", e, "ERROR", false},
      {"get " + Key(251) + "\r\n", e, bad, false},
      {"get a " + Key(251) + " b\r\n", e, bad, false},
      {"gets a b c d e f g h i j k l m n o p q r s t u v w x y z " + Key(251) + "\r\n", e, bad,
       false},
      {"bget " + Key(251) + "\r\n", e, bad, false},
      {"gat abc k\r\n", e, exptime, false},
      {"gat 9223372036854775808 k\r\n", e, exptime, false},
      {"gat x " + Key(251) + "\r\n", e, exptime, false},
      {"gat 1 " + Key(251) + "\r\n", e, bad, false},
      // Storage.
      {"set\r\n", e, "ERROR", false},
      {"set k 0 0\r\n", e, "ERROR", false},
      {"set k 0 0 1 x y\r\n", e, "ERROR", false},
      {"set k 0 0 1 noreply y\r\n", e, "ERROR", false},
      {"add k 0 0\r\n", e, "ERROR", false},
      {"replace k\r\n", e, "ERROR", false},
      {"append k 0\r\n", e, "ERROR", false},
      {"prepend k 0 0 1 2 3\r\n", e, "ERROR", false},
      {"cas k 0 0 1\r\n", e, "ERROR", false},
      {"cas k 0 0 1 2 3 4\r\n", e, "ERROR", false},
      {"set " + Key(251) + " 0 0 1\r\n", e, bad, false},
      {"set " + Key(251) + " x 0 1\r\n", e, bad, false},
      {"set k abc 0 1\r\n", e, bad, false},
      {"set k -1 0 1\r\n", e, bad, false},
      {"set k 5x 0 1\r\n", e, bad, false},
      {"set k 18446744073709551616 0 1\r\n", e, bad, false},
      {"set k 0x10 0 1\r\n", e, bad, false},
      {"set k 0 abc 1\r\n", e, bad, false},
      {"set k 0 -9223372036854775809 1\r\n", e, bad, false},
      {"set k 0 9223372036854775808 1\r\n", e, bad, false},
      {"set k 0 0 abc\r\n", e, bad, false},
      {"set k 0 0 -1\r\n", e, bad, false},
      {"set k 0 0 2147483646\r\n", e, bad, false},
      {"set k 0 0 2147483648\r\n", e, bad, false},
      {"set k 0 0 1.5\r\n", e, bad, false},
      {"set k 0 0 +\r\n", e, bad, false},
      {"set k 0 0 -\r\n", e, bad, false},
      {"add k 0 0 -5\r\n", e, bad, false},
      {"cas k 0 0 1 abc\r\n", e, bad, false},
      {"cas k 0 0 1 -1\r\n", e, bad, false},
      {"cas k 0 0 1 18446744073709551616\r\n", e, bad, false},
      {"set k abc 0 1 noreply\r\n", e, bad, true},
      {"set k 0 0 abc noreply\r\n", e, bad, true},
      {"set k 0 0 noreply\r\n", e, bad, true},
      {"cas k 0 0 1 x noreply\r\n", e, bad, true},
      {"set " + Key(251) + " 0 0 1 noreply\r\n", e, bad, true},
      // incr/decr.
      {"incr\r\n", e, "ERROR", false},
      {"incr k\r\n", e, "ERROR", false},
      {"incr k 1 x y\r\n", e, "ERROR", false},
      {"decr k\r\n", e, "ERROR", false},
      {"incr k abc\r\n", e, delta, false},
      {"incr k -1\r\n", e, delta, false},
      {"decr k -1\r\n", e, delta, false},
      {"incr k 18446744073709551616\r\n", e, delta, false},
      {"incr k 1x\r\n", e, delta, false},
      {"incr k abc noreply\r\n", e, delta, true},
      {"incr " + Key(251) + " 1\r\n", e, bad, false},
      {"incr " + Key(251) + " x\r\n", e, bad, false},
      // delete.
      {"delete\r\n", e, "ERROR", false},
      {"delete a b c d\r\n", e, "ERROR", false},
      {"delete k 1\r\n", e, usage, false},
      {"delete k x\r\n", e, usage, false},
      {"delete k 0 x\r\n", e, usage, false},
      {"delete k x noreply\r\n", e, usage, true},
      {"delete k noreply noreply\r\n", e, usage, true},
      {"delete " + Key(251) + " x\r\n", e, usage, false},
      {"delete " + Key(251) + "\r\n", e, bad, false},
      {"delete " + Key(251) + " 0\r\n", e, bad, false},
      {"delete " + Key(251) + " noreply\r\n", e, bad, true},
      // touch.
      {"touch\r\n", e, "ERROR", false},
      {"touch k\r\n", e, "ERROR", false},
      {"touch k 1 x y\r\n", e, "ERROR", false},
      {"touch k abc\r\n", e, exptime, false},
      {"touch k 9223372036854775808\r\n", e, exptime, false},
      {"touch k abc noreply\r\n", e, exptime, true},
      {"touch " + Key(251) + " x\r\n", e, bad, false},
      // flush_all.
      {"flush_all 1 2 3\r\n", e, "ERROR", false},
      {"flush_all abc\r\n", e, exptime, false},
      {"flush_all 9223372036854775808\r\n", e, exptime, false},
      {"flush_all noreply 5\r\n", e, exptime, false},
      {"flush_all x noreply\r\n", e, exptime, true},
      // verbosity.
      {"verbosity\r\n", e, "ERROR", false},
      {"verbosity 1 2 3\r\n", e, "ERROR", false},
      {"verbosity abc\r\n", e, bad, false},
      {"verbosity -1\r\n", e, bad, false},
      {"verbosity noreply\r\n", e, bad, true},
      // cache_memlimit.
      {"cache_memlimit\r\n", e, "ERROR", false},
      {"cache_memlimit 1 2 3\r\n", e, "ERROR", false},
      {"cache_memlimit abc\r\n", e, "ERROR", false},
      {"cache_memlimit -1\r\n", e, "ERROR", false},
      {"cache_memlimit 0\r\n", e, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m", false},
      {"cache_memlimit 7 noreply\r\n", e, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m",
       true},
      {"cache_memlimit 1000000001\r\n", e,
       "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes", false},
      {"cache_memlimit 4294967296\r\n", e, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m",
       false},
      // Admin commands with a fixed minimum.
      {"lru\r\n", e, "ERROR", false},
      {"extstore\r\n", e, "ERROR", false},
      {"refresh_certs\r\n", e, "Error TLS not enabled", false},
      {"refresh_certs noreply\r\n", e, "Error TLS not enabled", false},
      // Meta commands: the checks made before the flags are looked at.
      {"mg\r\n", e, "ERROR", false},
      {"ms\r\n", e, "ERROR", false},
      {"md\r\n", e, "ERROR", false},
      {"ma\r\n", e, "ERROR", false},
      {"me\r\n", e, bad, false},
      {"mg " + Key(251) + " v\r\n", e, bad, false},
      {"md " + Key(251) + "\r\n", e, bad, false},
      {"ma " + Key(251) + "\r\n", e, bad, false},
      {"me " + Key(251) + "\r\n", e, bad, false},
      {"ms " + Key(251) + " 1\r\n", e, bad, false},
      {"ms k\r\n", e, bad, false},
      {"ms k abc\r\n", e, bad, false},
      {"ms k -1\r\n", e, bad, false},
      {"ms k x noreply\r\n", e, bad, false},
      {"ms k 2147483646\r\n", e, bad, false},
      {"mg k 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n", e,
       "CLIENT_ERROR options flags are too long", false},
      {"md k 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n", e,
       "CLIENT_ERROR options flags too long", false},
      {"ma k 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n", e,
       "CLIENT_ERROR options flags too long", false},
      {"ms k 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\r\n", e,
       "CLIENT_ERROR options flags too long", false},
      {"ms k x 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\r\n", e,
       "CLIENT_ERROR options flags too long", false},
      // More than 23 tokens: memcached only splits 23, so every count check fails.
      {"set k 0 0 1 a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n", e, "ERROR", false},
      {"flush_all a b c d e f g h i j k l m n o p q r s t u v w x y z noreply\r\n", e, "ERROR",
       false},
      // The 23rd token decides the HTTP check, not the last one of the line.
      {"foo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 HTTP/1.1 y z\r\n", close, "",
       false},
      {"foo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 HTTP/1.1\r\n", e,
       "ERROR", false},
  };
}

TEST(ParseRequestErrors, MatchReference) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(testing::PrintToString(c.line));
    Parsed p = Parse(c.line);
    EXPECT_EQ(p.result.status, c.status);
    EXPECT_EQ(p.result.consumed, c.line.size());
    if (c.status == ParseStatus::kError) {
      EXPECT_EQ(p.result.error, c.error);
      EXPECT_EQ(p.req.noreply, c.noreply);
    }
  }
}

TEST(ParseRequestErrors, ErrorThenNextLineParses) {
  // memcached does not read a data block after a refused storage line: it is the next command.
  std::string buf = "set k 0 0 -1\r\nget k\r\n";
  Parsed p = Parse(buf);
  ASSERT_EQ(p.result.status, ParseStatus::kError);
  ASSERT_EQ(p.result.consumed, 14u);
  Parsed q = Parse(std::string_view(buf).substr(p.result.consumed));
  EXPECT_EQ(q.result.status, ParseStatus::kOk);
  EXPECT_EQ(q.req.command, Command::kGet);
}

TEST(ParseRequestErrors, CommandKnownOnError) {
  EXPECT_EQ(Parse("flush_all abc\r\n").req.command, Command::kFlushAll);
  EXPECT_EQ(Parse("incr k x\r\n").req.command, Command::kIncr);
  EXPECT_EQ(Parse("ms k x\r\n").req.command, Command::kMetaSet);
}

// ---------------------------------------------------------------------------------------------
// Lines memcached accepts, with the fields it reads from them.
struct ValidCase {
  std::string line;
  Command command;
  std::string key;
  std::string keys;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint32_t value_length = 0;
  uint64_t cas = 0;
  uint64_t delta = 0;
  int64_t number = 0;
  bool has_number = false;
  bool noreply = false;
  size_t ntokens = 0;
};

std::vector<ValidCase> ValidCases() {
  using C = Command;
  const std::string k250 = Key(250);
  // clang-format off
  return {
      // line, command, key, keys, flags, exptime, value_length, cas, delta, number, has_number,
      // noreply, ntokens
      {"get a\r\n", C::kGet, "a", "a", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a\n", C::kGet, "a", "a", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a b  c\r\n", C::kGet, "a", "a b  c", 0, 0, 0, 0, 0, 0, false, false, 4},
      {"   get   a   \r\n", C::kGet, "a", "a", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a\tb\r\n", C::kGet, "a\tb", "a\tb", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a\r\r\n", C::kGet, "a\r", "a\r", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a\rb\r\n", C::kGet, "a\rb", "a\rb", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get a\0b c\r\n"s, C::kGet, "a", "a", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get " + k250 + "\r\n", C::kGet, k250, k250, 0, 0, 0, 0, 0, 0, false, false, 2},
      {"gets a b\r\n", C::kGets, "a", "a b", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"bget a\r\n", C::kGet, "a", "a", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"get noreply\r\n", C::kGet, "noreply", "noreply", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"gat 10 a b\r\n", C::kGat, "a", "a b", 0, 10, 0, 0, 0, 0, false, false, 4},
      {"gats -1 a\r\n", C::kGats, "a", "a", 0, -1, 0, 0, 0, 0, false, false, 3},
      {"gat +1 a\r\n", C::kGat, "a", "a", 0, 1, 0, 0, 0, 0, false, false, 3},
      {"gat 1\r\n", C::kGat, "", "", 0, 1, 0, 0, 0, 0, false, false, 2},
      {"gats 10\r\n", C::kGats, "", "", 0, 10, 0, 0, 0, 0, false, false, 2},
      {"set k 1 2 3\r\n", C::kSet, "k", "", 1, 2, 3, 0, 0, 0, false, false, 5},
      {"set k 1 2 3 noreply\r\n", C::kSet, "k", "", 1, 2, 3, 0, 0, 0, false, true, 6},
      {"set k 1 2 3 x\r\n", C::kSet, "k", "", 1, 2, 3, 0, 0, 0, false, false, 6},
      {"set k 0 0 0\r\n", C::kSet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 5},
      {"add k 0 0 1\r\n", C::kAdd, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"replace k 0 0 1\r\n", C::kReplace, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"append k 0 0 1\r\n", C::kAppend, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"prepend k 0 0 1\r\n", C::kPrepend, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set " + k250 + " 0 0 1\r\n", C::kSet, k250, "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k +5 +0 +1\r\n", C::kSet, "k", "", 5, 0, 1, 0, 0, 0, false, false, 5},
      {"set k -0 -0 -0\r\n", C::kSet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 5},
      {"set k 5\t 0\tx 1\r\n", C::kSet, "k", "", 5, 0, 1, 0, 0, 0, false, false, 5},
      {"set k \t5 0 1\r\n", C::kSet, "k", "", 5, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 0 0 1\r\r\n", C::kSet, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 4294967295 0 1\r\n", C::kSet, "k", "", 4294967295u, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 4294967296 0 1\r\n", C::kSet, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 18446744073709551615 0 1\r\n", C::kSet, "k", "", 4294967295u, 0, 1, 0, 0, 0, false, false, 5},
      {"set k -18446744073709551615 0 1\r\n", C::kSet, "k", "", 1, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 9223372036854775808 0 1\r\n", C::kSet, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 0 -1 1\r\n", C::kSet, "k", "", 0, -1, 1, 0, 0, 0, false, false, 5},
      {"set k 0 2147483648 1\r\n", C::kSet, "k", "", 0, INT32_MIN, 1, 0, 0, 0, false, false, 5},
      {"set k 0 4294967297 1\r\n", C::kSet, "k", "", 0, 1, 1, 0, 0, 0, false, false, 5},
      {"set k 0 -4294967295 1\r\n", C::kSet, "k", "", 0, 1, 1, 0, 0, 0, false, false, 5},
      {"set k 0 -9223372036854775808 1\r\n", C::kSet, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 0 0 -4294967295\r\n", C::kSet, "k", "", 0, 0, 1, 0, 0, 0, false, false, 5},
      {"set k 0 0 2147483645\r\n", C::kSet, "k", "", 0, 0, 2147483645u, 0, 0, 0, false, false, 5},
      {"cas k 1 2 3 4\r\n", C::kCas, "k", "", 1, 2, 3, 4, 0, 0, false, false, 6},
      {"cas k 1 2 3 4 noreply\r\n", C::kCas, "k", "", 1, 2, 3, 4, 0, 0, false, true, 7},
      {"cas k 0 0 1 18446744073709551615\r\n", C::kCas, "k", "", 0, 0, 1, UINT64_MAX, 0, 0, false, false, 6},
      {"cas k 0 0 1 -18446744073709551615\r\n", C::kCas, "k", "", 0, 0, 1, 1, 0, 0, false, false, 6},
      {"incr k 5\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 5, 0, false, false, 3},
      {"incr k +3\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 3, 0, false, false, 3},
      {"incr k -0\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"incr k 18446744073709551615\r\n", C::kIncr, "k", "", 0, 0, 0, 0, UINT64_MAX, 0, false, false, 3},
      {"incr k -18446744073709551615\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 1, 0, false, false, 3},
      {"incr k 9223372036854775808\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 9223372036854775808u, 0, false, false, 3},
      {"decr k 1 noreply\r\n", C::kDecr, "k", "", 0, 0, 0, 0, 1, 0, false, true, 4},
      {"incr k 1 x\r\n", C::kIncr, "k", "", 0, 0, 0, 0, 1, 0, false, false, 4},
      {"delete k\r\n", C::kDelete, "k", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"delete k 0\r\n", C::kDelete, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"delete k noreply\r\n", C::kDelete, "k", "", 0, 0, 0, 0, 0, 0, false, true, 3},
      {"delete k 0 noreply\r\n", C::kDelete, "k", "", 0, 0, 0, 0, 0, 0, false, true, 4},
      {"delete noreply\r\n", C::kDelete, "noreply", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"touch k 10\r\n", C::kTouch, "k", "", 0, 10, 0, 0, 0, 0, false, false, 3},
      {"touch k -9223372036854775808\r\n", C::kTouch, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"touch k 1 noreply\r\n", C::kTouch, "k", "", 0, 1, 0, 0, 0, 0, false, true, 4},
      {"touch k 1 x\r\n", C::kTouch, "k", "", 0, 1, 0, 0, 0, 0, false, false, 4},
      {"flush_all\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"flush_all 10\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 10, true, false, 2},
      {"flush_all -1\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, -1, true, false, 2},
      {"flush_all 4294967296\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 0, true, false, 2},
      {"flush_all noreply\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 0, false, true, 2},
      {"flush_all 0 noreply\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 0, true, true, 3},
      {"flush_all 10 x\r\n", C::kFlushAll, "", "", 0, 0, 0, 0, 0, 10, true, false, 3},
      {"verbosity 1\r\n", C::kVerbosity, "", "", 0, 0, 0, 0, 0, 1, true, false, 2},
      {"verbosity 1 2\r\n", C::kVerbosity, "", "", 0, 0, 0, 0, 0, 1, true, false, 3},
      {"verbosity 1 noreply\r\n", C::kVerbosity, "", "", 0, 0, 0, 0, 0, 1, true, true, 3},
      {"verbosity 4294967296\r\n", C::kVerbosity, "", "", 0, 0, 0, 0, 0, 0, true, false, 2},
      {"cache_memlimit 8\r\n", C::kCacheMemlimit, "", "", 0, 0, 0, 0, 0, 8, true, false, 2},
      {"cache_memlimit 100 noreply\r\n", C::kCacheMemlimit, "", "", 0, 0, 0, 0, 0, 100, true, true, 3},
      {"cache_memlimit 100 x\r\n", C::kCacheMemlimit, "", "", 0, 0, 0, 0, 0, 100, true, false, 3},
      {"cache_memlimit 4294967304\r\n", C::kCacheMemlimit, "", "", 0, 0, 0, 0, 0, 8, true, false, 2},
      {"cache_memlimit 1000000000\r\n", C::kCacheMemlimit, "", "", 0, 0, 0, 0, 0, 1000000000, true, false, 2},
      {"version\r\n", C::kVersion, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"version foo bar\r\n", C::kVersion, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"quit\r\n", C::kQuit, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"quit x y\r\n", C::kQuit, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"shutdown\r\n", C::kShutdown, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"shutdown graceful\r\n", C::kShutdown, "", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"stats\r\n", C::kStats, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"stats detail on\r\n", C::kStats, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"stats noreply\r\n", C::kStats, "", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"slabs reassign 1 2\r\n", C::kSlabs, "", "", 0, 0, 0, 0, 0, 0, false, false, 4},
      {"slabs automove 1 noreply\r\n", C::kSlabs, "", "", 0, 0, 0, 0, 0, 0, false, true, 4},
      {"slabs reassign 1 noreply\r\n", C::kSlabs, "", "", 0, 0, 0, 0, 0, 0, false, false, 4},
      {"slabs\r\n", C::kSlabs, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"lru_crawler crawl all\r\n", C::kLruCrawler, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"lru_crawler\r\n", C::kLruCrawler, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"lru mode flat noreply\r\n", C::kLru, "", "", 0, 0, 0, 0, 0, 0, false, true, 4},
      {"lru x\r\n", C::kLru, "", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"watch\r\n", C::kWatch, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"watch fetchers mutations\r\n", C::kWatch, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"watch noreply\r\n", C::kWatch, "", "", 0, 0, 0, 0, 0, 0, false, true, 2},
      {"extstore item_size 5\r\n", C::kExtstore, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"extstore item_size 5 noreply\r\n", C::kExtstore, "", "", 0, 0, 0, 0, 0, 0, false, true, 4},
      {"mg k v\r\n", C::kMetaGet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"mg k\r\n", C::kMetaGet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"mg k 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\r\n", C::kMetaGet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 19},
      {"ms k 2 T0 F5\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 5},
      {"ms k +2\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 3},
      {"ms k -0\r\n", C::kMetaSet, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"ms k 2\tx\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 3},
      {"ms k 2 q\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 4},
      {"ms k 2 Zz\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 4},
      {"ms k 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\r\n", C::kMetaSet, "k", "", 0, 0, 2, 0, 0, 0, false, false, 19},
      {"md k q\r\n", C::kMetaDelete, "k", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"ma k MD D5\r\n", C::kMetaArithmetic, "k", "", 0, 0, 0, 0, 0, 0, false, false, 4},
      {"mn\r\n", C::kMetaNoop, "", "", 0, 0, 0, 0, 0, 0, false, false, 1},
      {"mn foo bar\r\n", C::kMetaNoop, "", "", 0, 0, 0, 0, 0, 0, false, false, 3},
      {"me k\r\n", C::kMetaDebug, "k", "", 0, 0, 0, 0, 0, 0, false, false, 2},
      {"me k 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\r\n", C::kMetaDebug, "k", "", 0, 0, 0, 0, 0, 0, false, false, 22},
  };
  // clang-format on
}

void ExpectFields(const Parsed& p, const ValidCase& c) {
  ASSERT_EQ(p.result.status, ParseStatus::kOk) << p.result.error;
  EXPECT_EQ(p.result.consumed, c.line.size());
  EXPECT_EQ(p.req.command, c.command);
  EXPECT_EQ(p.req.key, c.key);
  EXPECT_EQ(p.req.keys, c.keys);
  EXPECT_EQ(p.req.client_flags, c.flags);
  EXPECT_EQ(p.req.exptime, c.exptime);
  EXPECT_EQ(p.req.value_length, c.value_length);
  EXPECT_EQ(p.req.cas, c.cas);
  EXPECT_EQ(p.req.delta, c.delta);
  EXPECT_EQ(p.req.number, c.number);
  EXPECT_EQ(p.req.has_number, c.has_number);
  EXPECT_EQ(p.req.noreply, c.noreply);
  EXPECT_EQ(p.req.ntokens, c.ntokens);
  EXPECT_TRUE(p.req.rest.empty());
}

TEST(ParseRequestValid, Fields) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(testing::PrintToString(c.line));
    ExpectFields(Parse(c.line), c);
  }
}

TEST(ParseRequestValid, TokensPointIntoBuffer) {
  std::string buf = "set  mykey 7 8 9   noreply\r\n";
  Parsed p;
  p.result = ParseRequest(buf, &p.req);
  ASSERT_EQ(p.result.status, ParseStatus::kOk);
  ASSERT_EQ(p.req.ntokens, 6u);
  const char* expected[] = {"set", "mykey", "7", "8", "9", "noreply"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(p.req.tokens[i], expected[i]);
    EXPECT_GE(p.req.tokens[i].data(), buf.data());
    EXPECT_LE(p.req.tokens[i].data() + p.req.tokens[i].size(), buf.data() + buf.size());
  }
  EXPECT_EQ(p.req.key.data(), buf.data() + 5);
}

// Every valid request, split at every byte: a prefix is "need more bytes", the whole line gives
// exactly the same request as when it arrives in one piece, even with more bytes behind it.
TEST(ParseRequestValid, EverySplitIsIncomplete) {
  for (const ValidCase& c : ValidCases()) {
    SCOPED_TRACE(testing::PrintToString(c.line));
    for (size_t cut = 0; cut < c.line.size(); ++cut) {
      Parsed p = Parse(std::string_view(c.line).substr(0, cut));
      ASSERT_EQ(p.result.status, ParseStatus::kIncomplete) << "cut at " << cut;
      ASSERT_EQ(p.result.consumed, 0u);
    }
    ExpectFields(Parse(c.line), c);
    ExpectFields(Parse(c.line + "get trailing\r\n"), c);
    ExpectFields(Parse(c.line + "partial"), c);
  }
}

TEST(ParseRequestErrors, EverySplitIsIncomplete) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(testing::PrintToString(c.line));
    for (size_t cut = 0; cut < c.line.size(); ++cut) {
      ASSERT_EQ(Parse(std::string_view(c.line).substr(0, cut)).result.status,
                ParseStatus::kIncomplete);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lines without a newline.
TEST(ParseRequestLong, ShortPartialLineIsIncomplete) {
  EXPECT_EQ(Parse("").result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse(Key(kMaxLineWithoutNewline, 'x')).result.status, ParseStatus::kIncomplete);
}

TEST(ParseRequestLong, LongJunkCloses) {
  Parsed p = Parse(Key(kMaxLineWithoutNewline + 1, 'x'));
  EXPECT_EQ(p.result.status, ParseStatus::kClose);
  EXPECT_EQ(Parse("set k 0 0 1 " + Key(3000)).result.status, ParseStatus::kClose);
  EXPECT_EQ(Parse("gat 1 " + Key(3000)).result.status, ParseStatus::kClose);
  EXPECT_EQ(Parse("get\t" + Key(3000)).result.status, ParseStatus::kClose);
  EXPECT_EQ(Parse("getx " + Key(3000)).result.status, ParseStatus::kClose);
  EXPECT_EQ(Parse(Key(3000, ' ')).result.status, ParseStatus::kClose);
}

TEST(ParseRequestLong, LongGetKeepsReading) {
  EXPECT_EQ(Parse("get " + Key(3000)).result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse("gets " + Key(3000)).result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse(Key(100, ' ') + "get " + Key(3000)).result.status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse(Key(101, ' ') + "get " + Key(3000)).result.status, ParseStatus::kClose);
}

TEST(ParseRequestLong, LongLineWithNewlineParses) {
  // A newline anywhere in the buffer means a complete line, however long.
  Parsed p = Parse(Key(3000, 'x') + "\r\n");
  EXPECT_EQ(p.result.status, ParseStatus::kError);
  EXPECT_EQ(p.result.error, "ERROR");
}

TEST(ParseRequestLong, HugeMultiget) {
  std::string line = "get";
  for (int i = 0; i < 10000; ++i) line += " key" + std::to_string(i);
  line += "\r\n";
  Parsed p = Parse(line);
  ASSERT_EQ(p.result.status, ParseStatus::kOk);
  EXPECT_EQ(p.req.ntokens, kMaxTokens - 1);
  EXPECT_FALSE(p.req.rest.empty());
  KeyIterator it(p.req.keys);
  std::string_view key;
  int n = 0;
  while (it.Next(&key)) {
    ASSERT_EQ(key, "key" + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(n, 10000);
}

TEST(ParseRequestTokens, SplitsAtMost23) {
  std::string line = "stats";
  for (int i = 1; i < 30; ++i) line += " t" + std::to_string(i);
  Parsed p = Parse(line + "\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kOk);
  EXPECT_EQ(p.req.ntokens, 23u);
  EXPECT_EQ(p.req.tokens[22], "t22");
  EXPECT_EQ(p.req.rest, "t23 t24 t25 t26 t27 t28 t29");
}

TEST(ParseRequestTokens, Exactly23HasNoRest) {
  std::string line = "stats";
  for (int i = 1; i < 23; ++i) line += " t" + std::to_string(i);
  Parsed p = Parse(line + "\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::kOk);
  EXPECT_EQ(p.req.ntokens, 23u);
  EXPECT_TRUE(p.req.rest.empty());
}

TEST(ParseRequestTokens, GetBeyond23ChecksEveryKey) {
  std::string line = "get";
  for (int i = 0; i < 40; ++i) line += " k" + std::to_string(i);
  EXPECT_EQ(Parse(line + "\r\n").result.status, ParseStatus::kOk);
  EXPECT_EQ(Parse(line + " " + Key(251) + "\r\n").result.error,
            "CLIENT_ERROR bad command line format");
}

// ---------------------------------------------------------------------------------------------
// Pipelines: many requests in one buffer, consumed the way a connection does.
TEST(ParseRequestPipeline, ManyRequestsInOneBuffer) {
  std::string buf;
  std::vector<Command> expected;
  for (int i = 0; i < 200; ++i) {
    const std::string k = "key" + std::to_string(i);
    switch (i % 6) {
      case 0:
        buf += "set " + k + " 0 0 5\r\nhello\r\n";
        expected.push_back(Command::kSet);
        break;
      case 1:
        buf += "get " + k + " other\r\n";
        expected.push_back(Command::kGet);
        break;
      case 2:
        buf += "incr " + k + " 7 noreply\n";
        expected.push_back(Command::kIncr);
        break;
      case 3:
        buf += "bogus line\r\n";
        expected.push_back(Command::kGet);  // kError: command untouched
        break;
      case 4:
        buf += "ms " + k + " 3 T0\r\nabc\r\n";
        expected.push_back(Command::kMetaSet);
        break;
      case 5:
        buf += "delete " + k + "\r\n";
        expected.push_back(Command::kDelete);
        break;
    }
  }
  buf += "get unfinished";
  std::string_view rest = buf;
  size_t n = 0;
  while (true) {
    Request req;
    ParseResult r = ParseRequest(rest, &req);
    if (r.status == ParseStatus::kIncomplete) break;
    ASSERT_LT(n, expected.size());
    EXPECT_EQ(req.command, expected[n]) << n;
    EXPECT_EQ(r.status, n % 6 == 3 ? ParseStatus::kError : ParseStatus::kOk) << n;
    rest.remove_prefix(r.consumed);
    if (r.status == ParseStatus::kOk &&
        (req.command == Command::kSet || req.command == Command::kMetaSet)) {
      ASSERT_GE(rest.size(), req.value_length + 2u);
      rest.remove_prefix(req.value_length + 2u);
    }
    ++n;
  }
  EXPECT_EQ(n, expected.size());
  EXPECT_EQ(rest, "get unfinished");
}

// A connection that receives the pipeline one byte at a time sees the same requests.
TEST(ParseRequestPipeline, ByteAtATime) {
  const std::string stream =
      "get a b\r\nset k 1 2 3\r\nabc\r\ndelete k noreply\r\ngat 5 x\nversion\r\n";
  const Command expected[] = {Command::kGet, Command::kSet, Command::kDelete, Command::kGat,
                              Command::kVersion};
  size_t start = 0;
  size_t n = 0;
  for (size_t end = 1; end <= stream.size(); ++end) {
    Request req;
    ParseResult r = ParseRequest(std::string_view(stream).substr(start, end - start), &req);
    if (r.status == ParseStatus::kIncomplete) continue;
    ASSERT_EQ(r.status, ParseStatus::kOk);
    ASSERT_LT(n, std::size(expected));
    EXPECT_EQ(req.command, expected[n++]);
    start += r.consumed;
    if (req.command == Command::kSet) start += req.value_length + 2;
    end = start;
  }
  EXPECT_EQ(n, std::size(expected));
}

// ---------------------------------------------------------------------------------------------
// Not a test: prints both tables for reference_check.py, which replays them against memcached.
std::string Hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out.empty() ? "-" : out;
}

TEST(ParseRequestTables, DISABLED_Dump) {
  for (const ErrorCase& c : ErrorCases()) {
    std::printf("error %s %d %s %d\n", Hex(c.line).c_str(), static_cast<int>(c.status),
                Hex(c.error).c_str(), c.noreply ? 1 : 0);
  }
  for (const ValidCase& c : ValidCases()) {
    std::printf("valid %s %u\n", Hex(c.line).c_str(), c.value_length);
  }
}

// ---------------------------------------------------------------------------------------------
TEST(KeyIterator, WalksKeys) {
  KeyIterator it("a  bb ccc ");
  std::string_view key;
  ASSERT_TRUE(it.Next(&key));
  EXPECT_EQ(key, "a");
  ASSERT_TRUE(it.Next(&key));
  EXPECT_EQ(key, "bb");
  ASSERT_TRUE(it.Next(&key));
  EXPECT_EQ(key, "ccc");
  EXPECT_FALSE(it.Next(&key));
  EXPECT_FALSE(it.Next(&key));
}

TEST(KeyIterator, Empty) {
  std::string_view key;
  KeyIterator empty("");
  EXPECT_FALSE(empty.Next(&key));
  KeyIterator spaces("   ");
  EXPECT_FALSE(spaces.Next(&key));
}

TEST(KeyIterator, TabsArePartOfKeys) {
  KeyIterator it("a\tb c");
  std::string_view key;
  ASSERT_TRUE(it.Next(&key));
  EXPECT_EQ(key, "a\tb");
  ASSERT_TRUE(it.Next(&key));
  EXPECT_EQ(key, "c");
  EXPECT_FALSE(it.Next(&key));
}

TEST(KeyIterator, FromParsedGet) {
  std::string buf = "gets  one two   three\r\n";
  Parsed p;
  p.result = ParseRequest(buf, &p.req);
  ASSERT_EQ(p.result.status, ParseStatus::kOk);
  KeyIterator it(p.req.keys);
  std::vector<std::string_view> keys;
  std::string_view key;
  while (it.Next(&key)) keys.push_back(key);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(p.req.key_count, 3u);  // counted by the parser, for the router's multi-get split
  EXPECT_EQ(keys[0], "one");
  EXPECT_EQ(keys[2], "three");
  EXPECT_EQ(keys[2].data(), buf.data() + 16);
}

}  // namespace
}  // namespace memfleet::protocol::text
