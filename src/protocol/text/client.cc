// The text protocol's client half, composition: ToNeutral, requests, and replies from neutral
// results (the reply parser is in reply_parser.cc). The replies composed here are checked byte for
// byte against memcached 1.6.18 (testdata/capture.py, client_capture_test.cc).
#include "protocol/text/client.h"

#include "protocol/text/reply.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text {
namespace {

using protocol::ErrorDetail;
using protocol::Op;
using protocol::Result;
using protocol::ResultCode;

// ---- composition helpers ----

void AppendUint(uint64_t value, std::string* out) {
  char buf[kUint64MaxDigits];
  out->append(buf, FormatUint64(buf, value));
}

void AppendInt(int64_t value, std::string* out) {
  if (value < 0) {
    out->push_back('-');
    // Negating in unsigned arithmetic is defined for INT64_MIN too.
    AppendUint(0 - static_cast<uint64_t>(value), out);
    return;
  }
  AppendUint(static_cast<uint64_t>(value), out);
}

// Appends " <token>".
void AppendArg(std::string_view token, std::string* out) {
  out->push_back(' ');
  out->append(token);
}

void AppendNoreply(const protocol::Request& req, std::string* out) {
  if (req.noreply) AppendArg(kNoreply, out);
}

void AppendLine(std::string_view line, std::string* out) {
  out->append(line);
  out->append(kCrlf);
}

std::string_view StorageCommand(const protocol::Request& req) {
  switch (req.op) {
    case Op::kSet:
      return req.cas != 0 ? kCommandCas : kCommandSet;
    case Op::kAdd:
      return kCommandAdd;
    case Op::kReplace:
      return req.cas != 0 ? kCommandCas : kCommandReplace;
    case Op::kAppend:
      return kCommandAppend;
    case Op::kPrepend:
      return kCommandPrepend;
    default:
      return kCommandCas;
  }
}

// The commands that honour "noreply" in text; for the others memcached ignores it.
bool HonoursNoreply(Op op) {
  return protocol::IsStorage(op) || op == Op::kIncr || op == Op::kDecr || op == Op::kDelete ||
         op == Op::kTouch || op == Op::kFlushAll || op == Op::kVerbosity;
}

// ---- reply composition helpers ----

std::string_view WordFor(Op op, ResultCode code) {
  switch (code) {
    case ResultCode::kStored:
      return kReplyStored;
    case ResultCode::kDeleted:
      return kReplyDeleted;
    case ResultCode::kTouched:
      return kReplyTouched;
    case ResultCode::kNotFound:
      return kReplyNotFound;
    case ResultCode::kNotStored:
      return kReplyNotStored;
    case ResultCode::kExists:
      return kReplyExists;
    case ResultCode::kFound:
      // A hit from a protocol that does not say which kind (meta HD, binary success).
      if (protocol::IsStorage(op)) return kReplyStored;
      if (op == Op::kDelete) return kReplyDeleted;
      if (op == Op::kTouch) return kReplyTouched;
      return kReplyOk;
    default:
      return kReplyOk;
  }
}

// The line for an error without a message: by detail first (the same condition has the same
// words whichever class it came in), then by code.
std::string_view ErrorLineFor(Op op, const Result& r) {
  switch (r.detail) {
    case ErrorDetail::kUnknownCommand:
      return kReplyError;
    case ErrorDetail::kNonNumeric:
      return kReplyNonNumeric;
    case ErrorDetail::kBadDataChunk:
      return kReplyBadDataChunk;
    case ErrorDetail::kTooLarge:
      return kReplyTooLarge;
    case ErrorDetail::kOutOfMemory:
      return protocol::IsStorage(op) ? kReplyOutOfMemoryStoring : kReplyOutOfMemory;
    default:
      break;
  }
  switch (r.code) {
    case ResultCode::kClientError:
      return kErrorBadFormat;
    case ResultCode::kTimeout:
      return kErrorRouterTimeout;
    case ResultCode::kConnectTimeout:
      return kErrorRouterConnectTimeout;
    case ResultCode::kConnectError:
      return kErrorRouterConnectError;
    case ResultCode::kTko:
      return kErrorRouterTko;
    default:
      return kErrorRouterRemote;
  }
}

void ComposeError(const protocol::Request& req, const Result& r, std::string* out) {
  const bool unknown_command = r.message.empty() ? r.detail == ErrorDetail::kUnknownCommand
                                                 : r.message == kErrorUnknownCommand;
  if (req.noreply && HonoursNoreply(req.op) && !unknown_command) return;
  if (!r.message.empty()) {
    AppendLine(r.message, out);
    return;
  }
  const std::string_view line = ErrorLineFor(req.op, r);
  if (line.ends_with(kCrlf)) {
    out->append(line);
  } else {
    AppendLine(line, out);
  }
}

// The arguments of "stats": the rest of the line after the command, trailing spaces dropped.
std::string_view StatsArgs(const Request& parsed) {
  if (parsed.ntokens < 2) return {};
  const char* begin = parsed.tokens[1].data();
  const std::string_view last =
      parsed.rest.empty() ? parsed.tokens[parsed.ntokens - 1] : parsed.rest;
  const char* end = last.data() + last.size();
  while (end > begin && end[-1] == ' ') --end;
  return std::string_view(begin, static_cast<size_t>(end - begin));
}

}  // namespace

bool ToNeutral(const Request& parsed, protocol::Request* out) {
  *out = protocol::Request{};
  out->protocol = protocol::Protocol::kText;
  out->noreply = parsed.noreply;
  out->key = parsed.key;
  switch (parsed.command) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats:
      out->op = parsed.command == Command::kGet    ? Op::kGet
                : parsed.command == Command::kGets ? Op::kGets
                : parsed.command == Command::kGat  ? Op::kGat
                                                   : Op::kGats;
      out->keys = parsed.keys;
      out->key_count = parsed.key_count;
      out->exptime = parsed.exptime;
      return true;
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      out->op = parsed.command == Command::kSet       ? Op::kSet
                : parsed.command == Command::kAdd     ? Op::kAdd
                : parsed.command == Command::kReplace ? Op::kReplace
                : parsed.command == Command::kAppend  ? Op::kAppend
                : parsed.command == Command::kPrepend ? Op::kPrepend
                                                      : Op::kCas;
      out->client_flags = parsed.client_flags;
      out->exptime = parsed.exptime;
      out->value_length = parsed.value_length;
      out->cas = parsed.cas;
      return true;
    case Command::kIncr:
    case Command::kDecr:
      out->op = parsed.command == Command::kIncr ? Op::kIncr : Op::kDecr;
      out->delta = parsed.delta;
      return true;
    case Command::kDelete:
      out->op = Op::kDelete;
      return true;
    case Command::kTouch:
      out->op = Op::kTouch;
      out->exptime = parsed.exptime;
      return true;
    case Command::kFlushAll:
      out->op = Op::kFlushAll;
      out->exptime = parsed.number;
      out->has_number = parsed.has_number;
      return true;
    case Command::kVersion:
      out->op = Op::kVersion;
      return true;
    case Command::kVerbosity:
      out->op = Op::kVerbosity;
      if (parsed.ntokens >= 2) out->args = parsed.tokens[1];
      return true;
    case Command::kStats:
      out->op = Op::kStats;
      out->args = StatsArgs(parsed);
      return true;
    case Command::kQuit:
      out->op = Op::kQuit;
      return true;
    default:
      return false;
  }
}

bool CanCompose(const protocol::Request& req) {
  auto legal = [](std::string_view key) {
    return !key.empty() && key.size() <= kKeyMaxLength &&
           key.find_first_of(std::string_view(" \r\n\0", 4)) == std::string_view::npos;
  };
  if (protocol::IsRetrieval(req.op) && !req.keys.empty()) {
    KeyIterator it(req.keys);
    std::string_view key;
    size_t n = 0;
    while (it.Next(&key)) {
      if (!legal(key)) return false;
      ++n;
    }
    return n > 0 && req.keys.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  }
  return !protocol::HasKey(req.op) || legal(req.key);
}

void ComposeRequestHead(const protocol::Request& req, std::string* out) {
  const std::string_view keys = req.keys.empty() ? req.key : req.keys;
  switch (req.op) {
    case Op::kGet:
    case Op::kGets:
      out->append(req.op == Op::kGet ? kCommandGet : kCommandGets);
      AppendArg(keys, out);
      break;
    case Op::kGat:
    case Op::kGats:
      out->append(req.op == Op::kGat ? kCommandGat : kCommandGats);
      out->push_back(' ');
      AppendInt(req.exptime, out);
      AppendArg(keys, out);
      break;
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend:
    case Op::kCas: {
      const std::string_view command = StorageCommand(req);
      out->append(command);
      AppendArg(req.key, out);
      out->push_back(' ');
      AppendUint(req.client_flags, out);
      out->push_back(' ');
      AppendInt(req.exptime, out);
      out->push_back(' ');
      AppendUint(req.value.empty() ? req.value_length : req.value.size(), out);
      if (command == kCommandCas) {
        out->push_back(' ');
        AppendUint(req.cas, out);
      }
      AppendNoreply(req, out);
      break;
    }
    case Op::kIncr:
    case Op::kDecr:
      out->append(req.op == Op::kIncr ? kCommandIncr : kCommandDecr);
      AppendArg(req.key, out);
      out->push_back(' ');
      AppendUint(req.delta, out);
      AppendNoreply(req, out);
      break;
    case Op::kDelete:
      out->append(kCommandDelete);
      AppendArg(req.key, out);
      AppendNoreply(req, out);
      break;
    case Op::kTouch:
      out->append(kCommandTouch);
      AppendArg(req.key, out);
      out->push_back(' ');
      AppendInt(req.exptime, out);
      AppendNoreply(req, out);
      break;
    case Op::kFlushAll:
      out->append(kCommandFlushAll);
      if (req.has_number) {
        out->push_back(' ');
        AppendInt(req.exptime, out);
      }
      AppendNoreply(req, out);
      break;
    case Op::kVersion:
      out->append(kCommandVersion);
      break;
    case Op::kVerbosity:
      out->append(kCommandVerbosity);
      AppendArg(req.args.empty() ? std::string_view("1") : req.args, out);
      AppendNoreply(req, out);
      break;
    case Op::kStats:
      out->append(kCommandStats);
      if (!req.args.empty()) AppendArg(req.args, out);
      break;
    case Op::kQuit:
      out->append(kCommandQuit);
      break;
    case Op::kNoop:
      out->append(kCommandMetaNoop);
      break;
    case Op::kMetaDebug:
      out->append(kCommandMetaDebug);
      AppendArg(req.key, out);
      break;
  }
  out->append(kCrlf);
}

void ComposeRequest(const protocol::Request& req, std::string* out) {
  ComposeRequestHead(req, out);
  if (protocol::IsStorage(req.op)) {
    out->append(req.value);
    out->append(kCrlf);
  }
}

void ComposeReply(const protocol::Request& req, const Result& r, std::string* out) {
  if (req.op == Op::kQuit) return;
  if (protocol::IsError(r.code)) {
    ComposeError(req, r, out);
    return;
  }
  const bool with_cas = req.op == Op::kGets || req.op == Op::kGats;
  switch (req.op) {
    case Op::kGet:
    case Op::kGets:
    case Op::kGat:
    case Op::kGats:
      if (r.code == ResultCode::kFound && r.has_value) {
        ComposeValue(r.key.empty() ? req.key : r.key, r, with_cas, out);
      }
      ComposeEnd(out);
      return;
    case Op::kStats:
      if (req.args == "reset") {
        out->append(kReplyReset);
      } else if (req.args == "detail on" || req.args == "detail off") {
        out->append(kReplyOk);
      } else {
        ComposeEnd(out);
      }
      return;
    case Op::kVersion:
      out->append(kReplyVersionPrefix);
      AppendLine(r.text, out);
      return;
    case Op::kNoop:
      out->append(kMetaReplyNoop);
      return;
    case Op::kMetaDebug:
      if (protocol::IsHit(r.code)) {
        out->append(kMetaDebugPrefix);
        AppendLine(r.text, out);
      } else {
        out->append(kMetaReplyMiss);
      }
      return;
    default:
      break;
  }
  if (req.noreply) return;
  if ((req.op == Op::kIncr || req.op == Op::kDecr) && r.code == ResultCode::kFound) {
    if (r.has_number) {
      char line[kNumberLineMaxSize];
      out->append(line, FormatNumberLine(line, r.number));
    } else {
      AppendLine(r.value, out);  // a meta "ma ... v" result carries the number as its value
    }
    return;
  }
  out->append(WordFor(req.op, r.code));
}

void ComposeValueHead(std::string_view key, const Result& r, bool with_cas, std::string* out) {
  const size_t old_size = out->size();
  // kValueHeaderMaxSize assumes a legal key; size for the key we were given instead.
  out->resize(old_size + kValueHeaderMaxSize - kKeyMaxLength + key.size());
  const size_t n = FormatValueHeader(out->data() + old_size, key, r.client_flags, r.value_length,
                                     with_cas, r.cas);
  out->resize(old_size + n);
}

void ComposeValue(std::string_view key, const Result& r, bool with_cas, std::string* out) {
  Result sized = r;
  sized.value_length = static_cast<uint32_t>(r.value.size());
  ComposeValueHead(key, sized, with_cas, out);
  out->append(r.value);
  out->append(kCrlf);
}

void ComposeStat(const Result& r, std::string* out) {
  if (!r.text.starts_with(kReplyItemPrefix) && !r.text.starts_with(kReplyPrefixPrefix)) {
    out->append(kReplyStatPrefix);
  }
  AppendLine(r.text, out);
}

void ComposeEnd(std::string* out) { out->append(kReplyEnd); }

void ComposeMultiGetStart(protocol::Op op, std::string* out) {
  out->append(op == Op::kGets ? kCommandGets : kCommandGet);
}

void ComposeMultiGetKey(std::string_view key, std::string* out) {
  out->push_back(' ');
  out->append(key);
}

void ComposeMultiGetEnd(std::string* out) { out->append(kCrlf); }

}  // namespace memfleet::protocol::text
