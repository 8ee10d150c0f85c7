// McrouterReader: the reader behind LoadMcrouterConfig (mcrouter_config.h), one per load.
//
// It walks a parsed mcrouter JSON config and builds through a RouteTreeBuilder, reporting every
// problem with its JSON path. mcrouter_config.cc holds the top level (pools, named handles,
// route/routes); mcrouter_routes.cc turns route JSON into handles. Named handles and string
// shorthands are built once and shared wherever they are referenced, as mcrouter does. Not
// thread-safe; used by the loading thread only.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "router/config/json_util.h"
#include "router/config/route_tree.h"
#include "router/config/route_tree_builder.h"
#include "router/config/server_address.h"
#include "router/hash/hash_func.h"
#include "router/routes/failover_route.h"
#include "router/routes/shadow_route.h"

namespace memfleet::router {

class McrouterReader {
 public:
  McrouterReader(const LoadOptions& options, RouteTreeBuilder& builder)
      : options_(options), builder_(builder) {}

  Status Read(const json::Json& root);

 private:
  using Json = json::Json;
  using RouteList = std::vector<RoutePtr>;
  template <class T>
  using Result = memfleet::Result<T>;

  // Routes nest at most this deep (named handles and shorthands count): deeper is an error, not
  // a stack overflow.
  static constexpr int kMaxDepth = 64;
  // One list of children holds at most this many routes: a few lines of config ("Pool|A" many
  // times over a big pool) cannot ask for gigabytes.
  static constexpr size_t kMaxListSize = 65536;

  // --- mcrouter_config.cc: the top level and pools.
  Status ReadPools(const Json& root);
  // The pool's JSON with `inherit` resolved (a copy), or an error at path.
  Result<Json> ResolvePool(const std::string& name, const Json& pool, const std::string& path,
                           std::vector<std::string>& chain);
  struct PoolFields {
    ServerAddressDefaults defaults;  // protocol, port_override
    UpstreamSpec base;               // timeouts
    const Json* servers = nullptr;   // an array, not empty
    const Json* weights = nullptr;   // or nullptr
    bool write_log = true;           // "write_log": false keeps the pool out of the write log
  };
  // A pool's options (warning about those memfleet ignores) and its servers array.
  Status ReadPoolFields(const Json& pool, const std::string& path, PoolFields* out);
  Status DefinePool(const std::string& name, const Json& pool, const std::string& path);
  // The name of the pool a `pool` field gives: a defined pool's name, or an inline pool object
  // (with a `name`), defined on first use.
  Result<std::string> PoolFor(const Json& j, const std::string& path);
  Status RegisterNamedHandles(const Json& root);
  Status ReadRoutes(const Json& root);

  // --- mcrouter_routes.cc: route JSON -> handles.
  Result<RouteList> CreateList(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> CreateOne(const Json& j, const std::string& path, int depth);
  Result<RouteList> CreateFromString(const std::string& s, const std::string& path, int depth);
  // A named handle: built on first reference (def/def_path: an inline definition, used when the
  // name was not registered by named_handles).
  Result<RouteList> CreateNamed(const std::string& name, const Json* def,
                                const std::string& def_path, int depth);
  // A route object (or shorthand argument) of a known type; j is an object, a string or null.
  Result<RouteList> CreateTyped(std::string_view type, const Json& j, const std::string& path,
                                int depth);
  Result<RouteList> CreateObject(const Json& j, const std::string& path, int depth);

  Result<RouteList> Children(std::string_view type, const Json& j, const std::string& path,
                             int depth);
  Result<RoutePtr> MakePoolRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeHashRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeFanOut(std::string_view type, const Json& j, const std::string& path,
                              int depth);
  Result<RoutePtr> MakeLatestRoute(const Json& j, RouteList children, const std::string& path);
  Result<RoutePtr> MakePrefixSelector(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeOperationSelector(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeErrorRoute(const Json& j, const std::string& path);

  // --- mcrouter_failover_routes.cc: failover, standby, warm-up and shadow handles.
  Result<RoutePtr> MakeFailoverRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeMissFailoverRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeFailoverWithExptimeRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeModifyExptimeRoute(const Json& j, const std::string& path, int depth);
  Result<RoutePtr> MakeWarmUpRoute(const Json& j, const std::string& path, int depth);
  // ShadowRoute: its `children` (each wrapped with the shadows whose index_range holds its
  // position), or its `default` route wrapped with all of them.
  Result<RouteList> MakeShadowRoutes(const Json& j, const std::string& path, int depth);
  // A PoolRoute's (or ShadowRoute's default's) `shadows`: normal wrapped in a ShadowRoute whose
  // index ranges select normal's servers. shadows_path names the array.
  Result<RoutePtr> WrapShadows(RoutePtr normal, const Json& shadows,
                               const std::string& shadows_path, int depth);
  // One entry of `shadows` (an object with a target and ranges).
  Result<ShadowRoute::Shadow> ReadShadow(const Json& j, const std::string& path, int depth);
  // `failover_errors` and `failover_limit` of a FailoverRoute, FailoverWithExptimeRoute or
  // LatestRoute object (absent: the defaults, no limit).
  Status ReadFailoverOptions(const Json& j, const std::string& path, FailoverErrors* errors,
                             std::unique_ptr<FailoverRateLimiter>* limiter);
  Status ReadErrorList(const Json& j, const std::string& path, std::vector<ResultCode>* codes);

  // Reads hash_func, salt and weights of a hash object (or a HashRoute/LatestRoute object).
  Status ReadHashFields(const Json& j, const std::string& path, hash::HashSpec* spec,
                        std::vector<double>* weights, bool* weights_given);
  Status ReadWeights(const Json& j, const std::string& path, std::vector<double>* weights);
  // Warns about every field of an object route that is not `type`, `name` or in known.
  void WarnFields(const Json& j, const std::string& path, std::string_view type,
                  std::initializer_list<std::string_view> known);
  void Warn(const std::string& path, std::string_view message);

  const LoadOptions& options_;
  RouteTreeBuilder& builder_;

  // Pools defined in `pools`, for PoolFor and `inherit`.
  std::map<std::string, const Json*, std::less<>> pool_json_;
  std::map<std::string, std::string, std::less<>> pool_path_;
  std::set<std::string, std::less<>> weighted_pools_;

  enum class NamedState { kRegistered, kBuilding, kBuilt };
  struct Named {
    const Json* def = nullptr;  // kRegistered: the definition in named_handles
    std::string path;
    NamedState state = NamedState::kRegistered;
    RouteList routes;
  };
  std::map<std::string, Named, std::less<>> named_;
  std::vector<std::string> named_order_;  // registration order
  std::vector<std::string> building_;     // the chain being built, for a cycle's message
  std::map<std::string, RouteList, std::less<>> shorthands_;
  RoutePtr null_route_;
};

}  // namespace memfleet::router
