// The meta client half, requests: ToNeutral and the request composers (see client.h). The reply
// half is in client_reply.cc.
#include "protocol/meta/client.h"

#include <array>
#include <cstring>

#include "protocol/meta/vocabulary.h"
#include "protocol/text/reply.h"

namespace memfleet::protocol::meta {
namespace {

using protocol::Op;
using protocol::Protocol;

void AppendUint(std::string* out, uint64_t v) {
  char digits[text::kUint64MaxDigits];
  out->append(digits, text::FormatUint64(digits, v));
}

void AppendInt(std::string* out, int64_t v) {
  if (v < 0) {
    out->push_back('-');
    AppendUint(out, 0 - static_cast<uint64_t>(v));
    return;
  }
  AppendUint(out, static_cast<uint64_t>(v));
}

// " <c><number>"
void AppendFlag(std::string* out, char c, uint64_t v) {
  out->push_back(' ');
  out->push_back(c);
  AppendUint(out, v);
}

void AppendSignedFlag(std::string* out, char c, int64_t v) {
  out->push_back(' ');
  out->push_back(c);
  AppendInt(out, v);
}

void AppendChar(std::string* out, char c) {
  out->push_back(' ');
  out->push_back(c);
}

// A meta key token ends at a space and its line at "\n" or a NUL; memcached also refuses control
// characters in keys it prints. Such a key travels base64 with b.
bool NeedsBase64(std::string_view key) {
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f) return true;
  }
  return false;
}

// " <key>" for a text or binary key, base64 when meta cannot carry it as is. Returns whether b
// must be added to the flags.
bool AppendNeutralKey(std::string* out, std::string_view key) {
  out->push_back(' ');
  if (!NeedsBase64(key)) {
    out->append(key);
    return false;
  }
  size_t at = out->size();
  out->resize(at + Base64EncodedSize(key.size()));
  size_t n = Base64Encode(key, out->data() + at);
  out->resize(at + n);
  return true;
}

std::string_view MetaCommandName(Op op) {
  switch (op) {
    case Op::kGet:
    case Op::kGets:
    case Op::kGat:
    case Op::kGats:
    case Op::kTouch:
      return kCmdGet;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas:
      return kCmdSet;
    case Op::kDelete:
      return kCmdDelete;
    case Op::kIncr:
    case Op::kDecr:
      return kCmdArithmetic;
    case Op::kNoop:
      return kCmdNoop;
    case Op::kMetaDebug:
      return kCmdDebug;
    default:
      return {};
  }
}

// A meta request re-sent as it came: command, key as sent, data length, its tokens in order.
void ComposeMetaOrigin(const protocol::Request& req, std::string_view cmd,
                       const ComposeOptions& opt, std::string* out) {
  out->append(cmd);
  if (req.op != Op::kNoop) {
    out->push_back(' ');
    out->append(req.key);
  }
  if (protocol::IsStorage(req.op)) {
    out->push_back(' ');
    AppendUint(out, req.value_length);
  }
  for (std::string_view tok : req.meta.tokens) {
    if (tok.empty()) continue;
    if (opt.drop_quiet && tok[0] == kFlagQuiet) continue;
    if (opt.drop_opaque && tok[0] == kFlagOpaque) continue;
    out->push_back(' ');
    out->append(tok);
  }
  out->append(kCrlf);
}

void AppendMode(std::string* out, char mode) {
  out->push_back(' ');
  out->push_back(kFlagMode);
  out->push_back(mode);
}

// "<cmd> <key>", then " b" when the key had to go base64.
void AppendCommandAndKey(std::string* out, std::string_view cmd, std::string_view key) {
  out->append(cmd);
  if (AppendNeutralKey(out, key)) AppendChar(out, kFlagBase64Key);
}

// get, gets, gat, gats, touch: mg asking for what the client's reply is built from.
void TranslateRetrieval(const protocol::Request& req, bool binary, std::string* out) {
  AppendCommandAndKey(out, kCmdGet, req.key);
  if (req.op == Op::kTouch) {
    AppendSignedFlag(out, kFlagTouch, req.exptime);
    // A binary touch answers with the item's flags and cas.
    if (binary) {
      AppendChar(out, kFlagReturnFlags);
      AppendChar(out, kFlagReturnCas);
    }
    return;
  }
  AppendChar(out, kFlagReturnFlags);
  AppendChar(out, kFlagReturnValue);
  // A binary get returns the cas in its header.
  if (req.op == Op::kGets || req.op == Op::kGats || binary) AppendChar(out, kFlagReturnCas);
  if (req.op == Op::kGat || req.op == Op::kGats) AppendSignedFlag(out, kFlagTouch, req.exptime);
}

// set, add, replace, append, prepend, cas: ms with the item's flags, exptime and mode.
void TranslateStore(const protocol::Request& req, bool binary, std::string* out) {
  out->append(kCmdSet);
  bool b = AppendNeutralKey(out, req.key);
  out->push_back(' ');
  AppendUint(out, req.value_length);
  if (b) AppendChar(out, kFlagBase64Key);
  AppendFlag(out, kFlagClientFlags, req.client_flags);
  AppendSignedFlag(out, kFlagTouch, req.exptime);
  if (req.op == Op::kAdd) AppendMode(out, kModeAdd);
  if (req.op == Op::kReplace) AppendMode(out, kModeReplace);
  if (req.op == Op::kAppend) AppendMode(out, kModeAppend);
  if (req.op == Op::kPrepend) AppendMode(out, kModePrepend);
  // Binary storage with a nonzero cas compares it, as the cas command does.
  if (req.op == Op::kCas || req.cas != 0) AppendFlag(out, kFlagCompareCas, req.cas);
  // A binary store answers with the new cas.
  if (binary) AppendChar(out, kFlagReturnCas);
}

// incr, decr: ma returning the new value (and creating the item when asked).
void TranslateArithmetic(const protocol::Request& req, bool binary, std::string* out) {
  AppendCommandAndKey(out, kCmdArithmetic, req.key);
  AppendChar(out, kFlagReturnValue);
  if (req.op == Op::kDecr) AppendMode(out, kModeDecr);
  AppendFlag(out, kFlagDelta, req.delta);
  if (req.create) {
    AppendSignedFlag(out, kFlagVivify, req.exptime);
    AppendFlag(out, kFlagInitial, req.initial);
  }
  if (binary) AppendChar(out, kFlagReturnCas);
}

// Commands without a meta form go as text commands: memcached reads both on one connection.
void TranslateTextCommand(const protocol::Request& req, std::string* out) {
  switch (req.op) {
    case Op::kVersion:
      out->append(kCmdVersion);
      break;
    case Op::kStats:
      out->append(kCmdStats);
      if (!req.args.empty()) {
        out->push_back(' ');
        out->append(req.args);
      }
      break;
    case Op::kFlushAll:
      out->append(kCmdFlushAll);
      if (req.has_number) {
        out->push_back(' ');
        AppendInt(out, req.exptime);
      }
      break;
    case Op::kVerbosity:
      out->append(kCmdVerbosity);
      out->push_back(' ');
      out->append(req.args.empty() ? std::string_view("0") : req.args);
      break;
    default:
      out->append(kCmdQuit);
      break;
  }
}

// A text or binary request in meta, asking for exactly what its client's reply is built from.
// Flags come back in the order asked; the reply parser does not depend on it.
void ComposeTranslated(const protocol::Request& req, std::string* out) {
  const bool binary = req.protocol == Protocol::kBinary;
  if (protocol::IsRetrieval(req.op) || req.op == Op::kTouch) {
    TranslateRetrieval(req, binary, out);
  } else if (protocol::IsStorage(req.op)) {
    TranslateStore(req, binary, out);
  } else if (req.op == Op::kDelete) {
    AppendCommandAndKey(out, kCmdDelete, req.key);
    if (req.cas != 0) AppendFlag(out, kFlagCompareCas, req.cas);
  } else if (req.op == Op::kIncr || req.op == Op::kDecr) {
    TranslateArithmetic(req, binary, out);
  } else if (req.op == Op::kNoop) {
    out->append(kCmdNoop);
  } else if (req.op == Op::kMetaDebug) {
    AppendCommandAndKey(out, kCmdDebug, req.key);
  } else {
    TranslateTextCommand(req, out);
  }
  out->append(kCrlf);
}

// ms's operation by its mode; memcached turns set and replace with a cas into cas.
Op StoreOp(const MetaFlags& flags) {
  Op op = Op::kSet;
  switch (flags.mode) {
    case kModeAdd:
      op = Op::kAdd;
      break;
    case kModeReplace:
      op = Op::kReplace;
      break;
    case kModeAppend:
      op = Op::kAppend;
      break;
    case kModePrepend:
      op = Op::kPrepend;
      break;
    default:
      break;
  }
  if (flags.has_cas && (op == Op::kSet || op == Op::kReplace)) op = Op::kCas;
  return op;
}

}  // namespace

bool ToNeutral(const text::Request& parsed, const MetaFlags& flags,
               std::span<const std::string_view> flag_tokens, protocol::Request* out) {
  protocol::Request req;
  req.protocol = Protocol::kMeta;
  req.key = parsed.key;
  req.meta.tokens = flag_tokens;
  req.meta.base64_key = flags.key_binary;
  req.noreply = flags.quiet;
  req.cas = flags.has_cas ? flags.cas : 0;
  switch (parsed.command) {
    case text::Command::kMetaGet:
      if (flags.touch) {
        req.op = !flags.value ? Op::kTouch : flags.Has(kFlagReturnCas) ? Op::kGats : Op::kGat;
        req.exptime = flags.ttl;
      } else {
        req.op = flags.Has(kFlagReturnCas) ? Op::kGets : Op::kGet;
      }
      break;
    case text::Command::kMetaSet:
      req.op = StoreOp(flags);
      req.client_flags = flags.client_flags;
      req.exptime = flags.touch ? flags.ttl : 0;
      req.value_length = parsed.value_length;
      break;
    case text::Command::kMetaDelete:
      req.op = Op::kDelete;
      req.exptime = flags.touch ? flags.ttl : 0;
      break;
    case text::Command::kMetaArithmetic:
      req.op = flags.mode == kModeDecr || flags.mode == kModeDecrAlias ? Op::kDecr : Op::kIncr;
      req.delta = flags.delta;
      req.initial = flags.initial;
      req.create = flags.vivify;
      req.exptime = flags.vivify ? flags.vivify_ttl : flags.touch ? flags.ttl : 0;
      break;
    case text::Command::kMetaNoop:
      req.op = Op::kNoop;
      req.key = {};
      break;
    case text::Command::kMetaDebug:
      req.op = Op::kMetaDebug;
      for (std::string_view tok : flag_tokens) {
        if (tok.size() == 1 && tok[0] == kFlagBase64Key) req.meta.base64_key = true;
      }
      break;
    default:
      return false;
  }
  *out = req;
  return true;
}

void ComposeMetaRequestHead(const protocol::Request& req, const ComposeOptions& opt,
                            std::string* out) {
  std::string_view cmd = MetaCommandName(req.op);
  if (req.protocol == Protocol::kMeta && !cmd.empty()) {
    ComposeMetaOrigin(req, cmd, opt, out);
  } else {
    ComposeTranslated(req, out);
  }
}

void ComposeMetaRequest(const protocol::Request& req, const ComposeOptions& opt, std::string* out) {
  ComposeMetaRequestHead(req, opt, out);
  if (protocol::IsStorage(req.op)) {
    out->append(req.value);
    out->append(kCrlf);
  }
}

void ComposeRequestHead(const protocol::Request& req, std::string* out) {
  ComposeMetaRequestHead(req, ComposeOptions{}, out);
}

void ComposeRequest(const protocol::Request& req, std::string* out) {
  ComposeMetaRequest(req, ComposeOptions{}, out);
}

}  // namespace memfleet::protocol::meta
