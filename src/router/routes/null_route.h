// NullRoute: the route that sends nothing anywhere (a black hole for writes, a miss for reads).
//
// Stateless; shared by every worker thread.
#pragma once

#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Sends the request nowhere. The reply is the operation's default reply (route.h DefaultReply:
// a miss for a retrieval, NOT_STORED for a storage command, NOT_FOUND for delete, touch and
// arithmetic), given before Dispatch returns.
class NullRoute final : public Route {
 public:
  void Dispatch(const Request& req, RequestContext&, ReplyReceiver& done) const override {
    done.OnReply(DefaultReply(req.op));
  }
  void Traverse(const Request&, RouteTraverser&) const override {}
  std::string_view type() const override { return "NullRoute"; }
};

}  // namespace memfleet::router
