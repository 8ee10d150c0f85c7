// The text protocol parser. Every rule here mirrors memcached 1.6.18 (proto_text.c and util.c):
// the order of the checks decides which error a bad line gets, so it follows memcached's order
// rather than a tidier one. Verified against the reference server; see request_test.cc.
#include "protocol/text/request.h"

#include <climits>
#include <cstring>

#include "protocol/text/number.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text {
namespace {

constexpr std::string_view kError = kErrorUnknownCommand;
constexpr std::string_view kBadFormat = kErrorBadFormat;
constexpr std::string_view kBadDelta = kErrorBadDelta;
constexpr std::string_view kBadExptime = kErrorBadExptime;
constexpr std::string_view kDeleteUsage = kErrorDeleteUsage;
constexpr std::string_view kMemlimitTooSmall = kErrorMemlimitTooSmall;
constexpr std::string_view kMemlimitNotBytes = kErrorMemlimitNotBytes;
constexpr std::string_view kMetaFlagsTooLong = kErrorMetaFlagsTooLong;
constexpr std::string_view kMetaGetFlagsTooLong = kErrorMetaGetFlagsTooLong;
constexpr std::string_view kTlsNotEnabled = kErrorTlsNotEnabled;

// memcached splits at most this many tokens; the rest of the line stays in one piece.
constexpr size_t kSplitTokens = kMaxTokens - 1;
// memcached's MFLAG_MAX_OPT_LENGTH counts its terminal token too: 19 real tokens at most.
constexpr size_t kMetaMaxTokens = 19;
// Leading spaces memcached skips when deciding whether a long line without newline is a get.
constexpr size_t kMaxLeadingSpaces = 100;

// How a recognised command's line is checked; several commands share one shape.
enum class Shape : uint8_t {
  kRetrieval,
  kRetrievalTouch,
  kStorage,
  kCas,
  kArithmetic,
  kDelete,
  kTouch,
  kFlushAll,
  kVerbosity,
  kCacheMemlimit,
  kMinTwoTokensNoreply,  // lru, extstore: at least one argument, noreply honoured
  kNoreply,              // watch: any arguments, noreply honoured
  kSlabs,
  kAnyTokens,  // version, quit, shutdown, stats, lru_crawler: the server reads the tokens
  kRefreshCerts,
};

struct CommandInfo {
  Command command;
  Shape shape;
};

void ResetRequest(Request* req) {
  req->command = Command::kGet;
  req->noreply = false;
  req->key = {};
  req->keys = {};
  req->client_flags = 0;
  req->exptime = 0;
  req->value_length = 0;
  req->cas = 0;
  req->delta = 0;
  req->number = 0;
  req->has_number = false;
  req->ntokens = 0;
  req->rest = {};
}

// Splits like memcached's tokenize_command: single spaces separate (tabs do not), runs collapse,
// and after kSplitTokens tokens the remainder (past one separating space) is left in `rest`.
void Tokenize(std::string_view line, Request* req) {
  const char* p = line.data();
  const char* end = p + line.size();
  size_t n = 0;
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    if (p == end) break;
    const char* start = p;
    const void* space = std::memchr(p, ' ', static_cast<size_t>(end - p));
    p = space != nullptr ? static_cast<const char*>(space) : end;
    req->tokens[n++] = std::string_view(start, static_cast<size_t>(p - start));
    if (n == kSplitTokens) {
      if (p < end) req->rest = std::string_view(p + 1, static_cast<size_t>(end - p - 1));
      break;
    }
  }
  req->ntokens = n;
}

bool LookupCommand(std::string_view name, CommandInfo* info) {
  struct Entry {
    std::string_view name;
    CommandInfo info;
  };
  static constexpr Entry kTable[] = {
      {kCommandGet, {Command::kGet, Shape::kRetrieval}},
      {kCommandGets, {Command::kGets, Shape::kRetrieval}},
      {kCommandGat, {Command::kGat, Shape::kRetrievalTouch}},
      {kCommandGats, {Command::kGats, Shape::kRetrievalTouch}},
      {kCommandBget, {Command::kGet, Shape::kRetrieval}},  // ancient alias memcached still accepts
      {kCommandSet, {Command::kSet, Shape::kStorage}},
      {kCommandAdd, {Command::kAdd, Shape::kStorage}},
      {kCommandReplace, {Command::kReplace, Shape::kStorage}},
      {kCommandAppend, {Command::kAppend, Shape::kStorage}},
      {kCommandPrepend, {Command::kPrepend, Shape::kStorage}},
      {kCommandCas, {Command::kCas, Shape::kCas}},
      {kCommandIncr, {Command::kIncr, Shape::kArithmetic}},
      {kCommandDecr, {Command::kDecr, Shape::kArithmetic}},
      {kCommandDelete, {Command::kDelete, Shape::kDelete}},
      {kCommandTouch, {Command::kTouch, Shape::kTouch}},
      {kCommandFlushAll, {Command::kFlushAll, Shape::kFlushAll}},
      {kCommandVersion, {Command::kVersion, Shape::kAnyTokens}},
      {kCommandVerbosity, {Command::kVerbosity, Shape::kVerbosity}},
      {kCommandQuit, {Command::kQuit, Shape::kAnyTokens}},
      {kCommandShutdown, {Command::kShutdown, Shape::kAnyTokens}},
      {kCommandCacheMemlimit, {Command::kCacheMemlimit, Shape::kCacheMemlimit}},
      {kCommandStats, {Command::kStats, Shape::kAnyTokens}},
      {kCommandSlabs, {Command::kSlabs, Shape::kSlabs}},
      {kCommandLruCrawler, {Command::kLruCrawler, Shape::kAnyTokens}},
      {kCommandLru, {Command::kLru, Shape::kMinTwoTokensNoreply}},
      {kCommandWatch, {Command::kWatch, Shape::kNoreply}},
      {kCommandExtstore, {Command::kExtstore, Shape::kMinTwoTokensNoreply}},
      {kCommandRefreshCerts, {Command::kRefreshCerts, Shape::kRefreshCerts}},
  };
  for (const Entry& e : kTable) {
    if (e.name == name) {
      *info = e.info;
      return true;
    }
  }
  return false;
}

// One command line being checked: the tokens are in *req_, `consumed` covers line and newline.
class LineParser {
 public:
  LineParser(std::string_view line, size_t consumed, Request* req)
      : line_(line), consumed_(consumed), req_(req) {}

  ParseResult Parse();

 private:
  size_t n() const { return req_->ntokens; }
  std::string_view tok(size_t i) const { return req_->tokens[i]; }
  // memcached's set_noreply_maybe: the last token (of at most 23) is exactly "noreply".
  void SetNoreplyMaybe() { req_->noreply = tok(n() - 1) == "noreply"; }
  bool KeyTooLong(std::string_view key) const { return key.size() > kKeyMaxLength; }

  ParseResult Ok() const { return {ParseStatus::kOk, consumed_, {}}; }
  ParseResult Fail(std::string_view error) const { return {ParseStatus::kError, consumed_, error}; }

  ParseResult ParseUnknown() const;
  ParseResult ParseShape(Shape shape);
  ParseResult ParseRetrieval(bool touch);
  ParseResult ParseStorage(bool with_cas);
  ParseResult ParseArithmetic();
  ParseResult ParseDelete();
  ParseResult ParseTouch();
  ParseResult ParseFlushAll();
  ParseResult ParseVerbosity();
  ParseResult ParseCacheMemlimit();
  ParseResult ParseMeta();

  std::string_view line_;
  size_t consumed_;
  Request* req_;
};

ParseResult LineParser::Parse() {
  Tokenize(line_, req_);
  if (n() == 0 || tok(0).size() < 2) return Fail(kError);
  const std::string_view name = tok(0);
  if (name[0] == 'm' && name.size() == 2) return ParseMeta();
  CommandInfo info;
  if (!LookupCommand(name, &info)) return ParseUnknown();
  req_->command = info.command;
  return ParseShape(info.shape);
}

// memcached answers ERROR, except that a line outside its g/s/a/c/i/d/t dispatch whose last
// token starts with "HTTP/" (a web request) closes the connection.
ParseResult LineParser::ParseUnknown() const {
  switch (tok(0)[0]) {
    case 'g':
    case 's':
    case 'a':
    case 'c':
    case 'i':
    case 'd':
    case 't':
      return Fail(kError);
    default:
      break;
  }
  if (tok(n() - 1).starts_with("HTTP/")) return {ParseStatus::kClose, consumed_, {}};
  return Fail(kError);
}

ParseResult LineParser::ParseShape(Shape shape) {
  switch (shape) {
    case Shape::kRetrieval:
      return ParseRetrieval(false);
    case Shape::kRetrievalTouch:
      return ParseRetrieval(true);
    case Shape::kStorage:
      return ParseStorage(false);
    case Shape::kCas:
      return ParseStorage(true);
    case Shape::kArithmetic:
      return ParseArithmetic();
    case Shape::kDelete:
      return ParseDelete();
    case Shape::kTouch:
      return ParseTouch();
    case Shape::kFlushAll:
      return ParseFlushAll();
    case Shape::kVerbosity:
      return ParseVerbosity();
    case Shape::kCacheMemlimit:
      return ParseCacheMemlimit();
    case Shape::kMinTwoTokensNoreply:
      if (n() < 2) return Fail(kError);
      SetNoreplyMaybe();
      return Ok();
    case Shape::kNoreply:
      SetNoreplyMaybe();
      return Ok();
    case Shape::kSlabs:
      // Only "slabs automove" looks at noreply in memcached.
      if (n() >= 3 && tok(1) == "automove") SetNoreplyMaybe();
      return Ok();
    case Shape::kAnyTokens:
      return Ok();
    case Shape::kRefreshCerts:
      // The reference build has TLS compiled in but not enabled; this is its fixed answer.
      return Fail(kTlsNotEnabled);
  }
  return Fail(kError);
}

ParseResult LineParser::ParseRetrieval(bool touch) {
  if (n() < 2) return Fail(kError);
  size_t first_key = 1;
  if (touch) {
    int32_t exptime;
    if (!ParseInt32(tok(1), &exptime)) return Fail(kBadExptime);
    req_->exptime = exptime;
    first_key = 2;
  }
  if (first_key < n()) {
    // Keys run to the end of the line, past the 23 split tokens; drop trailing spaces.
    const char* begin = tok(first_key).data();
    const char* end = line_.data() + line_.size();
    while (end > begin && end[-1] == ' ') --end;
    req_->keys = std::string_view(begin, static_cast<size_t>(end - begin));
    req_->key = tok(first_key);
  }
  // memcached fetches the keys in order and discards everything at the first key too long.
  KeyIterator it(req_->keys);
  std::string_view key;
  uint32_t count = 0;
  while (it.Next(&key)) {
    if (KeyTooLong(key)) return Fail(kBadFormat);
    ++count;
  }
  req_->key_count = count;
  return Ok();
}

ParseResult LineParser::ParseStorage(bool with_cas) {
  const size_t min = with_cas ? 6 : 5;
  if (n() != min && n() != min + 1) return Fail(kError);
  SetNoreplyMaybe();
  req_->key = tok(1);
  if (KeyTooLong(req_->key)) return Fail(kBadFormat);
  int32_t exptime;
  int32_t length;
  if (!ParseUint32(tok(2), &req_->client_flags) || !ParseInt32(tok(3), &exptime) ||
      !ParseInt32(tok(4), &length)) {
    return Fail(kBadFormat);
  }
  req_->exptime = exptime;
  if (with_cas && !ParseUint64(tok(5), &req_->cas)) return Fail(kBadFormat);
  if (length < 0 || length > INT_MAX - 2) return Fail(kBadFormat);
  req_->value_length = static_cast<uint32_t>(length);
  return Ok();
}

ParseResult LineParser::ParseArithmetic() {
  if (n() != 3 && n() != 4) return Fail(kError);
  SetNoreplyMaybe();
  req_->key = tok(1);
  if (KeyTooLong(req_->key)) return Fail(kBadFormat);
  if (!ParseUint64(tok(2), &req_->delta)) return Fail(kBadDelta);
  return Ok();
}

// "delete <key> [0] [noreply]": a hold time other than 0 has been refused since 1.4.
ParseResult LineParser::ParseDelete() {
  if (n() < 2 || n() > 4) return Fail(kError);
  if (n() > 2) {
    const bool hold_is_zero = tok(2) == "0";
    SetNoreplyMaybe();
    const bool valid = (n() == 3 && (hold_is_zero || req_->noreply)) ||
                       (n() == 4 && hold_is_zero && req_->noreply);
    if (!valid) return Fail(kDeleteUsage);
  }
  req_->key = tok(1);
  if (KeyTooLong(req_->key)) return Fail(kBadFormat);
  return Ok();
}

ParseResult LineParser::ParseTouch() {
  if (n() != 3 && n() != 4) return Fail(kError);
  SetNoreplyMaybe();
  req_->key = tok(1);
  if (KeyTooLong(req_->key)) return Fail(kBadFormat);
  int32_t exptime;
  if (!ParseInt32(tok(2), &exptime)) return Fail(kBadExptime);
  req_->exptime = exptime;
  return Ok();
}

// "flush_all [delay] [noreply]": the delay is read unless the only argument is noreply, so
// "flush_all 10 junk" flushes in 10 s and "flush_all noreply 5" is a bad delay.
ParseResult LineParser::ParseFlushAll() {
  if (n() > 3) return Fail(kError);
  SetNoreplyMaybe();
  if (n() != (req_->noreply ? 2u : 1u)) {
    int32_t delay;
    if (!ParseInt32(tok(1), &delay)) return Fail(kBadExptime);
    req_->number = delay;
    req_->has_number = true;
  }
  return Ok();
}

ParseResult LineParser::ParseVerbosity() {
  if (n() != 2 && n() != 3) return Fail(kError);
  SetNoreplyMaybe();
  uint32_t level;
  if (!ParseUint32(tok(1), &level)) return Fail(kBadFormat);
  req_->number = level;
  req_->has_number = true;
  return Ok();
}

// The range checks are memcached's and depend on the number alone; the server only has to try
// the new limit (and answer "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust").
ParseResult LineParser::ParseCacheMemlimit() {
  if (n() != 2 && n() != 3) return Fail(kError);
  SetNoreplyMaybe();
  uint32_t megabytes;
  if (!ParseUint32(tok(1), &megabytes)) return Fail(kError);
  if (megabytes < 8) return Fail(kMemlimitTooSmall);
  if (megabytes > 1000000000) return Fail(kMemlimitNotBytes);
  req_->number = megabytes;
  req_->has_number = true;
  return Ok();
}

// Meta commands: only the checks memcached makes before it looks at the flags are made here,
// so that a kOk "ms" always has a data block of value_length bytes to read (or swallow).
ParseResult LineParser::ParseMeta() {
  Command command;
  switch (tok(0)[1]) {
    case 'g':
      command = Command::kMetaGet;
      break;
    case 's':
      command = Command::kMetaSet;
      break;
    case 'd':
      command = Command::kMetaDelete;
      break;
    case 'a':
      command = Command::kMetaArithmetic;
      break;
    case 'n':
      req_->command = Command::kMetaNoop;
      return Ok();
    case 'e':
      req_->command = Command::kMetaDebug;
      if (n() < 2 || KeyTooLong(tok(1))) return Fail(kBadFormat);
      req_->key = tok(1);
      return Ok();
    default:
      return Fail(kError);
  }
  req_->command = command;
  if (n() < 2) return Fail(kError);
  req_->key = tok(1);
  if (KeyTooLong(req_->key)) return Fail(kBadFormat);
  if (command == Command::kMetaSet && n() == 2) return Fail(kBadFormat);
  if (n() > kMetaMaxTokens) {
    return Fail(command == Command::kMetaGet ? kMetaGetFlagsTooLong : kMetaFlagsTooLong);
  }
  if (command == Command::kMetaSet) {
    int32_t length;
    if (!ParseInt32(tok(2), &length) || length < 0 || length > INT_MAX - 2) {
      return Fail(kBadFormat);
    }
    req_->value_length = static_cast<uint32_t>(length);
  }
  return Ok();
}

}  // namespace

ParseResult ParseRequest(std::string_view buf, Request* req) {
  ResetRequest(req);
  const void* nl = std::memchr(buf.data(), '\n', buf.size());
  if (nl == nullptr) {
    if (buf.size() <= kMaxLineWithoutNewline) return {};
    // Only a multiget may be this long (memcached's rule, spaces and all).
    size_t spaces = 0;
    while (spaces < buf.size() && buf[spaces] == ' ') ++spaces;
    const std::string_view rest = buf.substr(spaces);
    if (spaces > kMaxLeadingSpaces || !(rest.starts_with("get ") || rest.starts_with("gets "))) {
      return {ParseStatus::kClose, 0, {}};
    }
    return {};
  }
  const size_t line_end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
  std::string_view line = buf.substr(0, line_end);
  // memcached strips one '\r' before the '\n', but not when it is the line's only byte.
  if (line.size() > 1 && line.back() == '\r') line.remove_suffix(1);
  // memcached sees the line as a C string: it ends at the first NUL byte.
  const void* nul = std::memchr(line.data(), '\0', line.size());
  if (nul != nullptr)
    line = line.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - line.data()));
  return LineParser(line, line_end + 1, req).Parse();
}

}  // namespace memfleet::protocol::text
