/* What the C benchmark programs measure with: a monotonic clock, the process's resident memory
 * and glibc's heap in use. Included by curl_bench.c, mwauth_bench.c and cap_bench.c (after
 * _GNU_SOURCE). */
#ifndef MWAUTH_BENCH_COMMON_H
#define MWAUTH_BENCH_COMMON_H

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline long rss_bytes(void) {
  long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) {
    perror("statm");
    exit(1);
  }
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

static inline long heap_bytes(void) {
  struct mallinfo2 m = mallinfo2();
  return (long)(m.uordblks + m.hblkhd);
}

#endif
