// memfleetd's command line. The reference is memcached 1.6.18's main() (memcached.c): the same
// short and long flags (getopt_long), the same -o sub-options (getsubopt semantics: comma
// separated, key or key=value), the same defaults, the same checks after parsing and, wherever
// memcached has one, the same message. Each rule below was checked against the Debian binary.
//
// Deliberate differences (also in docs/compatibility.md):
//  - Values are parsed strictly. memcached uses atoi()/atof() and silently reads "abc" as 0 and
//    "2g" as 2; here an unparsable number is an error. Where memcached's own range check would
//    have fired on the 0 it read (-c, -t, -n, -R, -f), its message is kept.
//  - -m takes an optional m/g suffix (-m 2g is 2048 MB; memcached reads it as 2 MB). -I also
//    takes g (memcached: k and m only).
//  - Negative values memcached lets through are refused: -n, -R, -b, idle_timeout,
//    temporary_ttl; -p and -U take -1 (an ephemeral port, as memcached) but no other.
//  - -S reads its users from the file named by MEMCACHED_SASL_PWDB (no Cyrus SASL).
//  - Not supported, with a clear message: -Z and ssl_* (TLS),
//    -e (restartable memory file), -N (NAPI ids), -i (license text), ext_* (extstore),
//    sock_cookie_id, proxy_*. -o drop_privileges is accepted with a warning (no seccomp here).
//  - -o slab_chunk_max is in bytes, as memcached 1.6.18 really treats it (its -h says
//    kilobytes), and must be at least 512 (memcached accepts 1 and crashes on 0).
//  - -o slab_classes=memcached|fine (ours): memcached's slab classes, or the finer default.
//  - -o worker_logbuf_size does not fall through into slab_sizes (a memcached 1.6.18 bug).
//  - Extra non-option arguments are refused (memcached ignores them).
//  - -o metrics_port and metrics_host are memfleetd's own (a Prometheus endpoint).
//  - -l entries are de-duplicated exactly (memcached drops any entry that is a substring of an
//    earlier one) and split on ',' or ';'.
#include "server/command_line.h"

#include <getopt.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace memfleet::server {
namespace {

constexpr std::string_view kProgram = "memfleetd";
constexpr int64_t kSlabPageSize = 1024 * 1024;             // memcached's slab_page_size
constexpr int64_t kItemSizeMin = 1024;                     // ITEM_SIZE_MAX_LOWER_LIMIT
constexpr int64_t kItemSizeMaxLimit = 1024 * 1024 * 1024;  // ITEM_SIZE_MAX_UPPER_LIMIT
// Ours (memcached has no lower bound): the smallest power of two that holds the head chunk of a
// CHUNKED item with a 250-byte key.
constexpr int64_t kSlabChunkMaxMin = 512;
constexpr size_t kMaxSlabSizes = 63;      // MAX_NUMBER_OF_SLAB_CLASSES - 1
constexpr uint32_t kChunkAlignBytes = 8;  // CHUNK_ALIGN_BYTES
constexpr size_t kUnixPathMax = 107;      // sizeof(sockaddr_un::sun_path) - 1

// Everything the flags write while argv is read; turned into a CommandLine at the end.
struct ParseState {
  Settings s;
  CommandLine::Action action = CommandLine::Action::kRun;
  std::vector<std::string> warnings;
  int64_t item_size_max = Settings{}.item_size_max;  // wide until validated
  bool protocol_specified = false;
  bool tcp_specified = false;  // -p was given
  bool udp_specified = false;  // -U was given
  bool slab_chunk_changed = false;
  std::optional<std::string> slab_sizes;
};

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

std::string Quoted(std::string_view v) { return "\"" + std::string(v) + "\""; }

std::string BadValue(std::string_view flag, std::string_view value) {
  return "Invalid value for " + std::string(flag) + ": " + Quoted(value);
}

// A whole string as a decimal integer ("-5" yes, "+5", " 5", "5x", "" no).
std::optional<int64_t> ParseInt(std::string_view v) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

std::optional<double> ParseDouble(std::string_view v) {
  double out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(out)) {
    return std::nullopt;
  }
  return out;
}

struct Suffix {
  char letter;  // lower case; upper case is accepted too
  uint64_t multiplier;
};

// A non-negative integer times `unit`, or followed by one suffix letter that picks another
// multiplier. Overflow is an error.
std::optional<uint64_t> ParseScaled(std::string_view v, uint64_t unit,
                                    std::initializer_list<Suffix> suffixes) {
  uint64_t mult = unit;
  if (!v.empty()) {
    char last = static_cast<char>(std::tolower(static_cast<unsigned char>(v.back())));
    for (const Suffix& sf : suffixes) {
      if (last == sf.letter) {
        mult = sf.multiplier;
        v.remove_suffix(1);
        break;
      }
    }
  }
  std::optional<int64_t> n = ParseInt(v);
  if (!n || *n < 0 || static_cast<uint64_t>(*n) > UINT64_MAX / mult) return std::nullopt;
  return static_cast<uint64_t>(*n) * mult;
}

// For flags memcached reads with atoi() and then requires to be > 0: anything that is not a
// positive number gets memcached's message (atoi gives it 0 too); a number too big for an int
// gets a plain "invalid value".
Status PositiveInt(std::string_view flag, std::string_view arg, const char* message, int* out) {
  std::optional<int64_t> n = ParseInt(arg);
  if (!n || *n <= 0) return Invalid(message);
  if (*n > INT_MAX) return Invalid(BadValue(flag, arg));
  *out = static_cast<int>(*n);
  return Status::Ok();
}

Status NonNegativeInt(std::string_view flag, std::string_view arg, int* out) {
  std::optional<int64_t> n = ParseInt(arg);
  if (!n || *n < 0 || *n > INT_MAX) return Invalid(BadValue(flag, arg));
  *out = static_cast<int>(*n);
  return Status::Ok();
}

Status ParsePort(std::string_view arg, int* out) {
  std::optional<int64_t> n = ParseInt(arg);
  if (!n || *n < 0 || *n > 65535) {
    return Invalid("ERROR: Invalid port number " + std::string(arg) + ".");
  }
  *out = static_cast<int>(*n);
  return Status::Ok();
}

// One -l entry: "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address (more than one
// ':' and no brackets), as memcached's server_sockets() reads it. Whether the host resolves or
// binds is the server's business.
Result<ListenAddress> ParseListenEntry(std::string_view entry) {
  ListenAddress out;
  std::string_view port;
  if (!entry.empty() && entry.front() == '[') {
    size_t close = entry.find(']');
    if (close == std::string_view::npos) return Invalid("Invalid IPV6 address: " + Quoted(entry));
    out.host = std::string(entry.substr(1, close - 1));
    std::string_view rest = entry.substr(close + 1);
    if (rest.empty()) return out;
    if (rest.front() != ':') return Invalid("Invalid IPV6 address: " + Quoted(entry));
    port = rest.substr(1);
  } else {
    size_t colon = entry.find(':');
    if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos) {
      out.host = std::string(entry);  // no port, or a bare IPv6 address
      return out;
    }
    out.host = std::string(entry.substr(0, colon));
    port = entry.substr(colon + 1);
  }
  std::optional<int64_t> n = ParseInt(port);
  if (!n || *n < 0 || *n > 65535) return Invalid("Invalid port number: " + Quoted(port));
  out.port = static_cast<int>(*n);
  return out;
}

Status AddListen(std::string_view arg, Settings& s) {
  size_t pos = 0;
  while (pos <= arg.size()) {
    size_t sep = arg.find_first_of(",;", pos);
    if (sep == std::string_view::npos) sep = arg.size();
    std::string_view entry = arg.substr(pos, sep - pos);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) {
      entry.remove_suffix(1);
    }
    if (!entry.empty()) {
      Result<ListenAddress> parsed = ParseListenEntry(entry);
      if (!parsed.ok()) return parsed.status();
      bool seen = false;
      for (const std::string& e : s.listen) seen = seen || e == entry;
      if (!seen) s.listen.emplace_back(entry);
    }
    pos = sep + 1;
  }
  return Status::Ok();
}

Status SetMemoryLimit(std::string_view arg, Settings& s) {
  std::optional<uint64_t> bytes =
      ParseScaled(arg, 1ull << 20, {{'m', 1ull << 20}, {'g', 1ull << 30}});
  if (!bytes) return Invalid(BadValue("-m (megabytes, or with an m or g suffix)", arg));
  s.max_bytes = *bytes;
  return Status::Ok();
}

Status SetItemSizeMax(std::string_view arg, ParseState& st) {
  std::optional<uint64_t> bytes =
      ParseScaled(arg, 1, {{'k', 1ull << 10}, {'m', 1ull << 20}, {'g', 1ull << 30}});
  if (!bytes) return Invalid(BadValue("-I (bytes, or with a k, m or g suffix)", arg));
  // Anything this large fails the "gigabyte" check later; clamp so it stays representable.
  st.item_size_max = static_cast<int64_t>(std::min<uint64_t>(*bytes, INT64_MAX / 2));
  return Status::Ok();
}

Status SetUnixMask(std::string_view arg, Settings& s) {
  bool ok = !arg.empty() && arg.size() <= 4;
  int mask = 0;
  for (char c : arg) {
    ok = ok && c >= '0' && c <= '7';
    mask = mask * 8 + (c - '0');
  }
  if (!ok || mask > 0777) return Invalid(BadValue("-a (an octal mask such as 700)", arg));
  s.socket_access_mask = mask;
  return Status::Ok();
}

Status SetProtocol(std::string_view arg, ParseState& st) {
  st.protocol_specified = true;
  if (arg == "auto") {
    st.s.protocol = BindingProtocol::kAuto;
  } else if (arg == "binary") {
    st.s.protocol = BindingProtocol::kBinary;
  } else if (arg == "ascii") {
    st.s.protocol = BindingProtocol::kAscii;
  } else {
    return Invalid("Invalid value for binding protocol: " + std::string(arg) +
                   "\n -- should be one of auto, binary, or ascii");
  }
  return Status::Ok();
}

Status SetThreads(std::string_view arg, ParseState& st) {
  Status s = PositiveInt("-t", arg, "Number of threads must be greater than 0", &st.s.num_threads);
  if (s.ok() && st.s.num_threads > 64) {
    st.warnings.push_back(
        "WARNING: Setting a high number of worker threads is not recommended.\n"
        " Set this value to the number of cores in your machine or less.");
  }
  return s;
}

Status ApplyExtendedOptions(std::string_view arg, ParseState& st);  // -o, below

// One command-line flag: its short letter, long name, whether it takes an argument (for the long
// form; the short form takes one iff this is required_argument) and what it does.
struct Flag {
  char letter;
  const char* long_name;
  int has_arg;
  Status (*apply)(std::string_view arg, ParseState& st);
};

Status Unsupported(const char* what) {
  return Invalid(std::string(what) + " is not supported by memfleetd");
}

// In memcached's order (its shortopts string).
const Flag kFlags[] = {
    {'a', "unix-mask", required_argument,
     [](std::string_view a, ParseState& st) { return SetUnixMask(a, st.s); }},
    {'A', "enable-shutdown", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.shutdown_command = true;
       return Status::Ok();
     }},
    {'Z', "enable-ssl", no_argument,
     [](std::string_view, ParseState&) {
       return Invalid("This server is not built with TLS support.");
     }},
    {'p', "port", required_argument,
     [](std::string_view a, ParseState& st) {
       st.tcp_specified = true;
       if (a == "-1") {  // an ephemeral port, as memcached reads -1
         st.s.port = -1;
         return Status::Ok();
       }
       return ParsePort(a, &st.s.port);
     }},
    {'s', "unix-socket", required_argument,
     [](std::string_view a, ParseState& st) {
       if (a.size() > kUnixPathMax) {
         return Invalid("UNIX socket path is longer than 107 bytes: " + std::string(a));
       }
       st.s.socket_path = std::string(a);
       return Status::Ok();
     }},
    {'U', "udp-port", required_argument,
     [](std::string_view a, ParseState& st) {
       st.udp_specified = true;
       if (a == "-1") {  // an ephemeral port, as memcached reads -1
         st.s.udp_port = -1;
         return Status::Ok();
       }
       return ParsePort(a, &st.s.udp_port);
     }},
    {'m', "memory-limit", required_argument,
     [](std::string_view a, ParseState& st) { return SetMemoryLimit(a, st.s); }},
    {'M', "disable-evictions", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.evict_to_free = false;
       return Status::Ok();
     }},
    {'c', "conn-limit", required_argument,
     [](std::string_view a, ParseState& st) {
       return PositiveInt("-c", a, "Maximum connections must be greater than 0", &st.s.max_conns);
     }},
    {'k', "lock-memory", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.lock_memory = true;
       return Status::Ok();
     }},
    {'h', "help", no_argument,
     [](std::string_view, ParseState& st) {
       st.action = CommandLine::Action::kHelp;
       return Status::Ok();
     }},
    {'i', "license", no_argument,
     [](std::string_view, ParseState&) { return Unsupported("-i (print the license)"); }},
    {'V', "version", no_argument,
     [](std::string_view, ParseState& st) {
       st.action = CommandLine::Action::kVersion;
       return Status::Ok();
     }},
    {'r', "enable-coredumps", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.enable_core_files = true;
       return Status::Ok();
     }},
    // As in memcached, --verbose=N counts once, like -v.
    {'v', "verbose", optional_argument,
     [](std::string_view, ParseState& st) {
       ++st.s.verbose;
       return Status::Ok();
     }},
    {'d', "daemon", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.daemonize = true;
       return Status::Ok();
     }},
    {'l', "listen", required_argument,
     [](std::string_view a, ParseState& st) { return AddListen(a, st.s); }},
    {'u', "user", required_argument,
     [](std::string_view a, ParseState& st) {
       st.s.user = std::string(a);
       return Status::Ok();
     }},
    {'P', "pidfile", required_argument,
     [](std::string_view a, ParseState& st) {
       st.s.pid_file = std::string(a);
       return Status::Ok();
     }},
    {'f', "slab-growth-factor", required_argument,
     [](std::string_view a, ParseState& st) {
       std::optional<double> f = ParseDouble(a);
       if (!f || *f <= 1.0) return Invalid("Factor must be greater than 1");
       st.s.factor = *f;
       return Status::Ok();
     }},
    {'n', "slab-min-size", required_argument,
     [](std::string_view a, ParseState& st) {
       return PositiveInt("-n", a, "Chunk size must be greater than 0", &st.s.chunk_size);
     }},
    {'t', "threads", required_argument, SetThreads},
    {'D', "", required_argument,  // memcached has no long form for -D
     [](std::string_view a, ParseState& st) {
       if (a.empty()) return Invalid("No delimiter specified");
       st.s.prefix_delimiter = a.front();
       st.s.detail_enabled = true;
       return Status::Ok();
     }},
    {'L', "enable-largepages", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.large_pages = true;
       return Status::Ok();
     }},
    {'R', "max-reqs-per-event", required_argument,
     [](std::string_view a, ParseState& st) {
       return PositiveInt("-R", a, "Number of requests per event must be greater than 0",
                          &st.s.reqs_per_event);
     }},
    {'C', "disable-cas", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.use_cas = false;
       return Status::Ok();
     }},
    {'b', "listen-backlog", required_argument,
     [](std::string_view a, ParseState& st) { return NonNegativeInt("-b", a, &st.s.backlog); }},
    {'B', "protocol", required_argument, SetProtocol},
    {'I', "max-item-size", required_argument, SetItemSizeMax},
    {'S', "enable-sasl", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.sasl = true;
       return Status::Ok();
     }},
    {'F', "disable-flush-all", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.flush_enabled = false;
       return Status::Ok();
     }},
    {'X', "disable-dumping", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.dump_enabled = false;
       return Status::Ok();
     }},
    {'W', "disable-watch", no_argument,
     [](std::string_view, ParseState& st) {
       st.s.watch_enabled = false;
       return Status::Ok();
     }},
    {'Y', "auth-file", required_argument,
     [](std::string_view a, ParseState& st) {
       if (a.empty()) return Invalid(BadValue("-Y (an authentication file)", a));
       st.s.auth_file = std::string(a);
       return Status::Ok();
     }},
    {'e', "memory-file", required_argument,
     [](std::string_view, ParseState&) {
       return Unsupported("-e (restartable cache memory file)");
     }},
    {'o', "extended", required_argument, ApplyExtendedOptions},
    {'N', "napi-ids", required_argument,
     [](std::string_view, ParseState&) { return Unsupported("-N (NAPI ids)"); }},
};

const Flag* FindFlag(int letter) {
  for (const Flag& f : kFlags) {
    if (f.letter == letter) return &f;
  }
  return nullptr;
}

// ---- -o sub-options ---------------------------------------------------------------------------

using SubValue = std::optional<std::string_view>;

struct SubOption {
  std::string_view name;
  Status (*apply)(const SubValue& value, ParseState& st);
};

Status CouldNotParse(std::string_view name) {
  return Invalid("could not parse argument to " + std::string(name));
}

// An int-sized integer sub-option value. `missing` is memcached's message for "key" without
// "=value".
Status SubInt(std::string_view name, const SubValue& v, const char* missing, int64_t* out) {
  if (!v) return Invalid(missing);
  std::optional<int64_t> n = ParseInt(*v);
  if (!n || *n < INT_MIN || *n > INT_MAX) return CouldNotParse(name);
  *out = *n;
  return Status::Ok();
}

Status SubDouble(std::string_view name, const SubValue& v, const char* missing, double* out) {
  if (!v) return Invalid(missing);
  std::optional<double> d = ParseDouble(*v);
  if (!d) return CouldNotParse(name);
  *out = *d;
  return Status::Ok();
}

// A value given in `unit`s, stored in bytes in an int (the logger buffer sizes).
Status SubScaledInt(std::string_view name, const SubValue& v, const char* missing, int64_t unit,
                    int* out) {
  if (!v) return Invalid(missing);
  std::optional<int64_t> n = ParseInt(*v);
  if (!n || *n < 0 || *n > INT_MAX / unit) return CouldNotParse(name);
  *out = static_cast<int>(*n * unit);
  return Status::Ok();
}

Status SetLruPct(std::string_view name, const SubValue& v, int* out) {
  std::string missing = "Missing " + std::string(name) + " argument";
  int64_t n = 0;
  Status s = SubInt(name, v, missing.c_str(), &n);
  if (!s.ok()) return s;
  if (n < 1 || n >= 80) return Invalid(std::string(name) + " must be > 1 and < 80");
  *out = static_cast<int>(n);
  return Status::Ok();
}

Status SetMaxFactor(std::string_view name, const SubValue& v, double* out) {
  std::string missing = "Missing " + std::string(name) + " argument";
  Status s = SubDouble(name, v, missing.c_str(), out);
  if (s.ok() && *out <= 0) return Invalid(std::string(name) + " must be > 0");
  return s;
}

Status SetHashpower(const SubValue& v, ParseState& st) {
  int64_t n = 0;
  Status s = SubInt("hashpower", v, "Missing numeric argument for hashpower", &n);
  if (!s.ok()) return s;
  if (n < 12)
    return Invalid("Initial hashtable multiplier of " + std::to_string(n) + " is too low");
  if (n > 32) {
    return Invalid("Initial hashtable multiplier of " + std::to_string(n) +
                   " is too high\nChoose a value based on \"STAT hash_power_level\" from a "
                   "running instance");
  }
  st.s.hashpower_init = static_cast<int>(n);
  return Status::Ok();
}

// memcached's "no_modern": the defaults of 1.4.x.
Status SetNoModern(const SubValue&, ParseState& st) {
  Settings& s = st.s;
  if (!st.slab_chunk_changed) s.slab_chunk_size_max = kSlabPageSize;
  s.slab_reassign = false;
  s.slab_automove = 0;
  s.maxconns_fast = false;
  s.lru_segmented = false;
  s.hash_algorithm = "jenkins";
  s.lru_crawler = false;
  s.lru_maintainer_thread = false;
  return Status::Ok();
}

Status SetSlabChunkMax(const SubValue& v, ParseState& st) {
  int64_t n = 0;
  Status s = SubInt("slab_chunk_max", v, "Missing slab_chunk_max argument", &n);
  if (!s.ok()) return s;
  if (n <= 0) return CouldNotParse("slab_chunk_max");
  st.s.slab_chunk_size_max = static_cast<int>(n);
  st.slab_chunk_changed = true;
  return Status::Ok();
}

#define MEMFLEET_FLAG_SUBOPTION(name, field, value) \
  {                                                 \
    name, [](const SubValue&, ParseState& st) {     \
      st.s.field = value;                           \
      return Status::Ok();                          \
    }                                               \
  }

const SubOption kSubOptions[] = {
    MEMFLEET_FLAG_SUBOPTION("maxconns_fast", maxconns_fast, true),
    MEMFLEET_FLAG_SUBOPTION("no_maxconns_fast", maxconns_fast, false),
    {"hashpower", SetHashpower},
    MEMFLEET_FLAG_SUBOPTION("no_hashexpand", hash_expand, false),
    {"tail_repair_time",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s =
           SubInt("tail_repair_time", v, "Missing numeric argument for tail_repair_time", &n);
       if (!s.ok()) return s;
       if (n < 10) return Invalid("Cannot set tail_repair_time to less than 10 seconds");
       st.s.tail_repair_time = static_cast<int>(n);
       return Status::Ok();
     }},
    {"hash_algorithm",
     [](const SubValue& v, ParseState& st) {
       if (!v) return Invalid("Missing hash_algorithm argument");
       if (*v != "jenkins" && *v != "murmur3" && *v != "xxh3") {
         return Invalid("Unknown hash_algorithm option (jenkins, murmur3, xxh3)");
       }
       st.s.hash_algorithm = std::string(*v);
       return Status::Ok();
     }},
    MEMFLEET_FLAG_SUBOPTION("lru_crawler", lru_crawler, true),
    MEMFLEET_FLAG_SUBOPTION("no_lru_crawler", lru_crawler, false),
    MEMFLEET_FLAG_SUBOPTION("io_uring", io_uring, true),
    MEMFLEET_FLAG_SUBOPTION("no_io_uring", io_uring, false),
    {"lru_crawler_sleep",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s = SubInt("lru_crawler_sleep", v, "Missing lru_crawler_sleep value", &n);
       if (!s.ok()) return s;
       if (n < 0 || n > 1000000) return Invalid("LRU crawler sleep must be between 0 and 1 second");
       st.s.lru_crawler_sleep = static_cast<int>(n);
       return Status::Ok();
     }},
    {"lru_crawler_tocrawl",
     [](const SubValue& v, ParseState& st) {
       if (!v) return Invalid("Missing lru_crawler_tocrawl value");
       std::optional<int64_t> n = ParseInt(*v);
       if (!n || *n < 0 || *n > UINT32_MAX) {
         return Invalid("lru_crawler_tocrawl takes a numeric 32bit value");
       }
       st.s.lru_crawler_tocrawl = static_cast<uint32_t>(*n);
       return Status::Ok();
     }},
    {"lru_maintainer",
     [](const SubValue&, ParseState& st) {
       st.s.lru_maintainer_thread = true;
       st.s.lru_segmented = true;
       return Status::Ok();
     }},
    {"no_lru_maintainer",
     [](const SubValue&, ParseState& st) {
       st.s.lru_maintainer_thread = false;
       st.s.lru_segmented = false;
       return Status::Ok();
     }},
    {"hot_lru_pct", [](const SubValue& v,
                       ParseState& st) { return SetLruPct("hot_lru_pct", v, &st.s.hot_lru_pct); }},
    {"warm_lru_pct",
     [](const SubValue& v, ParseState& st) {
       return SetLruPct("warm_lru_pct", v, &st.s.warm_lru_pct);
     }},
    {"hot_max_factor",
     [](const SubValue& v, ParseState& st) {
       return SetMaxFactor("hot_max_factor", v, &st.s.hot_max_factor);
     }},
    {"warm_max_factor",
     [](const SubValue& v, ParseState& st) {
       return SetMaxFactor("warm_max_factor", v, &st.s.warm_max_factor);
     }},
    {"temporary_ttl",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s = SubInt("temporary_ttl", v, "Missing temporary_ttl argument", &n);
       if (!s.ok()) return s;
       if (n < 0) return CouldNotParse("temporary_ttl");
       st.s.temp_lru = true;
       st.s.temporary_ttl = static_cast<int>(n);
       return Status::Ok();
     }},
    {"idle_timeout",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s = SubInt("idle_timeout", v, "Missing numeric argument for idle_timeout", &n);
       if (!s.ok()) return s;
       if (n < 0) return CouldNotParse("idle_timeout");
       st.s.idle_timeout = static_cast<int>(n);
       return Status::Ok();
     }},
    {"watcher_logbuf_size",
     [](const SubValue& v, ParseState& st) {
       return SubScaledInt("watcher_logbuf_size", v, "Missing watcher_logbuf_size argument", 1024,
                           &st.s.watcher_logbuf_size);
     }},
    {"worker_logbuf_size",
     [](const SubValue& v, ParseState& st) {
       return SubScaledInt("worker_logbuf_size", v, "Missing worker_logbuf_size argument", 1024,
                           &st.s.worker_logbuf_size);
     }},
    {"read_buf_mem_limit",
     [](const SubValue& v, ParseState& st) {
       if (!v) return Invalid("Missing read_buf_mem_limit argument");
       std::optional<int64_t> n = ParseInt(*v);
       if (!n || *n < 0 || *n > UINT32_MAX) return CouldNotParse("read_buf_mem_limit");
       st.s.read_buf_mem_limit = static_cast<uint64_t>(*n) << 20;
       return Status::Ok();
     }},
    {"slab_sizes",
     [](const SubValue& v, ParseState& st) {
       if (!v) return Invalid("Missing slab_sizes argument");
       st.slab_sizes = std::string(*v);
       return Status::Ok();
     }},
    {"slab_chunk_max", SetSlabChunkMax},
    {"slab_classes",
     [](const SubValue& v, ParseState& st) {
       if (v && *v == "memcached") {
         st.s.memcached_slab_classes = true;
       } else if (v && *v == "fine") {
         st.s.memcached_slab_classes = false;
       } else {
         return Invalid("slab_classes must be memcached or fine");
       }
       return Status::Ok();
     }},
    MEMFLEET_FLAG_SUBOPTION("track_sizes", track_sizes, true),
    // Both are no-ops in memcached 1.6 too (responses are never inlined).
    {"no_inline_ascii_resp", [](const SubValue&, ParseState&) { return Status::Ok(); }},
    {"inline_ascii_resp", [](const SubValue&, ParseState&) { return Status::Ok(); }},
    {"modern", [](const SubValue&, ParseState&) { return Status::Ok(); }},
    {"no_modern", SetNoModern},
    MEMFLEET_FLAG_SUBOPTION("no_chunked_items", slab_chunk_size_max, kSlabPageSize),
    MEMFLEET_FLAG_SUBOPTION("slab_reassign", slab_reassign, true),
    MEMFLEET_FLAG_SUBOPTION("no_slab_reassign", slab_reassign, false),
    {"slab_automove",
     [](const SubValue& v, ParseState& st) {
       if (!v) {
         st.s.slab_automove = 1;
         return Status::Ok();
       }
       int64_t n = 0;
       Status s = SubInt("slab_automove", v, "", &n);
       if (!s.ok()) return s;
       if (n < 0 || n > 2) return Invalid("slab_automove must be between 0 and 2");
       st.s.slab_automove = static_cast<int>(n);
       return Status::Ok();
     }},
    MEMFLEET_FLAG_SUBOPTION("no_slab_automove", slab_automove, 0),
    {"slab_automove_ratio",
     [](const SubValue& v, ParseState& st) {
       double d = 0;
       Status s = SubDouble("slab_automove_ratio", v, "Missing slab_automove_ratio argument", &d);
       if (!s.ok()) return s;
       // memcached's test is "<= 0 || > 1" despite its message.
       if (d <= 0 || d > 1) return Invalid("slab_automove_ratio must be > 0 and < 1");
       st.s.slab_automove_ratio = d;
       return Status::Ok();
     }},
    {"slab_automove_window",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s = SubInt("slab_automove_window", v, "Missing slab_automove_window argument", &n);
       if (!s.ok()) return s;
       if (n < 3) return Invalid("slab_automove_window must be > 2");
       st.s.slab_automove_window = static_cast<int>(n);
       return Status::Ok();
     }},
    {"drop_privileges",
     [](const SubValue&, ParseState& st) {
       st.warnings.push_back(
           "drop_privileges: memfleetd has no seccomp sandbox; option ignored (-u still works)");
       return Status::Ok();
     }},
    {"no_drop_privileges", [](const SubValue&, ParseState&) { return Status::Ok(); }},
    {"metrics_port",
     [](const SubValue& v, ParseState& st) {
       int64_t n = 0;
       Status s = SubInt("metrics_port", v, "Missing metrics_port argument", &n);
       if (!s.ok()) return s;
       if (n < 1 || n > 65535) return Invalid("metrics_port must be between 1 and 65535");
       st.s.metrics_port = static_cast<int>(n);
       return Status::Ok();
     }},
    {"metrics_host",
     [](const SubValue& v, ParseState& st) {
       if (!v || v->empty()) return Invalid("Missing metrics_host argument");
       // "[v6]" as -l writes it, or a bare address or name.
       std::string_view host = *v;
       if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
         host = host.substr(1, host.size() - 2);
       }
       st.s.metrics_host = std::string(host);
       return Status::Ok();
     }},
    {"resp_obj_mem_limit",
     [](const SubValue&, ParseState& st) {
       st.warnings.push_back(
           "DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,");
       return Status::Ok();
     }},
};

#undef MEMFLEET_FLAG_SUBOPTION

// Names memcached knows but memfleetd does not implement: a clearer message than "Illegal".
std::optional<std::string> UnsupportedSubOption(std::string_view name) {
  auto starts = [name](std::string_view p) { return name.substr(0, p.size()) == p; };
  std::string n(name);
  if (starts("ext_") || name == "slab_automove_freeratio") {
    return "extstore is not supported by memfleetd (-o " + n + ")";
  }
  if (starts("ssl_")) return "TLS is not supported by memfleetd (-o " + n + ")";
  if (starts("proxy_")) return "the proxy is not supported by memfleetd (-o " + n + ")";
  if (name == "sock_cookie_id") return "sock_cookie_id is not supported by memfleetd";
  return std::nullopt;
}

Status ApplySubOption(std::string_view token, ParseState& st) {
  size_t eq = token.find('=');
  std::string_view name = token.substr(0, eq);
  SubValue value;
  if (eq != std::string_view::npos) value = token.substr(eq + 1);
  for (const SubOption& o : kSubOptions) {
    if (o.name == name) return o.apply(value, st);
  }
  if (std::optional<std::string> msg = UnsupportedSubOption(name)) return Invalid(*msg);
  return Invalid("Illegal suboption " + Quoted(token));
}

// getsubopt() semantics: tokens split on ',', a trailing ',' ends the list, an empty token in
// the middle is an illegal (empty) sub-option.
Status ApplyExtendedOptions(std::string_view arg, ParseState& st) {
  size_t pos = 0;
  while (pos < arg.size()) {
    size_t comma = arg.find(',', pos);
    if (comma == std::string_view::npos) comma = arg.size();
    Status s = ApplySubOption(arg.substr(pos, comma - pos), st);
    if (!s.ok()) return s;
    pos = comma + 1;
  }
  return Status::Ok();
}

// ---- checks after parsing, in memcached's order -----------------------------------------------

Status ParseSlabSizes(std::string_view list, Settings& s) {
  std::vector<uint32_t> sizes;
  uint32_t last = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t dash = list.find('-', pos);
    if (dash == std::string_view::npos) dash = list.size();
    std::string_view tok = list.substr(pos, dash - pos);
    pos = dash + 1;
    if (tok.empty()) continue;  // strtok_r skips empty fields
    std::optional<int64_t> n = ParseInt(tok);
    if (!n || *n < s.chunk_size || *n > s.slab_chunk_size_max) {
      return Invalid("slab size " + std::string(tok) + " is out of valid range");
    }
    uint32_t size = static_cast<uint32_t>(*n);
    if (last >= size) {
      return Invalid("slab size " + std::to_string(size) +
                     " cannot be lower than or equal to a previous class size");
    }
    if (size <= last + kChunkAlignBytes) {
      return Invalid("slab size " + std::to_string(size) + " must be at least " +
                     std::to_string(kChunkAlignBytes) + " bytes larger than previous class");
    }
    sizes.push_back(size);
    last = size;
    if (sizes.size() >= kMaxSlabSizes) return Invalid("too many slab classes specified");
  }
  if (sizes.empty()) return Invalid("Missing slab_sizes argument");
  s.slab_sizes = std::move(sizes);
  return Status::Ok();
}

Status CheckItemAndChunkSizes(ParseState& st) {
  Settings& s = st.s;
  int64_t item = st.item_size_max;
  if (item < kItemSizeMin) return Invalid("Item max size cannot be less than 1024 bytes.");
  if (static_cast<uint64_t>(item) > s.max_bytes / 2) {
    return Invalid("Cannot set item size limit higher than 1/2 of memory max.");
  }
  if (item > kItemSizeMaxLimit) {
    return Invalid("Cannot set item size limit higher than a gigabyte.");
  }
  s.item_size_max = static_cast<int>(item);
  if (item > 1024 * 1024 && !st.slab_chunk_changed) {
    s.slab_chunk_size_max = static_cast<int>(kSlabPageSize / 2);
  }
  std::string chunk = std::to_string(s.slab_chunk_size_max);
  std::string item_str = std::to_string(item);
  if (s.slab_chunk_size_max > item) {
    return Invalid("slab_chunk_max (bytes: " + chunk +
                   ") cannot be larger than -I (item_size_max " + item_str + ")");
  }
  if (item % s.slab_chunk_size_max != 0) {
    return Invalid("-I (item_size_max: " + item_str +
                   ") must be evenly divisible by slab_chunk_max (bytes: " + chunk + ")");
  }
  if (kSlabPageSize % s.slab_chunk_size_max != 0) {
    return Invalid("slab_chunk_max (bytes: " + chunk + ") must divide evenly into " +
                   std::to_string(kSlabPageSize) + " (slab_page_size)");
  }
  if (s.slab_chunk_size_max < kSlabChunkMaxMin) {
    return Invalid("slab_chunk_max (bytes: " + chunk + ") must be at least " +
                   std::to_string(kSlabChunkMaxMin));
  }
  return Status::Ok();
}

Status Validate(ParseState& st) {
  Settings& s = st.s;
  Status status = CheckItemAndChunkSizes(st);
  if (!status.ok()) return status;
  if (st.slab_sizes) {
    status = ParseSlabSizes(*st.slab_sizes, s);
    if (!status.ok()) return status;
  }
  if (s.hot_lru_pct + s.warm_lru_pct > 80) {
    return Invalid("hot_lru_pct + warm_lru_pct cannot be more than 80% combined");
  }
  if (s.temp_lru && !s.lru_maintainer_thread) {
    return Invalid("temporary_ttl requires lru_maintainer to be enabled");
  }
  if (!s.metrics_host.empty() && s.metrics_port == 0) {
    return Invalid("metrics_host needs metrics_port (-o metrics_port=N,metrics_host=ADDR)");
  }
  if (s.sasl) {  // SASL is spoken over the binary protocol only (memcached's rule)
    if (!st.protocol_specified) {
      s.protocol = BindingProtocol::kBinary;
    } else if (s.protocol != BindingProtocol::kBinary) {
      return Invalid("ERROR: You cannot allow the ASCII protocol while using SASL.");
    }
    if (s.udp_port != 0) {
      return Invalid("ERROR: Cannot enable UDP while using binary SASL authentication.");
    }
  }
  if (!s.auth_file.empty()) {
    if (!st.protocol_specified) {
      s.protocol = BindingProtocol::kAscii;
    } else if (s.protocol != BindingProtocol::kAscii) {
      return Invalid(
          "ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.");
    }
  }
  // memcached checks this one later, when it loads the file, with the same exit status.
  if (!s.auth_file.empty() && s.udp_port != 0) {
    return Invalid("Cannot use UDP with ascii authentication enabled (-U 0 to disable)");
  }
  // -U alone moves the TCP port too (memcached's rule; -U -1 makes both ephemeral).
  if (st.udp_specified && s.udp_port != 0 && !st.tcp_specified) s.port = s.udp_port;
  return Status::Ok();
}

// ---- getopt plumbing --------------------------------------------------------------------------

std::string WithHint(std::string msg) {
  return std::string(kProgram) + ": " + msg + "\nTry '" + std::string(kProgram) +
         " -h' for more information.";
}

// getopt's own messages (we run it with opterr = 0 so that nothing is printed from here).
std::string GetoptError(int c, std::string_view current, const std::vector<option>& longopts) {
  std::string arg(current.substr(0, current.find('=')));
  bool is_long = current.substr(0, 2) == "--";
  if (c == ':') {
    if (is_long) return WithHint("option '" + arg + "' requires an argument");
    return WithHint(std::string("option requires an argument -- '") + static_cast<char>(optopt) +
                    "'");
  }
  if (optopt != 0 && FindFlag(optopt) != nullptr && is_long) {
    return WithHint("option '" + arg + "' doesn't allow an argument");
  }
  if (optopt != 0) {
    return WithHint(std::string("invalid option -- '") + static_cast<char>(optopt) + "'");
  }
  int matches = 0;
  for (const option& o : longopts) {
    if (o.name != nullptr &&
        std::string_view(o.name).substr(0, arg.size() - 2) == std::string_view(arg).substr(2)) {
      ++matches;
    }
  }
  if (is_long && matches > 1) return WithHint("option '" + arg + "' is ambiguous");
  return WithHint("unrecognized option '" + std::string(current) + "'");
}

std::string_view TrimLeadingSpace(const char* optarg_value) {
  std::string_view v = optarg_value == nullptr ? std::string_view() : optarg_value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  return v;
}

}  // namespace

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  // getopt permutes argv's pointers; work on a private copy so the caller's argv is untouched.
  std::vector<std::string> storage = args;
  if (storage.empty()) storage.emplace_back(kProgram);
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());

  std::string shortopts = ":";  // leading ':' makes a missing argument return ':'
  std::vector<option> longopts;
  for (const Flag& f : kFlags) {
    shortopts += f.letter;
    if (f.has_arg == required_argument) shortopts += ':';
    if (f.long_name[0] != '\0') longopts.push_back({f.long_name, f.has_arg, nullptr, f.letter});
  }
  longopts.push_back({nullptr, 0, nullptr, 0});

  ParseState st;
  optind = 0;  // glibc: 0 re-initialises getopt's hidden state, so every call starts afresh
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv.data(), shortopts.c_str(), longopts.data(), nullptr)) != -1) {
    if (c == '?' || c == ':') return Invalid(GetoptError(c, argv[optind - 1], longopts));
    Status s = FindFlag(c)->apply(TrimLeadingSpace(optarg), st);
    if (!s.ok()) return s;
    if (st.action != CommandLine::Action::kRun) break;  // -h and -V win at once, as in memcached
  }
  if (st.action == CommandLine::Action::kRun) {
    if (optind < argc) {
      return Invalid(WithHint("unexpected argument '" + std::string(argv[optind]) + "'"));
    }
    Status s = Validate(st);
    if (!s.ok()) return s;
  }
  CommandLine cl;
  cl.action = st.action;
  cl.settings = std::move(st.s);
  cl.warnings = std::move(st.warnings);
  return cl;
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.emplace_back(argv[i] != nullptr ? argv[i] : "");
  return ParseCommandLine(args);
}

std::string UsageText() {
  const Settings d;
  auto n = [](auto v) { return std::to_string(v); };
  auto f2 = [](double v) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%.2f", v);
    return std::string(buf);
  };
  std::string u = std::string(kProgram) + " " + std::string(kMemfleetVersion) + " (memcached " +
                  std::string(kVersion) + " compatible)\n";
  u += "-p, --port=<num>          TCP port to listen on (default: " + n(d.port) + ")\n";
  u += "-U, --udp-port=<num>      UDP port to listen on (default: 0, off)\n";
  u += "-s, --unix-socket=<file>  UNIX socket to listen on (disables network support)\n";
  u += "-a, --unix-mask=<mask>    access mask for UNIX socket, in octal (default: 700)\n";
  u += "-A, --enable-shutdown     enable ascii \"shutdown\" command\n";
  u += "-l, --listen=<addr>       interface to listen on (default: INADDR_ANY)\n"
       "                          may be repeated or be a comma separated list; an entry may\n"
       "                          carry its own port: 127.0.0.1:11211, [::1]:11211\n";
  u += "-d, --daemon              run as a daemon\n";
  u += "-r, --enable-coredumps    maximize core file limit\n";
  u += "-u, --user=<user>         assume identity of <username> (only when run as root;\n"
       "                          not required: memfleetd may run as root)\n";
  u += "-m, --memory-limit=<num>  item memory in megabytes (default: " + n(d.max_bytes >> 20) +
       ")\n"
       "                          an m or g suffix is accepted: 512m, 2g\n";
  u += "-M, --disable-evictions   return error on memory exhausted instead of evicting\n";
  u += "-c, --conn-limit=<num>    max simultaneous connections (default: " + n(d.max_conns) + ")\n";
  u += "-k, --lock-memory         lock down all paged memory\n";
  u += "-v, --verbose             verbose (print errors/warnings while in event loop)\n";
  u += "-vv                       very verbose (also print client commands/responses)\n";
  u += "-vvv                      extremely verbose (internal state transitions)\n";
  u += "-h, --help                print this help and exit\n";
  u += "-V, --version             print version and exit\n";
  u += "-P, --pidfile=<file>      save PID in <file>\n";
  u += "-f, --slab-growth-factor=<num> chunk size growth factor (default: " + f2(d.factor) + ")\n";
  u += "-n, --slab-min-size=<bytes> min space used for key+value+flags (default: " +
       n(d.chunk_size) + ")\n";
  u += "-L, --enable-largepages  try to use large memory pages (if available)\n";
  u += "-D <char>     Use <char> as the delimiter between key prefixes and IDs.\n"
       "              This is used for per-prefix stats reporting. The default is\n"
       "              \":\" (colon). If this option is specified, stats collection\n"
       "              is turned on automatically; if not, then it may be turned on\n"
       "              by sending the \"stats detail on\" command to the server.\n";
  u += "-t, --threads=<num>       number of threads to use (default: " + n(d.num_threads) + ")\n";
  u += "-R, --max-reqs-per-event  maximum number of requests per event, limits the\n"
       "                          requests processed per connection to prevent \n"
       "                          starvation (default: " +
       n(d.reqs_per_event) + ")\n";
  u += "-C, --disable-cas         disable use of CAS\n";
  u += "-b, --listen-backlog=<num> set the backlog queue limit (default: " + n(d.backlog) + ")\n";
  u += "-B, --protocol=<name>     protocol - one of ascii, binary, or auto (default: "
       "auto-negotiate)\n";
  u += "-I, --max-item-size=<num> adjusts max item size\n"
       "                          (default: 1m, min: 1k, max: 1024m)\n";
  u += "-S, --enable-sasl         turn on Sasl authentication\n";
  u += "-F, --disable-flush-all   disable flush_all command\n";
  u += "-X, --disable-dumping     disable stats cachedump and lru_crawler metadump\n";
  u += "-W  --disable-watch       disable watch commands (live logging)\n";
  u += "-Y, --auth-file=<file>    (EXPERIMENTAL) enable ASCII protocol authentication. format:\n"
       "                          user:pass\\nuser2:pass2\\n\n";
  u += "-o, --extended            comma separated list of extended options\n"
       "                          most options have a 'no_' prefix to disable\n";
  u += "   - maxconns_fast:       immediately close new connections after limit (default: "
       "enabled)\n";
  u += "   - hashpower:           an integer multiplier for how large the hash\n"
       "                          table should be. normally grows at runtime. (default starts "
       "at: " +
       n(d.hashpower_init) +
       ")\n"
       "                          set based on \"STAT hash_power_level\"\n";
  u += "   - tail_repair_time:    time in seconds for how long to wait before\n"
       "                          forcefully killing LRU tail item.\n"
       "                          disabled by default; very dangerous option.\n";
  u += "   - hash_algorithm:      the hash table algorithm\n"
       "                          default is murmur3 hash. options: jenkins, murmur3, xxh3\n";
  u += "   - no_lru_crawler:      disable LRU Crawler background thread.\n";
  u += "   - lru_crawler_sleep:   microseconds to sleep between items\n"
       "                          default is " +
       n(d.lru_crawler_sleep) + ".\n";
  u += "   - lru_crawler_tocrawl: max items to crawl per slab per run\n"
       "                          default is 0 (unlimited)\n";
  u += "   - read_buf_mem_limit:  limit in megabytes for connection read/response buffers.\n"
       "                          do not adjust unless you have high (20k+) conn. limits.\n"
       "                          0 means unlimited (default: 0)\n";
  u += "   - no_lru_maintainer:   disable new LRU system + background thread.\n";
  u += "   - hot_lru_pct:         pct of slab memory to reserve for hot lru.\n"
       "                          (requires lru_maintainer, default pct: " +
       n(d.hot_lru_pct) + ")\n";
  u += "   - warm_lru_pct:        pct of slab memory to reserve for warm lru.\n"
       "                          (requires lru_maintainer, default pct: " +
       n(d.warm_lru_pct) + ")\n";
  u += "   - hot_max_factor:      items idle > cold lru age * drop from hot lru. (default: " +
       f2(d.hot_max_factor) + ")\n";
  u += "   - warm_max_factor:     items idle > cold lru age * this drop from warm. (default: " +
       f2(d.warm_max_factor) + ")\n";
  u += "   - temporary_ttl:       TTL's below get separate LRU, can't be evicted.\n"
       "                          (requires lru_maintainer, default: " +
       n(d.temporary_ttl) + ")\n";
  u += "   - idle_timeout:        timeout for idle connections. (default: 0, no timeout)\n";
  u += "   - metrics_port:        serve Prometheus metrics (GET /metrics) on this TCP port\n"
       "                          (default: off)\n";
  u += "   - metrics_host:        address for metrics_port (default: the first -l address;\n"
       "                          all interfaces without -l; 127.0.0.1 with -s)\n";
  u += "   - no_io_uring:         send each reply with its own system call instead of\n"
       "                          batching a worker's replies through io_uring.\n";
  u += "   - slab_chunk_max:      (EXPERIMENTAL) maximum slab chunk size in bytes; a power of\n"
       "                          two from 512 up to -I. use extreme care. (default: " +
       n(d.slab_chunk_size_max) + ")\n";
  u += "   - slab_classes:        memcached: the chunk sizes and class ids memcached computes\n"
       "                          from -f, -n and slab_chunk_max; fine: finer classes below\n"
       "                          256 bytes with the default -f and -n (default: fine)\n";
  u += "   - slab_sizes:          (EXPERIMENTAL) explicit slab class sizes in bytes,\n"
       "                          dash separated: 128-256-512 (default: from -f and -n)\n";
  u += "   - no_chunked_items:    items larger than slab_chunk_max use one chunk of a page\n";
  u += "   - slab_reassign:       allow slab pages to move between classes (default: enabled)\n";
  u += "   - slab_automove:       0 = off, 1 = move pages in the background, 2 = move\n"
       "                          aggressively on every eviction (default: " +
       n(d.slab_automove) + ")\n";
  u += "   - slab_automove_ratio: ratio of free chunks that makes a class a page donor\n"
       "                          (default: " +
       f2(d.slab_automove_ratio) + ")\n";
  u += "   - slab_automove_window: window of samples automove decides on (default: " +
       n(d.slab_automove_window) + ")\n";
  u += "   - watcher_logbuf_size: size in kilobytes of per-watcher write buffer. (default: " +
       n(d.watcher_logbuf_size / 1024) + ")\n";
  u += "   - worker_logbuf_size:  size in kilobytes of per-worker-thread buffer\n"
       "                          read by background thread, then written to watchers. "
       "(default: " +
       n(d.worker_logbuf_size / 1024) + ")\n";
  u += "   - track_sizes:         enable dynamic reports for 'stats sizes' command.\n";
  u += "   - no_hashexpand:       disables hash table expansion (dangerous)\n";
  u += "   - modern:              enables options which will be default in future.\n"
       "                          currently: nothing\n";
  u += "   - no_modern:           uses defaults of previous major version (1.4.x)\n";
  u += "   most switches also have a no_ form: no_maxconns_fast, lru_crawler, lru_maintainer,\n"
       "   no_slab_reassign, no_slab_automove.\n";
  return u;
}

ListenAddress SplitListenEntry(std::string_view entry) {
  Result<ListenAddress> r = ParseListenEntry(entry);
  return r.ok() ? std::move(r.value()) : ListenAddress{std::string(entry), -1};
}

std::string VersionText() {
  return std::string(kProgram) + " " + std::string(kMemfleetVersion) + " (memcached " +
         std::string(kVersion) + " compatible)\n";
}

}  // namespace memfleet::server
