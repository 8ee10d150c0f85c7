// ServerIdentity: which process an upstream server is, as its `stats` tells it — pid, the unix
// time it started (time - uptime: memcached's and memfleetd's process_started, the same at every
// ask) and how many flush_all it has executed — and what comparing two of them says.
//
// The resync (resync_coordinator.h) learns a logged server's identity while the server is up and
// checks it again when the server comes back: a new pid or start time is a new process, which
// lost everything it held (a kill -9 and restart); the same process with more flushes was flushed
// while the router could not see it. Neither is visible to the write log, which only knows what
// the server missed while down. A restart in the same second with the same pid (a container's
// pid 1) looks like the same process: undetectable from stats.
// Pure functions and a blocking fetch over a BlockingConnection (the coordinator's thread).
#pragma once

#include <cstdint>
#include <string_view>

#include "cluster/copy/blocking_connection.h"
#include "common/status.h"

namespace memfleet::router::resync {

struct ServerIdentity {
  uint64_t pid = 0;
  int64_t started = 0;  // unix seconds: time - uptime
  uint64_t cmd_flush = 0;
};

enum class Verdict {
  kSame,       // the same process, not flushed since
  kRestarted,  // another process: it holds none of what the old one had
  kFlushed,    // the same process, flushed since (by someone other than this router's replay)
};

// Takes one `stats` line's "name value" into *id (pid, uptime, time, cmd_flush); others are
// ignored; the caller sets started = time - uptime once every line is in.
void TakeStat(std::string_view name_value, ServerIdentity* id, int64_t* uptime, int64_t* time);
// What seen says about the process known before.
Verdict Compare(const ServerIdentity& known, const ServerIdentity& seen);
std::string_view VerdictName(Verdict v);

// Sends `stats` on conn and reads the reply into *id.
Status FetchIdentity(cluster::BlockingConnection& conn, ServerIdentity* id);

}  // namespace memfleet::router::resync
