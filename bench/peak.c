/*
 * Runs a program and reports its wall time and peak resident set, the same way for any client
 * (mwauth_bench, curl, ...), as GNU time -v would (not installed here):
 *
 *   peak CMD [ARGS...]
 *
 * fork + execvp; wait4() gives the child's rusage, whose ru_maxrss is its peak RSS (VmHWM at
 * exit) in KiB. The child's stdout and stderr pass through; after it exits, peak prints to stdout
 *   peak_wall_s S       fork to exit
 *   peak_rss_kib K      the child's ru_maxrss
 * and exits with the child's status (128 + N if a signal N ended it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CMD [ARGS...]\n", argv[0]);
    return 2;
  }
  fflush(stdout);
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror(argv[1]);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno == EINTR) continue;
    perror("wait4");
    return 2;
  }
  double t1 = now();
  printf("peak_wall_s %.3f\npeak_rss_kib %ld\n", t1 - t0, ru.ru_maxrss);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}
