// Text protocol replies: fixed reply lines and pure formatters that write reply pieces into
// caller memory.
//
// The formatters never allocate, never call snprintf and never write a terminating NUL: each
// writes at most its documented k...MaxSize bytes at `dst` and returns how many it wrote. The
// caller owns `dst` (typically a reserved region of a connection's output buffer). The meta
// protocol's replies ("HD", "VA <size> <flags>*", ...) will live here too, named kMeta... and
// FormatMeta...; the names without "Meta" are the classic text protocol. Pure functions and
// constants: any thread may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/text/request.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::text {

// The fixed reply lines (kReply..., kMetaReply...) live in vocabulary.h, included above.

// Decimal digits of the largest uint64_t.
inline constexpr size_t kUint64MaxDigits = 20;
inline constexpr size_t kUint32MaxDigits = 10;

// Writes `value` in decimal, no sign, no terminator. Writes at most kUint64MaxDigits bytes.
size_t FormatUint64(char* dst, uint64_t value);

// "<value>\r\n", the reply to a successful incr/decr.
inline constexpr size_t kNumberLineMaxSize = kUint64MaxDigits + 2;
size_t FormatNumberLine(char* dst, uint64_t value);

// "VALUE <key> <flags> <bytes>[ <cas>]\r\n", the header before each value of get/gets/gat/gats.
// REQUIRES: key.size() <= kKeyMaxLength (then at most kValueHeaderMaxSize bytes are written).
inline constexpr size_t kValueHeaderMaxSize =
    6 + kKeyMaxLength + 1 + kUint32MaxDigits + 1 + kUint32MaxDigits + 1 + kUint64MaxDigits + 2;
size_t FormatValueHeader(char* dst, std::string_view key, uint32_t flags, uint32_t value_length,
                         bool with_cas, uint64_t cas);

// "<error>\r\n" for a ParseResult::error. Writes error.size() + 2 bytes.
size_t FormatErrorLine(char* dst, std::string_view error);

// "STAT <name> <value>\r\n". Writes StatLineSize(name, value) bytes.
inline constexpr size_t StatLineSize(std::string_view name, std::string_view value) {
  return kReplyStatPrefix.size() + name.size() + 1 + value.size() + 2;
}
size_t FormatStatLine(char* dst, std::string_view name, std::string_view value);
// "STAT <name> <decimal value>\r\n". Writes at most StatLineSize(name, "") + kUint64MaxDigits.
size_t FormatStatLine(char* dst, std::string_view name, uint64_t value);

}  // namespace memfleet::protocol::text
