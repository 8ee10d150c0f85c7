// AllFastestRoute: a request sent to every child, answered by the first that succeeds.
//
// Built by the config loader; immutable, shared by every worker thread. The slower children
// complete in the background: the route holds the request's context until the last one has
// replied.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to every child at once. The first reply that is not a failover error
// (protocol::IsFailoverError: a hit, a miss or a client error) is the reply; when every child
// fails, the last failure is.
class AllFastestRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "AllFastestRoute"; }
};

}  // namespace memfleet::router
