// Tests of the text protocol's client half: request and reply round trips over random fields
// (parsed whole and split at every byte), and replies captured from memcached 1.6.18
// (testdata/captured_replies.inc, made by testdata/capture.py) parsed into the expected neutral
// results and composed back byte for byte.
#include "protocol/text/client.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/text/client_test_util.h"
#include "protocol/text/request.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text {
namespace {

using testing_util::Elem;
using testing_util::ParseEverySplit;
using testing_util::ToElem;

using protocol::ErrorDetail;
using protocol::Op;
using protocol::ReplyParse;
using protocol::ReplyPart;
using protocol::ReplyStatus;
using protocol::Result;
using protocol::ResultCode;

// ---- random fields ----

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}

  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  uint64_t U64() { return rng_(); }
  bool Coin() { return Uniform(0, 1) == 1; }

  // 1..250 bytes of legal key characters (no space, no control bytes), mostly short.
  std::string Key() {
    const size_t length = Coin() ? Uniform(1, 16) : Uniform(1, kKeyMaxLength);
    std::string key(length, 'k');
    for (char& c : key) {
      const uint64_t b = Uniform(0, 94 + 127);
      c = static_cast<char>(b < 94 ? 0x21 + b : 0x80 + (b - 94));
    }
    return key;
  }

  // 0..64 KiB of arbitrary bytes, "\r\n" and "END\r\n" planted inside; mostly small.
  std::string Value() {
    const uint64_t kind = Uniform(0, 19);
    const size_t length = kind < 12   ? Uniform(0, 100)
                          : kind < 19 ? Uniform(0, 4096)
                                      : Uniform(0, 64 * 1024);
    std::string value(length, '\0');
    for (char& c : value) c = static_cast<char>(Uniform(0, 255));
    if (length >= 7) {
      value.replace(Uniform(0, length - 2), 2, "\r\n");
      value.replace(Uniform(0, length - 5), 5, "END\r\n");
    }
    return value;
  }

  // Printable text without "\r\n" (stat values, versions).
  std::string Text(size_t max) {
    std::string text(Uniform(0, max), 'x');
    for (char& c : text) c = static_cast<char>(Uniform(0x20, 0x7e));
    return text;
  }

  // Exptimes as text carries them: 32-bit signed.
  int64_t Exptime() {
    switch (Uniform(0, 3)) {
      case 0:
        return 0;
      case 1:
        return -1;
      case 2:
        return static_cast<int64_t>(Uniform(0, 60 * 60 * 24 * 30 * 2));
      default:
        return static_cast<int32_t>(static_cast<uint32_t>(U64()));
    }
  }

  uint64_t Number() {
    switch (Uniform(0, 2)) {
      case 0:
        return Uniform(0, 100);
      case 1:
        return UINT64_MAX - Uniform(0, 3);
      default:
        return U64();
    }
  }

 private:
  std::mt19937_64 rng_;
};

constexpr Op kTextOps[] = {Op::kGet,     Op::kGets,      Op::kGat,    Op::kGats,    Op::kSet,
                           Op::kAdd,     Op::kReplace,   Op::kAppend, Op::kPrepend, Op::kCas,
                           Op::kIncr,    Op::kDecr,      Op::kDelete, Op::kTouch,   Op::kFlushAll,
                           Op::kVersion, Op::kVerbosity, Op::kStats,  Op::kQuit};

bool HonoursNoreply(Op op) {
  return protocol::IsStorage(op) || op == Op::kIncr || op == Op::kDecr || op == Op::kDelete ||
         op == Op::kTouch || op == Op::kFlushAll || op == Op::kVerbosity;
}

// A random neutral request of `op` that text can express exactly. The strings live in *store.
protocol::Request RandomRequest(Random& rnd, Op op, std::vector<std::string>* store) {
  store->clear();
  store->reserve(8);
  protocol::Request req;
  req.op = op;
  if (protocol::IsRetrieval(op)) {
    const size_t n = rnd.Uniform(1, 5);
    std::string keys;
    for (size_t i = 0; i < n; ++i) {
      store->push_back(rnd.Key());
      if (i > 0) keys += ' ';
      keys += store->back();
    }
    req.key = (*store)[0];
    if (n > 1 || rnd.Coin()) {
      store->push_back(keys);
      req.keys = store->back();
    }
    if (op == Op::kGat || op == Op::kGats) req.exptime = rnd.Exptime();
    return req;
  }
  if (protocol::HasKey(op)) {
    store->push_back(rnd.Key());
    req.key = store->back();
  }
  if (protocol::IsStorage(op)) {
    store->push_back(rnd.Value());
    req.value = store->back();
    req.value_length = static_cast<uint32_t>(req.value.size());
    req.client_flags = static_cast<uint32_t>(rnd.Number());
    req.exptime = rnd.Exptime();
    if (op == Op::kCas) req.cas = rnd.Number();
  }
  if (op == Op::kIncr || op == Op::kDecr) req.delta = rnd.Number();
  if (op == Op::kTouch) req.exptime = rnd.Exptime();
  if (op == Op::kFlushAll && rnd.Coin()) {
    req.has_number = true;
    req.exptime = static_cast<int64_t>(rnd.Uniform(0, INT32_MAX));
  }
  if (op == Op::kVerbosity) {
    store->push_back(std::to_string(rnd.Uniform(0, UINT32_MAX)));
    req.args = store->back();
  }
  if (op == Op::kStats) {
    static constexpr std::string_view kArgs[] = {"",      "settings",    "items",
                                                 "slabs", "detail dump", "cachedump 1 10"};
    req.args = kArgs[rnd.Uniform(0, std::size(kArgs) - 1)];
  }
  if (HonoursNoreply(op)) req.noreply = rnd.Coin();
  return req;
}

void ExpectSameRequest(const protocol::Request& got, const protocol::Request& want) {
  EXPECT_EQ(got.op, want.op);
  EXPECT_EQ(got.protocol, protocol::Protocol::kText);
  EXPECT_EQ(got.key, want.key);
  if (protocol::IsRetrieval(want.op)) {
    EXPECT_EQ(got.keys, want.keys.empty() ? want.key : want.keys);
  }
  EXPECT_EQ(got.client_flags, want.client_flags);
  EXPECT_EQ(got.exptime, want.exptime);
  EXPECT_EQ(got.cas, want.cas);
  if (want.op == Op::kIncr || want.op == Op::kDecr) {
    EXPECT_EQ(got.delta, want.delta);
  }
  EXPECT_EQ(got.value_length, want.value_length);
  EXPECT_TRUE(got.value.empty());
  EXPECT_EQ(got.args, want.args);
  EXPECT_EQ(got.has_number, want.has_number);
  EXPECT_EQ(got.noreply, want.noreply);
}

TEST(TextClientRequest, RoundTripsThroughTheServerParserAtEverySplit) {
  Random rnd(20261202);
  std::vector<std::string> store;
  for (int iteration = 0; iteration < 600; ++iteration) {
    const Op op = kTextOps[iteration % std::size(kTextOps)];
    const protocol::Request want = RandomRequest(rnd, op, &store);
    ASSERT_TRUE(CanCompose(want));
    std::string head;
    ComposeRequestHead(want, &head);
    std::string wire;
    ComposeRequest(want, &wire);
    ASSERT_TRUE(wire.starts_with(head));
    SCOPED_TRACE(testing::Message()
                 << "iteration " << iteration << " " << OpName(op) << " " << head.substr(0, 80));

    Request parsed;
    const ParseResult whole = ParseRequest(wire, &parsed);
    ASSERT_EQ(whole.status, ParseStatus::kOk) << whole.error;
    ASSERT_EQ(whole.consumed, head.size());
    protocol::Request got;
    ASSERT_TRUE(ToNeutral(parsed, &got));
    ExpectSameRequest(got, want);
    if (protocol::IsStorage(op)) {
      EXPECT_EQ(wire.substr(head.size()), std::string(want.value) + "\r\n");
    } else {
      EXPECT_EQ(wire, head);
    }
    // Every prefix: incomplete until the line is whole, then the same request.
    for (size_t split = 0; split <= head.size(); ++split) {
      Request part;
      const ParseResult r = ParseRequest(std::string_view(wire).substr(0, split), &part);
      if (split < head.size()) {
        ASSERT_EQ(r.status, ParseStatus::kIncomplete) << "split " << split;
        ASSERT_EQ(r.consumed, 0u);
      } else {
        ASSERT_EQ(r.status, ParseStatus::kOk);
        protocol::Request again;
        ASSERT_TRUE(ToNeutral(part, &again));
        ExpectSameRequest(again, want);
      }
    }
  }
}

TEST(TextClientRequest, ComposesTheClosestTextCommandForWhatTextCannotSay) {
  struct Case {
    protocol::Request req;
    std::string_view want;
  };
  protocol::Request set_with_cas;
  set_with_cas.op = Op::kSet;
  set_with_cas.key = "k";
  set_with_cas.value = "v";
  set_with_cas.cas = 77;
  protocol::Request add_with_cas = set_with_cas;
  add_with_cas.op = Op::kAdd;
  protocol::Request incr_create;
  incr_create.op = Op::kIncr;
  incr_create.key = "n";
  incr_create.delta = 5;
  incr_create.create = true;
  incr_create.initial = 10;
  protocol::Request noop;
  noop.op = Op::kNoop;
  protocol::Request debug;
  debug.op = Op::kMetaDebug;
  debug.key = "k";
  protocol::Request verbosity;
  verbosity.op = Op::kVerbosity;
  protocol::Request streamed;  // value not held: value_length says how long the block is
  streamed.op = Op::kAppend;
  streamed.key = "k";
  streamed.value_length = 123456;
  const Case cases[] = {
      {set_with_cas, "cas k 0 0 1 77\r\nv\r\n"},
      {add_with_cas, "add k 0 0 1\r\nv\r\n"},
      {incr_create, "incr n 5\r\n"},
      {noop, "mn\r\n"},
      {debug, "me k\r\n"},
      {verbosity, "verbosity 1\r\n"},
      {streamed, "append k 0 0 123456\r\n\r\n"},
  };
  for (const Case& c : cases) {
    std::string wire;
    ComposeRequest(c.req, &wire);
    EXPECT_EQ(wire, c.want);
  }
  std::string head;
  ComposeRequestHead(streamed, &head);
  EXPECT_EQ(head, "append k 0 0 123456\r\n");
}

TEST(TextClientRequest, CanComposeOnlyKeysTextCanCarry) {
  protocol::Request req;
  req.op = Op::kSet;
  const std::string long_key(kKeyMaxLength, 'k');
  const std::string too_long(kKeyMaxLength + 1, 'k');
  struct Case {
    std::string_view key;
    bool ok;
  };
  const Case cases[] = {
      {"k", true},     {long_key, true},  {"\x80\xff", true},
      {"", false},     {too_long, false}, {"a b", false},
      {"a\rb", false}, {"a\n", false},    {std::string_view("a\0b", 3), false},
  };
  for (const Case& c : cases) {
    req.key = c.key;
    EXPECT_EQ(CanCompose(req), c.ok) << testing::PrintToString(c.key);
  }
  protocol::Request get;
  get.op = Op::kGet;
  get.key = "a";
  get.keys = "a  b";
  EXPECT_TRUE(CanCompose(get));
  const std::string with_long = "a " + too_long;
  get.keys = with_long;
  EXPECT_FALSE(CanCompose(get));
  get.keys = "a b\r\nset x 0 0 1";
  EXPECT_FALSE(CanCompose(get));
  protocol::Request version;
  version.op = Op::kVersion;
  EXPECT_TRUE(CanCompose(version));
}

TEST(TextClientRequest, ToNeutralMapsArgumentsAndRefusesOperatorCommands) {
  struct Case {
    std::string_view line;
    bool neutral;
    Op op;
    std::string_view args;
  };
  const Case cases[] = {
      {"stats\r\n", true, Op::kStats, ""},
      {"stats detail dump  \r\n", true, Op::kStats, "detail dump"},
      {"stats cachedump 1 10\r\n", true, Op::kStats, "cachedump 1 10"},
      {"verbosity 3 noreply\r\n", true, Op::kVerbosity, "3"},
      {"bget a b\r\n", true, Op::kGet, ""},
      {"quit\r\n", true, Op::kQuit, ""},
      {"slabs reassign 1 2\r\n", false, Op::kGet, ""},
      {"lru mode flat\r\n", false, Op::kGet, ""},
      {"watch\r\n", false, Op::kGet, ""},
      {"lru_crawler crawl all\r\n", false, Op::kGet, ""},
      {"shutdown\r\n", false, Op::kGet, ""},
      {"cache_memlimit 100\r\n", false, Op::kGet, ""},
      {"mg foo v\r\n", false, Op::kGet, ""},
      {"mn\r\n", false, Op::kGet, ""},
  };
  for (const Case& c : cases) {
    Request parsed;
    ASSERT_EQ(ParseRequest(c.line, &parsed).status, ParseStatus::kOk) << c.line;
    protocol::Request out;
    ASSERT_EQ(ToNeutral(parsed, &out), c.neutral) << c.line;
    if (!c.neutral) continue;
    EXPECT_EQ(out.op, c.op) << c.line;
    EXPECT_EQ(out.args, c.args) << c.line;
  }
  Request parsed;
  ASSERT_EQ(ParseRequest("flush_all 30 noreply\r\n", &parsed).status, ParseStatus::kOk);
  protocol::Request out;
  ASSERT_TRUE(ToNeutral(parsed, &out));
  EXPECT_EQ(out.op, Op::kFlushAll);
  EXPECT_TRUE(out.has_number);
  EXPECT_EQ(out.exptime, 30);
  EXPECT_TRUE(out.noreply);
  ASSERT_EQ(ParseRequest("get a  b c\r\n", &parsed).status, ParseStatus::kOk);
  ASSERT_TRUE(ToNeutral(parsed, &out));
  EXPECT_EQ(out.key, "a");
  EXPECT_EQ(out.keys, "a  b c");
}

// ---- replies: compose, then parse whole and at every split ----

Elem ValueElem(std::string_view key, const Result& r, bool with_cas) {
  Elem e = ToElem(ReplyPart::kValue, r, r.value);
  e.code = ResultCode::kFound;
  e.key = std::string(key);
  e.has_value = true;
  e.has_flags = true;
  e.has_cas = with_cas;
  e.cas = with_cas ? r.cas : 0;
  e.message.clear();
  e.text.clear();
  e.has_number = false;
  e.number = 0;
  return e;
}

Elem CodeElem(ReplyPart part, ResultCode code) {
  Elem e;
  e.part = part;
  e.code = code;
  return e;
}

TEST(TextClientReply, RetrievalRepliesRoundTripAtEverySplit) {
  Random rnd(4242);
  for (int iteration = 0; iteration < 80; ++iteration) {
    const Op op = kTextOps[iteration % 4];  // get, gets, gat, gats
    const bool with_cas = op == Op::kGets || op == Op::kGats;
    const size_t n = rnd.Uniform(0, 3);
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(rnd.Key());
      values.push_back(rnd.Value());
    }
    std::string wire;
    std::string spliced;
    std::vector<Elem> want;
    for (size_t i = 0; i < n; ++i) {
      Result r;
      r.code = ResultCode::kFound;
      r.has_value = true;
      r.value = values[i];
      r.value_length = static_cast<uint32_t>(values[i].size());
      r.client_flags = static_cast<uint32_t>(rnd.Number());
      r.cas = rnd.Number();
      ComposeValue(keys[i], r, with_cas, &wire);
      ComposeValueHead(keys[i], r, with_cas, &spliced);
      spliced += values[i];
      spliced += "\r\n";
      want.push_back(ValueElem(keys[i], r, with_cas));
    }
    ComposeEnd(&wire);
    ComposeEnd(&spliced);
    want.push_back(CodeElem(ReplyPart::kEnd, ResultCode::kOk));
    EXPECT_EQ(wire, spliced);
    SCOPED_TRACE(testing::Message() << "iteration " << iteration << " " << OpName(op));
    EXPECT_EQ(ParseEverySplit(wire, op), want);
    if (HasFailure()) return;
    if (n == 1) {
      // A single-key retrieval composed in one call is the same bytes.
      protocol::Request req;
      req.op = op;
      req.key = keys[0];
      Result r;
      r.code = ResultCode::kFound;
      r.has_value = true;
      r.value = values[0];
      r.client_flags = want[0].flags;
      r.cas = want[0].cas;
      std::string one;
      ComposeReply(req, r, &one);
      EXPECT_EQ(one, wire);
    }
  }
}

TEST(TextClientReply, StatsRepliesRoundTripAtEverySplit) {
  Random rnd(777);
  for (int iteration = 0; iteration < 40; ++iteration) {
    std::vector<std::string> texts;
    std::string wire;
    std::vector<Elem> want;
    const size_t n = rnd.Uniform(0, 30);
    for (size_t i = 0; i < n; ++i) {
      texts.push_back("stat_" + std::to_string(i) + ":x " + rnd.Text(40));
    }
    for (const std::string& text : texts) {
      Result r;
      r.text = text;
      ComposeStat(r, &wire);
      Elem e = CodeElem(ReplyPart::kStat, ResultCode::kOk);
      e.text = text;
      want.push_back(e);
    }
    protocol::Request req;
    req.op = Op::kStats;
    ComposeReply(req, Result{}, &wire);
    want.push_back(CodeElem(ReplyPart::kEnd, ResultCode::kOk));
    EXPECT_EQ(ParseEverySplit(wire, Op::kStats), want);
    if (HasFailure()) return;
  }
}

// The outcomes text can report for each non-retrieval op, error lines aside.
std::vector<ResultCode> OutcomesOf(Op op) {
  switch (op) {
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
      return {ResultCode::kStored, ResultCode::kNotStored, ResultCode::kExists,
              ResultCode::kNotFound};
    case Op::kDelete:
      return {ResultCode::kDeleted, ResultCode::kNotFound};
    case Op::kTouch:
      return {ResultCode::kTouched, ResultCode::kNotFound};
    case Op::kIncr:
    case Op::kDecr:
      return {ResultCode::kFound, ResultCode::kNotFound};
    case Op::kFlushAll:
    case Op::kVerbosity:
    case Op::kVersion:
      return {ResultCode::kOk};
    default:
      return {};
  }
}

struct ErrorCase {
  ResultCode code;
  ErrorDetail detail;
  std::string_view message;  // Result::message given to ComposeReply
  std::string_view line;     // what must be sent (without "\r\n"; empty: depends on op)
  ResultCode parsed_code;
  ErrorDetail parsed_detail;
};

constexpr ErrorCase kErrorCases[] = {
    {ResultCode::kClientError, ErrorDetail::kUnknownCommand, "", "ERROR", ResultCode::kClientError,
     ErrorDetail::kUnknownCommand},
    {ResultCode::kClientError, ErrorDetail::kNonNumeric, "", kErrorNonNumeric,
     ResultCode::kClientError, ErrorDetail::kNonNumeric},
    {ResultCode::kClientError, ErrorDetail::kBadDataChunk, "", kErrorBadDataChunk,
     ResultCode::kClientError, ErrorDetail::kBadDataChunk},
    {ResultCode::kClientError, ErrorDetail::kInvalidArguments, "", kErrorBadFormat,
     ResultCode::kClientError, ErrorDetail::kInvalidArguments},
    {ResultCode::kClientError, ErrorDetail::kNone, "CLIENT_ERROR line too long", "",
     ResultCode::kClientError, ErrorDetail::kOther},
    {ResultCode::kRemoteError, ErrorDetail::kTooLarge, "", kErrorTooLarge, ResultCode::kRemoteError,
     ErrorDetail::kTooLarge},
    {ResultCode::kRemoteError, ErrorDetail::kOutOfMemory, "", "", ResultCode::kRemoteError,
     ErrorDetail::kOutOfMemory},
    {ResultCode::kRemoteError, ErrorDetail::kOther, "", kErrorRouterRemote,
     ResultCode::kRemoteError, ErrorDetail::kOther},
    {ResultCode::kRemoteError, ErrorDetail::kNone, "SERVER_ERROR out of memory storing object", "",
     ResultCode::kRemoteError, ErrorDetail::kOutOfMemory},
    {ResultCode::kTimeout, ErrorDetail::kNone, "", "SERVER_ERROR timeout", ResultCode::kRemoteError,
     ErrorDetail::kOther},
    {ResultCode::kConnectTimeout, ErrorDetail::kNone, "", "SERVER_ERROR connect timeout",
     ResultCode::kRemoteError, ErrorDetail::kOther},
    {ResultCode::kConnectError, ErrorDetail::kNone, "", "SERVER_ERROR connection error",
     ResultCode::kRemoteError, ErrorDetail::kOther},
    {ResultCode::kTko, ErrorDetail::kNone, "", "SERVER_ERROR server marked down (TKO)",
     ResultCode::kRemoteError, ErrorDetail::kOther},
};

TEST(TextClientReply, EveryOpsRepliesAndErrorsRoundTripAtEverySplit) {
  Random rnd(99);
  std::vector<std::string> store;
  for (const Op op : kTextOps) {
    if (protocol::IsRetrieval(op) || op == Op::kStats || op == Op::kQuit) continue;
    for (int iteration = 0; iteration < 8; ++iteration) {
      protocol::Request req = RandomRequest(rnd, op, &store);
      req.noreply = false;
      SCOPED_TRACE(testing::Message() << OpName(op) << " iteration " << iteration);
      for (const ResultCode code : OutcomesOf(op)) {
        Result r;
        r.code = code;
        std::string version;
        if (code == ResultCode::kFound) {
          r.has_number = true;
          r.number = rnd.Number();
        }
        if (op == Op::kVersion) {
          version = rnd.Text(30);
          r.text = version;
        }
        std::string wire;
        ComposeReply(req, r, &wire);
        Elem want = CodeElem(ReplyPart::kComplete, code);
        want.has_number = r.has_number;
        want.number = r.number;
        want.text = version;
        EXPECT_EQ(ParseEverySplit(wire, op), std::vector<Elem>{want}) << wire;
        // With noreply, nothing at all.
        protocol::Request quiet = req;
        quiet.noreply = true;
        std::string none;
        ComposeReply(quiet, r, &none);
        if (HonoursNoreply(op)) {
          EXPECT_EQ(none, "");
        }
      }
      for (const ErrorCase& c : kErrorCases) {
        Result r;
        r.code = c.code;
        r.detail = c.detail;
        r.message = c.message;
        std::string wire;
        ComposeReply(req, r, &wire);
        std::string line(c.line.empty() ? c.message : c.line);
        if (line.empty()) {
          line = protocol::IsStorage(op) ? kErrorOutOfMemoryStoring : kErrorOutOfMemory;
        }
        EXPECT_EQ(wire, line + "\r\n");
        Elem want = CodeElem(ReplyPart::kComplete, c.parsed_code);
        want.detail = c.parsed_detail;
        want.message = line;
        EXPECT_EQ(ParseEverySplit(wire, op), std::vector<Elem>{want});
        // noreply suppresses every error but "ERROR" (memcached cannot see noreply on a line
        // it does not understand).
        protocol::Request quiet = req;
        quiet.noreply = true;
        std::string quiet_wire;
        ComposeReply(quiet, r, &quiet_wire);
        if (HonoursNoreply(op) && c.detail != ErrorDetail::kUnknownCommand) {
          EXPECT_EQ(quiet_wire, "");
        } else {
          EXPECT_EQ(quiet_wire, wire);
        }
      }
      if (HasFailure()) return;
    }
  }
}

TEST(TextClientReply, RefusesWhatDoesNotFitTheOpOrTheGrammar) {
  struct Case {
    std::string_view bytes;
    Op op;
  };
  const Case cases[] = {
      {"VALUE k 0 1\r\n", Op::kSet},            // a value only answers a retrieval
      {"STAT a b\r\n", Op::kGet},               // a stat only answers stats
      {"42\r\n", Op::kGet},                     // a number only answers incr/decr
      {"42\r\n", Op::kSet},                     //
      {"END\r\n", Op::kDelete},                 //
      {"STORED\r\n", Op::kGet},                 //
      {"VERSION 1\r\n", Op::kSet},              //
      {"STORED\n", Op::kSet},                   // no "\r"
      {"STORED \r\n", Op::kSet},                //
      {"stored\r\n", Op::kSet},                 //
      {"VALUE k 0\r\n", Op::kGet},              // no length
      {"VALUE k 0 -1\r\n", Op::kGet},           // bad length
      {"VALUE k 0 1x\r\n", Op::kGet},           //
      {"VALUE k 0 4294967296\r\n", Op::kGet},   // length past 32 bits
      {"VALUE k 0 1 2 3\r\n", Op::kGet},        // a token too many
      {"VALUE k  0 1\r\n", Op::kGet},           // two spaces
      {"VALUE k 0 1 \r\n", Op::kGet},           // trailing space
      {"VALUE  0 1\r\n", Op::kGet},             // no key
      {"18446744073709551616\r\n", Op::kIncr},  // past 64 bits
      {"+1\r\n", Op::kIncr},                    //
      {"\r\n", Op::kSet},                       //
      {"MN\r\n", Op::kQuit},                    //
  };
  for (const Case& c : cases) {
    Result r;
    EXPECT_EQ(ParseReplyHead(c.bytes, c.op, &r).status, ReplyStatus::kMalformed)
        << testing::PrintToString(c.bytes) << " for " << OpName(c.op);
  }
  // A value whose trailer is not "\r\n".
  Result r;
  EXPECT_EQ(ParseReply("VALUE k 0 2\r\nabXY", Op::kGet, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply("VALUE k 0 2\r\nabX", Op::kGet, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply("VALUE k 0 2\r\nab\rX", Op::kGet, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply("VALUE k 0 2\r\nab\r", Op::kGet, &r).status, ReplyStatus::kIncomplete);
  // A line that never ends is cut at kMaxReplyLine.
  const std::string endless(kMaxReplyLine, 'S');
  EXPECT_EQ(ParseReplyHead(endless, Op::kStats, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(
      ParseReplyHead(std::string_view(endless).substr(0, kMaxReplyLine - 1), Op::kStats, &r).status,
      ReplyStatus::kIncomplete);
}

TEST(TextClientReply, StatsCachedumpLinesAndSpecialStatsRepliesArePassedThrough) {
  const std::string_view wire =
      "ITEM foo [3 b; 0 s]\r\nPREFIX bar get 1 hit 0 set 0 del 0\r\nEND\r\n";
  const std::vector<Elem> got = ParseEverySplit(wire, Op::kStats);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, "ITEM foo [3 b; 0 s]");
  std::string again;
  for (const Elem& e : got) {
    if (e.part == ReplyPart::kEnd) {
      ComposeEnd(&again);
      continue;
    }
    Result r;
    r.text = e.text;
    ComposeStat(r, &again);
  }
  EXPECT_EQ(again, wire);
}

}  // namespace
}  // namespace memfleet::protocol::text

namespace memfleet::protocol::text {
namespace {

TEST(TextClientMultiGet, ComposesOneLineKeyByKey) {
  std::string out;
  ComposeMultiGetStart(protocol::Op::kGet, &out);
  for (std::string_view k : {"a", "bb", "ccc"}) ComposeMultiGetKey(k, &out);
  ComposeMultiGetEnd(&out);
  EXPECT_EQ(out, "get a bb ccc\r\n");
  out.clear();
  ComposeMultiGetStart(protocol::Op::kGets, &out);
  ComposeMultiGetKey("k", &out);
  ComposeMultiGetEnd(&out);
  EXPECT_EQ(out, "gets k\r\n");
}

}  // namespace
}  // namespace memfleet::protocol::text
