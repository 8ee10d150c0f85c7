// Streaming reply parsing: the types every protocol's reply parser shares, and ValueReader, which
// consumes a value that follows a parsed reply head as its bytes arrive.
//
// A reply parser (text/client.h, meta/client.h, binary/client.h) looks at the front of a buffer
// and parses one reply *head*: a text or meta reply line, or a binary packet's header, extras and
// key. When the head announces a value, its bytes (then "\r\n" for text and meta, nothing for
// binary) follow the head and are NOT part of `consumed`: the caller hands them to a ValueReader
// as they arrive, so a 1 MB value is never copied whole just to find its end. A convenience
// ParseReply in each protocol returns the whole element (value included) when the buffer already
// holds it. "Incomplete" is an ordinary result: read more and call again with the grown buffer.
// Pure data and a small state machine; one ValueReader per stream, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace memfleet::protocol {

enum class ReplyStatus : uint8_t {
  kOk,          // a head was parsed
  kIncomplete,  // not a whole head yet
  kMalformed,   // the stream cannot be followed any more: close the connection
};

// Which part of a reply a head is. Most replies are one kComplete part; a text retrieval is
// kValue parts then kEnd, a stats reply kStat parts then kEnd.
enum class ReplyPart : uint8_t {
  kComplete,  // the whole reply to one request (status line, number, meta reply, binary packet)
  kValue,     // text retrieval: one "VALUE ..." with its value; more may follow until kEnd
  kStat,      // one "STAT <name> <value>" (text) or stat packet (binary); more follow until kEnd
  kEnd,       // "END" of a text retrieval or stats reply; the empty packet ending binary stats
};

struct ReplyParse {
  ReplyStatus status = ReplyStatus::kIncomplete;
  ReplyPart part = ReplyPart::kComplete;
  size_t consumed = 0;  // bytes of the head (the value and its trailer are not included)
  // When the head announces a value: its length and the bytes that must follow it ("\r\n" for
  // text and meta, empty for binary).
  bool has_value = false;
  uint32_t value_length = 0;
  std::string_view trailer;
};

// Consumes a value of a known length followed by a fixed trailer, from as many pieces as the
// bytes arrive in.
class ValueReader {
 public:
  ValueReader() = default;
  ValueReader(size_t length, std::string_view trailer) { Start(length, trailer); }

  void Start(size_t length, std::string_view trailer) {
    value_left_ = length;
    trailer_ = trailer;
    trailer_got_ = 0;
    bad_trailer_ = false;
  }

  // Takes what it can from the front of buf. *data is the part of buf that is value bytes (may
  // be empty). Returns the number of bytes of buf consumed (value and trailer).
  size_t Feed(std::string_view buf, std::string_view* data) {
    size_t take = value_left_ < buf.size() ? value_left_ : buf.size();
    *data = buf.substr(0, take);
    value_left_ -= take;
    size_t used = take;
    while (value_left_ == 0 && trailer_got_ < trailer_.size() && used < buf.size()) {
      if (buf[used] != trailer_[trailer_got_]) bad_trailer_ = true;
      ++trailer_got_;
      ++used;
    }
    return used;
  }

  // The value and its trailer have been consumed.
  bool done() const { return value_left_ == 0 && trailer_got_ == trailer_.size(); }
  // The bytes after the value were not the trailer ("\r\n"): the stream is out of step.
  bool bad_trailer() const { return bad_trailer_; }
  size_t value_left() const { return value_left_; }

 private:
  size_t value_left_ = 0;
  std::string_view trailer_;
  size_t trailer_got_ = 0;
  bool bad_trailer_ = false;
};

}  // namespace memfleet::protocol
