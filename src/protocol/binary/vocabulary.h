// The wire vocabulary of memcached's binary protocol, in one place: magic bytes, opcodes, response
// statuses and the error texts memcached 1.6 sends as their bodies, extras sizes, and the SASL
// words. The request parser, the server, the reply parser and the reply composer all use these
// names, so that a status or a text is written down exactly once. Constants and constexpr
// functions only: no state, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/text/vocabulary.h"

namespace memfleet::protocol::binary {

// The first byte of every packet.
inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;

// Opcodes memcached 1.6.18 implements (protocol_binary.h), plus VERBOSITY, which the protocol
// defines and memcached 1.6 answers "Unknown command" (kept so that it has a name).
enum class Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

// Response statuses. memcached 1.6 sends kSuccess through kDeltaBadValue, the two auth statuses,
// kUnknownCommand and kOutOfMemory; the others are the protocol's and are what memfleet-router
// answers for its own failures (see client.h).
enum class Status : uint16_t {
  kSuccess = 0x00,
  kKeyNotFound = 0x01,
  kKeyExists = 0x02,
  kTooLarge = 0x03,
  kInvalidArguments = 0x04,
  kNotStored = 0x05,
  kDeltaBadValue = 0x06,
  kNotMyVbucket = 0x07,
  kAuthError = 0x20,
  kAuthContinue = 0x21,
  kUnknownCommand = 0x81,
  kOutOfMemory = 0x82,
  kNotSupported = 0x83,
  kInternalError = 0x84,
  kBusy = 0x85,
  kTemporaryFailure = 0x86,
};

// The bodies of error responses, byte for byte as memcached 1.6.18 sends them.
inline constexpr std::string_view kTextKeyNotFound = "Not found";
inline constexpr std::string_view kTextKeyExists = "Data exists for key.";
inline constexpr std::string_view kTextTooLarge = "Too large.";
inline constexpr std::string_view kTextInvalidArguments = "Invalid arguments";
inline constexpr std::string_view kTextNotStored = "Not stored.";
inline constexpr std::string_view kTextDeltaBadValue =
    "Non-numeric server-side value for incr or decr";
inline constexpr std::string_view kTextAuthError = "Auth failure.";
inline constexpr std::string_view kTextUnknownCommand = "Unknown command";
inline constexpr std::string_view kTextOutOfMemory = "Out of memory";
// Texts of the statuses memcached never sends; memfleet's own words (see client.h).
inline constexpr std::string_view kTextNotMyVbucket = "Not my vbucket";
inline constexpr std::string_view kTextNotSupported = "Not supported";
inline constexpr std::string_view kTextInternalError = "Internal error";
inline constexpr std::string_view kTextBusy = "Busy";
inline constexpr std::string_view kTextTemporaryFailure = "Temporary failure";
// memfleet-router's texts for its own failures, sent with kTemporaryFailure (see client.h): the
// text protocol's SERVER_ERROR lines without "SERVER_ERROR ", so every protocol says the same.
inline constexpr std::string_view kTextRouterTimeout =
    text::kErrorRouterTimeout.substr(text::kServerErrorPrefix.size());
inline constexpr std::string_view kTextRouterConnectTimeout =
    text::kErrorRouterConnectTimeout.substr(text::kServerErrorPrefix.size());
inline constexpr std::string_view kTextRouterConnectError =
    text::kErrorRouterConnectError.substr(text::kServerErrorPrefix.size());
inline constexpr std::string_view kTextRouterTko =
    text::kErrorRouterTko.substr(text::kServerErrorPrefix.size());
// The longest text above: an error response is at most kHeaderSize + this many bytes.
inline constexpr size_t kMaxStatusTextLength = kTextDeltaBadValue.size();

// memcached's error text for a status ("Not found", "Too large.", ...); empty for kSuccess and
// kAuthContinue (which carry no text) and for a status the protocol does not define.
constexpr std::string_view StatusText(Status s) {
  switch (s) {
    case Status::kSuccess:
    case Status::kAuthContinue:
      return {};
    case Status::kKeyNotFound:
      return kTextKeyNotFound;
    case Status::kKeyExists:
      return kTextKeyExists;
    case Status::kTooLarge:
      return kTextTooLarge;
    case Status::kInvalidArguments:
      return kTextInvalidArguments;
    case Status::kNotStored:
      return kTextNotStored;
    case Status::kDeltaBadValue:
      return kTextDeltaBadValue;
    case Status::kNotMyVbucket:
      return kTextNotMyVbucket;
    case Status::kAuthError:
      return kTextAuthError;
    case Status::kUnknownCommand:
      return kTextUnknownCommand;
    case Status::kOutOfMemory:
      return kTextOutOfMemory;
    case Status::kNotSupported:
      return kTextNotSupported;
    case Status::kInternalError:
      return kTextInternalError;
    case Status::kBusy:
      return kTextBusy;
    case Status::kTemporaryFailure:
      return kTextTemporaryFailure;
  }
  return {};
}

// Extras sizes, per opcode family.
inline constexpr size_t kStoreExtrasSize = 8;    // set/add/replace: flags, exptime
inline constexpr size_t kDeltaExtrasSize = 20;   // incr/decr: delta, initial, exptime
inline constexpr size_t kExptimeExtrasSize = 4;  // touch/gat, flush (optional), verbosity
inline constexpr size_t kGetExtrasSize = 4;      // get/gat/touch responses: flags
inline constexpr size_t kDeltaValueSize = 8;     // incr/decr responses: the new value
// incr/decr extras exptime meaning "do not create a missing item".
inline constexpr uint32_t kNoCreate = 0xffffffffu;

// SASL: the one mechanism memfleet (and a memcached built with sasl-pwdb) offers, the list
// SASL_LIST_MECHS answers, and the body of a successful SASL_AUTH.
inline constexpr std::string_view kSaslMechPlain = "PLAIN";
inline constexpr std::string_view kSaslMechList = "PLAIN";
inline constexpr std::string_view kSaslAuthenticated = "Authenticated";
// memcached's MAX_SASL_MECH_LEN: a longer mechanism name is refused.
inline constexpr size_t kMaxSaslMechLength = 32;

// The opcode's name as protocol_binary.h spells it without its prefix ("GET", "SETQ"...), for
// logs and test names; "UNKNOWN" for others.
constexpr std::string_view OpcodeName(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kGet:
      return "GET";
    case Opcode::kSet:
      return "SET";
    case Opcode::kAdd:
      return "ADD";
    case Opcode::kReplace:
      return "REPLACE";
    case Opcode::kDelete:
      return "DELETE";
    case Opcode::kIncrement:
      return "INCREMENT";
    case Opcode::kDecrement:
      return "DECREMENT";
    case Opcode::kQuit:
      return "QUIT";
    case Opcode::kFlush:
      return "FLUSH";
    case Opcode::kGetQ:
      return "GETQ";
    case Opcode::kNoop:
      return "NOOP";
    case Opcode::kVersion:
      return "VERSION";
    case Opcode::kGetK:
      return "GETK";
    case Opcode::kGetKQ:
      return "GETKQ";
    case Opcode::kAppend:
      return "APPEND";
    case Opcode::kPrepend:
      return "PREPEND";
    case Opcode::kStat:
      return "STAT";
    case Opcode::kSetQ:
      return "SETQ";
    case Opcode::kAddQ:
      return "ADDQ";
    case Opcode::kReplaceQ:
      return "REPLACEQ";
    case Opcode::kDeleteQ:
      return "DELETEQ";
    case Opcode::kIncrementQ:
      return "INCREMENTQ";
    case Opcode::kDecrementQ:
      return "DECREMENTQ";
    case Opcode::kQuitQ:
      return "QUITQ";
    case Opcode::kFlushQ:
      return "FLUSHQ";
    case Opcode::kAppendQ:
      return "APPENDQ";
    case Opcode::kPrependQ:
      return "PREPENDQ";
    case Opcode::kVerbosity:
      return "VERBOSITY";
    case Opcode::kTouch:
      return "TOUCH";
    case Opcode::kGat:
      return "GAT";
    case Opcode::kGatQ:
      return "GATQ";
    case Opcode::kSaslListMechs:
      return "SASL_LIST_MECHS";
    case Opcode::kSaslAuth:
      return "SASL_AUTH";
    case Opcode::kSaslStep:
      return "SASL_STEP";
    case Opcode::kGatK:
      return "GATK";
    case Opcode::kGatKQ:
      return "GATKQ";
  }
  return "UNKNOWN";
}

}  // namespace memfleet::protocol::binary
