#include "router/routes/hash_route.h"

#include <cassert>
#include <string>
#include <utility>

#include "router/routes/routing_key.h"

namespace memfleet::router {

Result<RoutePtr> HashRoute::Create(std::vector<RoutePtr> children,
                                   std::unique_ptr<const hash::HashFunction> func) {
  if (children.empty()) return Status::InvalidArgument("a hash route needs at least one child");
  if (func == nullptr || func->size() != children.size()) {
    return Status::InvalidArgument("the hash function is not built for " +
                                   std::to_string(children.size()) + " children");
  }
  return RoutePtr(std::make_shared<HashRoute>(std::move(children), std::move(func)));
}

HashRoute::HashRoute(std::vector<RoutePtr> children, std::unique_ptr<const hash::HashFunction> func)
    : children_(std::move(children)), func_(std::move(func)) {
  assert(!children_.empty() && func_ != nullptr && func_->size() == children_.size());
}

size_t HashRoute::PickIndex(const Request& req) const {
  RoutingKey key(req);
  size_t i = func_->Pick(key.view());
  assert(i < children_.size());
  // A function that answers out of range is a bug in it; stay in range in release builds.
  if (i >= children_.size()) i %= children_.size();
  return i;
}

void HashRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  Pick(req).Dispatch(req, ctx, done);
}

void HashRoute::Traverse(const Request& req, RouteTraverser& t) const {
  Pick(req).Traverse(req, t);
}

}  // namespace memfleet::router
