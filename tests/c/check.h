/* A tiny test harness for the C tests: CHECK records a failure and goes on; finish() prints the
 * closing "N passed, N failed" line and gives the exit status. */
#ifndef MWAUTH_TEST_CHECK_H
#define MWAUTH_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwauth.h"

static int checks_passed, checks_failed;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (cond) {                                                                 \
      checks_passed++;                                                          \
    } else {                                                                    \
      checks_failed++;                                                          \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

/* Whether the JSON text `json` contains `needle` (compact serde_json output, keys sorted). */
static int has(const char *json, const char *needle) {
  return json != NULL && strstr(json, needle) != NULL;
}

/* The test wiki's variable `name`; without it the test stops (it never passes without the wiki). */
static inline const char *env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "%s is not set: run this through tests/wiki/with-wiki.sh (make test does)\n", name);
    exit(2);
  }
  return v;
}

/* Why this thread's last *_async call was refused, as text (valid until the next call). */
static inline const char *last_async_error(void) {
  static char text[512];
  char *e = mw_async_error();
  snprintf(text, sizeof text, "%s", e ? e : "(null)");
  mw_string_free(e);
  return text;
}

static int finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
