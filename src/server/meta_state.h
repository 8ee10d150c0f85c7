// MetaState: the per-connection state of the meta protocol (see meta_handler.h): what an ms
// waiting for its data block needs to compose its reply once the data has been read (the
// request line's bytes may be gone from the read buffer by then). Owned by one MetaHandler and
// reused by each ms; used only on the connection's worker thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/meta/meta.h"
#include "storage/engine.h"

namespace memfleet::server {

struct MetaState {
  bool quiet = false;
  bool key_binary = false;
  bool set_stale = false;
  storage::StoreOp op = storage::StoreOp::kSet;
  uint64_t cas = 0;
  // The flags to echo ('O', 'k', 'c'), in request order.
  char echo[3] = {0, 0, 0};
  uint8_t necho = 0;
  char opaque[protocol::meta::kMaxOpaqueLength + 1] = {};
  uint8_t opaque_len = 0;
  char key[protocol::meta::kKeyMaxLength] = {};
  uint8_t key_len = 0;

  std::string_view opaque_view() const { return {opaque, opaque_len}; }
  std::string_view key_view() const { return {key, key_len}; }
};

}  // namespace memfleet::server
