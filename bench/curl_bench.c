/*
 * The libcurl baseline: what a C program does with libcurl alone (no cookies, no JSON parsing,
 * one easy handle reused). Prints "key value" lines for bench/run.sh.
 *
 *   curl_bench version
 *   curl_bench loop URL N        1 warm-up, then N GETs on one easy handle
 *   curl_bench cold URL [URL2]   first handle+request vs later ones
 *   curl_bench idle URL N [R]    memory of N easy handles; then one request on each of the first R
 *
 * BENCH_CA_FILE, when set, is the CA bundle (CURLOPT_CAINFO) for an https URL.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

struct buffer {
  char *data;
  size_t len, cap;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata) {
  struct buffer *b = userdata;
  size_t len = size * n;
  if (b->len + len + 1 > b->cap) {
    b->cap = (b->len + len + 1) * 2;
    b->data = realloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  b->data[b->len] = '\0';
  return len;
}

static struct buffer body;

static CURL *new_handle(const char *url) {
  CURL *h = curl_easy_init();
  if (!h) exit(1);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "curl-bench/1.0");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  const char *ca = getenv("BENCH_CA_FILE");
  if (ca && *ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
  return h;
}

static void perform(CURL *h) {
  body.len = 0;
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status != 200 || body.len == 0) {
    fprintf(stderr, "curl_bench: %s (HTTP %ld)\n", curl_easy_strerror(rc), status);
    exit(1);
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  double g0 = now();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  double g1 = now();
  if (strcmp(mode, "version") == 0) {
    printf("version %s\n", curl_version());
    return 0;
  }
  if (strcmp(mode, "loop") == 0 && argc == 4) {
    long n = atol(argv[3]);
    CURL *h = new_handle(argv[2]);
    perform(h);
    double t0 = now();
    for (long i = 0; i < n; i++) perform(h);
    double t1 = now();
    printf("requests %ld\nus_per_request %.2f\n", n, (t1 - t0) * 1e6 / (double)n);
    curl_easy_cleanup(h);
    return 0;
  }
  if (strcmp(mode, "cold") == 0 && (argc == 3 || argc == 4)) {
    double t0 = now();
    CURL *h1 = new_handle(argv[2]);
    double t1 = now();
    perform(h1);
    double t2 = now();
    perform(h1);
    double t3 = now();
    CURL *h2 = new_handle(argv[2]);
    double t4 = now();
    perform(h2);
    double t5 = now();
    printf("global_init_us %.1f\nfirst_new_us %.1f\nfirst_request_us %.1f\n"
           "same_session_next_request_us %.1f\nsecond_new_us %.1f\n"
           "second_session_first_request_us %.1f\n",
           (g1 - g0) * 1e6, (t1 - t0) * 1e6, (t2 - t1) * 1e6, (t3 - t2) * 1e6, (t4 - t3) * 1e6,
           (t5 - t4) * 1e6);
    if (argc == 4) {
      double t6 = now();
      CURL *h3 = new_handle(argv[3]);
      double t7 = now();
      perform(h3);
      double t8 = now();
      printf("other_host_new_us %.1f\nother_host_first_request_us %.1f\n", (t7 - t6) * 1e6,
             (t8 - t7) * 1e6);
      curl_easy_cleanup(h3);
    }
    curl_easy_cleanup(h1);
    curl_easy_cleanup(h2);
    return 0;
  }
  if (strcmp(mode, "idle") == 0 && (argc == 4 || argc == 5)) {
    long n = atol(argv[3]), r = argc == 5 ? atol(argv[4]) : 0;
    if (r > n) r = n;
    CURL **h = calloc((size_t)n, sizeof *h);
    CURL *warm = new_handle(argv[2]);
    long rss0 = rss_bytes(), heap0 = heap_bytes();
    for (long i = 0; i < n; i++) h[i] = new_handle(argv[2]);
    long rss1 = rss_bytes(), heap1 = heap_bytes();
    printf("sessions %ld\nrss_per_session %.0f\nheap_per_session %.0f\n", n,
           (double)(rss1 - rss0) / (double)n, (double)(heap1 - heap0) / (double)n);
    if (r > 0) {
      long rss2 = rss_bytes(), heap2 = heap_bytes();
      double t0 = now();
      for (long i = 0; i < r; i++) perform(h[i]);
      double t1 = now();
      long rss3 = rss_bytes(), heap3 = heap_bytes();
      printf("used_sessions %ld\nrss_per_used_session %.0f\nheap_per_used_session %.0f\n"
             "us_per_first_request %.1f\n",
             r, (double)(rss3 - rss2) / (double)r, (double)(heap3 - heap2) / (double)r,
             (t1 - t0) * 1e6 / (double)r);
    }
    for (long i = 0; i < n; i++) curl_easy_cleanup(h[i]);
    curl_easy_cleanup(warm);
    free(h);
    return 0;
  }
  fprintf(stderr, "usage: see the comment at the top of bench/curl_bench.c\n");
  return 2;
}
