#include "server/metrics.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "net/http_exposition.h"
#include "server/command_line.h"
#include "server/server.h"
#include "server/settings_stats.h"

namespace memfleet::server {
namespace {

using net::Exposition;
using net::MetricType;
constexpr MetricType kCounter = MetricType::kCounter;
constexpr MetricType kGauge = MetricType::kGauge;
constexpr MetricType kUntyped = MetricType::kUntyped;

// One stat, one metric. The help says what it counts; the stat's own name is appended to it.
struct Mapping {
  std::string_view stat;
  std::string_view metric;
  MetricType type;
  std::string_view help;
};

// A hit/miss/badval stat folded into commands_total{command,status}, as the exporter does.
struct CommandStat {
  std::string_view stat;
  std::string_view command;
  std::string_view status;
};

// `stats`, one metric each. The exporter's names first (same names, same meanings); the rest
// are the stats it leaves out, under memcached_<stat>.
constexpr Mapping kGeneral[] = {
    {"uptime", "memcached_uptime_seconds", kGauge, "Seconds since the server started."},
    {"time", "memcached_time_seconds", kGauge, "The server's current Unix time."},
    {"rusage_user", "memcached_process_user_cpu_seconds_total", kCounter,
     "User CPU time of the process."},
    {"rusage_system", "memcached_process_system_cpu_seconds_total", kCounter,
     "System CPU time of the process."},
    {"max_connections", "memcached_max_connections", kGauge,
     "Client connections allowed at once (-c)."},
    {"curr_connections", "memcached_current_connections", kGauge, "Client connections open now."},
    {"total_connections", "memcached_connections_total", kCounter,
     "Client connections accepted since start."},
    {"rejected_connections", "memcached_connections_rejected_total", kCounter,
     "Connections refused at the -c limit."},
    {"connection_structures", "memcached_connection_structures", kGauge,
     "Connection structures in use (connections and listeners)."},
    {"cmd_get", "memcached_cmd_get_total", kCounter, "Keys asked for by retrieval commands."},
    {"cmd_set", "memcached_cmd_set_total", kCounter, "Storage commands (cas included)."},
    {"cmd_flush", "memcached_cmd_flush_total", kCounter, "flush_all commands."},
    {"cmd_touch", "memcached_cmd_touch_total", kCounter, "Touch commands (touch, gat, gats)."},
    {"cmd_meta", "memcached_cmd_meta_total", kCounter, "Meta commands."},
    {"get_expired", "memcached_get_expired_total", kCounter,
     "Retrievals that found the item expired (counted in the get misses too)."},
    {"get_flushed", "memcached_get_flushed_total", kCounter,
     "Retrievals that found the item flushed (counted in the get misses too)."},
    {"store_too_large", "memcached_item_too_large_total", kCounter,
     "Stores refused because the item was larger than -I."},
    {"store_no_memory", "memcached_item_no_memory_total", kCounter,
     "Stores refused for lack of memory."},
    {"auth_cmds", "memcached_auth_commands_total", kCounter, "Authentication attempts."},
    {"auth_errors", "memcached_auth_errors_total", kCounter, "Failed authentication attempts."},
    {"bytes_read", "memcached_read_bytes_total", kCounter, "Bytes read from clients."},
    {"bytes_written", "memcached_written_bytes_total", kCounter, "Bytes written to clients."},
    {"limit_maxbytes", "memcached_limit_bytes", kGauge, "Item memory allowed (-m)."},
    {"accepting_conns", "memcached_accepting_connections", kGauge,
     "1 while the server accepts new connections."},
    {"listen_disabled_num", "memcached_connections_listener_disabled_total", kCounter,
     "Times the listener was disabled at the connection limit."},
    {"threads", "memcached_threads", kGauge, "Worker threads (-t)."},
    {"conn_yields", "memcached_connections_yielded_total", kCounter,
     "Times a connection yielded to others after -R requests."},
    {"hash_power_level", "memcached_hash_power_level", kGauge,
     "The hash table has 2^this buckets."},
    {"hash_bytes", "memcached_hash_bytes", kGauge, "Memory of the hash table."},
    {"hash_is_expanding", "memcached_hash_is_expanding", kGauge,
     "1 while the hash table is growing."},
    {"slab_reassign_rescues", "memcached_slab_reassign_rescues_total", kCounter,
     "Items moved off pages being reassigned."},
    {"slab_reassign_chunk_rescues", "memcached_slab_reassign_chunk_rescues_total", kCounter,
     "Chunks of chunked items moved off pages being reassigned."},
    {"slab_reassign_evictions_nomem", "memcached_slab_reassign_evictions_nomem_total", kCounter,
     "Items evicted during page moves for lack of room to rescue them."},
    {"slab_reassign_inline_reclaim", "memcached_slab_reassign_inline_reclaim_total", kCounter,
     "Pages reclaimed at once because they had no live item."},
    {"slab_reassign_busy_items", "memcached_slab_reassign_busy_items_total", kCounter,
     "Items a page move had to wait for (in use)."},
    {"slab_reassign_busy_deletes", "memcached_slab_reassign_busy_deletes_total", kCounter,
     "Items a page move had to wait to delete."},
    {"slab_reassign_running", "memcached_slab_reassign_running", kGauge,
     "1 while a page is being moved."},
    {"slabs_moved", "memcached_slabs_moved_total", kCounter, "Pages moved between slab classes."},
    {"lru_crawler_running", "memcached_lru_crawler_running", kGauge,
     "1 while the LRU crawler runs."},
    {"lru_crawler_starts", "memcached_lru_crawler_starts_total", kCounter,
     "LRU crawler runs started."},
    {"lru_maintainer_juggles", "memcached_lru_maintainer_juggles_total", kCounter,
     "Passes of the LRU maintainer."},
    {"malloc_fails", "memcached_malloc_fails_total", kCounter, "Failed memory allocations."},
    {"response_obj_oom", "memcached_response_obj_oom_total", kCounter,
     "Response objects that could not be allocated."},
    {"response_obj_count", "memcached_response_objects", kGauge, "Response objects in use."},
    {"response_obj_bytes", "memcached_response_obj_bytes", kGauge,
     "Bytes held by response objects."},
    {"read_buf_count", "memcached_read_buffers", kGauge, "Read buffers allocated."},
    {"read_buf_bytes", "memcached_read_buf_bytes", kGauge, "Bytes held by read buffers."},
    {"read_buf_bytes_free", "memcached_read_buf_bytes_free", kGauge,
     "Bytes of read buffers allocated but free."},
    {"read_buf_oom", "memcached_read_buf_oom_total", kCounter,
     "Read buffers that could not be allocated."},
    {"reserved_fds", "memcached_reserved_fds", kGauge,
     "File descriptors reserved for internal use."},
    {"log_worker_dropped", "memcached_log_worker_dropped_total", kCounter,
     "Watch log lines dropped by workers (buffer full)."},
    {"log_worker_written", "memcached_log_worker_written_total", kCounter,
     "Watch log lines written by workers."},
    {"log_watcher_skipped", "memcached_log_watcher_skipped_total", kCounter,
     "Watch log lines skipped by slow watchers."},
    {"log_watcher_sent", "memcached_log_watcher_sent_total", kCounter,
     "Watch log lines sent to watchers."},
    {"log_watchers", "memcached_log_watchers", kGauge, "Connections in watch mode now."},
    {"bytes", "memcached_current_bytes", kGauge, "Bytes used by the items stored now."},
    {"curr_items", "memcached_current_items", kGauge, "Items stored now."},
    {"total_items", "memcached_items_total", kCounter, "Items stored since start."},
    {"slab_global_page_pool", "memcached_slab_global_page_pool", kGauge,
     "Free pages not assigned to any slab class."},
    {"expired_unfetched", "memcached_items_expired_unfetched_total", kCounter,
     "Items that expired without ever being fetched."},
    {"evicted_unfetched", "memcached_items_evicted_unfetched_total", kCounter,
     "Items evicted without ever being fetched."},
    {"evicted_active", "memcached_items_evicted_active_total", kCounter,
     "Items evicted although recently active."},
    {"evictions", "memcached_items_evicted_total", kCounter,
     "Valid items removed to make room for new ones."},
    {"reclaimed", "memcached_items_reclaimed_total", kCounter,
     "Stores that reused the memory of an expired item."},
    {"crawler_reclaimed", "memcached_lru_crawler_reclaimed_total", kCounter,
     "Items freed by the LRU crawler."},
    {"crawler_items_checked", "memcached_lru_crawler_items_checked_total", kCounter,
     "Items examined by the LRU crawler."},
    {"lrutail_reflocked", "memcached_lrutail_reflocked_total", kCounter,
     "LRU tail items found in use when looking for one to evict."},
    {"moves_to_cold", "memcached_lru_crawler_moves_to_cold_total", kCounter,
     "Items moved from HOT or WARM to COLD."},
    {"moves_to_warm", "memcached_lru_crawler_moves_to_warm_total", kCounter,
     "Items moved from COLD to WARM."},
    {"moves_within_lru", "memcached_lru_crawler_moves_within_lru_total", kCounter,
     "Items bumped within HOT or WARM."},
    {"direct_reclaims", "memcached_direct_reclaims_total", kCounter,
     "Times a worker had to reclaim or evict an item itself."},
    {"lru_bumps_dropped", "memcached_lru_bumps_dropped_total", kCounter,
     "LRU bumps dropped because the queue was full."},
};

// `stats` lines with no metric of their own: text, constants, or read elsewhere.
constexpr std::string_view kGeneralSkipped[] = {
    "pid", "version", "libevent", "pointer_size", "time_in_listen_disabled_us",
    // The exporter reads these only from a memcached in proxy mode; always 0 here.
    "unexpected_napi_ids", "round_robin_fallback"};

constexpr CommandStat kCommands[] = {
    {"get_hits", "get", "hit"},        {"get_misses", "get", "miss"},
    {"delete_hits", "delete", "hit"},  {"delete_misses", "delete", "miss"},
    {"incr_hits", "incr", "hit"},      {"incr_misses", "incr", "miss"},
    {"decr_hits", "decr", "hit"},      {"decr_misses", "decr", "miss"},
    {"cas_hits", "cas", "hit"},        {"cas_misses", "cas", "miss"},
    {"cas_badval", "cas", "badval"},   {"touch_hits", "touch", "hit"},
    {"touch_misses", "touch", "miss"}, {"cmd_flush", "flush", "hit"},
};

// `stats settings` (the exporter's memcached_lru_crawler_* family and max connections).
constexpr Mapping kSettings[] = {
    {"lru_crawler", "memcached_lru_crawler_enabled", kGauge, "1 if the LRU crawler is enabled."},
    {"lru_crawler_sleep", "memcached_lru_crawler_sleep", kGauge,
     "Microseconds the LRU crawler sleeps between items."},
    {"lru_crawler_tocrawl", "memcached_lru_crawler_to_crawl", kGauge,
     "Most items the LRU crawler examines per class and run (0: all)."},
    {"lru_maintainer_thread", "memcached_lru_crawler_maintainer_thread", kGauge,
     "1 if the segmented LRU and its maintainer thread are on."},
    {"hot_lru_pct", "memcached_lru_crawler_hot_percent", kGauge,
     "Percent of a class's memory kept for the HOT LRU."},
    {"warm_lru_pct", "memcached_lru_crawler_warm_percent", kGauge,
     "Percent of a class's memory kept for the WARM LRU."},
    {"hot_max_factor", "memcached_lru_crawler_hot_max_factor", kGauge,
     "Items idle longer than COLD's age times this leave HOT."},
    {"warm_max_factor", "memcached_lru_crawler_warm_max_factor", kGauge,
     "Items idle longer than COLD's age times this leave WARM."},
};

// `stats slabs` N:field, labelled slab="N".
constexpr Mapping kSlabs[] = {
    {"chunk_size", "memcached_slab_chunk_size_bytes", kGauge, "Size of each chunk of the class."},
    {"chunks_per_page", "memcached_slab_chunks_per_page", kGauge, "Chunks in one page."},
    {"total_pages", "memcached_slab_current_pages", kGauge, "Pages assigned to the class."},
    {"total_chunks", "memcached_slab_current_chunks", kGauge, "Chunks in the class's pages."},
    {"used_chunks", "memcached_slab_chunks_used", kGauge, "Chunks holding items."},
    {"free_chunks", "memcached_slab_chunks_free", kGauge, "Chunks free for items."},
    {"free_chunks_end", "memcached_slab_chunks_free_end", kGauge,
     "Free chunks at the end of the last page."},
    {"mem_requested", "memcached_slab_mem_requested_bytes", kGauge,
     "Bytes the class's items take (their real size, not their chunks')."},
};

constexpr CommandStat kSlabCommands[] = {
    {"get_hits", "get", "hit"},     {"delete_hits", "delete", "hit"},
    {"incr_hits", "incr", "hit"},   {"decr_hits", "decr", "hit"},
    {"cas_hits", "cas", "hit"},     {"cas_badval", "cas", "badval"},
    {"touch_hits", "touch", "hit"},
};

// `stats items` items:N:field, labelled slab="N". The exporter types moves_* as counters without
// the _total suffix; under their names they are untyped here (see docs/compatibility.md).
constexpr Mapping kItems[] = {
    {"number", "memcached_slab_current_items", kGauge, "Items stored in the class now."},
    {"number_hot", "memcached_slab_hot_items", kGauge, "Items in the class's HOT LRU."},
    {"number_warm", "memcached_slab_warm_items", kGauge, "Items in the class's WARM LRU."},
    {"number_cold", "memcached_slab_cold_items", kGauge, "Items in the class's COLD LRU."},
    {"number_temp", "memcached_slab_temporary_items", kGauge,
     "Items in the class's TEMPORARY LRU."},
    {"age_hot", "memcached_slab_hot_age_seconds", kGauge, "Age of the oldest item in HOT."},
    {"age_warm", "memcached_slab_warm_age_seconds", kGauge, "Age of the oldest item in WARM."},
    {"age", "memcached_slab_items_age_seconds", kGauge, "Age of the oldest item in COLD."},
    {"mem_requested", "memcached_slab_mem_requested_bytes", kGauge,
     "Bytes the class's items take (their real size, not their chunks')."},
    {"evicted", "memcached_slab_items_evicted_total", kCounter,
     "Items evicted from the class before they expired."},
    {"evicted_nonzero", "memcached_slab_items_evicted_nonzero_total", kCounter,
     "Evicted items that had an expiration time."},
    {"evicted_time", "memcached_slab_items_evicted_time_seconds", kGauge,
     "Seconds since the last access of the last item evicted from the class."},
    {"outofmemory", "memcached_slab_items_outofmemory_total", kCounter,
     "Stores into the class that failed for lack of memory."},
    {"tailrepairs", "memcached_slab_items_tailrepairs_total", kCounter,
     "Items freed by tail repair."},
    {"reclaimed", "memcached_slab_items_reclaimed_total", kCounter,
     "Stores that reused an expired item's memory."},
    {"expired_unfetched", "memcached_slab_items_expired_unfetched_total", kCounter,
     "Items that expired without ever being fetched."},
    {"evicted_unfetched", "memcached_slab_items_evicted_unfetched_total", kCounter,
     "Items evicted without ever being fetched."},
    {"evicted_active", "memcached_slab_items_evicted_active_total", kCounter,
     "Items evicted although recently active."},
    {"crawler_reclaimed", "memcached_slab_items_crawler_reclaimed_total", kCounter,
     "Items freed by the LRU crawler."},
    {"crawler_items_checked", "memcached_slab_items_crawler_items_checked_total", kCounter,
     "Items examined by the LRU crawler."},
    {"lrutail_reflocked", "memcached_slab_items_lrutail_reflocked_total", kCounter,
     "LRU tail items found in use when looking for one to evict."},
    {"moves_to_cold", "memcached_slab_items_moves_to_cold", kUntyped,
     "Items moved from HOT or WARM to COLD (a counter)."},
    {"moves_to_warm", "memcached_slab_items_moves_to_warm", kUntyped,
     "Items moved from COLD to WARM (a counter)."},
    {"moves_within_lru", "memcached_slab_items_moves_within_lru", kUntyped,
     "Items bumped within HOT or WARM (a counter)."},
    {"direct_reclaims", "memcached_slab_items_direct_reclaims_total", kCounter,
     "Times a worker had to reclaim or evict an item of the class itself."},
};

constexpr std::pair<std::string_view, std::string_view> kLruHits[] = {
    {"hits_to_hot", "hot"},
    {"hits_to_warm", "warm"},
    {"hits_to_cold", "cold"},
    {"hits_to_temp", "temporary"},
};

// A number as the exposition format writes one (stats print integers and decimal fractions).
bool IsNumber(std::string_view v) {
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  return !v.empty() && ec == std::errc() && end == v.data() + v.size();
}

std::optional<uint64_t> ToU64(std::string_view v) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// "yes"/"no" (stats settings booleans) as 1/0; numbers as they are.
std::optional<std::string> SampleValue(std::string_view v) {
  if (v == "yes") return "1";
  if (v == "no") return "0";
  if (IsNumber(v)) return std::string(v);
  return std::nullopt;
}

// A stat name as a metric name: anything outside [a-zA-Z0-9_] becomes '_'.
std::string MetricName(std::string_view prefix, std::string_view stat) {
  std::string out(prefix);
  for (char c : stat) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  return out;
}

const Mapping* Find(std::span<const Mapping> table, std::string_view stat) {
  for (const Mapping& m : table) {
    if (m.stat == stat) return &m;
  }
  return nullptr;
}

// The families of one page, kept in first-seen order so that each family's samples are written
// together after its HELP and TYPE (the format requires it), whatever order the stats come in.
class Families {
 public:
  void Add(std::string_view metric, MetricType type, std::string_view help, std::string labels,
           std::string value) {
    auto [it, fresh] = index_.try_emplace(std::string(metric), families_.size());
    if (fresh) families_.push_back(Family{std::string(metric), type, std::string(help), {}});
    Family& f = families_[it->second];
    for (const auto& s : f.samples) {
      if (s.first == labels) return;  // the same series from two replies (mem_requested)
    }
    f.samples.emplace_back(std::move(labels), std::move(value));
  }
  void Add(const Mapping& m, std::string labels, std::string value) {
    std::string help(m.help);
    help += " (stat ";
    help += m.stat;
    help += ')';
    Add(m.metric, m.type, help, std::move(labels), std::move(value));
  }
  std::string Render() const {
    Exposition e;
    for (const Family& f : families_) {
      e.Family(f.name, f.type, f.help);
      for (const auto& [labels, value] : f.samples) e.SampleText(f.name, labels, value);
    }
    return e.Take();
  }

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::pair<std::string, std::string>> samples;  // labels, value
  };
  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;
};

using StatMap = std::unordered_map<std::string_view, std::string_view>;

uint64_t Get(const StatMap& m, std::string_view name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : ToU64(it->second).value_or(0);
}

// memcached counts a cas in cmd_set too; the exporter's set/hit is cmd_set less every cas.
std::string SetsWithoutCas(const StatMap& m, std::initializer_list<std::string_view> cas) {
  uint64_t sets = Get(m, "cmd_set");
  uint64_t c = 0;
  for (std::string_view n : cas) c += Get(m, n);
  return std::to_string(sets > c ? sets - c : 0);
}

void AddCommands(Families& f, const StatMap& m, std::span<const CommandStat> table,
                 std::string_view metric, std::string_view help, const std::string& slab_label,
                 std::initializer_list<std::string_view> cas) {
  auto labels = [&](std::string_view command, std::string_view status) {
    std::string l = slab_label;
    if (!l.empty()) l += ',';
    return l + Exposition::Label("command", command) + "," + Exposition::Label("status", status);
  };
  for (const CommandStat& c : table) {
    auto it = m.find(c.stat);
    if (it == m.end() || !IsNumber(it->second)) continue;
    f.Add(metric, kCounter, help, labels(c.command, c.status), std::string(it->second));
  }
  if (m.contains("cmd_set")) {
    f.Add(metric, kCounter, help, labels("set", "hit"), SetsWithoutCas(m, cas));
  }
}

void RenderGeneral(Families& f, const StatLines& lines, std::vector<std::string>* unmapped) {
  StatMap m;
  for (const auto& [name, value] : lines) m.emplace(name, value);
  if (auto v = m.find("version"); v != m.end()) {
    f.Add("memcached_version", kGauge, "The memcached version the server speaks (stat version).",
          Exposition::Label("version", v->second), "1");
  }
  AddCommands(f, m, kCommands, "memcached_commands_total",
              "Requests by command and result (stats <command>_hits, _misses, cas_badval, "
              "cmd_flush; set: cmd_set less every cas).",
              "", {"cas_misses", "cas_hits", "cas_badval"});
  for (const auto& [name, value] : lines) {
    if (const Mapping* mapping = Find(kGeneral, name)) {
      if (IsNumber(value)) f.Add(*mapping, "", value);
      continue;
    }
    bool consumed = false;
    for (const CommandStat& c : kCommands) consumed = consumed || c.stat == name;
    for (std::string_view s : kGeneralSkipped) consumed = consumed || s == name;
    if (consumed || !IsNumber(value)) continue;
    f.Add(MetricName("memcached_", name), kUntyped, "A stats value with no typed mapping.", "",
          value);
    if (unmapped != nullptr) unmapped->push_back(name);
  }
  // time_in_listen_disabled_us in the base unit.
  if (auto v = m.find("time_in_listen_disabled_us"); v != m.end()) {
    if (auto us = ToU64(v->second)) {
      char buf[32];
      snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(*us) / 1e6);
      f.Add("memcached_listen_disabled_seconds_total", kCounter,
            "Time the listener spent disabled at the connection limit (stat "
            "time_in_listen_disabled_us, in seconds).",
            "", buf);
    }
  }
}

void RenderSettings(Families& f, const StatLines& lines) {
  for (const auto& [name, value] : lines) {
    const Mapping* mapping = Find(kSettings, name);
    if (mapping == nullptr) continue;
    if (std::optional<std::string> v = SampleValue(value)) f.Add(*mapping, "", *v);
  }
}

// Splits "N:field" (after prefix) into the class number and the field.
bool SplitClass(std::string_view name, std::string_view prefix, std::string_view* cls,
                std::string_view* field) {
  if (!name.starts_with(prefix)) return false;
  name.remove_prefix(prefix.size());
  size_t colon = name.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  *cls = name.substr(0, colon);
  *field = name.substr(colon + 1);
  return ToU64(*cls).has_value();
}

// Per-class stats grouped by class, classes in the order they came.
std::vector<std::pair<std::string_view, StatMap>> ByClass(const StatLines& lines,
                                                          std::string_view prefix) {
  std::vector<std::pair<std::string_view, StatMap>> out;
  for (const auto& [name, value] : lines) {
    std::string_view cls, field;
    if (!SplitClass(name, prefix, &cls, &field)) continue;
    if (out.empty() || out.back().first != cls) out.emplace_back(cls, StatMap{});
    out.back().second.emplace(field, value);
  }
  return out;
}

void RenderPerClass(Families& f, const std::vector<std::pair<std::string_view, StatMap>>& classes,
                    std::span<const Mapping> table, std::string_view fallback_prefix,
                    std::span<const std::string_view> consumed,
                    std::vector<std::string>* unmapped) {
  // Family-major, so that a family's samples stay together in the classes' order.
  for (const Mapping& m : table) {
    for (const auto& [cls, stats] : classes) {
      auto it = stats.find(m.stat);
      if (it != stats.end() && IsNumber(it->second)) {
        f.Add(m, Exposition::Label("slab", cls), std::string(it->second));
      }
    }
  }
  for (const auto& [cls, stats] : classes) {
    for (const auto& [field, value] : stats) {
      bool known = Find(table, field) != nullptr;
      for (std::string_view c : consumed) known = known || c == field;
      if (known || !IsNumber(value)) continue;
      f.Add(MetricName(fallback_prefix, field), kUntyped, "A stats value with no typed mapping.",
            Exposition::Label("slab", cls), std::string(value));
      if (unmapped != nullptr) unmapped->push_back(std::string(field));
    }
  }
}

void RenderSlabs(Families& f, const StatLines& lines, std::vector<std::string>* unmapped) {
  auto classes = ByClass(lines, "");
  static constexpr std::string_view kConsumed[] = {"get_hits",   "delete_hits", "incr_hits",
                                                   "decr_hits",  "cas_hits",    "cas_badval",
                                                   "touch_hits", "cmd_set"};
  RenderPerClass(f, classes, kSlabs, "memcached_slab_", kConsumed, unmapped);
  for (const auto& [cls, stats] : classes) {
    AddCommands(f, stats, kSlabCommands, "memcached_slab_commands_total",
                "Requests by class, command and result (stats slabs N:<command>_hits, "
                "cas_badval; set: cmd_set less every cas).",
                Exposition::Label("slab", cls), {"cas_hits", "cas_badval"});
  }
  for (const auto& [name, value] : lines) {
    if (!IsNumber(value)) continue;
    if (name == "total_malloced") {
      f.Add("memcached_malloced_bytes", kGauge,
            "Memory assigned to slab pages (stats slabs total_malloced).", "", value);
    } else if (name == "active_slabs") {
      f.Add("memcached_active_slabs", kGauge,
            "Slab classes with at least one page (stats slabs active_slabs).", "", value);
    }
  }
}

void RenderItems(Families& f, const StatLines& lines, std::vector<std::string>* unmapped) {
  auto classes = ByClass(lines, "items:");
  static constexpr std::string_view kConsumed[] = {"hits_to_hot", "hits_to_warm", "hits_to_cold",
                                                   "hits_to_temp"};
  RenderPerClass(f, classes, kItems, "memcached_slab_items_", kConsumed, unmapped);
  for (const auto& [stat, lru] : kLruHits) {
    for (const auto& [cls, stats] : classes) {
      auto it = stats.find(stat);
      if (it == stats.end() || !IsNumber(it->second)) continue;
      f.Add("memcached_slab_lru_hits_total", kCounter,
            "Get hits by class and LRU segment (stats items N:hits_to_<lru>).",
            Exposition::Label("slab", cls) + "," + Exposition::Label("lru", lru),
            std::string(it->second));
    }
  }
}

}  // namespace

StatsSnapshot CollectStats(Server& server) {
  StatsSnapshot s;
  auto into = [](StatLines* out) {
    return [out](std::string_view name, std::string_view value) {
      out->emplace_back(std::string(name), std::string(value));
    };
  };
  server.AppendGeneralStats(into(&s.general));
  // `stats settings` shows the values operators may have changed at run time.
  Settings current = server.settings();
  current.verbose = server.verbosity();
  current.detail_enabled = server.detail_enabled();
  server.engine().CurrentRuntimeSettings(&current);
  AppendSettingsStats(current, into(&s.settings));
  server.engine().AppendSlabsStats(into(&s.slabs));
  server.engine().AppendItemsStats(into(&s.items));
  s.memfleet_version = std::string(kMemfleetVersion);
  return s;
}

std::string RenderMetrics(const StatsSnapshot& stats, std::vector<std::string>* unmapped) {
  Families f;
  f.Add("memcached_up", kGauge, "1: the server answered this scrape itself.", "", "1");
  RenderGeneral(f, stats.general, unmapped);
  RenderSettings(f, stats.settings);
  RenderSlabs(f, stats.slabs, unmapped);
  RenderItems(f, stats.items, unmapped);
  if (!stats.memfleet_version.empty()) {
    f.Add("memfleetd_build_info", kGauge, "The memfleetd version serving these metrics.",
          Exposition::Label("version", stats.memfleet_version), "1");
  }
  return f.Render();
}

}  // namespace memfleet::server
