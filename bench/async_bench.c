/*
 * Asynchronous calls in flight against threads used: keeps K calls of mw_request_async in flight
 * (a new one as each `done` arrives) until N have finished, and reports the throughput and the
 * most threads the process had meanwhile besides its own two (main and the sampler).
 *
 *   async_bench API_URL N K      prints: "calls_per_s X\nthreads T\n"
 *   async_bench API_URL N K sync the same with K threads of the program's own, each calling
 *                                mw_request in a loop (what a program does without _async)
 *
 * One session, meta=siteinfo, no login. The library's pool is 8 threads unless
 * MWAUTH_ASYNC_THREADS says otherwise.
 */
#define _GNU_SOURCE
#include "mwauth.h"

#include <dirent.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *REQUEST = "{\"params\": {\"action\": \"query\", \"meta\": \"siteinfo\"}}";
static sem_t slots;
static atomic_long finished, failed;
static atomic_int peak_threads, sampling = 1;
static long total;
static mw_session *session;

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  if (d == NULL) return 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void *sampler(void *arg) {
  (void)arg;
  while (atomic_load(&sampling)) {
    int n = thread_count();
    if (n > atomic_load(&peak_threads)) atomic_store(&peak_threads, n);
    usleep(2000);
  }
  return NULL;
}

static void on_done(void *userdata, mw_result result, char *out_json) {
  (void)userdata;
  if (result != MW_OK) atomic_fetch_add(&failed, 1);
  mw_string_free(out_json);
  atomic_fetch_add(&finished, 1);
  sem_post(&slots);
}

static void *sync_worker(void *arg) {
  (void)arg;
  static atomic_long claimed;
  while (atomic_fetch_add(&claimed, 1) < total) {
    char *out = NULL;
    if (mw_request(session, REQUEST, &out) != MW_OK) atomic_fetch_add(&failed, 1);
    mw_string_free(out);
    atomic_fetch_add(&finished, 1);
  }
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s API_URL N K [sync]\n", argv[0]);
    return 2;
  }
  total = atol(argv[2]);
  int in_flight = atoi(argv[3]);
  int sync = argc > 4 && strcmp(argv[4], "sync") == 0;
  char config[512], *err = NULL;
  snprintf(config, sizeof config,
           "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-bench/1.0\"}", argv[1]);
  session = mw_session_new(config, &err);
  if (session == NULL) {
    fprintf(stderr, "mw_session_new: %s\n", err);
    return 1;
  }
  char *out = NULL; /* one request first: connection and TLS set-up are not what is measured */
  mw_request(session, REQUEST, &out);
  mw_string_free(out);

  int own = thread_count() + 1; /* this program's threads: main, and the sampler below */
  pthread_t sampler_thread;
  pthread_create(&sampler_thread, NULL, sampler, NULL);
  double start = now();
  if (sync) {
    pthread_t *workers = calloc(in_flight, sizeof *workers);
    for (int i = 0; i < in_flight; i++) pthread_create(&workers[i], NULL, sync_worker, NULL);
    own += in_flight;
    for (int i = 0; i < in_flight; i++) pthread_join(workers[i], NULL);
    free(workers);
  } else {
    sem_init(&slots, 0, in_flight);
    for (long i = 0; i < total; i++) {
      sem_wait(&slots);
      if (mw_request_async(session, REQUEST, on_done, NULL) != MW_OK) {
        fprintf(stderr, "mw_request_async refused a call\n");
        return 1;
      }
    }
    for (int i = 0; i < in_flight; i++) sem_wait(&slots);
  }
  double elapsed = now() - start;
  atomic_store(&sampling, 0);
  pthread_join(sampler_thread, NULL);
  mw_session_free(session);
  if (atomic_load(&failed) > 0) {
    fprintf(stderr, "%ld of %ld calls failed\n", atomic_load(&failed), total);
    return 1;
  }
  printf("calls_per_s %.0f\n", atomic_load(&finished) / elapsed);
  /* sync: the program's own K threads are what it uses; report those, not the library's none */
  int library = atomic_load(&peak_threads) - own;
  printf("threads %d\n", sync ? in_flight : (library > 0 ? library : 0));
  return 0;
}
