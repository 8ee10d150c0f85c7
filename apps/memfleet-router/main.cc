// memfleet-router: parses the command line, loads the config (or only validates it), prepares
// the process (daemon, pid file, file limit) and runs the router until it is told to stop.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/daemon.h"
#include "router/config/route_tree.h"
#include "router/proxy/command_line.h"
#include "router/proxy/router.h"

namespace {

constexpr int kExitUsage = 64;

void RaiseFileLimit(int max_conns) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(max_conns) * 2 + 256;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using memfleet::router::RouterCommandLine;
  auto parsed = memfleet::router::ParseRouterCommandLine(argc, argv);
  if (!parsed.ok()) {
    fprintf(stderr, "memfleet-router: %s\n(memfleet-router -h lists the options)\n",
            parsed.status().message().c_str());
    return kExitUsage;
  }
  RouterCommandLine& cl = parsed.value();
  if (cl.action == RouterCommandLine::Action::kHelp) {
    fputs(memfleet::router::RouterUsageText().c_str(), stdout);
    return 0;
  }
  if (cl.action == RouterCommandLine::Action::kVersion) {
    printf("memfleet-router %s\n", std::string(memfleet::router::kRouterVersion).c_str());
    return 0;
  }
  const memfleet::router::RouterOptions& o = cl.options;
  std::unique_ptr<memfleet::router::ConfigSource> source =
      o.config_file.empty() ? memfleet::router::StringConfigSource(o.config_str)
                            : memfleet::router::FileConfigSource(o.config_file);
  if (o.validate_config) {
    auto text = source->Read();
    if (!text.ok()) {
      fprintf(stderr, "%s\n", text.status().message().c_str());
      return 1;
    }
    memfleet::router::LoadOptions lo;
    lo.route_prefix = o.route_prefix;
    auto tree = memfleet::router::LoadRouteTree(text->first, text->second, lo);
    if (!tree.ok()) {
      fprintf(stderr, "%s\n", tree.status().message().c_str());
      return 1;
    }
    for (const std::string& w : (*tree)->warnings()) printf("warning: %s\n", w.c_str());
    printf("ok\n");
    return 0;
  }
  RaiseFileLimit(o.max_connections);
  if (o.daemonize && !memfleet::Daemonize()) {
    fprintf(stderr, "memfleet-router: failed to daemonize\n");
    return 1;
  }
  memfleet::router::Router router(o, std::move(source));
  memfleet::Status s = router.Start();
  if (!s.ok()) {
    fprintf(stderr, "memfleet-router: %s\n", s.message().c_str());
    return 1;
  }
  if (!o.pid_file.empty()) {
    std::ofstream pf(o.pid_file);
    pf << getpid() << "\n";
  }
  fprintf(stderr, "memfleet-router listening on port %d\n", router.bound_port());
  if (router.metrics_port() >= 0) {
    fprintf(stderr, "memfleet-router metrics on port %d (/metrics)\n", router.metrics_port());
  }
  router.Run();
  if (!o.pid_file.empty()) unlink(o.pid_file.c_str());
  return 0;
}
