// AsciiAuthHandler (see ascii_auth_handler.h): the -Y login, executed through a HandlerContext.
#include "server/ascii_auth_handler.h"

#include <cstring>
#include <string_view>

#include "protocol/text/number.h"
#include "protocol/text/vocabulary.h"

namespace memfleet::server {
namespace {

namespace text = protocol::text;

// memcached closes a connection whose first 2048 bytes hold no newline.
constexpr size_t kMaxAuthLine = 2048;
constexpr size_t kMaxAuthTokens = 24;

// Splits on single spaces, skipping empty tokens, as memcached's tokenize_command.
size_t Tokenize(std::string_view s, std::string_view* tokens, size_t max) {
  size_t n = 0;
  while (!s.empty() && n < max) {
    size_t sp = s.find(' ');
    std::string_view t = s.substr(0, sp);
    if (!t.empty()) tokens[n++] = t;
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return n;
}

}  // namespace

bool AsciiAuthHandler::Execute() {
  net::ReadBuffer& in = *ctx_.in;
  const char* start = in.data();
  size_t avail = in.size();
  const char* nl = static_cast<const char*>(memchr(start, '\n', avail));
  if (nl == nullptr) {
    if (avail > kMaxAuthLine) ctx_.conn->CloseNow();
    return false;
  }
  size_t line_len = static_cast<size_t>(nl - start);
  std::string_view tokens[kMaxAuthTokens];
  size_t ntokens = Tokenize(std::string_view(start, line_len), tokens, kMaxAuthTokens);
  uint32_t size = 0;
  if (ntokens < 5 || tokens[0] != text::kCommandSet || !text::ParseUint32(tokens[4], &size)) {
    in.Consume(line_len + 1);
    ReplyAlways(text::kErrorUnauthenticated);
    return true;
  }
  size_t need = line_len + 1 + static_cast<size_t>(size) + 2;
  if (avail < need) return false;  // the read buffer grows (within its bound) until it fits
  ctx_.conn->TouchLastCommand();
  std::string_view data(start + line_len + 1, static_cast<size_t>(size) + 2);
  in.Consume(need);
  if (data.substr(data.size() - 2) != text::kCrlf) {
    ReplyAlways(text::kErrorBadAuthTermination);
    return true;
  }
  std::string_view creds[kMaxAuthTokens];
  if (Tokenize(data.substr(0, size), creds, kMaxAuthTokens) < 2) {
    ReplyAlways(text::kErrorBadAuthToken);
    return true;
  }
  ctx_.stats->auth_cmds.Add();
  const CredentialStore* store = ctx_.server->credentials();
  if (store != nullptr && store->Check(creds[0], creds[1])) {
    ctx_.conn->set_authenticated(true);
    ctx_.out->Append(text::kReplyStored);
  } else {
    ctx_.stats->auth_errors.Add();
    ReplyAlways(text::kErrorAuthFailure);
  }
  return true;
}

void AsciiAuthHandler::ReplyAlways(std::string_view line) {
  char* dst = ctx_.out->Reserve(line.size() + 2);
  memcpy(dst, line.data(), line.size());
  dst[line.size()] = '\r';
  dst[line.size() + 1] = '\n';
  ctx_.out->Commit(line.size() + 2);
}

}  // namespace memfleet::server
