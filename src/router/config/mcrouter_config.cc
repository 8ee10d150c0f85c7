// The top level of mcrouter's JSON dialect: parsing, `pools`, `named_handles`, `route`/`routes`.
#include "router/config/mcrouter_config.h"

#include <utility>

#include "router/config/mcrouter_reader.h"
#include "router/config/server_address.h"

namespace memfleet::router {
namespace {

using json::Json;

// Finds where a text that failed to parse went wrong: nlohmann's parse without exceptions says
// only that it failed, its SAX interface says where and why.
class ParseErrorFinder final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    found = true;
    byte = position;
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 2, column 5: syntax error ...;
    // last read: '...'": keep the reason, without the position (given our way) and without the
    // text read so far (it can be long).
    size_t colon = what.find(": ");
    reason = colon == std::string::npos ? what : what.substr(colon + 2);
    std::string last_read = "; last read: '" + last_token + "'";
    if (size_t at = reason.find(last_read); at != std::string::npos) {
      reason.erase(at, last_read.size());
    }
    return false;
  }

  bool found = false;
  size_t byte = 0;
  std::string reason;
};

Status ParseError(std::string_view text) {
  ParseErrorFinder finder;
  Json::sax_parse(text, &finder, nlohmann::detail::input_format_t::json, true, true);
  if (!finder.found) return Status::InvalidArgument("config error: the config is not valid JSON");
  // nlohmann counts the bytes read including the one in error; lines and columns from 1.
  size_t end = finder.byte == 0 ? 0 : std::min(finder.byte - 1, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return Status::InvalidArgument("config error at line " + std::to_string(line) + ", column " +
                                 std::to_string(column) + ": " + finder.reason);
}

constexpr int64_t kMaxTimeoutMs = 3600 * 1000;

}  // namespace

memfleet::Result<std::shared_ptr<const RouteTree>> LoadMcrouterConfig(std::string_view text,
                                                                      const LoadOptions& options) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) return ParseError(text);
  RouteTreeBuilder builder;
  builder.set_md5(options.config_md5);
  McrouterReader reader(options, builder);
  if (Status st = reader.Read(root); !st.ok()) return st;
  return builder.Finish();
}

Status McrouterReader::Read(const Json& root) {
  if (!root.is_object()) return json::Error("$", json::Expected("an object", root));
  for (const auto& [key, value] : root.items()) {
    if (key != "pools" && key != "route" && key != "routes" && key != "named_handles") {
      Warn(json::Key("$", key), "ignoring the field (not supported)");
    }
  }
  if (Status st = ReadPools(root); !st.ok()) return st;
  if (Status st = RegisterNamedHandles(root); !st.ok()) return st;
  if (Status st = ReadRoutes(root); !st.ok()) return st;
  // Named handles no route refers to are built too, so that their mistakes are reported.
  for (const std::string& name : named_order_) {
    if (named_[name].state != NamedState::kRegistered) continue;
    auto built = CreateNamed(name, nullptr, "", 0);
    if (!built.ok()) return built.status();
  }
  return Status::Ok();
}

// --- pools

Status McrouterReader::ReadPools(const Json& root) {
  const Json* pools = json::Find(root, "pools");
  if (pools == nullptr) return Status::Ok();
  if (!pools->is_object()) return json::Error("$.pools", json::Expected("an object", *pools));
  for (const auto& [name, pool] : pools->items()) {
    pool_json_.emplace(name, &pool);
    pool_path_.emplace(name, json::Key("$.pools", name));
  }
  for (const auto& [name, pool] : pools->items()) {
    const std::string& path = pool_path_[name];
    std::vector<std::string> chain;
    auto resolved = ResolvePool(name, pool, path, chain);
    if (!resolved.ok()) return resolved.status();
    if (Status st = DefinePool(name, resolved.value(), path); !st.ok()) return st;
  }
  return Status::Ok();
}

Result<json::Json> McrouterReader::ResolvePool(const std::string& name, const Json& pool,
                                               const std::string& path,
                                               std::vector<std::string>& chain) {
  if (!pool.is_object()) return json::Error(path, json::Expected("an object", pool));
  const Json* inherit = json::Find(pool, "inherit");
  if (inherit == nullptr) return pool;
  std::string inherit_path = json::Key(path, "inherit");
  if (!inherit->is_string()) {
    return json::Error(inherit_path, json::Expected("a pool name", *inherit));
  }
  const std::string& parent = inherit->get_ref<const std::string&>();
  chain.push_back(name);
  for (const std::string& seen : chain) {
    if (seen == parent) {
      std::string cycle;
      for (const std::string& c : chain) cycle += c + " -> ";
      return json::Error(inherit_path, "pools inherit from each other: " + cycle + parent);
    }
  }
  auto it = pool_json_.find(parent);
  if (it == pool_json_.end()) {
    return json::Error(inherit_path, "pool " + json::Quote(parent) + " is not defined");
  }
  auto base = ResolvePool(parent, *it->second, pool_path_[parent], chain);
  if (!base.ok()) return base.status();
  // The pool's own fields win over the inherited ones.
  Json merged = pool;
  merged.erase("inherit");
  for (const auto& [key, value] : base.value().items()) {
    if (!merged.contains(key)) merged[key] = value;
  }
  return merged;
}

Status McrouterReader::ReadPoolFields(const Json& pool, const std::string& path, PoolFields* out) {
  ServerAddressDefaults& defaults = out->defaults;
  UpstreamSpec& base = out->base;
  int64_t connect_timeout = -1;
  const Json*& servers = out->servers;
  const Json*& weights_json = out->weights;
  for (const auto& [key, value] : pool.items()) {
    const std::string field_path = json::Key(path, key);
    if (key == "servers") {
      servers = &value;
    } else if (key == "weights") {
      weights_json = &value;
    } else if (key == "server_timeout" || key == "connect_timeout") {
      int64_t ms = 0;
      if (!json::ReadInt(value, 0, kMaxTimeoutMs, &ms)) {
        return json::Error(
            field_path,
            "expected milliseconds (0 to " + std::to_string(kMaxTimeoutMs) + "), got " +
                (value.is_number() ? value.dump() : std::string(json::TypeName(value))));
      }
      (key == "server_timeout" ? base.server_timeout_ms : connect_timeout) = ms;
    } else if (key == "protocol") {
      if (!value.is_string()) return json::Error(field_path, json::Expected("a string", value));
      if (Status st = CheckServerProtocol(value.get_ref<const std::string&>()); !st.ok()) {
        return json::Error(field_path, st.message());
      }
      defaults.protocol = value.get_ref<const std::string&>();
    } else if (key == "port_override") {
      int64_t port = 0;
      if (!json::ReadInt(value, 0, 65535, &port)) {
        return json::Error(field_path, "expected a port number");
      }
      defaults.port_override = static_cast<uint16_t>(port);
    } else if (key == "use_ssl" || key == "security_mech" || key == "security_mech_tls13") {
      bool plain = (value.is_boolean() && !value.get<bool>()) ||
                   (value.is_string() && value.get_ref<const std::string&>() == "plain");
      if (!plain) {
        return json::Error(field_path,
                           "TLS to servers is not supported (memfleet connects in plain TCP)");
      }
    } else if (key == "write_log") {
      if (!value.is_boolean()) return json::Error(field_path, json::Expected("a boolean", value));
      out->write_log = value.get<bool>();
    } else if (key == "name" || key == "inherit") {
      // The inline pool's name; inheritance is resolved already.
    } else {
      Warn(field_path, "ignoring pool option " + json::Quote(key) + " (not supported yet)");
    }
  }
  if (servers == nullptr) return json::Error(path, "missing required field \"servers\"");
  const std::string servers_path = json::Key(path, "servers");
  if (!servers->is_array()) return json::Error(servers_path, json::Expected("an array", *servers));
  if (servers->empty()) return json::Error(servers_path, "a pool needs at least one server");
  // mcrouter's default: a pool with a server timeout connects within that time too.
  base.connect_timeout_ms = connect_timeout >= 0 ? connect_timeout : base.server_timeout_ms;
  return Status::Ok();
}

Status McrouterReader::DefinePool(const std::string& name, const Json& pool,
                                  const std::string& path) {
  PoolFields fields;
  if (Status st = ReadPoolFields(pool, path, &fields); !st.ok()) return st;
  const Json* servers = fields.servers;
  const Json* weights_json = fields.weights;
  const std::string servers_path = json::Key(path, "servers");

  std::vector<double> weights;
  if (weights_json != nullptr) {
    if (Status st = ReadWeights(*weights_json, json::Key(path, "weights"), &weights); !st.ok()) {
      return st;
    }
    if (weights.size() != servers->size()) {
      return json::Error(json::Key(path, "weights"),
                         "has " + std::to_string(weights.size()) + " weights for " +
                             std::to_string(servers->size()) + " servers");
    }
    weighted_pools_.insert(name);
  }

  std::vector<RouteTreeBuilder::PoolServer> list;
  bool warned_compression = false;
  for (size_t i = 0; i < servers->size(); ++i) {
    const Json& s = (*servers)[i];
    const std::string server_path = json::Index(servers_path, i);
    if (!s.is_string()) {
      if (s.is_object()) {
        return json::Error(server_path, "a server given as a route object is not supported");
      }
      return json::Error(server_path, json::Expected("a \"host:port\" string", s));
    }
    auto parsed = ParseServerAddress(s.get_ref<const std::string&>(), fields.defaults);
    if (!parsed.ok()) return json::Error(server_path, parsed.status().message());
    if (parsed.value().compressed && !warned_compression) {
      Warn(server_path, "ignoring \":compressed\" (memfleet does not compress values)");
      warned_compression = true;
    }
    RouteTreeBuilder::PoolServer server;
    server.upstream = fields.base;
    server.upstream.address = parsed.value().address;
    server.hash.address = parsed.value().spelled;
    if (!weights.empty()) server.hash.weight = weights[i];
    list.push_back(std::move(server));
  }
  if (Status st = builder_.DefinePool(name, std::move(list)); !st.ok()) {
    return json::Error(path, st.message());
  }
  builder_.SetPoolWriteLog(name, fields.write_log);
  return Status::Ok();
}

Result<std::string> McrouterReader::PoolFor(const Json& j, const std::string& path) {
  if (j.is_string()) {
    const std::string& name = j.get_ref<const std::string&>();
    if (!builder_.HasPool(name)) {
      return json::Error(path, "pool " + json::Quote(name) + " is not defined in \"pools\"");
    }
    return name;
  }
  if (!j.is_object()) return json::Error(path, json::Expected("a pool name or a pool object", j));
  const Json* name = json::Find(j, "name");
  if (name == nullptr) return json::Error(path, "an inline pool needs a \"name\"");
  if (!name->is_string()) {
    return json::Error(json::Key(path, "name"), json::Expected("a string", *name));
  }
  const std::string& pool_name = name->get_ref<const std::string&>();
  // As mcrouter: a pool of that name that exists already is the pool.
  if (builder_.HasPool(pool_name)) return pool_name;
  std::vector<std::string> chain;
  auto resolved = ResolvePool(pool_name, j, path, chain);
  if (!resolved.ok()) return resolved.status();
  if (Status st = DefinePool(pool_name, resolved.value(), path); !st.ok()) return st;
  return pool_name;
}

Status McrouterReader::ReadWeights(const Json& j, const std::string& path,
                                   std::vector<double>* weights) {
  if (!j.is_array()) return json::Error(path, json::Expected("an array of numbers", j));
  weights->clear();
  for (size_t i = 0; i < j.size(); ++i) {
    double w = 0;
    if (!json::ReadNumber(j[i], &w) || w < 0) {
      return json::Error(json::Index(path, i), "expected a weight (a number >= 0)");
    }
    weights->push_back(w);
  }
  return Status::Ok();
}

// --- named handles

Status McrouterReader::RegisterNamedHandles(const Json& root) {
  const Json* handles = json::Find(root, "named_handles");
  if (handles == nullptr) return Status::Ok();
  const std::string path = "$.named_handles";
  auto add = [&](const std::string& name, const Json& def, const std::string& def_path) {
    if (named_.count(name) != 0) {
      return json::Error(def_path, "named handle " + json::Quote(name) + " is defined twice");
    }
    Named n;
    n.def = &def;
    n.path = def_path;
    named_.emplace(name, std::move(n));
    named_order_.push_back(name);
    return Status::Ok();
  };
  if (handles->is_array()) {
    for (size_t i = 0; i < handles->size(); ++i) {
      const Json& def = (*handles)[i];
      const std::string def_path = json::Index(path, i);
      const Json* name = json::Find(def, "name");
      if (name == nullptr) {
        if (!def.is_object()) return json::Error(def_path, json::Expected("a route object", def));
        return json::Error(def_path, "missing required field \"name\"");
      }
      if (!name->is_string()) {
        return json::Error(json::Key(def_path, "name"), json::Expected("a string", *name));
      }
      if (Status st = add(name->get<std::string>(), def, def_path); !st.ok()) return st;
    }
  } else if (handles->is_object()) {
    for (const auto& [name, def] : handles->items()) {
      const std::string def_path = json::Key(path, name);
      if (const Json* inner = json::Find(def, "name");
          inner != nullptr &&
          !(inner->is_string() && inner->get_ref<const std::string&>() == name)) {
        return json::Error(json::Key(def_path, "name"),
                           "the handle is named " + json::Quote(name) + " by its key");
      }
      if (Status st = add(name, def, def_path); !st.ok()) return st;
    }
  } else {
    return json::Error(path, json::Expected("an array or an object", *handles));
  }
  return Status::Ok();
}

// --- route / routes

Status McrouterReader::ReadRoutes(const Json& root) {
  const Json* route = json::Find(root, "route");
  const Json* routes = json::Find(root, "routes");
  if (route != nullptr && routes != nullptr) {
    return json::Error("$", "give \"route\" or \"routes\", not both");
  }
  if (route == nullptr && routes == nullptr) {
    return json::Error("$", "missing required field \"route\" (or \"routes\")");
  }
  if (route != nullptr) {
    auto r = CreateOne(*route, "$.route", 0);
    if (!r.ok()) return r.status();
    builder_.SetDefaultRoute(r.value());
    if (!options_.route_prefix.empty()) {
      if (Status st = builder_.AddAlias(options_.route_prefix, r.value()); !st.ok()) {
        return json::Error("$.route", "the route prefix option: " + st.message());
      }
    }
    return Status::Ok();
  }

  const std::string path = "$.routes";
  std::string first_alias;
  auto add_alias = [&](const Json& alias, const std::string& alias_path, const RoutePtr& r) {
    if (!alias.is_string()) return json::Error(alias_path, json::Expected("a string", alias));
    if (Status st = builder_.AddAlias(alias.get<std::string>(), r); !st.ok()) {
      return json::Error(alias_path, st.message());
    }
    if (first_alias.empty()) first_alias = alias.get<std::string>();
    return Status::Ok();
  };
  if (routes->is_array()) {
    for (size_t i = 0; i < routes->size(); ++i) {
      const Json& policy = (*routes)[i];
      const std::string policy_path = json::Index(path, i);
      if (!policy.is_object()) return json::Error(policy_path, json::Expected("an object", policy));
      const Json* aliases = json::Find(policy, "aliases");
      const Json* r_json = json::Find(policy, "route");
      if (r_json == nullptr) return json::Error(policy_path, "missing required field \"route\"");
      if (aliases == nullptr) return json::Error(policy_path, "missing required field \"aliases\"");
      const std::string aliases_path = json::Key(policy_path, "aliases");
      if (!aliases->is_array()) {
        return json::Error(aliases_path, json::Expected("an array", *aliases));
      }
      if (aliases->empty()) return json::Error(aliases_path, "needs at least one alias");
      for (const auto& [key, value] : policy.items()) {
        if (key != "aliases" && key != "route") {
          Warn(json::Key(policy_path, key), "ignoring unknown field " + json::Quote(key));
        }
      }
      auto r = CreateOne(*r_json, json::Key(policy_path, "route"), 0);
      if (!r.ok()) return r.status();
      for (size_t a = 0; a < aliases->size(); ++a) {
        if (Status st = add_alias((*aliases)[a], json::Index(aliases_path, a), r.value());
            !st.ok()) {
          return st;
        }
      }
    }
  } else if (routes->is_object()) {
    for (const auto& [alias, r_json] : routes->items()) {
      const std::string r_path = json::Key(path, alias);
      auto r = CreateOne(r_json, r_path, 0);
      if (!r.ok()) return r.status();
      if (Status st = add_alias(Json(alias), r_path, r.value()); !st.ok()) return st;
    }
  } else {
    return json::Error(path, json::Expected("an array or an object", *routes));
  }
  if (first_alias.empty()) return json::Error(path, "needs at least one route");
  const std::string& default_alias =
      options_.route_prefix.empty() ? first_alias : options_.route_prefix;
  RoutePtr default_route = builder_.AliasRoute(default_alias);
  if (default_route == nullptr) {
    return json::Error(
        path, "the route prefix " + json::Quote(default_alias) + " is not one of the aliases");
  }
  builder_.SetDefaultRoute(std::move(default_route));
  return Status::Ok();
}

void McrouterReader::Warn(const std::string& path, std::string_view message) {
  builder_.Warn(json::Warning(path, message));
}

}  // namespace memfleet::router
