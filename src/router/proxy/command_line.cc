#include "router/proxy/command_line.h"

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace memfleet::router {
namespace {

struct Flag {
  const char* short_name;  // "-p" or nullptr
  const char* long_name;   // "--port" or nullptr
  const char* alias;       // a second long name (mcrouter's spelling) or nullptr
  bool takes_value;
  const char* help;
};

constexpr Flag kFlags[] = {
    {"-p", "--port", nullptr, true, "TCP port to listen on (default 11211; 0: any free port)"},
    {"-l", "--listen", nullptr, true, "address to listen on; repeat or comma-separate for several"},
    {"-s", "--unix-socket", nullptr, true, "listen on this unix socket instead of TCP"},
    {"-a", "--unix-mask", nullptr, true, "access mask of the unix socket, octal (default 0700)"},
    {"-t", "--num-threads", "--num-proxies", true, "worker threads (default 4)"},
    {"-c", "--max-conns", nullptr, true, "maximum client connections (default 1024)"},
    {"-b", "--listen-backlog", nullptr, true, "listen backlog (default 1024)"},
    {"-f", "--config-file", nullptr, true,
     "config file: mcrouter JSON, or twemproxy YAML when it ends in .yml/.yaml"},
    {nullptr, "--config", nullptr, true, "mcrouter's form: file:PATH"},
    {nullptr, "--config-str", nullptr, true, "the config itself, as a JSON string"},
    {nullptr, "--validate-config", nullptr, false,
     "load the config, print \"ok\" or the error with its JSON path, exit 0/1"},
    {"-R", "--route-prefix", nullptr, true, "the routing prefix (alias) of keys without one"},
    {nullptr, "--server-timeout", nullptr, true, "upstream reply timeout in ms (default 1000)"},
    {nullptr, "--connect-timeout", nullptr, true, "upstream connect timeout in ms (default 1000)"},
    {nullptr, "--upstream-connections", nullptr, true,
     "connections per upstream server and thread (default 1)"},
    {nullptr, "--enable-flush-cmd", nullptr, false, "send flush_all to every server"},
    {nullptr, "--no-io-uring", nullptr, false,
     "read and send with plain system calls instead of batching them through io_uring"},
    {nullptr, "--timeouts-until-tko", nullptr, true,
     "request timeouts in a row that mark a server down (default 3)"},
    {nullptr, "--heartbeat-interval-ms", nullptr, true,
     "send mn on upstream connections idle this long (default 1000; 0: no heartbeats)"},
    {nullptr, "--probe-delay-initial-ms", nullptr, true,
     "first probe of a down server after this long (default 250)"},
    {nullptr, "--probe-delay-factor", nullptr, true,
     "each failed probe multiplies the delay by this (default 2.0)"},
    {nullptr, "--probe-delay-max-ms", nullptr, true,
     "longest delay between probes (default 10000)"},
    {nullptr, "--probe-jitter", nullptr, true,
     "probe delays vary by this fraction either way (default 0.2)"},
    {nullptr, "--max-down-share", nullptr, true,
     "most of a pool marked down at once, 0..1 (default 0.5; 1: no limit)"},
    {nullptr, "--write-log-dir", nullptr, true,
     "keep the writes a down replica misses in a log per server in this directory, replayed "
     "when it comes back (default: no write log)"},
    {nullptr, "--write-log-max-bytes", nullptr, true,
     "largest write log per server (bytes, or with k/m; default 64m); past it the server is "
     "flushed on return instead of replayed"},
    {nullptr, "--write-log-fsync", nullptr, true,
     "always, interval (once a second, the default) or never"},
    {"-I", "--max-item-size", nullptr, true,
     "largest value accepted (bytes, or with k/m; default 1m)"},
    {nullptr, "--max-client-inflight", nullptr, true,
     "requests of one client in flight before its reading pauses (default 1024)"},
    {nullptr, "--metrics-port", nullptr, true, "serve Prometheus metrics on this port"},
    {"-d", "--daemonize", nullptr, false, "run as a daemon"},
    {"-P", "--pidfile", nullptr, true, "write the process id to this file"},
    {"-v", "--verbose", nullptr, false, "more logging"},
    {"-V", "--version", nullptr, false, "print the version and exit"},
    {"-h", "--help", nullptr, false, "print this help and exit"},
};

const Flag* Find(std::string_view name) {
  for (const Flag& f : kFlags) {
    if ((f.short_name && name == f.short_name) || (f.long_name && name == f.long_name) ||
        (f.alias && name == f.alias)) {
      return &f;
    }
  }
  return nullptr;
}

bool ParseInt(std::string_view s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(str.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseDouble(std::string_view s, double lo, double hi, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  errno = 0;
  double v = strtod(str.c_str(), &end);
  if (errno != 0 || *end != '\0' || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  char last = s.back();
  if (last == 'k' || last == 'K') mult = 1024;
  if (last == 'm' || last == 'M') mult = 1024 * 1024;
  if (mult != 1) s.remove_suffix(1);
  int64_t v = 0;
  if (!ParseInt(s, 1, int64_t{1} << 40, &v)) return false;
  *out = static_cast<size_t>(v) * mult;
  return true;
}

}  // namespace

memfleet::Result<RouterCommandLine> ParseRouterCommandLine(int argc, char** argv) {
  RouterCommandLine cl;
  RouterOptions& o = cl.options;
  int config_sources = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline = false;
    if (arg.starts_with("--")) {
      size_t eq = arg.find('=');
      if (eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    } else if (arg.size() > 2 && arg[0] == '-') {
      value = arg.substr(2);  // -p11211
      arg = arg.substr(0, 2);
      has_inline = true;
    }
    const Flag* f = Find(arg);
    if (f == nullptr) return Status::InvalidArgument("unknown option: " + std::string(argv[i]));
    if (f->takes_value && !has_inline) {
      if (i + 1 >= argc)
        return Status::InvalidArgument("option " + std::string(arg) + " needs a value");
      value = argv[++i];
    } else if (!f->takes_value && has_inline) {
      return Status::InvalidArgument("option " + std::string(arg) + " takes no value");
    }
    std::string name = f->long_name ? f->long_name : f->short_name;
    auto bad = [&] {
      return Status::InvalidArgument("bad value for " + std::string(arg) + ": \"" +
                                     std::string(value) + "\"");
    };
    int64_t n = 0;
    if (name == "--port") {
      if (!ParseInt(value, 0, 65535, &n)) return bad();
      o.port = static_cast<int>(n);
    } else if (name == "--listen") {
      std::string_view rest = value;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        if (!one.empty()) o.listen.emplace_back(one);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (name == "--unix-socket") {
      o.unix_socket = std::string(value);
    } else if (name == "--unix-mask") {
      char* end = nullptr;
      std::string v(value);
      long m = strtol(v.c_str(), &end, 8);
      if (v.empty() || *end != '\0' || m < 0 || m > 0777) return bad();
      o.unix_mask = static_cast<int>(m);
    } else if (name == "--num-threads") {
      if (!ParseInt(value, 1, 256, &n)) return bad();
      o.threads = static_cast<int>(n);
    } else if (name == "--max-conns") {
      if (!ParseInt(value, 1, 10000000, &n)) return bad();
      o.max_connections = static_cast<int>(n);
    } else if (name == "--listen-backlog") {
      if (!ParseInt(value, 1, 1 << 20, &n)) return bad();
      o.backlog = static_cast<int>(n);
    } else if (name == "--config-file") {
      o.config_file = std::string(value);
      ++config_sources;
    } else if (name == "--config") {
      if (!value.starts_with("file:")) {
        return Status::InvalidArgument("--config takes file:PATH (got \"" + std::string(value) +
                                       "\")");
      }
      o.config_file = std::string(value.substr(5));
      ++config_sources;
    } else if (name == "--config-str") {
      o.config_str = std::string(value);
      ++config_sources;
    } else if (name == "--validate-config") {
      o.validate_config = true;
    } else if (name == "--route-prefix") {
      o.route_prefix = std::string(value);
    } else if (name == "--server-timeout") {
      if (!ParseInt(value, 1, 3600 * 1000, &n)) return bad();
      o.server_timeout_ms = n;
    } else if (name == "--connect-timeout") {
      if (!ParseInt(value, 1, 3600 * 1000, &n)) return bad();
      o.connect_timeout_ms = n;
    } else if (name == "--upstream-connections") {
      if (!ParseInt(value, 1, 64, &n)) return bad();
      o.upstream_connections = static_cast<int>(n);
    } else if (name == "--enable-flush-cmd") {
      o.enable_flush_cmd = true;
    } else if (name == "--no-io-uring") {
      o.io_uring = false;
    } else if (name == "--timeouts-until-tko") {
      if (!ParseInt(value, 1, 1000000, &n)) return bad();
      o.health.timeouts_until_tko = static_cast<int>(n);
    } else if (name == "--heartbeat-interval-ms") {
      if (!ParseInt(value, 0, 3600 * 1000, &n)) return bad();
      o.health.heartbeat_interval_ms = n;
    } else if (name == "--probe-delay-initial-ms") {
      if (!ParseInt(value, 1, 3600 * 1000, &n)) return bad();
      o.health.probe_delay_initial_ms = n;
    } else if (name == "--probe-delay-factor") {
      if (!ParseDouble(value, 1.0, 1000.0, &o.health.probe_delay_factor)) return bad();
    } else if (name == "--probe-delay-max-ms") {
      if (!ParseInt(value, 1, 24 * 3600 * 1000, &n)) return bad();
      o.health.probe_delay_max_ms = n;
    } else if (name == "--probe-jitter") {
      if (!ParseDouble(value, 0.0, 1.0, &o.health.probe_jitter)) return bad();
    } else if (name == "--max-down-share") {
      if (!ParseDouble(value, 0.0, 1.0, &o.health.max_down_share)) return bad();
    } else if (name == "--write-log-dir") {
      if (value.empty()) return bad();
      o.write_log.dir = std::string(value);
    } else if (name == "--write-log-max-bytes") {
      size_t bytes = 0;
      // At least room for the header and a record: smaller could log nothing.
      if (!ParseSize(value, &bytes) || bytes < 4096) return bad();
      o.write_log.max_bytes = bytes;
    } else if (name == "--write-log-fsync") {
      auto policy = writelog::ParseFsyncPolicy(value);
      if (!policy.ok()) return bad();
      o.write_log.fsync = policy.value();
    } else if (name == "--max-item-size") {
      if (!ParseSize(value, &o.max_item_size) || o.max_item_size > (1u << 30)) return bad();
    } else if (name == "--max-client-inflight") {
      if (!ParseInt(value, 1, 1 << 20, &n)) return bad();
      o.max_client_inflight = static_cast<size_t>(n);
    } else if (name == "--metrics-port") {
      if (!ParseInt(value, 0, 65535, &n)) return bad();
      o.metrics_port = static_cast<int>(n);
    } else if (name == "--daemonize") {
      o.daemonize = true;
    } else if (name == "--pidfile") {
      o.pid_file = std::string(value);
    } else if (name == "--verbose") {
      ++o.verbosity;
    } else if (name == "--version") {
      cl.action = RouterCommandLine::Action::kVersion;
    } else if (name == "--help") {
      cl.action = RouterCommandLine::Action::kHelp;
    }
  }
  if (cl.action != RouterCommandLine::Action::kRun) return cl;
  if (config_sources == 0) {
    return Status::InvalidArgument(
        "no config: give --config-file PATH (or -f PATH, --config file:PATH, --config-str JSON)");
  }
  if (config_sources > 1) return Status::InvalidArgument("give only one config source");
  return cl;
}

std::string RouterUsageText() {
  std::string out =
      "memfleet-router: a memcached router (mcrouter JSON and twemproxy YAML configs)\n"
      "usage: memfleet-router --config-file PATH [options]\n\n";
  for (const Flag& f : kFlags) {
    std::string names;
    if (f.short_name) names += f.short_name;
    if (f.long_name) names += std::string(names.empty() ? "" : ", ") + f.long_name;
    if (f.alias) names += std::string(", ") + f.alias;
    if (f.takes_value) names += " VALUE";
    out += "  " + names;
    out += names.size() < 34 ? std::string(34 - names.size(), ' ')
                             : std::string("\n") + std::string(36, ' ');
    out += f.help;
    out += "\n";
  }
  return out;
}

}  // namespace memfleet::router
