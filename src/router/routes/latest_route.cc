#include "router/routes/latest_route.h"

#include <algorithm>
#include <utility>

namespace memfleet::router {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Weighted sampling without replacement: count children, in the order drawn.
std::vector<RoutePtr> Choose(std::vector<RoutePtr> children, size_t count, uint64_t seed,
                             const std::vector<double>& given_weights) {
  std::vector<double> weights = given_weights;
  if (weights.size() != children.size()) weights.assign(children.size(), 1.0);
  for (double& w : weights) {
    if (!(w > 0)) w = 0;  // also NaN
  }
  count = std::min(count, children.size());
  std::vector<RoutePtr> chosen;
  chosen.reserve(count);
  uint64_t state = seed;
  while (chosen.size() < count) {
    double total = 0;
    for (double w : weights) total += w;
    // A fraction in [0, 1) from the top 53 bits.
    double point = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;
    size_t pick = 0;
    if (total > 0) {
      double at = point * total;
      pick = weights.size() - 1;
      for (size_t i = 0; i < weights.size(); ++i) {
        if (weights[i] > 0 && at < weights[i]) {
          pick = i;
          break;
        }
        at -= weights[i];
      }
      while (weights[pick] <= 0 && pick > 0) --pick;  // rounding at the top end
    } else {
      pick = static_cast<size_t>(point * static_cast<double>(weights.size()));
    }
    chosen.push_back(std::move(children[pick]));
    children.erase(children.begin() + static_cast<ptrdiff_t>(pick));
    weights.erase(weights.begin() + static_cast<ptrdiff_t>(pick));
  }
  return chosen;
}

}  // namespace

LatestRoute::LatestRoute(std::vector<RoutePtr> children, size_t failover_count, uint64_t seed,
                         const std::vector<double>& weights, FailoverErrors errors,
                         std::unique_ptr<FailoverRateLimiter> limiter)
    : FailoverRoute(Choose(std::move(children), failover_count, seed, weights), errors,
                    std::move(limiter)) {}

}  // namespace memfleet::router
