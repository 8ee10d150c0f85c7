// RandomRoute: reads spread evenly over replicas, a fresh choice per request.
//
// Built by the config loader; immutable, shared by every worker thread. The choice comes from
// the worker's generator (RequestContext::Random), so no state is shared between threads.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to one child chosen uniformly at random. That child's reply is the reply.
class RandomRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override {
    children_[ctx.Random() % children_.size()]->Dispatch(req, ctx, done);
  }
  std::string_view type() const override { return "RandomRoute"; }
};

}  // namespace memfleet::router
