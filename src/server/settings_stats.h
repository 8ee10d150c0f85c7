// The `stats settings` reply: every run-time option as memcached 1.6.18 prints it, same names,
// same order, same number formats.
//
// A pure function of its arguments: no state, callable from any thread. Values that change at
// run time (verbosity, detail_enabled, memory limit, LRU tuning, automove, ...) are read from the
// Settings passed in, so a caller that keeps them elsewhere (atomics on the Server or the Engine)
// passes a copy with those fields refreshed. The lines memcached only prints when built with
// extstore (ext_*, slab_automove_freeratio) or TLS (ssl_*) are left out, as a memcached built
// without those features does; num_napi_ids and memory_file are printed as "(null)", as
// memcached does when -N and -e are not given (memfleetd supports neither).
#pragma once

#include <cstdint>

#include "common/settings.h"
#include "common/stat_sink.h"

namespace memfleet::server {

// Sends every `stats settings` line to sink, in memcached's order. oldest_live is memcached's
// "oldest": the relative time (seconds since process start) of the last flush_all, 0 if none.
void AppendSettingsStats(const Settings& settings, const StatSink& sink, uint32_t oldest_live = 0);

}  // namespace memfleet::server
