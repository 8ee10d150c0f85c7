#include "router/config/route_tree_builder.h"

#include <algorithm>
#include <utility>

#include "router/routes/destination_route.h"
#include "router/routes/hash_route.h"
#include "router/routes/pool_route.h"

namespace memfleet::router {

bool IsRoutingPrefix(std::string_view prefix) {
  if (prefix.size() < 5 || prefix.front() != '/' || prefix.back() != '/') return false;
  std::string_view inner = prefix.substr(1, prefix.size() - 2);
  size_t slash = inner.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < inner.size() &&
         inner.find('/', slash + 1) == std::string_view::npos;
}

RouteTreeBuilder::RouteTreeBuilder() : tree_(std::make_unique<RouteTree>()) {}
RouteTreeBuilder::~RouteTreeBuilder() = default;

Status RouteTreeBuilder::DefinePool(std::string name, std::vector<PoolServer> servers) {
  if (servers.empty()) {
    return Status::InvalidArgument("pool \"" + name + "\" has no servers");
  }
  if (pools_.count(name) != 0) {
    return Status::InvalidArgument("pool \"" + name + "\" is defined twice");
  }
  // A server's pool is the first pool the config defines it in, whichever a route uses first.
  for (PoolServer& s : servers) {
    s.upstream.pool = first_pool_.try_emplace(s.upstream.key(), name).first->second;
  }
  pool_order_.push_back(name);
  pools_.emplace(std::move(name), PoolEntry{std::move(servers), false, {}});
  return Status::Ok();
}

bool RouteTreeBuilder::HasPool(std::string_view name) const { return pools_.count(name) != 0; }

void RouteTreeBuilder::MarkWriteFanOut(const std::vector<RoutePtr>& children) {
  for (const RoutePtr& child : children) {
    if (const auto* d = dynamic_cast<const DestinationRoute*>(child.get())) {
      replicated_.push_back(d->destination());
    } else if (const auto* h = dynamic_cast<const HashRoute*>(child.get())) {
      MarkWriteFanOut(h->children());
    }
  }
}

void RouteTreeBuilder::SetPoolWriteLog(std::string_view name, bool on) {
  auto it = pools_.find(name);
  if (it != pools_.end()) it->second.write_log = on;
}

RoutePtr RouteTreeBuilder::DestinationFor(const UpstreamSpec& spec) {
  std::string key = spec.key();
  auto it = server_by_key_.find(key);
  if (it != server_by_key_.end()) return destinations_[it->second];
  auto id = static_cast<DestinationId>(tree_->servers_.size());
  tree_->servers_.push_back(spec);
  server_by_key_.emplace(std::move(key), id);
  destinations_.push_back(std::make_shared<DestinationRoute>(id, spec.address));
  return destinations_.back();
}

Result<const RouteTreeBuilder::PoolEntry*> RouteTreeBuilder::UsePool(std::string_view name) {
  auto it = pools_.find(name);
  if (it == pools_.end()) {
    return Status::NotFound("pool \"" + std::string(name) + "\" is not defined");
  }
  PoolEntry& pool = it->second;
  if (write_fan_out_depth_ > 0) pool.fanned_out = true;
  if (!pool.used) {
    pool.used = true;
    RouteTree::Pool listed{it->first, {}};
    for (const PoolServer& s : pool.servers) {
      RoutePtr dest = DestinationFor(s.upstream);
      listed.servers.push_back(static_cast<const DestinationRoute&>(*dest).destination());
      pool.destinations.push_back(std::move(dest));
    }
    tree_->pools_.push_back(std::move(listed));
  }
  return &pool;
}

Result<std::vector<RoutePtr>> RouteTreeBuilder::PoolDestinations(std::string_view pool) {
  auto used = UsePool(pool);
  if (!used.ok()) return used.status();
  return used.value()->destinations;
}

Result<RoutePtr> RouteTreeBuilder::MakePoolRoute(std::string_view pool, hash::HashSpec spec,
                                                 const std::vector<double>& weights) {
  auto used = UsePool(pool);
  if (!used.ok()) return used.status();
  const PoolEntry& entry = *used.value();
  if (!weights.empty() && weights.size() != entry.servers.size()) {
    return Status::InvalidArgument("weights has " + std::to_string(weights.size()) +
                                   " entries for " + std::to_string(entry.servers.size()) +
                                   " servers");
  }
  spec.servers.clear();
  for (size_t i = 0; i < entry.servers.size(); ++i) {
    spec.servers.push_back(entry.servers[i].hash);
    if (!weights.empty()) spec.servers.back().weight = weights[i];
  }
  auto func = hash::MakeHashFunction(spec);
  if (!func.ok()) return func.status();
  if (func.value()->size() != entry.destinations.size()) {
    return Status::Internal("the hash function does not cover the pool");
  }
  return RoutePtr(
      std::make_shared<PoolRoute>(std::string(pool), entry.destinations, std::move(func.value())));
}

Result<RoutePtr> RouteTreeBuilder::MakeHashRoute(std::vector<RoutePtr> children,
                                                 const hash::HashSpec& spec) {
  auto func = hash::MakeHashFunction(spec);
  if (!func.ok()) return func.status();
  return HashRoute::Create(std::move(children), std::move(func.value()));
}

hash::HashServer RouteTreeBuilder::HashServerFor(const Route& child, size_t index) {
  hash::HashServer s;
  if (const auto* d = dynamic_cast<const DestinationRoute*>(&child)) {
    s.address = d->address();
  } else {
    s.address = std::to_string(index);
  }
  return s;
}

void RouteTreeBuilder::AddListener(ListenerSpec listener) {
  tree_->listeners_.push_back(std::move(listener));
}

Status RouteTreeBuilder::AddAlias(std::string prefix, RoutePtr route) {
  if (!IsRoutingPrefix(prefix)) {
    return Status::InvalidArgument("\"" + prefix +
                                   "\" is not a routing prefix of the form \"/region/cluster/\"");
  }
  if (HasAlias(prefix)) {
    return Status::InvalidArgument("alias \"" + prefix + "\" is given twice");
  }
  tree_->aliases_.push_back(RouteTree::Alias{std::move(prefix), std::move(route)});
  return Status::Ok();
}

bool RouteTreeBuilder::HasAlias(std::string_view prefix) const {
  return AliasRoute(prefix) != nullptr;
}

RoutePtr RouteTreeBuilder::AliasRoute(std::string_view prefix) const {
  for (const RouteTree::Alias& a : tree_->aliases_) {
    if (a.prefix == prefix) return a.route;
  }
  return nullptr;
}

void RouteTreeBuilder::SetDefaultRoute(RoutePtr route) {
  tree_->default_route_holder_ = std::move(route);
  tree_->default_route_ = tree_->default_route_holder_.get();
}

void RouteTreeBuilder::Warn(std::string line) { tree_->warnings_.push_back(std::move(line)); }

Result<std::shared_ptr<const RouteTree>> RouteTreeBuilder::Finish() {
  if (tree_->default_route_ == nullptr) return Status::Internal("no default route");
  for (const std::string& name : pool_order_) {
    const PoolEntry& pool = pools_.find(name)->second;
    if (!pool.used) Warn("pool \"" + name + "\" is not used by any route");
    // A server is logged when any replicated pool it is in wants it (its missed writes are
    // missed whichever pool's route sent them).
    if (!pool.used || !pool.fanned_out || !pool.write_log) continue;
    for (const RoutePtr& d : pool.destinations) {
      tree_->servers_[static_cast<const DestinationRoute&>(*d).destination()].write_log = true;
    }
  }
  for (DestinationId id : replicated_) tree_->servers_[id].write_log = true;
  // A pool's "write_log": false wins for its servers.
  for (const auto& [name, pool] : pools_) {
    if (pool.write_log || !pool.used) continue;
    for (const RoutePtr& d : pool.destinations) {
      tree_->servers_[static_cast<const DestinationRoute&>(*d).destination()].write_log = false;
    }
  }
  // Sorted, for Select's binary search.
  std::sort(
      tree_->aliases_.begin(), tree_->aliases_.end(),
      [](const RouteTree::Alias& a, const RouteTree::Alias& b) { return a.prefix < b.prefix; });
  tree_->md5_ = md5_;
  return std::shared_ptr<const RouteTree>(std::move(tree_));
}

}  // namespace memfleet::router
