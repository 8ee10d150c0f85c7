// The twemproxy dialect: a nutcracker.yml, one pool per YAML section with its own listen
// address, hash, distribution and servers, built through RouteTreeBuilder (pools, PoolRoutes with
// a nutcracker HashSpec, ListenerSpecs). Not written yet: LoadNutcrackerConfig is the one place a
// .yml/.yaml config reaches. Pure: any thread.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "router/config/route_tree.h"

namespace memfleet::router {

memfleet::Result<std::shared_ptr<const RouteTree>> LoadNutcrackerConfig(std::string_view text,
                                                                        const LoadOptions& options);

}  // namespace memfleet::router
