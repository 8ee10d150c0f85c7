// MetaState: the per-connection state of the meta extension (see connection.h). Owned by one
// Connection and used only on its worker thread.
#pragma once

namespace memfleet::server {

struct MetaState {};

}  // namespace memfleet::server
