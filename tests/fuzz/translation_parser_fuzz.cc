// libFuzzer target for the translation layer (protocol/translate.h): a client request in any
// protocol, parsed by the server-side parsers and mapped to the neutral model, is composed as an
// upstream request; arbitrary upstream reply bytes are then parsed and composed back for the
// client, as a router does.
// Input: byte 0 chooses the client protocol (text, meta, binary), bytes 1-2 the length of the
// client request that follows (little-endian, cut to what is there), the rest is the upstream's
// reply stream. Invariants: an upstream request is a complete line (text/meta parse it back with
// the same command), consumed never exceeds the buffer, the streamed parse (head + ValueReader)
// agrees with the whole one, and composing a client reply from any parsed result never fails.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "protocol/binary/binary.h"
#include "protocol/binary/client.h"
#include "protocol/client_request.h"
#include "protocol/meta/client.h"
#include "protocol/meta/meta.h"
#include "protocol/text/client.h"
#include "protocol/text/request.h"
#include "protocol/translate.h"

namespace protocol = memfleet::protocol;
namespace text = memfleet::protocol::text;
namespace meta = memfleet::protocol::meta;
namespace bin = memfleet::protocol::binary;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// A copy of s in an allocation of exactly its size, so AddressSanitizer sees a read past it.
struct Exact {
  explicit Exact(std::string_view s) : bytes(std::make_unique<char[]>(s.size() + 1)), n(s.size()) {
    if (n > 0) std::memcpy(bytes.get(), s.data(), n);
  }
  std::string_view view() const { return {bytes.get(), n}; }
  std::unique_ptr<char[]> bytes;
  size_t n;
};

// The upstream request must be one complete request that the server-side parser reads back.
void CheckUpstreamRequest(const protocol::Request& req) {
  std::string up;
  protocol::ComposeUpstreamRequest(req, &up);
  if (up.empty()) return;  // nothing a server could be sent (e.g. a key no protocol can carry)
  Exact e(up);
  text::Request back;
  text::ParseResult pr = text::ParseRequest(e.view(), &back);
  Check(pr.status != text::ParseStatus::kIncomplete, "an upstream request is a whole line");
  Check(pr.consumed <= up.size(), "upstream consumed within the buffer");
}

// Parses the reply stream for req as a router would, composing the client's reply as it goes.
void FeedReplies(const protocol::Request& req, std::string_view replies) {
  std::string client;
  for (int parts = 0; parts < 64 && !replies.empty(); ++parts) {
    Exact e(replies);
    protocol::Result whole_r;
    protocol::ReplyParse whole = protocol::ParseUpstreamReply(e.view(), req, &whole_r);
    Check(whole.consumed <= replies.size(), "consumed within the buffer");
    // The streamed parse: the head, then the value through a ValueReader.
    protocol::Result head_r;
    protocol::ReplyParse head = protocol::ParseUpstreamReplyHead(e.view(), req, &head_r);
    Check(head.consumed <= replies.size(), "head consumed within the buffer");
    if (whole.status == protocol::ReplyStatus::kOk) {
      Check(head.status == protocol::ReplyStatus::kOk, "a whole reply has a head");
      size_t used = head.consumed;
      if (head.has_value) {
        protocol::ValueReader reader(head.value_length, head.trailer);
        std::string_view data;
        used += reader.Feed(e.view().substr(head.consumed), &data);
        Check(reader.done() && !reader.bad_trailer(), "a whole reply's value streams");
      }
      Check(used == whole.consumed, "streamed and whole parses agree on the length");
    }
    if (whole.status != protocol::ReplyStatus::kOk) return;
    Check(whole.consumed > 0, "progress");
    if (protocol::IsRetrieval(req.op) && req.protocol == protocol::Protocol::kText) {
      protocol::ComposeClientValue(req, req.key, whole_r, &client);
    } else {
      protocol::ComposeClientReply(req, whole_r, &client);
    }
    replies.remove_prefix(whole.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int proto = data[0] % 3;
  const size_t req_len = static_cast<size_t>(data[1]) | static_cast<size_t>(data[2]) << 8;
  std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  std::string_view request = rest.substr(0, req_len);
  std::string_view replies = rest.substr(request.size());
  Exact req_bytes(request);
  protocol::ClientRequest c;
  protocol::ClientParse pr = protocol::ParseClientRequest(
      proto == 2 ? protocol::Protocol::kBinary : protocol::Protocol::kText, req_bytes.view(), &c);
  Check(pr.consumed <= request.size(), "client request consumed within the buffer");
  if (pr.status != protocol::ClientParseStatus::kOk) return 0;
  if (c.req.op == protocol::Op::kQuit) return 0;
  if (proto != 2 && protocol::IsRetrieval(c.req.op)) {
    text::KeyIterator keys(c.req.keys);
    std::string_view key;
    int n = 0;
    while (keys.Next(&key) && n++ < 8) {
      protocol::Request one = protocol::SingleKey(c.req, key);
      CheckUpstreamRequest(one);
      FeedReplies(one, replies);
    }
    return 0;
  }
  CheckUpstreamRequest(c.req);
  FeedReplies(c.req, replies);
  return 0;
}
