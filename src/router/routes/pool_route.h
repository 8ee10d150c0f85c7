// PoolRoute: a pool of upstream servers with the hash function that spreads keys over them.
//
// It is a HashRoute whose children are the pool's DestinationRoutes (in the pool's order, so the
// function's server list and the children agree), named after its pool for debugging output
// (`__memfleet__.route`). Built by the config loader; immutable, shared by every worker thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "router/routes/hash_route.h"

namespace memfleet::router {

// Sends the request to the one server of the pool its key hashes to. That server's reply is the
// reply.
class PoolRoute final : public HashRoute {
 public:
  PoolRoute(std::string pool, std::vector<RoutePtr> destinations,
            std::unique_ptr<const hash::HashFunction> func)
      : HashRoute(std::move(destinations), std::move(func)), pool_(std::move(pool)) {}

  std::string_view type() const override { return "PoolRoute"; }
  const std::string& pool() const { return pool_; }

 private:
  std::string pool_;
};

}  // namespace memfleet::router
