/* udp_load: a closed-loop UDP `get` load for any server speaking memcached's UDP protocol.
 *
 *   udp_load PORT SECONDS THREADS WINDOW KEYS
 *
 * Each thread has its own socket (so a server with one socket per worker sees several senders)
 * and keeps WINDOW requests in flight: `get key:<n>` with n uniform in [0, KEYS), request ids
 * numbered per thread. A reply datagram whose request id is in flight completes it (replies of
 * one datagram are counted, longer ones are not expected: values must fit in one datagram). A
 * window with no reply for 20 ms is counted lost and refilled. Prints one line:
 *   gets=<completed> lost=<lost> seconds=<s> gets_per_s=<rate>
 * Only 127.0.0.1. Built by bench/udp_compare with `cc -O2 -pthread`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port, seconds, window, keys;

struct result {
  unsigned long done, lost;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *run(void *arg) {
  struct result *r = arg;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
    perror("socket");
    return NULL;
  }
  struct timeval tv = {0, 20000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  unsigned seed = (unsigned)(uintptr_t)r ^ (unsigned)getpid();
  uint16_t next_id = 1;
  int in_flight = 0;
  char req[64], buf[2048];
  const double end = now_s() + seconds;
  while (now_s() < end) {
    while (in_flight < window) {
      int n = 8 + snprintf(req + 8, sizeof(req) - 8, "get key:%d\r\n", (int)(rand_r(&seed) % keys));
      req[0] = (char)(next_id >> 8);
      req[1] = (char)(next_id & 0xff);
      req[2] = req[3] = 0;
      req[4] = 0;
      req[5] = 1;
      req[6] = req[7] = 0;
      next_id++;
      if (send(fd, req, (size_t)n, 0) < 0) break;
      in_flight++;
    }
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    if (got < 0) {  // nothing for 20 ms: the window was lost
      r->lost += (unsigned long)in_flight;
      in_flight = 0;
      continue;
    }
    if (got >= 8) {
      r->done++;
      if (in_flight > 0) in_flight--;
    }
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp_load PORT SECONDS THREADS WINDOW KEYS\n");
    return 2;
  }
  port = atoi(argv[1]);
  seconds = atoi(argv[2]);
  int threads = atoi(argv[3]);
  window = atoi(argv[4]);
  keys = atoi(argv[5]);
  pthread_t tid[64];
  struct result res[64];
  if (threads < 1 || threads > 64 || window < 1 || keys < 1) return 2;
  memset(res, 0, sizeof(res));
  double start = now_s();
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, run, &res[i]);
  unsigned long done = 0, lost = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    done += res[i].done;
    lost += res[i].lost;
  }
  double secs = now_s() - start;
  printf("gets=%lu lost=%lu seconds=%.2f gets_per_s=%.0f\n", done, lost, secs, done / secs);
  return 0;
}
