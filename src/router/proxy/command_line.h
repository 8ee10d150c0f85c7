// memfleet-router's command line: mcrouter's and memcached's spellings of the options a router
// user passes (`-p`, `-l`, `-t`/`--num-proxies`, `--config-file`/`-f`, `--config file:PATH`,
// `--config-str`...). Pure parsing into RouterOptions; any thread.
#pragma once

#include <string>

#include "common/status.h"
#include "router/proxy/router_options.h"

namespace memfleet::router {

struct RouterCommandLine {
  enum class Action { kRun, kHelp, kVersion };
  Action action = Action::kRun;
  RouterOptions options;
};

// argv[0] is the program name. InvalidArgument with a message naming the bad option.
memfleet::Result<RouterCommandLine> ParseRouterCommandLine(int argc, char** argv);
std::string RouterUsageText();

}  // namespace memfleet::router
