// Round trips of requests through the meta client half: requests composed by ComposeRequest
// parse back through the server's own parser (text::ParseRequest, ParseMetaFlags, ToNeutral)
// into the request they came from. Replies are in client_reply_test.cc. Random cases use fixed
// seeds.
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

using testing::Base64;
using testing::Gen;

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

}  // namespace
}  // namespace memfleet::protocol::meta
