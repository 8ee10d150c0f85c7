// DestinationRoute: the leaf of every route tree, one upstream server.
//
// Built by the config loader, one per server of the route tree's server table and shared by every
// pool that names the server; immutable, so every worker thread shares it. Dispatch runs on the
// thread that owns the request's context.
#pragma once

#include <string>
#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Sends the request to one upstream server through the worker (RequestContext::Send). The
// server's reply, or the router's failure for it (timeout, connect error, TKO), is the reply.
class DestinationRoute final : public Route {
 public:
  DestinationRoute(DestinationId destination, std::string address)
      : destination_(destination), address_(std::move(address)) {}

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override {
    ctx.Send(destination_, req, done);
  }
  void Traverse(const Request&, RouteTraverser& t) const override { t.Destination(destination_); }
  std::string_view type() const override { return "DestinationRoute"; }

  DestinationId destination() const { return destination_; }
  // "host:port" as the server table has it (for debugging output).
  const std::string& address() const { return address_; }

 private:
  DestinationId destination_;
  std::string address_;
};

}  // namespace memfleet::router
