// ScanReplyElement: a minimal, allocation-free scanner for the replies of memcached's text and meta
// protocols, as a load generator needs them.
//
// It looks at the front of a buffer and reports the first complete reply element: one "VALUE"
// (text) or "VA" (meta) block with its data, or one status line (END, STORED/HD, EN, NOT_STORED,
// ERROR...). It only finds the terminators and the data length; it does not validate more than it
// must to stay in step with the stream. "Incomplete" is a normal result: read more and call again.
// The views in the result point into the buffer. Pure function; any thread may call it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace memfleet::bench {

enum class ReplyElement : uint8_t {
  kIncomplete,  // no complete element yet
  kValue,       // "VALUE <key> <flags> <bytes>[ <cas>]" or "VA <bytes> ..." plus data
  kEnd,         // "END": the end of a get/gets reply
  kStored,      // "STORED" or meta "HD"
  kNotStored,   // "NOT_STORED", "EXISTS", "NOT_FOUND", meta "NS", "EX", "NF"
  kMiss,        // meta "EN"
  kError,       // "ERROR", "CLIENT_ERROR ...", "SERVER_ERROR ..."
  kMalformed,   // anything else: the stream cannot be followed any more
};

struct ReplyScan {
  ReplyElement kind = ReplyElement::kIncomplete;
  size_t consumed = 0;    // bytes of this element, data and terminators included
  std::string_view line;  // the first line without "\r\n"
  std::string_view key;   // kValue from "VALUE": the key; empty for "VA"
  std::string_view data;  // kValue: the value bytes
};

// Lines longer than this without a newline are malformed (a key is at most 250 bytes).
inline constexpr size_t kMaxReplyLine = 4096;

ReplyScan ScanReplyElement(std::string_view buf);

}  // namespace memfleet::bench
