// LatestRoute: reads spread over replicas, each router keeping its own order of them.
//
// At build time the route picks `failover_count` of its children pseudo-randomly (weighted),
// from a seed that differs per router (the host id) so that a fleet of routers spreads its load
// over the replicas, and keeps them in that order (mcrouter's LatestRoute). It then is a
// FailoverRoute over them, with mcrouter's `failover_errors` and `failover_limit`. Immutable after
// that (but for the rate limiter's atomics); shared by every worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "router/routes/failover_route.h"

namespace memfleet::router {

// Sends the request to the first chosen child; on a failover error (by default
// protocol::IsFailoverError: remote error, timeout, connect error, TKO; see FailoverRoute) to the
// next, and so on. The first reply that is not a failover error is the reply; when every chosen
// child fails, the last failure is.
class LatestRoute final : public FailoverRoute {
 public:
  static constexpr size_t kDefaultFailoverCount = 5;

  // Chooses min(failover_count, children) children. weights: one per child, or empty for equal
  // weights; a child of weight 0 is chosen only after every other. REQUIRES: failover_count > 0.
  LatestRoute(std::vector<RoutePtr> children, size_t failover_count, uint64_t seed,
              const std::vector<double>& weights, FailoverErrors errors = {},
              std::unique_ptr<FailoverRateLimiter> limiter = nullptr);

  std::string_view type() const override { return "LatestRoute"; }

  // The chosen children, in the order they are tried (children() holds exactly these).
  const std::vector<RoutePtr>& targets() const { return children_; }
};

}  // namespace memfleet::router
