// The write log's on-disk format: a file header, then checksummed records, each one write the
// router could not deliver to a down server, in the order it was accepted.
//
// A LogRecord is the operation in protocol-neutral form (op, key, flags, exptime, delta,
// initial/create, value), so that a replay composes it for the upstream like any request
// (ToRequest, then protocol::ComposeUpstreamRequest). What is logged, and why (FromRequest):
//  - set/add/replace/append/prepend/delete/touch/incr/decr, as they were asked;
//  - cas as a set: its cas value names an item version of the server the client read it from, a
//    version the down server never had, so comparing it there would fail every time. The cas
//    already succeeded on the servers that were up; the set makes the down one agree with them;
//  - gat/gats as a touch: their only effect on the item is its new exptime;
//  - a meta request by its effect, not its flags (the flags are for the client's reply), and a
//    base64 key (meta b) decoded, so the record holds the key's real bytes.
//
// Layout (little-endian; docs/router.md "Write log" has the same table):
//   header: magic "MFWRLOG1" (8) | version u32 | header_size u32 | flags u32 (bit 0: needs full
//           resync) | address_len u32 | first_seq u64 | start_offset u64 | dropped u64 |
//           crc32 u32 (of the header with this field zero) | reserved u32 | address bytes
//   record: crc32 u32 (of everything after it) | body_len u32 | seq u64 | time_ms i64 | op u8 |
//           rflags u8 (bit 0: create) | key_len u16 | client_flags u32 | exptime i64 |
//           delta u64 | initial u64 | value_len u32 | key | value
// first_seq is the sequence number of the first record in the file (sequence numbers go up by one
// per record and survive a truncation); start_offset is where the records not yet replayed
// begin; dropped counts the writes this log has lost (to its bound or an I/O error).
//
// Pure functions over bytes and plain data; any thread may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/model.h"

namespace memfleet::router::writelog {

inline constexpr std::string_view kMagic = "MFWRLOG1";
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderFixedSize = 56;
inline constexpr size_t kRecordFixedSize = 60;  // crc, body_len and the fixed body fields
inline constexpr uint32_t kHeaderNeedsResync = 1;
// No record is larger than this (a memcached item is at most 1 GiB); a larger body_len is
// corruption, not a record to read.
inline constexpr uint64_t kMaxRecordBody = uint64_t{1} << 30;

struct LogHeader {
  uint32_t version = kVersion;
  uint32_t flags = 0;
  uint64_t first_seq = 1;
  uint64_t start_offset = 0;  // 0 in a fresh header: the end of the header
  uint64_t dropped = 0;
  std::string address;  // the upstream server this log is for

  bool needs_resync() const { return (flags & kHeaderNeedsResync) != 0; }
  size_t size() const { return kHeaderFixedSize + address.size(); }
};

// One logged operation, owning its bytes.
struct LogRecord {
  uint64_t seq = 0;
  int64_t time_ms = 0;  // wall clock (unix milliseconds) when it was appended
  protocol::Op op = protocol::Op::kSet;
  bool create = false;  // incr/decr: create a missing item (binary/meta)
  uint32_t client_flags = 0;
  int64_t exptime = 0;
  uint64_t delta = 0;
  uint64_t initial = 0;
  std::string key;
  std::string value;

  // The request a replay sends: views into this record, which must outlive it. Its protocol is
  // kText, so the upstream request is composed from the neutral fields alone (a binary-safe key
  // goes base64 by itself).
  protocol::Request ToRequest() const;
  // Bytes this record takes in the file.
  size_t encoded_size() const { return kRecordFixedSize + key.size() + value.size(); }
};

// Whether a request of this op changes an item and is logged (gat/gats count: they touch).
bool IsLogged(protocol::Op op);

// The record for req (seq and time are the log's to set). InvalidArgument for an op that is not
// logged, a storage value not held whole, a meta base64 key that does not decode, or a key longer
// than 65535 bytes.
Status FromRequest(const protocol::Request& req, LogRecord* out);

// Appends the encoded header / record to out.
void EncodeHeader(const LogHeader& h, std::string* out);
void EncodeRecord(const LogRecord& r, std::string* out);

enum class DecodeStatus { kOk, kShort, kCorrupt };

// Decodes a header from the front of buf. kShort: buf is shorter than the header says it is
// (*need is then the size it needs, when known). kCorrupt: bad magic, version, size or checksum
// (*error says which).
DecodeStatus DecodeHeader(std::string_view buf, LogHeader* h, size_t* need, std::string* error);

// Decodes the record at the front of buf. kOk: *size is its encoded size. kShort: buf ends
// inside it (*size: the whole record's size once its length is known, else 0). kCorrupt: a
// checksum mismatch or an impossible field (*error says which).
DecodeStatus DecodeRecord(std::string_view buf, LogRecord* r, size_t* size, std::string* error);

// The op's name as the tool prints it ("set", "incr"...).
std::string_view RecordOpName(protocol::Op op);

// A file name for a server address: letters, digits, '.', '-' and '_' as they are, every other
// byte %XX, ".wlog" appended; a name that would pass 200 bytes keeps a prefix and adds the
// address's CRC-32 in hex, so distinct addresses keep distinct names (the header holds the
// address itself).
std::string LogFileName(std::string_view address);

}  // namespace memfleet::router::writelog
