// OperatorHandler: executes memcached 1.6.18's operator commands on a text connection — slabs
// (reassign, automove), lru_crawler (enable, disable, sleep, tocrawl, crawl, metadump,
// mgdump), lru (tune, mode, temp_ttl), watch, and misbehave (ERROR) — byte for byte, including
// memcached's quirks (e.g. `lru tune` with a bad number answers "ERROR").
//
// The handler parses and answers; what turns the connection into something else goes through
// ConnectionControl: a metadump/mgdump (StartDump, streamed by the connection in bounded steps)
// and `watch` (Watch: the connection becomes a log stream). It sees only its HandlerContext
// (handler_context.h). Owned by one connection, created on its first operator command, used only
// on its worker thread.
#pragma once

#include <string_view>

#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "storage/engine.h"

namespace memfleet::server {

class OperatorHandler {
 public:
  explicit OperatorHandler(const HandlerContext& ctx) : ctx_(ctx) {}
  OperatorHandler(const OperatorHandler&) = delete;
  OperatorHandler& operator=(const OperatorHandler&) = delete;

  // Executes an operator request (slabs, lru_crawler, lru, watch, misbehave) whose line the
  // caller has consumed.
  void Execute(const protocol::text::Request& req);

 private:
  // Queues a one-line reply (adds "\r\n") unless the request asked for noreply.
  void Reply(std::string_view line);
  void ReplyAlways(std::string_view line);
  // The same for a whole line that already ends in "\r\n".
  void ReplyLine(std::string_view line_with_crlf);
  void ReplyLineAlways(std::string_view line_with_crlf);

  HandlerContext ctx_;
  bool noreply_ = false;  // the request being executed asked for noreply
};

// The reply line (without "\r\n") to `lru_crawler crawl` and to a refused metadump/mgdump.
std::string_view CrawlReplyLine(storage::CrawlResult r);

}  // namespace memfleet::server
