// libFuzzer target for the meta protocol's streaming reply parser (protocol/meta/client.h).
// Input: one byte choosing the operation the replies answer, one byte choosing a split point,
// then reply bytes. Each reply is parsed whole, then again from a prefix ending at the split
// point, and streamed (ParseReplyHead + ValueReader fed the two pieces); every buffer handed to
// the parser is its own exact-size allocation so AddressSanitizer sees any read past it.
// Invariants: consumed never exceeds the buffer, a prefix of a reply is incomplete (or, past
// the reply, parses the same), the streamed parse agrees with the whole one, and composing a
// parsed result never fails. A violated invariant aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "protocol/meta/client.h"
#include "protocol/stream.h"

namespace protocol = memfleet::protocol;
namespace meta = memfleet::protocol::meta;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

constexpr protocol::Op kOps[] = {
    protocol::Op::kGet,   protocol::Op::kGets,     protocol::Op::kGat,       protocol::Op::kTouch,
    protocol::Op::kSet,   protocol::Op::kCas,      protocol::Op::kDelete,    protocol::Op::kIncr,
    protocol::Op::kDecr,  protocol::Op::kNoop,     protocol::Op::kMetaDebug, protocol::Op::kVersion,
    protocol::Op::kStats, protocol::Op::kFlushAll,
};

// A copy of s in an allocation of exactly its size.
struct Exact {
  explicit Exact(std::string_view s) : bytes(std::make_unique<char[]>(s.size() + 1)), n(s.size()) {
    if (n > 0) std::memcpy(bytes.get(), s.data(), n);
  }
  std::string_view view() const { return {bytes.get(), n}; }
  std::unique_ptr<char[]> bytes;
  size_t n;
};

bool SameResult(const protocol::Result& a, const protocol::Result& b) {
  return a.code == b.code && a.detail == b.detail && a.message == b.message &&
         a.has_value == b.has_value && a.value == b.value && a.value_length == b.value_length &&
         a.client_flags == b.client_flags && a.cas == b.cas && a.number == b.number &&
         a.ttl == b.ttl && a.size == b.size && a.key == b.key && a.opaque == b.opaque &&
         a.text == b.text && a.win == b.win && a.stale == b.stale && a.win_sent == b.win_sent;
}

// Checks one reply at the front of buf; returns the bytes it used (0: stop).
size_t CheckOne(std::string_view buf, protocol::Op op, size_t split) {
  Exact whole_buf(buf);
  protocol::Result whole_r;
  protocol::ReplyParse whole = meta::ParseReply(whole_buf.view(), op, &whole_r);
  Check(whole.consumed <= buf.size(), "consumed within the buffer");
  Check(whole.status != protocol::ReplyStatus::kOk || whole.consumed > 0, "progress");

  split = split % (buf.size() + 1);
  Exact prefix_buf(buf.substr(0, split));
  protocol::Result prefix_r;
  protocol::ReplyParse prefix = meta::ParseReply(prefix_buf.view(), op, &prefix_r);
  Check(prefix.consumed <= split, "prefix consumed within the buffer");
  if (whole.status == protocol::ReplyStatus::kOk) {
    if (split < whole.consumed) {
      Check(prefix.status == protocol::ReplyStatus::kIncomplete, "a cut reply is incomplete");
    } else {
      Check(prefix.status == protocol::ReplyStatus::kOk && prefix.consumed == whole.consumed &&
                SameResult(prefix_r, whole_r),
            "a reply parses the same in a shorter buffer");
    }
  } else if (whole.status == protocol::ReplyStatus::kIncomplete) {
    Check(prefix.status == protocol::ReplyStatus::kIncomplete, "a prefix of too little is too");
  }

  // Streamed: the head from the prefix (when it holds it), the value from the two pieces.
  protocol::Result head_r;
  protocol::ReplyParse head = meta::ParseReplyHead(whole_buf.view(), op, &head_r);
  Check(head.consumed <= buf.size(), "head consumed within the buffer");
  if (head.status == protocol::ReplyStatus::kOk && whole.status == protocol::ReplyStatus::kOk) {
    Check(head.has_value == whole.has_value && head.value_length == whole.value_length,
          "head and whole parse agree");
    protocol::ValueReader reader(head.value_length, head.trailer);
    size_t cut = split < head.consumed ? head.consumed : split;
    if (cut > whole.consumed) cut = whole.consumed;
    std::string_view first, second;
    size_t used = reader.Feed(buf.substr(head.consumed, cut - head.consumed), &first);
    used += reader.Feed(buf.substr(cut, whole.consumed - cut), &second);
    Check(reader.done() && !reader.bad_trailer(), "streamed value ends where the whole one does");
    Check(head.consumed + used == whole.consumed, "streamed and whole consume alike");
    Check(first.size() + second.size() == whole_r.value.size(), "streamed value length");
  }
  if (whole.status != protocol::ReplyStatus::kOk) return 0;

  // Composing what was parsed must work for any result and any asked flags (the split byte
  // picks them); the line's room is computed, so long keys and opaques must fit.
  static constexpr std::string_view kTokens[] = {"v", "s", "t", "c", "f", "l", "h", "k"};
  std::string_view tokens[10];
  size_t ntokens = 0;
  for (size_t i = 0; i < 8; ++i) {
    if ((split >> i) & 1) tokens[ntokens++] = kTokens[i];
  }
  std::string opaque = "O" + std::string(whole_r.opaque);
  tokens[ntokens++] = opaque;
  tokens[ntokens++] = "k";
  protocol::Request req;
  req.protocol = protocol::Protocol::kMeta;
  req.op = op;
  req.key = whole_r.text;
  req.meta.tokens = std::span<const std::string_view>(tokens, ntokens);
  std::string out;
  meta::ComposeReply(req, whole_r, &out);
  meta::ComposeReplyHead(req, whole_r, &out);
  return whole.consumed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  protocol::Op op = kOps[data[0] % (sizeof(kOps) / sizeof(kOps[0]))];
  size_t split = data[1];
  std::string_view buf(reinterpret_cast<const char*>(data) + 2, size - 2);
  for (int guard = 0; guard < 1000 && !buf.empty(); ++guard) {
    size_t used = CheckOne(buf, op, split);
    if (used == 0) break;
    buf.remove_prefix(used);
  }
  return 0;
}
