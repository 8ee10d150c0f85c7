// Test helpers shared by the text client tests (client_test.cc, client_capture_test.cc): an
// owning copy of a parsed reply element, a streaming reply reader built from ParseReplyHead and
// ValueReader, and a check that parses a reply whole and split at every byte. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/model.h"
#include "protocol/stream.h"
#include "protocol/text/client.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text::testing_util {

using protocol::ErrorDetail;
using protocol::Op;
using protocol::ReplyParse;
using protocol::ReplyPart;
using protocol::ReplyStatus;
using protocol::Result;
using protocol::ResultCode;

// ---- an owning copy of one parsed reply element, to compare parses ----

struct Elem {
  ReplyPart part = ReplyPart::kComplete;
  ResultCode code = ResultCode::kOk;
  ErrorDetail detail = ErrorDetail::kNone;
  std::string message;
  std::string key;
  std::string value;
  std::string text;
  bool has_value = false;
  bool has_flags = false;
  bool has_cas = false;
  bool has_number = false;
  uint32_t flags = 0;
  uint64_t cas = 0;
  uint64_t number = 0;

  bool operator==(const Elem&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Elem& e) {
  return os << "{part " << static_cast<int>(e.part) << " code " << ResultCodeName(e.code)
            << " detail " << static_cast<int>(e.detail) << " message '" << e.message << "' key '"
            << e.key << "' value(" << e.value.size() << ") text '" << e.text << "' flags "
            << e.flags << " cas " << e.has_cas << "/" << e.cas << " number " << e.has_number << "/"
            << e.number << "}";
}

inline Elem ToElem(ReplyPart part, const Result& r, std::string_view value) {
  Elem e;
  e.part = part;
  e.code = r.code;
  e.detail = r.detail;
  e.message = std::string(r.message);
  e.key = std::string(r.key);
  e.value = std::string(value);
  e.text = std::string(r.text);
  e.has_value = r.has_value;
  e.has_flags = r.has_flags;
  e.has_cas = r.has_cas;
  e.has_number = r.has_number;
  e.flags = r.client_flags;
  e.cas = r.cas;
  e.number = r.number;
  return e;
}

// Parses every element of buf with ParseReply; false when something is left or malformed.
inline bool ParseAll(std::string_view buf, Op op, std::vector<Elem>* out) {
  while (!buf.empty()) {
    Result r;
    const ReplyParse p = ParseReply(buf, op, &r);
    if (p.status != ReplyStatus::kOk || p.consumed == 0 || p.consumed > buf.size()) return false;
    out->push_back(ToElem(p.part, r, r.value));
    buf.remove_prefix(p.consumed);
  }
  return true;
}

// A client reading a reply stream as its bytes arrive: heads with ParseReplyHead, values with a
// ValueReader, so that a value is never needed whole in the buffer.
class StreamParser {
 public:
  explicit StreamParser(Op op) : op_(op) {}

  // Returns false when the stream is malformed.
  bool Feed(std::string_view chunk) {
    pending_.append(chunk);
    size_t pos = 0;
    while (true) {
      std::string_view rest = std::string_view(pending_).substr(pos);
      if (in_value_) {
        std::string_view data;
        const size_t used = reader_.Feed(rest, &data);
        value_.append(data);
        pos += used;
        if (reader_.bad_trailer()) return false;
        if (!reader_.done()) break;
        in_value_ = false;
        head_.value = std::string(value_);
        elems_.push_back(head_);
        continue;
      }
      if (rest.empty()) break;
      Result r;
      const ReplyParse p = ParseReplyHead(rest, op_, &r);
      if (p.status == ReplyStatus::kMalformed) return false;
      if (p.status == ReplyStatus::kIncomplete) {
        if (p.consumed != 0) return false;
        break;
      }
      if (p.consumed == 0 || p.consumed > rest.size()) return false;
      pos += p.consumed;
      if (p.has_value) {
        if (p.value_length != r.value_length || p.trailer != kCrlf) return false;
        head_ = ToElem(p.part, r, {});
        value_.clear();
        reader_.Start(p.value_length, p.trailer);
        in_value_ = true;
        continue;
      }
      elems_.push_back(ToElem(p.part, r, r.value));
    }
    pending_.erase(0, pos);
    return true;
  }

  // Everything fed was consumed: no partial head or value is pending.
  bool idle() const { return pending_.empty() && !in_value_; }
  const std::vector<Elem>& elems() const { return elems_; }

 private:
  Op op_;
  std::string pending_;
  bool in_value_ = false;
  protocol::ValueReader reader_;
  Elem head_;
  std::string value_;
  std::vector<Elem> elems_;
};

// Parses `reply` whole, then split at every byte (prefix then rest) both by streaming heads and
// by ParseReply on each prefix; all must agree. Returns the whole parse.
inline std::vector<Elem> ParseEverySplit(std::string_view reply, Op op) {
  std::vector<Elem> whole;
  EXPECT_TRUE(ParseAll(reply, op, &whole)) << "whole parse of " << testing::PrintToString(reply);
  for (size_t split = 0; split <= reply.size(); ++split) {
    StreamParser s(op);
    const bool ok = s.Feed(reply.substr(0, split)) && s.Feed(reply.substr(split));
    EXPECT_TRUE(ok && s.idle()) << "split at " << split;
    EXPECT_EQ(s.elems(), whole) << "split at " << split;
    // ParseReply on the prefix alone: incomplete, or the whole parse's first element.
    Result r;
    const ReplyParse p = ParseReply(reply.substr(0, split), op, &r);
    if (p.status == ReplyStatus::kOk) {
      EXPECT_LE(p.consumed, split);
      EXPECT_TRUE(!whole.empty() && ToElem(p.part, r, r.value) == whole[0]) << "prefix " << split;
    } else {
      EXPECT_EQ(p.status, ReplyStatus::kIncomplete) << "prefix " << split;
      EXPECT_EQ(p.consumed, 0u);
    }
    if (testing::Test::HasFailure()) break;
  }
  return whole;
}

}  // namespace memfleet::protocol::text::testing_util
