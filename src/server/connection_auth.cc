// ASCII authentication (-Y) for Connection (see connection.h and server/auth.h).
//
// Until a text connection has authenticated, every request is read as memcached 1.6's token
// "set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n": a matching pair
// answers STORED and unlocks the connection; anything else answers CLIENT_ERROR and the connection
// stays open for another try. The replies and their order follow memcached's
// try_read_command_asciiauth.
#include <cstring>
#include <string_view>

#include "protocol/text/number.h"
#include "protocol/text/vocabulary.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace memfleet::server {
namespace {

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

bool Connection::ProcessAsciiAuth() {
  const char* start = rbuf_.data();
  size_t avail = rbuf_.size();
  const char* nl = static_cast<const char*>(memchr(start, '\n', avail));
  if (nl == nullptr) {
    if (avail > kMaxAuthLine) Close();
    return false;
  }
  size_t line_len = static_cast<size_t>(nl - start);
  std::string_view tokens[kMaxAuthTokens];
  size_t ntokens = Tokenize(std::string_view(start, line_len), tokens, kMaxAuthTokens);
  uint32_t size = 0;
  if (ntokens < 5 || tokens[0] != protocol::text::kCommandSet ||
      !protocol::text::ParseUint32(tokens[4], &size)) {
    rbuf_.Consume(line_len + 1);
    ReplyAlways(protocol::text::kErrorUnauthenticated);
    return true;
  }
  size_t need = line_len + 1 + static_cast<size_t>(size) + 2;
  if (avail < need) return false;  // the read buffer grows (within its bound) until it fits
  last_cmd_time_.store(server_->clock().Now(), std::memory_order_relaxed);
  std::string_view data(start + line_len + 1, static_cast<size_t>(size) + 2);
  rbuf_.Consume(need);
  if (data.substr(data.size() - 2) != protocol::text::kCrlf) {
    ReplyAlways(protocol::text::kErrorBadAuthTermination);
    return true;
  }
  std::string_view creds[kMaxAuthTokens];
  if (Tokenize(data.substr(0, size), creds, kMaxAuthTokens) < 2) {
    ReplyAlways(protocol::text::kErrorBadAuthToken);
    return true;
  }
  WorkerStats& st = worker_->stats();
  st.auth_cmds.Add();
  const CredentialStore* store = server_->credentials();
  if (store != nullptr && store->Check(creds[0], creds[1])) {
    authenticated_ = true;
    ReplyLineAlways(protocol::text::kReplyStored);
  } else {
    st.auth_errors.Add();
    ReplyAlways(protocol::text::kErrorAuthFailure);
  }
  return true;
}

}  // namespace memfleet::server
