#include "router/health/health_registry.h"

#include <ctime>
#include <unordered_set>
#include <utility>

namespace memfleet::router::health {

HealthMode ModeFor(const UpstreamSpec& spec, bool nutcracker_config) {
  if (!nutcracker_config) return HealthMode::kTko;
  return spec.auto_eject_hosts ? HealthMode::kEject : HealthMode::kNever;
}

HealthRegistry::HealthRegistry(const HealthOptions& options, std::function<int64_t()> unix_now)
    : options_(options), unix_now_(std::move(unix_now)) {}

int64_t HealthRegistry::UnixNow() const {
  return unix_now_ ? unix_now_() : static_cast<int64_t>(time(nullptr));
}

void HealthRegistry::Bind(const std::vector<UpstreamSpec>& servers, bool nutcracker) {
  std::unordered_map<std::string, std::shared_ptr<ServerHealth>> records;
  std::unordered_map<std::string, std::vector<std::shared_ptr<ServerHealth>>> pools;
  std::vector<std::pair<std::shared_ptr<ServerHealth>, std::string>> pool_of;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const UpstreamSpec& spec : servers) {
      std::string key = spec.key();
      if (records.count(key) != 0) continue;
      auto it = records_.find(key);
      std::shared_ptr<ServerHealth> h =
          it != records_.end()
              ? it->second
              : std::make_shared<ServerHealth>(spec, ModeFor(spec, nutcracker), options_, this);
      records.emplace(key, h);
      pools[spec.pool].push_back(h);
      pool_of.emplace_back(h, spec.pool);
    }
    records_ = std::move(records);
    pools_ = std::move(pools);
  }
  // The pool a record is counted in, set without the registry's lock (record, then registry).
  for (auto& [h, pool] : pool_of) {
    std::lock_guard<std::mutex> lock(h->mu_);
    h->pool_ = pool;
  }
}

std::shared_ptr<ServerHealth> HealthRegistry::Acquire(const UpstreamSpec& spec, HealthMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = spec.key();
  auto it = records_.find(key);
  if (it != records_.end()) return it->second;
  // Not in the bound config: a record of its own, in no pool the guard counts.
  return std::make_shared<ServerHealth>(spec, mode, options_, this);
}

std::shared_ptr<ServerHealth> HealthRegistry::Find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : it->second;
}

bool HealthRegistry::DownIfAllowed(ServerHealth& s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(s.pool_);
  if (options_.max_down_share >= 1.0 || it == pools_.end()) {
    s.SetStateLocked(HealthState::kDown, false);
    return true;
  }
  const std::vector<std::shared_ptr<ServerHealth>>& members = it->second;
  size_t down = 0;
  for (const auto& m : members) {
    if (m.get() != &s && m->state() != HealthState::kUp) ++down;
  }
  // Down already plus this one, as a share of the pool (a little slack for 1/3 vs 0.33...). One
  // server down says nothing about the router's network: the first may always go (a pool of
  // one or two servers still fails fast when one dies).
  const double share = static_cast<double>(down + 1) / static_cast<double>(members.size());
  if (down > 0 && share > options_.max_down_share + 1e-9) return false;
  s.SetStateLocked(HealthState::kDown, false);
  return true;
}

}  // namespace memfleet::router::health
