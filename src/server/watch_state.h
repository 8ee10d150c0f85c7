// WatchState: the per-connection state of the watch extension (see connection.h): the
// connection's registration with the Logger, removed when the connection goes away. Owned by one
// Connection and used only on its worker thread.
#pragma once

#include <memory>

#include "server/logger.h"

namespace memfleet::server {

struct WatchState {
  WatchState(Logger* l, std::shared_ptr<Logger::Watcher> w) : logger(l), watcher(std::move(w)) {}
  ~WatchState() { logger->Remove(watcher); }
  WatchState(const WatchState&) = delete;
  WatchState& operator=(const WatchState&) = delete;

  Logger* logger;
  std::shared_ptr<Logger::Watcher> watcher;
};

}  // namespace memfleet::server
