// libFuzzer target for the meta protocol flag parser and reply composer: splits arbitrary bytes
// into meta command lines with the text parser, parses each line's flags as mg/ms/md/ma would,
// and composes a reply echoing every flag. Crashes and sanitizer reports are findings; a violated
// invariant aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "protocol/meta/meta.h"
#include "protocol/text/request.h"

namespace meta = memfleet::protocol::meta;
namespace text = memfleet::protocol::text;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void Exercise(const text::Request& req) {
  meta::MetaCommand cmd;
  switch (req.command) {
    case text::Command::kMetaGet:
      cmd = meta::MetaCommand::kGet;
      break;
    case text::Command::kMetaSet:
      cmd = meta::MetaCommand::kSet;
      break;
    case text::Command::kMetaDelete:
      cmd = meta::MetaCommand::kDelete;
      break;
    case text::Command::kMetaArithmetic:
      cmd = meta::MetaCommand::kArithmetic;
      break;
    default:
      return;
  }
  size_t first = cmd == meta::MetaCommand::kSet ? 3 : 2;
  if (req.ntokens < first) return;
  std::span<const std::string_view> toks(req.tokens.data() + first, req.ntokens - first);
  char key_buf[meta::kKeyMaxLength];
  meta::MetaFlags f;
  std::string_view err = meta::ParseMetaFlags(cmd, req.key, toks, key_buf, &f);
  if (!err.empty()) {
    Check(err.starts_with("CLIENT_ERROR "), "errors are client errors");
    return;
  }
  Check(f.key.size() <= meta::kKeyMaxLength, "key fits");
  Check(f.opaque.size() <= meta::kMaxOpaqueLength, "opaque fits");
  static char line[meta::kMaxReplyLineSize];
  meta::MetaReplyWriter w(line);
  w.Value(UINT32_MAX);
  for (std::string_view tok : toks) {
    switch (tok[0]) {
      case 'O':
        w.Opaque(tok);
        break;
      case 'k':
        w.Key(f.key, f.key_binary);
        break;
      case 't':
        w.Ttl(false, UINT32_MAX);
        break;
      default:
        w.Flag(tok[0], UINT64_MAX);
        break;
    }
  }
  w.Char('Z');
  w.Char('X');
  w.Char('W');
  Check(w.End() <= meta::kMaxReplyLineSize, "reply line fits");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  for (int guard = 0; guard < 10000 && !buf.empty(); ++guard) {
    text::Request req;
    text::ParseResult r = text::ParseRequest(buf, &req);
    if (r.status == text::ParseStatus::kIncomplete || r.status == text::ParseStatus::kClose) break;
    Check(r.consumed > 0 && r.consumed <= buf.size(), "consumed within the buffer");
    if (r.status == text::ParseStatus::kOk) Exercise(req);
    buf.remove_prefix(r.consumed);
    if (r.status == text::ParseStatus::kOk && req.command == text::Command::kMetaSet) {
      size_t skip = static_cast<size_t>(req.value_length) + 2;
      if (skip > buf.size()) break;
      buf.remove_prefix(skip);
    }
  }
  return 0;
}
