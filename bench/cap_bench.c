/*
 * Requests in flight through a session's max_concurrent_requests: T threads of the program's own
 * each call mw_request N times on one shared session (GET meta=siteinfo, no login), and it
 * reports the throughput. The most requests the server saw at once is the server's to count
 * (bench/fastserver's /__stats max_in_flight); bench/run.sh reads it.
 *
 *   cap_bench API_URL T N CAP [DELAY_US]   CAP: an integer, or "none" (no max_concurrent_requests)
 *                                          DELAY_US: sent as bench_delay_us=DELAY_US, which makes
 *                                          bench/fastserver wait that long before each answer
 * prints: "requests R\ncalls_per_s X\n"
 */
#define _GNU_SOURCE
#include <mwauth.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

static mw_session *session;
static long per_thread;
static char request_json[256];
static atomic_long failed;

static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < per_thread; i++) {
    char *out = NULL;
    if (mw_request(session, request_json, &out) != MW_OK) {
      if (atomic_fetch_add(&failed, 1) == 0) fprintf(stderr, "cap_bench: mw_request: %s\n", out);
    }
    mw_string_free(out);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s API_URL T N CAP|none [DELAY_US]\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[2]);
  per_thread = atol(argv[3]);
  long delay_us = argc == 6 ? atol(argv[5]) : 0;
  char config[512], cap[64] = "", *err = NULL;
  if (strcmp(argv[4], "none") != 0) snprintf(cap, sizeof cap, ", \"max_concurrent_requests\": %d", atoi(argv[4]));
  snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-bench/1.0\"%s}", argv[1], cap);
  session = mw_session_new(config, &err);
  if (!session) {
    fprintf(stderr, "cap_bench: mw_session_new: %s\n", err);
    return 1;
  }
  if (delay_us > 0)
    snprintf(request_json, sizeof request_json,
             "{\"params\": {\"action\": \"query\", \"meta\": \"siteinfo\", \"bench_delay_us\": \"%ld\"}}", delay_us);
  else
    snprintf(request_json, sizeof request_json, "{\"params\": {\"action\": \"query\", \"meta\": \"siteinfo\"}}");
  char *out = NULL; /* one request first: the connection */
  if (mw_request(session, request_json, &out) != MW_OK) {
    fprintf(stderr, "cap_bench: first request: %s\n", out);
    return 1;
  }
  mw_string_free(out);

  pthread_t *t = calloc((size_t)threads, sizeof *t);
  double t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  double elapsed = now() - t0;
  free(t);
  mw_session_free(session);
  if (atomic_load(&failed) > 0) {
    fprintf(stderr, "cap_bench: %ld calls failed\n", atomic_load(&failed));
    return 1;
  }
  long total = per_thread * threads;
  printf("requests %ld\ncalls_per_s %.0f\n", total, (double)total / elapsed);
  return 0;
}
