#include "reply_scanner.h"

#include <cstring>

namespace memfleet::bench {
namespace {

// Parses a decimal number at the front of s; returns false if there is none or it overflows.
bool ParseLength(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (uint64_t{1} << 40)) return false;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0 || (i < s.size() && s[i] != ' ')) return false;
  *out = v;
  return true;
}

std::string_view FirstToken(std::string_view line) {
  const size_t sp = line.find(' ');
  return sp == std::string_view::npos ? line : line.substr(0, sp);
}

ReplyScan WithData(std::string_view buf, size_t line_end, uint64_t length, ReplyScan r) {
  const size_t data_start = line_end + 2;
  if (buf.size() < data_start + length + 2) return ReplyScan{};
  if (buf[data_start + length] != '\r' || buf[data_start + length + 1] != '\n') {
    r.kind = ReplyElement::kMalformed;
    return r;
  }
  r.kind = ReplyElement::kValue;
  r.data = buf.substr(data_start, length);
  r.consumed = data_start + length + 2;
  return r;
}

}  // namespace

ReplyScan ScanReplyElement(std::string_view buf) {
  ReplyScan r;
  const void* nl = std::memchr(buf.data(), '\n', buf.size());
  if (nl == nullptr) {
    if (buf.size() > kMaxReplyLine) r.kind = ReplyElement::kMalformed;
    return r;
  }
  const size_t nl_pos = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
  if (nl_pos == 0 || buf[nl_pos - 1] != '\r') {
    r.kind = ReplyElement::kMalformed;
    return r;
  }
  const size_t line_end = nl_pos - 1;
  r.line = buf.substr(0, line_end);
  r.consumed = nl_pos + 1;
  const std::string_view tok = FirstToken(r.line);

  if (tok == "VALUE") {
    // VALUE <key> <flags> <bytes>[ <cas>]
    std::string_view rest = r.line.substr(6);
    const size_t key_end = rest.find(' ');
    if (key_end == std::string_view::npos || key_end == 0) {
      r.kind = ReplyElement::kMalformed;
      return r;
    }
    r.key = rest.substr(0, key_end);
    rest = rest.substr(key_end + 1);
    const size_t flags_end = rest.find(' ');
    uint64_t length = 0;
    if (flags_end == std::string_view::npos || !ParseLength(rest.substr(flags_end + 1), &length)) {
      r.kind = ReplyElement::kMalformed;
      return r;
    }
    return WithData(buf, line_end, length, r);
  }
  if (tok == "VA") {
    uint64_t length = 0;
    if (r.line.size() < 4 || !ParseLength(r.line.substr(3), &length)) {
      r.kind = ReplyElement::kMalformed;
      return r;
    }
    return WithData(buf, line_end, length, r);
  }
  if (tok == "END") {
    r.kind = ReplyElement::kEnd;
  } else if (tok == "STORED" || tok == "HD") {
    r.kind = ReplyElement::kStored;
  } else if (tok == "EN") {
    r.kind = ReplyElement::kMiss;
  } else if (tok == "NOT_STORED" || tok == "EXISTS" || tok == "NOT_FOUND" || tok == "NS" ||
             tok == "EX" || tok == "NF") {
    r.kind = ReplyElement::kNotStored;
  } else if (tok == "ERROR" || tok == "CLIENT_ERROR" || tok == "SERVER_ERROR") {
    r.kind = ReplyElement::kError;
  } else {
    r.kind = ReplyElement::kMalformed;
  }
  return r;
}

}  // namespace memfleet::bench
