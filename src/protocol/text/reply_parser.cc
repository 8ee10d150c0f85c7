// The text protocol's client half, parsing: one reply head (or whole reply element) at the front
// of a buffer, for the Op of the request it answers. Strict on purpose: a reply that does not fit
// the grammar or the Op means the stream is out of step, and the connection must be dropped
// rather than a value be taken from the wrong bytes.
#include <cstring>

#include "protocol/text/client.h"
#include "protocol/text/reply.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text {
namespace {

using protocol::ErrorDetail;
using protocol::Op;
using protocol::ReplyParse;
using protocol::ReplyPart;
using protocol::ReplyStatus;
using protocol::Result;
using protocol::ResultCode;

// Strict decimal: 1..20 digits, no sign, no spaces, no overflow.
bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > kUint64MaxDigits) return false;
  uint64_t v = 0;
  if (s.size() < kUint64MaxDigits) {
    // Fewer digits than UINT64_MAX has cannot overflow: no check per digit (flags and lengths
    // of every VALUE line a router reads).
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return true;
  }
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

bool ParseDigits32(std::string_view s, uint32_t* out) {
  uint64_t v;
  if (!ParseDigits(s, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Splits the next space-separated token off *rest; false when it would be empty.
bool NextToken(std::string_view* rest, std::string_view* token) {
  const size_t space = rest->find(' ');
  *token = rest->substr(0, space);
  *rest = space == std::string_view::npos ? std::string_view() : rest->substr(space + 1);
  return !token->empty();
}

// The line (without "\r\n") is `word` alone or `word` followed by a space and more.
bool IsWordLine(std::string_view line, std::string_view word) {
  return line.starts_with(word) && (line.size() == word.size() || line[word.size()] == ' ');
}

// The class words, from the prefixes the composers use ("CLIENT_ERROR " without its space).
constexpr std::string_view kClientErrorWord =
    kClientErrorPrefix.substr(0, kClientErrorPrefix.size() - 1);
constexpr std::string_view kServerErrorWord =
    kServerErrorPrefix.substr(0, kServerErrorPrefix.size() - 1);

ErrorDetail ClientErrorDetail(std::string_view line) {
  if (line == kErrorNonNumeric) return ErrorDetail::kNonNumeric;
  if (line == kErrorBadDataChunk) return ErrorDetail::kBadDataChunk;
  if (line == kErrorBadFormat) return ErrorDetail::kInvalidArguments;
  return ErrorDetail::kOther;
}

ErrorDetail ServerErrorDetail(std::string_view line) {
  if (line == kErrorTooLarge) return ErrorDetail::kTooLarge;
  if (line.starts_with(kErrorOutOfMemory) || line == kErrorOutOfMemoryNewItem) {
    return ErrorDetail::kOutOfMemory;
  }
  return ErrorDetail::kOther;
}

// Error lines are the same whatever the Op. Returns false when `line` is not one.
bool ParseErrorLine(std::string_view line, Result* r) {
  if (line == kErrorUnknownCommand) {
    r->code = ResultCode::kClientError;
    r->detail = ErrorDetail::kUnknownCommand;
  } else if (line.starts_with(kErrorPrefix)) {
    // "ERROR <reason>": too many connections, or an admin command refused.
    r->code = ResultCode::kRemoteError;
    r->detail = ErrorDetail::kOther;
  } else if (IsWordLine(line, kClientErrorWord)) {
    r->code = ResultCode::kClientError;
    r->detail = ClientErrorDetail(line);
  } else if (IsWordLine(line, kServerErrorWord)) {
    r->code = ResultCode::kRemoteError;
    r->detail = ServerErrorDetail(line);
  } else {
    return false;
  }
  r->message = line;
  return true;
}

// "VALUE <key> <flags> <bytes>[ <cas>]" after the prefix: single spaces, nothing else.
bool ParseValueLine(std::string_view rest, Result* r, ReplyParse* p) {
  if (rest.ends_with(' ')) return false;
  std::string_view key;
  std::string_view flags;
  std::string_view bytes;
  if (!NextToken(&rest, &key) || key.size() > kKeyMaxLength) return false;
  if (!NextToken(&rest, &flags) || !ParseDigits32(flags, &r->client_flags)) return false;
  if (!NextToken(&rest, &bytes) || !ParseDigits32(bytes, &r->value_length)) return false;
  if (!rest.empty()) {
    std::string_view cas;
    if (!NextToken(&rest, &cas) || !rest.empty() || !ParseDigits(cas, &r->cas)) return false;
    r->has_cas = true;
  }
  r->code = ResultCode::kFound;
  r->key = key;
  r->has_flags = true;
  r->has_value = true;
  p->part = ReplyPart::kValue;
  p->has_value = true;
  p->value_length = r->value_length;
  p->trailer = kCrlf;
  return true;
}

// The status words of storage, delete, touch, flush_all, verbosity and incr/decr misses.
bool ParseStatusWord(std::string_view line_crlf, Result* r) {
  struct Word {
    std::string_view line;
    ResultCode code;
  };
  static constexpr Word kWords[] = {
      {kReplyStored, ResultCode::kStored},   {kReplyNotStored, ResultCode::kNotStored},
      {kReplyExists, ResultCode::kExists},   {kReplyNotFound, ResultCode::kNotFound},
      {kReplyDeleted, ResultCode::kDeleted}, {kReplyTouched, ResultCode::kTouched},
      {kReplyOk, ResultCode::kOk},
  };
  for (const Word& w : kWords) {
    if (line_crlf == w.line) {
      r->code = w.code;
      return true;
    }
  }
  return false;
}

bool IsRetrievalOp(Op op) {
  return op == Op::kGet || op == Op::kGets || op == Op::kGat || op == Op::kGats;
}

// One head line (without "\r\n") for `op`, not an error line.
bool ParseOpLine(std::string_view line, std::string_view line_crlf, Op op, Result* r,
                 ReplyParse* p) {
  switch (op) {
    case Op::kGet:
    case Op::kGets:
    case Op::kGat:
    case Op::kGats:
      if (line_crlf == kReplyEnd) {
        p->part = ReplyPart::kEnd;
        return true;
      }
      if (!line.starts_with(kReplyValuePrefix)) return false;
      return ParseValueLine(line.substr(kReplyValuePrefix.size()), r, p);
    case Op::kStats:
      if (line_crlf == kReplyEnd) {
        p->part = ReplyPart::kEnd;
        return true;
      }
      if (line.starts_with(kReplyStatPrefix)) {
        r->text = line.substr(kReplyStatPrefix.size());
        p->part = ReplyPart::kStat;
        return true;
      }
      if (line.starts_with(kReplyItemPrefix) || line.starts_with(kReplyPrefixPrefix)) {
        r->text = line;
        p->part = ReplyPart::kStat;
        return true;
      }
      return line_crlf == kReplyReset || line_crlf == kReplyOk;  // reset; detail on|off
    case Op::kVersion:
      if (!line.starts_with(kReplyVersionPrefix)) return false;
      r->text = line.substr(kReplyVersionPrefix.size());
      return true;
    case Op::kNoop:
      return line_crlf == kMetaReplyNoop;
    case Op::kMetaDebug:
      if (line_crlf == kMetaReplyMiss) {
        r->code = ResultCode::kNotFound;
        return true;
      }
      if (!line.starts_with(kMetaDebugPrefix)) return false;
      r->code = ResultCode::kFound;
      r->text = line.substr(kMetaDebugPrefix.size());
      return true;
    case Op::kQuit:
      return false;  // quit has no reply
    case Op::kIncr:
    case Op::kDecr:
      if (ParseDigits(line, &r->number)) {
        r->code = ResultCode::kFound;
        r->has_number = true;
        return true;
      }
      return line_crlf == kReplyNotFound && ParseStatusWord(line_crlf, r);
    default:
      return ParseStatusWord(line_crlf, r);
  }
}

}  // namespace

ReplyParse ParseReplyHead(std::string_view buf, Op op, Result* r) {
  *r = Result{};
  ReplyParse p;
  const size_t window = buf.size() < kMaxReplyLine ? buf.size() : kMaxReplyLine;
  const void* nl = std::memchr(buf.data(), '\n', window);
  if (nl == nullptr) {
    if (buf.size() >= kMaxReplyLine) p.status = ReplyStatus::kMalformed;
    return p;
  }
  const size_t length = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
  if (length < kCrlf.size() || buf[length - 2] != '\r') {
    p.status = ReplyStatus::kMalformed;
    return p;
  }
  const std::string_view line_crlf = buf.substr(0, length);
  const std::string_view line = line_crlf.substr(0, length - kCrlf.size());
  // A retrieval's VALUE line (the common reply through a router) is tried before the error
  // words; a VALUE line is never an error line, so the order changes no result.
  const bool value_line = IsRetrievalOp(op) && line.starts_with(kReplyValuePrefix);
  if (value_line ? !ParseValueLine(line.substr(kReplyValuePrefix.size()), r, &p)
                 : !ParseErrorLine(line, r) && !ParseOpLine(line, line_crlf, op, r, &p)) {
    *r = Result{};
    ReplyParse bad;
    bad.status = ReplyStatus::kMalformed;
    return bad;
  }
  p.status = ReplyStatus::kOk;
  p.consumed = length;
  return p;
}

ReplyParse ParseReply(std::string_view buf, Op op, Result* r) {
  ReplyParse p = ParseReplyHead(buf, op, r);
  if (p.status != ReplyStatus::kOk || !p.has_value) return p;
  const size_t value_end = p.consumed + p.value_length;
  // A wrong trailer byte is malformed as soon as it is seen, as a ValueReader would find it.
  const std::string_view trailer = buf.size() > value_end ? buf.substr(value_end, 2) : "";
  if (!kCrlf.starts_with(trailer)) {
    ReplyParse bad;
    bad.status = ReplyStatus::kMalformed;
    return bad;
  }
  if (trailer.size() < kCrlf.size()) return ReplyParse{};
  r->value = buf.substr(p.consumed, p.value_length);
  p.consumed = value_end + kCrlf.size();
  return p;
}

}  // namespace memfleet::protocol::text
