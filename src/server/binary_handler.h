// BinaryHandler: executes binary-protocol requests for one connection, following memcached
// 1.6.18's proto_bin.c: the same validation order (key past body, authentication, key length,
// per-opcode shape), the same status codes and error texts, the same stats counters. Errors that
// memcached answers by closing the connection (a malformed request) close it here too.
//
// The handler sees only its HandlerContext (handler_context.h): it queues responses in the
// context's output buffer, laid out by protocol/binary/response.h, and asks the connection
// through ConnectionControl for the state changes (read a store's value, swallow a body, close).
// The connection parses requests (protocol/binary/binary.h) and feeds them to Execute one at a
// time. Owned by one connection, created on its first binary request, used only on its worker
// thread.
#pragma once

#include <cstdint>

#include "protocol/binary/binary.h"
#include "server/handler_context.h"
#include "storage/engine.h"

namespace memfleet::server {

class BinaryHandler {
 public:
  explicit BinaryHandler(const HandlerContext& ctx) : ctx_(ctx) {}
  BinaryHandler(const BinaryHandler&) = delete;
  BinaryHandler& operator=(const BinaryHandler&) = delete;

  // Executes req, whose header, extras and key the caller has consumed from the input. Returns
  // false when the request needs bytes beyond that prefix which are not in the input yet (SASL
  // data): nothing more was consumed and the caller restores the prefix and waits.
  bool Execute(const protocol::binary::Request& req);
  // Key and extras longer than the body: memcached answers UNKNOWN_COMMAND and closes.
  void RejectKeyPastBody(const protocol::binary::Request& req);
  // Completes the store whose value ConnectionControl::ReadValue has read into item.
  void FinishStore(storage::ItemRef item, bool data_ok);

  // What a store waiting for its value needs to reply once the value is in (the request's bytes
  // may be gone from the input by then).
  struct PendingStore {
    protocol::binary::Header header;
    bool quiet = false;  // a q opcode: no reply when it succeeds
    storage::StoreOp op = storage::StoreOp::kSet;
    uint64_t cas = 0;
  };

 private:
  HandlerContext ctx_;
  PendingStore pending_;
};

}  // namespace memfleet::server
