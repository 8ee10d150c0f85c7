// libFuzzer target for the text protocol parser (and the prefetch look-ahead, ScanKeys): feeds
// arbitrary bytes through ParseRequest the way a connection does (consume `consumed` bytes, skip a
// storage command's data block, repeat) and checks the parser's contract on every result. Crashes
// and sanitizer reports are findings; a violated invariant aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "protocol/text/key_scan.h"
#include "protocol/text/reply.h"
#include "protocol/text/request.h"

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

bool HasDataBlock(text::Command c) {
  switch (c) {
    case text::Command::kSet:
    case text::Command::kAdd:
    case text::Command::kReplace:
    case text::Command::kAppend:
    case text::Command::kPrepend:
    case text::Command::kCas:
    case text::Command::kMetaSet:
      return true;
    default:
      return false;
  }
}

void CheckRequest(const text::Request& req, std::string_view line) {
  Check(req.ntokens >= 1 && req.ntokens < text::kMaxTokens, "token count");
  for (size_t i = 0; i < req.ntokens; ++i) {
    const std::string_view t = req.tokens[i];
    Check(!t.empty() && Inside(t, line), "token inside the line");
    Check(t.find(' ') == std::string_view::npos && t.find('\n') == std::string_view::npos,
          "token without separators");
    if (i > 0) Check(t.data() > req.tokens[i - 1].data(), "tokens in order");
  }
  Check(Inside(req.key, line) && Inside(req.keys, line) && Inside(req.rest, line),
        "views inside the line");
  Check(req.rest.empty() || req.ntokens == text::kMaxTokens - 1, "rest only after 23 tokens");
  Check(req.key.size() <= text::kKeyMaxLength, "key length");
  text::KeyIterator it(req.keys);
  std::string_view key;
  char header[text::kValueHeaderMaxSize];
  while (it.Next(&key)) {
    Check(!key.empty() && key.size() <= text::kKeyMaxLength && Inside(key, req.keys), "key");
    const size_t n =
        text::FormatValueHeader(header, key, req.client_flags, req.value_length, true, req.cas);
    Check(n <= sizeof(header), "value header size");
  }
  if (HasDataBlock(req.command)) Check(req.value_length <= INT32_MAX - 2, "value length");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  {
    // The prefetch look-ahead stays inside the buffer and within its key budget.
    std::string_view keys[16];
    const text::KeyScanResult ks = text::ScanKeys(all, keys, 16);
    Check(ks.scanned <= all.size() && ks.keys <= 16, "key scan bounds");
    for (size_t i = 0; i < ks.keys; i++) {
      Check(!keys[i].empty() && keys[i].size() <= text::kKeyMaxLength &&
                Inside(keys[i], all.substr(0, ks.scanned)),
            "scanned key inside the scanned requests");
    }
  }
  std::string_view rest = all;
  while (!rest.empty()) {
    text::Request req;
    const text::ParseResult r = text::ParseRequest(rest, &req);
    Check(r.consumed <= rest.size(), "consumed <= size");
    const bool has_newline = rest.find('\n') != std::string_view::npos;
    if (r.status == text::ParseStatus::kIncomplete) {
      Check(r.consumed == 0, "incomplete consumes nothing");
      Check(!has_newline, "incomplete only without newline");
      break;
    }
    if (r.status == text::ParseStatus::kClose) break;
    Check(has_newline && r.consumed > 0 && rest[r.consumed - 1] == '\n', "one line consumed");
    Check(rest.substr(0, r.consumed - 1).find('\n') == std::string_view::npos, "first line");
    const std::string_view line = rest.substr(0, r.consumed);
    if (r.status == text::ParseStatus::kError) {
      Check(!r.error.empty() && r.error.find('\n') == std::string_view::npos, "error reply");
    } else {
      CheckRequest(req, line);
      // The line alone parses the same: nothing after the newline was looked at.
      text::Request again;
      const text::ParseResult r2 = text::ParseRequest(line, &again);
      Check(r2.status == r.status && r2.consumed == r.consumed && again.command == req.command &&
                again.key == req.key && again.value_length == req.value_length,
            "deterministic");
    }
    rest.remove_prefix(r.consumed);
    if (r.status == text::ParseStatus::kOk && HasDataBlock(req.command)) {
      const size_t skip = static_cast<size_t>(req.value_length) + 2;
      rest.remove_prefix(skip < rest.size() ? skip : rest.size());
    }
  }
  return 0;
}
