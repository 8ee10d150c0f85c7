// memfleet-bench: a load generator for memcached-protocol servers. See options.cc for the flags
// and docs/benchmarks.md for how bench/compare uses it.
#include <cstdio>
#include <string>

#include "load_generator.h"
#include "options.h"

namespace memfleet::bench {
namespace {

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ToJson(const BenchOptions& o, const BenchResult& r, bool ok) {
  const double secs = r.measured_s > 0 ? r.measured_s : 1;
  const uint64_t lookups = r.hits + r.misses;
  auto us = [&](double p) { return static_cast<double>(r.latency.ValueAtPercentile(p)) / 1000.0; };
  std::string j;
  char buf[512];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof(buf), fmt, args...);
    j += buf;
  };
  j += "{\n";
  add("  \"label\": \"%s\",\n  \"ok\": %s,\n", JsonEscape(o.label).c_str(), ok ? "true" : "false");
  add("  \"config\": {\"host\": \"%s\", \"port\": %d, \"protocol\": \"%s\", \"threads\": %d, "
      "\"conns_per_thread\": %d, \"depth\": %d, \"multiget\": %d, \"set_ratio\": %u, "
      "\"get_ratio\": %u,\n",
      JsonEscape(o.host).c_str(), o.port, o.protocol == Protocol::kMeta ? "meta" : "text",
      o.threads, o.conns, o.depth, o.multiget, o.set_ratio, o.get_ratio);
  add("    \"keys\": %llu, \"key_size\": %zu, \"dist\": \"%s\", \"zipf_s\": %g, "
      "\"value_min\": %zu, \"value_max\": %zu, \"duration_s\": %g, \"warmup_s\": %g, "
      "\"warmup_requests\": %llu, "
      "\"requests\": %llu,\n",
      static_cast<unsigned long long>(o.keys), o.key_size, o.zipf ? "zipf" : "uniform", o.zipf_s,
      o.value_min, o.value_max, o.duration_s, o.warmup_s,
      static_cast<unsigned long long>(o.warmup_requests),
      static_cast<unsigned long long>(o.requests));
  add("    \"prefill\": %s, \"cache_aside\": %s, \"verify\": %s, \"rate\": %g, \"server_pid\": "
      "%d},\n",
      o.prefill ? "true" : "false", o.cache_aside ? "true" : "false", o.verify ? "true" : "false",
      o.rate, o.server_pid);
  add("  \"measured_s\": %.6f,\n  \"prefill_s\": %.3f,\n  \"prefill_keys\": %llu,\n", r.measured_s,
      r.prefill_s, static_cast<unsigned long long>(r.prefill_keys));
  add("  \"requests\": %llu,\n  \"throughput_rps\": %.1f,\n",
      static_cast<unsigned long long>(r.requests), static_cast<double>(r.requests) / secs);
  add("  \"get_keys\": %llu,\n  \"keys_per_s\": %.1f,\n  \"hits\": %llu,\n  \"misses\": %llu,\n",
      static_cast<unsigned long long>(r.get_keys), static_cast<double>(r.get_keys) / secs,
      static_cast<unsigned long long>(r.hits), static_cast<unsigned long long>(r.misses));
  add("  \"hit_ratio\": %.6f,\n", lookups ? static_cast<double>(r.hits) / lookups : 0.0);
  add("  \"sets\": %llu,\n  \"set_failed\": %llu,\n  \"errors\": %llu,\n",
      static_cast<unsigned long long>(r.sets), static_cast<unsigned long long>(r.set_failed),
      static_cast<unsigned long long>(r.errors));
  add("  \"connection_errors\": %llu,\n  \"verified\": %llu,\n  \"verify_failures\": %llu,\n",
      static_cast<unsigned long long>(r.connection_errors),
      static_cast<unsigned long long>(r.verified),
      static_cast<unsigned long long>(r.verify_failures));
  add("  \"latency_us\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"p999\": %.2f, "
      "\"max\": %.2f, \"mean\": %.2f, \"min\": %.2f},\n",
      us(50), us(90), us(99), us(99.9), static_cast<double>(r.latency.max()) / 1000.0,
      r.latency.mean() / 1000.0, static_cast<double>(r.latency.min()) / 1000.0);
  if (r.server_cpu_s >= 0) {
    add("  \"server_cpu_s\": %.3f,\n  \"server_user_s\": %.3f,\n  \"server_sys_s\": %.3f,\n",
        r.server_cpu_s, r.server_user_s, r.server_sys_s);
    add("  \"server_cpu_us_per_request\": %.4f,\n",
        r.requests ? r.server_cpu_s * 1e6 / static_cast<double>(r.requests) : 0.0);
  } else {
    j += "  \"server_cpu_s\": null,\n  \"server_cpu_us_per_request\": null,\n";
  }
  add("  \"server_rss_kb\": {\"start\": %lld, \"after_prefill\": %lld, \"end\": %lld},\n",
      static_cast<long long>(r.server_rss_start_kb),
      static_cast<long long>(r.server_rss_prefill_kb), static_cast<long long>(r.server_rss_end_kb));
  add("  \"client_cpu_s\": %.3f,\n  \"client_cpu_us_per_request\": %.4f,\n", r.client_cpu_s,
      r.requests ? r.client_cpu_s * 1e6 / static_cast<double>(r.requests) : 0.0);
  add("  \"first_error\": \"%s\"\n}\n", JsonEscape(r.first_error.substr(0, 200)).c_str());
  return j;
}

}  // namespace
}  // namespace memfleet::bench

int main(int argc, char** argv) {
  using namespace memfleet::bench;
  BenchOptions opts;
  bool help = false;
  const memfleet::Status st = ParseBenchOptions(argc, argv, &opts, &help);
  if (help) {
    std::fputs(BenchUsage(), stdout);
    return 0;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "memfleet-bench: %s\n", st.message().c_str());
    return 2;
  }
  BenchResult r;
  const bool ok = RunLoad(opts, &r);
  const std::string json = ToJson(opts, r, ok);
  if (opts.json_path == "-") {
    std::fputs(json.c_str(), stdout);
  } else if (!opts.json_path.empty()) {
    FILE* f = std::fopen(opts.json_path.c_str(), "w");
    if (f == nullptr) {
      std::perror(opts.json_path.c_str());
      return 2;
    }
    std::fputs(json.c_str(), f);
    std::fclose(f);
  }
  const double secs = r.measured_s > 0 ? r.measured_s : 1;
  const uint64_t lookups = r.hits + r.misses;
  FILE* human = opts.json_path == "-" ? stderr : stdout;
  std::fprintf(
      human,
      "%s%s%.0f req/s  p50 %.1fus p99 %.1fus p99.9 %.1fus max %.1fus  hit %.4f  "
      "server cpu %s  client cpu %.2fus/req  errors %llu verify_fail %llu/%llu%s%s\n",
      opts.label.c_str(), opts.label.empty() ? "" : ": ", static_cast<double>(r.requests) / secs,
      static_cast<double>(r.latency.ValueAtPercentile(50)) / 1000.0,
      static_cast<double>(r.latency.ValueAtPercentile(99)) / 1000.0,
      static_cast<double>(r.latency.ValueAtPercentile(99.9)) / 1000.0,
      static_cast<double>(r.latency.max()) / 1000.0,
      lookups ? static_cast<double>(r.hits) / lookups : 0.0,
      r.server_cpu_s >= 0 && r.requests
          ? (std::to_string(r.server_cpu_s * 1e6 / static_cast<double>(r.requests)) + "us/req")
                .c_str()
          : "n/a",
      r.requests ? r.client_cpu_s * 1e6 / static_cast<double>(r.requests) : 0.0,
      static_cast<unsigned long long>(r.errors + r.connection_errors),
      static_cast<unsigned long long>(r.verify_failures),
      static_cast<unsigned long long>(r.verified),
      r.first_error.empty() ? "" : "  first: ", r.first_error.substr(0, 120).c_str());
  if (!ok) return 1;
  return r.verify_failures > 0 || r.connection_errors > 0 ? 3 : 0;
}
