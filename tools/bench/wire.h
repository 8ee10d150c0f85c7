// The load generator's side of the wire: every byte memfleet-bench sends is composed, and every
// reply it reads is parsed, by the protocol library (protocol/text/client.h,
// protocol/meta/client.h), so the generator writes no protocol bytes of its own.
//
// RequestComposer keeps one neutral protocol::Request (and, for a text multi-get, one string of
// keys) that it refills for every request, and appends the request to the caller's output
// string with text::ComposeRequest or meta::ComposeRequest: once the strings have reached their
// working size, composing allocates nothing. ReplyReader parses the reply element at the front
// of a connection's input with text::ParseReply or meta::ParseReply for the Op of the request it
// answers, and says what it means to the generator (a value, the end of a text get, a miss,
// stored, not stored, an error). A RequestComposer and a ReplyReader belong to one worker
// thread; the KeySpace and ValuePattern a composer points to outlive it. FirstLine is a pure
// function: any thread may call it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "options.h"
#include "protocol/model.h"
#include "value_pattern.h"

namespace memfleet::bench {

class RequestComposer {
 public:
  RequestComposer(Protocol protocol, const KeySpace* keys, const ValuePattern* values);

  // Appends a set of key `index` with its ValuePattern value of `length` bytes: text
  // "set <key> 0 0 <length>", meta "ms <key> <length>", then the value and "\r\n". Returns the
  // Op its reply is parsed for. REQUIRES: length <= the ValuePattern's max_value_size().
  protocol::Op AppendSet(uint64_t index, size_t length, std::string* out);
  // Appends a get of `indexes` (REQUIRES: not empty): text "get <key> <key>...", meta
  // "mg <key> v" (meta asks one key per request: REQUIRES indexes.size() == 1). Returns the Op
  // its reply is parsed for.
  protocol::Op AppendGet(std::span<const uint64_t> indexes, std::string* out);

 private:
  // Formats key `index` into key_ and points request_.key at it.
  void SetKey(uint64_t index);

  const Protocol protocol_;
  const KeySpace& keys_;
  const ValuePattern& values_;
  protocol::Request request_;
  std::string key_;       // the single key of a set or meta get
  std::string key_list_;  // a text multi-get's keys, space-separated
  std::string_view value_token_[1] = {"v"};
};

// What a reply element means to the load generator.
enum class ReplyKind : uint8_t {
  kIncomplete,  // not a whole element yet: read more and call again
  kValue,       // a hit: text "VALUE ..." (more parts follow until kEnd) or meta "VA ..."
  kEnd,         // text "END": the end of a get (keys without a VALUE missed)
  kMiss,        // meta "EN"
  kStored,      // "STORED" / "HD"
  kNotStored,   // NOT_STORED, EXISTS, NOT_FOUND (meta NS, EX, NF)
  kError,       // ERROR, CLIENT_ERROR ..., SERVER_ERROR ...: the connection goes on
  kMalformed,   // not a reply to this request: the stream cannot be followed any more
};

struct Reply {
  ReplyKind kind = ReplyKind::kIncomplete;
  size_t consumed = 0;       // bytes of the element, value and terminators included
  std::string_view key;      // kValue from text "VALUE": the key; empty for meta
  std::string_view value;    // kValue: the value bytes
  std::string_view message;  // kError: the whole error line without "\r\n"
};

// Parses reply elements with text::ParseReply or meta::ParseReply. It keeps the one
// protocol::Result the parsers fill, so that a reply costs no fresh Result; the Reply it returns
// views only the parsed buffer. One per worker thread.
class ReplyReader {
 public:
  explicit ReplyReader(Protocol protocol) : protocol_(protocol) {}

  // Parses the reply element at the front of buf for a request of `op` (as AppendSet /
  // AppendGet returned it). Views in the Reply point into buf.
  Reply Read(protocol::Op op, std::string_view buf);

 private:
  const Protocol protocol_;
  protocol::Result result_;  // scratch: the parsers reset it for every element
};

// The first line of buf (without "\r\n"), at most 80 bytes: what an error report quotes.
std::string_view FirstLine(std::string_view buf);

}  // namespace memfleet::bench
