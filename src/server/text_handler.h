// TextHandler: executes the text-protocol commands of one connection (get/gets/gat/gats, the
// storage commands, incr/decr, delete, touch, flush_all, stats, version, verbosity, quit,
// shutdown, cache_memlimit), byte for byte as memcached 1.6.18 answers them, replies composed
// from protocol/text's vocabulary. Meta commands (meta_handler.h) and the operator commands
// (slabs, lru_crawler, lru, watch: Connection, connection_admin.cc) are dispatched elsewhere.
//
// The handler sees only its HandlerContext (handler_context.h): it queues replies in the
// context's output buffer and asks the connection through ConnectionControl for the state
// changes (read a data block, swallow a refused one, close after quit). The connection parses
// each request line (protocol/text/request.h) and hands it to Execute. Owned by one
// connection, created on its first text command, used only on its worker thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "storage/engine.h"

namespace memfleet::server {

class TextHandler {
 public:
  explicit TextHandler(const HandlerContext& ctx) : ctx_(ctx) {}
  TextHandler(const TextHandler&) = delete;
  TextHandler& operator=(const TextHandler&) = delete;

  // Executes req, whose line the caller has consumed. A storage command hands its item to
  // ConnectionControl::ReadValue and replies in FinishStore once the data block is read.
  void Execute(const protocol::text::Request& req);
  // Completes the storage command whose data block has been read into item; data_ok: it ended
  // in "\r\n".
  void FinishStore(storage::ItemRef item, bool data_ok);

 private:
  void ExecuteRetrieval(const protocol::text::Request& req);
  void BeginStore(const protocol::text::Request& req);
  void ExecuteDelta(const protocol::text::Request& req);
  void ExecuteDelete(const protocol::text::Request& req);
  void ExecuteTouch(const protocol::text::Request& req);
  void ExecuteFlushAll(const protocol::text::Request& req);
  void ExecuteStats(const protocol::text::Request& req);
  // stats cachedump <class> <limit>.
  void ExecuteCachedump(const protocol::text::Request& req);
  void ExecuteAdmin(const protocol::text::Request& req);
  // A VALUE line, the value (copied, or sent from item memory when large) and "\r\n".
  void AppendValue(storage::ItemRef item, std::string_view key, bool with_cas);
  // Queues a one-line reply (adds "\r\n") unless the request asked for noreply.
  // The `watch fetchers` line of the lookup memcached makes before a store, delete, incr/decr
  // or touch of key.
  void LogLookup(std::string_view key);
  void Reply(std::string_view line);
  void ReplyAlways(std::string_view line);
  // The same for a whole line that already ends in "\r\n" (a vocabulary kReply... constant).
  void ReplyLine(std::string_view line_with_crlf);
  void ReplyLineAlways(std::string_view line_with_crlf);

  HandlerContext ctx_;
  bool noreply_ = false;  // the request being executed asked for noreply
  // The storage command waiting for its data block.
  storage::StoreOp pending_op_ = storage::StoreOp::kSet;
  uint64_t pending_cas_ = 0;
};

}  // namespace memfleet::server
