// WarmUpRoute: a new ("cold") pool put in front of an old ("warm") one, filled from it on
// demand, so that adding or replacing a pool does not send a wave of misses to the backing
// store (mcrouter's WarmUpRoute).
//
// Built by the config loader; immutable, shared by every worker thread. Per-request state (the
// requests it makes of its own, the value it copies into cold) lives in the request's arena; the
// background add of a get holds the request's context until cold has answered.
#pragma once

#include <cstdint>
#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Reads cold first; on a cold hit that is the reply. On anything else:
// - get: the request goes to warm, whose reply is the reply; on a warm hit the value is added to
//   cold (`add`, with the route's exptime) in the background — the client does not wait.
// - gets, gat, gats: a plain get goes to warm; on a warm hit the value is added to cold (with
//   the route's exptime; gat and gats with their own), and then the request itself goes to cold
//   again, so that the cas and the touch are cold's; that reply is the reply. Without a warm
//   hit, cold's first reply is.
// A meta get that asks for no value or no client flags (`mg k t`, `mg k v` without f) takes the
// gets path: the value added to cold must be the whole item.
// Every other operation (storage, delete, touch, incr/decr...) goes to cold only: the client
// keeps warm as it wants it.
class WarmUpRoute final : public Route {
 public:
  WarmUpRoute(RoutePtr cold, RoutePtr warm, int64_t exptime)
      : cold_(std::move(cold)), warm_(std::move(warm)), exptime_(exptime) {}

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  // Cold, then warm (where a retrieval may go).
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "WarmUpRoute"; }

  const RoutePtr& cold() const { return cold_; }
  const RoutePtr& warm() const { return warm_; }
  int64_t exptime() const { return exptime_; }

 private:
  class Walk;
  RoutePtr cold_;
  RoutePtr warm_;
  int64_t exptime_;
};

}  // namespace memfleet::router
