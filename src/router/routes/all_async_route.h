// AllAsyncRoute: a write sent to every child in the background, answered at once.
//
// Built by the config loader; immutable, shared by every worker thread. The sends outlive the
// client's reply: the route holds the request's context (RequestContext::Hold) until the last
// child has replied.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to every child and does not wait for them. The reply is the operation's
// default reply (route.h DefaultReply), given before any child is sent to; the children's
// replies are dropped.
class AllAsyncRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "AllAsyncRoute"; }
};

}  // namespace memfleet::router
