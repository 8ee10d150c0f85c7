// MetaHandler: executes the meta commands (mg ms md ma mn me) of one text connection, byte for
// byte as memcached 1.6.18 answers them. Flags are parsed and replies composed by protocol/meta;
// the engine decides hits, wins and staleness under its stripe locks (storage/engine.h).
//
// The handler sees only its HandlerContext (handler_context.h): it queues replies in the
// context's output buffer and asks the connection through ConnectionControl for the state
// changes (read an ms data block, swallow a refused one). The connection parses the request line
// (protocol/text) and hands meta requests to Execute. Owned by one connection, created on its
// first meta command, used only on its worker thread.
#pragma once

#include <span>
#include <string_view>

#include "protocol/meta/meta.h"
#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "server/meta_state.h"
#include "storage/engine.h"

namespace memfleet::server {

class MetaHandler {
 public:
  explicit MetaHandler(const HandlerContext& ctx) : ctx_(ctx) {}
  MetaHandler(const MetaHandler&) = delete;
  MetaHandler& operator=(const MetaHandler&) = delete;

  // Executes a meta request (req.command is one of the kMeta* commands) whose line the caller
  // has consumed. An ms hands its item to ConnectionControl::ReadValue and replies in
  // FinishStore once the data block is read.
  void Execute(const protocol::text::Request& req);
  // Completes the ms whose data block has been read into item; data_ok: it ended in "\r\n".
  void FinishStore(storage::ItemRef item, bool data_ok);

 private:
  void Get(const protocol::meta::MetaFlags& flags, std::span<const std::string_view> tokens);
  void BeginStore(const protocol::text::Request& req, const protocol::meta::MetaFlags& flags,
                  std::span<const std::string_view> tokens);
  void Delete(const protocol::meta::MetaFlags& flags, std::span<const std::string_view> tokens);
  void Arithmetic(const protocol::meta::MetaFlags& flags, std::span<const std::string_view> tokens);
  void Debug(const protocol::text::Request& req);
  // Queues line and "\r\n" (meta replies ignore noreply; q flags are handled per command).
  void ReplyAlways(std::string_view line);

  HandlerContext ctx_;
  MetaState store_;  // the ms waiting for its data block
};

}  // namespace memfleet::server
