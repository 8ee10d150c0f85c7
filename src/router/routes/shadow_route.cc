#include "router/routes/shadow_route.h"

#include <cassert>
#include <limits>

#include "router/hash/spooky.h"
#include "router/routes/background_replies.h"
#include "router/routes/hash_route.h"
#include "router/routes/routing_key.h"

namespace memfleet::router {

ShadowRoute::ShadowRoute(RoutePtr normal, std::vector<Shadow> shadows)
    : normal_(std::move(normal)),
      hash_(dynamic_cast<const HashRoute*>(normal_.get())),
      shadows_(std::move(shadows)) {
  assert(shadows_.size() <= kMaxShadows);
}

void ShadowRoute::SetKeyFractionRange(double from, double to, Shadow* shadow) {
  // As mcrouter: the fractions of the 32-bit hash space, truncated.
  constexpr double kMax = std::numeric_limits<uint32_t>::max();
  shadow->key_begin = static_cast<uint32_t>(from * kMax);
  shadow->key_end = static_cast<uint32_t>(to * kMax);
}

uint32_t ShadowRoute::KeyHash(const Request& req) {
  RoutingKey key(req);
  return hash::SpookyHash32(key.view(), 0);
}

size_t ShadowRoute::IndexOf(const Request& req) const {
  return hash_ != nullptr ? hash_->PickIndex(req) : 0;
}

bool ShadowRoute::Takes(const Shadow& s, size_t index, uint32_t key_hash) {
  return s.index_begin <= index && index < s.index_end && s.key_begin <= key_hash &&
         key_hash <= s.key_end;
}

void ShadowRoute::Dispatch(const Request& req, RequestContext& ctx, ReplyReceiver& done) const {
  if (!protocol::HasKey(req.op)) {
    normal_->Dispatch(req, ctx, done);
    return;
  }
  const size_t index = IndexOf(req);
  const uint32_t key_hash = KeyHash(req);
  // Which shadows take it: decided once (the random draws too), then counted.
  uint64_t taken = 0;
  size_t count = 0;
  for (size_t i = 0; i < shadows_.size(); ++i) {
    const Shadow& s = shadows_[i];
    if (!Takes(s, index, key_hash)) continue;
    if (s.requests_fraction < 1.0) {
      double draw = static_cast<double>(ctx.Random() >> 11) * 0x1.0p-53;
      if (!(draw < s.requests_fraction)) continue;
    }
    taken |= uint64_t{1} << i;
    ++count;
  }
  if (count > 0) {
    // The copies outlive the client's reply; the last of them releases the context.
    ctx.Hold();
    auto* background = ctx.Make<BackgroundReplies>(ctx, count);
    for (size_t i = 0; i < shadows_.size(); ++i) {
      if ((taken >> i) & 1u) shadows_[i].target->Dispatch(req, ctx, *background);
    }
  }
  normal_->Dispatch(req, ctx, done);
}

void ShadowRoute::Traverse(const Request& req, RouteTraverser& t) const {
  normal_->Traverse(req, t);
  if (!protocol::HasKey(req.op)) return;
  const size_t index = IndexOf(req);
  const uint32_t key_hash = KeyHash(req);
  for (const Shadow& s : shadows_) {
    if (Takes(s, index, key_hash)) s.target->Traverse(req, t);
  }
}

}  // namespace memfleet::router
