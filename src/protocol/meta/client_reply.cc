// The meta client half, reply parsing (see client.h). Requests are in client.cc, the reply
// composer for meta clients in client_compose.cc.
#include <cstring>

#include "protocol/meta/client.h"
#include "protocol/meta/vocabulary.h"
#include "protocol/text/reply.h"

namespace memfleet::protocol::meta {
namespace {

using protocol::Op;
using protocol::ReplyParse;
using protocol::ReplyPart;
using protocol::ReplyStatus;
using protocol::ResultCode;

// The longest reply line we wait for: a meta line is at most kMaxReplyLineSize; an error or ME
// line from memcached is shorter. A longer run of bytes without "\n" is not a meta stream.
constexpr size_t kMaxHeadLine = 4096;

// Splits off the next space-separated token of *rest.
std::string_view NextToken(std::string_view* rest) {
  size_t start = 0;
  while (start < rest->size() && (*rest)[start] == ' ') ++start;
  size_t end = start;
  while (end < rest->size() && (*rest)[end] != ' ') ++end;
  std::string_view tok = rest->substr(start, end - start);
  rest->remove_prefix(end);
  return tok;
}

// Plain decimal digits, as memcached prints them (no sign, no spaces), within 64 bits.
bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > text::kUint64MaxDigits) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
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

// Reads the returned flags after a code. False when a flag memcached writes with a number
// carries something else.
bool ParseReturnedFlags(std::string_view rest, protocol::Result* r) {
  for (std::string_view tok = NextToken(&rest); !tok.empty(); tok = NextToken(&rest)) {
    std::string_view arg = tok.substr(1);
    switch (tok[0]) {
      case kFlagOpaque:
        r->opaque = arg;
        break;
      case kFlagReturnKey:
        r->key = arg;
        break;
      case kFlagBase64Key:
        r->base64_key = true;
        break;
      case kFlagReturnCas:
        if (!ParseDigits(arg, &r->cas)) return false;
        r->has_cas = true;
        break;
      case kFlagReturnFlags:
        if (!ParseDigits32(arg, &r->client_flags)) return false;
        r->has_flags = true;
        break;
      case kFlagReturnTtl: {
        uint64_t t;
        if (arg == kTtlNever) {
          r->ttl = -1;
        } else if (ParseDigits(arg, &t) && t <= UINT32_MAX) {
          r->ttl = static_cast<int64_t>(t);
        } else {
          return false;
        }
        r->has_ttl = true;
        break;
      }
      case kFlagReturnSize:
        if (!ParseDigits32(arg, &r->size)) return false;
        r->has_size = true;
        break;
      case kFlagReturnHit:
        if (arg != "0" && arg != "1") return false;
        r->hit_before = arg == "1";
        r->has_hit_before = true;
        break;
      case kFlagReturnLastAccess:
        if (!ParseDigits(arg, &r->last_access)) return false;
        r->has_last_access = true;
        break;
      case kFlagWin:
        r->win = true;
        break;
      case kFlagStale:
        r->stale = true;
        break;
      case kFlagWinSent:
        r->win_sent = true;
        break;
      default:
        break;  // a flag a newer server returns: nothing in the model for it
    }
  }
  return true;
}

// What HD means for the request it answers.
ResultCode HitCode(Op op) {
  if (protocol::IsStorage(op)) return ResultCode::kStored;
  if (op == Op::kDelete) return ResultCode::kDeleted;
  if (op == Op::kTouch) return ResultCode::kTouched;
  return ResultCode::kFound;
}

protocol::ErrorDetail ClientErrorDetail(std::string_view line) {
  if (line == kErrBadDataChunk) return protocol::ErrorDetail::kBadDataChunk;
  if (line == kErrNonNumeric) return protocol::ErrorDetail::kNonNumeric;
  return protocol::ErrorDetail::kOther;
}

protocol::ErrorDetail ServerErrorDetail(std::string_view line) {
  if (line == kErrTooLarge) return protocol::ErrorDetail::kTooLarge;
  if (line.starts_with(kErrOutOfMemoryPrefix) || line.starts_with(kErrOutOfMemoryPrefixUpper)) {
    return protocol::ErrorDetail::kOutOfMemory;
  }
  return protocol::ErrorDetail::kOther;
}

// Parses one whole line (without its "\r\n") into *r and *p. False when it is no meta reply.
bool ParseLine(std::string_view line, Op op, protocol::Result* r, ReplyParse* p) {
  std::string_view rest = line;
  std::string_view word = NextToken(&rest);
  if (word.empty() || word.data() != line.data()) return false;
  if (word == kCodeValue) {
    uint32_t len;
    if (!ParseDigits32(NextToken(&rest), &len)) return false;
    r->code = ResultCode::kFound;
    r->has_value = true;
    r->value_length = len;
    p->has_value = true;
    p->value_length = len;
    p->trailer = kCrlf;
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeHit) {
    r->code = HitCode(op);
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeMiss || word == kCodeNotFound) {
    r->code = ResultCode::kNotFound;
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeNotStored) {
    r->code = ResultCode::kNotStored;
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeExists) {
    r->code = ResultCode::kExists;
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeNoop) {
    r->code = ResultCode::kOk;
    return ParseReturnedFlags(rest, r);
  }
  if (word == kCodeDebug) {
    // "ME <key> <name>=<value>*": the text is everything after "ME ".
    r->code = ResultCode::kOk;
    if (line.size() <= word.size() + 1) return false;
    r->text = line.substr(word.size() + 1);
    r->key = NextToken(&rest);
    return true;
  }
  // "ERROR", and the odd "ERROR: ..." memcached sends for a few text commands.
  if (word.starts_with(kWordError)) {
    r->code = ResultCode::kClientError;
    r->detail =
        line == kWordError ? protocol::ErrorDetail::kUnknownCommand : protocol::ErrorDetail::kOther;
    r->message = line;
    return true;
  }
  if (word == kWordClientError) {
    r->code = ResultCode::kClientError;
    r->detail = ClientErrorDetail(line);
    r->message = line;
    return true;
  }
  if (word == kWordServerError) {
    r->code = ResultCode::kRemoteError;
    r->detail = ServerErrorDetail(line);
    r->message = line;
    return true;
  }
  // Text replies on a meta connection: version, stats, flush_all, verbosity.
  if (word == kWordVersion) {
    r->code = ResultCode::kOk;
    r->text = line.size() > word.size() ? line.substr(word.size() + 1) : std::string_view();
    return true;
  }
  if (word == kWordStat) {
    r->code = ResultCode::kOk;
    r->text = line.size() > word.size() ? line.substr(word.size() + 1) : std::string_view();
    p->part = ReplyPart::kStat;
    return true;
  }
  if (word == kWordEnd && rest.empty()) {
    r->code = ResultCode::kOk;
    p->part = ReplyPart::kEnd;
    return true;
  }
  if (word == kWordOk && rest.empty()) {
    r->code = ResultCode::kOk;
    return true;
  }
  return false;
}

ReplyParse Malformed() {
  ReplyParse p;
  p.status = ReplyStatus::kMalformed;
  return p;
}

}  // namespace

ReplyParse ParseReplyHead(std::string_view buf, Op op, protocol::Result* r) {
  *r = protocol::Result{};
  ReplyParse p;
  size_t look = buf.size() < kMaxHeadLine ? buf.size() : kMaxHeadLine;
  const void* nl = std::memchr(buf.data(), '\n', look);
  if (nl == nullptr) {
    if (buf.size() >= kMaxHeadLine) return Malformed();
    return p;  // kIncomplete
  }
  size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
  // memcached ends every line with "\r\n".
  if (end == 0 || buf[end - 1] != '\r') return Malformed();
  std::string_view line = buf.substr(0, end - 1);
  if (!ParseLine(line, op, r, &p)) {
    *r = protocol::Result{};
    return Malformed();
  }
  p.status = ReplyStatus::kOk;
  p.consumed = end + 1;
  return p;
}

ReplyParse ParseReply(std::string_view buf, Op op, protocol::Result* r) {
  ReplyParse p = ParseReplyHead(buf, op, r);
  if (p.status != ReplyStatus::kOk || !p.has_value) return p;
  size_t need = p.consumed + p.value_length + p.trailer.size();
  if (need > buf.size()) {
    p.status = ReplyStatus::kIncomplete;
    p.consumed = 0;
    return p;
  }
  if (buf.substr(p.consumed + p.value_length, p.trailer.size()) != p.trailer) return Malformed();
  r->value = buf.substr(p.consumed, p.value_length);
  if (op == Op::kIncr || op == Op::kDecr) {
    if (!ParseDigits(r->value, &r->number)) return Malformed();
    r->has_number = true;
  }
  p.consumed = need;
  return p;
}

}  // namespace memfleet::protocol::meta
