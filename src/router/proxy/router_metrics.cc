// Router::RenderMetrics: the Prometheus text exposition of the router's counters. Names follow
// Prometheus conventions (base units, _total for counters) under the memfleet_router_ prefix.
#include <cstdio>
#include <map>

#include "net/http_exposition.h"
#include "router/proxy/router.h"

namespace memfleet::router {
namespace {

using net::Exposition;
using net::MetricType;

}  // namespace

std::string Router::RenderMetrics() {
  Exposition e;
  auto sum = [this](Counter WorkerStats::*field) {
    uint64_t v = 0;
    for (auto& w : workers_) v += (w->stats().*field).Get();
    return static_cast<double>(v);
  };

  e.Family("memfleet_router_requests_total", MetricType::kCounter,
           "Client requests routed, by operation (a multi-get counts once).");
  for (int op = 0; op <= static_cast<int>(Op::kMetaDebug); ++op) {
    uint64_t v = 0;
    for (auto& w : workers_) {
      v += w->stats().requests_by_op[static_cast<size_t>(op)].Get();
    }
    e.Sample("memfleet_router_requests_total",
             Exposition::Label("op", protocol::OpName(static_cast<Op>(op))),
             static_cast<double>(v));
  }
  e.Family("memfleet_router_results_total", MetricType::kCounter,
           "Replies given to clients, by result (each key of a multi-get counts).");
  for (int code = 0; code <= static_cast<int>(ResultCode::kTko); ++code) {
    uint64_t v = 0;
    for (auto& w : workers_) {
      v += w->stats().results_by_code[static_cast<size_t>(code)].Get();
    }
    e.Sample("memfleet_router_results_total",
             Exposition::Label("result", protocol::ResultCodeName(static_cast<ResultCode>(code))),
             static_cast<double>(v));
  }
  e.Family("memfleet_router_client_connections", MetricType::kGauge,
           "Client connections open now.");
  e.Sample("memfleet_router_client_connections", "", sum(&WorkerStats::curr_connections));
  e.Family("memfleet_router_client_connections_total", MetricType::kCounter,
           "Client connections accepted.");
  e.Sample("memfleet_router_client_connections_total", "", sum(&WorkerStats::total_connections));
  e.Family("memfleet_router_requests_in_flight", MetricType::kGauge,
           "Client requests being routed now.");
  e.Sample("memfleet_router_requests_in_flight", "", sum(&WorkerStats::requests_in_flight));
  e.Family("memfleet_router_client_bytes_read_total", MetricType::kCounter,
           "Bytes read from clients.");
  e.Sample("memfleet_router_client_bytes_read_total", "", sum(&WorkerStats::bytes_read));
  e.Family("memfleet_router_client_bytes_written_total", MetricType::kCounter,
           "Bytes written to clients.");
  e.Sample("memfleet_router_client_bytes_written_total", "", sum(&WorkerStats::bytes_written));

  std::vector<ProxyWorker::ServerSnapshot> servers = ServerTotals();
  auto server_labels = [](const ProxyWorker::ServerSnapshot& s) {
    return Exposition::Label("server", s.address) + "," + Exposition::Label("pool", s.pool);
  };
  e.Family("memfleet_router_upstream_up", MetricType::kGauge,
           "1 when the router has a connection up to the upstream server, else 0.");
  for (const auto& s : servers)
    e.Sample("memfleet_router_upstream_up", server_labels(s), s.conn_state == "up");
  e.Family("memfleet_router_upstream_health", MetricType::kGauge,
           "1 for the server's health state (up, down: failing fast, recovering, resyncing), 0 "
           "for the others.");
  for (const auto& s : servers) {
    for (const char* state : {"up", "down", "recovering", "resyncing"}) {
      e.Sample("memfleet_router_upstream_health",
               server_labels(s) + ",state=\"" + std::string(state) + "\"", s.state == state);
    }
  }
  e.Family("memfleet_router_upstream_health_change_timestamp_seconds", MetricType::kGauge,
           "Unix time of the server's last health change (0: none since start).");
  for (const auto& s : servers) {
    e.Sample("memfleet_router_upstream_health_change_timestamp_seconds", server_labels(s),
             static_cast<double>(s.last_change));
  }
  struct HealthCounter {
    const char* name;
    const char* help;
    uint64_t ProxyWorker::ServerSnapshot::*field;
  };
  static constexpr HealthCounter kHealthCounters[] = {
      {"memfleet_router_upstream_soft_errors_total",
       "Timeouts of requests and heartbeats (soft errors: a streak marks the server down).",
       &ProxyWorker::ServerSnapshot::soft_errors},
      {"memfleet_router_upstream_hard_errors_total",
       "Connections to the server lost or not made (hard errors: mark it down at once).",
       &ProxyWorker::ServerSnapshot::hard_errors},
      {"memfleet_router_upstream_fail_fast_total",
       "Requests answered at once without being sent, the server being down (TKO).",
       &ProxyWorker::ServerSnapshot::fail_fast},
      {"memfleet_router_upstream_probes_total", "Probes sent to the server while it was down.",
       &ProxyWorker::ServerSnapshot::probes},
      {"memfleet_router_upstream_probes_failed_total", "Probes that got no good reply.",
       &ProxyWorker::ServerSnapshot::probes_failed},
      {"memfleet_router_upstream_heartbeats_total", "Heartbeats sent on idle connections.",
       &ProxyWorker::ServerSnapshot::heartbeats},
      {"memfleet_router_upstream_heartbeat_failures_total",
       "Heartbeats that timed out or lost their connection.",
       &ProxyWorker::ServerSnapshot::heartbeat_failures},
  };
  for (const HealthCounter& c : kHealthCounters) {
    e.Family(c.name, MetricType::kCounter, c.help);
    for (const auto& s : servers)
      e.Sample(c.name, server_labels(s), static_cast<double>(s.*c.field));
  }
  e.Family("memfleet_router_upstream_requests_total", MetricType::kCounter,
           "Requests sent to the server.");
  for (const auto& s : servers) {
    e.Sample("memfleet_router_upstream_requests_total", server_labels(s),
             static_cast<double>(s.requests));
  }
  e.Family("memfleet_router_upstream_errors_total", MetricType::kCounter,
           "Requests to the server that failed (remote error, timeout, connection error).");
  for (const auto& s : servers) {
    e.Sample("memfleet_router_upstream_errors_total", server_labels(s),
             static_cast<double>(s.errors));
  }
  e.Family("memfleet_router_upstream_timeouts_total", MetricType::kCounter,
           "Requests to the server that got no reply within the server timeout.");
  for (const auto& s : servers) {
    e.Sample("memfleet_router_upstream_timeouts_total", server_labels(s),
             static_cast<double>(s.timeouts));
  }
  e.Family("memfleet_router_upstream_in_flight", MetricType::kGauge,
           "Requests waiting for the server.");
  for (const auto& s : servers) {
    e.Sample("memfleet_router_upstream_in_flight", server_labels(s),
             static_cast<double>(s.in_flight));
  }

  // Write logs (--write-log-dir): one series per logged server, labelled by its address.
  std::vector<writelog::WriteLogStats> logs = WriteLogTotals();
  struct LogSeries {
    const char* name;
    MetricType type;
    const char* help;
    double (*value)(const writelog::WriteLogStats&);
  };
  static constexpr LogSeries kLogSeries[] = {
      {"memfleet_router_write_log_records", MetricType::kGauge,
       "Writes in the server's write log not yet replayed.",
       [](const writelog::WriteLogStats& w) { return static_cast<double>(w.records); }},
      {"memfleet_router_write_log_bytes", MetricType::kGauge,
       "Size of the server's write log file.",
       [](const writelog::WriteLogStats& w) { return static_cast<double>(w.bytes); }},
      {"memfleet_router_write_log_appended_total", MetricType::kCounter,
       "Writes the server missed, appended to its write log.",
       [](const writelog::WriteLogStats& w) { return static_cast<double>(w.appended); }},
      {"memfleet_router_write_log_replayed_total", MetricType::kCounter,
       "Logged writes replayed to the server.",
       [](const writelog::WriteLogStats& w) { return static_cast<double>(w.replayed); }},
      {"memfleet_router_write_log_dropped_total", MetricType::kCounter,
       "Writes the server's log lost (its bound passed, an I/O error).",
       [](const writelog::WriteLogStats& w) { return static_cast<double>(w.dropped); }},
      {"memfleet_router_write_log_needs_resync", MetricType::kGauge,
       "1 when the server's log overflowed or was damaged: it is flushed, not replayed.",
       [](const writelog::WriteLogStats& w) { return w.needs_resync ? 1.0 : 0.0; }},
  };
  for (const LogSeries& series : kLogSeries) {
    e.Family(series.name, series.type, series.help);
    for (const auto& l : logs) {
      e.Sample(series.name, Exposition::Label("server", l.address), series.value(l));
    }
  }

  // Resyncs of logged servers that came back empty (router/resync/).
  struct ResyncSeries {
    const char* name;
    MetricType type;
    const char* help;
    uint64_t resync::ReplicaResync::Stats::*field;
  };
  static constexpr ResyncSeries kResyncSeries[] = {
      {"memfleet_router_resync_restarts_total", MetricType::kCounter,
       "Times the server came back as a new process.", &resync::ReplicaResync::Stats::restarts},
      {"memfleet_router_resyncs_total", MetricType::kCounter,
       "Copies from a healthy replica completed for the server.",
       &resync::ReplicaResync::Stats::resyncs},
      {"memfleet_router_resync_failures_total", MetricType::kCounter,
       "Copies to the server that failed.", &resync::ReplicaResync::Stats::failures},
      {"memfleet_router_resync_fallbacks_total", MetricType::kCounter,
       "Returns with no healthy replica to copy from (replayed or flushed, left to refill).",
       &resync::ReplicaResync::Stats::fallbacks},
      {"memfleet_router_resync_keys_total", MetricType::kCounter, "Keys copied to the server.",
       &resync::ReplicaResync::Stats::keys},
      {"memfleet_router_resync_bytes_total", MetricType::kCounter,
       "Value bytes copied to the server.", &resync::ReplicaResync::Stats::bytes},
  };
  if (resync_ != nullptr) {
    std::vector<std::pair<std::string, resync::ReplicaResync::Stats>> rs;
    for (const auto& l : logs) {
      resync::ReplicaResync::Stats r;
      if (resync_->StatsFor(l.address, &r)) rs.emplace_back(l.address, r);
    }
    for (const ResyncSeries& series : kResyncSeries) {
      e.Family(series.name, series.type, series.help);
      for (const auto& [address, r] : rs) {
        e.Sample(series.name, Exposition::Label("server", address),
                 static_cast<double>(r.*series.field));
      }
    }
  }

  // Latency per pool: the servers' histograms summed by pool.
  struct PoolHist {
    std::array<uint64_t, kLatencyBuckets> buckets{};
    uint64_t count = 0;
    uint64_t sum_us = 0;
  };
  std::map<std::string, PoolHist> pools;
  for (const auto& s : servers) {
    PoolHist& p = pools[s.pool];
    for (size_t b = 0; b < kLatencyBuckets; ++b) {
      p.buckets[b] += s.latency_buckets[b];
      p.count += s.latency_buckets[b];
    }
    p.sum_us += s.latency_us_total;
  }
  e.Family("memfleet_router_pool_request_duration_seconds", MetricType::kHistogram,
           "Time from sending a request to a pool's server to its reply.");
  for (const auto& [name, p] : pools) {
    std::string pool = Exposition::Label("pool", name);
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kLatencyBuckets; ++b) {
      cumulative += p.buckets[b];
      char le[32];
      if (b + 1 < kLatencyBuckets) {
        snprintf(le, sizeof(le), "%g", static_cast<double>(kLatencyBucketsUs[b]) / 1e6);
      } else {
        snprintf(le, sizeof(le), "+Inf");
      }
      e.Sample("memfleet_router_pool_request_duration_seconds_bucket", pool + ",le=\"" + le + "\"",
               static_cast<double>(cumulative));
    }
    e.Sample("memfleet_router_pool_request_duration_seconds_sum", pool,
             static_cast<double>(p.sum_us) / 1e6);
    e.Sample("memfleet_router_pool_request_duration_seconds_count", pool,
             static_cast<double>(p.count));
  }

  e.Family("memfleet_router_config_reloads_total", MetricType::kCounter,
           "Configs loaded by a reload.");
  e.Sample("memfleet_router_config_reloads_total", "", static_cast<double>(reloads_.load()));
  e.Family("memfleet_router_config_reload_failures_total", MetricType::kCounter,
           "Reloads refused (the config was invalid; the running one stayed).");
  e.Sample("memfleet_router_config_reload_failures_total", "",
           static_cast<double>(reload_failures_.load()));
  e.Family("memfleet_router_config_last_reload_timestamp_seconds", MetricType::kGauge,
           "Unix time of the last successful reload (0: none since start).");
  e.Sample("memfleet_router_config_last_reload_timestamp_seconds", "",
           static_cast<double>(last_reload_time_.load()));
  std::shared_ptr<const RouteTree> t = tree();
  e.Family("memfleet_router_config_info", MetricType::kGauge,
           "The running config (its md5 as a label).");
  e.Sample("memfleet_router_config_info", Exposition::Label("md5", t->md5()), 1);
  e.Family("memfleet_router_upstream_servers", MetricType::kGauge,
           "Servers in the running config.");
  e.Sample("memfleet_router_upstream_servers", "", static_cast<double>(t->servers().size()));
  return e.Take();
}

}  // namespace memfleet::router
