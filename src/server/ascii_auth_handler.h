// AsciiAuthHandler: memcached's ASCII authentication (-Y FILE) on one text connection. Until
// the connection has authenticated, every request it sends is read as memcached 1.6's login
// "set <any key> <any flags> <any exptime> <bytes>\r\n<user> <password>\r\n": a pair found in
// the server's credentials (auth.h) answers STORED and unlocks the connection; anything else
// answers a CLIENT_ERROR and the connection stays open for another try. Every attempt is
// answered, noreply or not. The replies and their order follow memcached's
// try_read_command_asciiauth.
//
// The handler sees only its HandlerContext (handler_context.h): it reads the attempt from the
// context's input, queues its reply in the context's output, counts auth_cmds/auth_errors in
// the worker's stats, and asks the connection through ConnectionControl to close at once (a
// first line past 2048 bytes), to record the command's time and to mark itself authenticated.
// Owned by one connection, created on its first request under -Y, used only on its worker
// thread.
#pragma once

#include <string_view>

#include "server/handler_context.h"

namespace memfleet::server {

class AsciiAuthHandler {
 public:
  explicit AsciiAuthHandler(const HandlerContext& ctx) : ctx_(ctx) {}
  AsciiAuthHandler(const AsciiAuthHandler&) = delete;
  AsciiAuthHandler& operator=(const AsciiAuthHandler&) = delete;

  // Reads one login attempt from the start of the unread input and answers it. True when the
  // attempt was consumed and answered; false when more bytes are needed (the input is left as
  // it was) or the connection was closed.
  bool Execute();

 private:
  // Queues a one-line reply (adds "\r\n"): a login attempt is answered even with noreply.
  void ReplyAlways(std::string_view line);

  HandlerContext ctx_;
};

}  // namespace memfleet::server
