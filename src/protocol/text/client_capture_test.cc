// Replies captured from memcached 1.6.18 (testdata/captured_replies.inc, written by
// testdata/capture.py): each must parse, whole and split at every byte, into the neutral results
// written below per case, and composing those results for the case's request must give
// memcached's bytes exactly. Cases where memcached sends nothing (noreply) check that the
// composer sends nothing for the outcome the request had.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/text/client.h"
#include "protocol/text/client_test_util.h"
#include "protocol/text/request.h"

namespace memfleet::protocol::text {
namespace {

using namespace std::string_view_literals;
using protocol::ErrorDetail;
using protocol::Op;
using protocol::ReplyPart;
using protocol::Result;
using protocol::ResultCode;
using testing_util::Elem;
using testing_util::ParseEverySplit;

struct Captured {
  std::string_view name;
  std::string_view request;
  std::string_view reply;
};

constexpr Captured kCaptured[] = {
#include "protocol/text/testdata/captured_replies.inc"
};

struct Want {
  ReplyPart part;
  ResultCode code;
  ErrorDetail detail = ErrorDetail::kNone;
};

constexpr Want V{ReplyPart::kValue, ResultCode::kFound};
constexpr Want S{ReplyPart::kStat, ResultCode::kOk};
constexpr Want E{ReplyPart::kEnd, ResultCode::kOk};
constexpr Want C(ResultCode code, ErrorDetail detail = ErrorDetail::kNone) {
  return {ReplyPart::kComplete, code, detail};
}

struct CaseWant {
  std::string_view name;
  std::vector<Want> parts;
  // Suppressed outcome: memcached sent nothing for it (noreply); ComposeReply must not either.
  bool quiet = false;
  Want quiet_outcome = C(ResultCode::kOk);
  bool stat_lines = false;  // any number of STAT lines, then END
};

const std::vector<CaseWant>& Wants() {
  using RC = ResultCode;
  using ED = ErrorDetail;
  static const std::vector<CaseWant> wants = {
      {"get_hit", {V, E}},
      {"get_miss", {E}},
      {"get_multi", {V, V, E}},
      {"get_empty_value", {V, E}},
      {"get_binary_value", {V, E}},
      {"get_big_value", {V, E}},
      {"get_key_250", {V, E}},
      {"get_key_too_long", {C(RC::kClientError, ED::kInvalidArguments)}},
      {"gets_hit", {V, E}},
      {"gets_multi_miss", {E}},
      {"gat_hit", {V, E}},
      {"gats_hit", {V, E}},
      {"gat_miss", {E}},
      {"gat_bad_exptime", {C(RC::kClientError, ED::kOther)}},
      {"set_stored", {C(RC::kStored)}},
      {"set_binary_stored", {C(RC::kStored)}},
      {"set_noreply", {}, true, C(RC::kStored)},
      {"set_negative_length", {C(RC::kClientError, ED::kInvalidArguments)}},
      {"set_negative_length_noreply", {}, true, C(RC::kClientError, ED::kInvalidArguments)},
      {"set_too_large", {C(RC::kRemoteError, ED::kTooLarge)}},
      {"set_too_large_noreply", {}, true, C(RC::kRemoteError, ED::kTooLarge)},
      // The bad chunk's leftover bytes are read as a line of their own: "ERROR".
      {"set_bad_data_chunk",
       {C(RC::kClientError, ED::kBadDataChunk), C(RC::kClientError, ED::kUnknownCommand)}},
      {"set_bad_data_chunk_noreply",
       {C(RC::kClientError, ED::kUnknownCommand)},
       true,
       C(RC::kClientError, ED::kBadDataChunk)},
      {"set_wrong_token_count", {C(RC::kClientError, ED::kUnknownCommand)}},
      {"add_stored", {C(RC::kStored)}},
      {"add_not_stored", {C(RC::kNotStored)}},
      {"replace_stored", {C(RC::kStored)}},
      {"replace_not_stored", {C(RC::kNotStored)}},
      {"append_stored", {C(RC::kStored)}},
      {"append_not_stored", {C(RC::kNotStored)}},
      {"prepend_stored", {C(RC::kStored)}},
      {"prepend_not_stored", {C(RC::kNotStored)}},
      {"cas_stored", {C(RC::kStored)}},
      {"cas_exists", {C(RC::kExists)}},
      {"cas_not_found", {C(RC::kNotFound)}},
      {"cas_noreply", {}, true, C(RC::kExists)},
      {"delete_deleted", {C(RC::kDeleted)}},
      {"delete_not_found", {C(RC::kNotFound)}},
      {"delete_noreply", {}, true, C(RC::kDeleted)},
      {"delete_zero_hold", {C(RC::kDeleted)}},
      {"delete_hold_refused", {C(RC::kClientError, ED::kOther)}},
      {"touch_touched", {C(RC::kTouched)}},
      {"touch_not_found", {C(RC::kNotFound)}},
      {"touch_noreply", {}, true, C(RC::kTouched)},
      {"incr_hit", {C(RC::kFound)}},
      {"incr_wraps", {C(RC::kFound)}},
      {"incr_big_delta", {C(RC::kFound)}},
      {"decr_hit", {C(RC::kFound)}},
      {"decr_floor_zero", {C(RC::kFound)}},
      {"incr_not_found", {C(RC::kNotFound)}},
      {"incr_non_numeric", {C(RC::kClientError, ED::kNonNumeric)}},
      {"decr_non_numeric", {C(RC::kClientError, ED::kNonNumeric)}},
      {"incr_bad_delta", {C(RC::kClientError, ED::kOther)}},
      {"incr_noreply", {}, true, C(RC::kFound)},
      {"incr_non_numeric_noreply", {}, true, C(RC::kClientError, ED::kNonNumeric)},
      {"unknown_command", {C(RC::kClientError, ED::kUnknownCommand)}},
      {"unknown_command_noreply", {C(RC::kClientError, ED::kUnknownCommand)}},
      {"empty_line", {C(RC::kClientError, ED::kUnknownCommand)}},
      {"stats_settings", {}, false, C(RC::kOk), true},
      {"stats_sizes", {S, E}},
      {"stats_reset", {C(RC::kOk)}},
      {"stats_detail_on", {C(RC::kOk)}},
      {"stats_detail_off", {C(RC::kOk)}},
      {"stats_unknown", {C(RC::kClientError, ED::kUnknownCommand)}},
      {"version", {C(RC::kOk)}},
      {"verbosity", {C(RC::kOk)}},
      {"verbosity_noreply", {}, true, C(RC::kOk)},
      {"flush_all", {C(RC::kOk)}},
      {"flush_all_delay", {C(RC::kOk)}},
      {"flush_all_noreply", {}, true, C(RC::kOk)},
      {"flush_all_bad_delay", {C(RC::kClientError, ED::kOther)}},
      {"noop", {C(RC::kOk)}},
      {"quit", {}, true, C(RC::kOk)},
  };
  return wants;
}

Result FromElem(const Elem& e) {
  Result r;
  r.code = e.code;
  r.detail = e.detail;
  r.message = e.message;
  r.has_value = e.has_value;
  r.value = e.value;
  r.value_length = static_cast<uint32_t>(e.value.size());
  r.has_flags = e.has_flags;
  r.client_flags = e.flags;
  r.has_cas = e.has_cas;
  r.cas = e.cas;
  r.has_number = e.has_number;
  r.number = e.number;
  r.key = e.key;
  r.text = e.text;
  return r;
}

// The neutral request a captured request line maps to (a line without a neutral form, e.g. an
// unknown command, keeps the default get: every op parses "ERROR" alike).
protocol::Request RequestOf(std::string_view bytes) {
  Request parsed;
  ParseRequest(bytes, &parsed);
  protocol::Request req;
  if (!ToNeutral(parsed, &req)) {
    req = protocol::Request{};
    req.noreply = parsed.noreply;
    if (parsed.command == Command::kMetaNoop) req.op = Op::kNoop;
  }
  return req;
}

TEST(TextClientCaptured, EveryCaseHasExpectations) {
  ASSERT_EQ(std::size(kCaptured), Wants().size());
  for (size_t i = 0; i < std::size(kCaptured); ++i) {
    EXPECT_EQ(kCaptured[i].name, Wants()[i].name);
  }
}

TEST(TextClientCaptured, RepliesParseIntoTheExpectedResultsAndComposeBackExactly) {
  ASSERT_EQ(std::size(kCaptured), Wants().size());
  for (size_t i = 0; i < std::size(kCaptured); ++i) {
    const Captured& c = kCaptured[i];
    const CaseWant& want = Wants()[i];
    SCOPED_TRACE(testing::Message() << "case " << c.name);
    const protocol::Request req = RequestOf(c.request);
    const std::vector<Elem> got = ParseEverySplit(c.reply, req.op);
    if (want.stat_lines) {
      ASSERT_GE(got.size(), 2u);
      for (size_t j = 0; j + 1 < got.size(); ++j) {
        EXPECT_EQ(got[j].part, ReplyPart::kStat);
        EXPECT_NE(got[j].text.find(' '), std::string::npos);
      }
      EXPECT_EQ(got.back().part, ReplyPart::kEnd);
    } else {
      ASSERT_EQ(got.size(), want.parts.size());
      for (size_t j = 0; j < got.size(); ++j) {
        EXPECT_EQ(got[j].part, want.parts[j].part) << j;
        EXPECT_EQ(got[j].code, want.parts[j].code) << j;
        EXPECT_EQ(got[j].detail, want.parts[j].detail) << j;
        if (protocol::IsError(got[j].code)) {
          // The message is the whole line.
          EXPECT_TRUE(c.reply.find(got[j].message + "\r\n") != std::string_view::npos);
        }
      }
    }

    // Compose the parsed results back: memcached's bytes exactly.
    std::string composed;
    for (const Elem& e : got) {
      const Result r = FromElem(e);
      switch (e.part) {
        case ReplyPart::kValue:
          ComposeValue(e.key, r, req.op == Op::kGets || req.op == Op::kGats, &composed);
          break;
        case ReplyPart::kStat:
          ComposeStat(r, &composed);
          break;
        case ReplyPart::kEnd:
          ComposeEnd(&composed);
          break;
        case ReplyPart::kComplete: {
          ComposeReply(req, r, &composed);
          // The words for code and detail alone are memcached's too, unless the error says
          // something the neutral model has no name for (kOther).
          if (protocol::IsError(e.code) && e.detail != ErrorDetail::kOther) {
            Result bare = r;
            bare.message = {};
            std::string from_words;
            ComposeReply(req, bare, &from_words);
            EXPECT_EQ(from_words, e.message + "\r\n");
          }
          break;
        }
      }
    }
    EXPECT_EQ(composed, c.reply);

    // A single-key retrieval composed by ComposeReply in one call is the same bytes.
    if (protocol::IsRetrieval(req.op) && !got.empty() && got.back().part == ReplyPart::kEnd &&
        got.size() <= 2 && req.keys == req.key) {
      Result r;
      r.code = ResultCode::kNotFound;
      if (got.size() == 2) r = FromElem(got[0]);
      std::string one;
      ComposeReply(req, r, &one);
      EXPECT_EQ(one, c.reply);
    }

    if (want.quiet) {
      Result r;
      r.code = want.quiet_outcome.code;
      r.detail = want.quiet_outcome.detail;
      if (r.code == ResultCode::kFound) {
        r.has_number = true;
        r.number = 6;
      }
      std::string none;
      ComposeReply(req, r, &none);
      EXPECT_EQ(none, "") << "suppressed outcome";
    }
  }
}

TEST(TextClientCaptured, FieldsOfSelectedReplies) {
  auto parse = [](std::string_view name) {
    for (const Captured& c : kCaptured) {
      if (c.name == name) {
        std::vector<Elem> elems;
        EXPECT_TRUE(testing_util::ParseAll(c.reply, RequestOf(c.request).op, &elems));
        return elems;
      }
    }
    ADD_FAILURE() << "no case " << name;
    return std::vector<Elem>{};
  };
  std::vector<Elem> e = parse("get_hit");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].key, "g1");
  EXPECT_EQ(e[0].value, "hello");
  EXPECT_EQ(e[0].flags, 5u);
  EXPECT_FALSE(e[0].has_cas);
  e = parse("get_binary_value");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].flags, 4294967295u);
  EXPECT_EQ(e[0].value.size(), 278u);
  EXPECT_EQ(e[0].value.substr(256), "\r\nEND\r\nVALUE x 0 1\r\n\r\n");
  e = parse("gats_hit");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_TRUE(e[0].has_cas);
  EXPECT_NE(e[0].cas, 0u);
  EXPECT_EQ(e[0].value, "touch me too");
  e = parse("get_multi");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].key, "gm1");
  EXPECT_EQ(e[1].key, "gm2");
  EXPECT_EQ(e[1].flags, 2u);
  e = parse("incr_big_delta");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].has_number);
  EXPECT_EQ(e[0].number, UINT64_MAX);
  e = parse("decr_floor_zero");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].number, 0u);
  e = parse("version");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].text, "1.6.18");
  e = parse("stats_sizes");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].text, "sizes_status disabled");
  e = parse("set_too_large");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].message, "SERVER_ERROR object too large for cache");
}

}  // namespace
}  // namespace memfleet::protocol::text
