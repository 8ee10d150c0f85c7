// libFuzzer target for the text protocol's reply parser (protocol/text/client.h). The first byte
// picks the Op the replies answer, the second where to split the rest; the rest is a reply
// stream. It is parsed twice: whole, with ParseReply, and as a client reading it in two pieces
// would, with ParseReplyHead and a ValueReader. Each parse call sees a heap copy of exactly the
// bytes it is given, so AddressSanitizer catches any read past them. Checks: consumed <= size,
// "incomplete" consumes nothing, views point into the buffer, and the two parses agree element
// for element and on whether the stream is malformed. A violated invariant aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/model.h"
#include "protocol/stream.h"
#include "protocol/text/client.h"

namespace protocol = memfleet::protocol;
namespace text = memfleet::protocol::text;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

bool Inside(std::string_view part, std::string_view buf) {
  if (part.empty()) return true;
  return part.data() >= buf.data() && part.data() + part.size() <= buf.data() + buf.size();
}

constexpr protocol::Op kOps[] = {
    protocol::Op::kGet,       protocol::Op::kGets,    protocol::Op::kGat,
    protocol::Op::kGats,      protocol::Op::kTouch,   protocol::Op::kSet,
    protocol::Op::kAdd,       protocol::Op::kReplace, protocol::Op::kAppend,
    protocol::Op::kPrepend,   protocol::Op::kCas,     protocol::Op::kDelete,
    protocol::Op::kIncr,      protocol::Op::kDecr,    protocol::Op::kNoop,
    protocol::Op::kVersion,   protocol::Op::kStats,   protocol::Op::kFlushAll,
    protocol::Op::kVerbosity, protocol::Op::kQuit,    protocol::Op::kMetaDebug,
};

// An owning copy of one parsed element.
struct Elem {
  protocol::ReplyPart part;
  protocol::ResultCode code;
  protocol::ErrorDetail detail;
  std::string message, key, value, text;
  uint32_t flags;
  uint64_t cas, number;
  bool has_value, has_cas, has_number;
  bool operator==(const Elem&) const = default;
};

Elem ToElem(protocol::ReplyPart part, const protocol::Result& r, std::string_view value) {
  return Elem{part,
              r.code,
              r.detail,
              std::string(r.message),
              std::string(r.key),
              std::string(value),
              std::string(r.text),
              r.client_flags,
              r.cas,
              r.number,
              r.has_value,
              r.has_cas,
              r.has_number};
}

// A heap copy of exactly `bytes`, so that reading one byte past it is an ASan report.
struct Exact {
  explicit Exact(std::string_view bytes)
      : data(std::make_unique<char[]>(bytes.size() + (bytes.empty() ? 1 : 0))), size(bytes.size()) {
    if (size != 0) std::memcpy(data.get(), bytes.data(), size);
  }
  std::string_view view() const { return {data.get(), size}; }
  std::unique_ptr<char[]> data;
  size_t size;
};

void CheckResult(const protocol::ReplyParse& p, const protocol::Result& r, std::string_view buf) {
  Check(p.consumed <= buf.size(), "consumed <= size");
  if (p.status != protocol::ReplyStatus::kOk) {
    Check(p.consumed == 0, "only a parsed head consumes");
    return;
  }
  Check(p.consumed > 0, "a head consumes its line");
  Check(Inside(r.message, buf) && Inside(r.key, buf) && Inside(r.text, buf) && Inside(r.value, buf),
        "views inside the buffer");
  Check(p.has_value == r.has_value, "has_value agrees");
  if (p.has_value) {
    Check(p.part == protocol::ReplyPart::kValue && p.value_length == r.value_length &&
              p.trailer == "\r\n",
          "value head");
  }
}

// Whole: ParseReply until the bytes run out. Returns true when the stream was malformed.
bool ParseWhole(std::string_view all, std::vector<Elem>* out, protocol::Op op) {
  size_t pos = 0;
  while (pos < all.size()) {
    const Exact buf(all.substr(pos));
    protocol::Result r;
    const protocol::ReplyParse p = text::ParseReply(buf.view(), op, &r);
    CheckResult(p, r, buf.view());
    if (p.status == protocol::ReplyStatus::kMalformed) return true;
    if (p.status == protocol::ReplyStatus::kIncomplete) break;
    if (p.has_value) {
      Check(r.value.size() == p.value_length && p.consumed >= p.value_length + 2 &&
                r.value.data() + r.value.size() + 2 == buf.view().data() + p.consumed,
            "a whole value ends two bytes before consumed");
    }
    out->push_back(ToElem(p.part, r, r.value));
    pos += p.consumed;
  }
  return false;
}

// Streamed: heads with ParseReplyHead, values with a ValueReader, bytes arriving in pieces.
class Stream {
 public:
  explicit Stream(protocol::Op op) : op_(op) {}

  // Returns false once the stream is malformed.
  bool Feed(std::string_view chunk) {
    pending_.append(chunk);
    size_t pos = 0;
    while (true) {
      const std::string_view rest = std::string_view(pending_).substr(pos);
      if (in_value_) {
        const Exact buf(rest);
        std::string_view data;
        const size_t used = reader_.Feed(buf.view(), &data);
        Check(used <= rest.size() && Inside(data, buf.view()), "value reader bounds");
        value_.append(data);
        pos += used;
        if (reader_.bad_trailer()) return false;
        if (!reader_.done()) break;
        in_value_ = false;
        head_.value = value_;
        elems_.push_back(head_);
        continue;
      }
      if (rest.empty()) break;
      const Exact buf(rest);
      protocol::Result r;
      const protocol::ReplyParse p = text::ParseReplyHead(buf.view(), op_, &r);
      CheckResult(p, r, buf.view());
      if (p.status == protocol::ReplyStatus::kMalformed) return false;
      if (p.status == protocol::ReplyStatus::kIncomplete) break;
      pos += p.consumed;
      if (p.has_value) {
        head_ = ToElem(p.part, r, {});
        value_.clear();
        reader_.Start(p.value_length, p.trailer);
        in_value_ = true;
        continue;
      }
      elems_.push_back(ToElem(p.part, r, r.value));
    }
    pending_.erase(0, pos);
    return true;
  }

  const std::vector<Elem>& elems() const { return elems_; }

 private:
  protocol::Op op_;
  std::string pending_;
  bool in_value_ = false;
  protocol::ValueReader reader_;
  Elem head_{};
  std::string value_;
  std::vector<Elem> elems_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const protocol::Op op = kOps[data[0] % std::size(kOps)];
  const std::string_view all(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = all.empty() ? 0 : data[1] % (all.size() + 1);

  std::vector<Elem> whole;
  const bool whole_malformed = ParseWhole(all, &whole, op);

  Stream stream(op);
  const bool stream_ok = stream.Feed(all.substr(0, split)) && stream.Feed(all.substr(split));
  Check(stream_ok == !whole_malformed, "whole and streamed agree on malformed");
  // The whole parse stops at a value not yet complete; the streamed one has the same elements
  // up to there.
  Check(stream.elems() == whole, "whole and streamed parses agree");
  return 0;
}
