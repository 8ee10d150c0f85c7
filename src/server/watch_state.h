// WatchState: the per-connection state of the watch extension (see connection.h). Owned by one
// Connection and used only on its worker thread.
#pragma once

namespace memfleet::server {

struct WatchState {};

}  // namespace memfleet::server
