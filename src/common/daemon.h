// Daemonize: detach the process as memcached's -d does (fork, setsid, chdir /, stdio to
// /dev/null). Shared by memfleetd and memfleet-router; call from main() before any thread starts.
#pragma once

namespace memfleet {

// False when a step failed (the caller reports it and exits); the parent exits inside.
bool Daemonize();

}  // namespace memfleet
