// Round trips of the binary client half: neutral request -> ComposeRequest -> ParseRequest ->
// ToNeutral, and neutral result -> ComposeReply -> ParseReply, over random keys, values, flags,
// cas, exptimes and deltas (fixed seeds), each parsed at every split point; OpaqueMatcher.
// Replies captured from memcached are checked in client_captured_test.cc.
#include "protocol/binary/client.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace memfleet::protocol::binary {
namespace {

using protocol::ErrorDetail;
using protocol::Op;
using protocol::ResultCode;

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  uint64_t U64() { return rng_(); }
  uint32_t U32() { return static_cast<uint32_t>(rng_()); }
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Bool() { return (rng_() & 1) != 0; }
  // 1..250 bytes of characters memcached accepts in a key (no space or control characters).
  std::string Key() {
    std::string k(1 + Below(250), 'x');
    for (char& c : k) c = static_cast<char>(0x21 + Below(0x7f - 0x21));
    return k;
  }
  // 0..~64 KiB of arbitrary bytes, often with "\r\n" inside; mostly short.
  std::string Value() {
    size_t n = Below(8) == 0 ? Below(64 * 1024 + 1) : Below(100);
    std::string v(n, '\0');
    for (char& c : v) c = static_cast<char>(rng_());
    if (n >= 4) v.replace(Below(n - 1), 2, "\r\n");
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

// The binary opcodes with a neutral form, and the op each maps to.
struct OpcodeCase {
  Opcode opcode;
  Op op;
};
constexpr OpcodeCase kOpcodeCases[] = {
    {Opcode::kGet, Op::kGet},          {Opcode::kGetQ, Op::kGet},
    {Opcode::kGetK, Op::kGet},         {Opcode::kGetKQ, Op::kGet},
    {Opcode::kGat, Op::kGat},          {Opcode::kGatQ, Op::kGat},
    {Opcode::kGatK, Op::kGat},         {Opcode::kGatKQ, Op::kGat},
    {Opcode::kTouch, Op::kTouch},      {Opcode::kSet, Op::kSet},
    {Opcode::kSetQ, Op::kSet},         {Opcode::kAdd, Op::kAdd},
    {Opcode::kAddQ, Op::kAdd},         {Opcode::kReplace, Op::kReplace},
    {Opcode::kReplaceQ, Op::kReplace}, {Opcode::kSet, Op::kCas},
    {Opcode::kAdd, Op::kCas},          {Opcode::kReplaceQ, Op::kCas},
    {Opcode::kAppend, Op::kAppend},    {Opcode::kAppendQ, Op::kAppend},
    {Opcode::kPrepend, Op::kPrepend},  {Opcode::kPrependQ, Op::kPrepend},
    {Opcode::kDelete, Op::kDelete},    {Opcode::kDeleteQ, Op::kDelete},
    {Opcode::kIncrement, Op::kIncr},   {Opcode::kIncrementQ, Op::kIncr},
    {Opcode::kDecrement, Op::kDecr},   {Opcode::kDecrementQ, Op::kDecr},
    {Opcode::kNoop, Op::kNoop},        {Opcode::kVersion, Op::kVersion},
    {Opcode::kStat, Op::kStats},       {Opcode::kFlush, Op::kFlushAll},
    {Opcode::kFlushQ, Op::kFlushAll},  {Opcode::kQuit, Op::kQuit},
    {Opcode::kQuitQ, Op::kQuit},
};

// A random binary request for a case; strings it points to live in *store.
protocol::Request RandomRequest(const OpcodeCase& c, Random& rnd, std::vector<std::string>* store) {
  protocol::Request r;
  r.protocol = protocol::Protocol::kBinary;
  r.op = c.op;
  r.binary_opcode = static_cast<uint8_t>(c.opcode);
  r.noreply = DescribeOpcode(r.binary_opcode).quiet;
  r.opaque = rnd.U32();
  store->reserve(8);
  if (protocol::HasKey(c.op)) {
    store->push_back(rnd.Key());
    r.key = store->back();
  }
  switch (c.op) {
    case Op::kGat:
    case Op::kTouch:
      r.exptime = rnd.U32();
      break;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kCas:
    case Op::kAppend:
    case Op::kPrepend:
      store->push_back(rnd.Value());
      r.value = store->back();
      r.value_length = static_cast<uint32_t>(r.value.size());
      if (c.op != Op::kAppend && c.op != Op::kPrepend) {
        r.client_flags = rnd.U32();
        r.exptime = rnd.U32();
      }
      if (c.op == Op::kCas || c.op == Op::kAppend || c.op == Op::kPrepend) r.cas = rnd.U64() | 1;
      break;
    case Op::kDelete:
      if (rnd.Bool()) r.cas = rnd.U64();
      break;
    case Op::kIncr:
    case Op::kDecr:
      r.delta = rnd.U64();
      r.initial = rnd.U64();
      r.create = rnd.Bool();
      r.exptime = r.create ? rnd.U32() % kNoCreate : kNoCreate;
      if (rnd.Bool()) r.cas = rnd.U64();
      break;
    case Op::kStats:
      if (rnd.Bool()) {
        store->push_back(rnd.Key());
        r.args = store->back();
      }
      break;
    case Op::kFlushAll:
      r.has_number = rnd.Bool();
      r.exptime = r.has_number ? rnd.U32() : 0;
      break;
    default:
      break;
  }
  return r;
}

void ExpectSameRequest(const protocol::Request& a, const protocol::Request& b) {
  EXPECT_EQ(a.op, b.op);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.client_flags, b.client_flags);
  EXPECT_EQ(a.exptime, b.exptime);
  EXPECT_EQ(a.cas, b.cas);
  EXPECT_EQ(a.delta, b.delta);
  EXPECT_EQ(a.initial, b.initial);
  EXPECT_EQ(a.create, b.create);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.value_length, b.value_length);
  EXPECT_EQ(a.args, b.args);
  EXPECT_EQ(a.has_number, b.has_number);
  EXPECT_EQ(a.noreply, b.noreply);
  EXPECT_EQ(a.opaque, b.opaque);
  EXPECT_EQ(a.binary_opcode, b.binary_opcode);
}

TEST(BinaryClientRequest, EveryOpcodeRoundTripsThroughTheServerParserAtEverySplit) {
  Random rnd(20261202);
  for (int iter = 0; iter < 12; ++iter) {
    for (const OpcodeCase& c : kOpcodeCases) {
      std::vector<std::string> store;
      protocol::Request want = RandomRequest(c, rnd, &store);
      std::string wire;
      ComposeRequest(want, &wire);
      SCOPED_TRACE(OpcodeName(want.binary_opcode));
      // The head alone is the prefix of the whole request.
      std::string head;
      ComposeRequestHead(want, &head);
      ASSERT_EQ(head.size() + want.value.size(), wire.size());
      ASSERT_EQ(wire.substr(0, head.size()), head);

      Request parsed;
      ParseResult whole = ParseRequest(wire, &parsed);
      ASSERT_EQ(whole.status, ParseStatus::kOk);
      ASSERT_EQ(whole.consumed, head.size());
      ASSERT_EQ(CheckRequestShape(parsed), Status::kSuccess);
      for (size_t split = 0; split < wire.size(); ++split) {
        Request part;
        ParseResult r = ParseRequest(std::string_view(wire).substr(0, split), &part);
        if (split < whole.consumed) {
          ASSERT_EQ(r.status, ParseStatus::kIncomplete) << split;
        } else {  // the head is whole: the same parse, the value still arriving
          ASSERT_EQ(r.status, ParseStatus::kOk) << split;
          ASSERT_EQ(r.consumed, whole.consumed);
          ASSERT_EQ(part.value_length, parsed.value_length);
        }
      }
      protocol::Request got;
      ASSERT_TRUE(ToNeutral(parsed, std::string_view(wire).substr(whole.consumed), &got));
      ExpectSameRequest(got, want);
    }
  }
}

TEST(BinaryClientRequest, NeutralRequestsFromOtherProtocolsUsePlainOrQuietOpcodes) {
  protocol::Request r;
  r.protocol = protocol::Protocol::kMeta;
  r.op = Op::kGets;
  r.key = "k";
  r.noreply = true;
  uint8_t opcode = 0xff;
  ASSERT_TRUE(OpcodeFor(r, &opcode));
  EXPECT_EQ(opcode, static_cast<uint8_t>(Opcode::kGetQ));
  r.op = Op::kCas;
  r.noreply = false;
  ASSERT_TRUE(OpcodeFor(r, &opcode));
  EXPECT_EQ(opcode, static_cast<uint8_t>(Opcode::kSet));
  r.op = Op::kTouch;
  r.noreply = true;  // the protocol has no quiet touch
  ASSERT_TRUE(OpcodeFor(r, &opcode));
  EXPECT_EQ(opcode, static_cast<uint8_t>(Opcode::kTouch));
  r.op = Op::kVerbosity;  // memcached 1.6 would swallow the next request's bytes
  EXPECT_FALSE(OpcodeFor(r, &opcode));
  r.op = Op::kMetaDebug;
  EXPECT_FALSE(OpcodeFor(r, &opcode));
  std::string out;
  ComposeRequest(r, &out);
  EXPECT_TRUE(out.empty());
  // A binary request whose opcode does not fit its op composes from the op.
  r.protocol = protocol::Protocol::kBinary;
  r.op = Op::kDelete;
  r.noreply = false;
  r.binary_opcode = static_cast<uint8_t>(Opcode::kGet);
  ASSERT_TRUE(OpcodeFor(r, &opcode));
  EXPECT_EQ(opcode, static_cast<uint8_t>(Opcode::kDelete));
}

TEST(BinaryClientRequest, CasFromTextComposesAsSetWithTheCasAndComesBackAsCas) {
  protocol::Request r;
  r.protocol = protocol::Protocol::kText;
  r.op = Op::kCas;
  r.key = "key";
  r.value = "v\r\n";
  r.value_length = 3;
  r.client_flags = 9;
  r.exptime = 60;
  r.cas = 1234;
  std::string wire;
  ComposeRequest(r, &wire);
  Request parsed;
  ParseResult pr = ParseRequest(wire, &parsed);
  ASSERT_EQ(pr.status, ParseStatus::kOk);
  EXPECT_EQ(parsed.header.opcode, static_cast<uint8_t>(Opcode::kSet));
  EXPECT_EQ(parsed.header.cas, 1234u);
  protocol::Request got;
  ASSERT_TRUE(ToNeutral(parsed, std::string_view(wire).substr(pr.consumed), &got));
  EXPECT_EQ(got.op, Op::kCas);
  EXPECT_EQ(got.value, "v\r\n");
  EXPECT_EQ(got.client_flags, 9u);
  EXPECT_EQ(got.exptime, 60);
}

TEST(BinaryClientRequest, SaslAndUnknownOpcodesHaveNoNeutralForm) {
  for (uint8_t op : {uint8_t{0x20}, uint8_t{0x21}, uint8_t{0x22}, uint8_t{0x1b}, uint8_t{0x50}}) {
    Request parsed;
    parsed.header.opcode = op;
    protocol::Request out;
    EXPECT_FALSE(ToNeutral(parsed, {}, &out)) << int{op};
  }
}

// --- Replies ---------------------------------------------------------------------------------

struct ParsedReply {
  protocol::ReplyParse parse;
  protocol::Result result;
  ReplyInfo info;
};

// Parses `wire` (one packet) whole, checks that every proper prefix is incomplete for ParseReply
// and incomplete-or-the-same-head for ParseReplyHead, and that streaming the value with a
// ValueReader from the head reassembles it.
ParsedReply ParseEverySplit(std::string_view wire) {
  ParsedReply whole;
  whole.parse = ParseReply(wire, &whole.result, &whole.info);
  EXPECT_EQ(whole.parse.status, protocol::ReplyStatus::kOk);
  EXPECT_EQ(whole.parse.consumed, wire.size());
  protocol::Result head_r;
  ReplyInfo head_i;
  protocol::ReplyParse head = ParseReplyHead(wire, &head_r, &head_i);
  EXPECT_EQ(head.status, protocol::ReplyStatus::kOk);
  EXPECT_EQ(head.consumed + head.value_length, wire.size());
  EXPECT_TRUE(head.trailer.empty());
  for (size_t split = 0; split < wire.size(); ++split) {
    std::string_view prefix = wire.substr(0, split);
    protocol::Result r;
    ReplyInfo i;
    protocol::ReplyParse p = ParseReply(prefix, &r, &i);
    EXPECT_EQ(p.status, protocol::ReplyStatus::kIncomplete) << split;
    EXPECT_EQ(p.consumed, 0u);
    p = ParseReplyHead(prefix, &r, &i);
    if (split < head.consumed) {
      EXPECT_EQ(p.status, protocol::ReplyStatus::kIncomplete) << split;
    } else {
      EXPECT_EQ(p.status, protocol::ReplyStatus::kOk) << split;
      EXPECT_EQ(p.consumed, head.consumed);
      EXPECT_EQ(p.value_length, head.value_length);
      EXPECT_EQ(r.code, head_r.code);
    }
  }
  // Stream the body in uneven pieces and apply it: the same result as ParseReply.
  protocol::ValueReader reader(head.value_length, head.trailer);
  std::string body;
  std::string_view rest = wire.substr(head.consumed);
  size_t piece = 1;
  while (!rest.empty()) {
    std::string_view data;
    size_t used = reader.Feed(rest.substr(0, piece), &data);
    body.append(data);
    rest.remove_prefix(used);
    piece = piece * 3 + 1;
  }
  EXPECT_TRUE(reader.done());
  EXPECT_FALSE(reader.bad_trailer());
  EXPECT_EQ(body, wire.substr(head.consumed));
  ApplyReplyBody(head_i, wire.substr(head.consumed), &head_r);
  EXPECT_EQ(head_r.code, whole.result.code);
  EXPECT_EQ(head_r.value, whole.result.value);
  EXPECT_EQ(head_r.message, whole.result.message);
  EXPECT_EQ(head_r.number, whole.result.number);
  return whole;
}

protocol::Request BinaryRequest(Opcode opcode, Op op, std::string_view key, uint32_t opaque) {
  protocol::Request r;
  r.protocol = protocol::Protocol::kBinary;
  r.op = op;
  r.binary_opcode = static_cast<uint8_t>(opcode);
  r.noreply = DescribeOpcode(r.binary_opcode).quiet;
  r.key = key;
  r.opaque = opaque;
  return r;
}

TEST(BinaryClientReply, GetFamilyHitsAndMissesRoundTripAtEverySplit) {
  Random rnd(7);
  const Opcode gets[] = {Opcode::kGet, Opcode::kGetQ, Opcode::kGetK, Opcode::kGetKQ,
                         Opcode::kGat, Opcode::kGatQ, Opcode::kGatK, Opcode::kGatKQ};
  for (int iter = 0; iter < 6; ++iter) {
    for (Opcode opcode : gets) {
      SCOPED_TRACE(OpcodeName(static_cast<uint8_t>(opcode)));
      std::string key = rnd.Key();
      std::string value = rnd.Value();
      bool gat = opcode == Opcode::kGat || opcode == Opcode::kGatQ || opcode == Opcode::kGatK ||
                 opcode == Opcode::kGatKQ;
      protocol::Request req = BinaryRequest(opcode, gat ? Op::kGat : Op::kGet, key, rnd.U32());
      bool with_key = opcode == Opcode::kGetK || opcode == Opcode::kGetKQ ||
                      opcode == Opcode::kGatK || opcode == Opcode::kGatKQ;
      protocol::Result hit;
      hit.code = ResultCode::kFound;
      hit.has_value = true;
      hit.value = value;
      hit.has_flags = true;
      hit.client_flags = rnd.U32();
      hit.has_cas = true;
      hit.cas = rnd.U64() | 1;
      std::string wire;
      ComposeReply(req, hit, &wire);
      ParsedReply got = ParseEverySplit(wire);
      EXPECT_EQ(got.result.code, ResultCode::kFound);
      EXPECT_EQ(got.result.value, value);
      EXPECT_TRUE(got.result.has_value);
      EXPECT_EQ(got.result.client_flags, hit.client_flags);
      EXPECT_EQ(got.result.cas, hit.cas);
      EXPECT_EQ(got.result.binary_opaque, req.opaque);
      EXPECT_EQ(got.info.opcode, static_cast<uint8_t>(opcode));
      EXPECT_EQ(got.result.key, with_key ? std::string_view(key) : std::string_view());

      protocol::Result miss;
      miss.code = ResultCode::kNotFound;
      std::string miss_wire;
      ComposeReply(req, miss, &miss_wire);
      if (req.noreply) {
        EXPECT_TRUE(miss_wire.empty());  // a quiet get's miss is silent
        continue;
      }
      ParsedReply m = ParseEverySplit(miss_wire);
      EXPECT_EQ(m.result.code, ResultCode::kNotFound);
      EXPECT_EQ(m.result.key, with_key ? std::string_view(key) : std::string_view());
      EXPECT_EQ(m.result.message, with_key ? "" : kTextKeyNotFound);
    }
  }
}

TEST(BinaryClientReply, StorageDeleteTouchAndDeltaRepliesRoundTrip) {
  Random rnd(11);
  struct Form {
    Opcode opcode;
    Op op;
    ResultCode code;
    ErrorDetail detail;
    ResultCode parsed_code;  // binary folds some outcomes (add not stored -> exists)
  };
  const Form forms[] = {
      {Opcode::kSet, Op::kSet, ResultCode::kStored, ErrorDetail::kNone, ResultCode::kStored},
      {Opcode::kSet, Op::kCas, ResultCode::kExists, ErrorDetail::kNone, ResultCode::kExists},
      {Opcode::kSet, Op::kCas, ResultCode::kNotFound, ErrorDetail::kNone, ResultCode::kNotFound},
      {Opcode::kAdd, Op::kAdd, ResultCode::kNotStored, ErrorDetail::kNone, ResultCode::kExists},
      {Opcode::kReplace, Op::kReplace, ResultCode::kNotStored, ErrorDetail::kNone,
       ResultCode::kNotFound},
      {Opcode::kAppend, Op::kAppend, ResultCode::kNotStored, ErrorDetail::kNone,
       ResultCode::kNotStored},
      {Opcode::kPrependQ, Op::kPrepend, ResultCode::kStored, ErrorDetail::kNone,
       ResultCode::kStored},
      {Opcode::kSetQ, Op::kSet, ResultCode::kRemoteError, ErrorDetail::kTooLarge,
       ResultCode::kRemoteError},
      {Opcode::kSet, Op::kSet, ResultCode::kRemoteError, ErrorDetail::kOutOfMemory,
       ResultCode::kRemoteError},
      {Opcode::kDelete, Op::kDelete, ResultCode::kDeleted, ErrorDetail::kNone,
       ResultCode::kDeleted},
      {Opcode::kDeleteQ, Op::kDelete, ResultCode::kNotFound, ErrorDetail::kNone,
       ResultCode::kNotFound},
      {Opcode::kTouch, Op::kTouch, ResultCode::kTouched, ErrorDetail::kNone, ResultCode::kTouched},
      {Opcode::kIncrement, Op::kIncr, ResultCode::kFound, ErrorDetail::kNone, ResultCode::kFound},
      {Opcode::kDecrement, Op::kDecr, ResultCode::kClientError, ErrorDetail::kNonNumeric,
       ResultCode::kClientError},
      {Opcode::kIncrementQ, Op::kIncr, ResultCode::kFound, ErrorDetail::kNone, ResultCode::kFound},
      {Opcode::kNoop, Op::kNoop, ResultCode::kOk, ErrorDetail::kNone, ResultCode::kOk},
      {Opcode::kFlush, Op::kFlushAll, ResultCode::kOk, ErrorDetail::kNone, ResultCode::kOk},
      {Opcode::kQuitQ, Op::kQuit, ResultCode::kOk, ErrorDetail::kNone, ResultCode::kOk},
      {Opcode::kGet, Op::kGet, ResultCode::kClientError, ErrorDetail::kUnknownCommand,
       ResultCode::kClientError},
      {Opcode::kGet, Op::kGet, ResultCode::kClientError, ErrorDetail::kInvalidArguments,
       ResultCode::kClientError},
  };
  for (int iter = 0; iter < 4; ++iter) {
    for (const Form& f : forms) {
      SCOPED_TRACE(std::string(OpcodeName(static_cast<uint8_t>(f.opcode))) + " " +
                   std::string(protocol::ResultCodeName(f.code)));
      std::string key = rnd.Key();
      protocol::Request req = BinaryRequest(f.opcode, f.op, key, rnd.U32());
      protocol::Result r;
      r.code = f.code;
      r.detail = f.detail;
      r.cas = f.code == ResultCode::kStored || f.code == ResultCode::kFound ||
                      f.code == ResultCode::kTouched
                  ? rnd.U64() | 1
                  : 0;
      r.has_cas = r.cas != 0;
      r.client_flags = f.op == Op::kTouch ? rnd.U32() : 0;
      r.has_number = f.op == Op::kIncr && f.code == ResultCode::kFound;
      r.number = r.has_number ? rnd.U64() : 0;
      std::string wire;
      ComposeReply(req, r, &wire);
      if (req.noreply && !protocol::IsError(f.code) && !protocol::IsMiss(f.code)) {
        EXPECT_TRUE(wire.empty());
        continue;
      }
      ParsedReply got = ParseEverySplit(wire);
      EXPECT_EQ(got.result.code, f.parsed_code);
      EXPECT_EQ(got.result.detail, f.detail);
      EXPECT_EQ(got.result.cas, r.cas);
      EXPECT_EQ(got.result.number, r.number);
      EXPECT_EQ(got.result.has_number, r.has_number);
      if (f.op == Op::kTouch) {
        EXPECT_EQ(got.result.client_flags, r.client_flags);
      }
      if (protocol::IsError(f.code) || protocol::IsMiss(f.code)) {
        EXPECT_EQ(got.result.message, StatusText(static_cast<Status>(got.info.status)));
      }
      // Composing the parsed result again gives the same bytes.
      std::string again;
      ComposeReply(req, got.result, &again);
      EXPECT_EQ(again, wire);
    }
  }
}

TEST(BinaryClientReply, StatsPacketsVersionAndEnd) {
  protocol::Request req = BinaryRequest(Opcode::kStat, Op::kStats, {}, 42);
  protocol::Result stat;
  stat.key = "curr_items";
  stat.value = "17";
  stat.has_value = true;
  std::string wire;
  ComposeReply(req, stat, &wire);
  ParsedReply got = ParseEverySplit(wire);
  EXPECT_EQ(got.parse.part, protocol::ReplyPart::kStat);
  EXPECT_EQ(got.result.key, "curr_items");
  EXPECT_EQ(got.result.value, "17");
  // A text upstream's "name value" composes to the same packet.
  protocol::Result text_stat;
  text_stat.text = "curr_items 17";
  std::string from_text;
  ComposeReply(req, text_stat, &from_text);
  EXPECT_EQ(from_text, wire);
  std::string end;
  ComposeReply(req, protocol::Result{}, &end);
  ParsedReply e = ParseEverySplit(end);
  EXPECT_EQ(e.parse.part, protocol::ReplyPart::kEnd);
  EXPECT_EQ(end.size(), kHeaderSize);

  protocol::Request vreq = BinaryRequest(Opcode::kVersion, Op::kVersion, {}, 5);
  protocol::Result version;
  version.text = "1.6.18";
  std::string vwire;
  ComposeReply(vreq, version, &vwire);
  ParsedReply v = ParseEverySplit(vwire);
  EXPECT_EQ(v.result.code, ResultCode::kOk);
  EXPECT_EQ(v.result.text, "1.6.18");
}

TEST(BinaryClientReply, RouterFailuresAreTemporaryFailuresWithShortTexts) {
  protocol::Request req = BinaryRequest(Opcode::kGetQ, Op::kGet, "k", 9);
  const std::pair<ResultCode, std::string_view> cases[] = {
      {ResultCode::kTimeout, kTextRouterTimeout},
      {ResultCode::kConnectTimeout, kTextRouterConnectTimeout},
      {ResultCode::kConnectError, kTextRouterConnectError},
      {ResultCode::kTko, kTextRouterTko},
  };
  for (const auto& [code, text] : cases) {
    protocol::Result r;
    r.code = code;
    std::string wire;
    ComposeReply(req, r, &wire);  // errors are sent even for quiet requests
    ParsedReply got = ParseEverySplit(wire);
    EXPECT_EQ(got.info.status, static_cast<uint16_t>(Status::kTemporaryFailure));
    EXPECT_EQ(got.result.code, ResultCode::kRemoteError);
    EXPECT_EQ(got.result.message, text);
  }
  // A text upstream's whole error line is not a binary body: memcached's own text is sent.
  protocol::Result oom;
  oom.code = ResultCode::kRemoteError;
  oom.detail = ErrorDetail::kOutOfMemory;
  oom.message = "SERVER_ERROR out of memory storing object";
  std::string wire;
  ComposeReply(BinaryRequest(Opcode::kSet, Op::kSet, "k", 1), oom, &wire);
  EXPECT_EQ(wire.substr(kHeaderSize), kTextOutOfMemory);
}

TEST(BinaryClientReply, MalformedPacketsAreRefused) {
  protocol::Result r;
  ReplyInfo i;
  std::string bad_magic(kHeaderSize, '\0');
  bad_magic[0] = static_cast<char>(kRequestMagic);
  EXPECT_EQ(ParseReply(bad_magic, &r, &i).status, protocol::ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReplyHead(bad_magic.substr(0, 1), &r, &i).status,
            protocol::ReplyStatus::kMalformed);
  std::string key_past_body(kHeaderSize, '\0');
  EncodeResponseHeader(key_past_body.data(), 0, Status::kSuccess, 10, 4, 8, 0, 0);
  EXPECT_EQ(ParseReply(key_past_body, &r, &i).status, protocol::ReplyStatus::kMalformed);
  EXPECT_EQ(ParseReply({}, &r, &i).status, protocol::ReplyStatus::kIncomplete);
}

// --- OpaqueMatcher ---------------------------------------------------------------------------

TEST(OpaqueMatcher, QuietRequestsBeforeAResponseAreAnsweredBySilence) {
  OpaqueMatcher m(4);
  ASSERT_TRUE(m.Push(1, true, 100));   // getq
  ASSERT_TRUE(m.Push(2, true, 101));   // setq
  ASSERT_TRUE(m.Push(3, false, 102));  // get
  ASSERT_TRUE(m.Push(4, false, 103));  // noop
  EXPECT_TRUE(m.full());
  EXPECT_FALSE(m.Push(5, false));
  OpaqueMatcher::Match r = m.Find(3);
  ASSERT_EQ(r.status, OpaqueMatcher::MatchStatus::kAnswered);
  EXPECT_EQ(r.implicit, 2u);
  EXPECT_EQ(m.size(), 4u);  // Find changes nothing
  EXPECT_EQ(m.Front().tag, 100u);
  m.PopFront();
  EXPECT_EQ(m.Front().tag, 101u);
  m.PopFront();
  EXPECT_EQ(m.Front().tag, 102u);
  m.PopFront();
  // The ring wraps.
  ASSERT_TRUE(m.Push(6, true, 104));
  ASSERT_TRUE(m.Push(7, true, 105));
  r = m.Find(4);
  EXPECT_EQ(r.status, OpaqueMatcher::MatchStatus::kAnswered);
  EXPECT_EQ(r.implicit, 0u);
  m.PopFront();
  // A quiet request's error response answers it directly; a noop closes the rest.
  ASSERT_TRUE(m.Push(8, false, 106));
  r = m.Find(7);
  EXPECT_EQ(r.status, OpaqueMatcher::MatchStatus::kAnswered);
  EXPECT_EQ(r.implicit, 1u);
  r = m.Find(8);
  EXPECT_EQ(r.implicit, 2u);
}

TEST(OpaqueMatcher, AResponseThatSkipsALoudRequestOrIsUnknownIsOutOfStep) {
  OpaqueMatcher m(8);
  m.Push(1, false);
  m.Push(2, false);
  EXPECT_EQ(m.Find(2).status, OpaqueMatcher::MatchStatus::kSkipped);
  EXPECT_EQ(m.Find(9).status, OpaqueMatcher::MatchStatus::kUnknown);
  EXPECT_EQ(m.Find(1).status, OpaqueMatcher::MatchStatus::kAnswered);
  OpaqueMatcher none(0);
  EXPECT_FALSE(none.Push(1, false));
  EXPECT_EQ(none.Find(1).status, OpaqueMatcher::MatchStatus::kUnknown);
  none.PopFront();  // harmless on an empty matcher
}

TEST(OpaqueMatcher, RandomQuietAndLoudSequencesMatchInOrder) {
  Random rnd(3);
  OpaqueMatcher m(64);
  std::vector<std::pair<uint32_t, bool>> sent;  // the model: opaque, quiet
  uint32_t next = 1;
  for (int step = 0; step < 2000; ++step) {
    if (!m.full() && rnd.Below(3) != 0) {
      bool quiet = rnd.Bool();
      ASSERT_TRUE(m.Push(next, quiet, next));
      sent.emplace_back(next++, quiet);
      continue;
    }
    if (sent.empty()) continue;
    // The server answers: some quiet requests stay silent, then the first that replies.
    size_t i = 0;
    while (i < sent.size() && sent[i].second && rnd.Bool()) ++i;
    if (i == sent.size()) continue;
    OpaqueMatcher::Match r = m.Find(sent[i].first);
    ASSERT_EQ(r.status, OpaqueMatcher::MatchStatus::kAnswered);
    ASSERT_EQ(r.implicit, i);
    for (size_t k = 0; k <= i; ++k) {
      ASSERT_EQ(m.Front().opaque, sent[k].first);
      m.PopFront();
    }
    sent.erase(sent.begin(), sent.begin() + static_cast<std::ptrdiff_t>(i + 1));
    ASSERT_EQ(m.size(), sent.size());
  }
}

}  // namespace
}  // namespace memfleet::protocol::binary
