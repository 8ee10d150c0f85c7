// AllSyncRoute: a write to every replica, answered when every replica has answered.
//
// Built by the config loader; immutable, shared by every worker thread. Per-request state lives
// in the request's arena (route.h).
#pragma once

#include <string_view>
#include <vector>

#include "router/routes/fan_out_route.h"

namespace memfleet::router {

// Sends the request to every child at once and waits for all of them. The reply is the worst of
// their replies by severity (protocol::Severity; the first of equals), so one failed replica
// makes the write fail.
class AllSyncRoute final : public FanOutRoute {
 public:
  using FanOutRoute::FanOutRoute;

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  std::string_view type() const override { return "AllSyncRoute"; }
};

}  // namespace memfleet::router
