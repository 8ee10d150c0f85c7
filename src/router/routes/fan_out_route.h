// FanOutRoute: what the routes that send one request to several children share — the list of
// children, and a Traverse that reports every one of them.
//
// The All* routes, LatestRoute and RandomRoute derive from it. Built by the config loader with
// at least one child; immutable, shared by every worker thread.
#pragma once

#include <cassert>
#include <utility>
#include <vector>

#include "router/route.h"

namespace memfleet::router {

class FanOutRoute : public Route {
 public:
  // REQUIRES: !children.empty()
  explicit FanOutRoute(std::vector<RoutePtr> children) : children_(std::move(children)) {
    assert(!children_.empty());
  }

  // Every child: the ones a request is sent to, or (LatestRoute, RandomRoute) may be.
  void Traverse(const Request& req, RouteTraverser& t) const override {
    for (const RoutePtr& c : children_) c->Traverse(req, t);
  }

  const std::vector<RoutePtr>& children() const { return children_; }

 protected:
  std::vector<RoutePtr> children_;
};

}  // namespace memfleet::router
