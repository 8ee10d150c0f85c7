// Binary protocol: the pure parser and composer for memcached's binary protocol (packet headers,
// extras, keys), shared by the server, the router and the client library.
//
// Every packet starts with a 24-byte header (all integers big-endian): magic (0x80 request, 0x81
// response), opcode, key length (16 bits), extras length, data type, vbucket (request) or status
// (response), total body length (32 bits), opaque and cas; the body is extras, then key, then
// value. ParseRequest() looks at the front of a byte buffer and, once it holds the header, the
// extras and the key, fills a Request whose views point into that buffer; "need more bytes" is an
// ordinary result. The value is NOT part of what ParseRequest consumes: a caller that stores
// values copies `value_length` bytes after it straight into item memory, so a buffer never has to
// hold a whole value. CheckRequestShape() applies memcached 1.6's per-opcode rules (which extras,
// key and value lengths each opcode allows). The names of the wire (opcodes, statuses, texts) are
// in vocabulary.h. No I/O, no state: thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/binary/vocabulary.h"
#include "protocol/key.h"

namespace memfleet::protocol::binary {

inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kKeyMaxLength = protocol::kKeyMaxLength;

// A packet header in host byte order. For a response, `status` holds the status and vbucket is 0.
struct Header {
  uint8_t magic = kRequestMagic;
  uint8_t opcode = 0;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t vbucket_or_status = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

// Decodes the 24 bytes at src. REQUIRES: src has at least kHeaderSize bytes.
Header DecodeHeader(const char* src);
// Encodes h into the 24 bytes at dst.
void EncodeHeader(const Header& h, char* dst);

enum class ParseStatus : uint8_t {
  kOk,
  kIncomplete,   // need more bytes: header, extras or key not all there yet
  kBadMagic,     // not a request packet: memcached closes the connection without a reply
  kKeyPastBody,  // key + extras longer than the body: UNKNOWN_COMMAND, then close
};

struct Request {
  Header header;
  std::span<const char> extras;  // points into the parsed buffer
  std::string_view key;          // points into the parsed buffer
  uint32_t value_length = 0;     // body bytes after extras and key (not consumed by the parser)
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;  // header + extras + key, when kOk
};

// Parses the request at the front of buf (see the header comment).
ParseResult ParseRequest(std::string_view buf, Request* req);

// What an opcode means for the server: which base command it is and whether it is quiet.
struct OpcodeInfo {
  Opcode base = Opcode::kGet;  // the non-quiet opcode (kGetQ -> kGet, kSetQ -> kSet, ...)
  bool quiet = false;          // the q variant: no reply on success (and no miss reply for gets)
  bool known = false;          // an opcode memcached 1.6 implements
};
OpcodeInfo DescribeOpcode(uint8_t opcode);

// memcached 1.6's shape rules for a request of known opcode (after key-past-body and key-length
// checks): kSuccess when extras/key/value lengths are acceptable for the opcode, otherwise
// kInvalidArguments (memcached replies EINVAL and closes the connection).
Status CheckRequestShape(const Request& req);

// Big-endian helpers over raw bytes.
uint16_t LoadBe16(const char* p);
uint32_t LoadBe32(const char* p);
uint64_t LoadBe64(const char* p);
void StoreBe32(char* p, uint32_t v);
void StoreBe64(char* p, uint64_t v);

// Writes a response header for a request into dst (kHeaderSize bytes).
void EncodeResponseHeader(char* dst, uint8_t opcode, Status status, uint16_t key_length,
                          uint8_t extras_length, uint32_t body_length, uint32_t opaque,
                          uint64_t cas);

// Extras of the requests that have them.
struct StoreExtras {
  uint32_t flags = 0;
  uint32_t exptime = 0;
};
struct DeltaExtras {
  uint64_t delta = 0;
  uint64_t initial = 0;
  uint32_t exptime = 0;  // 0xffffffff: do not create a missing item
};
// REQUIRES: the request passed CheckRequestShape (extras have the opcode's size).
StoreExtras DecodeStoreExtras(std::span<const char> extras);
DeltaExtras DecodeDeltaExtras(std::span<const char> extras);
// The 4-byte exptime of touch/gat and of flush (0 when flush has no extras).
uint32_t DecodeExptimeExtras(std::span<const char> extras);

}  // namespace memfleet::protocol::binary
