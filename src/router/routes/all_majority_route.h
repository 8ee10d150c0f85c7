// AllMajorityRoute: a request sent to every child, answered by the result most of them agree on.
//
// Built by the config loader; immutable, shared by every worker thread. Children that reply
// after the answer is decided complete in the background: the route holds the request's context
// until the last one has replied.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to every child and collects replies until one result code has come from a
// majority (half + 1), or every child has replied. The reply is one with the most common code,
// ties going to the worse code by severity (mcrouter's rule).
class AllMajorityRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "AllMajorityRoute"; }
};

}  // namespace memfleet::router
