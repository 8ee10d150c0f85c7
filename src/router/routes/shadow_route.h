// ShadowRoute: a route whose traffic is also copied to other routes, for trying a new pool (or a
// new server build) under real traffic without any client seeing it (mcrouter's shadows).
//
// Built by the config loader from a ShadowRoute object or a PoolRoute's `shadows`; immutable,
// shared by every worker thread. The copies outlive the client's reply: the route holds the
// request's context (RequestContext::Hold) until every copy has been answered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "router/route.h"

namespace memfleet::router {

class HashRoute;

// Sends the request to its normal route, whose reply is the reply, and a copy of it to every
// shadow that takes it; the shadows' replies are dropped. A shadow takes a request when
// - the index of the server the normal route sends it to is in [index_begin, index_end) (a
//   normal route that is a HashRoute or PoolRoute: the index its hash picks; any other route
//   counts as index 0),
// - the key's hash (SpookyHash V2, 32 bits, of the routing key — mcrouter's routing key hash) is
//   in [key_begin, key_end], and
// - a draw from the worker's generator falls under requests_fraction (1: always).
// Keyless requests (stats, version...) are never copied.
class ShadowRoute final : public Route {
 public:
  struct Shadow {
    RoutePtr target;
    size_t index_begin = 0;
    size_t index_end = 0;
    uint32_t key_begin = 0;
    uint32_t key_end = 0;
    double requests_fraction = 1.0;
  };

  // At most this many shadows (a request's choice is a 64-bit mask).
  static constexpr size_t kMaxShadows = 64;

  // REQUIRES: shadows.size() <= kMaxShadows.
  ShadowRoute(RoutePtr normal, std::vector<Shadow> shadows);

  void Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const override;
  // The normal route, and the shadows the request would be copied to (a requests_fraction
  // below 1 counts as taken).
  void Traverse(const Request& req, RouteTraverser& t) const override;
  std::string_view type() const override { return "ShadowRoute"; }

  const RoutePtr& normal() const { return normal_; }
  const std::vector<Shadow>& shadows() const { return shadows_; }

  // mcrouter's key_fraction_range [from, to] (0 <= from <= to <= 1) as a range of key hashes.
  static void SetKeyFractionRange(double from, double to, Shadow* shadow);
  // The hash the key fraction is taken of.
  static uint32_t KeyHash(const Request& req);

 private:
  // Whether s takes a request of that index and key hash (before the random draw).
  static bool Takes(const Shadow& s, size_t index, uint32_t key_hash);
  size_t IndexOf(const Request& req) const;

  RoutePtr normal_;
  const HashRoute* hash_;  // normal_ as a HashRoute, or nullptr
  std::vector<Shadow> shadows_;
};

}  // namespace memfleet::router
