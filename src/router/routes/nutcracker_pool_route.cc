#include "router/routes/nutcracker_pool_route.h"

#include <cassert>
#include <utility>

#include "router/routes/routing_key.h"

namespace memfleet::router {

NutcrackerPoolRoute::NutcrackerPoolRoute(std::string pool, std::vector<RoutePtr> destinations,
                                         std::unique_ptr<hash::NutcrackerPool> func)
    : pool_(std::move(pool)),
      children_(std::move(destinations)),
      full_(std::move(func)),
      current_(full_.get()) {
  assert(full_ != nullptr && full_->size() == children_.size());
}

void NutcrackerPoolRoute::BindHealth(
    std::vector<std::shared_ptr<const health::ServerHealth>> health,
    const std::atomic<uint64_t>* generation) const {
  if (health.size() != children_.size()) return;
  health_ = std::move(health);
  generation_ = generation;
  // The first request looks at the servers (some may be out already).
  seen_generation_.store(~uint64_t{0}, std::memory_order_release);
}

const hash::NutcrackerPool* NutcrackerPoolRoute::Live() const {
  if (generation_ == nullptr) return full_.get();
  const uint64_t g = generation_->load(std::memory_order_acquire);
  if (g == seen_generation_.load(std::memory_order_acquire)) {
    return current_.load(std::memory_order_acquire);
  }
  return Rebuild(g);
}

const hash::NutcrackerPool* NutcrackerPoolRoute::Rebuild(uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_generation_.load(std::memory_order_relaxed) == generation) {
    return current_.load(std::memory_order_relaxed);
  }
  // Read after the generation: a change after this read moves it again, and the next request
  // rebuilds.
  std::vector<bool> out(children_.size(), false);
  bool any = false;
  for (size_t i = 0; i < health_.size(); ++i) {
    out[i] = health_[i]->state() != health::HealthState::kUp;
    any = any || out[i];
  }
  const hash::NutcrackerPool* placement = full_.get();
  if (any) {
    auto it = placements_.find(out);
    if (it == placements_.end()) {
      it = placements_.emplace(out, full_->WithoutServers(out)).first;
    }
    placement = it->second.get();
  }
  current_.store(placement, std::memory_order_release);
  seen_generation_.store(generation, std::memory_order_release);
  return placement;
}

const Route* NutcrackerPoolRoute::Pick(const Request& req) const {
  const hash::NutcrackerPool* placement = Live();
  if (placement == nullptr) return nullptr;
  RoutingKey key(req);
  size_t i = placement->Pick(key.view());
  assert(i < children_.size());
  if (i >= children_.size()) i %= children_.size();
  return children_[i].get();
}

void NutcrackerPoolRoute::Dispatch(const Request& req, RequestContext& ctx,
                                   ReplyReceiver& done) const {
  const Route* child = Pick(req);
  if (child == nullptr) {
    protocol::Result r;
    r.code = ResultCode::kTko;
    done.OnReply(r);
    return;
  }
  child->Dispatch(req, ctx, done);
}

void NutcrackerPoolRoute::Traverse(const Request& req, RouteTraverser& t) const {
  const Route* child = Pick(req);
  if (child != nullptr) child->Traverse(req, t);
}

}  // namespace memfleet::router
