// HandlerSet: the protocol handlers of one client — a TCP or unix connection, or a worker's UDP
// port — and which of them a request or a finished data block goes to.
//
// Each handler (text_handler.h, meta_handler.h, operator_handler.h, binary_handler.h) is created
// on the first request it executes, over the client's HandlerContext. Owned by its client and
// used only on its worker thread.
#pragma once

#include <memory>

#include "protocol/text/request.h"
#include "server/handler_context.h"
#include "storage/engine.h"

namespace memfleet::server {

class BinaryHandler;
class MetaHandler;
class OperatorHandler;
class TextHandler;

class HandlerSet {
 public:
  explicit HandlerSet(const HandlerContext& ctx);
  ~HandlerSet();
  HandlerSet(const HandlerSet&) = delete;
  HandlerSet& operator=(const HandlerSet&) = delete;

  // A parsed text-protocol request: meta commands (mg ms md ma mn me) to the MetaHandler, the
  // operator commands (slabs, lru_crawler, lru, watch, misbehave) to the OperatorHandler, the
  // rest to the TextHandler.
  void ExecuteText(const protocol::text::Request& req);
  // Hands a storage request's item, its data block read, to the handler that asked for it
  // (ConnectionControl::ReadValue's owner).
  void FinishStore(ValueOwner owner, storage::ItemRef item, bool data_ok);
  // The binary protocol's handler (created on first use).
  BinaryHandler& binary();

 private:
  const HandlerContext& ctx_;  // the client's; outlives this set
  std::unique_ptr<TextHandler> text_;
  std::unique_ptr<MetaHandler> meta_;
  std::unique_ptr<OperatorHandler> operator_;
  std::unique_ptr<BinaryHandler> binary_;
};

}  // namespace memfleet::server
