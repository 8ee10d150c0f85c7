#include "common/daemon.h"

#include <fcntl.h>
#include <unistd.h>

namespace memfleet {

bool Daemonize() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) _exit(0);
  if (setsid() < 0) return false;
  if (chdir("/") != 0) return false;
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return false;
  dup2(fd, STDIN_FILENO);
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  if (fd > STDERR_FILENO) close(fd);
  return true;
}

}  // namespace memfleet
