// OperationSelectorRoute: chooses a subtree by the request's operation.
//
// mcrouter's `operation_policies` (keyed by its operation names: get, set, delete, add, replace,
// append, prepend, cas, gets, incr, decr, touch, gat, gats, flushall) and `default_policy`.
// Built by the config loader; immutable, shared by every worker thread.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "router/route.h"

namespace memfleet::router {

// Sends the request to the policy of its operation, else to the default policy. That route's
// reply is the reply; with neither, the operation's default reply (as NullRoute).
class OperationSelectorRoute final : public Route {
 public:
  static constexpr size_t kOpCount = static_cast<size_t>(Op::kMetaDebug) + 1;
  using Policies = std::array<RoutePtr, kOpCount>;

  // Any entry of policies, and default_policy, may be null.
  OperationSelectorRoute(Policies policies, RoutePtr default_policy)
      : policies_(std::move(policies)), default_policy_(std::move(default_policy)) {}

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "OperationSelectorRoute"; }

  // The route for op, or nullptr.
  const Route* Select(Op op) const;

 private:
  Policies policies_;
  RoutePtr default_policy_;
};

// The operation a config's `operation_policies` key names: mcrouter's names ("get", "set",
// "delete", "flushall"...) and memfleet's own (protocol::OpName: "flush_all", "version"...).
// nullopt for anything else, including mcrouter operations memfleet has no equivalent of
// (IsMcrouterOnlyOperation).
std::optional<Op> OperationByName(std::string_view name);
// mcrouter operations a client of memfleet cannot send: lease-get, lease-set, metaget, flushre.
bool IsMcrouterOnlyOperation(std::string_view name);

}  // namespace memfleet::router
