// HashRoute: sends each key to the one child a hash function picks (router/hash/hash_func.h).
//
// Built by the config loader with its children and a HashFunction built for exactly that many
// children; immutable afterwards and shared by every worker thread (HashFunction::Pick is const
// and lock-free). The key hashed is the RoutingKey (base64-decoded, routing prefix stripped);
// choosing a child allocates nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "router/hash/hash_func.h"
#include "router/route.h"

namespace memfleet::router {

// Sends the request to the child its key hashes to, and nothing else. That child's reply is the
// reply.
class HashRoute : public Route {
 public:
  // InvalidArgument when there are no children or the function is not built for their number.
  static Result<RoutePtr> Create(std::vector<RoutePtr> children,
                                 std::unique_ptr<const hash::HashFunction> func);

  HashRoute(std::vector<RoutePtr> children, std::unique_ptr<const hash::HashFunction> func);

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "HashRoute"; }

  // The child req's key hashes to, and its index in children() (ShadowRoute's index_range).
  const Route& Pick(const Request& req) const { return *children_[PickIndex(req)]; }
  size_t PickIndex(const Request& req) const;
  const std::vector<RoutePtr>& children() const { return children_; }

 private:
  std::vector<RoutePtr> children_;
  std::unique_ptr<const hash::HashFunction> func_;
};

}  // namespace memfleet::router
