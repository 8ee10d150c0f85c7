// Text protocol requests: the pure parser for memcached's ASCII command lines.
//
// ParseRequest() looks at the front of a byte buffer and, if it holds one complete command line,
// fills a Request whose string_views point into that buffer. It does no I/O and keeps no state, so
// the server, the router and the client library share it; "need more bytes" is an ordinary result.
// A storage command's data block is NOT part of the line: the caller reads `value_length` bytes
// plus "\r\n" after the line itself (and checks the "\r\n", replying "CLIENT_ERROR bad data
// chunk" when it is missing). Thread-compatible: no shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/key.h"

namespace memfleet::protocol::text {

// Lines longer than this without a newline close the connection, unless they start a get/gets.
inline constexpr size_t kMaxLineWithoutNewline = 2048;
inline constexpr size_t kKeyMaxLength = protocol::kKeyMaxLength;
inline constexpr size_t kMaxTokens = 24;

enum class Command : uint8_t {
  kGet,
  kGets,
  kGat,
  kGats,
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kIncr,
  kDecr,
  kDelete,
  kTouch,
  kFlushAll,
  kVersion,
  kVerbosity,
  kQuit,
  kShutdown,
  kCacheMemlimit,
  kStats,
  // Operator commands whose arguments the server reads from `tokens`.
  kSlabs,
  kLruCrawler,
  kLru,
  kWatch,
  kMisbehave,
  // Meta commands (mg ms md ma mn me): recognised so that the server can answer them; their
  // flags are left in `tokens` for the meta parser.
  kMetaGet,
  kMetaSet,
  kMetaDelete,
  kMetaArithmetic,
  kMetaNoop,
  kMetaDebug,
  // Added: "extstore <setting> <value> [noreply]" (the reference build has extstore compiled in
  // and accepts these even without -o ext_path); the server reads `tokens`.
  kExtstore,
  // Added: "refresh_certs"; never kOk: the reference build answers "Error TLS not enabled",
  // which ParseRequest returns as a kError reply.
  kRefreshCerts,
};

enum class ParseStatus : uint8_t {
  kOk,          // *req is filled; `consumed` bytes (the line and its newline) were used
  kIncomplete,  // no complete line yet: read more and call again with the grown buffer
  kError,       // `consumed` bytes were a bad line; reply `error` and go on with the rest
                //   (send nothing when req->noreply is set: memcached suppresses it too)
  kClose,       // the peer sent something that must close the connection: a line too long
                //   without newline, or an unknown command whose last token starts "HTTP/"
};

// After kError, `command` is set when the command name was recognised (memcached counts some
// failed commands, e.g. cmd_flush) and `noreply` says whether the error must be suppressed.
struct Request {
  Command command = Command::kGet;
  // The last token is "noreply" on a command that honours it (memcached's set_noreply_maybe:
  // storage, cas, incr/decr, delete, touch, flush_all, verbosity, cache_memlimit, lru, watch,
  // extstore, slabs automove). Meta commands use their own 'q' flag instead.
  bool noreply = false;

  // Single-key commands (storage, incr/decr, delete, touch) and meta commands (the key as sent,
  // possibly base64). Retrieval commands: the first key.
  std::string_view key;
  // Retrieval commands: the keys, separated by one or more spaces, already validated
  // (1..250 bytes each, at least one; gat/gats may have none: memcached answers "END").
  // Walk them with KeyIterator.
  std::string_view keys;
  uint32_t key_count = 0;  // retrieval commands: how many keys `keys` holds

  // Numbers are read as memcached reads them (see number.h): flags and exptime are truncated
  // to 32 bits like memcached does, so "exptime" is always in int32 range.
  uint32_t client_flags = 0;
  int64_t exptime = 0;        // as sent; convert with Clock::FromExptime
  uint32_t value_length = 0;  // storage commands and ms: bytes of data that follow the line
  uint64_t cas = 0;           // cas command
  uint64_t delta = 0;         // incr/decr
  int64_t number = 0;         // verbosity level, flush_all delay, cache_memlimit megabytes
  bool has_number = false;    // whether the number was given (flush_all delay; always set for
                              // verbosity and cache_memlimit)

  // Every token of the line, the command first. Like memcached, at most kMaxTokens - 1 (23)
  // tokens are split; what follows is left whole in `rest` (retrieval commands still see every
  // key through `keys`). Admin and meta commands read their arguments here.
  std::array<std::string_view, kMaxTokens> tokens;
  size_t ntokens = 0;
  // Added: the unsplit remainder of a line with more than 23 tokens (past the one space after
  // the 23rd token); empty otherwise.
  std::string_view rest;
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;
  std::string_view error;  // for kError: the full reply line without "\r\n", e.g. "ERROR"
};

// Parses the first command line of buf. Never reads past buf.
ParseResult ParseRequest(std::string_view buf, Request* req);

// Iterates over the space-separated keys of a retrieval request.
class KeyIterator {
 public:
  explicit KeyIterator(std::string_view keys) : rest_(keys) {}
  // Returns false when no keys are left. Inline: a router walks every key of a multi-get.
  bool Next(std::string_view* key) {
    size_t start = 0;
    while (start < rest_.size() && rest_[start] == ' ') ++start;
    if (start == rest_.size()) {
      rest_ = {};
      return false;
    }
    size_t end = rest_.find(' ', start);
    if (end == std::string_view::npos) end = rest_.size();
    *key = rest_.substr(start, end - start);
    rest_.remove_prefix(end);
    return true;
  }

 private:
  std::string_view rest_;
};

}  // namespace memfleet::protocol::text
