// mcrouter route JSON -> route handles: lists, named handles, shorthands and each handle's
// fields. docs/router.md ("Configuration") lists the handles and their fields.
#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "router/config/mcrouter_reader.h"
#include "router/routes/all_async_route.h"
#include "router/routes/all_fastest_route.h"
#include "router/routes/all_initial_route.h"
#include "router/routes/all_majority_route.h"
#include "router/routes/all_sync_route.h"
#include "router/routes/error_route.h"
#include "router/routes/latest_route.h"
#include "router/routes/null_route.h"
#include "router/routes/operation_selector_route.h"
#include "router/routes/prefix_selector_route.h"
#include "router/routes/random_route.h"

namespace memfleet::router {
namespace {

using json::Json;

constexpr std::array<std::string_view, 19> kTypes = {"Pool",
                                                     "PoolRoute",
                                                     "HashRoute",
                                                     "AllSyncRoute",
                                                     "AllAsyncRoute",
                                                     "AllInitialRoute",
                                                     "AllMajorityRoute",
                                                     "AllFastestRoute",
                                                     "LatestRoute",
                                                     "RandomRoute",
                                                     "NullRoute",
                                                     "ErrorRoute",
                                                     "PrefixSelectorRoute",
                                                     "FailoverRoute",
                                                     "MissFailoverRoute",
                                                     "FailoverWithExptimeRoute",
                                                     "ModifyExptimeRoute",
                                                     "WarmUpRoute",
                                                     "ShadowRoute"};

// mcrouter handles memfleet does not have yet: a config that uses one cannot be served as meant.
constexpr std::array<std::string_view, 25> kUnsupportedTypes = {"SaltedFailoverRoute",
                                                                "ModifyKeyRoute",
                                                                "BigValueRoute",
                                                                "BlackholeRoute",
                                                                "CarbonLookasideRoute",
                                                                "DevNullRoute",
                                                                "DistributionRoute",
                                                                "HashStopAllowListRoute",
                                                                "HostIdRoute",
                                                                "LatencyInjectionRoute",
                                                                "L1L2CacheRoute",
                                                                "L1L2SizeSplitRoute",
                                                                "KeyParseRoute",
                                                                "KeySplitRoute",
                                                                "LoadBalancerRoute",
                                                                "LoggingRoute",
                                                                "MigrateRoute",
                                                                "OriginalClientHashRoute",
                                                                "RateLimitRoute",
                                                                "RoutingGroupRoute",
                                                                "SetDistributionTargetRoute",
                                                                "StagingRoute",
                                                                "SRRoute",
                                                                "AsynclogRoute",
                                                                "OutstandingLimitRoute"};

bool IsKnownType(std::string_view type) {
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end() ||
         type == "OperationSelectorRoute" || type == "PrefixPolicyRoute";
}

bool IsUnsupportedType(std::string_view type) {
  return std::find(kUnsupportedTypes.begin(), kUnsupportedTypes.end(), type) !=
         kUnsupportedTypes.end();
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string OperationNames() {
  return "get, gets, gat, gats, touch, set, add, replace, append, prepend, cas, delete, incr, "
         "decr, flushall";
}

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

// --- lists, names, shorthands

Result<std::vector<RoutePtr>> McrouterReader::CreateList(const Json& j, const std::string& path,
                                                         int depth) {
  if (depth > kMaxDepth) {
    return json::Error(path, "routes nest deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (j.is_array()) {
    // A list of routes, each possibly a list itself ("Pool|A"): flattened.
    RouteList out;
    for (size_t i = 0; i < j.size(); ++i) {
      auto part = CreateList(j[i], json::Index(path, i), depth + 1);
      if (!part.ok()) return part.status();
      if (out.size() + part.value().size() > kMaxListSize) {
        return json::Error(path, "more than " + std::to_string(kMaxListSize) + " routes in a list");
      }
      for (RoutePtr& r : part.value()) out.push_back(std::move(r));
    }
    return out;
  }
  if (j.is_string()) return CreateFromString(j.get<std::string>(), path, depth + 1);
  if (j.is_object()) {
    if (const Json* name = json::Find(j, "name")) {
      if (!name->is_string()) {
        return json::Error(json::Key(path, "name"), json::Expected("a string", *name));
      }
      return CreateNamed(name->get<std::string>(), &j, path, depth + 1);
    }
    return CreateObject(j, path, depth + 1);
  }
  return json::Error(path, json::Expected("a route (a string or an object)", j));
}

Result<RoutePtr> McrouterReader::CreateOne(const Json& j, const std::string& path, int depth) {
  auto list = CreateList(j, path, depth);
  if (!list.ok()) return list.status();
  if (list.value().size() != 1) {
    return json::Error(path, "expected one route, got " + std::to_string(list.value().size()));
  }
  return std::move(list.value()[0]);
}

Result<std::vector<RoutePtr>> McrouterReader::CreateObject(const Json& j, const std::string& path,
                                                           int depth) {
  const Json* type = json::Find(j, "type");
  if (type == nullptr) return json::Error(path, "missing required field \"type\"");
  if (!type->is_string()) {
    return json::Error(json::Key(path, "type"), json::Expected("a string", *type));
  }
  return CreateTyped(type->get_ref<const std::string&>(), j, path, depth);
}

Result<std::vector<RoutePtr>> McrouterReader::CreateNamed(const std::string& name, const Json* def,
                                                          const std::string& def_path, int depth) {
  auto it = named_.find(name);
  if (it == named_.end()) {
    // An inline definition: a route object with a name, met where it is used.
    Named n;
    n.def = def;
    n.path = def_path;
    it = named_.emplace(name, std::move(n)).first;
  }
  if (it->second.state == NamedState::kBuilt) return it->second.routes;
  if (it->second.state == NamedState::kBuilding) {
    std::string cycle;
    for (const std::string& b : building_) cycle += json::Quote(b) + " -> ";
    return json::Error(
        def_path.empty() ? it->second.path : def_path,
        "named handles refer to each other in a cycle: " + cycle + json::Quote(name));
  }
  it->second.state = NamedState::kBuilding;
  building_.push_back(name);
  const Json& body = *it->second.def;
  const std::string body_path = it->second.path;
  // The definition itself: an object is built by its type (its name is this handle's); any other
  // value (named_handles' object form allows strings and lists) as a route list.
  auto built = body.is_object() ? CreateObject(body, body_path, depth + 1)
                                : CreateList(body, body_path, depth + 1);
  building_.pop_back();
  // The map may have grown meanwhile; find the entry again.
  Named& entry = named_[name];
  if (!built.ok()) {
    entry.state = NamedState::kRegistered;
    return built.status();
  }
  entry.state = NamedState::kBuilt;
  entry.routes = built.value();
  return built;
}

Result<std::vector<RoutePtr>> McrouterReader::CreateFromString(const std::string& s,
                                                               const std::string& path, int depth) {
  if (depth > kMaxDepth) {
    return json::Error(path, "routes nest deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  if (s.empty()) return RouteList{};  // mcrouter: an empty string is no route
  if (named_.count(s) != 0) return CreateNamed(s, nullptr, "", depth + 1);
  if (auto it = shorthands_.find(s); it != shorthands_.end()) return it->second;
  // "Type|argument": the argument is what the type reads instead of an object ("PoolRoute|A",
  // "ErrorRoute|message", "AllSyncRoute|Pool|A"); "Type" alone reads null.
  size_t bar = s.find('|');
  std::string_view type = std::string_view(s).substr(0, bar);
  if (!IsKnownType(type)) {
    if (IsUnsupportedType(type)) {
      return json::Error(path, "route type " + json::Quote(type) + " is not supported yet");
    }
    if (bar == std::string::npos) {
      return json::Error(path, "unknown route type or named handle " + json::Quote(s));
    }
    return json::Error(path, "unknown route type " + json::Quote(type));
  }
  Json argument = bar == std::string::npos ? Json() : Json(s.substr(bar + 1));
  auto built = CreateTyped(type, argument, path, depth + 1);
  if (!built.ok()) return built.status();
  shorthands_.emplace(s, built.value());
  return built;
}

Result<std::vector<RoutePtr>> McrouterReader::CreateTyped(std::string_view type, const Json& j,
                                                          const std::string& path, int depth) {
  if (depth > kMaxDepth) {
    return json::Error(path, "routes nest deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  auto one = [](Result<RoutePtr> r) -> Result<RouteList> {
    if (!r.ok()) return r.status();
    return RouteList{std::move(r.value())};
  };
  if (type == "Pool") {
    // The pool's servers, one route each: a list for a route that takes children.
    // "Pool|A", or an inline pool object {"type": "Pool", "name": ..., "servers": ...}.
    if (j.is_null()) return json::Error(path, "Pool needs a pool name (\"Pool|A\")");
    auto name = PoolFor(j, path);
    if (!name.ok()) return name.status();
    return builder_.PoolDestinations(name.value());
  }
  if (type == "PoolRoute") return one(MakePoolRoute(j, path, depth));
  if (type == "HashRoute") return one(MakeHashRoute(j, path, depth));
  if (type == "PrefixSelectorRoute") return one(MakePrefixSelector(j, path, depth));
  if (type == "OperationSelectorRoute" || type == "PrefixPolicyRoute") {
    return one(MakeOperationSelector(j, path, depth));
  }
  if (type == "ErrorRoute") return one(MakeErrorRoute(j, path));
  if (type == "FailoverRoute") return one(MakeFailoverRoute(j, path, depth));
  if (type == "MissFailoverRoute") return one(MakeMissFailoverRoute(j, path, depth));
  if (type == "FailoverWithExptimeRoute") return one(MakeFailoverWithExptimeRoute(j, path, depth));
  if (type == "ModifyExptimeRoute") return one(MakeModifyExptimeRoute(j, path, depth));
  if (type == "WarmUpRoute") return one(MakeWarmUpRoute(j, path, depth));
  if (type == "ShadowRoute") return MakeShadowRoutes(j, path, depth);
  if (type == "NullRoute") {
    WarnFields(j, path, type, {});
    if (null_route_ == nullptr) null_route_ = std::make_shared<NullRoute>();
    return RouteList{null_route_};
  }
  if (type == "LatestRoute") {
    auto children = Children(type, j, path, depth);
    if (!children.ok()) return children.status();
    WarnFields(j, path, type,
               {"children", "failover_count", "salt", "weights", "thread_local_failover",
                "failover_errors", "failover_limit", "failover_policy"});
    return one(MakeLatestRoute(j, std::move(children.value()), path));
  }
  if (type.starts_with("All") || type == "RandomRoute") {
    if (std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end()) {
      return one(MakeFanOut(type, j, path, depth));
    }
  }
  if (IsUnsupportedType(type)) {
    return json::Error(path, "route type " + json::Quote(type) + " is not supported yet");
  }
  return json::Error(path, "unknown route type " + json::Quote(type));
}

// --- children and fields

Result<std::vector<RoutePtr>> McrouterReader::Children(std::string_view type, const Json& j,
                                                       const std::string& path, int depth) {
  std::string children_path = path;
  Result<RouteList> list = RouteList{};
  if (j.is_object()) {
    const Json* children = json::Find(j, "children");
    if (children == nullptr) return json::Error(path, "missing required field \"children\"");
    children_path = json::Key(path, "children");
    list = CreateList(*children, children_path, depth + 1);
  } else if (j.is_null()) {
    return json::Error(path, std::string(type) + " needs children (\"" + std::string(type) +
                                 "|Pool|A\" or an object with \"children\")");
  } else {
    list = CreateList(j, path, depth + 1);
  }
  if (!list.ok()) return list.status();
  if (list.value().empty()) {
    return json::Error(children_path, std::string(type) + " needs at least one child");
  }
  return list;
}

void McrouterReader::WarnFields(const Json& j, const std::string& path, std::string_view type,
                                std::initializer_list<std::string_view> known) {
  if (!j.is_object()) return;
  for (const auto& [key, value] : j.items()) {
    if (key == "type" || key == "name") continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    Warn(json::Key(path, key),
         "ignoring " + json::Quote(key) + " of " + std::string(type) + " (not supported)");
  }
}

Status McrouterReader::ReadHashFields(const Json& j, const std::string& path, hash::HashSpec* spec,
                                      std::vector<double>* weights, bool* weights_given) {
  if (const Json* f = json::Find(j, "hash_func")) {
    if (!f->is_string()) {
      return json::Error(json::Key(path, "hash_func"), json::Expected("a string", *f));
    }
    spec->func = f->get<std::string>();
  }
  if (const Json* salt = json::Find(j, "salt")) {
    if (!salt->is_string()) {
      return json::Error(json::Key(path, "salt"), json::Expected("a string", *salt));
    }
    spec->salt = salt->get<std::string>();
  }
  if (const Json* w = json::Find(j, "weights")) {
    if (Status st = ReadWeights(*w, json::Key(path, "weights"), weights); !st.ok()) return st;
    *weights_given = true;
  }
  return Status::Ok();
}

// --- the handles

Result<RoutePtr> McrouterReader::MakePoolRoute(const Json& j, const std::string& path, int depth) {
  const Json* pool = nullptr;
  std::string pool_path = path;
  const Json* hash = nullptr;
  const Json* shadows = nullptr;
  if (j.is_string()) {
    pool = &j;
  } else if (j.is_object()) {
    pool = json::Find(j, "pool");
    if (pool == nullptr) return json::Error(path, "missing required field \"pool\"");
    pool_path = json::Key(path, "pool");
    hash = json::Find(j, "hash");
    shadows = json::Find(j, "shadows");
    WarnFields(j, path, "PoolRoute", {"pool", "hash", "shadows", "shadow_policy"});
    if (const Json* p = json::Find(j, "shadow_policy")) {
      if (!p->is_string() || p->get_ref<const std::string&>() != "default") {
        Warn(json::Key(path, "shadow_policy"), "ignored: shadows get the request as it is");
      }
    }
  } else {
    return json::Error(path, "PoolRoute needs a pool (\"PoolRoute|A\" or {\"pool\": \"A\"})");
  }
  auto name = PoolFor(*pool, pool_path);
  if (!name.ok()) return name.status();

  hash::HashSpec spec;
  spec.func = "Ch3";  // mcrouter's default
  // mcrouter: a pool with weights hashes with WeightedCh3 unless the route says otherwise.
  if (weighted_pools_.count(name.value()) != 0) spec.func = "WeightedCh3";
  std::vector<double> weights;
  bool weights_given = false;
  std::string hash_path = path;
  const Json* hash_fields = nullptr;
  if (hash != nullptr) {
    hash_path = json::Key(path, "hash");
    if (hash->is_string()) {
      spec.func = hash->get<std::string>();
    } else if (hash->is_object()) {
      if (Status st = ReadHashFields(*hash, hash_path, &spec, &weights, &weights_given); !st.ok()) {
        return st;
      }
      hash_fields = hash;
      for (const auto& [key, value] : hash->items()) {
        if (key != "hash_func" && key != "salt" && key != "weights" &&
            !(EqualsNoCase(spec.func, "Latest") &&
              (key == "failover_count" || key == "failover_errors" || key == "failover_limit" ||
               key == "failover_policy"))) {
          Warn(json::Key(hash_path, key), "ignoring " + json::Quote(key) + " (not supported)");
        }
      }
    } else {
      return json::Error(hash_path, json::Expected("a hash function name or an object", *hash));
    }
  }
  // mcrouter's `shadows`: the pool's traffic (of the servers and keys they choose) copied.
  auto with_shadows = [&](Result<RoutePtr> route) -> Result<RoutePtr> {
    if (!route.ok() || shadows == nullptr) return route;
    return WrapShadows(std::move(route.value()), *shadows, json::Key(path, "shadows"), depth);
  };
  if (EqualsNoCase(spec.func, "Latest")) {
    // mcrouter's hash_func "Latest" makes the pool a LatestRoute over its servers.
    auto destinations = builder_.PoolDestinations(name.value());
    if (!destinations.ok()) return json::Error(pool_path, destinations.status().message());
    return with_shadows(MakeLatestRoute(hash_fields != nullptr ? *hash_fields : Json(),
                                        std::move(destinations.value()), hash_path));
  }
  if (weights_given) {
    // The route's own weights replace the pool's.
    auto destinations = builder_.PoolDestinations(name.value());
    if (!destinations.ok()) return json::Error(pool_path, destinations.status().message());
    if (weights.size() != destinations.value().size()) {
      return json::Error(json::Key(hash_path, "weights"),
                         "has " + std::to_string(weights.size()) + " weights for " +
                             std::to_string(destinations.value().size()) + " servers");
    }
  }
  auto route = builder_.MakePoolRoute(name.value(), spec, weights);
  if (!route.ok()) return json::Error(hash_path, route.status().message());
  return with_shadows(std::move(route));
}

Result<RoutePtr> McrouterReader::MakeHashRoute(const Json& j, const std::string& path, int depth) {
  auto children = Children("HashRoute", j, path, depth);
  if (!children.ok()) return children.status();
  hash::HashSpec spec;
  spec.func = "Ch3";
  std::vector<double> weights;
  bool weights_given = false;
  if (j.is_object()) {
    if (Status st = ReadHashFields(j, path, &spec, &weights, &weights_given); !st.ok()) return st;
  }
  RouteList& list = children.value();
  if (EqualsNoCase(spec.func, "Latest")) {
    WarnFields(j, path, "HashRoute",
               {"children", "hash_func", "salt", "weights", "failover_count",
                "thread_local_failover", "failover_errors", "failover_limit", "failover_policy"});
    return MakeLatestRoute(j, std::move(list), path);
  }
  WarnFields(j, path, "HashRoute", {"children", "hash_func", "salt", "weights"});
  if (weights_given && weights.size() != list.size()) {
    return json::Error(json::Key(path, "weights"), "has " + std::to_string(weights.size()) +
                                                       " weights for " +
                                                       std::to_string(list.size()) + " children");
  }
  if (list.size() == 1) return std::move(list[0]);  // as mcrouter
  for (size_t i = 0; i < list.size(); ++i) {
    spec.servers.push_back(RouteTreeBuilder::HashServerFor(*list[i], i));
    if (weights_given) spec.servers.back().weight = weights[i];
  }
  auto route = RouteTreeBuilder::MakeHashRoute(std::move(list), spec);
  if (!route.ok()) return json::Error(path, route.status().message());
  return route;
}

Result<RoutePtr> McrouterReader::MakeFanOut(std::string_view type, const Json& j,
                                            const std::string& path, int depth) {
  // Writes fan out to every child of these: their pools are replicated, and a replica that
  // misses a write gets it from the write log (AllFastestRoute and RandomRoute send each
  // request to one child or answer from the first: not replication).
  const bool replicates = type == "AllSyncRoute" || type == "AllAsyncRoute" ||
                          type == "AllInitialRoute" || type == "AllMajorityRoute";
  if (replicates) builder_.EnterWriteFanOut();
  auto children = Children(type, j, path, depth);
  if (replicates) builder_.ExitWriteFanOut();
  if (!children.ok()) return children.status();
  if (replicates) builder_.MarkWriteFanOut(children.value());
  WarnFields(j, path, type, {"children"});
  RouteList& list = children.value();
  // As mcrouter: one child of a route that waits for it, or for the first reply, is that child.
  if (list.size() == 1 && type != "AllAsyncRoute" && type != "AllMajorityRoute") {
    return std::move(list[0]);
  }
  if (type == "AllSyncRoute") return RoutePtr(std::make_shared<AllSyncRoute>(std::move(list)));
  if (type == "AllAsyncRoute") return RoutePtr(std::make_shared<AllAsyncRoute>(std::move(list)));
  if (type == "AllInitialRoute") {
    return RoutePtr(std::make_shared<AllInitialRoute>(std::move(list)));
  }
  if (type == "AllMajorityRoute") {
    return RoutePtr(std::make_shared<AllMajorityRoute>(std::move(list)));
  }
  if (type == "AllFastestRoute") {
    return RoutePtr(std::make_shared<AllFastestRoute>(std::move(list)));
  }
  return RoutePtr(std::make_shared<RandomRoute>(std::move(list)));
}

Result<RoutePtr> McrouterReader::MakeLatestRoute(const Json& j, RouteList children,
                                                 const std::string& path) {
  int64_t count = static_cast<int64_t>(LatestRoute::kDefaultFailoverCount);
  std::string salt;
  std::vector<double> weights;
  if (j.is_object()) {
    if (const Json* c = json::Find(j, "failover_count")) {
      if (!json::ReadInt(*c, 1, 1000, &count)) {
        return json::Error(json::Key(path, "failover_count"), "expected an integer from 1 to 1000");
      }
    }
    if (const Json* s = json::Find(j, "salt")) {
      if (!s->is_string()) {
        return json::Error(json::Key(path, "salt"), json::Expected("a string", *s));
      }
      salt = s->get<std::string>();
    }
    if (const Json* w = json::Find(j, "weights")) {
      if (Status st = ReadWeights(*w, json::Key(path, "weights"), &weights); !st.ok()) return st;
      if (weights.size() != children.size()) {
        return json::Error(json::Key(path, "weights"),
                           "has " + std::to_string(weights.size()) + " weights for " +
                               std::to_string(children.size()) + " children");
      }
    }
    if (const Json* t = json::Find(j, "thread_local_failover")) {
      if (!t->is_boolean()) {
        return json::Error(json::Key(path, "thread_local_failover"),
                           json::Expected("a boolean", *t));
      }
      if (t->get<bool>()) {
        Warn(json::Key(path, "thread_local_failover"),
             "ignored: every worker thread of a router uses the same order");
      }
    }
  }
  // mcrouter's LatestRoute is a FailoverRoute over the replicas it chose: the same options.
  FailoverErrors errors;
  std::unique_ptr<FailoverRateLimiter> limiter;
  if (Status st = ReadFailoverOptions(j, path, &errors, &limiter); !st.ok()) return st;
  if (children.size() == 1) return std::move(children[0]);
  // Per router (the host id) and per salt, as mcrouter seeds its choice.
  uint64_t seed = salt.empty() ? options_.host_id : Fnv1a(salt, options_.host_id);
  return RoutePtr(std::make_shared<LatestRoute>(std::move(children), static_cast<size_t>(count),
                                                seed, weights, errors, std::move(limiter)));
}

Result<RoutePtr> McrouterReader::MakePrefixSelector(const Json& j, const std::string& path,
                                                    int depth) {
  if (!j.is_object()) {
    return json::Error(path,
                       "PrefixSelectorRoute needs an object with \"policies\" or \"wildcard\"");
  }
  WarnFields(j, path, "PrefixSelectorRoute", {"policies", "wildcard"});
  const Json* policies = json::Find(j, "policies");
  const Json* wildcard = json::Find(j, "wildcard");
  if (policies == nullptr && wildcard == nullptr) {
    return json::Error(path, "PrefixSelectorRoute needs \"policies\" or \"wildcard\"");
  }
  std::vector<PrefixSelectorRoute::Policy> list;
  if (policies != nullptr) {
    const std::string policies_path = json::Key(path, "policies");
    if (!policies->is_object()) {
      return json::Error(policies_path, json::Expected("an object", *policies));
    }
    for (const auto& [prefix, r_json] : policies->items()) {
      auto r = CreateOne(r_json, json::Key(policies_path, prefix), depth + 1);
      if (!r.ok()) return r.status();
      list.push_back(PrefixSelectorRoute::Policy{prefix, std::move(r.value())});
    }
  }
  RoutePtr wild;
  if (wildcard != nullptr) {
    auto r = CreateOne(*wildcard, json::Key(path, "wildcard"), depth + 1);
    if (!r.ok()) return r.status();
    wild = std::move(r.value());
  }
  return RoutePtr(std::make_shared<PrefixSelectorRoute>(std::move(list), std::move(wild)));
}

Result<RoutePtr> McrouterReader::MakeOperationSelector(const Json& j, const std::string& path,
                                                       int depth) {
  // As mcrouter: anything but an object is the route itself.
  if (!j.is_object()) {
    if (j.is_null()) return json::Error(path, "OperationSelectorRoute needs an object");
    return CreateOne(j, path, depth + 1);
  }
  WarnFields(j, path, "OperationSelectorRoute", {"default_policy", "operation_policies"});
  const Json* default_json = json::Find(j, "default_policy");
  const Json* ops_json = json::Find(j, "operation_policies");
  if (default_json == nullptr && ops_json == nullptr) {
    return json::Error(path,
                       "OperationSelectorRoute needs \"operation_policies\" or \"default_policy\"");
  }
  RoutePtr default_route;
  if (default_json != nullptr) {
    auto r = CreateOne(*default_json, json::Key(path, "default_policy"), depth + 1);
    if (!r.ok()) return r.status();
    default_route = std::move(r.value());
  }
  if (ops_json == nullptr) return default_route;
  const std::string ops_path = json::Key(path, "operation_policies");
  if (!ops_json->is_object()) return json::Error(ops_path, json::Expected("an object", *ops_json));
  OperationSelectorRoute::Policies policies;
  for (const auto& [name, r_json] : ops_json->items()) {
    const std::string op_path = json::Key(ops_path, name);
    std::optional<Op> op = OperationByName(name);
    if (!op && !IsMcrouterOnlyOperation(name)) {
      return json::Error(
          op_path, "unknown operation " + json::Quote(name) + " (one of " + OperationNames() + ")");
    }
    auto r = CreateOne(r_json, op_path, depth + 1);
    if (!r.ok()) return r.status();
    if (!op) {
      Warn(op_path, "ignoring the policy: memfleet clients cannot send " + json::Quote(name));
      continue;
    }
    policies[static_cast<size_t>(*op)] = std::move(r.value());
  }
  return RoutePtr(
      std::make_shared<OperationSelectorRoute>(std::move(policies), std::move(default_route)));
}

Result<RoutePtr> McrouterReader::MakeErrorRoute(const Json& j, const std::string& path) {
  std::string response;
  if (j.is_string()) {
    response = j.get<std::string>();
  } else if (j.is_object()) {
    WarnFields(j, path, "ErrorRoute", {"response", "enable_logging", "result"});
    if (const Json* r = json::Find(j, "response")) {
      if (!r->is_string()) {
        return json::Error(json::Key(path, "response"), json::Expected("a string", *r));
      }
      response = r->get<std::string>();
    }
    if (const Json* r = json::Find(j, "result"); r != nullptr) {
      Warn(json::Key(path, "result"), "ignored: ErrorRoute answers SERVER_ERROR");
    }
  } else if (!j.is_null()) {
    return json::Error(path, json::Expected("an error message or an object", j));
  }
  return RoutePtr(std::make_shared<ErrorRoute>(response));
}

}  // namespace memfleet::router
