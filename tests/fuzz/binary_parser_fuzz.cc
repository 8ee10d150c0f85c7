// libFuzzer target for the binary protocol parser: feeds arbitrary bytes through ParseRequest the
// way a connection does (consume the parsed prefix, skip the value, repeat), checks the parser's
// contract on every result and runs the shape check and extras decoders on what it returns.
// Crashes and sanitizer reports are findings; a violated invariant aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "protocol/binary/binary.h"

namespace bin = memfleet::protocol::binary;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  while (!buf.empty()) {
    bin::Request req;
    bin::ParseResult r = bin::ParseRequest(buf, &req);
    if (r.status == bin::ParseStatus::kIncomplete) {
      Check(r.consumed == 0, "incomplete consumed bytes");
      break;
    }
    if (r.status == bin::ParseStatus::kBadMagic) {
      Check(buf.size() >= bin::kHeaderSize, "bad magic before a whole header");
      break;
    }
    if (r.status == bin::ParseStatus::kKeyPastBody) {
      Check(r.consumed == bin::kHeaderSize, "key-past-body consumed more than the header");
      Check(uint32_t{req.header.key_length} + req.header.extras_length > req.header.body_length,
            "key-past-body with a key that fits");
      break;
    }
    Check(r.consumed == bin::kHeaderSize + req.extras.size() + req.key.size(), "consumed size");
    Check(r.consumed <= buf.size(), "consumed past the buffer");
    Check(req.extras.data() == buf.data() + bin::kHeaderSize, "extras not after the header");
    Check(req.key.data() == req.extras.data() + req.extras.size(), "key not after the extras");
    Check(uint64_t{req.value_length} + req.extras.size() + req.key.size() == req.header.body_length,
          "value length does not add up");
    bin::OpcodeInfo info = bin::DescribeOpcode(req.header.opcode);
    if (info.known && bin::CheckRequestShape(req) == bin::Status::kSuccess) {
      (void)bin::DecodeStoreExtras(req.extras);
      (void)bin::DecodeDeltaExtras(req.extras);
      (void)bin::DecodeExptimeExtras(req.extras);
    }
    Check(!bin::StatusText(bin::Status::kKeyNotFound).empty(), "status text");
    size_t skip = r.consumed + req.value_length;
    if (skip > buf.size()) break;
    buf.remove_prefix(skip);
  }
  return 0;
}
