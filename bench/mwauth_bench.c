/*
 * The mwauth side of the benchmarks, through the C ABI (include/mwauth.h). Prints "key value"
 * lines for bench/run.sh.
 *
 *   mwauth_bench version
 *   mwauth_bench login  API USER PASSWORD [COOKIEFILE]   cold bot login, then meta=userinfo
 *   mwauth_bench clientlogin API USER PASSWORD       cold mw_clientlogin (main-account password),
 *                                                        then meta=userinfo
 *   mwauth_bench resume API COOKIEFILE                   resumed from cookies, then meta=userinfo
 *   mwauth_bench loop   API N                            1 warm-up, then N GET meta=siteinfo
 *   mwauth_bench cold   API [API2]                       first session+request vs later ones
 *   mwauth_bench idle   API N [R]                        memory of N sessions; then one request
 *                                                        on each of the first R
 *   mwauth_bench upload API USER PASSWORD FILE CHUNK_BYTES NAME
 *                                                        bot login + csrf token (action=checktoken),
 *                                                        then one timed mw_upload of FILE as NAME
 *                                                        (ignorewarnings); CHUNK_BYTES 0: login only
 *
 * BENCH_CA_FILE, when set, goes into every config as "ca_file" (for an https API).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <mwauth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

static void die(const char *what, char *json) {
  fprintf(stderr, "mwauth_bench: %s: %s\n", what, json ? json : "(no output)");
  mw_string_free(json);
  exit(1);
}

static long timeout_ms; /* 0: the library's default */

static mw_session *new_session(const char *api, const char *cookie_file) {
  char config[4096], *err = NULL;
  const char *ca = getenv("BENCH_CA_FILE");
  int n = snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-bench/1.0\"", api);
  if (timeout_ms > 0) n += snprintf(config + n, sizeof config - (size_t)n, ", \"timeout_ms\": %ld", timeout_ms);
  if (cookie_file)
    n += snprintf(config + n, sizeof config - (size_t)n, ", \"cookie_file\": \"%s\"", cookie_file);
  if (ca && *ca) n += snprintf(config + n, sizeof config - (size_t)n, ", \"ca_file\": \"%s\"", ca);
  snprintf(config + n, sizeof config - (size_t)n, "}");
  mw_session *s = mw_session_new(config, &err);
  if (!s) die("mw_session_new", err);
  return s;
}

static const char SITEINFO[] = "{\"params\": {\"action\": \"query\", \"meta\": \"siteinfo\"}}";
static const char USERINFO[] = "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}";

static void request(mw_session *s, const char *req) {
  char *out = NULL;
  if (mw_request(s, req, &out) != MW_OK) die("mw_request", out);
  mw_string_free(out);
}

/* meta=userinfo; prints the user name and fails when anonymous. */
static void userinfo(mw_session *s) {
  char *out = NULL;
  if (mw_request(s, USERINFO, &out) != MW_OK) die("userinfo", out);
  const char *name = strstr(out, "\"name\":");
  if (!name || strstr(out, "\"anon\"")) die("userinfo: not logged in", out);
  printf("userinfo %.60s\n", name);
  mw_string_free(out);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "version") == 0) {
    printf("version %s\n", mw_version());
    return 0;
  }
  if (strcmp(mode, "login") == 0 && (argc == 5 || argc == 6)) {
    char creds[1024], *out = NULL;
    mw_session *s = new_session(argv[2], argc == 6 ? argv[5] : NULL);
    snprintf(creds, sizeof creds, "{\"username\": \"%s\", \"password\": \"%s\"}", argv[3], argv[4]);
    if (mw_login(s, creds, &out) != MW_OK) die("mw_login", out);
    mw_string_free(out);
    userinfo(s);
    mw_session_free(s);
    return 0;
  }
  if (strcmp(mode, "clientlogin") == 0 && argc == 5) {
    char creds[1024], *out = NULL;
    mw_session *s = new_session(argv[2], NULL);
    snprintf(creds, sizeof creds, "{\"username\": \"%s\", \"password\": \"%s\"}", argv[3], argv[4]);
    if (mw_clientlogin(s, creds, &out) != MW_OK || !strstr(out, "\"PASS\"")) die("mw_clientlogin", out);
    mw_string_free(out);
    userinfo(s);
    mw_session_free(s);
    return 0;
  }
  if (strcmp(mode, "resume") == 0 && argc == 4) {
    mw_session *s = new_session(argv[2], argv[3]);
    userinfo(s);
    mw_session_free(s);
    return 0;
  }
  if (strcmp(mode, "loop") == 0 && argc == 4) {
    long n = atol(argv[3]);
    mw_session *s = new_session(argv[2], NULL);
    request(s, SITEINFO); /* warm-up: the connection */
    double t0 = now();
    for (long i = 0; i < n; i++) request(s, SITEINFO);
    double t1 = now();
    printf("requests %ld\nus_per_request %.2f\n", n, (t1 - t0) * 1e6 / (double)n);
    mw_session_free(s);
    return 0;
  }
  if (strcmp(mode, "cold") == 0 && (argc == 3 || argc == 4)) {
    double t0 = now();
    mw_session *s1 = new_session(argv[2], NULL);
    double t1 = now();
    request(s1, SITEINFO);
    double t2 = now();
    request(s1, SITEINFO);
    double t3 = now();
    mw_session *s2 = new_session(argv[2], NULL);
    double t4 = now();
    request(s2, SITEINFO);
    double t5 = now();
    printf("first_new_us %.1f\nfirst_request_us %.1f\nsame_session_next_request_us %.1f\n"
           "second_new_us %.1f\nsecond_session_first_request_us %.1f\n",
           (t1 - t0) * 1e6, (t2 - t1) * 1e6, (t3 - t2) * 1e6, (t4 - t3) * 1e6, (t5 - t4) * 1e6);
    if (argc == 4) {
      double t6 = now();
      mw_session *s3 = new_session(argv[3], NULL);
      double t7 = now();
      request(s3, SITEINFO);
      double t8 = now();
      printf("other_host_new_us %.1f\nother_host_first_request_us %.1f\n", (t7 - t6) * 1e6,
             (t8 - t7) * 1e6);
      mw_session_free(s3);
    }
    mw_session_free(s1);
    mw_session_free(s2);
    return 0;
  }
  if (strcmp(mode, "idle") == 0 && (argc == 4 || argc == 5)) {
    long n = atol(argv[3]), r = argc == 5 ? atol(argv[4]) : 0;
    if (r > n) r = n;
    mw_session **s = calloc((size_t)n, sizeof *s);
    /* One session first, kept: the shared agent is built once per process, not per session. */
    mw_session *warm = new_session(argv[2], NULL);
    long rss0 = rss_bytes(), heap0 = heap_bytes();
    for (long i = 0; i < n; i++) s[i] = new_session(argv[2], NULL);
    long rss1 = rss_bytes(), heap1 = heap_bytes();
    printf("sessions %ld\nrss_per_session %.0f\nheap_per_session %.0f\n", n,
           (double)(rss1 - rss0) / (double)n, (double)(heap1 - heap0) / (double)n);
    if (r > 0) {
      long rss2 = rss_bytes(), heap2 = heap_bytes();
      double t0 = now();
      for (long i = 0; i < r; i++) request(s[i], SITEINFO);
      double t1 = now();
      long rss3 = rss_bytes(), heap3 = heap_bytes();
      printf("used_sessions %ld\nrss_per_used_session %.0f\nheap_per_used_session %.0f\n"
             "us_per_first_request %.1f\n",
             r, (double)(rss3 - rss2) / (double)r, (double)(heap3 - heap2) / (double)r,
             (t1 - t0) * 1e6 / (double)r);
    }
    for (long i = 0; i < n; i++) mw_session_free(s[i]);
    mw_session_free(warm);
    free(s);
    return 0;
  }
  if (strcmp(mode, "upload") == 0 && argc == 8) {
    long long chunk = atoll(argv[6]);
    char creds[1024], req[8192], *out = NULL;
    timeout_ms = 600000; /* a whole file in one request to php -S */
    mw_session *s = new_session(argv[2], NULL);
    snprintf(creds, sizeof creds, "{\"username\": \"%s\", \"password\": \"%s\"}", argv[3], argv[4]);
    if (mw_login(s, creds, &out) != MW_OK) die("mw_login", out);
    mw_string_free(out);
    /* The csrf token, fetched and cached now (curl's side fetches it before its timed run too). */
    if (mw_request(s, "{\"params\": {\"action\": \"checktoken\", \"type\": \"csrf\"}, \"token\": \"csrf\"}",
                   &out) != MW_OK || !strstr(out, "\"valid\""))
      die("checktoken", out);
    mw_string_free(out);
    if (chunk > 0) {
      snprintf(req, sizeof req,
               "{\"filename\": \"%s\", \"path\": \"%s\", \"chunk_bytes\": %lld, \"ignorewarnings\": true,"
               " \"comment\": \"mwauth bench\"}",
               argv[7], argv[5], chunk);
      double t0 = now();
      if (mw_upload(s, req, &out) != MW_OK || !strstr(out, "\"Success\"")) die("mw_upload", out);
      double t1 = now();
      mw_string_free(out);
      printf("upload_s %.3f\n", t1 - t0);
    }
    mw_session_free(s);
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
      if (strncmp(line, "VmHWM:", 6) == 0) printf("vmhwm_kib %ld\n", atol(line + 6));
    if (f) fclose(f);
    return 0;
  }
  fprintf(stderr, "usage: see the comment at the top of bench/mwauth_bench.c\n");
  return 2;
}
