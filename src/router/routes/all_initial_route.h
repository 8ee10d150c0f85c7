// AllInitialRoute: a request sent to every child, answered by the first child.
//
// Built by the config loader; immutable, shared by every worker thread. The other children's
// sends outlive the client's reply: the route holds the request's context until they are done.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to every child. The first child's reply is the reply, whenever it comes;
// the others complete in the background and their replies are dropped.
class AllInitialRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "AllInitialRoute"; }
};

}  // namespace memfleet::router
