// Round trips through the meta client half: requests composed by ComposeRequest parse back
// through the server's own parser (text::ParseRequest, ParseMetaFlags, ToNeutral) into the
// request they came from; replies composed by ComposeReply parse back through ParseReply into
// the result they came from, at every split point. Random cases use fixed seeds.
#include "protocol/meta/client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "protocol/meta/client_test_util.h"
#include "protocol/meta/vocabulary.h"
#include "protocol/text/request.h"

namespace memfleet::protocol::meta {
namespace {

using testing::ExpectSameResult;
using testing::ParseEverySplit;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  uint64_t U64() { return rng_(); }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Coin() { return (rng_() & 1) != 0; }
  // A key meta carries as is: 1..max printable bytes without spaces.
  std::string LegalKey(size_t max = kKeyMaxLength) {
    std::string k(1 + Below(max), 'x');
    for (char& c : k) c = static_cast<char>('!' + Below(94));
    return k;
  }
  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(Below(256));
    // Plant "\r\n" inside now and then, where a careless parser would stop.
    if (n >= 4 && Coin()) s.replace(Below(n - 2), 2, "\r\n");
    return s;
  }
  // 0..~64 KiB, mostly small.
  std::string Value() { return Bytes(Below(8) == 0 ? Below(65 * 1024) : Below(300)); }
  int32_t Int32() { return static_cast<int32_t>(U64()); }
  std::string Opaque() {
    std::string o = "O";
    size_t n = 1 + Below(kMaxOpaqueLength - 1);
    for (size_t i = 0; i < n; ++i) o.push_back(static_cast<char>('a' + Below(26)));
    return o;
  }
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    std::shuffle(v->begin(), v->end(), rng_);
  }

 private:
  std::mt19937_64 rng_;
};

std::string Base64(std::string_view in) {
  std::string out(Base64EncodedSize(in.size()), '\0');
  out.resize(Base64Encode(in, out.data()));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requests.

// A meta request built from random flags, with the neutral fields ToNeutral must find.
struct MetaCase {
  std::string key;  // as sent
  std::string decoded_key;
  std::string value;
  std::deque<std::string> token_store;
  std::vector<std::string_view> tokens;
  Request want;

  void Token(std::string t) {
    token_store.push_back(std::move(t));
    tokens.push_back(token_store.back());
  }
};

MetaCase RandomMetaCase(Gen& g, Op family) {
  MetaCase c;
  bool b64 = g.Below(5) == 0;
  if (b64) {
    c.decoded_key = g.Bytes(1 + g.Below(186));
    c.key = Base64(c.decoded_key);
  } else {
    c.key = g.LegalKey();
    c.decoded_key = c.key;
  }
  Request& w = c.want;
  w.protocol = Protocol::kMeta;
  w.key = c.key;
  w.meta.base64_key = b64;
  std::vector<std::string> toks;
  if (b64) toks.push_back("b");
  if (g.Coin()) toks.push_back(g.Opaque());
  if (g.Coin()) toks.push_back("k");
  if (g.Below(4) == 0) {
    toks.push_back("q");
    w.noreply = true;
  }
  switch (family) {
    case Op::kGet: {
      bool v = g.Coin(), c_flag = g.Coin(), touch = g.Coin();
      if (v) toks.push_back("v");
      if (c_flag) toks.push_back("c");
      for (const char* f : {"s", "t", "f", "l", "h", "u"}) {
        if (g.Coin()) toks.push_back(f);
      }
      if (touch) {
        w.exptime = g.Int32();
        toks.push_back("T" + std::to_string(w.exptime));
      }
      if (g.Below(4) == 0) toks.push_back("N" + std::to_string(g.Int32()));
      w.op = touch ? (!v       ? Op::kTouch
                      : c_flag ? Op::kGats
                               : Op::kGat)
                   : (c_flag ? Op::kGets : Op::kGet);
      break;
    }
    case Op::kSet: {
      c.value = g.Value();
      w.value_length = static_cast<uint32_t>(c.value.size());
      w.value = c.value;
      w.client_flags = static_cast<uint32_t>(g.U64());
      toks.push_back("F" + std::to_string(w.client_flags));
      if (g.Coin()) {
        w.exptime = g.Int32();
        toks.push_back("T" + std::to_string(w.exptime));
      }
      static constexpr char kModes[] = {0, 'S', 'E', 'A', 'P', 'R'};
      static constexpr Op kOps[] = {Op::kSet,    Op::kSet,     Op::kAdd,
                                    Op::kAppend, Op::kPrepend, Op::kReplace};
      size_t m = g.Below(6);
      if (kModes[m] != 0) toks.push_back(std::string("M") + kModes[m]);
      w.op = kOps[m];
      if (g.Below(3) == 0) {
        w.cas = g.U64();
        toks.push_back("C" + std::to_string(w.cas));
        if (w.op == Op::kSet || w.op == Op::kReplace) w.op = Op::kCas;
      }
      if (g.Coin()) toks.push_back("c");
      if (g.Below(5) == 0) toks.push_back("I");
      break;
    }
    case Op::kDelete:
      w.op = Op::kDelete;
      if (g.Coin()) {
        w.cas = g.U64();
        toks.push_back("C" + std::to_string(w.cas));
      }
      if (g.Coin()) toks.push_back("I");
      if (g.Coin()) {
        w.exptime = g.Int32();
        toks.push_back("T" + std::to_string(w.exptime));
      }
      break;
    case Op::kIncr: {
      static constexpr const char* kModes[] = {nullptr, "MI", "M+", "MD", "M-"};
      size_t m = g.Below(5);
      if (kModes[m] != nullptr) toks.push_back(kModes[m]);
      w.op = m >= 3 ? Op::kDecr : Op::kIncr;
      if (g.Coin()) {
        w.delta = g.U64();
        toks.push_back("D" + std::to_string(w.delta));
      }
      if (g.Coin()) {
        w.create = true;
        w.exptime = g.Int32();
        toks.push_back("N" + std::to_string(w.exptime));
      }
      if (g.Coin()) {
        w.initial = g.U64();
        toks.push_back("J" + std::to_string(w.initial));
      }
      for (const char* f : {"v", "t", "c"}) {
        if (g.Coin()) toks.push_back(f);
      }
      break;
    }
    default:
      break;
  }
  g.Shuffle(&toks);
  for (std::string& t : toks) c.Token(std::move(t));
  w.meta.tokens = c.tokens;
  return c;
}

text::Command MetaTextCommand(Op op) {
  if (IsRetrieval(op) || op == Op::kTouch) return text::Command::kMetaGet;
  if (IsStorage(op)) return text::Command::kMetaSet;
  if (op == Op::kDelete) return text::Command::kMetaDelete;
  return text::Command::kMetaArithmetic;
}

MetaCommand FlagCommand(text::Command c) {
  switch (c) {
    case text::Command::kMetaGet:
      return MetaCommand::kGet;
    case text::Command::kMetaSet:
      return MetaCommand::kSet;
    case text::Command::kMetaDelete:
      return MetaCommand::kDelete;
    default:
      return MetaCommand::kArithmetic;
  }
}

// What the server sees: the parsed line, its flags (key decoded), and the neutral request.
struct ServerView {
  text::Request parsed;
  MetaFlags flags;
  char key_buf[kKeyMaxLength];
  std::string error;
  Request neutral;
  size_t consumed = 0;
  bool ok = false;
};

// Parses a composed meta request the way the server does; checks every prefix of the line is
// incomplete first.
void ServerParse(std::string_view bytes, ServerView* v) {
  text::ParseResult pr = text::ParseRequest(bytes, &v->parsed);
  ASSERT_EQ(pr.status, text::ParseStatus::kOk) << pr.error << " in " << bytes.substr(0, 300);
  for (size_t i = 0; i < pr.consumed; ++i) {
    text::Request scratch;
    ASSERT_EQ(text::ParseRequest(bytes.substr(0, i), &scratch).status,
              text::ParseStatus::kIncomplete)
        << "prefix " << i;
  }
  v->consumed = pr.consumed;
  text::Command cmd = v->parsed.command;
  if (cmd == text::Command::kMetaNoop) {
    v->ok = ToNeutral(v->parsed, v->flags, {}, &v->neutral);
    return;
  }
  size_t first = cmd == text::Command::kMetaSet ? 3 : 2;
  std::span<const std::string_view> toks;
  if (v->parsed.ntokens > first) {
    toks = std::span<const std::string_view>(v->parsed.tokens.data() + first,
                                             v->parsed.ntokens - first);
  }
  if (cmd != text::Command::kMetaDebug) {
    v->error =
        std::string(ParseMetaFlags(FlagCommand(cmd), v->parsed.key, toks, v->key_buf, &v->flags));
    ASSERT_EQ(v->error, "");
  }
  v->ok = ToNeutral(v->parsed, v->flags, toks, &v->neutral);
}

void ExpectSameRequest(const Request& want, const Request& got) {
  EXPECT_EQ(OpName(want.op), OpName(got.op));
  EXPECT_EQ(static_cast<int>(got.protocol), static_cast<int>(Protocol::kMeta));
  EXPECT_EQ(want.key, got.key);
  EXPECT_EQ(want.client_flags, got.client_flags);
  EXPECT_EQ(want.exptime, got.exptime);
  EXPECT_EQ(want.cas, got.cas);
  EXPECT_EQ(want.delta, got.delta);
  EXPECT_EQ(want.initial, got.initial);
  EXPECT_EQ(want.create, got.create);
  EXPECT_EQ(want.value_length, got.value_length);
  EXPECT_EQ(want.noreply, got.noreply);
  EXPECT_EQ(want.meta.base64_key, got.meta.base64_key);
  ASSERT_EQ(want.meta.tokens.size(), got.meta.tokens.size());
  for (size_t i = 0; i < want.meta.tokens.size(); ++i) {
    EXPECT_EQ(want.meta.tokens[i], got.meta.tokens[i]);
  }
}

TEST(MetaClientRequestTest, MetaRequestsRoundTripThroughTheServerParser) {
  Gen g(20261202);
  for (Op family : {Op::kGet, Op::kSet, Op::kDelete, Op::kIncr}) {
    for (int i = 0; i < 300; ++i) {
      MetaCase c = RandomMetaCase(g, family);
      SCOPED_TRACE(std::string(OpName(family)) + " case " + std::to_string(i));
      std::string bytes;
      ComposeRequest(c.want, &bytes);
      std::string head;
      ComposeRequestHead(c.want, &head);
      ASSERT_TRUE(std::string_view(bytes).starts_with(head));
      ServerView v;
      ASSERT_NO_FATAL_FAILURE(ServerParse(bytes, &v));
      ASSERT_TRUE(v.ok);
      EXPECT_EQ(v.parsed.command, MetaTextCommand(c.want.op));
      EXPECT_EQ(v.flags.key, c.decoded_key);
      EXPECT_EQ(v.consumed, head.size());
      ExpectSameRequest(c.want, v.neutral);
      // The data block and its "\r\n" follow the head, and nothing else.
      EXPECT_EQ(bytes.substr(head.size()), IsStorage(c.want.op) ? c.value + "\r\n" : "");
    }
  }
}

TEST(MetaClientRequestTest, ExactBytesOfAMetaRequest) {
  std::vector<std::string_view> toks = {"T30", "F5", "q", "O1", "c"};
  Request req;
  req.protocol = Protocol::kMeta;
  req.op = Op::kSet;
  req.key = "foo";
  req.value = "bar";
  req.value_length = 3;
  req.meta.tokens = toks;
  std::string out;
  ComposeRequest(req, &out);
  EXPECT_EQ(out, "ms foo 3 T30 F5 q O1 c\r\nbar\r\n");
  out.clear();
  ComposeMetaRequest(req, ComposeOptions{.drop_quiet = true, .drop_opaque = true}, &out);
  EXPECT_EQ(out, "ms foo 3 T30 F5 c\r\nbar\r\n");
  out.clear();
  ComposeMetaRequestHead(req, ComposeOptions{.drop_quiet = true}, &out);
  EXPECT_EQ(out, "ms foo 3 T30 F5 O1 c\r\n");

  Request mn;
  mn.protocol = Protocol::kMeta;
  mn.op = Op::kNoop;
  out.clear();
  ComposeRequest(mn, &out);
  EXPECT_EQ(out, "mn\r\n");
  std::vector<std::string_view> b = {"b"};
  Request me;
  me.protocol = Protocol::kMeta;
  me.op = Op::kMetaDebug;
  me.key = "Zm9v";
  me.meta.tokens = b;
  out.clear();
  ComposeRequest(me, &out);
  EXPECT_EQ(out, "me Zm9v b\r\n");
}

TEST(MetaClientRequestTest, NoopAndDebugMapToNeutral) {
  for (std::string_view line : {"mn\r\n", "me foo\r\n", "me Zm9v b\r\n"}) {
    SCOPED_TRACE(line);
    ServerView v;
    ASSERT_NO_FATAL_FAILURE(ServerParse(line, &v));
    ASSERT_TRUE(v.ok);
    std::string again;
    ComposeRequest(v.neutral, &again);
    EXPECT_EQ(again, line);
  }
  ServerView v;
  ServerParse("me Zm9v b\r\n", &v);
  EXPECT_EQ(v.neutral.op, Op::kMetaDebug);
  EXPECT_TRUE(v.neutral.meta.base64_key);
  EXPECT_EQ(v.neutral.key, "Zm9v");
}

TEST(MetaClientRequestTest, TextCommandsHaveNoMetaNeutralForm) {
  text::Request parsed;
  ASSERT_EQ(text::ParseRequest("slabs automove 1\r\n", &parsed).status, text::ParseStatus::kOk);
  Request out;
  EXPECT_FALSE(ToNeutral(parsed, MetaFlags{}, {}, &out));
  ASSERT_EQ(text::ParseRequest("get foo\r\n", &parsed).status, text::ParseStatus::kOk);
  EXPECT_FALSE(ToNeutral(parsed, MetaFlags{}, {}, &out));
}

// Text and binary requests in meta: the flags the client's reply needs, never q, and a key
// meta cannot carry in base64.
struct Translated {
  Request req;
  std::string key;
  std::string value;
  Op want_op;
};

Translated RandomTranslated(Gen& g, Op op, Protocol protocol) {
  Translated t;
  t.req.protocol = protocol;
  t.req.op = op;
  t.want_op = op;
  // Binary keys may hold any byte (base64 of 186 bytes is 248 characters).
  t.key = protocol == Protocol::kBinary && g.Coin() ? g.Bytes(1 + g.Below(186)) : g.LegalKey();
  t.req.key = t.key;
  t.req.noreply = g.Coin();  // never sent as q
  t.req.exptime = g.Int32();
  t.req.client_flags = static_cast<uint32_t>(g.U64());
  t.req.delta = g.U64();
  t.req.initial = g.U64();
  t.req.create = g.Coin();
  bool binary = protocol == Protocol::kBinary;
  if (IsStorage(op)) {
    t.value = g.Value();
    t.req.value = t.value;
    t.req.value_length = static_cast<uint32_t>(t.value.size());
    if (op == Op::kCas || (binary && g.Coin())) t.req.cas = g.U64() | 1;
    if (t.req.cas != 0 && (op == Op::kSet || op == Op::kReplace)) t.want_op = Op::kCas;
  }
  if (op == Op::kDelete && binary && g.Coin()) t.req.cas = g.U64() | 1;
  if (binary && op == Op::kGet) t.want_op = Op::kGets;
  if (binary && op == Op::kGat) t.want_op = Op::kGats;
  return t;
}

TEST(MetaClientRequestTest, TextAndBinaryRequestsTranslateToMeta) {
  Gen g(77);
  const Op ops[] = {Op::kGet,     Op::kGets,   Op::kGat,  Op::kGats,   Op::kTouch,
                    Op::kSet,     Op::kAdd,    Op::kCas,  Op::kAppend, Op::kPrepend,
                    Op::kReplace, Op::kDelete, Op::kIncr, Op::kDecr};
  for (Protocol protocol : {Protocol::kText, Protocol::kBinary}) {
    for (Op op : ops) {
      for (int i = 0; i < 60; ++i) {
        Translated t = RandomTranslated(g, op, protocol);
        SCOPED_TRACE(std::string(OpName(op)) + (protocol == Protocol::kText ? " text " : " bin ") +
                     std::to_string(i));
        std::string bytes;
        ComposeRequest(t.req, &bytes);
        ServerView v;
        ASSERT_NO_FATAL_FAILURE(ServerParse(bytes, &v));
        ASSERT_TRUE(v.ok);
        const Request& n = v.neutral;
        EXPECT_EQ(OpName(n.op), OpName(t.want_op));
        EXPECT_EQ(v.flags.key, t.key);
        EXPECT_FALSE(v.flags.quiet);
        bool binary = protocol == Protocol::kBinary;
        if (IsRetrieval(op) || op == Op::kTouch) {
          EXPECT_EQ(v.flags.value, op != Op::kTouch);
          EXPECT_EQ(v.flags.Has('f'), op != Op::kTouch || binary);
          if (op == Op::kGat || op == Op::kGats || op == Op::kTouch) {
            EXPECT_EQ(n.exptime, static_cast<int32_t>(t.req.exptime));
          }
        } else if (IsStorage(op)) {
          EXPECT_EQ(n.client_flags, t.req.client_flags);
          EXPECT_EQ(n.exptime, t.req.exptime);
          EXPECT_EQ(n.cas, t.req.cas);
          EXPECT_EQ(n.value_length, t.req.value_length);
          EXPECT_EQ(v.flags.Has('c'), binary);
          EXPECT_EQ(bytes.substr(v.consumed), t.value + "\r\n");
        } else if (op == Op::kDelete) {
          EXPECT_EQ(n.cas, t.req.cas);
        } else {
          EXPECT_TRUE(v.flags.value);
          EXPECT_EQ(n.delta, t.req.delta);
          EXPECT_EQ(n.create, t.req.create);
          if (t.req.create) {
            EXPECT_EQ(n.initial, t.req.initial);
            EXPECT_EQ(n.exptime, t.req.exptime);
          }
          EXPECT_EQ(v.flags.Has('c'), binary);
        }
      }
    }
  }
}

TEST(MetaClientRequestTest, ExactBytesOfTranslatedRequests) {
  auto compose = [](Request req) {
    std::string out;
    ComposeRequest(req, &out);
    return out;
  };
  Request r;
  r.key = "foo";
  r.op = Op::kGet;
  EXPECT_EQ(compose(r), "mg foo f v\r\n");
  r.op = Op::kGets;
  EXPECT_EQ(compose(r), "mg foo f v c\r\n");
  r.op = Op::kGat;
  r.exptime = 30;
  EXPECT_EQ(compose(r), "mg foo f v T30\r\n");
  r.op = Op::kTouch;
  EXPECT_EQ(compose(r), "mg foo T30\r\n");
  r.op = Op::kCas;
  r.client_flags = 5;
  r.cas = 99;
  r.value = "bar";
  r.value_length = 3;
  EXPECT_EQ(compose(r), "ms foo 3 F5 T30 C99\r\nbar\r\n");
  r.op = Op::kAppend;
  r.cas = 0;
  EXPECT_EQ(compose(r), "ms foo 3 F5 T30 MA\r\nbar\r\n");
  r.protocol = Protocol::kBinary;
  r.op = Op::kAdd;
  EXPECT_EQ(compose(r), "ms foo 3 F5 T30 ME c\r\nbar\r\n");
  r.op = Op::kDecr;
  r.delta = 7;
  r.create = true;
  r.initial = 3;
  r.exptime = 0;
  EXPECT_EQ(compose(r), "ma foo v MD D7 N0 J3 c\r\n");
  r.key = std::string_view("a b\0", 4);
  r.op = Op::kDelete;
  EXPECT_EQ(compose(r), "md YSBiAA== b\r\n");
  Request s;
  s.op = Op::kStats;
  EXPECT_EQ(compose(s), "stats\r\n");
  s.args = "slabs";
  EXPECT_EQ(compose(s), "stats slabs\r\n");
  s.op = Op::kVersion;
  EXPECT_EQ(compose(s), "version\r\n");
  s.op = Op::kFlushAll;
  EXPECT_EQ(compose(s), "flush_all\r\n");
  s.has_number = true;
  s.exptime = 10;
  EXPECT_EQ(compose(s), "flush_all 10\r\n");
  s.op = Op::kNoop;
  EXPECT_EQ(compose(s), "mn\r\n");
}

// ---------------------------------------------------------------------------------------------
// Replies.

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
