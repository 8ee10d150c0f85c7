// The meta client half, reply composition for a meta client from a neutral Result (see
// client.h). The line is written by the server's own MetaReplyWriter; which flags it carries and
// in which order follows src/server/connection_meta.cc, which reproduces memcached 1.6.18.
#include <algorithm>
#include <optional>

#include "protocol/meta/client.h"
#include "protocol/meta/vocabulary.h"
#include "protocol/text/reply.h"

namespace memfleet::protocol::meta {
namespace {

using protocol::Op;
using protocol::ResultCode;

bool HasToken(const protocol::Request& req, char c) {
  for (std::string_view tok : req.meta.tokens) {
    if (!tok.empty() && tok[0] == c) return true;
  }
  return false;
}

bool IsMetaGet(Op op) { return protocol::IsRetrieval(op) || op == Op::kTouch; }

// The words of an error whose Result carries no message.
std::string_view ErrorWords(const protocol::Request& req, const protocol::Result& r) {
  using protocol::ErrorDetail;
  switch (r.code) {
    case ResultCode::kClientError:
      switch (r.detail) {
        case ErrorDetail::kBadDataChunk:
          return kErrBadDataChunk;
        case ErrorDetail::kNonNumeric:
          return kErrNonNumeric;
        case ErrorDetail::kUnknownCommand:
          return kErrUnknownCommand;
        default:
          return kErrBadFormat;
      }
    case ResultCode::kRemoteError:
      switch (r.detail) {
        case ErrorDetail::kTooLarge:
          return kErrTooLarge;
        case ErrorDetail::kOutOfMemory:
          if (protocol::IsStorage(req.op)) return kErrOutOfMemoryStoring;
          if (req.create) return kErrOutOfMemoryVivify;
          return kErrOutOfMemory;
        default:
          return kErrRemote;
      }
    case ResultCode::kTimeout:
      return kErrTimeout;
    case ResultCode::kConnectTimeout:
      return kErrConnectTimeout;
    case ResultCode::kConnectError:
      return kErrConnectError;
    case ResultCode::kTko:
      return kErrTko;
    default:
      return kErrRemote;
  }
}

// Writes one meta reply line into *out through MetaReplyWriter, with room computed from what
// the request and result can put on it (so no input can overrun it).
class LineComposer {
 public:
  LineComposer(const protocol::Request& req, const protocol::Result& r, std::string* out)
      : req_(req), r_(r), out_(out), at_(out->size()) {
    size_t room = 64 + 3 * 2 + 2 * text::kUint64MaxDigits;
    // Each token writes at most itself, a number, or the key (a malformed request may repeat k).
    size_t key = std::max(req.key.size(), r.key.size()) + 4;
    for (std::string_view tok : req.meta.tokens) {
      room += tok.size() + 2 + text::kUint64MaxDigits + key;
    }
    out->resize(at_ + room);
    w_.emplace(out->data() + at_);
  }

  MetaReplyWriter& w() { return *w_; }

  // " k<key>" (" b" after a base64 key): the key the server echoed, else the key as sent.
  void Key() {
    bool from_reply = !r_.key.empty();
    std::string_view key = from_reply ? r_.key : req_.key;
    bool b = from_reply ? r_.base64_key : req_.meta.base64_key;
    w_->Key(key, false);
    if (b) w_->Char(kFlagBase64Key);
  }

  // Echoes O and k in token order (every code but a hit of mg and ma).
  void EchoOpaqueAndKey() {
    for (std::string_view tok : req_.meta.tokens) {
      if (tok.empty()) continue;
      if (tok[0] == kFlagOpaque) w_->Opaque(tok);
      if (tok[0] == kFlagReturnKey) Key();
    }
  }

  // Ends the line and trims *out to what was written.
  void Finish() {
    size_t n = w_->End();
    out_->resize(at_ + n);
  }

 private:
  const protocol::Request& req_;
  const protocol::Result& r_;
  std::string* out_;
  size_t at_;
  std::optional<MetaReplyWriter> w_;
};

// mg: EN, or HD / VA with every returned flag asked, then Z X W.
void ComposeGet(const protocol::Request& req, const protocol::Result& r, bool with_value,
                std::string* out) {
  if (r.code == ResultCode::kNotFound) {
    if (req.noreply) return;
    LineComposer line(req, r, out);
    line.w().Code(kCodeMiss);
    line.EchoOpaqueAndKey();
    line.Finish();
    return;
  }
  bool value =
      req.protocol == protocol::Protocol::kMeta ? HasToken(req, kFlagReturnValue) : r.has_value;
  uint32_t len = r.value.empty() ? r.value_length : static_cast<uint32_t>(r.value.size());
  LineComposer line(req, r, out);
  MetaReplyWriter& w = line.w();
  if (value) {
    w.Value(len);
  } else {
    w.Code(kCodeHit);
  }
  for (std::string_view tok : req.meta.tokens) {
    if (tok.empty()) continue;
    switch (tok[0]) {
      case kFlagReturnSize:
        w.Flag(kFlagReturnSize, r.has_size ? r.size : len);
        break;
      case kFlagReturnTtl:
        w.Ttl(r.ttl < 0, static_cast<uint32_t>(r.ttl));
        break;
      case kFlagReturnCas:
        w.Flag(kFlagReturnCas, r.cas);
        break;
      case kFlagReturnFlags:
        w.Flag(kFlagReturnFlags, r.client_flags);
        break;
      case kFlagReturnLastAccess:
        w.Flag(kFlagReturnLastAccess, r.last_access);
        break;
      case kFlagReturnHit:
        w.Flag(kFlagReturnHit, r.hit_before ? 1 : 0);
        break;
      case kFlagOpaque:
        w.Opaque(tok);
        break;
      case kFlagReturnKey:
        line.Key();
        break;
      default:
        break;
    }
  }
  if (r.win_sent) w.Char(kFlagWinSent);
  if (r.stale) w.Char(kFlagStale);
  if (r.win) w.Char(kFlagWin);
  line.Finish();
  if (value && with_value) {
    out->append(r.value);
    out->append(kCrlf);
  }
}

// ms: HD (suppressed by q), NS, EX or NF, echoing O, k and c in token order.
void ComposeStore(const protocol::Request& req, const protocol::Result& r, std::string* out) {
  std::string_view code = kCodeHit;
  switch (r.code) {
    case ResultCode::kNotStored:
      code = kCodeNotStored;
      break;
    case ResultCode::kExists:
      code = kCodeExists;
      break;
    case ResultCode::kNotFound:
      code = kCodeNotFound;
      break;
    default:
      if (req.noreply) return;
      break;
  }
  LineComposer line(req, r, out);
  line.w().Code(code);
  for (std::string_view tok : req.meta.tokens) {
    if (tok.empty()) continue;
    if (tok[0] == kFlagOpaque) line.w().Opaque(tok);
    if (tok[0] == kFlagReturnKey) line.Key();
    if (tok[0] == kFlagReturnCas) line.w().Flag(kFlagReturnCas, r.cas);
  }
  line.Finish();
}

// md: HD (suppressed by q), NF or EX, echoing O and k.
void ComposeDelete(const protocol::Request& req, const protocol::Result& r, std::string* out) {
  std::string_view code = r.code == ResultCode::kNotFound ? kCodeNotFound
                          : r.code == ResultCode::kExists ? kCodeExists
                                                          : kCodeHit;
  if (code == kCodeHit && req.noreply) return;
  LineComposer line(req, r, out);
  line.w().Code(code);
  line.EchoOpaqueAndKey();
  line.Finish();
}

// ma: NF / EX / NS echoing O and k, or HD / VA <digits> (suppressed by q) with c, t, O, k.
void ComposeArithmetic(const protocol::Request& req, const protocol::Result& r, bool with_value,
                       std::string* out) {
  if (r.code == ResultCode::kNotFound || r.code == ResultCode::kExists ||
      r.code == ResultCode::kNotStored) {
    LineComposer line(req, r, out);
    line.w().Code(r.code == ResultCode::kNotFound ? kCodeNotFound
                  : r.code == ResultCode::kExists ? kCodeExists
                                                  : kCodeNotStored);
    line.EchoOpaqueAndKey();
    line.Finish();
    return;
  }
  if (req.noreply && !r.created) return;
  char digits_buf[text::kUint64MaxDigits];
  std::string_view digits =
      r.has_number ? std::string_view(digits_buf, text::FormatUint64(digits_buf, r.number))
                   : r.value;
  bool value = req.protocol == protocol::Protocol::kMeta ? HasToken(req, kFlagReturnValue)
                                                         : r.has_value || r.has_number;
  LineComposer line(req, r, out);
  MetaReplyWriter& w = line.w();
  if (value) {
    w.Value(static_cast<uint32_t>(digits.size()));
  } else {
    w.Code(kCodeHit);
  }
  for (std::string_view tok : req.meta.tokens) {
    if (tok.empty()) continue;
    switch (tok[0]) {
      case kFlagReturnCas:
        w.Flag(kFlagReturnCas, r.cas);
        break;
      case kFlagReturnTtl:
        w.Ttl(r.ttl < 0, static_cast<uint32_t>(r.ttl));
        break;
      case kFlagOpaque:
        w.Opaque(tok);
        break;
      case kFlagReturnKey:
        line.Key();
        break;
      default:
        break;
    }
  }
  line.Finish();
  if (value && with_value) {
    out->append(digits);
    out->append(kCrlf);
  }
}

void AppendLine(std::string* out, std::string_view a, std::string_view b = {}) {
  out->append(a);
  if (!b.empty()) {
    out->push_back(' ');
    out->append(b);
  }
  out->append(kCrlf);
}

void Compose(const protocol::Request& req, const protocol::Result& r, bool with_value,
             std::string* out) {
  if (protocol::IsError(r.code)) {
    AppendLine(out, r.message.empty() ? ErrorWords(req, r) : r.message);
    return;
  }
  if (IsMetaGet(req.op)) {
    ComposeGet(req, r, with_value, out);
    return;
  }
  if (protocol::IsStorage(req.op)) {
    ComposeStore(req, r, out);
    return;
  }
  switch (req.op) {
    case Op::kDelete:
      ComposeDelete(req, r, out);
      return;
    case Op::kIncr:
    case Op::kDecr:
      ComposeArithmetic(req, r, with_value, out);
      return;
    case Op::kNoop:
      out->append(text::kMetaReplyNoop);
      return;
    case Op::kMetaDebug:
      if (r.code == ResultCode::kNotFound) {
        out->append(text::kMetaReplyMiss);
      } else {
        AppendLine(out, kCodeDebug, r.text);
      }
      return;
    // The text replies on a meta connection, from the text protocol's own constants.
    case Op::kVersion:
      out->append(text::kReplyVersionPrefix);
      out->append(r.text);
      out->append(kCrlf);
      return;
    case Op::kStats:
      if (r.text.empty()) {
        out->append(text::kReplyEnd);
      } else {
        out->append(text::kReplyStatPrefix);
        out->append(r.text);
        out->append(kCrlf);
      }
      return;
    case Op::kFlushAll:
    case Op::kVerbosity:
      out->append(text::kReplyOk);
      return;
    default:
      return;  // quit: the connection closes without a reply
  }
}

}  // namespace

void ComposeReply(const protocol::Request& req, const protocol::Result& r, std::string* out) {
  Compose(req, r, true, out);
}

void ComposeReplyHead(const protocol::Request& req, const protocol::Result& r, std::string* out) {
  Compose(req, r, false, out);
}

}  // namespace memfleet::protocol::meta
