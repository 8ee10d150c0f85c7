// mcrouter's JSON dialect -> RouteTree.
//
// A config is an object with `pools` ({"name": {"servers": [...], "weights"?, "server_timeout"?,
// ...}}), `route` (one tree) or `routes` ([{"aliases": ["/region/cluster/"], "route": ...}] or
// {"/region/cluster/": route}), and `named_handles` (a list of route objects with a `name`, or an
// object of them). JSON comments (// and /* */) are allowed. A route is a string shorthand
// ("PoolRoute|A", "Pool|A", "NullRoute", "ErrorRoute|message", "AllSyncRoute|Pool|A", the name
// of a named handle), an object {"type": ..., ...}, or (where a list of children is read) an
// array of routes, flattened. docs/router.md lists every handle and its fields.
//
// Errors name the JSON path of the problem ("config error at $.route.children[2]: unknown route
// type \"FooRoute\""); options memfleet does not support yet, and unknown fields of route
// objects, are accepted with a line in RouteTree::warnings(). Loading never throws and never
// crashes on bad input (tests/fuzz/router_config_parser_fuzz.cc). Pure: any thread.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "router/config/route_tree.h"

namespace memfleet::router {

memfleet::Result<std::shared_ptr<const RouteTree>> LoadMcrouterConfig(std::string_view text,
                                                                      const LoadOptions& options);

}  // namespace memfleet::router
