// memfleetd: parses the command line, prepares the process (daemon, pid file, limits, user) and
// runs the server until it is told to stop.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/daemon.h"
#include "server/command_line.h"
#include "server/server.h"

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE, as memcached

bool DropPrivileges(const std::string& user) {
  if (getuid() != 0 && geteuid() != 0) return true;  // nothing to drop
  passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    fprintf(stderr, "can't find the user %s to switch to\n", user.c_str());
    return false;
  }
  if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
    fprintf(stderr, "failed to assume identity of user %s\n", user.c_str());
    return false;
  }
  return true;
}

void RaiseFileLimit(int max_conns) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(max_conns) + 64;
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    if (rl.rlim_max < want) rl.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      getrlimit(RLIMIT_NOFILE, &rl);
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using memfleet::server::CommandLine;
  auto parsed = memfleet::server::ParseCommandLine(argc, argv);
  if (!parsed.ok()) {
    fprintf(stderr, "%s\n", parsed.status().message().c_str());
    return kExitUsage;
  }
  CommandLine& cl = parsed.value();
  if (cl.action == CommandLine::Action::kHelp) {
    fputs(memfleet::server::UsageText().c_str(), stdout);
    return 0;
  }
  if (cl.action == CommandLine::Action::kVersion) {
    fputs(memfleet::server::VersionText().c_str(), stdout);
    return 0;
  }
  for (const std::string& w : cl.warnings) fprintf(stderr, "%s\n", w.c_str());
  const memfleet::Settings& s = cl.settings;

  if (s.enable_core_files) {
    rlimit rl{RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
  }
  RaiseFileLimit(s.max_conns);
  if (s.daemonize && !memfleet::Daemonize()) {
    fprintf(stderr, "failed to daemon() in order to daemonize\n");
    return 1;
  }
  if (s.lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    fprintf(stderr, "warning: -k invalid, mlockall() failed: %s\n", strerror(errno));
  }

  // Signals are taken by the server's signalfd: block them in every thread before any starts.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  memfleet::server::Server server(s);
  memfleet::Status st = server.Start();
  if (!st.ok()) {
    fprintf(stderr, "failed to start: %s\n", st.message().c_str());
    return 71;  // EX_OSERR
  }
  if (!s.user.empty() && !DropPrivileges(s.user)) return kExitUsage;
  if (!s.pid_file.empty()) {
    FILE* f = fopen(s.pid_file.c_str(), "w");
    if (f == nullptr) {
      fprintf(stderr, "Could not open the pid file %s for writing: %s\n", s.pid_file.c_str(),
              strerror(errno));
    } else {
      fprintf(f, "%ld\n", static_cast<long>(getpid()));
      fclose(f);
    }
  }
  if (s.verbose > 0) {
    fprintf(stderr, "memfleetd %s listening (port %d, %d threads)\n",
            std::string(memfleet::server::kMemfleetVersion).c_str(), server.bound_port(),
            s.num_threads);
  }
  server.Run();
  if (!s.pid_file.empty()) unlink(s.pid_file.c_str());
  return 0;
}
