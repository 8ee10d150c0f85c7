#include "router/routes/prefix_selector_route.h"

#include <algorithm>
#include <utility>

#include "router/routes/routing_key.h"

namespace memfleet::router {

PrefixSelectorRoute::PrefixSelectorRoute(std::vector<Policy> policies, RoutePtr wildcard)
    : policies_(std::move(policies)), wildcard_(std::move(wildcard)) {
  // The first prefix the key starts with, in this order, is the longest one.
  std::stable_sort(policies_.begin(), policies_.end(), [](const Policy& a, const Policy& b) {
    return a.prefix.size() > b.prefix.size();
  });
}

const Route* PrefixSelectorRoute::Select(const Request& req) const {
  RoutingKey key(req);
  for (const Policy& p : policies_) {
    if (key.view().starts_with(p.prefix)) return p.route.get();
  }
  return wildcard_.get();
}

void PrefixSelectorRoute::Dispatch(const Request& req, RequestContext& ctx,
                                   ReplyReceiver& done) const {
  if (const Route* r = Select(req)) {
    r->Dispatch(req, ctx, done);
  } else {
    done.OnReply(ErrorReply(kNoRouteLine));
  }
}

void PrefixSelectorRoute::Traverse(const Request& req, RouteTraverser& t) const {
  if (const Route* r = Select(req)) r->Traverse(req, t);
}

}  // namespace memfleet::router
