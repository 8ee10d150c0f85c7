// BinaryState: the per-connection state of the binary protocol (see connection.h): the header of
// the store whose value is being read, so that its reply can be composed once the value is in.
// Owned by one Connection and used only on its worker thread (connection_binary.cc).
#pragma once

#include "protocol/binary/binary.h"

namespace memfleet::server {

struct BinaryState {
  protocol::binary::Header store_header;  // the pending store (SET/ADD/REPLACE/APPEND/PREPEND)
  bool store_quiet = false;               // ... was a q opcode: no reply when it succeeds
};

}  // namespace memfleet::server
