// ClientRequest: one request from a client, in any protocol, parsed into the neutral model.
//
// A router (or any server-side proxy) reads its clients' requests with exactly the parsers
// memfleetd uses — text::ParseRequest, meta::ParseMetaFlags for mg/ms/md/ma, binary::ParseRequest
// with binary::CheckRequestShape — and maps them with each protocol's ToNeutral.
// ParseClientRequest does all of that in one call and says what memcached would do with a bad
// request (the error line to send, the data block to skip, whether to close). A ClientRequest
// owns the parsed forms the neutral Request's views point into (meta flag tokens, a decoded
// base64 key), so it is neither copied nor moved; the views into the caller's buffer stay valid
// while those bytes do. Pure parsing, no I/O; one ClientRequest per thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/binary/binary.h"
#include "protocol/key.h"
#include "protocol/meta/meta.h"
#include "protocol/model.h"
#include "protocol/text/request.h"

namespace memfleet::protocol {

struct ClientRequest {
  ClientRequest() = default;
  ClientRequest(const ClientRequest&) = delete;
  ClientRequest& operator=(const ClientRequest&) = delete;

  Request req;
  text::Request text;
  binary::Request binary;
  meta::MetaFlags meta_flags;
  char key_buf[kKeyMaxLength];
};

enum class ClientParseStatus : uint8_t {
  kOk,           // *out holds the request; `consumed` bytes were its head
  kIncomplete,   // read more and call again
  kError,        // refused: answer `error` (text/meta) or `binary_status` (binary), go on
  kClose,        // memcached closes the connection (after the reply in `error` / binary_status)
  kUnsupported,  // a valid request with no neutral form (operator commands, SASL, quit...)
};

struct ClientParse {
  ClientParseStatus status = ClientParseStatus::kIncomplete;
  // The head: a text/meta command line, or a binary header with extras and key. A storage
  // request's data block (req.value_length bytes, then "\r\n" for text and meta) follows it.
  size_t consumed = 0;
  // kError / kClose: memcached's reply line without "\r\n" for text and meta (send nothing when
  // `noreply`), or the binary status to answer with.
  std::string_view error;
  bool noreply = false;
  binary::Status binary_status = binary::Status::kSuccess;
  // kError: bytes after the head that memcached skips (a refused ms's data block and "\r\n").
  size_t skip = 0;
};

// Parses the request at the front of buf. `protocol` is kText for a text or meta connection
// (memcached reads both on one) or kBinary. When buf also holds a storage request's whole data
// block, out->req.value points at it; otherwise the caller streams req.value_length bytes.
ClientParse ParseClientRequest(Protocol protocol, std::string_view buf, ClientRequest* out);

}  // namespace memfleet::protocol
