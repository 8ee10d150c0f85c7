// ModifyExptimeRoute: a child whose writes get another expiration time — how a gutter or standby
// pool (FailoverWithExptimeRoute) keeps what it is sent for a short time only.
//
// Built by the config loader; immutable, shared by every worker thread. A changed request is a
// copy in the request's arena (route.h: a route never changes the request it was given).
#pragma once

#include <cstdint>
#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Sends the request to its target with the exptime replaced: kSet always, kMin when the request's
// exptime is 0 (never expires) or later than the route's. Only operations that carry an
// exptime are changed (set, add, replace, append, prepend, cas, touch, gat, gats; as mcrouter,
// not delete, incr or decr); the rest pass as they are. The target's reply is the reply.
class ModifyExptimeRoute final : public Route {
 public:
  enum class Action : uint8_t { kSet, kMin };

  // REQUIRES: action != kMin || exptime != 0 (min with "never" changes nothing).
  ModifyExptimeRoute(RoutePtr target, int64_t exptime, Action action)
      : target_(std::move(target)), exptime_(exptime), action_(action) {}

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  void Traverse(const Request& req, RouteTraverser& t) const override { target_->Traverse(req, t); }
  std::string_view type() const override { return "ModifyExptimeRoute"; }

  const RoutePtr& target() const { return target_; }
  int64_t exptime() const { return exptime_; }
  Action action() const { return action_; }

  // True for the operations whose exptime the route changes.
  static bool CarriesExptime(Op op);
  // A copy of req in the arena with its exptime replaced — for a meta request, its T token too
  // (replaced, or added when it had none), since a meta request goes upstream with its own
  // tokens.
  static const Request& WithExptime(const Request& req, int64_t exptime, Arena& arena);

 private:
  RoutePtr target_;
  int64_t exptime_;
  Action action_;
};

}  // namespace memfleet::router
