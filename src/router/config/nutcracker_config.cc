// twemproxy's nutcracker.yml: YAML (yaml-cpp) -> pools, listeners and PoolRoutes.
#include "router/config/nutcracker_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "router/config/json_util.h"
#include "router/config/nutcracker_address.h"
#include "router/config/route_tree_builder.h"
#include "router/hash/nutcracker_pool.h"
#include "router/routes/nutcracker_pool_route.h"
#include "router/routes/pool_route.h"

namespace memfleet::router {
namespace {

// twemproxy 0.5.0's names (nc_hashkit.h HASH_CODEC, DIST_CODEC), in its order.
constexpr std::array<std::string_view, 12> kHashes = {
    "one_at_a_time", "md5",     "crc16",    "crc32", "crc32a", "fnv1_64",
    "fnv1a_64",      "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"};
constexpr std::array<std::string_view, 3> kDistributions = {"ketama", "modula", "random"};

// twemproxy's defaults (nc_conf.h) for what memfleet keeps.
constexpr std::string_view kDefaultHash = "fnv1a_64";
constexpr std::string_view kDefaultDistribution = "ketama";
constexpr int kDefaultServerConnections = 1;
constexpr int64_t kDefaultServerRetryTimeoutMs = 30 * 1000;
constexpr int kDefaultServerFailureLimit = 2;
// twemproxy takes any int; a router opening that many connections per server and worker at
// start would exhaust its descriptors, so the count is bounded.
constexpr int64_t kMaxServerConnections = 1024;

template <size_t N>
bool OneOf(std::string_view s, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (n == s) return true;
  }
  return false;
}

template <size_t N>
std::string List(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::string_view KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

std::string Expected(std::string_view what, const YAML::Node& n) {
  return "expected " + std::string(what) + ", got " + std::string(KindName(n));
}

// A pool as its directives describe it, before it goes into the builder.
struct PoolConfig {
  bool has_listen = false;
  std::string listen_spelled;
  NutcrackerListen listen;
  hash::HashSpec spec;
  UpstreamSpec base;
  bool has_servers = false;
  std::vector<NutcrackerServer> servers;
  int backlog = 0;  // 0: not given
};

class NutcrackerReader {
 public:
  explicit NutcrackerReader(RouteTreeBuilder& builder) : builder_(builder) {}

  Status Read(const YAML::Node& root);

 private:
  Status ReadPool(const YAML::Node& pool, const std::string& path, PoolConfig* out);
  Status ReadDirective(const std::string& key, const YAML::Node& value, const std::string& path,
                       PoolConfig* out);
  Status ReadServers(const YAML::Node& value, const std::string& path, PoolConfig* out);
  Status BuildPool(const std::string& name, const std::string& path, PoolConfig pool);
  void Warn(const std::string& path, std::string_view message) {
    builder_.Warn(json::Warning(path, message));
  }

  RouteTreeBuilder& builder_;
  // listen as spelled -> the pool that has it (twemproxy refuses two pools on one address).
  std::map<std::string, std::string> listen_owner_;
  bool have_default_ = false;
};

// The one value of a directive: a non-empty scalar (twemproxy refuses empty ones).
Result<std::string> ScalarValue(const YAML::Node& value, const std::string& path) {
  if (value.IsScalar() && !value.Scalar().empty()) return value.Scalar();
  if (value.IsNull() || value.IsScalar()) return json::Error(path, "has no value");
  return json::Error(path, Expected("a single value", value));
}

// twemproxy's conf_set_num: plain decimal digits, the value an int.
Status ReadNumber(const std::string& text, const std::string& path, int64_t* out) {
  int64_t v = 0;
  bool ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9' || v > std::numeric_limits<int>::max()) {
      ok = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!ok || v > std::numeric_limits<int>::max()) {
    return json::Error(path, "expected a whole number from 0 to " +
                                 std::to_string(std::numeric_limits<int>::max()) + ", got " +
                                 json::Quote(text));
  }
  *out = v;
  return Status::Ok();
}

// twemproxy's conf_set_bool: exactly "true" or "false".
Status ReadBool(const std::string& text, const std::string& path, bool* out) {
  if (text == "true" || text == "false") {
    *out = text == "true";
    return Status::Ok();
  }
  return json::Error(path, "expected true or false, got " + json::Quote(text));
}

Status NutcrackerReader::Read(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull() || (root.IsMap() && root.size() == 0)) {
    return json::Error("$", "the config has no pools");
  }
  if (!root.IsMap()) return json::Error("$", Expected("a mapping of pools", root));
  std::set<std::string> names;
  for (const auto& entry : root) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      return json::Error("$", "a pool name must be a non-empty string");
    }
    const std::string& name = entry.first.Scalar();
    const std::string path = json::Key("$", name);
    if (!names.insert(name).second) {
      return json::Error(path, "pool " + json::Quote(name) + " is defined twice");
    }
    PoolConfig pool;
    if (Status st = ReadPool(entry.second, path, &pool); !st.ok()) return st;
    auto [owner, added] = listen_owner_.emplace(pool.listen_spelled, name);
    if (!added) {
      return json::Error(json::Key(path, "listen"),
                         "pools " + json::Quote(owner->second) + " and " + json::Quote(name) +
                             " have the same listen address " + json::Quote(pool.listen_spelled));
    }
    if (Status st = BuildPool(name, path, std::move(pool)); !st.ok()) return st;
  }
  return Status::Ok();
}

Status NutcrackerReader::ReadPool(const YAML::Node& pool, const std::string& path,
                                  PoolConfig* out) {
  if (!pool.IsMap()) return json::Error(path, Expected("a mapping of directives", pool));
  out->spec.func = "nutcracker";
  out->spec.nutcracker_hash = std::string(kDefaultHash);
  out->spec.distribution = std::string(kDefaultDistribution);
  out->base.connections = kDefaultServerConnections;
  out->base.server_retry_timeout_ms = kDefaultServerRetryTimeoutMs;
  out->base.server_failure_limit = kDefaultServerFailureLimit;
  std::set<std::string> seen;
  for (const auto& entry : pool) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      return json::Error(path, "a directive name must be a non-empty string");
    }
    const std::string& key = entry.first.Scalar();
    const std::string key_path = json::Key(path, key);
    if (!seen.insert(key).second) return json::Error(key_path, "is given twice");
    Status st = key == "servers" ? ReadServers(entry.second, key_path, out)
                                 : ReadDirective(key, entry.second, key_path, out);
    if (!st.ok()) return st;
  }
  if (!out->has_listen) return json::Error(path, "missing required directive \"listen\"");
  if (!out->has_servers) return json::Error(path, "missing required directive \"servers\"");
  return Status::Ok();
}

Status NutcrackerReader::ReadDirective(const std::string& key, const YAML::Node& value,
                                       const std::string& path, PoolConfig* out) {
  auto scalar = ScalarValue(value, path);
  if (!scalar.ok()) return scalar.status();
  const std::string& text = scalar.value();
  int64_t number = 0;
  bool flag = false;
  if (key == "listen") {
    auto listen = ParseNutcrackerListen(text);
    if (!listen.ok()) return json::Error(path, listen.status().message());
    out->has_listen = true;
    out->listen_spelled = text;
    out->listen = std::move(listen.value());
  } else if (key == "hash") {
    if (!OneOf(text, kHashes)) {
      return json::Error(path,
                         "unknown hash " + json::Quote(text) + " (known: " + List(kHashes) + ")");
    }
    out->spec.nutcracker_hash = text;
  } else if (key == "hash_tag") {
    if (text.size() != 2) {
      return json::Error(path, json::Quote(text) + " is not two characters (e.g. \"{}\")");
    }
    out->spec.hash_tag = text;
  } else if (key == "distribution") {
    if (!OneOf(text, kDistributions)) {
      return json::Error(path, "unknown distribution " + json::Quote(text) +
                                   " (known: " + List(kDistributions) + ")");
    }
    out->spec.distribution = text;
  } else if (key == "timeout") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    out->base.server_timeout_ms = number;  // 0, as absent: no timeout of the pool's own
  } else if (key == "server_connections") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    if (number == 0) return json::Error(path, "cannot be 0");
    if (number > kMaxServerConnections) {
      return json::Error(
          path, "at most " + std::to_string(kMaxServerConnections) + " connections per server");
    }
    out->base.connections = static_cast<int>(number);
  } else if (key == "server_retry_timeout") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    out->base.server_retry_timeout_ms = number;
  } else if (key == "server_failure_limit") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    out->base.server_failure_limit = static_cast<int>(number);
  } else if (key == "auto_eject_hosts") {
    if (Status st = ReadBool(text, path, &flag); !st.ok()) return st;
    out->base.auto_eject_hosts = flag;
  } else if (key == "redis") {
    if (Status st = ReadBool(text, path, &flag); !st.ok()) return st;
    if (flag) {
      return json::Error(path,
                         "redis pools are not supported (memfleet speaks the memcached protocol "
                         "only)");
    }
  } else if (key == "redis_auth") {
    return json::Error(path,
                       "redis_auth is only valid for a redis pool (memfleet serves "
                       "memcached pools only)");
  } else if (key == "redis_db") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    Warn(path, "ignoring redis_db (a memcached pool has no databases)");
  } else if (key == "backlog") {
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
    // As listen(2) takes it: the kernel caps it at net.core.somaxconn.
    out->backlog = static_cast<int>(std::clamp<int64_t>(number, 1, 65535));
  } else if (key == "client_connections") {
    // twemproxy 0.5.0 reads it and then ignores it; so does memfleet (-c applies).
    if (Status st = ReadNumber(text, path, &number); !st.ok()) return st;
  } else if (key == "preconnect") {
    // The router connects to every server at start whatever it says.
    if (Status st = ReadBool(text, path, &flag); !st.ok()) return st;
  } else if (key == "tcpkeepalive" || key == "reuseport") {
    if (Status st = ReadBool(text, path, &flag); !st.ok()) return st;
    if (flag) Warn(path, "ignoring " + key + " (not supported)");
  } else {
    return json::Error(path, "unknown directive " + json::Quote(key));
  }
  return Status::Ok();
}

Status NutcrackerReader::ReadServers(const YAML::Node& value, const std::string& path,
                                     PoolConfig* out) {
  if (value.IsNull()) return json::Error(path, "the pool has no servers");
  if (!value.IsSequence()) return json::Error(path, Expected("a sequence of servers", value));
  if (value.size() == 0) return json::Error(path, "the pool has no servers");
  // twemproxy refuses two servers of one pool with the same name (its ketama and modula
  // order servers by name).
  std::map<std::string, size_t> by_name;
  size_t i = 0;
  for (const YAML::Node& node : value) {
    const std::string server_path = json::Index(path, i);
    if (!node.IsScalar() || node.Scalar().empty()) {
      return json::Error(server_path, Expected("a \"host:port:weight [name]\" string", node));
    }
    auto server = ParseNutcrackerServer(node.Scalar());
    if (!server.ok()) return json::Error(server_path, server.status().message());
    auto [it, added] = by_name.emplace(server->name, i);
    if (!added) {
      return json::Error(server_path, "has the name " + json::Quote(server->name) + " of " +
                                          json::Index(path, it->second) +
                                          " (server names must differ)");
    }
    out->servers.push_back(std::move(server.value()));
    ++i;
  }
  out->has_servers = true;
  return Status::Ok();
}

Status NutcrackerReader::BuildPool(const std::string& name, const std::string& path,
                                   PoolConfig pool) {
  std::vector<RouteTreeBuilder::PoolServer> servers;
  servers.reserve(pool.servers.size());
  std::vector<hash::HashServer> hash_servers;  // for an ejecting pool's own placement
  for (NutcrackerServer& s : pool.servers) {
    RouteTreeBuilder::PoolServer server;
    server.upstream = pool.base;
    server.upstream.address = std::move(s.address);
    server.hash.address = std::move(s.spelled);
    // Always the name twemproxy hashes, so that unnamed socket servers place keys as it does.
    server.hash.name = std::move(s.name);
    server.hash.weight = s.weight;
    hash_servers.push_back(server.hash);
    servers.push_back(std::move(server));
  }
  const bool eject = pool.base.auto_eject_hosts;
  hash::HashSpec eject_spec = pool.spec;
  if (Status st = builder_.DefinePool(name, std::move(servers)); !st.ok()) {
    return json::Error(path, st.message());
  }
  auto route = builder_.MakePoolRoute(name, std::move(pool.spec));
  if (!route.ok()) return json::Error(path, route.status().message());
  if (eject) {
    // twemproxy takes ejected servers out of the pool's placement: the same servers and hash,
    // placed over the live ones (the PoolRoute above still registers the pool's servers).
    const auto* plain = dynamic_cast<const PoolRoute*>(route.value().get());
    eject_spec.servers = std::move(hash_servers);
    auto func = hash::NutcrackerPool::Create(eject_spec);
    if (plain == nullptr || !func.ok()) {
      return json::Error(path,
                         func.ok() ? "internal error: not a pool route" : func.status().message());
    }
    std::unique_ptr<hash::NutcrackerPool> placement(
        static_cast<hash::NutcrackerPool*>(func.value().release()));
    route = RoutePtr(
        std::make_shared<NutcrackerPoolRoute>(name, plain->children(), std::move(placement)));
  }
  if (!have_default_) {
    builder_.SetDefaultRoute(route.value());
    have_default_ = true;
  }
  builder_.AddListener(ListenerSpec{std::move(pool.listen.address), name, route.value(),
                                    pool.backlog, pool.listen.mode});
  return Status::Ok();
}

// The line (from 1) of the first document marker of text, "---" or "..." at the start of a line
// and followed by a blank or the end; 0 when there is none.
size_t DocumentMarkerLine(std::string_view text) {
  size_t line = 1;
  for (size_t pos = 0; pos < text.size(); ++line) {
    const std::string_view rest = text.substr(pos);
    if (rest.starts_with("---") || rest.starts_with("...")) {
      if (rest.size() == 3 || rest[3] == ' ' || rest[3] == '\t' || rest[3] == '\r' ||
          rest[3] == '\n') {
        return line;
      }
    }
    const size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return 0;
}

// "config error at line L, column C: ..." from the position yaml-cpp reports (0-based).
Status YamlError(const YAML::Mark& mark, const std::string& message) {
  if (mark.is_null()) return Status::InvalidArgument("config error: " + message);
  return Status::InvalidArgument("config error at line " + std::to_string(mark.line + 1) +
                                 ", column " + std::to_string(mark.column + 1) + ": " + message);
}

}  // namespace

memfleet::Result<std::shared_ptr<const RouteTree>> LoadNutcrackerConfig(
    std::string_view text, const LoadOptions& options) {
  // yaml-cpp reports bad YAML (and too deep nesting) with exceptions: this is the one place they
  // are caught, and none leaves it.
  //
  // twemproxy refuses document markers (one document, no "---"), which also keeps yaml-cpp
  // 0.7's LoadAll away: on some malformed input it returns empty documents forever.
  if (size_t line = DocumentMarkerLine(text); line != 0) {
    return Status::InvalidArgument(
        "config error at line " + std::to_string(line) +
        ", column 1: a nutcracker.yml is one YAML document, without \"---\" or \"...\" markers");
  }
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    RouteTreeBuilder builder;
    builder.set_md5(options.config_md5);
    NutcrackerReader reader(builder);
    if (Status st = reader.Read(root); !st.ok()) return st;
    return builder.Finish();
  } catch (const YAML::Exception& e) {
    return YamlError(e.mark, e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("config error: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument("config error: the YAML could not be read");
  }
}

}  // namespace memfleet::router
