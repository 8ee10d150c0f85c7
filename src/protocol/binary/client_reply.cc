// The reply half of client.h: parsing response packets into neutral Results, composing a binary
// client's response from a neutral Result, and the opaque bookkeeping of quiet requests.
#include <array>

#include "protocol/binary/client.h"
#include "protocol/binary/opcodes.h"
#include "protocol/binary/response.h"

namespace memfleet::protocol::binary {

namespace {

using protocol::ErrorDetail;
using protocol::ResultCode;

// The statuses memcached itself sends with a fixed text: a Result whose message is one of these
// texts was parsed from a binary reply with that status, and composes back to it.
constexpr std::array<Status, 9> kMemcachedErrorStatuses = {
    Status::kKeyNotFound,      Status::kKeyExists,      Status::kTooLarge,
    Status::kInvalidArguments, Status::kNotStored,      Status::kDeltaBadValue,
    Status::kAuthError,        Status::kUnknownCommand, Status::kOutOfMemory,
};

bool IsMemcachedErrorStatus(Status s) {
  for (Status m : kMemcachedErrorStatuses) {
    if (m == s) return true;
  }
  return false;
}

// The neutral code for a successful response to an opcode.
ResultCode SuccessCode(Opcode base) {
  if (IsGetFamily(base) || base == Opcode::kIncrement || base == Opcode::kDecrement) {
    return ResultCode::kFound;
  }
  if (base == Opcode::kTouch) return ResultCode::kTouched;
  if (IsStoreOpcode(base)) return ResultCode::kStored;
  if (base == Opcode::kDelete) return ResultCode::kDeleted;
  return ResultCode::kOk;
}

void SetError(protocol::Result* r, ResultCode code, ErrorDetail detail) {
  r->code = code;
  r->detail = detail;
}

void ClassifyStatus(Status st, protocol::Result* r) {
  switch (st) {
    case Status::kSuccess:
      return;
    case Status::kKeyNotFound:
      return SetError(r, ResultCode::kNotFound, ErrorDetail::kNone);
    case Status::kKeyExists:
      return SetError(r, ResultCode::kExists, ErrorDetail::kNone);
    case Status::kNotStored:
      return SetError(r, ResultCode::kNotStored, ErrorDetail::kNone);
    case Status::kTooLarge:
      return SetError(r, ResultCode::kRemoteError, ErrorDetail::kTooLarge);
    case Status::kOutOfMemory:
      return SetError(r, ResultCode::kRemoteError, ErrorDetail::kOutOfMemory);
    case Status::kDeltaBadValue:
      return SetError(r, ResultCode::kClientError, ErrorDetail::kNonNumeric);
    case Status::kUnknownCommand:
      return SetError(r, ResultCode::kClientError, ErrorDetail::kUnknownCommand);
    case Status::kInvalidArguments:
      return SetError(r, ResultCode::kClientError, ErrorDetail::kInvalidArguments);
    case Status::kAuthError:
    case Status::kAuthContinue:
    case Status::kNotSupported:
      return SetError(r, ResultCode::kClientError, ErrorDetail::kOther);
    case Status::kNotMyVbucket:
    case Status::kInternalError:
    case Status::kBusy:
    case Status::kTemporaryFailure:
      break;
  }
  SetError(r, ResultCode::kRemoteError, ErrorDetail::kOther);
}

// The text of an error response: memcached's own for its statuses, else the caller's message,
// else memfleet's words for the outcome.
std::string_view ErrorText(Status st, const protocol::Result& r) {
  if (IsMemcachedErrorStatus(st)) return StatusText(st);
  if (!r.message.empty()) return r.message;
  switch (r.code) {
    case ResultCode::kTimeout:
      return kTextRouterTimeout;
    case ResultCode::kConnectTimeout:
      return kTextRouterConnectTimeout;
    case ResultCode::kConnectError:
      return kTextRouterConnectError;
    case ResultCode::kTko:
      return kTextRouterTko;
    default:
      return StatusText(st);
  }
}

void AppendError(uint8_t opcode, uint32_t opaque, Status st, std::string_view text,
                 std::string* out) {
  size_t at = out->size();
  out->resize(at + kHeaderSize + text.size());
  EncodeErrorResponse(out->data() + at, opcode, opaque, st, text);
}

// One stats packet: name and value from r.key/r.value, or split from r.text ("name value", as a
// text upstream's STAT line gives it); neither is the empty packet that ends the reply.
void AppendStat(uint8_t opcode, uint32_t opaque, const protocol::Result& r, std::string* out) {
  std::string_view name = r.key;
  std::string_view value = r.value;
  if (name.empty() && value.empty() && !r.text.empty()) {
    size_t sp = r.text.find(' ');
    name = r.text.substr(0, sp);
    value = sp == std::string_view::npos ? std::string_view() : r.text.substr(sp + 1);
  }
  size_t at = out->size();
  out->resize(at + kHeaderSize + name.size());
  EncodeKeyValueResponseHead(out->data() + at, opcode, opaque, name,
                             static_cast<uint32_t>(value.size()));
  out->append(value);
}

}  // namespace

protocol::ReplyParse ParseReplyHead(std::string_view buf, protocol::Result* r, ReplyInfo* info) {
  protocol::ReplyParse p;
  if (!buf.empty() && static_cast<uint8_t>(buf[0]) != kResponseMagic) {
    p.status = protocol::ReplyStatus::kMalformed;
    return p;
  }
  if (buf.size() < kHeaderSize) return p;
  Header h = DecodeHeader(buf.data());
  uint64_t prefix = uint64_t{h.extras_length} + h.key_length;
  if (prefix > h.body_length) {
    p.status = protocol::ReplyStatus::kMalformed;
    return p;
  }
  if (buf.size() < kHeaderSize + prefix) return p;
  std::string_view extras = buf.substr(kHeaderSize, h.extras_length);
  std::string_view key = buf.substr(kHeaderSize + h.extras_length, h.key_length);
  uint32_t rest = static_cast<uint32_t>(h.body_length - prefix);

  *info = ReplyInfo{};
  info->opcode = h.opcode;
  info->status = h.vbucket_or_status;
  info->opaque = h.opaque;
  info->cas = h.cas;
  info->extras_length = h.extras_length;
  info->key = key;

  *r = protocol::Result{};
  r->binary_opaque = h.opaque;
  r->key = key;
  r->has_cas = h.cas != 0;
  r->cas = h.cas;
  bool quiet = false;
  Opcode base = BaseOf(h.opcode, &quiet);
  auto st = static_cast<Status>(h.vbucket_or_status);
  if (st == Status::kSuccess) {
    r->code = SuccessCode(base);
    if ((IsGetFamily(base) || base == Opcode::kTouch) && extras.size() >= kGetExtrasSize) {
      r->has_flags = true;
      r->client_flags = LoadBe32(extras.data());
    }
    if (IsGetFamily(base)) {
      r->has_value = true;
      r->value_length = rest;
    } else if (base == Opcode::kStat) {
      if (key.empty() && rest == 0) {
        p.part = protocol::ReplyPart::kEnd;
      } else {
        p.part = protocol::ReplyPart::kStat;
        r->has_value = true;
        r->value_length = rest;
      }
    }
  } else {
    ClassifyStatus(st, r);
  }
  p.status = protocol::ReplyStatus::kOk;
  p.consumed = kHeaderSize + static_cast<size_t>(prefix);
  p.has_value = rest > 0 || r->has_value;
  p.value_length = rest;
  return p;
}

void ApplyReplyBody(const ReplyInfo& info, std::string_view body, protocol::Result* r) {
  if (info.status != static_cast<uint16_t>(Status::kSuccess)) {
    r->message = body;
    return;
  }
  bool quiet = false;
  Opcode base = BaseOf(info.opcode, &quiet);
  if (r->has_value) {
    r->value = body;
  } else if (base == Opcode::kIncrement || base == Opcode::kDecrement) {
    if (body.size() == kDeltaValueSize) {
      r->has_number = true;
      r->number = LoadBe64(body.data());
    }
  } else if (!body.empty()) {
    r->text = body;  // version, SASL mechanisms and "Authenticated"
  }
}

protocol::ReplyParse ParseReply(std::string_view buf, protocol::Result* r, ReplyInfo* info) {
  protocol::Result result;
  ReplyInfo head;
  protocol::ReplyParse p = ParseReplyHead(buf, &result, &head);
  if (p.status != protocol::ReplyStatus::kOk) return p;
  if (buf.size() - p.consumed < p.value_length) {
    protocol::ReplyParse wait;  // r and info stay untouched until the packet is whole
    return wait;
  }
  ApplyReplyBody(head, buf.substr(p.consumed, p.value_length), &result);
  p.consumed += p.value_length;
  *r = result;
  *info = head;
  return p;
}

Status StatusFor(const protocol::Request& req, const protocol::Result& r) {
  // A message that is one of memcached's texts names its status exactly (a binary upstream's
  // error relayed as it came).
  if (IsError(r.code) || IsMiss(r.code)) {
    for (Status s : kMemcachedErrorStatuses) {
      if (!r.message.empty() && r.message == StatusText(s)) return s;
    }
  }
  switch (r.code) {
    case ResultCode::kFound:
    case ResultCode::kStored:
    case ResultCode::kDeleted:
    case ResultCode::kTouched:
    case ResultCode::kOk:
      return Status::kSuccess;
    case ResultCode::kNotFound:
      return Status::kKeyNotFound;
    case ResultCode::kNotStored: {
      // memcached's binary add answers "exists" and replace "not found" when they do not store.
      uint8_t opcode = 0;
      bool quiet = false;
      Opcode base = OpcodeFor(req, &opcode) ? BaseOf(opcode, &quiet) : Opcode::kSet;
      if (base == Opcode::kAdd) return Status::kKeyExists;
      if (base == Opcode::kReplace) return Status::kKeyNotFound;
      return Status::kNotStored;
    }
    case ResultCode::kExists:
      return Status::kKeyExists;
    case ResultCode::kClientError:
      switch (r.detail) {
        case ErrorDetail::kNonNumeric:
          return Status::kDeltaBadValue;
        case ErrorDetail::kUnknownCommand:
          return Status::kUnknownCommand;
        case ErrorDetail::kTooLarge:
          return Status::kTooLarge;
        default:
          return Status::kInvalidArguments;
      }
    case ResultCode::kRemoteError:
      if (r.detail == ErrorDetail::kTooLarge) return Status::kTooLarge;
      if (r.detail == ErrorDetail::kOutOfMemory) return Status::kOutOfMemory;
      return Status::kInternalError;
    case ResultCode::kTimeout:
    case ResultCode::kConnectTimeout:
    case ResultCode::kConnectError:
    case ResultCode::kTko:
      return Status::kTemporaryFailure;
  }
  return Status::kInternalError;
}

void ComposeReply(const protocol::Request& req, const protocol::Result& r, std::string* out) {
  uint8_t opcode = 0;
  if (!OpcodeFor(req, &opcode)) return;
  bool quiet = false;
  Opcode base = BaseOf(opcode, &quiet);
  const uint32_t opaque = req.opaque;
  Status st = StatusFor(req, r);
  if (st != Status::kSuccess) {
    // A quiet get's miss is silent; every other error is sent, quiet or not (as memcached).
    if (st == Status::kKeyNotFound && quiet && IsGetFamily(base)) return;
    if (st == Status::kKeyNotFound && ReturnsKey(base)) {
      size_t at = out->size();
      out->resize(at + kHeaderSize + req.key.size());
      EncodeKeyMissResponse(out->data() + at, opcode, opaque, req.key);
      return;
    }
    AppendError(opcode, opaque, st, ErrorText(st, r), out);
    return;
  }
  // Quiet opcodes are silent on success, except gets, whose quietness only hides misses.
  if (quiet && !IsGetFamily(base)) return;
  size_t at = out->size();
  if (IsGetFamily(base) || base == Opcode::kTouch) {
    std::string_view key = ReturnsKey(base) ? req.key : std::string_view();
    std::string_view value = base == Opcode::kTouch ? std::string_view() : r.value;
    out->resize(at + kHeaderSize + kGetExtrasSize + key.size());
    EncodeGetResponse(out->data() + at, opcode, opaque, r.cas, r.client_flags, key,
                      static_cast<uint32_t>(value.size()));
    out->append(value);
    return;
  }
  switch (base) {
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      out->resize(at + kDeltaResponseSize);
      EncodeDeltaResponse(out->data() + at, opcode, opaque, r.cas, r.number);
      return;
    case Opcode::kVersion:
      out->resize(at + kHeaderSize);
      EncodeKeyValueResponseHead(out->data() + at, opcode, opaque, {},
                                 static_cast<uint32_t>(r.text.size()));
      out->append(r.text);
      return;
    case Opcode::kStat:
      AppendStat(opcode, opaque, r, out);
      return;
    default:  // storage (with the new cas), delete, noop, flush, quit, verbosity
      out->resize(at + kEmptyResponseSize);
      EncodeEmptyResponse(out->data() + at, opcode, opaque, r.cas);
      return;
  }
}

bool OpaqueMatcher::Push(uint32_t opaque, bool quiet, uint64_t tag) {
  if (full()) return false;
  ring_[(head_ + size_) % ring_.size()] = Pending{opaque, quiet, tag};
  ++size_;
  return true;
}

OpaqueMatcher::Match OpaqueMatcher::Find(uint32_t opaque) const {
  Match m;
  for (size_t i = 0; i < size_; ++i) {
    const Pending& p = At(i);
    if (p.opaque == opaque) {
      m.status = MatchStatus::kAnswered;
      m.implicit = i;
      return m;
    }
    // A response overtakes only quiet requests: a loud one before it would have been answered.
    if (!p.quiet) {
      // Keep looking, to tell "skipped" from "unknown".
      for (size_t j = i + 1; j < size_; ++j) {
        if (At(j).opaque == opaque) {
          m.status = MatchStatus::kSkipped;
          return m;
        }
      }
      return m;
    }
  }
  return m;
}

void OpaqueMatcher::PopFront() {
  if (size_ == 0) return;
  head_ = (head_ + 1) % ring_.size();
  --size_;
}

}  // namespace memfleet::protocol::binary
