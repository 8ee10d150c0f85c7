// The client half of the binary protocol and its mapping to the neutral model (model.h): what a
// router or a client library needs to speak binary to memcached/memfleetd, and to answer a
// binary-speaking client from a neutral Result, without writing protocol bytes of its own.
//
//  - ToNeutral: a request parsed by the server-side ParseRequest (binary.h) as a neutral Request.
//  - ComposeRequestHead / ComposeRequest: a neutral Request as binary request bytes.
//  - ParseReplyHead / ParseReply: one response packet as a neutral Result (streaming, stream.h).
//  - ComposeReply: the bytes memcached 1.6.18 sends a binary client for a request and an outcome.
//  - OpaqueMatcher: which pending requests a response answers, given quiet requests' silence.
//
// Mapping choices (binary has no separate cas, gets or gats commands):
//  - set/add/replace with a nonzero cas in the header is kCas (memcached turns any of them into a
//    compare-and-swap); binary_opcode keeps which one, so it re-composes exactly. A neutral kCas
//    without a binary opcode composes as SET with the cas. kGets/kGats compose as GET/GAT: every
//    binary get returns the cas.
//  - incr/decr: create is exptime != 0xffffffff; the exptime is kept as sent (so a no-create
//    request has exptime 0xffffffff). Composing: create ? exptime : 0xffffffff.
//  - stat: args is the key ("items"...); flush: exptime from the extras, has_number when the
//    request had them. noreply is the quiet opcode; opaque is kept.
//  - A stats packet parses as ReplyPart::kStat with r->key = name and the value as the value;
//    the empty packet that ends it is kEnd.
//  - Router-side failures in ComposeReply (kTimeout, kConnectTimeout, kConnectError, kTko) have
//    no memcached status: they are answered with the protocol's "temporary failure" status
//    (0x86) and the text protocol's failure words (vocabulary.h's kTextRouter*), so a client sees a
//    retryable server-side error, as it would from a text router's "SERVER_ERROR ...". A remote
//    error with no known detail is "internal error" (0x84).
//
// Result views point into the parsed buffer. Pure functions (and one plain bookkeeping class):
// no I/O; the parsers never allocate. Any thread; an OpaqueMatcher belongs to one connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/binary/binary.h"
#include "protocol/model.h"
#include "protocol/stream.h"

namespace memfleet::protocol::binary {

// Maps a request parsed by ParseRequest (binary.h) into the neutral model. `value` is the data
// block of a storage request when the caller holds it (may be empty when streamed; value_length
// is set either way). Returns false for requests with no neutral form: SASL, unknown opcodes.
// REQUIRES: parsed passed CheckRequestShape (extras have the opcode's size).
bool ToNeutral(const Request& parsed, std::string_view value, protocol::Request* out);

// The binary opcode a neutral request composes to: req.binary_opcode when it is an opcode for
// req.op (so that a binary request re-composes to its exact opcode), else the plain opcode for
// req.op, quiet when req.noreply and the opcode has a quiet form. False for kMetaDebug, which has
// no binary form, and for kVerbosity not from a binary client: memcached 1.6 does not implement
// VERBOSITY and, answering "Unknown command", swallows bytes of the next request.
bool OpcodeFor(const protocol::Request& req, uint8_t* opcode);

// Appends the bytes of req up to (not including) the data block of a storage request: header,
// extras and key, with body_length counting req.value_length value bytes. Appends nothing when
// OpcodeFor fails.
void ComposeRequestHead(const protocol::Request& req, std::string* out);
// Appends the whole request: the head for a data block of req.value.size() bytes, then req.value
// (binary has no trailer).
void ComposeRequest(const protocol::Request& req, std::string* out);

// What a response packet's header said, beyond what the neutral Result holds.
struct ReplyInfo {
  uint8_t opcode = 0;
  uint16_t status = 0;  // a binary::Status
  uint32_t opaque = 0;
  uint64_t cas = 0;
  uint8_t extras_length = 0;
  std::string_view key;  // getk/gatk: the key; stats: the stat's name
};

// Parses one response head (header, extras, key) at the front of buf. On kOk: r->code/detail
// from opcode and status, flags from the extras, cas, binary_opaque, key; `consumed` is the head;
// when the packet has a body after the key, has_value/value_length announce it (trailer empty)
// and the caller streams it (ValueReader), then may give it to ApplyReplyBody. r->has_value is
// set only for values proper (get family hits, stats values). r and info are written only on
// kOk. Never reads past buf, never allocates. Bad magic (checked from the first byte), or extras
// + key longer than the body: kMalformed.
protocol::ReplyParse ParseReplyHead(std::string_view buf, protocol::Result* r, ReplyInfo* info);

// Fills the fields a response's body carries: the value (get family, stats), the 8-byte
// incr/decr number (r->number), the version or SASL text (r->text), the error text (r->message).
// REQUIRES: r and info from ParseReplyHead of this packet, body its whole body after the key.
void ApplyReplyBody(const ReplyInfo& info, std::string_view body, protocol::Result* r);

// As ParseReplyHead, but waits (kIncomplete) until the whole packet is in buf and applies its
// body: r->value is a view into buf, and `consumed` counts the whole packet (has_value and
// value_length still describe the body it included). r and info are written only on kOk. Error
// bodies are memcached's short texts; a caller that does not want to hold a large body (a big
// value) uses ParseReplyHead and streams it.
protocol::ReplyParse ParseReply(std::string_view buf, protocol::Result* r, ReplyInfo* info);

// The binary status ComposeReply answers for a request's outcome (see the header comment).
Status StatusFor(const protocol::Request& req, const protocol::Result& r);

// Appends the response memcached 1.6.18 sends a binary client for `req` (as ToNeutral gives it)
// and the outcome `r`: the header with req's opcode and opaque; get family hits with the flags
// extras (getk/gatk: and the request's key), the value and the cas; touch with flags and cas;
// storage successes with the new cas; incr/decr with the 8-byte number and cas; version with
// r.text; one stats packet per call (r.key name and r.value, or r.text "name value"; neither:
// the empty end packet); getk/gatk misses with the key as body. Nothing for a quiet opcode's
// success or a quiet get's miss. Errors carry memcached's text for the status; r.message is used
// only for statuses memcached has no text of its own for (router failures, kOther), since a
// message from a text or meta upstream ("SERVER_ERROR ...") is not a binary body.
void ComposeReply(const protocol::Request& req, const protocol::Result& r, std::string* out);

// Matches responses to the requests of one upstream connection by opaque. The caller pushes each
// request it sends, in order; a quiet request may get no response at all (a getq miss, a setq
// success). Given a response's opaque, Match says how many requests at the front are answered
// by their silence (all quiet, before the matched one) and whether the front after them is the
// one this response answers. A noop's response thus closes every quiet request before it.
// Fixed capacity, chosen at construction; one connection's thread uses it.
class OpaqueMatcher {
 public:
  struct Pending {
    uint32_t opaque = 0;
    bool quiet = false;
    uint64_t tag = 0;  // the caller's: which request this is
  };
  enum class MatchStatus : uint8_t {
    kAnswered,  // Front() after `implicit` PopFront()s is the request this response answers
    kUnknown,   // no pending request has this opaque: the stream is out of step
    kSkipped,   // a non-quiet request before it got no response: the stream is out of step
  };
  struct Match {
    MatchStatus status = MatchStatus::kUnknown;
    size_t implicit = 0;  // quiet requests at the front, answered by their silence
  };

  explicit OpaqueMatcher(size_t capacity) : ring_(capacity) {}

  // Records a sent request. False when `capacity` requests are already pending.
  bool Push(uint32_t opaque, bool quiet, uint64_t tag = 0);
  // Looks up a response's opaque; changes nothing (the caller pops what it handles).
  Match Find(uint32_t opaque) const;
  // The oldest pending request. REQUIRES: !empty().
  const Pending& Front() const { return ring_[head_]; }
  // Forgets the oldest pending request (after handling it). REQUIRES: !empty().
  void PopFront();
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == ring_.size(); }

 private:
  const Pending& At(size_t i) const { return ring_[(head_ + i) % ring_.size()]; }

  std::vector<Pending> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace memfleet::protocol::binary
