// MissFailoverRoute: reads (and deletes) that go on to the next child on a miss as well as on an
// error — for a key that may live in any of several pools (a pool being filled, a migration).
//
// Built by the config loader with at least two children; immutable, shared by every worker
// thread. Per-request state lives in the request's arena.
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// get, gets, gat, gats and delete go to the children in order until one answers a hit (found,
// deleted, touched, ok: mcrouter's rule); that hit is the reply. When none does, the reply is
// the last child's, or with return_best_on_error the least severe reply seen (a miss from a
// healthy child rather than an error from a broken one; the later of equals). Every other
// operation goes to the first child only, whose reply is the reply.
class MissFailoverRoute final : public FanOutRoute {
 public:
  // REQUIRES: children.size() >= 1.
  MissFailoverRoute(std::vector<RoutePtr> children, bool return_best_on_error)
      : FanOutRoute(std::move(children)), return_best_on_error_(return_best_on_error) {}

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "MissFailoverRoute"; }

  bool return_best_on_error() const { return return_best_on_error_; }

 private:
  class Attempts;
  bool return_best_on_error_;
};

}  // namespace memfleet::router
