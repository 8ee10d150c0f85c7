#include "protocol/binary/response.h"

#include <cstring>

namespace memfleet::protocol::binary {

namespace {

void Copy(char* dst, std::string_view s) {
  if (!s.empty()) memcpy(dst, s.data(), s.size());
}

}  // namespace

size_t EncodeGetResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas, uint32_t flags,
                         std::string_view key, uint32_t value_length) {
  uint32_t body = static_cast<uint32_t>(kGetExtrasSize + key.size()) + value_length;
  EncodeResponseHeader(dst, opcode, Status::kSuccess, static_cast<uint16_t>(key.size()),
                       kGetExtrasSize, body, opaque, cas);
  StoreBe32(dst + kHeaderSize, flags);
  Copy(dst + kHeaderSize + kGetExtrasSize, key);
  return kHeaderSize + kGetExtrasSize + key.size();
}

size_t EncodeDeltaResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas,
                           uint64_t value) {
  EncodeResponseHeader(dst, opcode, Status::kSuccess, 0, 0, kDeltaValueSize, opaque, cas);
  StoreBe64(dst + kHeaderSize, value);
  return kDeltaResponseSize;
}

size_t EncodeErrorResponse(char* dst, uint8_t opcode, uint32_t opaque, Status status,
                           std::string_view text) {
  EncodeResponseHeader(dst, opcode, status, 0, 0, static_cast<uint32_t>(text.size()), opaque, 0);
  Copy(dst + kHeaderSize, text);
  return kHeaderSize + text.size();
}

size_t EncodeKeyMissResponse(char* dst, uint8_t opcode, uint32_t opaque, std::string_view key) {
  EncodeResponseHeader(dst, opcode, Status::kKeyNotFound, static_cast<uint16_t>(key.size()), 0,
                       static_cast<uint32_t>(key.size()), opaque, 0);
  Copy(dst + kHeaderSize, key);
  return kHeaderSize + key.size();
}

size_t EncodeEmptyResponse(char* dst, uint8_t opcode, uint32_t opaque, uint64_t cas) {
  EncodeResponseHeader(dst, opcode, Status::kSuccess, 0, 0, 0, opaque, cas);
  return kEmptyResponseSize;
}

size_t EncodeKeyValueResponseHead(char* dst, uint8_t opcode, uint32_t opaque, std::string_view key,
                                  uint32_t value_length) {
  EncodeResponseHeader(dst, opcode, Status::kSuccess, static_cast<uint16_t>(key.size()), 0,
                       static_cast<uint32_t>(key.size()) + value_length, opaque, 0);
  Copy(dst + kHeaderSize, key);
  return kHeaderSize + key.size();
}

}  // namespace memfleet::protocol::binary
