// PrefixSelectorRoute: chooses a subtree by the longest key prefix that has a policy.
//
// mcrouter's selector of a route's top level ("policies" by key prefix, "wildcard" for the rest),
// here a handle that may stand anywhere in a tree. The prefix is matched against the RoutingKey
// (base64-decoded, routing prefix already stripped). Built by the config loader; immutable,
// shared by every worker thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "router/route.h"

namespace memfleet::router {

// Sends the request to the policy whose prefix is the longest one the key starts with, else to
// the wildcard. That route's reply is the reply; with neither, the reply is an error
// ("SERVER_ERROR no route for key").
class PrefixSelectorRoute final : public Route {
 public:
  struct Policy {
    std::string prefix;
    RoutePtr route;
  };
  // wildcard may be null.
  PrefixSelectorRoute(std::vector<Policy> policies, RoutePtr wildcard);

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "PrefixSelectorRoute"; }

  // The route req's key selects, or nullptr.
  const Route* Select(const Request& req) const;

  static constexpr std::string_view kNoRouteLine = "SERVER_ERROR no route for key";

 private:
  std::vector<Policy> policies_;  // longest prefix first
  RoutePtr wildcard_;
};

}  // namespace memfleet::router
