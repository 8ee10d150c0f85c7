#include "router/routes/routing_key.h"

#include "protocol/meta/meta.h"

namespace memfleet::router {

RoutingKey::RoutingKey(const protocol::Request& req) : view_(req.key) {
  if (!req.meta.base64_key || req.key.empty()) return;
  size_t n = protocol::meta::Base64Decode(req.key, buffer_, kBufferSize);
  if (n > 0) view_ = std::string_view(buffer_, n);
}

}  // namespace memfleet::router
