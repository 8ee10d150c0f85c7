#include "options.h"

#include <getopt.h>

#include <cstdlib>
#include <string_view>

#include "value_pattern.h"

namespace memfleet::bench {
namespace {

constexpr const char* kUsage = R"(usage: memfleet-bench [options]
Load generator for memcached-protocol servers (text and meta).
  --host H             server address (127.0.0.1)       --port P        (11211)
  --protocol text|meta get/set or mg <key> v / ms <key> <len>                (text)
  --threads N          load threads (1)                 --conns N       connections per thread (1)
  --depth N            requests in flight per connection (pipeline depth)     (1)
  --multiget N         keys per get request (text only)                         (1)
  --ratio S:G          set:get mix                                              (1:9)
  --keys N             key count (100000)               --key-size N    bytes per key (32)
  --dist uniform|zipf  key distribution (uniform)       --zipf-s S      zipf exponent (0.99)
  --value-size N|A-B   value bytes, fixed or uniform in [A,B]                   (100)
  --duration S         measured seconds (10)            --warmup S      seconds before measuring (2)
  --requests N         measure N requests instead of a duration
  --warmup-requests N  warm up for N requests instead of --warmup seconds
  --prefill            store every key once before warm-up (pipelined)
  --prefill-only       prefill, report, exit            --prefill-depth N  (64)
  --cache-aside        on a get miss, set the key (hit-ratio workloads)
  --no-verify          do not check hit values against their key's checksum
  --rate R             open loop: R requests/s in total, latency from the intended send time
  --server-pid PID     report the server's CPU time (utime+stime) and RSS over the window
  --json FILE          write the full result as JSON ("-" = stdout)
  --label TEXT         copied into the JSON             --seed N        random seed (1)
  --max-seconds S      hard bound on the whole run (1800)
)";

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0' || *s == '-') return false;
  *out = v;
  return true;
}

bool ParseDouble(const char* s, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

bool ParseInt(const char* s, int* out, int lo, int hi) {
  uint64_t v = 0;
  if (!ParseU64(s, &v) || v < static_cast<uint64_t>(lo) || v > static_cast<uint64_t>(hi)) {
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

const char* BenchUsage() { return kUsage; }

Status ParseBenchOptions(int argc, char** argv, BenchOptions* o, bool* help) {
  enum {
    kHost = 256,
    kPort,
    kProtocol,
    kThreads,
    kConns,
    kDepth,
    kMultiget,
    kRatio,
    kKeys,
    kKeySize,
    kDist,
    kZipfS,
    kValueSize,
    kDuration,
    kWarmup,
    kRequests,
    kPrefill,
    kPrefillOnly,
    kWarmupRequests,
    kPrefillDepth,
    kCacheAside,
    kNoVerify,
    kRate,
    kServerPid,
    kJson,
    kLabel,
    kSeed,
    kMaxSeconds,
    kHelp,
  };
  static const option kLong[] = {
      {"host", required_argument, nullptr, kHost},
      {"port", required_argument, nullptr, kPort},
      {"protocol", required_argument, nullptr, kProtocol},
      {"threads", required_argument, nullptr, kThreads},
      {"conns", required_argument, nullptr, kConns},
      {"depth", required_argument, nullptr, kDepth},
      {"multiget", required_argument, nullptr, kMultiget},
      {"ratio", required_argument, nullptr, kRatio},
      {"keys", required_argument, nullptr, kKeys},
      {"key-size", required_argument, nullptr, kKeySize},
      {"dist", required_argument, nullptr, kDist},
      {"zipf-s", required_argument, nullptr, kZipfS},
      {"value-size", required_argument, nullptr, kValueSize},
      {"duration", required_argument, nullptr, kDuration},
      {"warmup", required_argument, nullptr, kWarmup},
      {"requests", required_argument, nullptr, kRequests},
      {"prefill", no_argument, nullptr, kPrefill},
      {"prefill-only", no_argument, nullptr, kPrefillOnly},
      {"warmup-requests", required_argument, nullptr, kWarmupRequests},
      {"prefill-depth", required_argument, nullptr, kPrefillDepth},
      {"cache-aside", no_argument, nullptr, kCacheAside},
      {"no-verify", no_argument, nullptr, kNoVerify},
      {"rate", required_argument, nullptr, kRate},
      {"server-pid", required_argument, nullptr, kServerPid},
      {"json", required_argument, nullptr, kJson},
      {"label", required_argument, nullptr, kLabel},
      {"seed", required_argument, nullptr, kSeed},
      {"max-seconds", required_argument, nullptr, kMaxSeconds},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  *help = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1) {
    const char* a = optarg;
    bool ok = true;
    uint64_t u = 0;
    switch (c) {
      case kHost:
        o->host = a;
        break;
      case kPort:
        ok = ParseInt(a, &o->port, 1, 65535);
        break;
      case kProtocol:
        if (std::string_view(a) == "text")
          o->protocol = Protocol::kText;
        else if (std::string_view(a) == "meta")
          o->protocol = Protocol::kMeta;
        else
          ok = false;
        break;
      case kThreads:
        ok = ParseInt(a, &o->threads, 1, 256);
        break;
      case kConns:
        ok = ParseInt(a, &o->conns, 1, 10000);
        break;
      case kDepth:
        ok = ParseInt(a, &o->depth, 1, 4096);
        break;
      case kMultiget:
        ok = ParseInt(a, &o->multiget, 1, 10000);
        break;
      case kRatio: {
        unsigned s = 0, g = 0;
        char tail = 0;
        ok = std::sscanf(a, "%u:%u%c", &s, &g, &tail) == 2 && s + g > 0;
        o->set_ratio = s;
        o->get_ratio = g;
        break;
      }
      case kKeys:
        ok = ParseU64(a, &o->keys) && o->keys > 0;
        break;
      case kKeySize:
        ok = ParseU64(a, &u) && u <= 250;
        o->key_size = u;
        break;
      case kDist:
        if (std::string_view(a) == "uniform")
          o->zipf = false;
        else if (std::string_view(a) == "zipf")
          o->zipf = true;
        else
          ok = false;
        break;
      case kZipfS:
        ok = ParseDouble(a, &o->zipf_s) && o->zipf_s > 0;
        break;
      case kValueSize: {
        unsigned long lo = 0, hi = 0;
        char tail = 0;
        if (std::sscanf(a, "%lu-%lu%c", &lo, &hi, &tail) == 2) {
          ok = lo <= hi;
        } else if (std::sscanf(a, "%lu%c", &lo, &tail) == 1) {
          hi = lo;
        } else {
          ok = false;
        }
        ok = ok && hi <= (64ul << 20);
        o->value_min = lo;
        o->value_max = hi;
        break;
      }
      case kDuration:
        ok = ParseDouble(a, &o->duration_s);
        break;
      case kWarmup:
        ok = ParseDouble(a, &o->warmup_s);
        break;
      case kRequests:
        ok = ParseU64(a, &o->requests);
        break;
      case kWarmupRequests:
        ok = ParseU64(a, &o->warmup_requests);
        break;
      case kPrefill:
        o->prefill = true;
        break;
      case kPrefillOnly:
        o->prefill = o->prefill_only = true;
        break;
      case kPrefillDepth:
        ok = ParseInt(a, &o->prefill_depth, 1, 4096);
        break;
      case kCacheAside:
        o->cache_aside = true;
        break;
      case kNoVerify:
        o->verify = false;
        break;
      case kRate:
        ok = ParseDouble(a, &o->rate);
        break;
      case kServerPid:
        ok = ParseInt(a, &o->server_pid, 1, 1 << 30);
        break;
      case kJson:
        o->json_path = a;
        break;
      case kLabel:
        o->label = a;
        break;
      case kSeed:
        ok = ParseU64(a, &o->seed);
        break;
      case kMaxSeconds:
        ok = ParseDouble(a, &o->max_seconds) && o->max_seconds > 0;
        break;
      case kHelp:
      case 'h':
        *help = true;
        return Status::Ok();
      default:
        return Status::InvalidArgument("unknown option (see --help)");
    }
    if (!ok) {
      const char* name = "?";
      for (const option* l = kLong; l->name != nullptr; ++l) {
        if (l->val == c) name = l->name;
      }
      return Status::InvalidArgument(std::string("bad value for --") + name + ": " + (a ? a : ""));
    }
  }
  if (optind < argc)
    return Status::InvalidArgument(std::string("unexpected argument ") + argv[optind]);
  if (o->key_size < KeySpace::MinKeySize(o->keys)) {
    return Status::InvalidArgument("--key-size too small for --keys (need " +
                                   std::to_string(KeySpace::MinKeySize(o->keys)) + ")");
  }
  if (o->protocol == Protocol::kMeta && o->multiget > 1) {
    return Status::InvalidArgument("--multiget > 1 needs --protocol text");
  }
  if (o->cache_aside && o->multiget > 1) {
    return Status::InvalidArgument("--cache-aside needs --multiget 1");
  }
  return Status::Ok();
}

}  // namespace memfleet::bench
