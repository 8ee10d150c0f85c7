// Order and formats copied from memcached 1.6.18's process_stat_settings() (memcached.c) and
// checked line by line against `stats settings` of the Debian binary.
#include "server/settings_stats.h"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace memfleet::server {
namespace {

const char* YesNo(bool b) { return b ? "yes" : "no"; }

std::string TwoDecimals(double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

const char* ProtocolName(BindingProtocol p) {
  switch (p) {
    case BindingProtocol::kAscii:
      return "ascii";
    case BindingProtocol::kBinary:
      return "binary";
    case BindingProtocol::kAuto:
      break;
  }
  return "auto-negotiate";
}

std::string JoinListen(const std::vector<std::string>& listen) {
  if (listen.empty()) return "NULL";
  std::string out;
  for (const std::string& l : listen) {
    if (!out.empty()) out += ',';
    out += l;
  }
  return out;
}

}  // namespace

void AppendSettingsStats(const Settings& s, const StatSink& sink, uint32_t oldest_live) {
  auto num = [&sink](std::string_view name, auto v) { sink(name, std::to_string(v)); };
  char umask[16];
  snprintf(umask, sizeof(umask), "%o", static_cast<unsigned>(s.socket_access_mask));
  // memcached serves UDP from one thread per address when -l lists several.
  bool several_listeners = JoinListen(s.listen).find(',') != std::string::npos;

  num("maxbytes", s.max_bytes);
  num("maxconns", s.max_conns);
  num("tcpport", s.port);
  num("udpport", s.udp_port);
  sink("inter", JoinListen(s.listen));
  num("verbosity", s.verbose);
  num("oldest", oldest_live);
  sink("evictions", s.evict_to_free ? "on" : "off");
  sink("domain_socket", s.socket_path.empty() ? "NULL" : s.socket_path);
  sink("umask", umask);
  sink("shutdown_command", YesNo(s.shutdown_command));
  sink("growth_factor", TwoDecimals(s.factor));
  num("chunk_size", s.chunk_size);
  num("num_threads", s.num_threads);
  num("num_threads_per_udp", several_listeners ? 1 : s.num_threads);
  sink("stat_key_prefix", std::string(1, s.prefix_delimiter));
  sink("detail_enabled", YesNo(s.detail_enabled));
  num("reqs_per_event", s.reqs_per_event);
  sink("cas_enabled", YesNo(s.use_cas));
  num("tcp_backlog", s.backlog);
  sink("binding_protocol", ProtocolName(s.protocol));
  sink("auth_enabled_sasl", YesNo(s.sasl));
  sink("auth_enabled_ascii", s.auth_file.empty() ? "no" : s.auth_file);
  num("item_size_max", s.item_size_max);
  sink("maxconns_fast", YesNo(s.maxconns_fast));
  num("hashpower_init", s.hashpower_init);
  sink("slab_reassign", YesNo(s.slab_reassign));
  num("slab_automove", s.slab_automove);
  sink("slab_automove_ratio", TwoDecimals(s.slab_automove_ratio));
  num("slab_automove_window", s.slab_automove_window);
  num("slab_chunk_max", s.slab_chunk_size_max);
  sink("lru_crawler", YesNo(s.lru_crawler));
  num("lru_crawler_sleep", s.lru_crawler_sleep);
  num("lru_crawler_tocrawl", s.lru_crawler_tocrawl);
  num("tail_repair_time", s.tail_repair_time);
  sink("flush_enabled", YesNo(s.flush_enabled));
  sink("dump_enabled", YesNo(s.dump_enabled));
  sink("hash_algorithm", s.hash_algorithm);
  sink("lru_maintainer_thread", YesNo(s.lru_maintainer_thread));
  sink("lru_segmented", YesNo(s.lru_segmented));
  num("hot_lru_pct", s.hot_lru_pct);
  num("warm_lru_pct", s.warm_lru_pct);
  sink("hot_max_factor", TwoDecimals(s.hot_max_factor));
  sink("warm_max_factor", TwoDecimals(s.warm_max_factor));
  sink("temp_lru", YesNo(s.temp_lru));
  num("temporary_ttl", s.temporary_ttl);
  num("idle_timeout", s.idle_timeout);
  num("watcher_logbuf_size", s.watcher_logbuf_size);
  num("worker_logbuf_size", s.worker_logbuf_size);
  num("read_buf_mem_limit", s.read_buf_mem_limit);
  sink("track_sizes", YesNo(s.track_sizes));
  sink("inline_ascii_response", "no");  // a constant in memcached 1.6
  sink("num_napi_ids", "(null)");
  sink("memory_file", "(null)");
}

}  // namespace memfleet::server
