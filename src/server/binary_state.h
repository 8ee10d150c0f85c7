// BinaryState: the per-connection state of the binary extension (see connection.h). Owned by one
// Connection and used only on its worker thread.
#pragma once

namespace memfleet::server {

struct BinaryState {};

}  // namespace memfleet::server
