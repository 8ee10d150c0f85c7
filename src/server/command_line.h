// CommandLine: memfleetd's command line, read the way memcached 1.6.18 reads its own.
//
// ParseCommandLine() turns argv into a Settings plus what main() must do next (run, print the
// usage, print the version). It only parses and validates: it never prints, exits, opens files,
// binds sockets or changes the process (main does the daemonizing, pid file, setuid, rlimits).
// Flags, long names, -o sub-options, defaults and rejection messages follow memcached 1.6.18;
// the deliberate differences are listed in command_line.cc and docs/compatibility.md.
//
// Thread safety: ParseCommandLine uses getopt_long, whose state (optind, optarg, ...) is
// process-wide, so call it from one thread at a time (main, or a test). It resets that state
// itself, so repeated calls are fine. UsageText and VersionText are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/settings.h"
#include "common/status.h"

namespace memfleet::server {

// The memcached version memfleetd is compatible with. This is what the `version` command and
// `stats` (version) report, byte for byte like the reference server, because clients (e.g.
// libmemcached) parse it to decide which features the server has.
inline constexpr std::string_view kVersion = "1.6.18";
// memfleet's own release (the CMake project version). Shown by -V and -h.
inline constexpr std::string_view kMemfleetVersion = "0.1.0";

struct CommandLine {
  enum class Action {
    kRun,      // start the server with `settings`
    kHelp,     // print UsageText() to stdout, exit 0 (-h, --help)
    kVersion,  // print VersionText() to stdout, exit 0 (-V, --version)
  };
  Action action = Action::kRun;
  Settings settings;
  // Non-fatal notes (e.g. "-t 100 is a lot of threads") for main to print to stderr, one per
  // element, without a trailing newline, before it starts.
  std::vector<std::string> warnings;
};

// Parses argv[1..argc-1] (argv[0] is ignored). -h and -V stop parsing where they appear, as in
// memcached. On a bad flag or value returns InvalidArgument whose message is what memcached
// prints (one or more lines, no trailing newline); main should print it to stderr and exit with
// EX_USAGE (64). argv is not modified.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);
// The same with args[0] as the program name; convenient for tests.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// One entry of Settings::listen split for binding. memcached lets each -l entry carry its own
// port ("127.0.0.1:11211", "[::1]:11211"); without one, Settings::port applies.
struct ListenAddress {
  std::string host;  // brackets removed: "::1", "127.0.0.1", "localhost"
  int port = -1;     // -1: the entry has no port; use Settings::port
};

// Splits an entry of Settings::listen (already validated by ParseCommandLine). Entries of the
// forms "host", "host:port", "[v6]", "[v6]:port" and bare IPv6 ("::1", no port).
ListenAddress SplitListenEntry(std::string_view entry);

// memcached-style usage (same option names and layout as `memcached -h`), listing only what
// memfleetd supports, -o sub-options included. Ends with a newline.
std::string UsageText();

// "memfleetd 0.1.0 (memcached 1.6.18 compatible)\n".
std::string VersionText();

}  // namespace memfleet::server
