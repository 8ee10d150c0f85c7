// memcached 1.6.18's own replies (testdata/captured_replies.inc, written by testdata/capture.py)
// against the binary client half: each reply parses, whole and split at every point, into the
// neutral result written down here per case; ComposeReply of that result for the captured request
// gives memcached's bytes exactly; and the request re-composes from its neutral form exactly.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/binary/client.h"

namespace memfleet::protocol::binary {
namespace {

using protocol::ErrorDetail;
using protocol::ResultCode;

struct Captured {
  const char* name;
  std::string_view request;
  std::string_view reply;
};

const Captured kCaptured[] = {
#include "protocol/binary/testdata/captured_replies.inc"
};

// What a case's reply means. For a quiet request memcached answers with silence, `code` is what
// the silence means, and ComposeReply of it must be empty.
struct Expectation {
  ResultCode code = ResultCode::kOk;
  ErrorDetail detail = ErrorDetail::kNone;
  std::string_view value;  // get family hits
  bool check_value = false;
  uint32_t flags = 0;  // get family and touch hits
  bool check_number = false;
  uint64_t number = 0;    // incr/decr
  std::string_view text;  // version
  std::string_view key;   // getk/gatk
  size_t packets = 1;     // stats: one per stat plus the end
  bool stats = false;
  bool compose = true;  // false: the request has no neutral form to compose a reply for
};

Expectation Hit(std::string_view value, uint32_t flags, std::string_view key = {}) {
  Expectation e;
  e.code = ResultCode::kFound;
  e.value = value;
  e.check_value = true;
  e.flags = flags;
  e.key = key;
  return e;
}
Expectation Code(ResultCode code, ErrorDetail detail = ErrorDetail::kNone) {
  Expectation e;
  e.code = code;
  e.detail = detail;
  return e;
}
Expectation Number(uint64_t n) {
  Expectation e = Code(ResultCode::kFound);
  e.check_number = true;
  e.number = n;
  return e;
}
Expectation WithKey(Expectation e, std::string_view key) {
  e.key = key;
  return e;
}

std::map<std::string_view, Expectation> Expectations() {
  constexpr std::string_view v("hello\r\nworld\0\xff", 14);
  constexpr std::string_view appended = "head-THREE-tail!";
  std::map<std::string_view, Expectation> m;
  m["get_miss"] = Code(ResultCode::kNotFound);
  m["getk_miss"] = WithKey(Code(ResultCode::kNotFound), "nokey");
  m["getq_miss"] = Code(ResultCode::kNotFound);
  m["getkq_miss"] = Code(ResultCode::kNotFound);
  m["set_stored"] = Code(ResultCode::kStored);
  m["get_hit"] = Hit(v, 0xdeadbeef);
  m["getk_hit"] = Hit(v, 0xdeadbeef, "k1");
  m["getq_hit"] = Hit(v, 0xdeadbeef);
  m["getkq_hit"] = Hit(v, 0xdeadbeef, "k1");
  m["set_empty_value"] = Code(ResultCode::kStored);
  m["get_empty_value"] = Hit("", 3);
  m["setq_stored"] = Code(ResultCode::kStored);
  m["add_exists"] = Code(ResultCode::kExists);
  m["addq_exists"] = Code(ResultCode::kExists);
  m["add_stored"] = Code(ResultCode::kStored);
  m["replace_stored"] = Code(ResultCode::kStored);
  m["replace_missing"] = Code(ResultCode::kNotFound);
  m["replaceq_missing"] = Code(ResultCode::kNotFound);
  m["append_stored"] = Code(ResultCode::kStored);
  m["prepend_stored"] = Code(ResultCode::kStored);
  m["appendq_stored"] = Code(ResultCode::kStored);
  m["append_missing"] = Code(ResultCode::kNotStored);
  m["prependq_missing"] = Code(ResultCode::kNotStored);
  m["get_appended"] = Hit(appended, 7);
  m["cas_mismatch"] = Code(ResultCode::kExists);
  m["cas_missing"] = Code(ResultCode::kNotFound);
  m["cas_match"] = Code(ResultCode::kStored);
  m["replace_with_cas_mismatch"] = Code(ResultCode::kExists);
  m["delete_hit"] = Code(ResultCode::kDeleted);
  m["delete_miss"] = Code(ResultCode::kNotFound);
  m["deleteq_miss"] = Code(ResultCode::kNotFound);
  m["setq_again"] = Code(ResultCode::kStored);
  m["deleteq_hit"] = Code(ResultCode::kDeleted);
  m["delete_cas_mismatch"] = Code(ResultCode::kExists);
  m["incr_create"] = Number(10);
  m["incr_hit"] = Number(15);
  m["decr_hit"] = Number(12);
  m["decr_below_zero"] = Number(0);
  m["incr_wrap"] = Number(0xffffffffffffffffull);
  m["incrq_hit"] = Code(ResultCode::kFound);
  m["decrq_hit"] = Code(ResultCode::kFound);
  m["incr_nocreate_miss"] = Code(ResultCode::kNotFound);
  m["decr_create"] = Number(7);
  m["incrq_nocreate_miss"] = Code(ResultCode::kNotFound);
  m["incr_non_numeric"] = Code(ResultCode::kClientError, ErrorDetail::kNonNumeric);
  m["touch_hit"] = Code(ResultCode::kTouched);
  m["touch_hit"].flags = 7;
  m["touch_miss"] = Code(ResultCode::kNotFound);
  m["gat_hit"] = Hit(appended, 7);
  m["gat_miss"] = Code(ResultCode::kNotFound);
  m["gatk_hit"] = Hit(appended, 7, "k3");
  m["gatk_miss"] = WithKey(Code(ResultCode::kNotFound), "nokey");
  m["gatq_hit"] = Hit(appended, 7);
  m["gatq_miss"] = Code(ResultCode::kNotFound);
  m["gatkq_hit"] = Hit(appended, 7, "k3");
  m["gatkq_miss"] = Code(ResultCode::kNotFound);
  m["set_too_large"] = Code(ResultCode::kRemoteError, ErrorDetail::kTooLarge);
  m["setq_too_large"] = Code(ResultCode::kRemoteError, ErrorDetail::kTooLarge);
  m["noop"] = Code(ResultCode::kOk);
  m["version"] = Code(ResultCode::kOk);
  m["version"].text = "1.6.18";
  m["stat_items"] = Code(ResultCode::kOk);
  m["stat_items"].stats = true;
  m["stat_items"].packets = 29;
  m["stat_unknown"] = Code(ResultCode::kNotFound);
  m["stat_general"] = Code(ResultCode::kOk);
  m["stat_general"].stats = true;
  m["stat_general"].packets = 0;  // as many as memcached has general stats: not pinned
  m["unknown_command"] = Code(ResultCode::kClientError, ErrorDetail::kUnknownCommand);
  m["unknown_command"].compose = false;  // an unknown opcode has no neutral request
  m["verbosity"] = Code(ResultCode::kClientError, ErrorDetail::kUnknownCommand);
  m["sasl_list_mechs_disabled"] = Code(ResultCode::kClientError, ErrorDetail::kUnknownCommand);
  m["sasl_list_mechs_disabled"].compose = false;
  m["get_with_extras_invalid"] = Code(ResultCode::kClientError, ErrorDetail::kInvalidArguments);
  m["key_too_long"] = Code(ResultCode::kClientError, ErrorDetail::kInvalidArguments);
  m["flush"] = Code(ResultCode::kOk);
  m["get_after_flush"] = Code(ResultCode::kNotFound);
  m["flush_delayed"] = Code(ResultCode::kOk);
  m["flushq"] = Code(ResultCode::kOk);
  m["quit"] = Code(ResultCode::kOk);
  m["quitq"] = Code(ResultCode::kOk);
  return m;
}

// The neutral request of a captured request. VERBOSITY has no neutral form in ToNeutral (memcached
// does not implement it) but composes from a neutral kVerbosity; a get with extras fails the shape
// check, and its neutral form is the get it would be without them.
bool NeutralOf(std::string_view wire, protocol::Request* out, bool* exact) {
  Request parsed;
  ParseResult pr = ParseRequest(wire, &parsed);
  if (pr.status != ParseStatus::kOk) return false;
  *exact = CheckRequestShape(parsed) == Status::kSuccess;
  if (parsed.header.opcode == static_cast<uint8_t>(Opcode::kVerbosity)) {
    out->protocol = protocol::Protocol::kBinary;
    out->op = protocol::Op::kVerbosity;
    out->binary_opcode = parsed.header.opcode;
    out->opaque = parsed.header.opaque;
    out->args = "1";
    return true;
  }
  return ToNeutral(parsed, wire.substr(pr.consumed), out);
}

TEST(BinaryCaptured, EveryCaseHasAnExpectation) {
  std::map<std::string_view, Expectation> want = Expectations();
  EXPECT_EQ(want.size(), std::size(kCaptured));
  for (const Captured& c : kCaptured) EXPECT_TRUE(want.count(c.name)) << c.name;
}

TEST(BinaryCaptured, RequestsRecomposeExactlyFromTheirNeutralForm) {
  for (const Captured& c : kCaptured) {
    SCOPED_TRACE(c.name);
    protocol::Request req;
    bool exact = false;
    if (!NeutralOf(c.request, &req, &exact) || !exact) continue;
    std::string wire;
    ComposeRequest(req, &wire);
    EXPECT_EQ(wire, c.request);
  }
}

TEST(BinaryCaptured, RepliesParseIntoTheExpectedResultAndComposeBackExactly) {
  std::map<std::string_view, Expectation> want = Expectations();
  for (const Captured& c : kCaptured) {
    SCOPED_TRACE(c.name);
    auto it = want.find(c.name);
    ASSERT_NE(it, want.end());
    const Expectation& e = it->second;
    protocol::Request req;
    bool exact = false;
    bool have_req = NeutralOf(c.request, &req, &exact);
    if (c.reply.empty()) {  // a quiet request's silence
      ASSERT_TRUE(have_req);
      EXPECT_TRUE(req.noreply);
      protocol::Result implied;
      implied.code = e.code;
      std::string composed;
      ComposeReply(req, implied, &composed);
      EXPECT_EQ(composed, "");
      continue;
    }
    std::string composed;
    std::string_view rest = c.reply;
    size_t packets = 0;
    while (!rest.empty()) {
      protocol::Result r;
      ReplyInfo info;
      protocol::ReplyParse p = ParseReply(rest, &r, &info);
      ASSERT_EQ(p.status, protocol::ReplyStatus::kOk);
      ASSERT_GT(p.consumed, 0u);
      std::string_view packet = rest.substr(0, p.consumed);
      // Every split: ParseReply waits, and the head parse agrees once the head is there.
      for (size_t split = 0; split < packet.size(); ++split) {
        protocol::Result pr;
        ReplyInfo pi;
        ASSERT_EQ(ParseReply(packet.substr(0, split), &pr, &pi).status,
                  protocol::ReplyStatus::kIncomplete);
        protocol::ReplyParse h = ParseReplyHead(packet.substr(0, split), &pr, &pi);
        if (h.status == protocol::ReplyStatus::kOk) {
          EXPECT_EQ(h.consumed + h.value_length, packet.size());
          EXPECT_EQ(pr.code, r.code);
        } else {
          ASSERT_EQ(h.status, protocol::ReplyStatus::kIncomplete);
        }
      }
      ++packets;
      rest.remove_prefix(p.consumed);
      EXPECT_EQ(r.code, e.code);
      EXPECT_EQ(r.detail, e.detail);
      EXPECT_EQ(r.binary_opaque, DecodeHeader(c.request.data()).opaque);
      if (e.stats) {
        EXPECT_EQ(p.part, rest.empty() ? protocol::ReplyPart::kEnd : protocol::ReplyPart::kStat);
        if (!rest.empty()) {
          EXPECT_FALSE(r.key.empty());
        }
      }
      if (e.check_value) {
        EXPECT_TRUE(r.has_value);
        EXPECT_EQ(r.value, e.value);
        EXPECT_TRUE(r.has_flags);
        EXPECT_TRUE(r.has_cas);
      }
      if (e.check_value || e.code == ResultCode::kTouched) {
        EXPECT_EQ(r.client_flags, e.flags);
      }
      if (e.check_number) {
        EXPECT_TRUE(r.has_number);
        EXPECT_EQ(r.number, e.number);
      }
      EXPECT_EQ(r.text, e.text);
      if (!e.key.empty()) {
        EXPECT_EQ(r.key, e.key);
      }
      if (protocol::IsError(e.code) || (protocol::IsMiss(e.code) && e.key.empty())) {
        EXPECT_EQ(r.message, StatusText(static_cast<Status>(info.status)));
      }
      if (e.compose && have_req) ComposeReply(req, r, &composed);
    }
    if (e.packets != 0) {
      EXPECT_EQ(packets, e.packets);
    }
    if (e.compose) {
      ASSERT_TRUE(have_req);
      EXPECT_EQ(composed, c.reply);
    }
  }
}

}  // namespace
}  // namespace memfleet::protocol::binary
