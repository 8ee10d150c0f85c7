// memfleetd's Prometheus metrics (-o metrics_port): the `stats`, `stats settings`, `stats slabs`
// and `stats items` replies rendered as the text exposition format.
//
// The names, labels and meanings are those of the Prometheus memcached exporter
// (github.com/prometheus/memcached_exporter: memcached_up, memcached_commands_total{command,
// status}, memcached_slab_*{slab}, ...), so that dashboards and alerts built on it keep working
// when memfleetd answers the scrape itself. Stats the exporter leaves out are exposed too, as
// memcached_<stat> (with _total for counters); memfleetd's own additions are memfleetd_*. Every
// value is the very text `stats` prints for the same instant (the renderer does not recount), so
// /metrics and `stats` agree; the mapping and its few deliberate differences from the exporter
// are in docs/compatibility.md.
//
// RenderMetrics is a pure function of a StatsSnapshot (any thread). CollectStats reads the
// server's stats through the same calls the `stats` commands make, which are safe from any
// thread (per-worker counters are relaxed atomics summed on read; the engine takes its own
// locks); the server calls it on its main thread when a scrape arrives.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace memfleet::server {

class Server;

using StatLines = std::vector<std::pair<std::string, std::string>>;

// The four stats replies, as `STAT name value` pairs in the order the server prints them.
struct StatsSnapshot {
  StatLines general;             // `stats`
  StatLines settings;            // `stats settings`
  StatLines slabs;               // `stats slabs`
  StatLines items;               // `stats items`
  std::string memfleet_version;  // for memfleetd_build_info; omitted when empty
};

StatsSnapshot CollectStats(Server& server);

// The exposition text. unmapped (optional) receives the names of numeric stats the renderer has
// no typed mapping for; they are still exposed, as untyped memcached_<stat> samples.
std::string RenderMetrics(const StatsSnapshot& stats, std::vector<std::string>* unmapped = nullptr);

}  // namespace memfleet::server
