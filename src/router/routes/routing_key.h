// RoutingKey: the key routes look at when they choose (a hash function, a prefix selector).
//
// It is the request's key as the client meant it: base64-decoded when a meta request carried it
// with the b flag, and with any routing prefix ("/region/cluster/") already stripped (RouteTree::
// Select does that before the request reaches the tree; the Request holds the stripped key).
// The decoded key lives in a buffer inside the object, on the caller's stack: choosing a route
// allocates nothing. A key that does not decode (or would not fit) is looked at as sent; the
// upstream refuses such a request anyway. Plain data: any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "protocol/model.h"

namespace memfleet::router {

class RoutingKey {
 public:
  explicit RoutingKey(const protocol::Request& req);
  RoutingKey(const RoutingKey&) = delete;
  RoutingKey& operator=(const RoutingKey&) = delete;

  std::string_view view() const { return view_; }

 private:
  // memcached takes keys of up to 250 bytes as sent; decoded base64 is 3/4 of that.
  static constexpr size_t kBufferSize = 256;
  std::string_view view_;
  char buffer_[kBufferSize];
};

}  // namespace memfleet::router
