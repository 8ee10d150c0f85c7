// Round trips of replies through the meta client half: results composed by ComposeReply parse
// back through ParseReply into the result they came from, whole, at every split point and
// streamed. Random cases use fixed seeds.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "protocol/meta/client.h"
#include "protocol/meta/client_test_util.h"

namespace memfleet::protocol::meta {
namespace {

using testing::Base64;
using testing::ExpectSameResult;
using testing::Gen;
using testing::ParseEverySplit;

// A meta request and a result it could get, built so that ComposeReply then ParseReply gives
// the result back: only the fields the request's flags return are set.
struct ReplyCase {
  std::string key;
  std::string value;
  std::deque<std::string> token_store;
  std::vector<std::string_view> tokens;
  Request req;
  Result want;
  bool suppressed = false;

  void Token(std::string t) {
    token_store.push_back(std::move(t));
    tokens.push_back(token_store.back());
  }
};

// Adds O and k to the request and to what the reply echoes.
void EchoTokens(Gen& g, std::vector<std::string>* toks) {
  if (g.Coin()) toks->push_back(g.Opaque());
  if (g.Coin()) toks->push_back("k");
}

void FinishReplyCase(Gen& g, ReplyCase* c, std::vector<std::string> toks) {
  g.Shuffle(&toks);
  for (std::string& t : toks) c->Token(std::move(t));
  c->req.meta.tokens = c->tokens;
  for (std::string_view t : c->tokens) {
    if (t[0] == 'O') c->want.opaque = t.substr(1);
    if (t[0] == 'k') {
      c->want.key = c->key;
      c->want.base64_key = c->req.meta.base64_key;
    }
    if (t[0] == 'q') c->req.noreply = true;
  }
}

ReplyCase RandomReplyCase(Gen& g, int kind) {
  ReplyCase c;
  c.req.protocol = Protocol::kMeta;
  c.req.meta.base64_key = g.Below(4) == 0;
  c.key = c.req.meta.base64_key ? Base64(g.Bytes(1 + g.Below(186))) : g.LegalKey();
  c.req.key = c.key;
  std::vector<std::string> toks;
  if (c.req.meta.base64_key) toks.push_back("b");
  if (g.Below(4) == 0) toks.push_back("q");
  Result& w = c.want;
  switch (kind) {
    case 0: {  // mg hit
      c.req.op = Op::kGet;
      w.code = ResultCode::kFound;
      bool v = g.Coin();
      if (v) {
        toks.push_back("v");
        c.value = g.Value();
        w.has_value = true;
        w.value = c.value;
        w.value_length = static_cast<uint32_t>(c.value.size());
      }
      if (g.Coin()) {
        toks.push_back("f");
        w.has_flags = true;
        w.client_flags = static_cast<uint32_t>(g.U64());
      }
      if (g.Coin()) {
        toks.push_back("c");
        w.has_cas = true;
        w.cas = g.U64();
      }
      if (g.Coin()) {
        toks.push_back("t");
        w.has_ttl = true;
        w.ttl = g.Coin() ? -1 : static_cast<int64_t>(g.Below(UINT32_MAX));
      }
      if (g.Coin()) {
        toks.push_back("s");
        w.has_size = true;
        w.size = static_cast<uint32_t>(g.U64());
      }
      if (g.Coin()) {
        toks.push_back("l");
        w.has_last_access = true;
        w.last_access = g.U64();
      }
      if (g.Coin()) {
        toks.push_back("h");
        w.has_hit_before = true;
        w.hit_before = g.Coin();
      }
      w.win = g.Below(4) == 0;
      w.stale = g.Below(4) == 0;
      w.win_sent = !w.win && g.Below(4) == 0;
      if (g.Coin()) {
        toks.push_back("T" + std::to_string(g.Int32()));
        c.req.op = v ? Op::kGat : Op::kTouch;
        if (!v) w.code = ResultCode::kTouched;
      }
      EchoTokens(g, &toks);
      break;
    }
    case 1:  // mg miss
      c.req.op = Op::kGet;
      w.code = ResultCode::kNotFound;
      toks.push_back("v");
      EchoTokens(g, &toks);
      break;
    case 2: {  // ms
      static constexpr ResultCode kCodes[] = {ResultCode::kStored, ResultCode::kNotStored,
                                              ResultCode::kExists, ResultCode::kNotFound};
      c.req.op = Op::kSet;
      w.code = kCodes[g.Below(4)];
      if (g.Coin()) {
        toks.push_back("c");
        w.has_cas = true;
        w.cas = g.U64();
      }
      EchoTokens(g, &toks);
      break;
    }
    case 3: {  // md
      static constexpr ResultCode kCodes[] = {ResultCode::kDeleted, ResultCode::kNotFound,
                                              ResultCode::kExists};
      c.req.op = Op::kDelete;
      w.code = kCodes[g.Below(3)];
      EchoTokens(g, &toks);
      break;
    }
    case 4: {  // ma
      c.req.op = g.Coin() ? Op::kIncr : Op::kDecr;
      uint64_t pick = g.Below(4);
      w.code = pick == 0   ? ResultCode::kNotFound
               : pick == 1 ? ResultCode::kExists
                           : ResultCode::kFound;
      if (w.code == ResultCode::kFound) {
        if (g.Coin()) {
          toks.push_back("v");
          w.has_number = true;
          w.number = g.Below(3) == 0 ? UINT64_MAX : g.U64() >> g.Below(64);
          c.value = std::to_string(w.number);
          w.has_value = true;
          w.value = c.value;
          w.value_length = static_cast<uint32_t>(c.value.size());
        }
        if (g.Coin()) {
          toks.push_back("c");
          w.has_cas = true;
          w.cas = g.U64();
        }
        if (g.Coin()) {
          toks.push_back("t");
          w.has_ttl = true;
          w.ttl = g.Coin() ? -1 : static_cast<int64_t>(g.Below(1000000));
        }
      }
      EchoTokens(g, &toks);
      break;
    }
    default:
      break;
  }
  FinishReplyCase(g, &c, std::move(toks));
  bool quiet = c.req.noreply;
  switch (w.code) {
    case ResultCode::kNotFound:
      c.suppressed = quiet && c.req.op == Op::kGet;
      break;
    case ResultCode::kStored:
    case ResultCode::kDeleted:
      c.suppressed = quiet;
      break;
    case ResultCode::kFound:
      c.suppressed = quiet && (c.req.op == Op::kIncr || c.req.op == Op::kDecr);
      break;
    default:
      break;
  }
  return c;
}

TEST(MetaClientReplyTest, EveryReplyFormRoundTripsAtEverySplitPoint) {
  Gen g(4242);
  for (int kind = 0; kind < 5; ++kind) {
    for (int i = 0; i < 150; ++i) {
      ReplyCase c = RandomReplyCase(g, kind);
      std::string what = "kind " + std::to_string(kind) + " case " + std::to_string(i);
      std::string bytes;
      ComposeReply(c.req, c.want, &bytes);
      if (c.suppressed) {
        EXPECT_EQ(bytes, "") << what;
        continue;
      }
      std::string head;
      ComposeReplyHead(c.req, c.want, &head);
      ASSERT_TRUE(std::string_view(bytes).starts_with(head)) << what;
      bytes += "mn\r\n";  // a following reply must not be taken in
      Result got;
      ReplyParse p = ParseEverySplit(bytes, c.req.op, &got, what);
      ASSERT_EQ(p.status, ReplyStatus::kOk) << what;
      EXPECT_EQ(p.consumed, bytes.size() - 4) << what;
      ExpectSameResult(c.want, got, what);
      std::string again;
      ComposeReply(c.req, got, &again);
      EXPECT_EQ(again + "mn\r\n", bytes) << what;
    }
  }
}

TEST(MetaClientReplyTest, ErrorsAndOtherRepliesRoundTrip) {
  struct Case {
    Op op;
    Result r;
    std::string_view bytes;
  };
  auto err = [](ResultCode code, ErrorDetail detail, std::string_view message = {}) {
    Result r;
    r.code = code;
    r.detail = detail;
    r.message = message;
    return r;
  };
  auto text = [](std::string_view t) {
    Result r;
    r.text = t;
    return r;
  };
  const Case cases[] = {
      {Op::kSet, err(ResultCode::kClientError, ErrorDetail::kBadDataChunk),
       "CLIENT_ERROR bad data chunk\r\n"},
      {Op::kIncr, err(ResultCode::kClientError, ErrorDetail::kNonNumeric),
       "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"},
      {Op::kGet, err(ResultCode::kClientError, ErrorDetail::kUnknownCommand), "ERROR\r\n"},
      {Op::kSet, err(ResultCode::kRemoteError, ErrorDetail::kTooLarge),
       "SERVER_ERROR object too large for cache\r\n"},
      {Op::kSet, err(ResultCode::kRemoteError, ErrorDetail::kOutOfMemory),
       "SERVER_ERROR out of memory storing object\r\n"},
      {Op::kIncr, err(ResultCode::kRemoteError, ErrorDetail::kOutOfMemory),
       "SERVER_ERROR out of memory\r\n"},
      {Op::kGet, err(ResultCode::kClientError, ErrorDetail::kOther, "CLIENT_ERROR duplicate flag"),
       "CLIENT_ERROR duplicate flag\r\n"},
      {Op::kVerbosity,
       err(ResultCode::kClientError, ErrorDetail::kOther, "ERROR: shutdown not enabled"),
       "ERROR: shutdown not enabled\r\n"},
      {Op::kGet, err(ResultCode::kTimeout, ErrorDetail::kNone), "SERVER_ERROR timeout\r\n"},
      {Op::kGet, err(ResultCode::kConnectTimeout, ErrorDetail::kNone),
       "SERVER_ERROR connect timeout\r\n"},
      {Op::kDelete, err(ResultCode::kConnectError, ErrorDetail::kNone),
       "SERVER_ERROR connection error\r\n"},
      {Op::kSet, err(ResultCode::kTko, ErrorDetail::kNone),
       "SERVER_ERROR server marked down (TKO)\r\n"},
      {Op::kNoop, Result{}, "MN\r\n"},
      {Op::kVersion, text("1.6.18"), "VERSION 1.6.18\r\n"},
      {Op::kStats, text("pid 42"), "STAT pid 42\r\n"},
      {Op::kStats, Result{}, "END\r\n"},
      {Op::kFlushAll, Result{}, "OK\r\n"},
      {Op::kMetaDebug, text("foo exp=-1 la=0 cas=2 fetch=no cls=1 size=63"),
       "ME foo exp=-1 la=0 cas=2 fetch=no cls=1 size=63\r\n"},
  };
  for (const Case& c : cases) {
    std::string what(c.bytes);
    Request req;
    req.protocol = Protocol::kMeta;
    req.op = c.op;
    std::string out;
    ComposeReply(req, c.r, &out);
    EXPECT_EQ(out, c.bytes) << what;
    Result got;
    ReplyParse p = ParseEverySplit(out, c.op, &got, what);
    ASSERT_EQ(p.status, ReplyStatus::kOk) << what;
    // Router failures come back as remote errors with their words: the client cannot tell.
    EXPECT_EQ(ResultCodeName(got.code),
              ResultCodeName(IsFailoverError(c.r.code) ? ResultCode::kRemoteError : c.r.code))
        << what;
    EXPECT_EQ(got.message, IsError(c.r.code) ? c.bytes.substr(0, c.bytes.size() - 2) : "");
    std::string again;
    ComposeReply(req, got, &again);
    EXPECT_EQ(again, c.bytes) << what;
  }
}

TEST(MetaClientReplyTest, MalformedRepliesAreRefused) {
  for (std::string_view bad :
       {"XX\r\n", "VA\r\n", "VA x\r\n", "VA 99999999999\r\n", "HD c\r\n", "HD f-1\r\n",
        "HD t1x\r\n", "HD h2\r\n", "EN\n", "\r\n", " HD\r\n", "END foo\r\n", "ME\r\n"}) {
    Result r;
    EXPECT_EQ(ParseReply(bad, Op::kGet, &r).status, ReplyStatus::kMalformed) << bad;
  }
  Result r;
  // A value not followed by "\r\n", and an arithmetic value that is no number.
  EXPECT_EQ(ParseReply("VA 2\r\nabX\r\n", Op::kGet, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply("VA 2\r\nab\r\n", Op::kIncr, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply(std::string(5000, 'H'), Op::kGet, &r).status, ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply(std::string(100, 'H'), Op::kGet, &r).status, ReplyStatus::kIncomplete);
}

TEST(MetaClientReplyTest, HitCodeDependsOnTheOperation) {
  const std::pair<Op, ResultCode> cases[] = {
      {Op::kGet, ResultCode::kFound},     {Op::kGets, ResultCode::kFound},
      {Op::kTouch, ResultCode::kTouched}, {Op::kSet, ResultCode::kStored},
      {Op::kCas, ResultCode::kStored},    {Op::kDelete, ResultCode::kDeleted},
      {Op::kIncr, ResultCode::kFound}};
  for (auto [op, code] : cases) {
    Result r;
    ReplyParse p = ParseReply("HD\r\n", op, &r);
    EXPECT_EQ(p.status, ReplyStatus::kOk);
    EXPECT_EQ(p.consumed, 4u);
    EXPECT_EQ(ResultCodeName(r.code), ResultCodeName(code)) << OpName(op);
  }
}

}  // namespace
}  // namespace memfleet::protocol::meta
