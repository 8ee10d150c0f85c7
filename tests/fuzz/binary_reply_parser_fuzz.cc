// libFuzzer target for the binary protocol's reply parser (protocol/binary/client.h): walks the
// input as a stream of response packets the way a router's upstream connection does, and checks
// the parser's contract on each: consumed never exceeds the buffer; ParseReply of a packet is its
// head plus the announced body; a prefix cut at a point chosen from the input parses as
// "incomplete" or as the same head; the head plus a body streamed through a ValueReader in two
// pieces gives what ParseReply gives; and ComposeReply of a parsed result parses back. Every
// buffer handed to the parser is an exact-size heap copy, so a read past it is an ASan report.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/binary/client.h"

namespace bin = memfleet::protocol::binary;
namespace proto = memfleet::protocol;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// An exact-size heap copy of s (so that ASan sees any read past its end).
struct ExactCopy {
  explicit ExactCopy(std::string_view s) : bytes(std::make_unique<char[]>(s.size() + 1)) {
    if (!s.empty()) std::memcpy(bytes.get(), s.data(), s.size());
    view = std::string_view(bytes.get(), s.size());
  }
  std::unique_ptr<char[]> bytes;
  std::string_view view;
};

void CheckPacket(std::string_view buf, size_t split) {
  proto::Result whole;
  bin::ReplyInfo whole_info;
  proto::ReplyParse pw = bin::ParseReply(buf, &whole, &whole_info);
  proto::Result head;
  bin::ReplyInfo head_info;
  proto::ReplyParse ph = bin::ParseReplyHead(buf, &head, &head_info);
  Check(pw.consumed <= buf.size() && ph.consumed <= buf.size(), "consumed past the buffer");
  Check(ph.trailer.empty(), "binary values have no trailer");
  if (ph.status == proto::ReplyStatus::kMalformed) {
    Check(pw.status == proto::ReplyStatus::kMalformed, "head malformed, whole not");
    return;
  }
  if (ph.status == proto::ReplyStatus::kIncomplete) {
    Check(pw.status == proto::ReplyStatus::kIncomplete, "head incomplete, whole not");
    Check(ph.consumed == 0 && pw.consumed == 0, "incomplete consumed bytes");
    return;
  }
  if (pw.status == proto::ReplyStatus::kOk) {
    Check(pw.consumed == ph.consumed + ph.value_length, "packet is not head plus body");
    Check(whole.code == head.code, "head and whole disagree on the code");
  } else {
    Check(pw.status == proto::ReplyStatus::kIncomplete, "whole malformed, head ok");
    Check(buf.size() - ph.consumed < ph.value_length, "whole incomplete with the body there");
  }

  // A prefix: incomplete, or the same parse.
  split = split % (buf.size() + 1);
  ExactCopy prefix(buf.substr(0, split));
  proto::Result pr;
  bin::ReplyInfo pi;
  proto::ReplyParse pp = bin::ParseReply(prefix.view, &pr, &pi);
  if (pp.status == proto::ReplyStatus::kOk) {
    Check(pw.status == proto::ReplyStatus::kOk && pp.consumed == pw.consumed, "prefix differs");
    Check(pr.code == whole.code && pr.value == whole.value && pr.message == whole.message,
          "prefix parses differently");
  } else {
    Check(pp.status == proto::ReplyStatus::kIncomplete, "a prefix of a good head is malformed");
  }
  if (pw.status != proto::ReplyStatus::kOk) return;

  // The body streamed in two pieces, then applied to the head: the same as ParseReply.
  std::string_view body = buf.substr(ph.consumed, ph.value_length);
  proto::ValueReader reader(ph.value_length, ph.trailer);
  size_t cut = split % (body.size() + 1);
  std::string got;
  std::string_view data;
  size_t used = reader.Feed(body.substr(0, cut), &data);
  got.append(data);
  used += reader.Feed(body.substr(used), &data);
  got.append(data);
  Check(reader.done() && used == body.size() && got == body, "streamed body differs");
  bin::ApplyReplyBody(head_info, body, &head);
  Check(head.value == whole.value && head.message == whole.message && head.number == whole.number &&
            head.text == whole.text,
        "streamed result differs");

  // Composing the parsed result for a request of that opcode gives a packet that parses.
  bin::Request fake;
  fake.header.opcode = whole_info.opcode;
  fake.key = whole_info.key;
  proto::Request req;
  if (bin::ToNeutral(fake, {}, &req)) {
    std::string out;
    bin::ComposeReply(req, whole, &out);
    if (!out.empty()) {
      ExactCopy again(out);
      proto::Result r2;
      bin::ReplyInfo i2;
      proto::ReplyParse p2 = bin::ParseReply(again.view, &r2, &i2);
      Check(p2.status == proto::ReplyStatus::kOk, "composed reply does not parse");
      Check(p2.consumed == out.size(), "composed reply is not one packet");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ExactCopy input(std::string_view(reinterpret_cast<const char*>(data), size));
  // The split point comes from the input's last and middle bytes.
  size_t split = size == 0 ? 0 : (size_t{data[size - 1]} | (size_t{data[size / 2]} << 8));
  std::string_view buf = input.view;
  for (int packets = 0; packets < 64 && !buf.empty(); ++packets) {
    ExactCopy packet_buf(buf);
    CheckPacket(packet_buf.view, split);
    proto::Result r;
    bin::ReplyInfo info;
    proto::ReplyParse p = bin::ParseReply(buf, &r, &info);
    if (p.status != proto::ReplyStatus::kOk) break;
    Check(p.consumed > 0, "ok without progress");
    buf.remove_prefix(p.consumed);
  }
  return 0;
}
