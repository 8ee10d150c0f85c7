// Binary response composers: each writes one whole response packet (or, for responses that carry
// a value, the packet up to the value) into caller memory, exactly as memcached 1.6.18 lays it
// out: which extras, key and body each kind of response carries. The server (when it builds its
// replies) and the client-side ComposeReply (client.h) both write through these, so the layout of
// a response is written down once. The caller provides at least the documented maximum size;
// each function returns the bytes written. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/binary/binary.h"

namespace memfleet::protocol::binary {

// Largest outputs, for sizing caller buffers.
inline constexpr size_t kMaxGetResponseHead = kHeaderSize + kGetExtrasSize + kKeyMaxLength;
inline constexpr size_t kDeltaResponseSize = kHeaderSize + kDeltaValueSize;
inline constexpr size_t kMaxErrorResponseSize = kHeaderSize + kMaxStatusTextLength;
inline constexpr size_t kEmptyResponseSize = kHeaderSize;

// A get/getk/gat/gatk hit (and touch: value_length 0): header, 4-byte flags extras, the key
// (getk/gatk: pass the request's key; others: empty), then `value_length` value bytes the caller
// appends. At most kMaxGetResponseHead bytes (key up to kKeyMaxLength).
size_t EncodeGetResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas, uint32_t flags,
                         std::string_view key, uint32_t value_length);

// An incr/decr success: header and the new value as 8 big-endian bytes (kDeltaResponseSize).
size_t EncodeDeltaResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas,
                           uint64_t value);

// An error: header with `status` and the body `text` (memcached's StatusText(status) unless the
// caller has its own words). At most kHeaderSize + text.size() bytes; kMaxErrorResponseSize for
// StatusText.
size_t EncodeErrorResponse(char* dst, uint8_t opcode, uint32_t opaque, Status status,
                           std::string_view text);

// A getk/gatk miss: status "not found" and the request's key as the body, no text (memcached's
// layout). At most kHeaderSize + kKeyMaxLength bytes.
size_t EncodeKeyMissResponse(char* dst, uint8_t opcode, uint32_t opaque, std::string_view key);

// A success with no body (set/add/replace/append/prepend with the new cas, delete, flush, quit,
// noop, the empty packet that ends a stats reply): kEmptyResponseSize bytes.
size_t EncodeEmptyResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas);

// A success whose body is a key and a value (one stats packet: name and value; version and SASL
// replies: no key, the text as value): the header and the key; the caller appends the
// `value_length` value bytes. At most kHeaderSize + key.size() bytes.
size_t EncodeKeyValueResponseHead(char* dst, uint8_t opcode, uint32_t opaque, std::string_view key,
                                  uint32_t value_length);

}  // namespace memfleet::protocol::binary
